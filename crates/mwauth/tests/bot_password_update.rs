//! UserStore::update_bot_password (Special:BotPasswords' Update and Reset) on every
//! backend: SQLite, MariaDB and PostgreSQL. The servers are the machine's own on loopback, as
//! for tests/stores.rs (MariaDB 127.0.0.1:3306 root, PostgreSQL 127.0.0.1:5432 postgres,
//! database `test`; override with MWAUTH_TEST_MYSQL, MWAUTH_TEST_POSTGRES); each test uses
//! its own random table prefix and drops its tables afterwards.

use mwauth::session::random_hex;
use mwauth::store::mysql::MysqlUserStore;
use mwauth::store::postgres::PostgresUserStore;
use mwauth::store::sqlite::SqliteStore;
use mwauth::store::{BotPasswordUpdate, UserStore};
use mwauth::user::BotPasswordRecord;
use std::sync::Arc;
use support::{mysql_url, postgres_url, prefix, with_cleanup};

mod support;

async fn contract(s: Arc<dyn UserStore>) {
    let uid = s
        .create_user("Alice", ":pbkdf2:x", &random_hex(32), &[])
        .await
        .expect("create Alice");
    let bp = BotPasswordRecord {
        user_id: uid,
        app_id: "my bot".into(),
        password: ":pbkdf2:old".into(),
        token: random_hex(32),
        restrictions: r#"{"IPAddresses":["0.0.0.0/0","::/0"]}"#.into(),
        grants: vec!["basic".into()],
    };
    s.create_bot_password(&bp).await.unwrap();
    let other = BotPasswordRecord {
        app_id: "other".into(),
        ..bp.clone()
    };
    s.create_bot_password(&other).await.unwrap();

    // New grants and restrictions, new token, same password.
    let grants = vec!["basic".to_string(), "highvolume".to_string()];
    let token = random_hex(32);
    let ranges = r#"{"IPAddresses":["127.0.0.1/32"]}"#;
    assert!(s
        .update_bot_password(
            uid,
            "my bot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: ranges,
                token: &token,
                password_hash: None
            }
        )
        .await
        .unwrap());
    let got = s.bot_password(uid, "my bot").await.unwrap().unwrap();
    assert_eq!(got.grants, grants);
    assert_eq!(got.restrictions, ranges);
    assert_eq!(got.token, token);
    assert_eq!(got.password, ":pbkdf2:old");

    // A reset also replaces the password.
    let token2 = random_hex(32);
    assert!(s
        .update_bot_password(
            uid,
            "my bot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: ranges,
                token: &token2,
                password_hash: Some(":pbkdf2:new")
            }
        )
        .await
        .unwrap());
    let got = s.bot_password(uid, "my bot").await.unwrap().unwrap();
    assert_eq!(
        (got.password.as_str(), got.token.as_str()),
        (":pbkdf2:new", token2.as_str())
    );

    // The same values again still finds the row (MySQL counts changed rows by default).
    assert!(s
        .update_bot_password(
            uid,
            "my bot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: ranges,
                token: &token2,
                password_hash: None
            }
        )
        .await
        .unwrap());

    // Nothing else changed; an unknown bot or user is reported as missing.
    assert_eq!(s.bot_password(uid, "other").await.unwrap().unwrap(), other);
    assert!(!s
        .update_bot_password(
            uid,
            "nobot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: ranges,
                token: &token,
                password_hash: None
            }
        )
        .await
        .unwrap());
    assert!(!s
        .update_bot_password(
            uid + 1,
            "my bot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: ranges,
                token: &token,
                password_hash: None
            }
        )
        .await
        .unwrap());
}

#[tokio::test]
async fn update_bot_password_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("w.sqlite"))
        .await
        .unwrap();
    contract(Arc::new(s)).await;
}

#[tokio::test]
async fn update_bot_password_mysql() {
    let s = MysqlUserStore::open(&mysql_url(), &prefix())
        .await
        .expect("MariaDB on 127.0.0.1:3306");
    let body = contract(Arc::new(s.clone()));
    with_cleanup(body, async {
        s.drop_tables().await.unwrap();
        s.close().await;
    })
    .await;
}

#[tokio::test]
async fn update_bot_password_postgres() {
    let s = PostgresUserStore::open(&postgres_url(), &prefix())
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let body = contract(Arc::new(s.clone()));
    with_cleanup(body, async {
        s.drop_tables().await.unwrap();
        s.close().await;
    })
    .await;
}
