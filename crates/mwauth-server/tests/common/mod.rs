//! Shared by the integration tests: an mwauth server on a loopback port with the reference
//! wiki's accounts (same names, ids, groups and password hashes as `../shared/oracle`'s
//! MediaWiki), so transcripts can be compared with the goldens recorded there.
#![allow(dead_code, unused_imports)]

// The database servers' URLs and clean-up, one file for the library's tests and these.
#[path = "../../../mwauth/tests/support/backends.rs"]
mod backends;
pub use backends::*;

pub mod examples;
pub mod php;
pub mod replay;
pub mod webdriver;

use mwauth::user::BotPasswordRecord;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;

/// (name, password hash written by MediaWiki's installer, groups), in user-id order.
pub const ORACLE_USERS: &[(&str, &str, &[&str])] = &[
    ("Admin", ":pbkdf2:sha512:30000:64:sFrgfZRje0a2m2W3CncuJg==:uDrYzAND1V10Lvy8cRe+sZUep7IyknvMOcTjeJJ+GSZGczCsI1CX1asfHdQz0Lbts9tTPydPtUmXSFkS3yt17A==", &["sysop", "bureaucrat", "interface-admin"]),
    ("MediaWiki default", "", &[]),
    ("Alice", ":pbkdf2:sha512:30000:64:paNT+3NiHjBp94TlYrJjhw==:mEIAxxJAM2c2ZdTQ5t6n0RFmcQfEECcglUdJHfbBg6+eim1tkYT77iLDFB6p42CghF2z8CFwiRhdfNkGU/5XrQ==", &[]),
    ("Bob", ":pbkdf2:sha512:30000:64:tPqdv2rBb5sNPRYhGKQvJg==:25rYYhJ1RhZfDwlb9URfgb8CBFUuYluHDvMcohGRtvZ5NF53GyuuMj7/yUcuoSHEpsV1VtEhxo2FUggkUN+EyQ==", &[]),
    ("Mallory", ":pbkdf2:sha512:30000:64:ClFIqbiULIZWgydobXBkAA==:IxhddfJJaVvMi/OQVHBJh0d9o+hjVQSXqmHPVU3iFdGDMSD87qLMgiMNJ1rEGJGM/loIV4uUEgnxzGH7WuJhOg==", &[]),
];

/// (user id, bot name, password hash, grants).
pub const ORACLE_BOT_PASSWORDS: &[(u32, &str, &str, &[&str])] = &[
    (3, "testbot", ":pbkdf2:sha512:30000:64:YQCZinBa0BigUR/Iu8jpwQ==:yT7Mj4h5mf0rqzKBvcUIHhTENJ3QJICfk1rfuLFbEFsjho5rX7eMT6aLiMuHUR/LcMigUMbay7u29FXyy52IGw==", &["basic", "highvolume"]),
    (4, "bobbot", ":pbkdf2:sha512:30000:64:y6WqwoOYZUXo8QVeACNKAA==:icta7wWFbPbECpQhtaXZLWNFrOuAFV1Mfb+Jz2uVzXKNHzfR2+PQ3ubBv8HWMGc0p5bTAi1jMyC6AXqag9nQpA==", &["basic"]),
];

pub const ALICE_BOT: (&str, &str) = ("Alice@testbot", "alicebotpasswordalicebotpass0001");
pub const BOB_BOT: (&str, &str) = ("Bob@bobbot", "bobbotpasswordbobbotpasswordbob1");

pub struct TestServer {
    pub server: Spawned,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn api_url(&self) -> String {
        self.server.api_url()
    }
}

/// The reference wiki's settings: wiki id `oraclewiki`, site name `OracleWiki`, data in
/// `data_dir`.
pub fn oracle_settings(data_dir: &std::path::Path) -> Settings {
    let mut file = FileConfig::default();
    file.wiki.wiki_id = "oraclewiki".into();
    file.wiki.sitename = "OracleWiki".into();
    // SiteStats the reference wiki reported when the siteinfo goldens were recorded: its
    // `ss_users` counts every account ever created there (scenarios re-recorded over time),
    // not the accounts this server holds, and its job queue had one job.
    file.wiki.site_stats.users = Some(10);
    file.wiki.site_stats.jobs = Some(1);
    Settings {
        file,
        data_dir: data_dir.to_path_buf(),
    }
}

/// A fresh in-process server with the reference wiki's settings and accounts, its SQLite
/// file in a temporary directory.
pub async fn oracle_server() -> TestServer {
    oracle_server_with(|_| {}).await
}

/// As [`oracle_server`], with `configure` applied to the settings first.
pub async fn oracle_server_with(configure: impl FnOnce(&mut FileConfig)) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = oracle_settings(dir.path());
    configure(&mut settings.file);
    let server = spawn(&settings).await.expect("server starts");
    seed_accounts(server.services.users.as_ref()).await;
    TestServer { server, dir }
}

/// An HTTP client that keeps no cookies (a test sends them by hand), with a bound on every
/// request so that a server that hangs fails the test instead of stalling it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("http client")
}

/// A browser-like HTTP client: keeps the cookies the server sets and shows redirects to
/// the test instead of following them.
pub fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("http client")
}

/// The two-factor user of the extensions wiki (`conformance/extensions`): id 6, her password,
/// her TOTP secret and recovery codes, and her bot password.
pub const CAROL: (&str, &str) = ("Carol", "Carol-pass-12345");
pub const CAROL_TOTP_SECRET: &str = "ORACLETOTPSECRETORACLETOTPSECRET";
pub const CAROL_BOT: (&str, &str) = ("Carol@carolbot", "carolbotpasswordcarolbotpassw001");

/// The reference wiki with OATHAuth and ConfirmEdit (QuestyCaptcha) as
/// `conformance/extensions/README` describes it: the settings of its README section, the
/// accounts of [`oracle_server`], and Carol (id 6) enrolled with her key and her bot password.
pub async fn extensions_server() -> TestServer {
    extensions_server_with(|_| {}).await
}

/// [`extensions_server`] with its settings changed by `configure` after the suite's.
pub async fn extensions_server_with(configure: impl FnOnce(&mut FileConfig)) -> TestServer {
    use mwauth::config::{CaptchaConfig, CaptchaKind, CaptchaQuestion, OathConfig};
    let server = oracle_server_with(|file| {
        // With metrics on, every store call goes through the metered wrappers, as on a server
        // that an operator scrapes: the suite then also proves they pass every call on (a
        // wrapper that answered "not enrolled" would let Carol in on her password alone).
        file.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        file.wiki.oath = OathConfig {
            enabled: true,
            window_radius: 4,
            required_for_groups: vec![],
            exclusive_rights: vec![],
        };
        file.wiki.captcha = CaptchaConfig {
            kind: CaptchaKind::Questy,
            questions: vec![CaptchaQuestion {
                question: "What is the capital of France?".into(),
                answers: vec!["Paris".into()],
            }],
            ..CaptchaConfig::default()
        };
        configure(file);
    })
    .await;
    let users = server.server.services.users.as_ref();
    let id = users
        .create_user(
            CAROL.0,
            &mwauth::user::password::hash(CAROL.1),
            &mwauth::auth::account::new_user_token(),
            &[],
        )
        .await
        .expect("create Carol");
    assert_eq!(id, 6, "Carol is user 6, as on the extensions wiki");
    let codes: Vec<String> = ('A'..='J').map(|c| format!("CAROLSCRATCHAAA{c}")).collect();
    let data = mwauth::user::oath::OathData {
        keys: vec![mwauth::user::oath::TotpKey {
            secret: CAROL_TOTP_SECRET.into(),
            scratch_tokens: codes,
        }],
    };
    users
        .set_oath_user(
            id,
            &mwauth::store::OathRow {
                module: mwauth::user::oath::MODULE_TOTP.into(),
                data: data.to_json(),
            },
        )
        .await
        .expect("enrol Carol");
    let bp = BotPasswordRecord {
        user_id: id,
        app_id: "carolbot".into(),
        password: mwauth::user::password::hash(CAROL_BOT.1),
        token: mwauth::session::random_hex(32),
        restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.to_string(),
        grants: vec!["basic".into()],
    };
    users
        .create_bot_password(&bp)
        .await
        .expect("create Carol's bot password");
    server
}

/// The reference wiki's accounts and bot passwords, in user-id order (each bot password with
/// a fresh `bp_token`).
pub async fn seed_accounts(users: &dyn mwauth::store::UserStore) {
    for (name, hash, groups) in ORACLE_USERS {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        users
            .create_user(
                name,
                hash,
                &mwauth::auth::account::new_user_token(),
                &groups,
            )
            .await
            .expect("create user");
    }
    for (user_id, app_id, hash, grants) in ORACLE_BOT_PASSWORDS {
        let bp = BotPasswordRecord {
            user_id: *user_id,
            app_id: app_id.to_string(),
            password: hash.to_string(),
            token: mwauth::session::random_hex(32),
            restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.to_string(),
            grants: grants.iter().map(|g| g.to_string()).collect(),
        };
        users
            .create_bot_password(&bp)
            .await
            .expect("create bot password");
    }
}

/// `mwauth serve` as a child process (the real binary), killed if still running when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl ServerProcess {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// VmRSS of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// SIGKILL (what `kill -9` sends), then reap.
    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    /// SIGTERM and wait up to 10 s: its exit status when it stopped by itself, `None` when
    /// it had to be killed.
    pub fn stop(mut self) -> Option<std::process::ExitStatus> {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `mwauth serve --listen 127.0.0.1:0 ARGS…` with its data in `dir` and `MWAUTH_LOG`
/// set to `log`, and waits (at most 60 s) for its start-up line. Returns the server and its
/// stderr, read up to that line and no further: the caller drains it (or, to test a stuck
/// log collector, does not).
pub fn start_serve(
    dir: &std::path::Path,
    args: &[&std::ffi::OsStr],
    log: &str,
) -> (ServerProcess, std::io::BufReader<std::process::ChildStderr>) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mwauth"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("MWAUTH_DATA_DIR", dir)
        .env("MWAUTH_LOG", log)
        .env_remove("MWAUTH_CONFIG")
        .env_remove("MWAUTH_WIKI_ID");
    start_mwauth(cmd)
}

/// Starts `cmd` (an `mwauth serve`) and waits (at most 60 s) for its start-up line, as
/// [`start_serve`] does.
pub fn start_mwauth(
    mut cmd: std::process::Command,
) -> (ServerProcess, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mwauth serve");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            match stderr.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if let Some(url) = line
                .split_whitespace()
                .find(|w| w.starts_with("http://") && w.ends_with("/w/api.php"))
            {
                let _ = tx.send((url.to_string(), stderr));
                return;
            }
        }
    });
    // The process is a ServerProcess before the wait, so a failed start cannot leave it running.
    let mut server = ServerProcess {
        child,
        url: String::new(),
    };
    let (url, stderr) = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("mwauth serve printed its address");
    server.url = url;
    (server, stderr)
}
