//! Backends chosen by URL.
//!
//! Users: `sqlite:PATH` (or `sqlite://PATH`; bare `sqlite` is the default file),
//! `mysql://user:pass@host:port/db` (MariaDB or MySQL), `postgres://…` / `postgresql://…`.
//! Sessions: `memory`, `sqlite:PATH` (bare `sqlite`: the default file), `redis://host:port/db`.
//! With `session_format = "php"` (MediaWiki's own records, shared with a PHP wiki):
//! `redis://…` (database 0, as RedisBagOStuff uses), or the wiki's `objectcache` table:
//! `objectcache+sqlite:PATH`, `objectcache+mysql://…`, `objectcache+postgres://…`.
//! When users and sessions name the same SQLite file, one connection pool serves both.

use super::cache::CachedUsers;
use super::local::LocalSessions;
use super::memory::MemoryStore;
use super::mysql::MysqlUserStore;
use super::objectcache::ObjectCacheStore;
use super::postgres::PostgresUserStore;
use super::redis::RedisSessionStore;
use super::redis_php::RedisPhpSessionStore;
use super::sqlite::SqliteStore;
use super::{SessionStore, StoreError, StoreResult, UserStore};
use crate::config::SessionFormat;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsersUrl {
    Sqlite(PathBuf),
    Mysql(String),
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionsUrl {
    Memory,
    Sqlite(PathBuf),
    Redis(String),
    /// MediaWiki's records in Redis ([`RedisPhpSessionStore`]).
    RedisPhp(String),
    /// MediaWiki's records in its `objectcache` table ([`ObjectCacheStore`]); the URL after
    /// `objectcache+`.
    ObjectCache(String),
}

fn sqlite_path(url: &str, default: &Path) -> Option<PathBuf> {
    if url == "sqlite" || url == "sqlite:" || url == "sqlite://" {
        return Some(default.to_path_buf());
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(rest))
}

impl UsersUrl {
    /// `default_sqlite` is the file a bare `sqlite` (or no setting at all) means.
    pub fn parse(url: &str, default_sqlite: &Path) -> StoreResult<UsersUrl> {
        let url = url.trim();
        if let Some(p) = sqlite_path(url, default_sqlite) {
            Ok(UsersUrl::Sqlite(p))
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            Ok(UsersUrl::Mysql(url.replacen("mariadb://", "mysql://", 1)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(UsersUrl::Postgres(url.to_string()))
        } else {
            Err(StoreError::Db(format!(
                "unknown users backend \"{}\": use sqlite:PATH, mysql://… or postgres://…",
                redact(url)
            )))
        }
    }

    pub fn display(&self) -> String {
        match self {
            UsersUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            UsersUrl::Mysql(u) | UsersUrl::Postgres(u) => redact(u),
        }
    }
}

impl SessionsUrl {
    /// A URL for mwauth's own session format.
    pub fn parse(url: &str, default_sqlite: &Path) -> StoreResult<SessionsUrl> {
        SessionsUrl::parse_as(url, default_sqlite, SessionFormat::Native)
    }

    /// A URL for sessions stored in `format`.
    pub fn parse_as(
        url: &str,
        default_sqlite: &Path,
        format: SessionFormat,
    ) -> StoreResult<SessionsUrl> {
        let url = url.trim();
        if format == SessionFormat::Php {
            return if url.starts_with("redis://") || url.starts_with("redis+unix://") {
                Ok(SessionsUrl::RedisPhp(url.to_string()))
            } else if let Some(rest) = url.strip_prefix("objectcache+").filter(|rest| {
                [
                    "sqlite:",
                    "mysql://",
                    "mariadb://",
                    "postgres://",
                    "postgresql://",
                ]
                .iter()
                .any(|s| rest.starts_with(s))
            }) {
                Ok(SessionsUrl::ObjectCache(rest.replacen(
                    "mariadb://",
                    "mysql://",
                    1,
                )))
            } else {
                Err(StoreError::Db(format!(
                    "unknown sessions backend \"{}\" for session_format = \"php\": use \
                     redis://…, objectcache+sqlite:PATH, objectcache+mysql://… or \
                     objectcache+postgres://…",
                    redact(url)
                )))
            };
        }
        if url.starts_with("objectcache+") {
            return Err(StoreError::Db(
                "the objectcache table holds MediaWiki's own session records: it needs \
                 session_format = \"php\""
                    .to_string(),
            ));
        }
        if url == "memory" || url == "memory:" {
            Ok(SessionsUrl::Memory)
        } else if let Some(p) = sqlite_path(url, default_sqlite) {
            Ok(SessionsUrl::Sqlite(p))
        } else if url.starts_with("redis://") || url.starts_with("redis+unix://") {
            Ok(SessionsUrl::Redis(url.to_string()))
        } else {
            Err(StoreError::Db(format!(
                "unknown sessions backend \"{}\": use memory, sqlite:PATH or redis://…",
                redact(url)
            )))
        }
    }

    pub fn display(&self) -> String {
        match self {
            SessionsUrl::Memory => "memory".to_string(),
            SessionsUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            SessionsUrl::Redis(u) => redact(u),
            SessionsUrl::RedisPhp(u) => format!("{} (MediaWiki records)", redact(u)),
            SessionsUrl::ObjectCache(u) => format!("objectcache+{}", redact(u)),
        }
    }
}

/// The URL with any password replaced by `***`, for logs and reports.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..auth_end].rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// What the stores are opened with besides their URLs.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `$wgDBprefix` for the SQL tables.
    pub table_prefix: String,
    /// The Redis keyspace for session keys (see [`super::redis::wiki_domain_id`]).
    pub keyspace: String,
    /// How long user and bot-password rows are reused ([`super::cache`]); zero: never.
    pub user_cache: std::time::Duration,
    /// Most live sessions the embedded default keeps ([`super::local`]).
    pub max_sessions: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            table_prefix: String::new(),
            keyspace: String::new(),
            user_cache: std::time::Duration::from_secs(1),
            max_sessions: 1_000_000,
        }
    }
}

/// The opened stores.
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
}

/// Opens both stores, creating missing tables.
pub async fn open(
    users: &UsersUrl,
    sessions: &SessionsUrl,
    opts: &StoreOptions,
) -> StoreResult<Stores> {
    let mut shared_sqlite: Option<(PathBuf, SqliteStore)> = None;
    let users: Arc<dyn UserStore> = match users {
        UsersUrl::Sqlite(p) => {
            let s = SqliteStore::open_with_prefix(p, &opts.table_prefix).await?;
            shared_sqlite = Some((p.clone(), s.clone()));
            Arc::new(s)
        }
        UsersUrl::Mysql(u) => Arc::new(MysqlUserStore::open(u, &opts.table_prefix).await?),
        UsersUrl::Postgres(u) => Arc::new(PostgresUserStore::open(u, &opts.table_prefix).await?),
    };
    let sessions: Arc<dyn SessionStore> = match sessions {
        SessionsUrl::Memory => Arc::new(MemoryStore::new()),
        SessionsUrl::Sqlite(p) => {
            let db = match shared_sqlite {
                Some((ref up, ref s)) if up == p => s.clone(),
                _ => SqliteStore::open_with_prefix(p, &opts.table_prefix).await?,
            };
            Arc::new(LocalSessions::open(db, p, opts.max_sessions).await?)
        }
        SessionsUrl::Redis(u) => Arc::new(RedisSessionStore::open(u, &opts.keyspace)?),
        SessionsUrl::RedisPhp(u) => Arc::new(RedisPhpSessionStore::open(u, &opts.keyspace)?),
        SessionsUrl::ObjectCache(u) => {
            Arc::new(ObjectCacheStore::open(u, objectcache_prefix(u, opts), &opts.keyspace).await?)
        }
    };
    let users: Arc<dyn UserStore> = if opts.user_cache.is_zero() {
        users
    } else {
        Arc::new(CachedUsers::new(users, opts.user_cache))
    };
    Ok(Stores { users, sessions })
}

/// The prefix of the `objectcache` table: the wiki's, except in the separate
/// `wikicache.sqlite` of an SQLite wiki, which SqliteInstaller sets up with none.
fn objectcache_prefix<'a>(target: &str, opts: &'a StoreOptions) -> &'a str {
    if target.starts_with("sqlite:") {
        ""
    } else {
        &opts.table_prefix
    }
}

fn describe_tables(present: &[&str], count: Option<i64>) -> String {
    let missing: Vec<&str> = super::sql::TABLES
        .iter()
        .copied()
        .filter(|t| !present.contains(t))
        .collect();
    let users = count
        .map(|n| format!(", {n} user{}", if n == 1 { "" } else { "s" }))
        .unwrap_or_default();
    if missing.is_empty() {
        format!("tables present{users}")
    } else if present.is_empty() {
        "tables missing (created on first start)".to_string()
    } else {
        format!(
            "tables missing: {} (created on first start){users}",
            missing.join(", ")
        )
    }
}

/// Connects to the users backend without changing anything and says what is there, e.g.
/// `tables present, 5 users`.
pub async fn check_users(users: &UsersUrl, opts: &StoreOptions) -> StoreResult<String> {
    let (present, count, note) = match users {
        UsersUrl::Sqlite(p) => {
            if !p.exists() {
                return Ok("file missing (created on first start)".to_string());
            }
            let s = SqliteStore::connect_existing(p, &opts.table_prefix).await?;
            let (present, count) = s.inspect().await?;
            s.close().await;
            (present, count, String::new())
        }
        UsersUrl::Mysql(u) => {
            let s = MysqlUserStore::connect(u, &opts.table_prefix).await?;
            let (present, count) = s.inspect().await?;
            s.close().await;
            (present, count, String::new())
        }
        UsersUrl::Postgres(u) => {
            let s = PostgresUserStore::connect(u, &opts.table_prefix).await?;
            let (present, count) = s.inspect().await?;
            let note = if s.user_table().contains("mwuser") {
                " (user table: mwuser, as before MediaWiki 1.37)".to_string()
            } else {
                String::new()
            };
            s.close().await;
            (present, count, note)
        }
    };
    Ok(format!("{}{note}", describe_tables(&present, count)))
}

/// Connects to the sessions backend and says what is there, e.g. `PING ok (Redis 7.0.15)`.
pub async fn check_sessions(sessions: &SessionsUrl, opts: &StoreOptions) -> StoreResult<String> {
    match sessions {
        SessionsUrl::Memory => Ok("in-process memory (not shared between nodes)".to_string()),
        SessionsUrl::Sqlite(p) => {
            if !p.exists() {
                return Ok("file missing (created on first start)".to_string());
            }
            let s = SqliteStore::connect_existing(p, &opts.table_prefix).await?;
            let n = s.session_count().await?;
            s.close().await;
            Ok(match n {
                Some(n) => format!(
                    "session table present, {n} live session{}",
                    if n == 1 { "" } else { "s" }
                ),
                None => "session table missing (created on first start)".to_string(),
            })
        }
        SessionsUrl::ObjectCache(u) => {
            let prefix = objectcache_prefix(u, opts);
            ObjectCacheStore::open(u, prefix, &opts.keyspace).await?;
            Ok(format!(
                "{prefix}objectcache present, keys under {}:MWSession:",
                opts.keyspace
            ))
        }
        SessionsUrl::Redis(u) | SessionsUrl::RedisPhp(u) => {
            let s = RedisSessionStore::open(u, &opts.keyspace)?;
            let pong = s.ping().await?;
            let version = s.server_version().await.ok().flatten();
            Ok(format!(
                "PING {}{}, keys under {}:MWSession:",
                if pong == "PONG" { "ok" } else { pong.as_str() },
                version.map(|v| format!(" (Redis {v})")).unwrap_or_default(),
                opts.keyspace
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backend_urls() {
        let d = Path::new("/data/mwauth.sqlite");
        assert_eq!(
            UsersUrl::parse("sqlite", d).unwrap(),
            UsersUrl::Sqlite(d.into())
        );
        assert_eq!(
            UsersUrl::parse("sqlite:/tmp/w.db", d).unwrap(),
            UsersUrl::Sqlite("/tmp/w.db".into())
        );
        assert_eq!(
            UsersUrl::parse("sqlite://rel/w.db", d).unwrap(),
            UsersUrl::Sqlite("rel/w.db".into())
        );
        assert!(matches!(
            UsersUrl::parse("mariadb://root@127.0.0.1/test", d).unwrap(),
            UsersUrl::Mysql(u) if u == "mysql://root@127.0.0.1/test"
        ));
        assert!(matches!(
            UsersUrl::parse("postgresql://x@h/db", d).unwrap(),
            UsersUrl::Postgres(_)
        ));
        assert!(UsersUrl::parse("redis://h", d).is_err());
        assert_eq!(
            SessionsUrl::parse("memory", d).unwrap(),
            SessionsUrl::Memory
        );
        assert!(matches!(
            SessionsUrl::parse("redis://127.0.0.1:6379/0", d).unwrap(),
            SessionsUrl::Redis(_)
        ));
        assert!(SessionsUrl::parse("mysql://h/db", d).is_err());
        assert!(SessionsUrl::parse("objectcache+sqlite:/w/c.sqlite", d).is_err());
        let php = SessionFormat::Php;
        assert_eq!(
            SessionsUrl::parse_as("redis://127.0.0.1:6379", d, php).unwrap(),
            SessionsUrl::RedisPhp("redis://127.0.0.1:6379".into())
        );
        assert_eq!(
            SessionsUrl::parse_as("objectcache+sqlite:/w/c.sqlite", d, php).unwrap(),
            SessionsUrl::ObjectCache("sqlite:/w/c.sqlite".into())
        );
        assert_eq!(
            SessionsUrl::parse_as("objectcache+mariadb://root@h/w", d, php).unwrap(),
            SessionsUrl::ObjectCache("mysql://root@h/w".into())
        );
        assert!(SessionsUrl::parse_as("sqlite", d, php).is_err());
        assert!(SessionsUrl::parse_as("objectcache+redis://h", d, php).is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("mysql://wiki:s3cr:et@db.example:3306/wiki?x=1"),
            "mysql://wiki:***@db.example:3306/wiki?x=1"
        );
        assert_eq!(
            redact("redis://:pw@127.0.0.1:6379"),
            "redis://:***@127.0.0.1:6379"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("memory"), "memory");
    }
}
