//! Sessions of a single node kept in its SQLite file: the embedded default.
//!
//! Only this process uses the file's sessions (several nodes need Redis), so every live
//! session is held in memory — as the JSON stored in the file, about 300 bytes a session —
//! and the files are written, never read, while the server runs:
//! - **reads** come from memory alone;
//! - **writes** are appended by the request itself to the session log beside the database
//!   (super::session_log: one `pwrite` into the page cache), then applied to memory, both
//!   under one lock so that the log's order is memory's order. A request is answered only
//!   after its record is written: a crash of the process loses no session a client was told
//!   about and revives no session it logged out;
//! - once the log holds more than [`COMPACT_FROM`] records and four times as many as there
//!   are live sessions, the background thread `mwauth-sessions` begins a new log file and
//!   writes the live sessions out as a new `mwauth_session` a slice at a time
//!   (super::snapshot), then deletes the log files the snapshot covers; at start-up the
//!   table is read, then the log files in order. The same thread `fdatasync`s the log once
//!   a second;
//! - **throttle counters** live in memory, as in MediaWiki's object cache: a restart forgets
//!   them, nothing else does.

use super::memory::MemoryStore;
use super::session_log::{self, LogFile, Stored};
use super::snapshot::Snapshots;
use super::sqlite::SqliteStore;
use super::{SessionStore, StoreError, StoreResult};
use crate::session::SessionData;
use crate::time;
use async_trait::async_trait;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// Log length from which a new snapshot may be written: about 64 MiB of records (~220
/// bytes each), Redis's floor for rewriting its append-only file. Below it a snapshot is
/// not worth its cost: it copies every live session into SQLite, which took a tenth of the
/// server's CPU while it ran in a wave of logouts, and a log this size is read back in the
/// background at start-up in a few hundred milliseconds (100,000 records: 41–76 ms).
pub const COMPACT_FROM: u64 = 300_000;
/// …and from which multiple of the live sessions. A snapshot copies every live session, so
/// between two of them the log grows by at least (ratio - 1) × live records: with 4, a
/// write costs at most a third of a copy, and a restart reads at most four records a
/// session besides the table.
const COMPACT_RATIO: u64 = 4;
/// Sessions copied into the snapshot per transaction: no request waits for a snapshot, but
/// a user written through the pool waits for the slice being committed.
const SNAPSHOT_SLICE: usize = 2000;
/// How often the background thread makes the log durable on disk.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// Most sessions kept parsed (see [`Live::parsed`]): a few megabytes.
const PARSED_MAX: usize = 4096;

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

/// What the request side and the background thread share.
struct Shared {
    live: Mutex<Live>,
    /// The log file written now; `None` until the thread has read the sessions. Taken
    /// before `live` when both are needed.
    log: Mutex<Option<LogFile>>,
    /// Set by every append, cleared by the thread's `fdatasync`.
    dirty: AtomicBool,
    /// Set while a snapshot is asked for or being written.
    snapshotting: AtomicBool,
    /// Set once the sessions are read and the log is open (the fast path of every request).
    ready: AtomicBool,
}

pub struct LocalSessions {
    db: SqliteStore,
    shared: Arc<Shared>,
    /// Wakes the background thread for a snapshot; dropping it ends the thread.
    jobs: SyncSender<()>,
    throttles: MemoryStore,
    max_sessions: usize,
    compact_from: u64,
    /// `None` while the sessions are read, then whether that worked.
    loaded: watch::Receiver<Option<Result<(), String>>>,
    /// An exclusive lock on `FILE.lock` beside the database, held while this store lives:
    /// a second server on the same file would keep sessions the first never sees.
    _lock: Option<std::fs::File>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data: a panic elsewhere while holding the lock cannot leave it torn.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LocalSessions {
    /// Reads the file's live sessions (the table through the pool, then the log files on the
    /// background thread it starts). The server answers at once: session lookups and writes
    /// wait (a fraction of a second for 100,000 sessions) until the sessions are read, never
    /// answer without them. `max_sessions` bounds the live sessions (memory): past it the
    /// oldest end, anonymous ones first (see [`evictions`]).
    pub async fn open(
        db: SqliteStore,
        path: &Path,
        max_sessions: usize,
    ) -> StoreResult<LocalSessions> {
        Self::open_compacting_from(db, path, max_sessions, COMPACT_FROM).await
    }

    /// As [`open`](Self::open), with snapshots from `compact_from` log records (tests).
    async fn open_compacting_from(
        db: SqliteStore,
        path: &Path,
        max_sessions: usize,
        compact_from: u64,
    ) -> StoreResult<LocalSessions> {
        let lock = lock_file(path)?;
        // Fail at start-up, not at the first request, when the tables cannot be read.
        db.sessions_readable().await?;
        let shared = Arc::new(Shared {
            live: Mutex::new(Live::default()),
            log: Mutex::new(None),
            dirty: AtomicBool::new(false),
            snapshotting: AtomicBool::new(false),
            ready: AtomicBool::new(false),
        });
        let (loaded_tx, loaded) = watch::channel(None);
        let (jobs, jobs_rx) = std::sync::mpsc::sync_channel(1);
        let background = Background {
            path: path.to_path_buf(),
            snapshots: Snapshots::open(path, db.prefix())?,
            shared: shared.clone(),
            sync: None,
        };
        tokio::spawn(start(db.clone(), background, jobs_rx, loaded_tx));
        Ok(LocalSessions {
            db,
            shared,
            jobs,
            throttles: MemoryStore::new(),
            max_sessions: max_sessions.max(1),
            compact_from,
            loaded,
            _lock: lock,
        })
    }

    /// Waits until the file's sessions are in memory.
    async fn wait_loaded(&self) -> StoreResult<()> {
        if self.shared.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut loaded = self.loaded.clone();
        let state = loaded
            .wait_for(Option::is_some)
            .await
            .map_err(|_| StoreError::Db("the session thread has stopped".to_string()))?;
        match &*state {
            Some(Err(e)) => Err(StoreError::Db(format!("reading the sessions failed: {e}"))),
            _ => Ok(()),
        }
    }

    /// Appends the write to the log, then applies it to memory; past `max_sessions`, ends the
    /// oldest sessions the same way before returning, so that no request returns while more
    /// sessions live than that.
    ///
    /// The `pwrite` blocks this worker for the few microseconds a copy into the page cache
    /// takes — less than handing the write to another thread and being woken again.
    async fn write(&self, id: &str, data: Option<(Box<str>, i64)>) -> StoreResult<()> {
        self.wait_loaded().await?;
        if id.len() > session_log::MAX_ID {
            return Err(StoreError::Db(format!(
                "session id of {} bytes (at most {})",
                id.len(),
                session_log::MAX_ID
            )));
        }
        let mut record = Vec::with_capacity(64 + data.as_ref().map_or(0, |(j, _)| j.len()));
        session_log::encode(&mut record, id, data.as_ref().map(|(j, e)| (&**j, *e)));
        let snapshot_due = {
            let mut log = lock(&self.shared.log);
            let log = log
                .as_mut()
                .ok_or_else(|| StoreError::Db("the session log is not open".to_string()))?;
            log.append(&record, 1)?;
            self.shared.dirty.store(true, Ordering::Relaxed);
            let mut live = lock(&self.shared.live);
            match data {
                Some((json, expires)) => live.set(id.to_string(), json, expires),
                None => live.remove(id),
            }
            if live.stored.len() > self.max_sessions {
                self.evict(log, &mut live);
            }
            log.records > self.compact_from
                && log.records > COMPACT_RATIO * live.stored.len() as u64
        };
        if snapshot_due && !self.shared.snapshotting.swap(true, Ordering::AcqRel) {
            // The channel holds one wake-up; the flag keeps it from being asked twice.
            let _ = self.jobs.try_send(());
        }
        Ok(())
    }

    /// Ends the oldest sessions past `max_sessions` (under both locks: a rare scan of every
    /// session, when a flood of new sessions meets the bound).
    fn evict(&self, log: &mut LogFile, live: &mut Live) {
        let ids = evictions(&live.stored, self.max_sessions);
        let mut records = Vec::with_capacity(64 * ids.len());
        for id in &ids {
            session_log::encode(&mut records, id, None);
        }
        match log.append(&records, ids.len() as u64) {
            Ok(()) => {
                for id in &ids {
                    live.remove(id);
                }
                tracing::warn!(
                    evicted = ids.len(),
                    max_sessions = self.max_sessions,
                    "more live sessions than max_sessions: the oldest ended"
                );
            }
            Err(e) => tracing::warn!("ending sessions over max_sessions failed: {e}"),
        }
    }
}

/// Takes the exclusive lock on `PATH.lock`; refuses when another process holds it. An
/// in-memory database (no file) needs no lock.
fn lock_file(path: &Path) -> StoreResult<Option<std::fs::File>> {
    if session_log::in_memory(path) {
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

/// The background thread's share: the snapshots' connection and a handle to sync the log.
struct Background {
    path: PathBuf,
    snapshots: Snapshots,
    shared: Arc<Shared>,
    /// The current log file, for `fdatasync`.
    sync: Option<Arc<std::fs::File>>,
}

/// Reads the tables' sessions through the pool, then starts the background thread, which
/// applies the log files and opens a new one before anything is served.
async fn start(
    db: SqliteStore,
    background: Background,
    jobs: Receiver<()>,
    loaded: watch::Sender<Option<Result<(), String>>>,
) {
    let table = match db.stored_sessions().await {
        Ok(table) => table,
        Err(e) => {
            tracing::error!("reading the sessions failed: {e}");
            let _ = loaded.send(Some(Err(e.to_string())));
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("mwauth-sessions".into())
        .spawn(move || background.run(table, jobs, loaded));
    if let Err(e) = spawned {
        tracing::error!("cannot start the session thread: {e}");
    }
}

impl Background {
    /// Applies the log files over the table, begins a new generation, lets requests in;
    /// then snapshots when asked and syncs the log every [`SYNC_EVERY`], until the store is
    /// dropped.
    fn run(
        mut self,
        mut table: Stored,
        jobs: Receiver<()>,
        loaded: watch::Sender<Option<Result<(), String>>>,
    ) {
        let opened = session_log::replay(&self.path, &mut table, time::now()).and_then(|seen| {
            if seen.damaged_bytes > 0 {
                tracing::warn!(
                    bytes = seen.damaged_bytes,
                    "the session log ends in a damaged record (a write cut short by a crash); \
                     the records before it were read"
                );
            }
            session_log::remove_empty(&self.path)?;
            LogFile::create(&self.path, seen.last_generation + 1, seen.records)
        });
        let log = match opened {
            Ok(log) => log,
            Err(e) => {
                tracing::error!("reading the session log failed: {e}");
                let _ = loaded.send(Some(Err(format!("session log: {e}"))));
                return;
            }
        };
        self.sync = log.sync_handle();
        lock(&self.shared.live).stored = table;
        *lock(&self.shared.log) = Some(log);
        self.shared.ready.store(true, Ordering::Release);
        let _ = loaded.send(Some(Ok(())));
        loop {
            match jobs.recv_timeout(SYNC_EVERY) {
                Ok(()) => {
                    if let Err(e) = self.snapshot() {
                        tracing::warn!("writing a session snapshot failed: {e}");
                    }
                    self.shared.snapshotting.store(false, Ordering::Release);
                }
                Err(RecvTimeoutError::Timeout) => self.sync(),
                Err(RecvTimeoutError::Disconnected) => {
                    self.sync();
                    return;
                }
            }
        }
    }

    fn sync(&mut self) {
        if !self.shared.dirty.swap(false, Ordering::AcqRel) {
            return;
        }
        if let Some(file) = &self.sync {
            if let Err(e) = file.sync_data() {
                tracing::warn!("syncing the session log failed: {e}");
            }
        }
    }

    /// Begins a new log generation, copies the live sessions into a new `mwauth_session`,
    /// then deletes the generations before the new one: everything they hold was in memory
    /// when the new one began, so the snapshot has it (or something newer).
    fn snapshot(&mut self) -> StoreResult<()> {
        let (generation, old) = {
            let mut log = lock(&self.shared.log);
            let Some(current) = log.as_mut() else {
                return Ok(());
            };
            let next = LogFile::create(&self.path, current.generation + 1, 0)?;
            let old = std::mem::replace(current, next);
            self.sync = current.sync_handle();
            (current.generation, old)
        };
        // What the old file holds is about to be covered by the snapshot; until then it is
        // all there is, so it goes to disk now rather than a second from now.
        old.sync_data()?;
        drop(old);
        let mut todo: Vec<String> = lock(&self.shared.live).stored.keys().cloned().collect();
        // Copied in id order: each slice adds to the end of the new table's b-tree instead
        // of all over it.
        todo.sort_unstable();
        self.snapshots.begin()?;
        for ids in todo.chunks(SNAPSHOT_SLICE) {
            let rows: Vec<(String, Box<str>, i64)> = {
                let live = lock(&self.shared.live);
                ids.iter()
                    .filter_map(|id| {
                        let (json, expires) = live.stored.get(id)?.clone();
                        Some((id.clone(), json, expires))
                    })
                    .collect()
            };
            self.snapshots.write(&rows)?;
        }
        self.snapshots.finish()?;
        session_log::remove_before(&self.path, generation)?;
        Ok(())
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

#[async_trait]
impl SessionStore for LocalSessions {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        self.wait_loaded().await?;
        let now = time::now();
        let mut map = lock(&self.shared.live);
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

    async fn throttle_count(&self, key: &str) -> StoreResult<u64> {
        self.throttles.throttle_count(key).await
    }

    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()> {
        self.throttles.throttle_set(key, value, ttl).await
    }

    fn sessions_held(&self) -> Option<u64> {
        Some(lock(&self.shared.live).stored.len() as u64)
    }

    async fn purge_expired(&self) -> StoreResult<u64> {
        self.wait_loaded().await?;
        let now = time::now();
        let in_memory = {
            let mut map = lock(&self.shared.live);
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
mod tests;
