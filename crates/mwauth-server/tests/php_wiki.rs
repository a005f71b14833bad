//! mwauth beside a real PHP MediaWiki 1.39 sharing its sessions (`session_format = "php"`,
//! docs/beside-mediawiki.md): Debian's MediaWiki is installed into a temporary directory
//! (`tests/php/install-wiki.sh`), served by PHP's own server on a free port, with its sessions
//! and object cache first in a Redis of its own (on a free port), then in its `objectcache`
//! table (SQLite's `wikicache.sqlite`). mwauth serves the same users and sessions, and each
//! side must take the other's sessions, tokens and remember-me cookies.
//!
//! Runs when `php` (with its redis and sqlite modules), the `mediawiki` package and
//! `redis-server` are installed (scripts/test installs them from Debian); otherwise it says
//! so and passes. Every process it starts is stopped by its PID.

mod common;

use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const MEDIAWIKI: &str = "/usr/share/mediawiki";

/// A process this test started, killed (by its PID) when dropped.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn missing_tools() -> Option<String> {
    let modules = Command::new("php").arg("-m").output().ok()?;
    let modules = String::from_utf8_lossy(&modules.stdout).to_lowercase();
    for m in ["redis", "pdo_sqlite"] {
        if !modules.lines().any(|l| l.trim() == m) {
            return Some(format!("php module {m}"));
        }
    }
    if !Path::new(MEDIAWIKI).join("api.php").exists() {
        return Some("the mediawiki package".into());
    }
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("redis-server".into());
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port}");
}

/// A client: curl with its own cookie jar (curl keeps cookies per host, not per port, so one
/// jar goes to both servers as a browser's would with both behind one host name).
struct Client {
    jar: PathBuf,
}

impl Client {
    fn new(dir: &Path, name: &str) -> Client {
        let jar = dir.join(format!("{name}.jar"));
        std::fs::write(&jar, "").unwrap();
        Client { jar }
    }

    fn call(&self, api: &str, params: &[(&str, &str)]) -> Value {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-b"])
            .arg(&self.jar)
            .arg("-c")
            .arg(&self.jar);
        for (k, v) in params {
            cmd.arg("--data-urlencode").arg(format!("{k}={v}"));
        }
        cmd.arg("--data-urlencode").arg("format=json");
        cmd.arg("--data-urlencode").arg("formatversion=2");
        let out = cmd.arg(api).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "{api} {params:?}: not JSON: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn token(&self, api: &str, kind: &str) -> String {
        let v = self.call(
            api,
            &[("action", "query"), ("meta", "tokens"), ("type", kind)],
        );
        v["query"]["tokens"][format!("{kind}token")]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The user name meta=userinfo gives (None: anonymous).
    fn user(&self, api: &str) -> Option<String> {
        let v = self.call(api, &[("action", "query"), ("meta", "userinfo")]);
        let info = &v["query"]["userinfo"];
        if info["anon"].as_bool() == Some(true) {
            None
        } else {
            Some(info["name"].as_str().unwrap().to_string())
        }
    }

    fn clientlogin(&self, api: &str, name: &str, password: &str, remember: bool) {
        let token = self.token(api, "login");
        let mut params = vec![
            ("action", "clientlogin"),
            ("username", name),
            ("password", password),
            ("loginreturnurl", "http://127.0.0.1/"),
            ("logintoken", token.as_str()),
        ];
        if remember {
            params.push(("rememberMe", "1"));
        }
        let v = self.call(api, &params);
        assert_eq!(v["clientlogin"]["status"], "PASS", "{api}: {v}");
    }

    /// Whether the jar holds a cookie of this name.
    fn holds(&self, name: &str) -> bool {
        std::fs::read_to_string(&self.jar)
            .unwrap()
            .lines()
            .any(|l| l.split('\t').nth(5) == Some(name))
    }

    /// Another client holding only the cookies named (by their suffix after the prefix).
    fn copy_with(&self, dir: &Path, name: &str, suffixes: &[&str]) -> Client {
        let text = std::fs::read_to_string(&self.jar).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                let cookie = l.strip_prefix("#HttpOnly_").unwrap_or(l);
                let fields: Vec<&str> = cookie.split('\t').collect();
                fields.len() == 7
                    && !cookie.starts_with('#')
                    && suffixes
                        .iter()
                        .any(|s| fields[5] == format!("oraclewiki{s}"))
            })
            .collect();
        let copy = Client::new(dir, name);
        std::fs::write(&copy.jar, kept.join("\n") + "\n").unwrap();
        copy
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Redis,
    ObjectCache,
}

#[test]
fn sessions_are_shared_with_a_php_wiki() {
    if let Some(missing) = missing_tools() {
        eprintln!("skipped: needs {missing} (scripts/test installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let wiki_port = free_port();
    let install = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/php");
    let status = Command::new(install.join("install-wiki.sh"))
        .arg(dir)
        .arg(wiki_port.to_string())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "install-wiki.sh failed: see its install.log"
    );
    std::fs::copy(install.join("router.php"), dir.join("router.php")).unwrap();

    let mut alice_password = "Alice-pass-12345".to_string();
    for (round, mode) in [Mode::Redis, Mode::ObjectCache].into_iter().enumerate() {
        let new_password = format!("Alice-changed-{round}-67890");
        check_mode(dir, wiki_port, mode, &alice_password, &new_password);
        alice_password = new_password;
    }
}

fn check_mode(dir: &Path, wiki_port: u16, mode: Mode, alice_password: &str, new_password: &str) {
    let mut _redis = None;
    let sessions = match mode {
        Mode::Redis => {
            let port = free_port();
            _redis = Some(Started(
                Command::new("redis-server")
                    .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                    .args(["--save", "", "--appendonly", "no"])
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap(),
            ));
            wait_for_port(port);
            std::fs::write(
                dir.join("mode.php"),
                format!(
                    "<?php\n$wgObjectCaches['redis'] = [ 'class' => RedisBagOStuff::class, \
                     'servers' => [ '127.0.0.1:{port}' ], 'persistent' => false ];\n\
                     $wgMainCacheType = 'redis';\n$wgSessionCacheType = 'redis';\n"
                ),
            )
            .unwrap();
            format!("redis://127.0.0.1:{port}")
        }
        Mode::ObjectCache => {
            std::fs::write(dir.join("mode.php"), "<?php\n").unwrap();
            format!(
                "objectcache+sqlite:{}",
                dir.join("data/wikicache.sqlite").display()
            )
        }
    };
    let _wiki = Started(
        Command::new("php")
            .args(["-S", &format!("127.0.0.1:{wiki_port}"), "router.php"])
            .current_dir(dir)
            .env("MW_IP", MEDIAWIKI)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(wiki_port);
    let php = format!("http://127.0.0.1:{wiki_port}/w/api.php");

    let config = dir.join("mwauth.toml");
    std::fs::write(
        &config,
        format!(
            "users = \"sqlite:{}\"\nsessions = \"{sessions}\"\nsession_format = \"php\"\n\
             user_cache_ms = 0\n[wiki]\nwiki_id = \"oraclewiki\"\n\
             authentication_token_version = \"1\"\n",
            dir.join("data/oraclewiki.sqlite").display()
        ),
    )
    .unwrap();
    let config_arg = std::ffi::OsString::from(format!("--config={}", config.display()));
    let mwauth_dir = dir.join("mwauth");
    let (server, stderr) = common::start_serve(&mwauth_dir, &[config_arg.as_os_str()], "info");
    std::thread::spawn(move || {
        let mut stderr = stderr;
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    });
    let mw = server.url.clone();
    let ctx = format!("{mode:?}");

    // A bot-password login through mwauth is a session PHP knows, and PHP takes mwauth's
    // csrf token for it.
    let bot = Client::new(dir, "bot");
    let token = bot.token(&mw, "login");
    let v = bot.call(
        &mw,
        &[
            ("action", "login"),
            ("lgname", "Alice@testbot"),
            ("lgpassword", "alicebotpasswordalicebotpass0001"),
            ("lgtoken", &token),
        ],
    );
    assert_eq!(v["login"]["result"], "Success", "{ctx}: {v}");
    assert_eq!(bot.user(&php).as_deref(), Some("Alice"), "{ctx}");
    let csrf = bot.token(&mw, "csrf");
    let v = bot.call(
        &php,
        &[("action", "checktoken"), ("type", "csrf"), ("token", &csrf)],
    );
    assert_eq!(v["checktoken"]["result"], "valid", "{ctx}: {v}");

    // A clientlogin made by PHP is a session mwauth knows; its remember-me cookies log in
    // on mwauth; mwauth's logout with PHP's csrf token ends it for PHP.
    let bob = Client::new(dir, "bob");
    bob.clientlogin(&php, "Bob", "Bob-pass-12345", true);
    assert_eq!(bob.user(&mw).as_deref(), Some("Bob"), "{ctx}");
    let remembered = bob.copy_with(dir, "bob-remembered", &["UserID", "Token"]);
    assert_eq!(remembered.user(&mw).as_deref(), Some("Bob"), "{ctx}");
    let session_only = bob.copy_with(dir, "bob-session", &["_session", "UserID"]);
    assert_eq!(session_only.user(&php).as_deref(), Some("Bob"), "{ctx}");
    let csrf = bob.token(&php, "csrf");
    let v = bob.call(&mw, &[("action", "logout"), ("token", &csrf)]);
    assert_eq!(v, serde_json::json!({}), "{ctx}");
    assert_eq!(bob.user(&php), None, "{ctx}");
    assert_eq!(
        session_only.user(&php),
        None,
        "{ctx}: the stored session is gone"
    );

    // A clientlogin made by mwauth: PHP knows the session, and its remember-me cookies log
    // in on PHP.
    let alice = Client::new(dir, "alice");
    alice.clientlogin(&mw, "Alice", alice_password, true);
    let alice_session = alice.copy_with(dir, "alice-session", &["_session", "UserID"]);
    assert_eq!(alice_session.user(&php).as_deref(), Some("Alice"), "{ctx}");
    let remembered = alice.copy_with(dir, "alice-remembered", &["UserID", "Token"]);
    assert_eq!(remembered.user(&php).as_deref(), Some("Alice"), "{ctx}");
    // Without its UserID cookie a request is anonymous, which Alice's session is not: neither
    // side takes the session (SessionManager's "User ID mismatch"), and it stays stored.
    // Both clear the session cookie rather than start a new session.
    for (side, api) in [("mwauth", &mw), ("PHP", &php)] {
        let no_user_id = alice.copy_with(dir, "alice-no-userid", &["_session"]);
        assert_eq!(no_user_id.user(api), None, "{ctx}: {side}");
        assert!(
            !no_user_id.holds("oraclewiki_session"),
            "{ctx}: {side} left a session cookie"
        );
    }
    assert_eq!(alice_session.user(&mw).as_deref(), Some("Alice"), "{ctx}");

    // A new password set through mwauth's CLI logs Alice out on PHP at once (PHP had her row
    // cached, with the old token, from the requests above).
    let out = Command::new(env!("CARGO_BIN_EXE_mwauth"))
        .arg(&config_arg)
        .args(["user", "set-password", "Alice", "--password", new_password])
        .env("MWAUTH_DATA_DIR", &mwauth_dir)
        .env_remove("MWAUTH_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{ctx}: set-password: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(alice_session.user(&php), None, "{ctx}");
    assert_eq!(remembered.user(&php), None, "{ctx}");
    assert_eq!(alice_session.user(&mw), None, "{ctx}");
    drop(server);
}
