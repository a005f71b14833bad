//! Settings that change what clients observe. Names follow MediaWiki's `$wg…` settings where
//! one exists, so an operator can carry a LocalSettings.php value across.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `$wgDBname`: the wiki id. The cookie prefix derives from it.
    pub wiki_id: String,
    /// `$wgCookiePrefix`; when empty, the wiki id is used. The server fills it in with
    /// MediaWiki's default ([`mediawiki_cookie_prefix`]).
    pub cookie_prefix: String,
    /// `$wgAuthenticationTokenVersion`: when set, sessions and the remember-me `Token` cookie
    /// hold an HMAC of the user's `user_token` with it, not the column itself
    /// (User::getToken; the installer writes "1"). Needed to share sessions with a PHP wiki
    /// that sets it.
    pub authentication_token_version: Option<String>,
    /// How sessions are stored: the server's top-level `session_format`.
    #[serde(skip)]
    pub session_format: SessionFormat,
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
    /// What siteinfo's `statistics` reports (SiteStats), where the operator says so. A value
    /// set here wins; one left unset comes from the wiki's `site_stats` row when the user
    /// database is a wiki's own, else (mwauth keeps no pages) it is a fresh wiki's.
    pub site_stats: SiteStats,
    /// Changes to `$wgGroupPermissions`, as LocalSettings.php makes them
    /// (`$wgGroupPermissions['sysop']['oathauth-api-all'] = true;`):
    /// `[wiki.group_permissions]` with `sysop = { "oathauth-api-all" = true }` or
    /// `"*" = { createaccount = false }`, groups and rights in the file's order.
    #[serde(deserialize_with = "group_permissions_from_table")]
    pub group_permissions: Vec<GroupRights>,
    /// OATHAuth (two-factor) settings: the server's `[oath]` section, not `[wiki]`'s.
    #[serde(skip)]
    pub oath: OathConfig,
    /// ConfirmEdit (captcha) settings: the server's `[captcha]` section, not `[wiki]`'s.
    #[serde(skip)]
    pub captcha: CaptchaConfig,
}

/// SiteStats as `meta=siteinfo&siprop=statistics` reports it: each value as set, or unset
/// (`None`) for what the user store knows (see `Config::site_stats`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteStats {
    /// `ss_total_pages`; unset: the wiki's, else 1 (a fresh wiki's Main Page).
    pub pages: Option<i64>,
    /// `ss_good_articles`; unset: the wiki's, else 0.
    pub articles: Option<i64>,
    /// `ss_total_edits`; unset: the wiki's, else 1 (the Main Page's one edit).
    pub edits: Option<i64>,
    /// `ss_images`; unset: the wiki's, else 0.
    pub images: Option<i64>,
    /// `ss_users`; unset: the wiki's, else the number of accounts in the user store.
    pub users: Option<i64>,
    /// `ss_active_users`; unset: the wiki's, else 0.
    pub activeusers: Option<i64>,
    /// Members of `sysop`; unset: counted in the user store.
    pub admins: Option<i64>,
    /// The job queue's size; unset: 0. Not read from the wiki: its queue need not be in
    /// the user database (a SQLite wiki keeps it in `{wiki}_jobqueue.sqlite`).
    pub jobs: Option<i64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            wiki_id: "my_wiki".into(),
            cookie_prefix: String::new(),
            authentication_token_version: None,
            session_format: SessionFormat::Native,
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
            group_permissions: Vec::new(),
            oath: OathConfig::default(),
            captcha: CaptchaConfig::default(),
        }
    }
}

/// The form sessions are stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionFormat {
    /// mwauth's own records.
    #[default]
    Native,
    /// MediaWiki's own records (PHP serialization), shared with a PHP MediaWiki
    /// (docs/beside-mediawiki.md).
    Php,
}

/// Setup.php's `$wgCookiePrefix`: the setting, else `{dbname}_{prefix}` with a table prefix
/// or `{dbname}`, with each of `=,; +."'\[` then replaced by `_` (PHP could not read such
/// cookie names back).
pub fn mediawiki_cookie_prefix(cookie_prefix: &str, db_name: &str, table_prefix: &str) -> String {
    let prefix = if !cookie_prefix.is_empty() {
        cookie_prefix.to_string()
    } else if !table_prefix.is_empty() {
        format!("{db_name}_{table_prefix}")
    } else {
        db_name.to_string()
    };
    prefix.replace(['=', ',', ';', ' ', '+', '.', '"', '\'', '\\', '['], "_")
}

impl Config {
    /// Sets [`Config::cookie_prefix`] to what MediaWiki would use with this table prefix.
    pub fn resolve_cookie_prefix(&mut self, table_prefix: &str) {
        self.cookie_prefix =
            mediawiki_cookie_prefix(&self.cookie_prefix, &self.wiki_id, table_prefix);
    }

    /// The `$wgAuthenticationTokenVersion` in effect, if any.
    pub fn token_version(&self) -> Option<&str> {
        self.authentication_token_version.as_deref()
    }

    pub fn cookie_prefix(&self) -> &str {
        if self.cookie_prefix.is_empty() {
            &self.wiki_id
        } else {
            &self.cookie_prefix
        }
    }
}

/// OATHAuth 0.5.0's settings. Off by default: nobody is asked for a second factor, and
/// `oathauth_users` is not read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OathConfig {
    /// Whether two-factor logins are on (`wfLoadExtension( 'OATHAuth' )`).
    pub enabled: bool,
    /// `$wgOATHAuthWindowRadius`: codes of up to this many 30-second steps before or after
    /// now are accepted.
    pub window_radius: u32,
    /// `$wgOATHRequiredForGroups`: groups whose rights a member only has once enrolled.
    pub required_for_groups: Vec<String>,
    /// `$wgOATHExclusiveRights`: rights usable only in a session that passed a second factor.
    pub exclusive_rights: Vec<String>,
}

impl Default for OathConfig {
    fn default() -> Self {
        OathConfig {
            enabled: false,
            window_radius: 4,
            required_for_groups: Vec::new(),
            exclusive_rights: Vec::new(),
        }
    }
}

/// Which ConfirmEdit captcha is asked (`$wgCaptchaClass`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptchaKind {
    /// ConfirmEdit not loaded: no captcha anywhere.
    #[default]
    None,
    /// QuestyCaptcha: questions and answers from `questions`.
    Questy,
    /// SimpleCaptcha: a sum or difference of two small numbers.
    Simple,
}

/// The actions of `$wgCaptchaTriggers` that mwauth serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptchaTrigger {
    /// Every account creation by a user without `skipcaptcha`.
    CreateAccount,
    /// Logins from an IP with `bad_login_attempts` failures in 300 s.
    BadLogin,
    /// Logins as a user with `bad_login_per_user_attempts` failures in 600 s.
    BadLoginPerUser,
}

/// One group's rights as LocalSettings.php sets them: `true` grants a right, `false` takes a
/// default (or an extension's) away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRights {
    pub group: String,
    pub rights: Vec<(String, bool)>,
}

/// One QuestyCaptcha question and the answers accepted for it (compared without ASCII case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptchaQuestion {
    pub question: String,
    pub answers: Vec<String>,
}

/// ConfirmEdit 1.6.0's settings. `kind = "none"` by default: no captcha is ever asked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptchaConfig {
    pub kind: CaptchaKind,
    /// `$wgCaptchaQuestions`, in the file's order: `{ "question" = "answer" }`, or a list of
    /// answers (`["Paris", "paris, france"]`). The question is HTML, shown as it is.
    #[serde(deserialize_with = "questions_from_table")]
    pub questions: Vec<CaptchaQuestion>,
    /// The `$wgCaptchaTriggers` that are on; ConfirmEdit's defaults turn all three on.
    pub triggers: Vec<CaptchaTrigger>,
    /// `$wgCaptchaBadLoginAttempts`: failed logins from one IP (in 300 s) before logins from
    /// it need a captcha.
    pub bad_login_attempts: u32,
    /// `$wgCaptchaBadLoginPerUserAttempts`: failed logins as one user (in 600 s) before
    /// logins as that user need a captcha.
    pub bad_login_per_user_attempts: u32,
    /// `$wgCaptchaWhitelistIP`: addresses and CIDR ranges never asked for a captcha.
    pub whitelist_ip: Vec<String>,
}

impl Default for CaptchaConfig {
    fn default() -> Self {
        CaptchaConfig {
            kind: CaptchaKind::None,
            questions: Vec::new(),
            triggers: vec![
                CaptchaTrigger::CreateAccount,
                CaptchaTrigger::BadLogin,
                CaptchaTrigger::BadLoginPerUser,
            ],
            bad_login_attempts: 3,
            bad_login_per_user_attempts: 20,
            whitelist_ip: Vec::new(),
        }
    }
}

impl CaptchaConfig {
    /// Whether a captcha is asked for `trigger` (never with `kind = "none"`).
    pub fn triggers(&self, trigger: CaptchaTrigger) -> bool {
        self.kind != CaptchaKind::None && self.triggers.contains(&trigger)
    }

    /// What the types cannot say. QuestyCaptcha without questions cannot ask anything
    /// (MediaWiki dies with "No questions found" there), so it is refused at start.
    pub fn check(&self) -> Result<(), String> {
        if self.kind == CaptchaKind::Questy && self.questions.is_empty() {
            return Err("captcha: kind = \"questy\" needs at least one entry in questions".into());
        }
        if let Some(q) = self.questions.iter().find(|q| q.answers.is_empty()) {
            return Err(format!(
                "captcha: the question \"{}\" has no answer",
                q.question
            ));
        }
        Ok(())
    }
}

/// Reads `questions = { "Q" = "A", "R" = ["B", "C"] }` keeping the order of the entries.
fn questions_from_table<'de, D>(de: D) -> Result<Vec<CaptchaQuestion>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Answers {
        One(String),
        Any(Vec<String>),
    }
    struct Table;
    impl<'de> serde::de::Visitor<'de> for Table {
        type Value = Vec<CaptchaQuestion>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of questions and their answer (a string or a list of strings)")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((question, answers)) = map.next_entry::<String, Answers>()? {
                let answers = match answers {
                    Answers::One(a) => vec![a],
                    Answers::Any(list) => list,
                };
                out.push(CaptchaQuestion { question, answers });
            }
            Ok(out)
        }
    }
    de.deserialize_map(Table)
}

/// `[wiki.group_permissions]`: a table of groups, each a table of rights to booleans, read
/// in the file's order.
fn group_permissions_from_table<'de, D>(de: D) -> Result<Vec<GroupRights>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Groups;
    impl<'de> serde::de::Visitor<'de> for Groups {
        type Value = Vec<GroupRights>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of groups, each a table of rights set to true or false")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((group, rights)) = map.next_entry::<String, Rights>()? {
                out.push(GroupRights {
                    group,
                    rights: rights.0,
                });
            }
            Ok(out)
        }
    }
    struct Rights(Vec<(String, bool)>);
    impl<'de> Deserialize<'de> for Rights {
        fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            struct Table;
            impl<'de> serde::de::Visitor<'de> for Table {
                type Value = Rights;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a table of rights set to true or false")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Self::Value, A::Error> {
                    let mut out = Vec::new();
                    while let Some(entry) = map.next_entry::<String, bool>()? {
                        out.push(entry);
                    }
                    Ok(Rights(out))
                }
            }
            de.deserialize_map(Table)
        }
    }
    de.deserialize_map(Groups)
}

#[cfg(test)]
mod tests {
    use super::mediawiki_cookie_prefix;

    #[test]
    fn cookie_prefix_is_setup_php_s() {
        assert_eq!(mediawiki_cookie_prefix("", "my_wiki", ""), "my_wiki");
        assert_eq!(mediawiki_cookie_prefix("", "wikidb", "mw_"), "wikidb_mw_");
        assert_eq!(
            mediawiki_cookie_prefix("a=b,c; d+e.f\"g'h\\i[j]", "x", "y"),
            "a_b_c__d_e_f_g_h_i_j]"
        );
        assert_eq!(mediawiki_cookie_prefix("", "wiki.db", ""), "wiki_db");
    }
}
