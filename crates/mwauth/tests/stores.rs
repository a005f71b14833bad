//! The storage contracts, each run against every backend by one generic body: UserStore on
//! SQLite, MariaDB and PostgreSQL; SessionStore on memory, SQLite and Redis. The servers are
//! the machine's own on loopback (MariaDB 127.0.0.1:3306 root, PostgreSQL 127.0.0.1:5432
//! postgres, database `test` on both; Redis 127.0.0.1:6379); override with MWAUTH_TEST_MYSQL,
//! MWAUTH_TEST_POSTGRES, MWAUTH_TEST_REDIS (tests/support). Every test works under its own
//! random table prefix or key namespace, so tests run concurrently, and removes what it made.

use mwauth::session::{random_hex, BotGrant, SessionData};
use mwauth::store::memory::MemoryStore;
use mwauth::store::mysql::MysqlUserStore;
use mwauth::store::postgres::PostgresUserStore;
use mwauth::store::redis::RedisSessionStore;
use mwauth::store::sqlite::SqliteStore;
use mwauth::store::url::{self, SessionsUrl, StoreOptions, UsersUrl};
use mwauth::store::{BotPasswordUpdate, OathRow, SessionStore, StoreError, UserStore};
use mwauth::user::BotPasswordRecord;
use std::sync::Arc;
use std::time::Duration;
use support::{mysql_url, postgres_url, prefix, redis_url, with_cleanup};

mod support;

fn now() -> i64 {
    mwauth::time::now()
}

fn bp(user_id: u32, app_id: &str, grants: &[&str]) -> BotPasswordRecord {
    BotPasswordRecord {
        user_id,
        app_id: app_id.to_string(),
        password: format!(":pbkdf2:sha512:30000:64:{}", random_hex(16)),
        token: random_hex(32),
        restrictions: r#"{"IPAddresses":["0.0.0.0/0","::/0"]}"#.to_string(),
        grants: grants.iter().map(|g| g.to_string()).collect(),
    }
}

/// The UserStore contract.
async fn user_store_contract(s: Arc<dyn UserStore>) {
    let alice_token = random_hex(32);
    let alice = s
        .create_user(
            "Alice",
            ":pbkdf2:x",
            &alice_token,
            &["sysop".to_string(), "bureaucrat".to_string()],
        )
        .await
        .expect("create Alice");
    let u = s.user_by_name("Alice").await.unwrap().expect("Alice found");
    assert_eq!(u.id, alice);
    assert_eq!(u.name, "Alice");
    assert_eq!(u.password, ":pbkdf2:x");
    // By name, as UserGroupManager::getUserGroupMemberships ksort()s them, not as granted.
    assert_eq!(u.groups, vec!["bureaucrat", "sysop"]);
    assert_eq!(u.token, alice_token);
    assert_eq!(u.registration.len(), 14, "{:?}", u.registration);
    assert!(u.registration.starts_with("20"), "{:?}", u.registration);
    assert_eq!(u.editcount, 0);
    assert_eq!(s.user_by_id(alice).await.unwrap().unwrap(), u);

    // Names are exact: case matters, a taken name conflicts.
    assert!(s.user_by_name("alice").await.unwrap().is_none());
    assert!(matches!(
        s.create_user("Alice", "", "", &[]).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.user_by_id(alice + 1000).await.unwrap().is_none());

    // UTF-8 names survive binary columns.
    let zoe = s.create_user("Zoë 日本", "", "", &[]).await.unwrap();
    assert!(zoe > alice);
    assert_eq!(
        s.user_by_name("Zoë 日本").await.unwrap().unwrap().name,
        "Zoë 日本"
    );
    let bob = s
        .create_user("Bob", ":pbkdf2:b", &random_hex(32), &[])
        .await
        .unwrap();

    let all = s.list_users().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|u| (u.id, u.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(alice, "Alice"), (zoe, "Zoë 日本"), (bob, "Bob")]
    );
    assert_eq!(all[0].groups, vec!["bureaucrat", "sysop"]);
    assert!(all[2].groups.is_empty());

    // A rehash keeps user_token; a password change replaces it.
    s.set_password(alice, ":pbkdf2:rehashed", None)
        .await
        .unwrap();
    let u2 = s.user_by_id(alice).await.unwrap().unwrap();
    assert_eq!(
        (u2.password.as_str(), &u2.token),
        (":pbkdf2:rehashed", &u.token)
    );
    let new_token = random_hex(32);
    s.set_password(alice, ":pbkdf2:changed", Some(&new_token))
        .await
        .unwrap();
    let u3 = s.user_by_id(alice).await.unwrap().unwrap();
    assert_eq!(u3.password, ":pbkdf2:changed");
    assert_eq!(u3.token, new_token);
    let token = random_hex(32);
    s.set_user_token(alice, &token).await.unwrap();
    assert_eq!(s.user_by_id(alice).await.unwrap().unwrap().token, token);
    // Other users are untouched.
    assert_eq!(
        s.user_by_id(bob).await.unwrap().unwrap().password,
        ":pbkdf2:b"
    );

    // Bot passwords.
    let b1 = bp(alice, "testbot", &["basic", "highvolume"]);
    s.create_bot_password(&b1).await.unwrap();
    assert_eq!(s.bot_password(alice, "testbot").await.unwrap().unwrap(), b1);
    assert!(s.bot_password(alice, "TestBot").await.unwrap().is_none());
    assert!(s.bot_password(bob, "testbot").await.unwrap().is_none());
    assert!(matches!(
        s.create_bot_password(&bp(alice, "testbot", &["basic"]))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // The same name for another user is another bot password.
    let b_bob = bp(bob, "testbot", &["basic"]);
    s.create_bot_password(&b_bob).await.unwrap();
    let b2 = bp(alice, "another", &[]);
    s.create_bot_password(&b2).await.unwrap();
    assert_eq!(
        s.list_bot_passwords(alice)
            .await
            .unwrap()
            .iter()
            .map(|b| b.app_id.as_str())
            .collect::<Vec<_>>(),
        vec!["another", "testbot"]
    );
    assert_eq!(
        s.bot_password(alice, "another")
            .await
            .unwrap()
            .unwrap()
            .grants,
        Vec::<String>::new()
    );
    s.set_bot_password_hash(alice, "testbot", ":pbkdf2:new")
        .await
        .unwrap();
    let got = s.bot_password(alice, "testbot").await.unwrap().unwrap();
    assert_eq!(got.password, ":pbkdf2:new");
    assert_eq!(got.token, b1.token);
    assert_eq!(
        s.bot_password(bob, "testbot")
            .await
            .unwrap()
            .unwrap()
            .password,
        b_bob.password
    );
    // Special:BotPasswords' "Update": grants, restrictions and token, the hash on request.
    let grants = vec!["basic".to_string(), "editpage".to_string()];
    let restr = r#"{"IPAddresses":["127.0.0.1"]}"#;
    let t2 = random_hex(32);
    assert!(s
        .update_bot_password(
            alice,
            "testbot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: restr,
                token: &t2,
                password_hash: None
            }
        )
        .await
        .unwrap());
    let got = s.bot_password(alice, "testbot").await.unwrap().unwrap();
    assert_eq!(
        (
            &got.grants,
            got.restrictions.as_str(),
            &got.token,
            got.password.as_str()
        ),
        (&grants, restr, &t2, ":pbkdf2:new")
    );
    let t3 = random_hex(32);
    assert!(s
        .update_bot_password(
            alice,
            "testbot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: restr,
                token: &t3,
                password_hash: Some(":pbkdf2:reset")
            }
        )
        .await
        .unwrap());
    let got = s.bot_password(alice, "testbot").await.unwrap().unwrap();
    assert_eq!((&got.token, got.password.as_str()), (&t3, ":pbkdf2:reset"));
    assert!(!s
        .update_bot_password(
            alice,
            "nosuchbot",
            BotPasswordUpdate {
                grants: &grants,
                restrictions: restr,
                token: &t3,
                password_hash: None
            }
        )
        .await
        .unwrap());
    assert_eq!(
        s.bot_password(bob, "testbot").await.unwrap().unwrap().token,
        b_bob.token
    );
    assert!(s.delete_bot_password(alice, "testbot").await.unwrap());
    assert!(!s.delete_bot_password(alice, "testbot").await.unwrap());
    assert!(s.bot_password(alice, "testbot").await.unwrap().is_none());
    assert!(s.bot_password(bob, "testbot").await.unwrap().is_some());
    assert_eq!(s.list_bot_passwords(alice).await.unwrap().len(), 1);
    assert!(s.list_bot_passwords(zoe).await.unwrap().is_empty());

    // OATHAuth's oathauth_users, made on demand (twice changes nothing): one row per user
    // (id = user_id), replaced by a new key, gone when disabled.
    s.create_oath_table().await.unwrap();
    s.create_oath_table().await.unwrap();
    assert!(s.oath_user(alice).await.unwrap().is_none());
    let row = |secret: &str| OathRow {
        module: "totp".into(),
        data: format!(r#"{{"keys":[{{"secret":"{secret}","scratch_tokens":["AAAA"]}}]}}"#),
    };
    s.set_oath_user(alice, &row("FIRSTSECRET")).await.unwrap();
    s.set_oath_user(bob, &row("BOBSSECRET")).await.unwrap();
    assert_eq!(s.oath_user(alice).await.unwrap(), Some(row("FIRSTSECRET")));
    s.set_oath_user(alice, &row("SECONDSECRET")).await.unwrap();
    assert_eq!(s.oath_user(alice).await.unwrap(), Some(row("SECONDSECRET")));
    assert!(s.delete_oath_user(alice).await.unwrap());
    assert!(!s.delete_oath_user(alice).await.unwrap());
    assert!(s.oath_user(alice).await.unwrap().is_none());
    assert_eq!(s.oath_user(bob).await.unwrap(), Some(row("BOBSSECRET")));
}

#[tokio::test]
async fn user_store_contract_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("w.sqlite"))
        .await
        .unwrap();
    user_store_contract(Arc::new(s)).await;
}

#[tokio::test]
async fn user_store_contract_sqlite_with_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.sqlite");
    let a = SqliteStore::open_with_prefix(&path, "mw_").await.unwrap();
    user_store_contract(Arc::new(a.clone())).await;
    // Another prefix in the same file is another wiki.
    let b = SqliteStore::open_with_prefix(&path, "other_")
        .await
        .unwrap();
    assert!(b.list_users().await.unwrap().is_empty());
    assert_eq!(a.inspect().await.unwrap().1, Some(3));
}

#[tokio::test]
async fn user_store_contract_mysql() {
    let p = prefix();
    let s = MysqlUserStore::open(&mysql_url(), &p)
        .await
        .expect("MariaDB on 127.0.0.1:3306");
    let (present, count) = s.inspect().await.unwrap();
    assert_eq!(
        present,
        vec!["user", "user_groups", "actor", "bot_passwords"]
    );
    assert_eq!(count, Some(0));
    let body = user_store_contract(Arc::new(s.clone()));
    let other = MysqlUserStore::connect(&mysql_url(), &prefix())
        .await
        .unwrap();
    let cleanup = async {
        s.drop_tables().await.unwrap();
        s.close().await;
        other.close().await;
    };
    with_cleanup(
        {
            let other = other.clone();
            async move {
                body.await;
                // Another prefix sees none of it (and has no tables yet).
                assert!(other.inspect().await.unwrap().0.is_empty());
            }
        },
        cleanup,
    )
    .await;
}

#[tokio::test]
async fn user_store_contract_postgres() {
    let p = prefix();
    let s = PostgresUserStore::open(&postgres_url(), &p)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    assert_eq!(s.user_table(), format!("\"{p}user\""));
    let (present, count) = s.inspect().await.unwrap();
    assert_eq!(
        present,
        vec!["user", "user_groups", "actor", "bot_passwords"]
    );
    assert_eq!(count, Some(0));
    // Opening again (a second node starting) changes nothing.
    let again = PostgresUserStore::open(&postgres_url(), &p).await.unwrap();
    again.close().await;
    let body = user_store_contract(Arc::new(s.clone()));
    with_cleanup(body, async {
        s.drop_tables().await.unwrap();
        s.close().await;
    })
    .await;
}

/// Rows written the way MediaWiki writes them (binary columns, NULL registration and edit
/// count, BINARY(32) padding) read back as mwauth expects.
#[tokio::test]
async fn mysql_reads_rows_mediawiki_wrote() {
    let p = prefix();
    let s = MysqlUserStore::open(&mysql_url(), &p).await.unwrap();
    let pool = sqlx::MySqlPool::connect(&mysql_url()).await.unwrap();
    let setup = {
        let pool = pool.clone();
        let p = p.clone();
        let s = s.clone();
        async move {
            sqlx::query(&format!(
                "INSERT INTO `{p}user` (user_name, user_password, user_newpassword, user_email, user_touched, user_token) \
                 VALUES (_binary'Mallory', _binary':pbkdf2:m', '', '', '20260101000000', '')"
            ))
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(&format!(
                "INSERT INTO `{p}user_groups` (ug_user, ug_group, ug_expiry) VALUES \
                 (1, 'bot', NULL), (1, 'expired', '20000101000000'), (1, 'later', '29990101000000')"
            ))
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(&format!(
                "INSERT INTO `{p}bot_passwords` (bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants) \
                 VALUES (1, 'b', ':pbkdf2:x', 'short', '{{}}', '[\"basic\"]')"
            ))
            .execute(&pool)
            .await
            .unwrap();
            let u = s.user_by_name("Mallory").await.unwrap().unwrap();
            assert_eq!(u.password, ":pbkdf2:m");
            assert_eq!(u.token, "", "BINARY(32) padding is dropped");
            assert_eq!(u.registration, "");
            assert_eq!(u.editcount, 0);
            assert_eq!(u.groups, vec!["bot", "later"]);
            let b = s.bot_password(1, "b").await.unwrap().unwrap();
            assert_eq!(
                (b.token.as_str(), b.grants.clone()),
                ("short", vec!["basic".to_string()])
            );
        }
    };
    with_cleanup(setup, async {
        s.drop_tables().await.unwrap();
        s.close().await;
        pool.close().await;
    })
    .await;
}

/// A wiki from before MediaWiki 1.37 still has `mwuser`: it is used as it is.
#[tokio::test]
async fn postgres_uses_a_legacy_mwuser_table() {
    let p = prefix();
    let pool = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
    sqlx::query(&format!(
        "CREATE TABLE \"{p}mwuser\" (user_id SERIAL PRIMARY KEY, user_name TEXT NOT NULL UNIQUE, \
         user_real_name TEXT DEFAULT '' NOT NULL, user_password TEXT NOT NULL, user_newpassword TEXT NOT NULL, \
         user_email TEXT NOT NULL, user_touched TIMESTAMPTZ NOT NULL, user_token TEXT DEFAULT '' NOT NULL, \
         user_registration TIMESTAMPTZ, user_editcount INT)"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO \"{p}mwuser\" (user_name, user_password, user_newpassword, user_email, user_touched, user_registration, user_editcount) \
         VALUES ('Old', ':B:x', '', '', now(), '2011-02-03 04:05:06+00', 7)"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let s = PostgresUserStore::open(&postgres_url(), &p).await.unwrap();
    let body = {
        let s = s.clone();
        let p = p.clone();
        async move {
            assert_eq!(s.user_table(), format!("\"{p}mwuser\""));
            let u = s.user_by_name("Old").await.unwrap().unwrap();
            assert_eq!(
                (u.registration.as_str(), u.editcount),
                ("20110203040506", 7)
            );
            let id = s
                .create_user("New", "", "", &["sysop".into()])
                .await
                .unwrap();
            assert_eq!(
                s.user_by_id(id).await.unwrap().unwrap().groups,
                vec!["sysop"]
            );
            assert!(s.inspect().await.unwrap().0.contains(&"user"));
        }
    };
    with_cleanup(body, async {
        s.drop_tables().await.unwrap();
        s.close().await;
        pool.close().await;
    })
    .await;
}

fn session(user_id: u32, name: &str) -> SessionData {
    let mut data = SessionData {
        user_id,
        user_name: name.to_string(),
        user_token: random_hex(32),
        remember: true,
        ..SessionData::default()
    };
    data.token_secrets.insert("default".into(), random_hex(32));
    data.bot = Some(BotGrant {
        app_id: "testbot".into(),
        grants: vec!["basic".into()],
        token: random_hex(32),
    });
    data
}

/// Waits until the wall clock's second is past `second` (a store's expiry is in whole
/// seconds: a record expiring at `second` is still there during it).
async fn wait_until_past(second: i64) {
    while now() <= second {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The SessionStore contract. `ns` keeps this run's throttle keys apart from others'.
async fn session_store_contract(s: Arc<dyn SessionStore>, ns: &str) {
    let id = random_hex(32);
    let data = session(3, "Alice");
    let exp = now() + 60;
    s.save(&id, &data, exp).await.unwrap();
    assert_eq!(
        s.load(&id).await.unwrap(),
        Some((std::sync::Arc::new(data.clone()), exp))
    );
    assert!(s.load(&random_hex(32)).await.unwrap().is_none());

    // Saving again replaces data and expiry.
    let data2 = session(3, "Alice");
    s.save(&id, &data2, exp + 10).await.unwrap();
    assert_eq!(
        s.load(&id).await.unwrap(),
        Some((std::sync::Arc::new(data2), exp + 10))
    );

    // Already expired: not found.
    let old = random_hex(32);
    s.save(&old, &data, now() - 1).await.unwrap();
    assert!(s.load(&old).await.unwrap().is_none());

    s.delete(&id).await.unwrap();
    assert!(s.load(&id).await.unwrap().is_none());
    s.delete(&id).await.unwrap();

    // Throttle counters count per key and start again after a clear.
    let k = format!("throttler:password:0:{ns}%3A%3A1:{}", random_hex(32));
    let k2 = format!("throttler:password:1:{ns}:");
    for want in 1..=3 {
        assert_eq!(s.throttle_hit(&k, 300).await.unwrap(), want);
    }
    assert_eq!(s.throttle_hit(&k2, 300).await.unwrap(), 1);
    s.throttle_clear(&k).await.unwrap();
    assert_eq!(s.throttle_hit(&k, 300).await.unwrap(), 1);
    s.throttle_clear(&k).await.unwrap();
    s.throttle_clear(&k2).await.unwrap();

    // A counter read without counting (the rate limiters' peek), and a value set with a TTL
    // (OATHAuth's last accepted TOTP step).
    let kp = format!("limiter:badoath:user:{ns}-{}", random_hex(8));
    assert_eq!(s.throttle_count(&kp).await.unwrap(), 0);
    s.throttle_hit(&kp, 60).await.unwrap();
    s.throttle_hit(&kp, 60).await.unwrap();
    assert_eq!(s.throttle_count(&kp).await.unwrap(), 2);
    assert_eq!(s.throttle_count(&kp).await.unwrap(), 2);
    s.throttle_set(&kp, 59_000_123, 270).await.unwrap();
    assert_eq!(s.throttle_count(&kp).await.unwrap(), 59_000_123);
    s.throttle_clear(&kp).await.unwrap();
    assert_eq!(s.throttle_count(&kp).await.unwrap(), 0);

    // Expiry in time: a session and a counter that live 1 second are gone once the clock
    // has passed that second, however long the machine took to get there. (That they live
    // until then is the `exp` and 300-second cases above: a check at "still within the
    // second" would race a loaded machine.)
    let short = random_hex(32);
    let kt = format!("throttler:password:0:{ns}-ttl:");
    s.save(&short, &data, now() + 1).await.unwrap();
    assert_eq!(s.throttle_hit(&kt, 1).await.unwrap(), 1);
    wait_until_past(now() + 1).await;
    assert!(
        s.load(&short).await.unwrap().is_none(),
        "session outlived its expiry"
    );
    assert_eq!(
        s.throttle_hit(&kt, 300).await.unwrap(),
        1,
        "counter outlived its TTL"
    );
    s.throttle_clear(&kt).await.unwrap();
    s.delete(&short).await.unwrap();
    s.delete(&old).await.unwrap();
    s.purge_expired().await.unwrap();
}

#[tokio::test]
async fn session_store_contract_memory() {
    let s = Arc::new(MemoryStore::new());
    session_store_contract(s.clone(), "mem").await;
    s.save("gone", &SessionData::default(), now() - 5)
        .await
        .unwrap();
    assert_eq!(s.purge_expired().await.unwrap(), 1);
    assert!(s.is_empty());
}

/// The embedded default: sessions in the SQLite file, opened as the server opens them.
#[tokio::test]
async fn session_store_contract_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.sqlite");
    let stores = url::open(
        &UsersUrl::Sqlite(file.clone()),
        &SessionsUrl::Sqlite(file),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    session_store_contract(stores.sessions, "sqlite").await;
}

#[tokio::test]
async fn session_store_contract_redis() {
    let ns = format!("mwauth-test-{}", random_hex(8));
    let global = format!("{ns}-global");
    let s = RedisSessionStore::open_with_global(&redis_url(), &ns, &global).unwrap();
    assert_eq!(s.ping().await.expect("Redis on 127.0.0.1:6379"), "PONG");
    session_store_contract(Arc::new(s.clone()), &ns).await;

    // The keys are MediaWiki's, and Redis expires them.
    let id = random_hex(32);
    s.save(&id, &SessionData::default(), now() + 100)
        .await
        .unwrap();
    let key = format!("{ns}:MWSession:{id}");
    assert_eq!(s.session_key(&id), key);
    let ttl = s.ttl(&key).await.unwrap();
    assert!((98..=100).contains(&ttl), "TTL {ttl}");
    let tk = "throttler:password:0:127.0.0.1:";
    s.throttle_hit(tk, 300).await.unwrap();
    let ttl = s.ttl(&format!("{global}:{tk}")).await.unwrap();
    assert!((298..=300).contains(&ttl), "TTL {ttl}");
    // The counter is a plain integer, as MediaWiki's RedisBagOStuff stores it.
    assert_eq!(s.throttle_hit(tk, 300).await.unwrap(), 2);
    s.throttle_clear(tk).await.unwrap();
    assert_eq!(s.ttl(&format!("{global}:{tk}")).await.unwrap(), -2);
    s.delete(&id).await.unwrap();
    assert_eq!(s.ttl(&key).await.unwrap(), -2);
    // The real global keyspace is MediaWiki's.
    let real = RedisSessionStore::open(&redis_url(), "my_wiki").unwrap();
    assert_eq!(real.throttle_key(tk), format!("global:{tk}"));
    assert_eq!(real.session_key("abc"), "my_wiki:MWSession:abc");
}

/// A Redis that does not answer fails each call within the bound instead of hanging.
#[tokio::test]
async fn redis_unreachable_fails_fast() {
    // Nothing listens on this port (it is not Redis'): connections are refused.
    let s = RedisSessionStore::open("redis://127.0.0.1:6390", "dead").unwrap();
    let start = std::time::Instant::now();
    assert!(s.load(&random_hex(32)).await.is_err());
    assert!(s.throttle_hit("throttler:x:0::", 60).await.is_err());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
