//! What the figures depend on: the machine, its load, the commit; and two measurements that
//! need no HTTP: the raw PBKDF2 rate and the session store's size.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory: String,
    pub kernel: String,
}

pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu,
        memory,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn load_1min() -> f64 {
    load_average()
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// `git rev-parse HEAD` of the workspace, and whether the work tree has changes.
pub fn commit() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .map(|s| s.lines().count())
                .unwrap_or(0);
            if dirty > 0 {
                format!("{head} (+ uncommitted changes in {dirty} tracked files)")
            } else {
                head
            }
        }
        None => "unknown (not a git checkout)".into(),
    }
}

/// PBKDF2-SHA512, 30000 rounds, 64 bytes — MediaWiki 1.39's default and what a bot-password
/// login verifies — computed on every core at once with nothing else running.
#[derive(Debug, Clone, Copy)]
pub struct HashRate {
    pub threads: usize,
    pub hashes: u64,
    pub per_second: f64,
}

pub fn hash_rate(threads: usize, seconds: f64) -> HashRate {
    use mwauth::user::password;
    let pw = "alicebotpasswordalicebotpass0001";
    let stored = password::hash_with_salt(pw, b"0123456789abcdef", password::PBKDF2_ROUNDS);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let per_thread: Vec<(u64, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let stored = &stored;
                s.spawn(move || {
                    let started = Instant::now();
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        assert!(password::verify(stored, pw));
                        n += 1;
                    }
                    (n, started.elapsed())
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    HashRate {
        threads,
        hashes: per_thread.iter().map(|(n, _)| n).sum(),
        per_second: per_thread
            .iter()
            .map(|(n, d)| *n as f64 / d.as_secs_f64().max(1e-9))
            .sum(),
    }
}

/// The sessions as the server's SQLite file and its session log hold them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreSize {
    /// Size of the database (pages in use, WAL included) and its session log, in bytes.
    pub bytes: i64,
    pub sessions: i64,
    /// Bytes of id, data and expiry of every session row.
    pub payload: i64,
}

pub async fn store_size(db: &Path) -> anyhow::Result<StoreSize> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Row};
    let mut conn = SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await?;
    let page_size: i64 = sqlx::query("PRAGMA page_size")
        .fetch_one(&mut conn)
        .await?
        .get(0);
    let page_count: i64 = sqlx::query("PRAGMA page_count")
        .fetch_one(&mut conn)
        .await?
        .get(0);
    let free: i64 = sqlx::query("PRAGMA freelist_count")
        .fetch_one(&mut conn)
        .await?
        .get(0);
    let row = sqlx::query(
        // mwauth_session, the session journal of earlier builds and the session log (see
        // mwauth::store::local): a session's row is in one of them, or in several for a while.
        "SELECT (SELECT COUNT(*) FROM mwauth_session) + (SELECT COUNT(*) FROM mwauth_session_journal), \
         (SELECT COALESCE(SUM(LENGTH(ms_id) + LENGTH(ms_data) + 8), 0) FROM mwauth_session) + \
         (SELECT COALESCE(SUM(LENGTH(mj_id) + LENGTH(COALESCE(mj_data, '')) + 16), 0) FROM mwauth_session_journal)",
    )
    .fetch_one(&mut conn)
    .await?;
    let log = mwauth::store::session_log::size(db)?;
    Ok(StoreSize {
        bytes: (page_count - free) * page_size + log.bytes as i64,
        sessions: row.get::<i64, _>(0) + log.records as i64,
        payload: row.get::<i64, _>(1) + log.payload as i64,
    })
}
