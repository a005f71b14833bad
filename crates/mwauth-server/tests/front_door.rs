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
//! 6. steps 1–4, 7 and 8 again with the sessions in the wiki's `objectcache` table
//!    (`objectcache+sqlite:` on `wikicache.sqlite`, `$wgSessionCacheType = CACHE_DB`), and
//!    steps 1–3 and 7 with that table on MariaDB (`objectcache+mysql://`; PHP's
//!    SqlBagOStuff with a server of its own, the table made by MediaWiki's schema file);
//! 7. `mwauth user set-password` (same configuration) logs the user out on PHP at once;
//! 8. the seed's API:Logout examples (Python, PHP, Node) and an mwclient script run unchanged through mwauth: PHP knows their
//!    sessions and tokens before their logouts, which mwauth answers, and not after; the
//!    mwclient script's edit is saved by PHP;
//! 9. the seed's fourth example in Chromium: Special:UserLogin (PHP's page, through mwauth)
//!    logs in, and `new mw.Api().postWithToken('csrf', {action: 'logout'})` on the Main Page
//!    (ResourceLoader's load.php passed to PHP; the token and the logout answered by mwauth)
//!    ends the session for PHP.
//!
//! Steps run in order on one installed wiki: first with the sessions in a Redis of the test's
//! own, then in the objectcache table (SQLite, then MariaDB: the tests' server, a database
//! of the test's own). The wiki's `$wgServer` is mwauth's address, as on a wiki behind a
//! front door (its redirects lead back through mwauth). Needs `php` (redis, sqlite, mysqli
//! modules), `mediawiki` and `redis-server`, installed from Debian when missing; says
//! "skipped" and why only where they cannot be installed. Steps 8 and 9 need
//! python3-requests, python3-mwclient, php-curl, chromium and chromium-driver (scripts/test
//! installs them) and fail saying so when they are missing.

mod common;

use common::examples::{
    bot_session_seen, check_transcript, curl_api, examples_dir, node_with_request, php_with_curl,
    python_with_requests, run_example, run_mwclient, Relay, BP_COOKIE,
};
use common::php::{
    free_port, install_wiki, mariadb_mode, missing_php_wiki, objectcache_mode, redis_mode,
    start_php, Client, Started,
};
use common::webdriver::{require_browser, Browser};
use common::{ServerProcess, ALICE_BOT};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// mwauth's log lines (stderr), as they come.
    log: Arc<Mutex<Vec<String>>>,
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
        door.step8_seed_examples_and_mwclient_run_through_mwauth();
        door.step9_mw_api_logout_in_chromium_ends_the_session_for_php();
        door.step10_an_account_made_through_mwauth_is_in_the_wikis_logs();
        door.step5_with_php_stopped_mwauth_answers_and_502s();
    }
    // Step 6: the same on the objectcache table: SQLite's wikicache.sqlite, …
    {
        let sessions = objectcache_mode(dir);
        let door = FrontDoor::start(dir, wiki_port, &sessions, "objectcache");
        door.step1_bot_password_login_edits_on_php_and_logs_out();
        door.step2_logins_and_logouts_cross_both_ways();
        door.step3_remember_me_cookies_log_in_on_the_other_side();
        door.step4_preferences_through_mwauth_show_the_user();
        door.step7_set_password_logs_out_on_php();
        door.step8_seed_examples_and_mwclient_run_through_mwauth();
    }
    // … and the table on MariaDB (PHP's SqlBagOStuff on its own server, mwauth's
    // objectcache+mysql://).
    let (_mariadb, sessions) = mariadb_mode(dir);
    let door = FrontDoor::start(dir, wiki_port, &sessions, "mariadb");
    door.step1_bot_password_login_edits_on_php_and_logs_out();
    door.step2_logins_and_logouts_cross_both_ways();
    door.step3_remember_me_cookies_log_in_on_the_other_side();
    door.step7_set_password_logs_out_on_php();
}

impl<'a> FrontDoor<'a> {
    /// Starts PHP on `wiki_port` (its store as `mode.php` says) and mwauth with the issue's
    /// configuration file, `sessions` being that store.
    fn start(dir: &'a Path, wiki_port: u16, sessions: &str, ctx: &'static str) -> FrontDoor<'a> {
        let listen = free_port();
        // The wiki's public address is mwauth's: its redirects (after a login on
        // Special:UserLogin, say) lead back through the front door.
        let mode = dir.join("mode.php");
        let settings = std::fs::read_to_string(&mode).unwrap();
        std::fs::write(
            &mode,
            format!("{settings}$wgServer = 'http://127.0.0.1:{listen}';\n"),
        )
        .unwrap();
        let wiki = start_php(dir, wiki_port);
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
        // Its warnings and errors, shown; its requests, kept for the steps to look at.
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let lines = log.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in stderr.lines().map_while(Result::ok) {
                if !line.contains("INFO") {
                    eprintln!("mwauth: {line}");
                }
                lines.lock().unwrap().push(line);
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
            log,
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

    /// How many of mwauth's request log lines are `INFO {what} ` lines holding `needle`
    /// (`what`: `request` for what mwauth answered, `upstream` for what it passed to PHP).
    fn served(&self, what: &str, needle: &str) -> usize {
        let head = format!(" INFO {what} ");
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|l| l.contains(&head) && l.contains(needle))
            .count()
    }

    /// Waits until mwauth has logged at least `count` such lines (its log is written just
    /// after the answer, by a writer thread); fails after 20 s.
    fn wait_served(&self, what: &str, needle: &str, count: usize, at: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.served(what, needle) < count {
            assert!(
                Instant::now() < deadline,
                "{at}: mwauth logged {} `{what}` lines with {needle:?}, not {count}",
                self.served(what, needle)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Bullet 6's clients: the seed's API:Logout examples, unchanged, through a relay to
    /// mwauth. Before each one's logout goes on (the relay holds it), PHP knows the
    /// example's bot-password session and its csrf token; afterwards it knows neither; mwauth
    /// answered the login and the logout itself. Then the mwclient script: its login is a
    /// session PHP knows, its edit (passed to PHP) is saved as Alice's, its logout ends the
    /// session for PHP.
    fn step8_seed_examples_and_mwclient_run_through_mwauth(&self) {
        let ctx = self.ctx;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mw_addr: std::net::SocketAddr =
            self.mw_base.trim_start_matches("http://").parse().unwrap();
        assert!(
            node_with_request(),
            "{ctx}: the Node example needs `node` and `request` (apt-get install nodejs \
             node-request)"
        );
        let examples = vec![
            (python_with_requests(), "logout.py"),
            (php_with_curl(), "logout.php"),
            ("node".to_string(), "logout.js"),
        ];
        for (program, script) in &examples {
            let at = format!("{ctx}: {script}");
            let logins = self.served("request", "action=login ");
            let logouts = self.served("request", "action=logout ");
            let work = self.dir.join(format!("{ctx}-{script}"));
            std::fs::create_dir_all(&work).unwrap();
            let php = self.php.clone();
            let (saw, (bp, csrf), out) = runtime.block_on(async {
                let gate: common::examples::GateCheck = Box::new(move |bp, csrf| {
                    let (user, token) = bot_session_seen(&php, bp, csrf);
                    json!({ "user": user, "csrf": token })
                });
                let relay = Relay::start_gated(mw_addr, Some(gate)).await;
                let script = examples_dir().join(script);
                let api = relay.api_url();
                let ran = run_example(program, &script, &work, &api, ALICE_BOT).await;
                (
                    relay.gate_saw(),
                    check_transcript(&relay, (3, "Alice")),
                    ran.stdout,
                )
            });
            assert!(out.starts_with("{}"), "{at}: {out}");
            assert_eq!(
                saw,
                Some(json!({ "user": "Alice", "csrf": "valid" })),
                "{at}: before the example's logout, PHP knew its session and token"
            );
            assert_eq!(
                bot_session_seen(&self.php, &bp, &csrf),
                (None, "invalid".into()),
                "{at}: after it, PHP knows neither"
            );
            self.wait_served("request", "action=login ", logins + 1, &at);
            self.wait_served("request", "action=logout ", logouts + 1, &at);
        }

        let at = format!("{ctx}: mwclient");
        let title = format!("Mwclient_{ctx}");
        let text = format!("Saved by mwclient through mwauth ({ctx}).");
        let logouts = self.served("request", "action=logout ");
        let host = self.mw_base.trim_start_matches("http://");
        let lines = run_mwclient(host, EDITBOT, Some((&title, &text)), |step| {
            let bp = step["cookies"][BP_COOKIE].as_str().unwrap_or_default();
            match step["step"].as_str().unwrap_or_default() {
                "logged-in" => {
                    assert_eq!(step["user"], "Alice", "{at}: {step}");
                    let csrf = step["csrf"].as_str().unwrap_or_default();
                    let seen = bot_session_seen(&self.php, bp, csrf);
                    assert_eq!(seen, (Some("Alice".into()), "valid".into()), "{at}");
                }
                "saved" => {
                    let result = &step["result"];
                    let result = result.get("edit").unwrap_or(result);
                    assert_eq!(result["result"], "Success", "{at}: {step}");
                    assert_eq!(step["text"], text.as_str(), "{at}: read back via mwauth");
                    // Straight from PHP.
                    let v = curl_api(
                        &self.php,
                        "",
                        &[
                            ("action", "query"),
                            ("prop", "revisions"),
                            ("titles", &title),
                            ("rvprop", "content|user|comment"),
                            ("rvslots", "main"),
                        ],
                    );
                    let revision = &v["query"]["pages"][0]["revisions"][0];
                    assert_eq!(revision["user"], "Alice", "{at}: {v}");
                    assert_eq!(revision["comment"], "mwclient through mwauth", "{at}: {v}");
                    assert_eq!(revision["slots"]["main"]["content"], text.as_str(), "{at}");
                }
                "logged-out" => {
                    assert_eq!(step["answer"], json!({}), "{at}: {step}");
                    assert!(bp.is_empty(), "{at}: {BP_COOKIE} cleared: {step}");
                }
                other => panic!("{at}: unexpected step {other}: {step}"),
            }
        });
        let steps: Vec<&str> = lines.iter().filter_map(|l| l["step"].as_str()).collect();
        assert_eq!(steps, ["logged-in", "saved", "logged-out"], "{at}");
        let bp = lines[0]["cookies"][BP_COOKIE].as_str().unwrap();
        let csrf = lines[0]["csrf"].as_str().unwrap();
        assert_eq!(
            bot_session_seen(&self.php, bp, csrf),
            (None, "invalid".into()),
            "{at}: after its logout, PHP knows neither its session nor its token"
        );
        self.wait_served("request", "action=logout ", logouts + 1, &at);
    }

    /// Bullet 9: the seed's fourth example in Chromium. The wiki's own Special:UserLogin
    /// (PHP's page and its POST, passed on by mwauth) logs Alice in; PHP made the session in
    /// the shared store. On the Main Page (through mwauth; ResourceLoader's load.php passed
    /// to PHP), `new mw.Api().postWithToken('csrf', {action: 'logout'})` gets its token and
    /// its logout from mwauth; afterwards the browser's cookies are anonymous to PHP.
    fn step9_mw_api_logout_in_chromium_ends_the_session_for_php(&self) {
        let ctx = self.ctx;
        let (chromium, driver) = require_browser();
        let shots = self.dir.join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        let page = |title: &str| format!("{}/w/index.php?title={title}", self.mw_base);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let b = Browser::start(&driver, &chromium, shots, self.dir).await;
            b.go(&page("Special:UserLogin")).await;
            b.type_into("#wpName1", ALICE.0).await;
            b.type_into("#wpPassword1", ALICE.1).await;
            b.click("#wpLoginAttempt").await;
            b.wait_text("#pt-userpage", "Alice").await;
            assert!(
                self.served("upstream", "method=POST path=/w/index.php") >= 1,
                "{ctx}: the login form's POST went to PHP"
            );
            let cookies = b.cookies().await;
            let cookie = cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            assert!(cookie.contains("oraclewiki_session="), "{ctx}: {cookie}");
            let userinfo = [("action", "query"), ("meta", "userinfo")];
            let v = curl_api(&self.php, &cookie, &userinfo);
            assert_eq!(v["query"]["userinfo"]["name"], "Alice", "{ctx}: PHP: {v}");

            let logouts = self.served("request", "action=logout ");
            b.go(&page("Main_Page")).await;
            b.wait_text("#pt-userpage", "Alice").await;
            let answer = b
                .async_script(
                    "const done = arguments[arguments.length - 1];\
                     mw.loader.using('mediawiki.api').then(function () {\
                       return new mw.Api().postWithToken('csrf', {action: 'logout'});\
                     }).then(function (data) { done({ answer: data }); },\
                       function (code, data) { done({ failed: code, data: data }); });",
                    json!([]),
                )
                .await;
            assert_eq!(answer, json!({ "answer": {} }), "{ctx}: mw.Api's logout");
            self.wait_served("request", "action=logout ", logouts + 1, ctx);
            assert!(
                self.served("upstream", "path=/w/load.php") >= 1,
                "{ctx}: ResourceLoader went through mwauth to PHP"
            );
            // The cookies the browser held while logged in are anonymous to PHP now.
            let v = curl_api(&self.php, &cookie, &userinfo);
            assert_eq!(v["query"]["userinfo"]["anon"], true, "{ctx}: PHP: {v}");
            b.go(&page("Main_Page")).await;
            b.wait("#pt-login").await;
            b.shot("front-door-logged-out").await;
            b.quit().await;
        });
    }

    /// An account created through mwauth (action=createaccount, answered natively) is in the
    /// wiki's own logs as MediaWiki's own creation would be: PHP's list=logevents shows its
    /// `newusers/create` entry and list=recentchanges the log row.
    fn step10_an_account_made_through_mwauth_is_in_the_wikis_logs(&self) {
        let ctx = self.ctx;
        let created = self.served("request", "action=createaccount ");
        let frank = self.client("createaccount");
        let token = frank.token(&self.mw, "createaccount");
        let made = frank.call(
            &self.mw,
            &[
                ("action", "createaccount"),
                ("username", "Frank"),
                ("password", "Frank-pass-12345"),
                ("retype", "Frank-pass-12345"),
                ("createreturnurl", "http://127.0.0.1/"),
                ("createtoken", &token),
            ],
        );
        assert_eq!(made["createaccount"]["status"], "PASS", "{ctx}: {made}");
        // mwauth answered it itself (a request passed to PHP is logged as `upstream`), so the
        // rows below are mwauth's.
        self.wait_served("request", "action=createaccount ", created + 1, ctx);
        let php = self.client("logs-on-php");
        let log = php.call(
            &self.php,
            &[
                ("action", "query"),
                ("list", "logevents"),
                ("letype", "newusers"),
                ("letitle", "User:Frank"),
            ],
        );
        let entries = log["query"]["logevents"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(entries.len(), 1, "{ctx}: {log}");
        assert_eq!(entries[0]["action"], "create", "{ctx}: {log}");
        assert_eq!(entries[0]["user"], "Frank", "{ctx}: {log}");
        let rc = php.call(
            &self.php,
            &[
                ("action", "query"),
                ("list", "recentchanges"),
                ("rctype", "log"),
                ("rcprop", "title|loginfo"),
            ],
        );
        let rows = rc["query"]["recentchanges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            rows.iter()
                .any(|r| r["title"] == "User:Frank" && r["logtype"] == "newusers"),
            "{ctx}: {rc}"
        );
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
