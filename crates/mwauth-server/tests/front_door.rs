//! mwauth as the front door of a live PHP MediaWiki 1.39 (issue 22): Debian's MediaWiki
//! installed into a temporary directory and served by PHP's own server (`common/php.rs`),
//! and `mwauth serve` started exactly as the issue's "How it is started" block says — the
//! wiki's own SQLite database for users, the wiki's session store with `session_format =
//! "php"`, `upstream` = the PHP wiki, a small `upstream_timeout`, and `[wiki]` `wiki_id`,
//! `sitename`, `authentication_token_version = "1"`. One step per "Done when" bullet:
//!
//! 1. a bot-password login through mwauth is a session PHP knows (an edit passed to PHP with
//!    mwauth's csrf token is saved; mwauth's logout is a logout on PHP); for this session and
//!    those of step 2, what mwauth answers natively is what PHP answers;
//! 2. logins and logouts cross both ways (PHP's clientlogin, mwauth's logout with PHP's
//!    token; mwauth's clientlogin, PHP's logout with mwauth's token);
//! 3. remember-me cookies of either one log in on the other;
//! 4. Special:Preferences through mwauth shows the user mwauth logged in;
//! 5. with PHP hung, then stopped, mwauth's own modules answer and what goes to PHP gets 504,
//!    then 502 (mwauth's `upstream_timeout`, not the client's patience, ends the wait);
//! 6. steps 1–4 and 7 again with the sessions in the wiki's `objectcache` table
//!    (`objectcache+sqlite:` on `wikicache.sqlite`, `$wgSessionCacheType = CACHE_DB`);
//! 7. `mwauth user set-password` (same configuration) logs the user out on PHP at once.
//!
//! Steps run in order on one installed wiki (installing takes most of the test's time):
//! first with the sessions in a Redis of the test's own, then in the objectcache table. Needs
//! `php` (redis, sqlite modules), `mediawiki` and `redis-server`, installed from Debian when
//! missing; says "skipped" and why only where they cannot be installed.

mod common;

use common::php::{
    free_port, install_wiki, missing_php_wiki, objectcache_mode, redis_mode, start_php, Client,
    Started,
};
use common::ServerProcess;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const ALICE: (&str, &str) = ("Alice", "Alice-pass-12345");
const BOB: (&str, &str) = ("Bob", "Bob-pass-12345");
/// Alice's bot password that may edit and create pages (install-wiki.sh).
const EDITBOT: (&str, &str) = ("Alice@editbot", "aliceeditbotpasswordaliceedit001");
/// The properties of meta=userinfo that mwauth answers itself in front of a wiki (the others,
/// read from the wiki's own tables, pass to it).
const NATIVE_USERINFO_PROPS: &str = "blockinfo|groups|groupmemberships|implicitgroups|rights|\
    changeablegroups|editcount|ratelimits|theoreticalratelimits|email|realname|acceptlang|\
    registrationdate|centralids";
/// Small, so that a hung wiki is answered for soon; the test asserts no duration.
const UPSTREAM_TIMEOUT: u64 = 2;

/// The PHP wiki and mwauth in front of it, for one session store.
struct FrontDoor<'a> {
    dir: &'a Path,
    /// "redis" or "objectcache": names the clients' jars and the failures.
    ctx: &'static str,
    wiki: Option<Started>,
    _mwauth: ServerProcess,
    config: PathBuf,
    /// Action API, straight to PHP.
    php: String,
    /// Action API and base URL of mwauth.
    mw: String,
    mw_base: String,
}

#[test]
fn mwauth_is_the_front_door_of_a_php_wiki() {
    if let Some(missing) = missing_php_wiki() {
        eprintln!("skipped: needs {missing}, which apt-get could not install");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let wiki_port = free_port();
    install_wiki(dir, wiki_port);

    {
        let (_redis, sessions) = redis_mode(dir);
        let door = FrontDoor::start(dir, wiki_port, &sessions, "redis");
        door.step1_bot_password_login_edits_on_php_and_logs_out();
        door.step2_logins_and_logouts_cross_both_ways();
        door.step3_remember_me_cookies_log_in_on_the_other_side();
        door.step4_preferences_through_mwauth_show_the_user();
        door.step7_set_password_logs_out_on_php();
        door.step5_with_php_stopped_mwauth_answers_and_502s();
    }
    // Step 6: the same on the objectcache table.
    let sessions = objectcache_mode(dir);
    let door = FrontDoor::start(dir, wiki_port, &sessions, "objectcache");
    door.step1_bot_password_login_edits_on_php_and_logs_out();
    door.step2_logins_and_logouts_cross_both_ways();
    door.step3_remember_me_cookies_log_in_on_the_other_side();
    door.step4_preferences_through_mwauth_show_the_user();
    door.step7_set_password_logs_out_on_php();
}

impl<'a> FrontDoor<'a> {
    /// Starts PHP on `wiki_port` (its store as `mode.php` says) and mwauth with the issue's
    /// configuration file, `sessions` being that store.
    fn start(dir: &'a Path, wiki_port: u16, sessions: &str, ctx: &'static str) -> FrontDoor<'a> {
        let wiki = start_php(dir, wiki_port);
        let listen = free_port();
        let config = dir.join(format!("mwauth-{ctx}.toml"));
        std::fs::write(
            &config,
            format!(
                r#"listen = "127.0.0.1:{listen}"
data_dir = "{data_dir}"
users = "sqlite:{wiki_db}"
sessions = "{sessions}"
session_format = "php"
upstream = "http://127.0.0.1:{wiki_port}"
upstream_timeout = {UPSTREAM_TIMEOUT}

[wiki]
wiki_id = "oraclewiki"
sitename = "OracleWiki"
authentication_token_version = "1"
"#,
                data_dir = dir.join("mwauth").display(),
                wiki_db = dir.join("data/oraclewiki.sqlite").display(),
            ),
        )
        .unwrap();
        let mut cmd = mwauth(&config);
        cmd.arg("serve").env("MWAUTH_LOG", "info");
        let (server, stderr) = common::start_mwauth(cmd);
        // Its warnings and errors, shown; its requests, not.
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in stderr.lines().map_while(Result::ok) {
                if !line.contains("INFO") {
                    eprintln!("mwauth: {line}");
                }
            }
        });
        let mw_base = format!("http://127.0.0.1:{listen}");
        assert_eq!(server.url, format!("{mw_base}/w/api.php"));
        FrontDoor {
            dir,
            ctx,
            wiki: Some(wiki),
            _mwauth: server,
            config,
            php: format!("http://127.0.0.1:{wiki_port}/w/api.php"),
            mw: format!("{mw_base}/w/api.php"),
            mw_base,
        }
    }

    fn client(&self, name: &str) -> Client {
        Client::new(self.dir, &format!("{}-{name}", self.ctx))
    }

    /// A copy of `client` holding only the cookies with these suffixes (after the prefix).
    fn copy(&self, client: &Client, name: &str, suffixes: &[&str]) -> Client {
        client.copy_with(self.dir, &format!("{}-{name}", self.ctx), suffixes)
    }

    /// mwauth answers natively only what the wiki would answer the same way: these requests,
    /// with `client`'s cookies, get the same answer from both.
    fn same_answers(&self, client: &Client, at: &str) {
        let requests = [
            vec![("meta", "userinfo"), ("uiprop", NATIVE_USERINFO_PROPS)],
            vec![("meta", "userinfo"), ("uiprop", "*")],
            vec![("meta", "authmanagerinfo"), ("amirequestsfor", "login")],
            vec![
                ("meta", "authmanagerinfo"),
                ("amirequestsfor", "link"),
                ("amimergerequestfields", "1"),
            ],
        ];
        for request in requests {
            let params: Vec<_> = [("action", "query")].into_iter().chain(request).collect();
            let php = client.call(&self.php, &params);
            assert_eq!(client.call(&self.mw, &params), php, "{at}: {params:?}");
        }
    }

    /// Bullet 1: a bot-password login through mwauth is a session PHP knows; an edit sent
    /// through mwauth (passed to PHP) with mwauth's csrf token is saved by PHP; logout
    /// through mwauth is a logout on PHP.
    fn step1_bot_password_login_edits_on_php_and_logs_out(&self) {
        let ctx = self.ctx;
        let bot = self.client("editbot");
        bot.bot_login(&self.mw, EDITBOT.0, EDITBOT.1);
        assert!(bot.holds("oraclewiki_BPsession"), "{ctx}");
        assert_eq!(bot.user(&self.php).as_deref(), Some("Alice"), "{ctx}");
        self.same_answers(&bot, ctx);
        let session = self.copy(&bot, "editbot-session", &["_BPsession"]);

        let csrf = bot.token(&self.mw, "csrf");
        let title = format!("Front_door_{ctx}");
        let text = format!("Saved by PHP, sent through mwauth ({ctx}).");
        let v = bot.call(
            &self.mw,
            &[
                ("action", "edit"),
                ("title", &title),
                ("text", &text),
                ("summary", "through the front door"),
                ("token", &csrf),
            ],
        );
        assert_eq!(v["edit"]["result"], "Success", "{ctx}: {v}");
        // PHP holds the text, written by Alice, as PHP's API and index.php (both through
        // mwauth, which passes them) show.
        let v = bot.call(
            &self.mw,
            &[
                ("action", "query"),
                ("prop", "revisions"),
                ("titles", &title),
                ("rvprop", "content|user"),
                ("rvslots", "main"),
            ],
        );
        let revision = &v["query"]["pages"][0]["revisions"][0];
        assert_eq!(revision["user"], "Alice", "{ctx}: {v}");
        assert_eq!(revision["slots"]["main"]["content"], text, "{ctx}: {v}");
        let raw = format!("{}/w/index.php?title={title}&action=raw", self.mw_base);
        assert_eq!(bot.request(&raw, &[]), (200, text.clone()), "{ctx}");

        let v = bot.logout(&self.mw, &csrf);
        assert_eq!(v, json!({}), "{ctx}");
        assert_eq!(bot.user(&self.php), None, "{ctx}");
        // The stored session is gone: its cookie, kept, is anonymous to PHP too.
        assert_eq!(session.user(&self.php), None, "{ctx}: the record is gone");
        let v = session.call(
            &self.php,
            &[
                ("action", "edit"),
                ("title", &title),
                ("text", "after the logout"),
                ("token", &csrf),
            ],
        );
        assert_eq!(v["error"]["code"], "badtoken", "{ctx}: {v}");
    }

    /// Bullet 2: a clientlogin made by PHP is a session mwauth knows, and mwauth's logout with
    /// PHP's csrf token ends it for PHP; the reverse with mwauth's login and PHP's logout.
    fn step2_logins_and_logouts_cross_both_ways(&self) {
        let ctx = self.ctx;
        let sides = [
            ("PHP", &self.php, "mwauth", &self.mw),
            ("mwauth", &self.mw, "PHP", &self.php),
        ];
        for (login_side, login_api, logout_side, logout_api) in sides {
            let at = format!("{ctx}: login on {login_side}, logout on {logout_side}");
            let user = self.client(&format!("login-{login_side}"));
            user.clientlogin(login_api, BOB.0, BOB.1, false);
            assert_eq!(user.user(logout_api).as_deref(), Some("Bob"), "{at}");
            self.same_answers(&user, &at);
            let session = self.copy(
                &user,
                &format!("session-{login_side}"),
                &["_session", "UserID"],
            );
            let csrf = user.token(login_api, "csrf");
            assert_eq!(user.logout(logout_api, &csrf), json!({}), "{at}");
            for (side, api) in [(login_side, login_api), (logout_side, logout_api)] {
                assert_eq!(user.user(api), None, "{at}: {side}");
                assert_eq!(session.user(api), None, "{at}: the record, for {side}");
            }
        }
    }

    /// Bullet 3: the `UserID` and `Token` cookies of a rememberMe clientlogin on either side,
    /// without the session cookie, log in on the other; the session made there is shared.
    fn step3_remember_me_cookies_log_in_on_the_other_side(&self) {
        let ctx = self.ctx;
        let sides = [
            ("PHP", &self.php, "mwauth", &self.mw),
            ("mwauth", &self.mw, "PHP", &self.php),
        ];
        for (login_side, login_api, other_side, other_api) in sides {
            let at = format!("{ctx}: remembered by {login_side}, used on {other_side}");
            let user = self.client(&format!("remember-{login_side}"));
            user.clientlogin(login_api, ALICE.0, ALICE.1, true);
            assert!(user.holds("oraclewikiToken"), "{at}");
            let remembered = self.copy(
                &user,
                &format!("remembered-{login_side}"),
                &["UserID", "Token"],
            );
            assert_eq!(remembered.user(other_api).as_deref(), Some("Alice"), "{at}");
            assert!(remembered.holds("oraclewiki_session"), "{at}");
            assert_eq!(remembered.user(login_api).as_deref(), Some("Alice"), "{at}");
        }
    }

    /// Bullet 4: Special:Preferences, passed to PHP, shows the user mwauth logged in (an
    /// anonymous request is sent on to Special:UserLogin instead).
    fn step4_preferences_through_mwauth_show_the_user(&self) {
        let ctx = self.ctx;
        let url = format!("{}/w/index.php?title=Special:Preferences", self.mw_base);
        let anonymous = self.client("preferences-anonymous");
        let (status, page) = anonymous.request(&url, &[]);
        assert_eq!(status, 302, "{ctx}: {page}");

        let alice = self.client("preferences");
        alice.clientlogin(&self.mw, ALICE.0, ALICE.1, false);
        let (status, page) = alice.request(&url, &[]);
        assert_eq!(status, 200, "{ctx}: {page}");
        assert!(page.contains("\"wgUserName\":\"Alice\""), "{ctx}: {page}");
        assert!(page.contains("mw-prefsection-personal"), "{ctx}: {page}");
    }

    /// Bullet 5: PHP hung (SIGSTOP), then stopped (killed): mwauth's own modules answer as
    /// before, and a request for PHP gets 504 (mwauth stopped waiting after
    /// `upstream_timeout`; the client would have waited 60 s), then 502.
    fn step5_with_php_stopped_mwauth_answers_and_502s(mut self) {
        let ctx = self.ctx;
        let alice = self.client("php-stopped");
        alice.clientlogin(&self.mw, ALICE.0, ALICE.1, false);
        let csrf = alice.token(&self.mw, "csrf");
        let pid = self.wiki.as_ref().unwrap().0.id().to_string();
        let stopped = Command::new("kill").args(["-STOP", &pid]).status().unwrap();
        assert!(stopped.success());
        for (state, expected) in [("hung", 504), ("stopped", 502)] {
            if state == "stopped" {
                drop(self.wiki.take());
            }
            let at = format!("{ctx}: PHP {state}");
            // mwauth's own modules.
            assert_eq!(alice.user(&self.mw).as_deref(), Some("Alice"), "{at}");
            assert_ne!(alice.token(&self.mw, "csrf"), "+\\", "{at}");
            let v = alice.call(
                &self.mw,
                &[("action", "checktoken"), ("type", "csrf"), ("token", &csrf)],
            );
            assert_eq!(v["checktoken"]["result"], "valid", "{at}: {v}");
            let fresh = self.client(&format!("php-{state}-anonymous"));
            assert!(fresh.token(&self.mw, "login").ends_with("+\\"), "{at}");
            // What PHP answers.
            let parse = [("action", "parse"), ("text", "''x''"), ("format", "json")];
            let (status, body) = alice.request(&self.mw, &parse);
            assert_eq!(status, expected, "{at}: action=parse: {body}");
            let page = format!("{}/w/index.php?title=Main_Page", self.mw_base);
            let (status, body) = alice.request(&page, &[]);
            assert_eq!(status, expected, "{at}: index.php: {body}");
        }
    }

    /// Bullet 7: `mwauth user set-password`, with mwauth's configuration, logs the user out
    /// on PHP at once, though PHP has the user's row cached; the new password works there.
    fn step7_set_password_logs_out_on_php(&self) {
        let ctx = self.ctx;
        let on_php = self.client("set-password-php");
        on_php.clientlogin(&self.php, BOB.0, BOB.1, true);
        let on_mw = self.client("set-password-mwauth");
        on_mw.clientlogin(&self.mw, BOB.0, BOB.1, true);
        let remembered = self.copy(&on_mw, "set-password-remembered", &["UserID", "Token"]);
        for client in [&on_php, &on_mw, &remembered] {
            assert_eq!(client.user(&self.php).as_deref(), Some("Bob"), "{ctx}");
        }
        let new_password = format!("Bob-new-{ctx}-67890");
        self.set_password(BOB.0, &new_password);
        for client in [&on_php, &on_mw, &remembered] {
            assert_eq!(
                client.user(&self.php),
                None,
                "{ctx}: {}",
                client.jar.display()
            );
        }
        self.client("set-password-new")
            .clientlogin(&self.php, BOB.0, &new_password, false);
        // Bob's password as the other steps know it.
        self.set_password(BOB.0, BOB.1);
    }

    fn set_password(&self, name: &str, password: &str) {
        let out = mwauth(&self.config)
            .args(["user", "set-password", name, "--password", password])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: set-password: {}",
            self.ctx,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `mwauth --config=FILE` with nothing from the environment.
fn mwauth(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mwauth"));
    cmd.arg(format!("--config={}", config.display()));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MWAUTH_") {
            cmd.env_remove(key);
        }
    }
    cmd
}
