//! Server configuration: built-in defaults, then an optional TOML file, then `MWAUTH_*`
//! environment variables and command-line flags (clap merges the last two).

use anyhow::Context as _;
use mwauth::store::redis::wiki_domain_id;
use mwauth::store::url::{SessionsUrl, StoreOptions, UsersUrl};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    /// Where `GET /metrics` (Prometheus) is served, on a listener of its own so that it can
    /// be kept off the public port. Unset (the default): no metrics are kept.
    pub metrics_listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    /// Where users live: `sqlite:PATH`, `mysql://…` (MariaDB/MySQL) or `postgres://…`, in
    /// MediaWiki's own tables. Unset: the data directory's SQLite file.
    pub users: Option<String>,
    /// Where sessions and throttle counters live: `memory`, `sqlite:PATH` or `redis://…`.
    /// Unset: the data directory's SQLite file.
    pub sessions: Option<String>,
    /// `$wgDBprefix`: put before every table name.
    pub table_prefix: String,
    /// `$wgCachePrefix`: the keyspace of session keys in Redis. Unset: the wiki id, with
    /// `-{table_prefix}` when there is a prefix (MediaWiki's default).
    pub cache_prefix: Option<String>,
    /// Maximum request body in bytes.
    pub max_body_bytes: usize,
    /// A connection idle this long (milliseconds: no request begun, none being answered) is
    /// closed, within twice this: an idle keep-alive connection, one that sends nothing, or
    /// one that dribbles its headers. A request body must arrive within this time (else 408).
    pub idle_timeout_ms: u64,
    /// Threads that serve connections, each owning the connections it is given (see
    /// `workers.rs`); 0: two per core. The first server of a process sets it for the process.
    pub workers: usize,
    /// How long (milliseconds) a user or bot-password row read from the database may be
    /// reused. Changes made through this server are seen at once; changes made by another
    /// node or process within this time. 0 reads the database for every request.
    pub user_cache_ms: u64,
    /// Most live sessions the embedded default (SQLite sessions) keeps in memory (about 350
    /// bytes each); past it the oldest end, anonymous ones first.
    pub max_sessions: usize,
    /// Settings that change what clients observe (see mwauth::Config).
    pub wiki: mwauth::Config,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            listen: None,
            metrics_listen: None,
            data_dir: None,
            users: None,
            sessions: None,
            table_prefix: String::new(),
            cache_prefix: None,
            max_body_bytes: 8 * 1024 * 1024,
            idle_timeout_ms: 30_000,
            workers: 0,
            user_cache_ms: 1000,
            max_sessions: 1_000_000,
            wiki: mwauth::Config::default(),
        }
    }
}

pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let file: FileConfig =
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))?;
    check(&file).with_context(|| format!("invalid config file {}", path.display()))?;
    Ok(file)
}

/// What TOML types cannot say: values that must have a certain form.
pub fn check(file: &FileConfig) -> anyhow::Result<()> {
    if file.idle_timeout_ms == 0 {
        anyhow::bail!("idle_timeout_ms must be at least 1");
    }
    if file.workers > 1024 {
        anyhow::bail!("workers must be at most 1024 (0: two per core)");
    }
    for proxy in &file.wiki.trusted_proxies {
        if !mwauth::user::botpassword::is_ip_range(proxy.trim()) {
            anyhow::bail!(
                "trusted_proxies: \"{proxy}\" is neither an IP address nor a CIDR range \
                 such as 10.0.0.0/8"
            );
        }
    }
    Ok(())
}

/// The data directory's SQLite file.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("mwauth.sqlite")
}

/// The users and sessions backends the settings name (the data directory's SQLite file for
/// any left unset).
pub fn backends(settings: &crate::Settings) -> anyhow::Result<(UsersUrl, SessionsUrl)> {
    let default = database_path(&settings.data_dir);
    let users = UsersUrl::parse(settings.file.users.as_deref().unwrap_or("sqlite"), &default)?;
    let sessions = SessionsUrl::parse(
        settings.file.sessions.as_deref().unwrap_or("sqlite"),
        &default,
    )?;
    Ok((users, sessions))
}

/// Table prefix and Redis keyspace.
pub fn store_options(settings: &crate::Settings) -> StoreOptions {
    let file = &settings.file;
    let keyspace = match file.cache_prefix.as_deref() {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => wiki_domain_id(&file.wiki.wiki_id, &file.table_prefix),
    };
    StoreOptions {
        table_prefix: file.table_prefix.clone(),
        keyspace,
        user_cache: std::time::Duration::from_millis(file.user_cache_ms),
        max_sessions: file.max_sessions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> anyhow::Result<FileConfig> {
        let file: FileConfig = toml::from_str(text)?;
        check(&file)?;
        Ok(file)
    }

    #[test]
    fn workers_and_idle_timeout_are_checked() {
        assert_eq!(parsed("").unwrap().workers, 0);
        assert_eq!(parsed("workers = 3").unwrap().workers, 3);
        let err = parsed("workers = 5000").unwrap_err().to_string();
        assert!(err.contains("workers must be at most 1024"), "{err}");
        assert!(parsed("workers = -1").is_err());
        let err = parsed("idle_timeout_ms = 0").unwrap_err().to_string();
        assert!(err.contains("idle_timeout_ms"), "{err}");
    }
}
