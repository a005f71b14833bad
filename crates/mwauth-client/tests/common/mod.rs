//! An mwauth server on a loopback port with one account, `Alice`, and her bot password
//! `Alice@testbot` (the names and password of the reference wiki in `../shared/oracle`).
#![allow(dead_code)]

use mwauth::user::BotPasswordRecord;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;

pub const BOT_NAME: &str = "Alice@testbot";
pub const BOT_PASSWORD: &str = "alicebotpasswordalicebotpass0001";
pub const WRONG_PASSWORD_REASON: &str = "Incorrect username or password entered. Please try again.";

pub struct TestServer {
    pub server: Spawned,
    pub alice_id: u32,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn api_url(&self) -> String {
        self.server.api_url()
    }
}

pub async fn server_with_alice() -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut file = FileConfig::default();
    file.wiki.wiki_id = "clientwiki".into();
    let settings = Settings {
        file,
        data_dir: dir.path().to_path_buf(),
    };
    let server = spawn(&settings).await.expect("server starts");
    let users = &server.services.users;
    let alice_id = users
        .create_user(
            "Alice",
            &mwauth::user::password::hash("Alice-pass-12345"),
            &mwauth::auth::account::new_user_token(),
            &[],
        )
        .await
        .expect("create Alice");
    let bot = BotPasswordRecord {
        user_id: alice_id,
        app_id: "testbot".into(),
        password: mwauth::user::password::hash(BOT_PASSWORD),
        token: mwauth::session::random_hex(32),
        restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.to_string(),
        grants: vec!["basic".into(), "highvolume".into()],
    };
    users
        .create_bot_password(&bot)
        .await
        .expect("create bot password");
    TestServer {
        server,
        alice_id,
        _dir: dir,
    }
}
