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
    /// `$wgPasswordAttemptThrottle`: (count, seconds) windows per user+IP.
    pub password_attempt_throttle: Vec<(u32, u64)>,
    /// Trust `X-Forwarded-For` from these proxy addresses (`$wgCdnServers`).
    pub trusted_proxies: Vec<String>,
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
            password_attempt_throttle: vec![(5, 300), (150, 172800)],
            trusted_proxies: Vec::new(),
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
