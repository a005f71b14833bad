//! The session log of the embedded default (see super::local): every save and delete of a
//! session, appended to a file beside the database, `FILE.sessions.N`.
//!
//! A write is one `pwrite` of one record into the page cache, made by the request itself:
//! once it returns, the record survives a crash of the process — what SQLite's WAL with
//! `synchronous=NORMAL` promises for a commit — and a background thread `fdatasync`s the
//! file once a second, so a crash of the machine loses at most the last second (Redis's
//! `appendfsync everysec`). A commit to SQLite cost 20 µs of system calls and a hand-over
//! to a writer thread and back: more than the rest of a logout.
//!
//! The file: the 8 bytes [`MAGIC`], then records of
//! `len: u32 LE | crc: u32 LE | payload (len bytes)`, `crc` being the CRC-32 of zlib (IEEE)
//! over the payload, and the payload
//! `kind: u8 (1 save, 0 delete) | expires: i64 LE | id_len: u16 LE | id | JSON data (saves)`.
//! Reading stops at the first record that is short or fails its check: the tail of a write
//! cut short by a crash, or pages a crash of the machine did not write.
//!
//! Each start and each snapshot begins a new generation N; a snapshot in `mwauth_session`
//! covers every generation before the one begun with it, which it then deletes. Replaying
//! the generations still there, in order, over the table is always right, even over a
//! snapshot taken later than some of them: every record sets or deletes a session whole, and
//! anything a snapshot holds that an older record contradicts was written again later.

use super::StoreError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first bytes of every log file.
pub const MAGIC: &[u8; 8] = b"MWSLOG\x00\x01";

/// Slice-by-16 tables (16 KiB): a restart checks every record, and the byte-at-a-time
/// table took most of the 55 ms that reading 100,000 sessions' records took.
const CRC: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISO_HDLC);

/// The longest session id written (a session id is 32 characters).
pub const MAX_ID: usize = 255;

/// Bytes before a record's payload (length and check), and before its id.
const HEADER: usize = 8;
const PAYLOAD_FIXED: usize = 1 + 8 + 2;

/// Session id → (JSON data, expiry in unix seconds).
pub type Stored = HashMap<String, (Box<str>, i64)>;

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        StoreError::Db(format!("session log: {e}"))
    }
}

/// Whether `db` names a database without a file (`:memory:`), which gets no log either.
pub fn in_memory(db: &Path) -> bool {
    db.as_os_str().is_empty() || db.to_str() == Some(":memory:")
}

/// `FILE.sessions.N`.
fn file_of(db: &Path, generation: u64) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(format!(".sessions.{generation}"));
    PathBuf::from(name)
}

/// The log files of `db`, oldest generation first.
pub fn generations(db: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    if in_memory(db) {
        return Ok(Vec::new());
    }
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(base) = db.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{base}.sessions.");
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(generation) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|g| g.parse::<u64>().ok())
        else {
            continue;
        };
        found.push((generation, entry.path()));
    }
    found.sort_unstable();
    Ok(found)
}

/// Appends the record of one write to `out`: `None` deletes the id.
pub fn encode(out: &mut Vec<u8>, id: &str, write: Option<(&str, i64)>) {
    let (kind, expires, data) = match write {
        Some((data, expires)) => (1u8, expires, data),
        None => (0u8, 0, ""),
    };
    // Session ids are 32 characters, and LocalSessions refuses ids over MAX_ID bytes. Were a
    // longer one ever written, it would be cut (on a character boundary, so that the record
    // still reads back) into another id no one holds.
    let mut cut = id.len().min(u16::MAX as usize);
    while !id.is_char_boundary(cut) {
        cut -= 1;
    }
    let id = &id.as_bytes()[..cut];
    let len = PAYLOAD_FIXED + id.len() + data.len();
    let start = out.len();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(kind);
    out.extend_from_slice(&expires.to_le_bytes());
    out.extend_from_slice(&(id.len() as u16).to_le_bytes());
    out.extend_from_slice(id);
    out.extend_from_slice(data.as_bytes());
    let crc = CRC.checksum(&out[start + HEADER..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// One record read back: the id and its data and expiry, or `None` for a delete.
type Record<'a> = (&'a str, Option<(&'a str, i64)>);

/// The next whole, checked record of `bytes` and the bytes after it; `None` at the end or
/// at a damaged record.
fn decode(bytes: &[u8]) -> Option<(Record<'_>, &[u8])> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    let payload = bytes.get(HEADER..HEADER.checked_add(len)?)?;
    if len < PAYLOAD_FIXED || CRC.checksum(payload) != crc {
        return None;
    }
    let kind = payload[0];
    let expires = i64::from_le_bytes(payload[1..9].try_into().ok()?);
    let id_len = u16::from_le_bytes(payload[9..11].try_into().ok()?) as usize;
    let id = std::str::from_utf8(payload.get(PAYLOAD_FIXED..PAYLOAD_FIXED + id_len)?).ok()?;
    let data = std::str::from_utf8(&payload[PAYLOAD_FIXED + id_len..]).ok()?;
    let write = match kind {
        1 => Some((data, expires)),
        0 => None,
        _ => return None,
    };
    Some(((id, write), &bytes[HEADER + len..]))
}

/// What [`replay`] read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Records applied.
    pub records: u64,
    /// The newest generation found (0 when there is none).
    pub last_generation: u64,
    /// Bytes left unread after a damaged record, over all files.
    pub damaged_bytes: u64,
}

/// Applies one write read back from a log or journal to `live`: a save whose expiry is
/// before `now` counts as a delete.
pub fn apply(live: &mut Stored, id: &str, write: Option<(&str, i64)>, now: i64) {
    match write {
        Some((data, expires)) if expires >= now => {
            live.insert(id.to_string(), (data.into(), expires));
        }
        _ => {
            live.remove(id);
        }
    }
}

/// Applies the log files of `db`, oldest first, to `live` (sessions that expired before
/// `now` are left out, as deleted).
pub fn replay(db: &Path, live: &mut Stored, now: i64) -> io::Result<Replayed> {
    let mut seen = Replayed::default();
    for (generation, path) in generations(db)? {
        seen.last_generation = generation;
        let read = read_file(&path, |(id, write)| apply(live, id, write, now))?;
        seen.records += read.records;
        seen.damaged_bytes += read.damaged_bytes;
    }
    Ok(seen)
}

/// What the log files of `db` hold (the benchmark's store size, tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LogSize {
    /// Whole records.
    pub records: u64,
    /// The files' sizes.
    pub bytes: u64,
    /// Bytes of id, data and expiry (8) over all records, as a table row would hold them.
    pub payload: u64,
}

pub fn size(db: &Path) -> io::Result<LogSize> {
    let mut size = LogSize::default();
    for (_, path) in generations(db)? {
        size.bytes += std::fs::metadata(&path)?.len();
        size.records += read_file(&path, |(id, write)| {
            size.payload += (id.len() + write.map_or(0, |(data, _)| data.len()) + 8) as u64;
        })?
        .records;
    }
    Ok(size)
}

/// Bytes read from a log file at a time: a restart never holds a whole log in memory.
const CHUNK: usize = 1 << 20;
/// Longer records are damage (a session's JSON is a few hundred bytes).
const MAX_RECORD: usize = 16 << 20;

struct FileRead {
    records: u64,
    damaged_bytes: u64,
}

/// Hands the whole, checked records of one log file to `each`, in order, a chunk at a time.
/// A file cut before its magic was complete holds none; one that does not start with it is
/// an error (not ours to read, nor to delete later).
fn read_file(path: &Path, mut each: impl FnMut(Record<'_>)) -> io::Result<FileRead> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    let mut consumed = 0u64; // bytes of the file before buf[0]
    let mut eof = false;
    let mut magic_checked = false;
    let mut records = 0;
    loop {
        if !eof {
            let old = buf.len();
            buf.resize(old + CHUNK, 0);
            let n = read_up_to(&mut file, &mut buf[old..])?;
            buf.truncate(old + n);
            eof = n < CHUNK;
        }
        let mut start = 0;
        if !magic_checked {
            if !buf.starts_with(MAGIC) {
                if MAGIC.starts_with(&buf) && eof {
                    return Ok(FileRead {
                        records: 0,
                        damaged_bytes: 0,
                    });
                }
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not an mwauth session log", path.display()),
                ));
            }
            magic_checked = true;
            start = MAGIC.len();
        }
        let mut rest = &buf[start..];
        while let Some((record, next)) = decode(rest) {
            each(record);
            records += 1;
            rest = next;
        }
        // Either the next record is not all in `buf` yet, or it is damaged: whole (or too
        // long to be one) and failing its check. Damage ends the file.
        let damaged = rest.len() >= HEADER && {
            let n = u32::from_le_bytes(rest[..4].try_into().unwrap_or_default()) as usize;
            n > MAX_RECORD || rest.len() >= HEADER + n
        };
        let done = buf.len() - rest.len();
        consumed += done as u64;
        if eof || damaged {
            return Ok(FileRead {
                records,
                damaged_bytes: len.saturating_sub(consumed),
            });
        }
        buf.drain(..done);
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Deletes the log files of generations before `generation`.
pub fn remove_before(db: &Path, generation: u64) -> io::Result<()> {
    for (g, path) in generations(db)? {
        if g < generation {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// Deletes the log files that hold no record (a start-up each, of a server that then wrote
/// nothing), so that restarts do not pile them up until the next snapshot.
pub fn remove_empty(db: &Path) -> io::Result<()> {
    for (_, path) in generations(db)? {
        if std::fs::metadata(&path)?.len() <= MAGIC.len() as u64 {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// The log file written now: one generation.
pub struct LogFile {
    /// `None` for a database without a file. Shared with the thread that syncs it, so
    /// that an `fdatasync` never holds up appends.
    file: Option<Arc<File>>,
    /// Bytes written: where the next record goes.
    len: u64,
    pub generation: u64,
    /// Records that no snapshot covers yet (at start-up: every record replayed).
    pub records: u64,
}

impl LogFile {
    /// Creates generation `generation` of `db`'s log.
    pub fn create(db: &Path, generation: u64, records: u64) -> io::Result<LogFile> {
        if in_memory(db) {
            return Ok(LogFile {
                file: None,
                len: 0,
                generation,
                records,
            });
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(file_of(db, generation))?;
        file.write_all_at(MAGIC, 0)?;
        Ok(LogFile {
            file: Some(Arc::new(file)),
            len: MAGIC.len() as u64,
            generation,
            records,
        })
    }

    /// Writes `bytes` (whole records) after the last record. When that fails, the file is
    /// cut back to where it was, so that no half record stays in front of later ones.
    pub fn append(&mut self, bytes: &[u8], records: u64) -> io::Result<()> {
        let Some(file) = &self.file else {
            self.records += records;
            return Ok(());
        };
        if let Err(e) = file.write_all_at(bytes, self.len) {
            let _ = file.set_len(self.len);
            return Err(e);
        }
        self.len += bytes.len() as u64;
        self.records += records;
        Ok(())
    }

    /// Makes what was written durable on disk.
    pub fn sync_data(&self) -> io::Result<()> {
        self.file.as_deref().map_or(Ok(()), File::sync_data)
    }

    /// The file, to `fdatasync` it without holding up appends.
    pub fn sync_handle(&self) -> Option<Arc<File>> {
        self.file.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_damaged_tail_is_left_unread() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.sqlite");
        let mut log = LogFile::create(&db, 1, 0).unwrap();
        let mut bytes = Vec::new();
        encode(&mut bytes, "a", Some((r#"{"user_id":1}"#, 100)));
        encode(&mut bytes, "b", Some(("{}", 100)));
        encode(&mut bytes, "old", Some(("{}", 5)));
        log.append(&bytes, 3).unwrap();
        let mut second = Vec::new();
        encode(&mut second, "a", None);
        log.append(&second, 1).unwrap();
        assert_eq!(log.records, 4);
        drop(log);

        let mut live = Stored::new();
        let seen = replay(&db, &mut live, 10).unwrap();
        assert_eq!(
            seen,
            Replayed {
                records: 4,
                last_generation: 1,
                damaged_bytes: 0
            }
        );
        assert_eq!(live.len(), 1, "{live:?}");
        assert_eq!(live["b"], ("{}".into(), 100));

        // A record cut short, then one whose check fails: nothing from either is applied,
        // and nothing after them either.
        let path = file_of(&db, 1);
        let whole = std::fs::read(&path).unwrap();
        let mut third = Vec::new();
        encode(&mut third, "c", Some(("{}", 100)));
        std::fs::write(&path, [&whole[..], &third[..third.len() - 1]].concat()).unwrap();
        let mut live = Stored::new();
        let seen = replay(&db, &mut live, 10).unwrap();
        assert_eq!(
            (seen.records, seen.damaged_bytes),
            (4, third.len() as u64 - 1)
        );
        assert!(!live.contains_key("c"));
        let mut flipped = third.clone();
        *flipped.last_mut().unwrap() ^= 1;
        std::fs::write(&path, [&whole[..], &flipped[..], &third[..]].concat()).unwrap();
        let mut live = Stored::new();
        assert_eq!(replay(&db, &mut live, 10).unwrap().records, 4);
        assert!(!live.contains_key("c"));
    }

    /// A log longer than one read (records across the chunk boundaries), and damage in the
    /// middle of one: what is before it is read, nothing after.
    #[test]
    fn a_long_log_is_read_a_chunk_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.sqlite");
        let mut log = LogFile::create(&db, 1, 0).unwrap();
        let data = "x".repeat(333);
        let mut bytes = Vec::new();
        let n = 3 * CHUNK / 350;
        for i in 0..n {
            encode(&mut bytes, &format!("s{i:06}"), Some((&data, 100)));
        }
        log.append(&bytes, n as u64).unwrap();
        let mut live = Stored::new();
        let seen = replay(&db, &mut live, 0).unwrap();
        assert_eq!((seen.records, seen.damaged_bytes), (n as u64, 0));
        assert_eq!(live.len(), n);
        assert_eq!(size(&db).unwrap().records, n as u64);

        // A length no record has, past the second chunk: the records before it only.
        let path = file_of(&db, 1);
        let mut whole = std::fs::read(&path).unwrap();
        let one = bytes.len() / n;
        let at = MAGIC.len() + (2 * CHUNK / one + 5) * one;
        whole[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &whole).unwrap();
        let mut live = Stored::new();
        let seen = replay(&db, &mut live, 0).unwrap();
        let before = ((at - MAGIC.len()) / one) as u64;
        assert_eq!(seen.records, before);
        assert_eq!(seen.damaged_bytes, (whole.len() - at) as u64);
        assert_eq!(live.len() as u64, before);
    }

    #[test]
    fn generations_replay_in_order_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.sqlite");
        // Generation 10 after 9 (numeric, not text, order).
        for (generation, name) in [(10, "new"), (9, "old")] {
            let mut log = LogFile::create(&db, generation, 0).unwrap();
            let mut bytes = Vec::new();
            encode(&mut bytes, "x", Some((name, 100)));
            log.append(&bytes, 1).unwrap();
        }
        std::fs::write(dir.path().join("s.sqlite.sessions.txt"), "not ours").unwrap();
        let mut live = Stored::new();
        assert_eq!(replay(&db, &mut live, 0).unwrap().last_generation, 10);
        assert_eq!(&*live["x"].0, "new");
        assert_eq!(size(&db).unwrap().records, 2);

        remove_before(&db, 10).unwrap();
        assert_eq!(
            generations(&db)
                .unwrap()
                .into_iter()
                .map(|g| g.0)
                .collect::<Vec<_>>(),
            [10]
        );
        // Empty generations go; those with records stay.
        LogFile::create(&db, 12, 0).unwrap();
        remove_empty(&db).unwrap();
        assert_eq!(generations(&db).unwrap().len(), 1);
        // A file of ours by name but not by content is an error, not an empty log.
        std::fs::write(file_of(&db, 11), "something else entirely").unwrap();
        assert!(replay(&db, &mut live, 0).is_err());
        // One cut before its magic was complete is empty.
        std::fs::write(file_of(&db, 11), &MAGIC[..3]).unwrap();
        assert_eq!(replay(&db, &mut live, 0).unwrap().records, 1);
    }
}
