//! `mwauth config from-mediawiki`: the JSON of MediaWiki's `getConfiguration.php --format
//! json` turned into mwauth's TOML, loaded with the loader `mwauth serve --config` uses.
//! `fixtures/getconfiguration-extensions.json` is the reference extensions wiki's
//! (shared/oracle/extensions.sh: OATHAuth, ConfirmEdit's QuestyCaptcha, sessions in
//! `wikicache.sqlite`), trimmed to the settings the command reads; the last test runs the
//! real getConfiguration.php on a wiki installed here with its sessions in Redis, and
//! `mwauth serve` on the converted file answers for a session PHP made.

mod common;

use common::php::{free_port, install_wiki, missing_php_wiki, redis_mode, start_php, Client};
use common::ServerProcess;
use mwauth::config::{CaptchaKind, CaptchaTrigger, GroupRights, SessionFormat};
use mwauth_server::config::{load, FileConfig};
use mwauth_server::import::from_mediawiki;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const FIXTURE: &str = include_str!("fixtures/getconfiguration-extensions.json");

/// The TOML for `json`, and what `mwauth serve --config` reads from it.
fn converted(json: &Value) -> (String, FileConfig) {
    let toml = from_mediawiki(&json.to_string()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mwauth.toml");
    std::fs::write(&path, &toml).unwrap();
    let file = load(Some(&path)).unwrap_or_else(|e| panic!("{e:#}\n{toml}"));
    (toml, file)
}

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

#[test]
fn the_extensions_wiki_s_settings_load_as_mwauth_s() {
    let (toml, file) = converted(&fixture());
    assert_eq!(file.session_format, SessionFormat::Php);
    assert_eq!(
        file.users.as_deref(),
        Some("sqlite:/tmp/p-ext/data/oraclewiki.sqlite")
    );
    // CACHE_DB with the installer's SqlBagOStuff server: wikicache.sqlite beside the wiki.
    assert_eq!(
        file.sessions.as_deref(),
        Some("objectcache+sqlite:/tmp/p-ext/data/wikicache.sqlite")
    );
    assert_eq!(file.table_prefix, "");
    assert_eq!(file.cache_prefix, None);
    let wiki = &file.wiki;
    assert_eq!(wiki.wiki_id, "oraclewiki");
    assert_eq!(wiki.cookie_prefix, "", "the default rule gives oraclewiki");
    assert_eq!(wiki.authentication_token_version.as_deref(), Some("1"));
    assert_eq!(wiki.sitename, "OracleWiki");
    assert_eq!(wiki.server, "http://127.0.0.1:8197");
    assert_eq!(wiki.script_path, "/w");
    assert_eq!(wiki.cookie_secure, None);
    assert_eq!(wiki.cookie_samesite, None);
    assert_eq!(wiki.session_expiry, 3600);
    assert_eq!(wiki.cookie_expiry, 30 * 86400);
    assert_eq!(wiki.remember_expiry, 180 * 86400);
    assert!(wiki.enable_bot_passwords);
    assert_eq!(wiki.password_attempt_throttle, [(5, 300), (150, 172800)]);
    assert_eq!(wiki.account_creation_throttle, [(0, 86400)]);
    assert_eq!(wiki.reauthenticate_time, 3600);
    assert_eq!(
        wiki.group_permissions,
        [],
        "the defaults and the extensions'"
    );
    assert!(wiki.oath.enabled);
    assert_eq!(wiki.oath.window_radius, 4);
    assert_eq!(wiki.captcha.kind, CaptchaKind::Questy);
    assert_eq!(wiki.captcha.questions.len(), 1);
    assert_eq!(
        wiki.captcha.questions[0].question,
        "What is the capital of France?"
    );
    assert_eq!(wiki.captcha.questions[0].answers, ["Paris"]);
    assert_eq!(
        wiki.captcha.triggers,
        [
            CaptchaTrigger::CreateAccount,
            CaptchaTrigger::BadLogin,
            CaptchaTrigger::BadLoginPerUser
        ]
    );
    assert_eq!(wiki.captcha.bad_login_attempts, 3);
    assert_eq!(wiki.captcha.bad_login_per_user_attempts, 20);
    // Each value names its $wg; what cannot be carried says why.
    assert!(
        toml.contains("# from $wgDBname\nwiki_id = \"oraclewiki\""),
        "{toml}"
    );
    assert!(toml.contains("# from $wgCaptchaQuestions"), "{toml}");
    assert!(toml.contains("addurl: PHP's"), "{toml}");
}

#[test]
fn other_databases_stores_and_rights_are_carried() {
    let mut wg = fixture();
    // A MariaDB wiki with a table prefix, sessions in a Redis with a password, and rights
    // of its own; no extensions.
    let w = wg.as_object_mut().unwrap();
    w.retain(|k, _| !k.starts_with("wgOATH") && !k.starts_with("wgCaptcha"));
    w.insert("wgDBtype".into(), json!("mysql"));
    w.insert("wgDBserver".into(), json!("db.internal:3307"));
    w.insert("wgDBuser".into(), json!("wiki user"));
    w.insert("wgDBpassword".into(), json!("p@ss:w/rd"));
    w.insert("wgDBname".into(), json!("wikidb"));
    w.insert("wgDBprefix".into(), json!("mw_"));
    w.insert("wgCookiePrefix".into(), json!("wikidb_mw_"));
    w.insert("wgCachePrefix".into(), json!("shared"));
    w.insert("wgCookieSecure".into(), json!(true));
    w.insert("wgCookieSameSite".into(), json!("None"));
    w.insert("wgSessionCacheType".into(), json!("redis"));
    w["wgObjectCaches"]["redis"] = json!({
        "class": "RedisBagOStuff", "servers": ["10.0.0.5:6380"], "password": "se cret"
    });
    w.insert("wgPasswordAttemptThrottle".into(), json!(false));
    w.insert("wgAccountCreationThrottle".into(), json!(3));
    let perms = w["wgGroupPermissions"].as_object_mut().unwrap();
    perms["*"]["createaccount"] = json!(false);
    perms["sysop"]["oathauth-api-all"] = json!(true);
    // Neither extension is loaded now: their rights, still in the table, are the wiki's own.
    perms.insert("editors".into(), json!({"editinterface": true}));
    let (toml, file) = converted(&wg);
    assert_eq!(
        file.users.as_deref(),
        Some("mysql://wiki%20user:p%40ss%3Aw%2Frd@db.internal:3307/wikidb")
    );
    assert_eq!(
        file.sessions.as_deref(),
        Some("redis://:se%20cret@10.0.0.5:6380/0")
    );
    assert_eq!(file.table_prefix, "mw_");
    assert_eq!(file.cache_prefix.as_deref(), Some("shared"));
    let wiki = &file.wiki;
    assert_eq!(wiki.cookie_prefix, "", "wikidb_mw_ is the default rule's");
    assert_eq!(wiki.cookie_secure, Some(true));
    assert_eq!(wiki.cookie_samesite.as_deref(), Some("None"));
    assert_eq!(wiki.password_attempt_throttle, []);
    assert_eq!(wiki.account_creation_throttle, [(3, 86400)]);
    let rights = |g: &str, r: &[(&str, bool)]| GroupRights {
        group: g.into(),
        rights: r.iter().map(|(r, on)| (r.to_string(), *on)).collect(),
    };
    assert_eq!(
        wiki.group_permissions,
        [
            rights("*", &[("createaccount", false)]),
            rights("user", &[("oathauth-enable", true)]),
            rights("bot", &[("skipcaptcha", true)]),
            rights(
                "sysop",
                &[
                    ("oathauth-disable-for-user", true),
                    ("oathauth-verify-user", true),
                    ("oathauth-view-log", true),
                    ("skipcaptcha", true),
                    ("oathauth-api-all", true),
                ]
            ),
            rights("editors", &[("editinterface", true)]),
        ],
        "{toml}"
    );
    assert!(!wiki.allow_account_creation);
    assert!(!wiki.oath.enabled);
    assert_eq!(wiki.captcha.kind, CaptchaKind::None);

    // PostgreSQL, and CACHE_DB without a server of its own: the wiki's database.
    let w = wg.as_object_mut().unwrap();
    w.insert("wgDBtype".into(), json!("postgres"));
    w.insert("wgDBserver".into(), json!(""));
    w.insert("wgDBport".into(), json!(5433));
    w.insert("wgSessionCacheType".into(), json!(-1));
    w.insert("wgMainCacheType".into(), json!(0));
    w["wgObjectCaches"]["1"] = json!({"class": "SqlBagOStuff", "loggroup": "SQLBagOStuff"});
    let (_, file) = converted(&wg);
    let url = "postgres://wiki%20user:p%40ss%3Aw%2Frd@localhost:5433/wikidb";
    assert_eq!(file.users.as_deref(), Some(url));
    assert_eq!(
        file.sessions.as_deref(),
        Some(format!("objectcache+{url}").as_str())
    );
}

#[test]
fn what_is_not_a_wiki_s_configuration_is_refused() {
    assert!(from_mediawiki("not json").is_err());
    assert!(from_mediawiki("{}").is_err());
    assert!(from_mediawiki("[1]").is_err());
}

/// The real getConfiguration.php of a wiki with its sessions in Redis; mwauth started on
/// the converted file (only `listen` and `data_dir` added) knows a session PHP made.
#[test]
fn php_s_own_configuration_serves_php_s_sessions() {
    if let Some(missing) = missing_php_wiki() {
        eprintln!("skipped: needs {missing}, which apt-get could not install");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let wiki_port = free_port();
    install_wiki(dir, wiki_port);
    let (_redis, redis_url) = redis_mode(dir);
    let _php = start_php(dir, wiki_port);

    let out = Command::new("php")
        .args([
            "maintenance/getConfiguration.php",
            "--format",
            "json",
            "--conf",
        ])
        .arg(dir.join("LocalSettings.php"))
        .current_dir("/usr/share/mediawiki")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = dir.join("configuration.json");
    std::fs::write(&json, &out.stdout).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mwauth"))
        .args(["config", "from-mediawiki"])
        .arg(&json)
        .env_remove("MWAUTH_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(
        toml.contains(&format!("sessions = \"{redis_url}\"")),
        "{toml}"
    );
    let wiki_db = dir.join("data/oraclewiki.sqlite");
    assert!(
        toml.contains(&format!("users = \"sqlite:{}\"", wiki_db.display())),
        "{toml}"
    );

    let config = dir.join("mwauth.toml");
    let data_dir = dir.join("mwauth");
    std::fs::write(
        &config,
        format!("data_dir = \"{}\"\n{toml}", data_dir.display()),
    )
    .unwrap();
    let mwauth = serve(&config);
    let php_api = format!("http://127.0.0.1:{wiki_port}/w/api.php");
    let alice = Client::new(dir, "alice");
    alice.clientlogin(&php_api, "Alice", "Alice-pass-12345", false);
    assert_eq!(alice.user(&php_api).as_deref(), Some("Alice"));
    assert_eq!(alice.user(&mwauth.url).as_deref(), Some("Alice"));
    let anonymous = Client::new(dir, "anonymous");
    assert_eq!(anonymous.user(&mwauth.url), None);
}

fn serve(config: &Path) -> ServerProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mwauth"));
    cmd.arg(format!("--config={}", config.display()));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MWAUTH_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let (server, stderr) = common::start_mwauth(cmd);
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in stderr.lines().map_while(Result::ok) {
            eprintln!("mwauth: {line}");
        }
    });
    server
}
