//! Sessions of a single node kept in its SQLite file: the embedded default.
//!
//! Only this process uses the file's sessions (several nodes need Redis), so every live
//! session is held in memory — as the JSON stored in the file, about 300 bytes a session —
//! and the file is written, never read, while the server runs:
//! - **reads** come from memory alone;
//! - **writes** go to one writer thread that appends everything queued to the session
//!   journal (`mwauth_session_journal`) in one transaction (group commit). Appending touches
//!   only the journal's last pages, so one commit carries hundreds of logins and logouts
//!   for the cost of a few page writes, where updating `mwauth_session` in place would
//!   write one page per session. A request is answered only after its write is committed:
//!   a crash loses no session a client was told about and revives no session it logged out;
//! - once the journal holds more than [`COMPACT_FROM`] entries and four times as many as
//!   there are live sessions, the live sessions are written out as a new `mwauth_session` a slice
//!   at a time between commits (see `Journal::snapshot_begin`), and the journal entries
//!   it covers dropped; at start-up the table is read, then the journal in order;
//! - **throttle counters** live in memory, as in MediaWiki's object cache: a restart forgets
//!   them, nothing else does.

use super::journal::Journal;
use super::memory::MemoryStore;
use super::sqlite::SqliteStore;
use super::{SessionStore, StoreError, StoreResult};
use crate::session::SessionData;
use crate::time;
use async_trait::async_trait;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot, watch};

/// Most writes one commit takes.
const BATCH: usize = 1024;
/// Journal length from which a new snapshot may be written.
pub const COMPACT_FROM: u64 = 50_000;
/// …and from which multiple of the live sessions. A snapshot copies every live session, so
/// between two of them the journal grows by at least (ratio - 1) × live entries: with 4, a
/// write costs at most a third of a copy, and a restart reads at most four entries a session
/// besides the table. (With 2 a wave of logouts copied a session for every logout.)
const COMPACT_RATIO: u64 = 4;
/// Sessions copied into the snapshot between two commits. Writes wait for each slice, so
/// it is kept to well under a millisecond: with 2,000 a wave of logouts saw p99.9 of
/// 15–26 ms while a snapshot ran, with 256 11–13 ms, at the same throughput.
const SNAPSHOT_SLICE: usize = 256;

/// A snapshot being written: the journal position it covers and the ids still to copy.
struct Snapshot {
    upto: i64,
    todo: Vec<String>,
}

/// Most sessions kept parsed (see [`Live::parsed`]): a few megabytes.
const PARSED_MAX: usize = 4096;

/// Session id → (JSON data, expiry in unix seconds).
type Stored = HashMap<String, (Box<str>, i64)>;

/// The live sessions, under one lock.
#[derive(Default)]
struct Live {
    stored: Stored,
    /// Sessions read since this map was last emptied, parsed: a client's requests after its
    /// first share one parse (turning the JSON into SessionData was a tenth of the server's
    /// CPU for a logged-in request). An entry goes as soon as its session is written; the
    /// map is emptied when it reaches [`PARSED_MAX`]. Only ever used for ids `stored` holds
    /// unexpired, so it can never revive a session.
    parsed: HashMap<String, Arc<SessionData>>,
}

impl Live {
    fn set(&mut self, id: String, json: Box<str>, expires: i64) {
        self.parsed.remove(&id);
        self.stored.insert(id, (json, expires));
    }

    fn remove(&mut self, id: &str) {
        self.parsed.remove(id);
        self.stored.remove(id);
    }
}

struct Write {
    id: String,
    /// The session's JSON and expiry, or `None` to delete it.
    data: Option<(Box<str>, i64)>,
    done: oneshot::Sender<StoreResult<()>>,
}

pub struct LocalSessions {
    db: SqliteStore,
    live: Arc<Mutex<Live>>,
    writes: mpsc::Sender<Write>,
    throttles: MemoryStore,
    /// Set once the writer has read the file's sessions into `live`.
    ready: Arc<AtomicBool>,
    /// `None` while the sessions are read, then whether that worked.
    loaded: watch::Receiver<Option<Result<(), String>>>,
    /// An exclusive lock on `FILE.lock` beside the database, held while this store lives:
    /// a second server on the same file would keep sessions the first never sees.
    _lock: Option<std::fs::File>,
}

fn lock(live: &Mutex<Live>) -> MutexGuard<'_, Live> {
    // Plain data: a panic elsewhere while holding the lock cannot leave it torn.
    live.lock().unwrap_or_else(|e| e.into_inner())
}

impl LocalSessions {
    /// Reads the file's live sessions in a task on the current tokio runtime, then starts the
    /// writer thread. The server answers at once: session lookups and writes wait (a fraction
    /// of a second for 100,000 sessions) until the sessions are read, never answer without
    /// them. `max_sessions` bounds the live sessions (memory): past it the oldest end,
    /// anonymous ones first (see [`evictions`]).
    pub async fn open(
        db: SqliteStore,
        path: &Path,
        max_sessions: usize,
    ) -> StoreResult<LocalSessions> {
        Self::open_compacting_from(db, path, max_sessions, COMPACT_FROM).await
    }

    /// As [`open`](Self::open), with snapshots from `compact_from` journal entries (tests).
    async fn open_compacting_from(
        db: SqliteStore,
        path: &Path,
        max_sessions: usize,
        compact_from: u64,
    ) -> StoreResult<LocalSessions> {
        let lock = lock_file(path)?;
        // Fail at start-up, not at the first request, when the tables cannot be read.
        db.sessions_readable().await?;
        let live = Arc::new(Mutex::new(Live::default()));
        let ready = Arc::new(AtomicBool::new(false));
        let (loaded_tx, loaded) = watch::channel(None);
        let (tx, rx) = mpsc::channel(4 * BATCH);
        let writer = Writer {
            journal: Journal::open(path, db.prefix())?,
            live: live.clone(),
            max_sessions: max_sessions.max(1),
            compact_from,
        };
        tokio::spawn(start_writer(
            db.clone(),
            writer,
            rx,
            ready.clone(),
            loaded_tx,
        ));
        Ok(LocalSessions {
            db,
            live,
            writes: tx,
            throttles: MemoryStore::new(),
            ready,
            loaded,
            _lock: lock,
        })
    }

    /// Waits until the file's sessions are in memory.
    async fn wait_loaded(&self) -> StoreResult<()> {
        if self.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut loaded = self.loaded.clone();
        let state = loaded
            .wait_for(Option::is_some)
            .await
            .map_err(|_| StoreError::Db("the session writer has stopped".to_string()))?;
        match &*state {
            Some(Err(e)) => Err(StoreError::Db(format!("reading the sessions failed: {e}"))),
            _ => Ok(()),
        }
    }

    async fn write(&self, id: &str, data: Option<(Box<str>, i64)>) -> StoreResult<()> {
        self.wait_loaded().await?;
        let (done, answer) = oneshot::channel();
        let write = Write {
            id: id.to_string(),
            data,
            done,
        };
        let gone = || StoreError::Db("the session writer has stopped".to_string());
        self.writes.send(write).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Takes the exclusive lock on `PATH.lock`; refuses when another process holds it. An
/// in-memory database (no file) needs no lock.
fn lock_file(path: &Path) -> StoreResult<Option<std::fs::File>> {
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
        return Ok(None);
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .map_err(|e| StoreError::Db(format!("cannot open {}: {e}", Path::new(&name).display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Db(format!(
            "another mwauth process is serving the sessions in {} (it holds {}); one process \
             per file — several nodes share sessions through Redis",
            path.display(),
            Path::new(&name).display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Db(format!(
            "cannot lock {}: {e}",
            Path::new(&name).display()
        ))),
    }
}

/// The writer thread's share: its own connection, the map it fills and keeps.
struct Writer {
    journal: Journal,
    live: Arc<Mutex<Live>>,
    max_sessions: usize,
    compact_from: u64,
}

/// Reads the file's sessions into memory (on the runtime, through the pool), then starts
/// the writer thread.
async fn start_writer(
    db: SqliteStore,
    writer: Writer,
    rx: mpsc::Receiver<Write>,
    ready: Arc<AtomicBool>,
    loaded: watch::Sender<Option<Result<(), String>>>,
) {
    let read = async { Ok::<_, StoreError>((db.live_sessions().await?, db.journal_len().await?)) };
    let journal = match read.await {
        Ok((sessions, journal)) => {
            *lock(&writer.live) = Live {
                stored: sessions,
                parsed: HashMap::new(),
            };
            journal
        }
        Err(e) => {
            tracing::error!("reading the sessions failed: {e}");
            let _ = loaded.send(Some(Err(e.to_string())));
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("mwauth-sessions".into())
        .spawn(move || write_loop(writer, rx, journal));
    match spawned {
        Ok(_) => {
            ready.store(true, Ordering::Release);
            let _ = loaded.send(Some(Ok(())));
        }
        Err(e) => {
            tracing::error!("cannot start the session writer: {e}");
            let _ = loaded.send(Some(Err(e.to_string())));
        }
    }
}

/// The writer thread: takes whatever writes are queued (at least one), appends them to the
/// journal in one commit, applies them to memory, and answers every waiting request; between
/// commits, writes a new snapshot a slice at a time when the journal has grown. Ends when
/// the store is dropped (every sender gone).
///
/// A thread of its own rather than a task: it calls SQLite directly, and while it commits,
/// the requests of the next commit queue up (group commit without waiting for them).
fn write_loop(writer: Writer, mut rx: mpsc::Receiver<Write>, mut journal: u64) {
    let Writer {
        journal: mut db,
        live,
        max_sessions,
        compact_from,
    } = writer;
    let mut batch: Vec<Write> = Vec::with_capacity(BATCH);
    let mut snapshot: Option<Snapshot> = None;
    while rx.blocking_recv_many(&mut batch, BATCH) > 0 {
        let rows: Vec<(&str, Option<(&str, i64)>)> = batch
            .iter()
            .map(|w| (w.id.as_str(), w.data.as_ref().map(|(j, e)| (&**j, *e))))
            .collect();
        let result = db.append(&rows);
        drop(rows);
        if result.is_ok() {
            journal += batch.len() as u64;
            // In queue order: the last write of an id is the one that stays.
            let mut map = lock(&live);
            for w in &mut batch {
                match w.data.take() {
                    Some((json, expires)) => map.set(std::mem::take(&mut w.id), json, expires),
                    None => map.remove(&w.id),
                }
            }
        }
        // Over the bound: end the oldest before answering, so that no request returns
        // while more sessions live than max_sessions allows.
        let evict = {
            let map = lock(&live);
            (map.stored.len() > max_sessions).then(|| evictions(&map.stored, max_sessions))
        };
        if let Some(ids) = evict {
            let rows: Vec<(&str, Option<(&str, i64)>)> =
                ids.iter().map(|id| (id.as_str(), None)).collect();
            match db.append(&rows) {
                Ok(()) => {
                    journal += rows.len() as u64;
                    let mut map = lock(&live);
                    for id in &ids {
                        map.remove(id);
                    }
                    tracing::warn!(
                        evicted = ids.len(),
                        max_sessions,
                        "more live sessions than max_sessions: the oldest ended"
                    );
                }
                Err(e) => tracing::warn!("ending sessions over max_sessions failed: {e}"),
            }
        }
        for w in batch.drain(..) {
            let _ = w.done.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Db(e.to_string())),
            });
        }
        if snapshot.is_none()
            && journal > compact_from
            && journal > COMPACT_RATIO * lock(&live).stored.len() as u64
        {
            match db.snapshot_begin() {
                Ok(upto) => {
                    let mut todo: Vec<String> = lock(&live).stored.keys().cloned().collect();
                    // Copied in id order (taken from the end): each slice adds to the end of
                    // the new table's b-tree instead of all over it.
                    todo.sort_unstable_by(|a, b| b.cmp(a));
                    snapshot = Some(Snapshot { upto, todo });
                }
                Err(e) => tracing::warn!("writing a session snapshot failed: {e}"),
            }
        }
        if let Some(snap) = &mut snapshot {
            if let Err(e) = snapshot_step(&mut db, &live, snap, &mut journal) {
                tracing::warn!("writing a session snapshot failed: {e}");
                snapshot = None;
            } else if snap.todo.is_empty() {
                snapshot = None;
            }
        }
    }
}

/// The sessions to end when there are more than `max`: a tenth of `max` more than the excess,
/// anonymous sessions (a login in progress at most) before logged-in ones, each group the
/// soonest to expire first — what a cache evicting the least recently used would end.
fn evictions(map: &Stored, max: usize) -> Vec<String> {
    let excess = map.len().saturating_sub(max) + max / 10;
    let mut all: Vec<(bool, i64, &String)> = map
        .iter()
        .map(|(id, (json, expires))| (!json.starts_with("{\"user_id\":0,"), *expires, id))
        .collect();
    let n = excess.min(all.len());
    if n == 0 {
        return Vec::new();
    }
    all.select_nth_unstable(n - 1);
    all.truncate(n);
    all.into_iter().map(|(_, _, id)| id.clone()).collect()
}

/// Copies the next slice of sessions into the snapshot; after the last, swaps it in.
fn snapshot_step(
    db: &mut Journal,
    live: &Mutex<Live>,
    snap: &mut Snapshot,
    journal: &mut u64,
) -> StoreResult<()> {
    let from = snap.todo.len().saturating_sub(SNAPSHOT_SLICE);
    let mut ids = snap.todo.split_off(from);
    ids.reverse();
    let rows: Vec<(String, Box<str>, i64)> = {
        let map = lock(live);
        ids.into_iter()
            .filter_map(|id| {
                let (json, expires) = map.stored.get(&id)?.clone();
                Some((id, json, expires))
            })
            .collect()
    };
    db.snapshot_write(&rows)?;
    if snap.todo.is_empty() {
        *journal = db.snapshot_finish(snap.upto)?;
    }
    Ok(())
}

#[async_trait]
impl SessionStore for LocalSessions {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        self.wait_loaded().await?;
        let now = time::now();
        let mut map = lock(&self.live);
        let Live { stored, parsed } = &mut *map;
        let Some((json, expires)) = stored.get(id).filter(|(_, e)| *e >= now) else {
            return Ok(None);
        };
        if let Some(data) = parsed.get(id) {
            return Ok(Some((data.clone(), *expires)));
        }
        // Data we cannot read is no session, as in the file.
        let Ok(data) = serde_json::from_str::<SessionData>(json) else {
            return Ok(None);
        };
        let data = Arc::new(data);
        if parsed.len() >= PARSED_MAX {
            parsed.clear();
        }
        parsed.insert(id.to_string(), data.clone());
        Ok(Some((data, *expires)))
    }

    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        let json = serde_json::to_string(data).map_err(|e| StoreError::Db(e.to_string()))?;
        self.write(id, Some((json.into_boxed_str(), expires))).await
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        self.write(id, None).await
    }

    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        self.throttles.throttle_hit(key, ttl).await
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        self.throttles.throttle_clear(key).await
    }

    async fn purge_expired(&self) -> StoreResult<u64> {
        self.wait_loaded().await?;
        let now = time::now();
        let in_memory = {
            let mut map = lock(&self.live);
            let Live { stored, parsed } = &mut *map;
            let before = stored.len();
            stored.retain(|_, (_, exp)| *exp >= now);
            parsed.retain(|id, _| stored.contains_key(id));
            (before - stored.len()) as u64
        };
        self.throttles.purge_expired().await?;
        self.db.purge_expired().await?;
        Ok(in_memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> SessionData {
        SessionData {
            user_id: 7,
            user_name: name.to_string(),
            ..SessionData::default()
        }
    }

    #[tokio::test]
    async fn writes_are_journaled_and_read_back_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let db = SqliteStore::open(&path).await.unwrap();
        // A session written before the journal existed (an older mwauth) is still live.
        db.save("old-table", &data("T"), time::now() + 600)
            .await
            .unwrap();
        let local = Arc::new(
            LocalSessions::open(db.clone(), &path, 1_000_000)
                .await
                .unwrap(),
        );
        assert_eq!(
            local.load("old-table").await.unwrap().unwrap().0.user_name,
            "T"
        );
        let exp = time::now() + 600;

        // Many writers at once: one group commit or several, every write lands.
        let mut tasks = Vec::new();
        for i in 0..50 {
            let local = local.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("s{i}");
                local.save(&id, &data("A"), exp).await.unwrap();
                local.save(&id, &data(&format!("B{i}")), exp).await.unwrap();
                if i % 2 == 0 {
                    local.delete(&id).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        local.delete("old-table").await.unwrap();
        // Expired at once: never returned.
        local
            .save("expired", &data("C"), time::now() - 1)
            .await
            .unwrap();
        assert!(local.load("expired").await.unwrap().is_none());

        let check = |live: &Stored| {
            assert!(!live.contains_key("old-table") && !live.contains_key("expired"));
            for i in 0..50 {
                let id = format!("s{i}");
                match live.get(&id) {
                    None => assert!(i % 2 == 0, "{id} lost"),
                    Some((json, _)) => {
                        assert!(i % 2 == 1, "{id} deleted but live");
                        let d: SessionData = serde_json::from_str(json).unwrap();
                        assert_eq!(d.user_name, format!("B{i}"));
                    }
                }
            }
        };
        // What a restart reads back: the table with the journal applied.
        check(&db.live_sessions().await.unwrap());
        assert_eq!(db.session_count().await.unwrap(), Some(25));

        // A snapshot changes nothing a reader sees, written at once or a slice at a time
        // with writes in between.
        let journal = db.journal_len().await.unwrap();
        assert!(journal >= 100, "{journal} entries");
        // A second connection, as the writer thread's: the snapshot is made beside it.
        let mut other = Journal::open(&path, "").unwrap();
        assert_eq!(other.entries().unwrap(), journal);
        let upto = other.snapshot_begin().unwrap();
        let all: Vec<(String, Box<str>, i64)> = lock(&local.live)
            .stored
            .iter()
            .map(|(id, (j, e))| (id.clone(), j.clone(), *e))
            .collect();
        other.snapshot_write(&all[..10]).unwrap();
        local.save("s1", &data("after"), exp).await.unwrap();
        local.delete("s3").await.unwrap();
        other.snapshot_write(&all[10..]).unwrap();
        assert_eq!(other.snapshot_finish(upto).unwrap(), 2);
        let live = db.live_sessions().await.unwrap();
        assert!(!live.contains_key("s3"));
        let s1: SessionData = serde_json::from_str(&live["s1"].0).unwrap();
        assert_eq!(s1.user_name, "after");
        local.save("s1", &data("B1"), exp).await.unwrap();
        local.save("s3", &data("B3"), exp).await.unwrap();
        check(&db.live_sessions().await.unwrap());
        // A whole snapshot at once, after the writer's appends: the journal is emptied.
        let upto = other.snapshot_begin().unwrap();
        let all: Vec<(String, Box<str>, i64)> = db
            .live_sessions()
            .await
            .unwrap()
            .into_iter()
            .map(|(id, (j, e))| (id, j, e))
            .collect();
        other.snapshot_write(&all).unwrap();
        assert_eq!(other.snapshot_finish(upto).unwrap(), 0);
        assert_eq!(db.journal_len().await.unwrap(), 0);
        check(&db.live_sessions().await.unwrap());
        // The writer appends after the tables were swapped under it.
        local.save("s5", &data("B5"), exp).await.unwrap();
        assert_eq!(db.journal_len().await.unwrap(), 1);
        check(&db.live_sessions().await.unwrap());
        // One process per file: a second store on it is refused while the first lives.
        let second = LocalSessions::open(db.clone(), &path, 1_000_000).await;
        assert!(
            matches!(&second, Err(StoreError::Db(e)) if e.contains("one process per file")),
            "a second store on the same file must be refused"
        );
        drop(local);
        let reopened = LocalSessions::open(db.clone(), &path, 1_000_000)
            .await
            .unwrap();
        reopened.wait_loaded().await.unwrap();
        check(&lock(&reopened.live).stored);
    }

    /// The writer's own snapshots: the journal shrinks to the entries made since, and what a
    /// restart reads is what was live — across several snapshots, with writes between them.
    #[tokio::test]
    async fn the_writer_compacts_the_journal_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let db = SqliteStore::open(&path).await.unwrap();
        let local = LocalSessions::open_compacting_from(db.clone(), &path, 1_000_000, 100)
            .await
            .unwrap();
        let exp = time::now() + 600;
        let mut most = 0;
        for round in 0..30 {
            for i in 0..10 {
                let id = format!("s{i}");
                local
                    .save(&id, &data(&format!("{round}-{i}")), exp)
                    .await
                    .unwrap();
            }
            local.delete(&format!("s{}", round % 10)).await.unwrap();
            most = most.max(db.journal_len().await.unwrap());
        }
        // 330 writes; a snapshot once past 100 entries and 4 × (at most 10) live sessions.
        let left = db.journal_len().await.unwrap();
        assert!(
            most <= 102 && left < 100,
            "journal at most {most}, now {left}"
        );
        let live = db.live_sessions().await.unwrap();
        assert_eq!(live.len(), 9, "{:?}", live.keys().collect::<Vec<_>>());
        assert!(!live.contains_key("s9"), "deleted last, must stay deleted");
        for i in 0..9 {
            let d: SessionData = serde_json::from_str(&live[&format!("s{i}")].0).unwrap();
            assert_eq!(d.user_name, format!("29-{i}"));
        }
        assert_eq!(db.session_count().await.unwrap(), Some(9));
        drop(local);
        let reopened = LocalSessions::open(db.clone(), &path, 1_000_000)
            .await
            .unwrap();
        reopened.wait_loaded().await.unwrap();
        assert_eq!(lock(&reopened.live).stored, live);
    }

    /// Another connection holding the file's write lock (the purge, a user written through
    /// the pool) delays the commit, never the runtime, and the write lands once the lock is
    /// free instead of failing.
    #[tokio::test]
    async fn a_held_write_lock_delays_the_commit_not_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let db = SqliteStore::open(&path).await.unwrap();
        let local = Arc::new(
            LocalSessions::open(db.clone(), &path, 1_000_000)
                .await
                .unwrap(),
        );
        let exp = time::now() + 600;
        local.save("before", &data("B"), exp).await.unwrap();

        let blocker = rusqlite::Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let writer = local.clone();
        let save = tokio::spawn(async move { writer.save("during", &data("D"), exp).await });
        // This test's runtime has one thread: had the commit waited for the lock on it,
        // nothing else would run until SQLite gave up.
        for _ in 0..20 {
            let started = std::time::Instant::now();
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            let took = started.elapsed();
            assert!(
                took < std::time::Duration::from_millis(200),
                "runtime held for {took:?}"
            );
            assert!(local.load("before").await.unwrap().is_some());
        }
        assert!(
            !save.is_finished(),
            "committed while another connection held the lock"
        );
        blocker.execute_batch("COMMIT").unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), save)
            .await
            .expect("the commit is made once the lock is free")
            .unwrap()
            .unwrap();
        assert!(db.live_sessions().await.unwrap().contains_key("during"));
    }

    #[tokio::test]
    async fn past_max_sessions_the_oldest_anonymous_ones_end_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let db = SqliteStore::open(&path).await.unwrap();
        let local = LocalSessions::open(db.clone(), &path, 10).await.unwrap();
        let now = time::now();
        for i in 0..6 {
            local
                .save(&format!("user{i}"), &data("U"), now + 600 + i)
                .await
                .unwrap();
        }
        let anon = SessionData::default();
        for i in 0..6 {
            local
                .save(&format!("anon{i}"), &anon, now + 600 + i)
                .await
                .unwrap();
        }
        // Each time there are 11 (> 10): the excess (1) and a tenth of the bound (1) end,
        // anonymous and oldest first — after anon4, then after anon-last.
        local.save("anon-last", &anon, now + 900).await.unwrap();
        let live = db.live_sessions().await.unwrap();
        assert_eq!(live.len(), 9, "{:?}", live.keys().collect::<Vec<_>>());
        for gone in ["anon0", "anon1", "anon2", "anon3"] {
            assert!(local.load(gone).await.unwrap().is_none(), "{gone}");
            assert!(!live.contains_key(gone), "{gone} still in the file");
        }
        for i in 0..6 {
            assert!(local.load(&format!("user{i}")).await.unwrap().is_some());
        }
        assert!(local.load("anon-last").await.unwrap().is_some());
    }

    /// The parsed copies never outlive or outvote the stored JSON: a write, a delete, an
    /// eviction or the expiry is seen by the next read, and the copies stay bounded.
    #[tokio::test]
    async fn parsed_sessions_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let db = SqliteStore::open(&path).await.unwrap();
        let local = LocalSessions::open(db.clone(), &path, 2).await.unwrap();
        let now = time::now();
        local.save("a", &data("A1"), now + 600).await.unwrap();
        let first = local.load("a").await.unwrap().unwrap().0;
        let again = local.load("a").await.unwrap().unwrap().0;
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second read shares the first parse"
        );
        local.save("a", &data("A2"), now + 600).await.unwrap();
        assert_eq!(local.load("a").await.unwrap().unwrap().0.user_name, "A2");
        local.delete("a").await.unwrap();
        assert!(local.load("a").await.unwrap().is_none());

        // Evicted past max_sessions (2) while parsed: gone.
        for id in ["b", "c"] {
            local.save(id, &data(id), now + 600).await.unwrap();
            local.load(id).await.unwrap().unwrap();
        }
        local.save("d", &data("d"), now + 900).await.unwrap();
        let left: Vec<bool> =
            futures_util::future::join_all(["b", "c", "d"].map(|id| local.load(id)))
                .await
                .into_iter()
                .map(|r| r.unwrap().is_some())
                .collect();
        assert_eq!(left.iter().filter(|l| **l).count(), 2, "{left:?}");

        // Expired while parsed: gone.
        local.save("e", &data("e"), now + 2000).await.unwrap();
        local.load("e").await.unwrap().unwrap();
        lock(&local.live).stored.get_mut("e").unwrap().1 = now - 1;
        assert!(local.load("e").await.unwrap().is_none());

        // Bounded.
        for i in 0..PARSED_MAX + 10 {
            let id = format!("x{i}");
            lock(&local.live).stored.insert(
                id.clone(),
                (r#"{"user_id":0,"user_name":""}"#.into(), now + 600),
            );
            local.load(&id).await.unwrap().unwrap();
        }
        assert!(lock(&local.live).parsed.len() <= PARSED_MAX);
    }
}
