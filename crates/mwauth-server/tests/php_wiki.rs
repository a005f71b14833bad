//! mwauth beside a real PHP MediaWiki 1.39 sharing its sessions (`session_format = "php"`,
//! docs/beside-mediawiki.md): Debian's MediaWiki is installed into a temporary directory
//! (`tests/php/install-wiki.sh`), served by PHP's own server on a free port, with its sessions
//! and object cache first in a Redis of its own (on a free port), then in its `objectcache`
//! table (SQLite's `wikicache.sqlite`). mwauth serves the same users and sessions, and each
//! side must take the other's sessions, tokens and remember-me cookies.
//!
//! Needs `php` (with its redis and sqlite modules), the `mediawiki` package and
//! `redis-server` (installed from Debian when missing, as scripts/test does); where they
//! cannot be installed it says so and passes. Every process it starts is stopped by its PID
//! (the wiki and its client: `common/php.rs`).

mod common;

use common::php::{
    install_wiki, missing_php_wiki, objectcache_mode, redis_mode, start_php, Client,
};
use std::path::Path;
use std::process::Command;

#[derive(Clone, Copy, Debug)]
enum Mode {
    Redis,
    ObjectCache,
}

#[test]
fn sessions_are_shared_with_a_php_wiki() {
    if let Some(missing) = missing_php_wiki() {
        eprintln!("skipped: needs {missing} (scripts/test installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let wiki_port = common::php::free_port();
    install_wiki(dir, wiki_port);

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
            let (redis, url) = redis_mode(dir);
            _redis = Some(redis);
            url
        }
        Mode::ObjectCache => objectcache_mode(dir),
    };
    let _wiki = start_php(dir, wiki_port);
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
    bot.bot_login(&mw, "Alice@testbot", "alicebotpasswordalicebotpass0001");
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
    let v = bob.logout(&mw, &csrf);
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
