//! Server configuration: built-in defaults, then an optional TOML file, then `MWAUTH_*`
//! environment variables and command-line flags (clap merges the last two).

use anyhow::Context as _;
use mwauth::config::SessionFormat;
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
    /// `native` (the default): mwauth's own session records. `php`: MediaWiki's own, in the
    /// Redis or `objectcache` table a PHP MediaWiki 1.39 keeps its sessions in, so that both
    /// serve the same sessions (docs/beside-mediawiki.md).
    pub session_format: SessionFormat,
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
    /// The PHP MediaWiki mwauth stands in front of, `http://host:port`: every request mwauth
    /// does not answer completely goes there unchanged (see `upstream::passes`). Unset: none,
    /// and what mwauth does not serve is answered as without a wiki (404, or its own pages).
    pub upstream: Option<String>,
    /// Seconds to wait for the upstream (its answer's head after the request's body, and each
    /// piece of its answer's body) before answering 504.
    pub upstream_timeout: u64,
    /// With an upstream: serve mwauth's own Special:UserLogin, CreateAccount, UserLogout and
    /// BotPasswords instead of passing them to the wiki (whose skin and extensions they
    /// then lack).
    pub native_pages: bool,
    /// Settings that change what clients observe (see mwauth::Config).
    pub wiki: mwauth::Config,
    /// `[oath]`: OATHAuth two-factor logins. `load` moves it into `wiki.oath`.
    pub oath: mwauth::config::OathConfig,
    /// `[captcha]`: ConfirmEdit captchas. `load` moves it into `wiki.captcha`.
    pub captcha: mwauth::config::CaptchaConfig,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            listen: None,
            metrics_listen: None,
            data_dir: None,
            users: None,
            sessions: None,
            session_format: SessionFormat::Native,
            table_prefix: String::new(),
            cache_prefix: None,
            max_body_bytes: 8 * 1024 * 1024,
            idle_timeout_ms: 30_000,
            workers: 0,
            user_cache_ms: 1000,
            max_sessions: 1_000_000,
            upstream: None,
            upstream_timeout: 30,
            native_pages: false,
            wiki: mwauth::Config::default(),
            oath: Default::default(),
            captcha: Default::default(),
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
    Ok(with_sections_in_wiki(file))
}

/// The top-level `[oath]` and `[captcha]` sections are wiki settings too; the library reads
/// them from `wiki`.
/// `[wiki.group_permissions]` taking `createaccount` from `*` is `allow_account_creation =
/// false` too (which the account creation flows read).
fn with_sections_in_wiki(mut file: FileConfig) -> FileConfig {
    file.wiki.oath = std::mem::take(&mut file.oath);
    file.wiki.captcha = std::mem::take(&mut file.captcha);
    let star_may_not_create = file
        .wiki
        .group_permissions
        .iter()
        .any(|g| g.group == "*" && g.rights.iter().any(|(r, on)| r == "createaccount" && !on));
    if star_may_not_create {
        file.wiki.allow_account_creation = false;
    }
    file
}

/// What TOML types cannot say: values that must have a certain form.
pub fn check(file: &FileConfig) -> anyhow::Result<()> {
    if file.idle_timeout_ms == 0 {
        anyhow::bail!("idle_timeout_ms must be at least 1");
    }
    if file.upstream_timeout == 0 {
        anyhow::bail!("upstream_timeout must be at least 1 (seconds)");
    }
    if let Some(url) = &file.upstream {
        crate::upstream::parse_url(url)?;
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
    file.captcha.check().map_err(anyhow::Error::msg)?;
    for ip in &file.captcha.whitelist_ip {
        if !mwauth::user::botpassword::is_ip_range(ip.trim()) {
            anyhow::bail!(
                "captcha.whitelist_ip: \"{ip}\" is neither an IP address nor a CIDR range"
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
    let sessions = SessionsUrl::parse_as(
        settings.file.sessions.as_deref().unwrap_or("sqlite"),
        &default,
        settings.file.session_format,
    )?;
    Ok((users, sessions))
}

/// The wiki settings the services get: `[wiki]` with the session format and MediaWiki's
/// default cookie prefix for this table prefix.
pub fn wiki_settings(settings: &crate::Settings) -> mwauth::Config {
    let mut wiki = settings.file.wiki.clone();
    wiki.session_format = settings.file.session_format;
    wiki.resolve_cookie_prefix(&settings.file.table_prefix);
    wiki
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
        Ok(with_sections_in_wiki(file))
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

    #[test]
    fn session_format_and_cookie_prefix() {
        let settings = |text: &str| crate::Settings {
            file: parsed(text).unwrap(),
            data_dir: PathBuf::from("/tmp/unused"),
        };
        let plain = settings("[wiki]\nwiki_id = \"my_wiki\"");
        assert_eq!(plain.file.session_format, SessionFormat::Native);
        assert_eq!(wiki_settings(&plain).cookie_prefix(), "my_wiki");
        let php = settings(
            "session_format = \"php\"\nsessions = \"objectcache+sqlite:/w/wikicache.sqlite\"\n\
             table_prefix = \"mw_\"\n[wiki]\nwiki_id = \"wiki.db\"\n\
             authentication_token_version = \"1\"",
        );
        let wiki = wiki_settings(&php);
        assert_eq!(wiki.session_format, SessionFormat::Php);
        assert_eq!(wiki.cookie_prefix(), "wiki_db_mw_");
        assert_eq!(wiki.token_version(), Some("1"));
        assert!(matches!(
            backends(&php).unwrap().1,
            SessionsUrl::ObjectCache(u) if u == "sqlite:/w/wikicache.sqlite"
        ));
        assert!(parsed("session_format = \"phps\"").is_err());
    }

    #[test]
    fn oath_and_captcha_sections_default_to_off() {
        let wiki = parsed("").unwrap().wiki;
        assert!(!wiki.oath.enabled);
        assert_eq!(wiki.oath.window_radius, 4);
        assert_eq!(wiki.captcha.kind, mwauth::config::CaptchaKind::None);
        assert_eq!(wiki.captcha.bad_login_attempts, 3);
        assert_eq!(wiki.captcha.bad_login_per_user_attempts, 20);
    }

    #[test]
    fn group_permissions_are_read_in_the_files_order() {
        use mwauth::config::GroupRights;
        let file = parsed(
            r#"
            [wiki.group_permissions]
            sysop = { "oathauth-api-all" = true, block = false }
            "*" = { createaccount = false }
            newgroup = { read = true }
            "#,
        )
        .unwrap();
        let rights = |g: &str, r: &[(&str, bool)]| GroupRights {
            group: g.into(),
            rights: r.iter().map(|(r, on)| (r.to_string(), *on)).collect(),
        };
        assert_eq!(
            file.wiki.group_permissions,
            [
                rights("sysop", &[("oathauth-api-all", true), ("block", false)]),
                rights("*", &[("createaccount", false)]),
                rights("newgroup", &[("read", true)]),
            ]
        );
        assert!(!file.wiki.allow_account_creation);
        assert!(parsed("[wiki.group_permissions]\nsysop = { block = 1 }\n").is_err());
    }

    #[test]
    fn oath_and_captcha_sections_are_read_into_the_wiki_settings() {
        use mwauth::config::{CaptchaKind, CaptchaQuestion, CaptchaTrigger};
        let file = parsed(
            r#"
            [oath]
            enabled = true
            window_radius = 2
            required_for_groups = ["sysop"]
            exclusive_rights = ["editinterface"]

            [captcha]
            kind = "questy"
            questions = { "What is the capital of France?" = "Paris", "Two plus two?" = ["4", "four"] }
            triggers = ["createaccount", "badlogin"]
            bad_login_attempts = 5
            whitelist_ip = ["10.0.0.0/8", "192.0.2.1"]
            "#,
        )
        .unwrap();
        let wiki = file.wiki;
        assert!(wiki.oath.enabled);
        assert_eq!(wiki.oath.window_radius, 2);
        assert_eq!(wiki.oath.required_for_groups, ["sysop"]);
        assert_eq!(wiki.oath.exclusive_rights, ["editinterface"]);
        assert_eq!(wiki.captcha.kind, CaptchaKind::Questy);
        assert_eq!(
            wiki.captcha.questions,
            [
                CaptchaQuestion {
                    question: "What is the capital of France?".into(),
                    answers: vec!["Paris".into()],
                },
                CaptchaQuestion {
                    question: "Two plus two?".into(),
                    answers: vec!["4".into(), "four".into()],
                },
            ]
        );
        assert!(wiki.captcha.triggers(CaptchaTrigger::BadLogin));
        assert!(!wiki.captcha.triggers(CaptchaTrigger::BadLoginPerUser));
        assert_eq!(wiki.captcha.bad_login_attempts, 5);
        assert_eq!(wiki.captcha.bad_login_per_user_attempts, 20);
        assert_eq!(file.captcha, Default::default(), "moved, not copied");
    }

    #[test]
    fn captcha_settings_that_cannot_work_are_refused() {
        let err = parsed("[captcha]\nkind = \"questy\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs at least one entry in questions"),
            "{err}"
        );
        let err = parsed("[captcha]\nkind = \"questy\"\nquestions = { \"Q?\" = [] }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no answer"), "{err}");
        let err = parsed("[captcha]\nwhitelist_ip = [\"nonsense\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("whitelist_ip"), "{err}");
        assert!(parsed("[captcha]\nkind = \"fancy\"").is_err());
        assert!(parsed("[captcha]\ntriggers = [\"edit\"]").is_err());
        assert!(parsed("[oath]\nwindow = 3").is_err());
        assert!(
            parsed("[wiki.oath]\nenabled = true").is_err(),
            "one place for the setting"
        );
    }
}
