//! Settings that change what clients observe. Names follow MediaWiki's `$wg…` settings where
//! one exists, so an operator can carry a LocalSettings.php value across.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `$wgDBname`: the wiki id. The cookie prefix derives from it.
    pub wiki_id: String,
    /// `$wgCookiePrefix`; when empty, the wiki id is used (as MediaWiki does).
    pub cookie_prefix: String,
    /// `$wgSitename`.
    pub sitename: String,
    /// `$wgServer`, e.g. `https://wiki.example.org`. Empty: taken from the request's Host.
    pub server: String,
    /// `$wgScriptPath`: where api.php lives in docrefs (`/w`).
    pub script_path: String,
    /// `$wgCookieSecure`: `true` always, `false` never, unset: when the request came over https.
    pub cookie_secure: Option<bool>,
    /// `$wgCookieSameSite` (`Lax`, `Strict`, `None`); MediaWiki sends none by default.
    pub cookie_samesite: Option<String>,
    /// `$wgObjectCacheSessionExpiry`: idle seconds before a session ends.
    pub session_expiry: u64,
    /// `$wgExtendedLoginCookieExpiration`: lifetime of the remember-me cookies.
    pub remember_expiry: u64,
    /// `$wgCookieExpiration`: lifetime of `UserID`/`UserName` after a login that did not ask
    /// to be remembered.
    pub cookie_expiry: u64,
    /// `$wgAccountCreationThrottle`: (count, seconds) per IP; count 0 disables it (1.39's
    /// default).
    pub account_creation_throttle: Vec<(u32, u64)>,
    /// Whether anyone may create accounts (`$wgGroupPermissions['*']['createaccount']`).
    pub allow_account_creation: bool,
    /// `$wgEnableBotPasswords`.
    pub enable_bot_passwords: bool,
    /// `$wgReauthenticateTime['default']`: seconds after a password login during which
    /// Special:BotPasswords may be used without entering the password again; negative: never
    /// asks again.
    pub reauthenticate_time: i64,
    /// `$wgPasswordAttemptThrottle`: (count, seconds) windows per user+IP.
    pub password_attempt_throttle: Vec<(u32, u64)>,
    /// `$wgCrossSiteAJAXdomains`: origins (host patterns with `*` and `?`) that may call the
    /// API with the user's credentials. Empty by default: only `origin=*` (anonymous).
    pub cross_site_ajax_domains: Vec<String>,
    /// `$wgCrossSiteAJAXdomainExceptions`.
    pub cross_site_ajax_domain_exceptions: Vec<String>,
    /// `$wgAllowedCorsHeaders`: request headers a preflight may ask for.
    pub allowed_cors_headers: Vec<String>,
    /// The replication lag `maxlag` is compared with (seconds; ApiMain::getMaxLag). mwauth's
    /// stores report none, so it is 0 unless set, e.g. to test a client's maxlag handling.
    pub maxlag_lag: u64,
    /// The host name the `maxlag` error reports as lagged.
    pub maxlag_host: String,
    /// Trust `X-Forwarded-For` from these proxy addresses (`$wgCdnServers`).
    pub trusted_proxies: Vec<String>,
    /// What `meta=siteinfo` reports as `generator` (`MediaWiki ` . MW_VERSION). Clients read
    /// the MediaWiki version from it to decide which API features they may use, so it names
    /// the version whose API mwauth reproduces.
    pub generator: String,
    /// What siteinfo reports as `phpversion` (PHP_VERSION), for clients that check it; the
    /// reference server's value by default.
    pub php_version: String,
    /// What siteinfo reports as `phpsapi` (PHP_SAPI), for clients that check it.
    pub php_sapi: String,
    /// What siteinfo reports as `dbtype` (`$wgDBtype`), for clients that check it.
    pub db_type: String,
    /// What siteinfo reports as `dbversion` (the database server's version), for clients
    /// that check it.
    pub db_version: String,
    /// What siteinfo's `statistics` reports (SiteStats). mwauth keeps no pages, so these are
    /// a fresh wiki's numbers unless set.
    pub site_stats: SiteStats,
}

/// SiteStats as `meta=siteinfo&siprop=statistics` reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteStats {
    pub pages: i64,
    pub articles: i64,
    pub edits: i64,
    pub images: i64,
    /// `ss_users`; unset: the number of accounts in the user store.
    pub users: Option<i64>,
    pub activeusers: i64,
    /// Members of `sysop`; unset: counted in the user store.
    pub admins: Option<i64>,
    pub jobs: i64,
}

impl Default for SiteStats {
    fn default() -> Self {
        // A freshly installed MediaWiki: the Main Page, created by one edit.
        SiteStats {
            pages: 1,
            articles: 0,
            edits: 1,
            images: 0,
            users: None,
            activeusers: 0,
            admins: None,
            jobs: 0,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            wiki_id: "my_wiki".into(),
            cookie_prefix: String::new(),
            sitename: "MediaWiki".into(),
            server: String::new(),
            script_path: "/w".into(),
            cookie_secure: None,
            cookie_samesite: None,
            session_expiry: 3600,
            remember_expiry: 180 * 86400,
            cookie_expiry: 30 * 86400,
            account_creation_throttle: vec![(0, 86400)],
            allow_account_creation: true,
            enable_bot_passwords: true,
            reauthenticate_time: 300,
            password_attempt_throttle: vec![(5, 300), (150, 172800)],
            cross_site_ajax_domains: Vec::new(),
            cross_site_ajax_domain_exceptions: Vec::new(),
            allowed_cors_headers: [
                "Accept",
                "Accept-Language",
                "Content-Language",
                "Content-Type",
                "Accept-Encoding",
                "DNT",
                "Origin",
                "User-Agent",
                "Api-User-Agent",
                "Access-Control-Max-Age",
                "Authorization",
            ]
            .map(String::from)
            .to_vec(),
            maxlag_lag: 0,
            maxlag_host: "localhost".into(),
            trusted_proxies: Vec::new(),
            generator: "MediaWiki 1.39.17".into(),
            php_version: "8.2.36".into(),
            php_sapi: "cli-server".into(),
            db_type: "sqlite".into(),
            db_version: "3.40.1".into(),
            site_stats: SiteStats::default(),
        }
    }
}

impl Config {
    pub fn cookie_prefix(&self) -> &str {
        if self.cookie_prefix.is_empty() {
            &self.wiki_id
        } else {
            &self.cookie_prefix
        }
    }
}
