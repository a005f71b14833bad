//! The session stores in MediaWiki's record format (store::redis_php, store::objectcache)
//! against the real servers on loopback (Redis 127.0.0.1:6379; MariaDB root and PostgreSQL
//! postgres at 127.0.0.1, database `test`; override with MWAUTH_TEST_REDIS,
//! MWAUTH_TEST_MYSQL, MWAUTH_TEST_POSTGRES) and a real SQLite file, with records a PHP
//! MediaWiki 1.39 wrote (tests/fixtures/php-sessions). Each test works under its own random
//! key namespace or table prefix and removes what it made.

use mwauth::session::php_record::PhpRecord;
use mwauth::session::{random_hex, BotGrant, SessionData};
use mwauth::store::objectcache::{deflate, inflate_or_keep, ObjectCacheStore};
use mwauth::store::redis_php::RedisPhpSessionStore;
use mwauth::store::SessionStore;
use std::sync::Arc;
use support::{mysql_url, postgres_url, redis_url};

mod support;

fn now() -> i64 {
    mwauth::time::now()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/php-sessions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A record PHP wrote, with its expiry moved into the future (the fixtures' have passed);
/// everything else is PHP's bytes.
fn live_php_record(name: &str, expires: i64) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap();
    let at = text.find("s:7:\"expires\";i:").unwrap() + 16;
    let end = at + text[at..].find(';').unwrap();
    format!("{}{expires}{}", &text[..at], &text[end..]).into_bytes()
}

fn alice() -> SessionData {
    let mut data = SessionData {
        user_id: 3,
        user_name: "Alice".into(),
        user_token: "2f030e7afe83cf178453a22ab7770b79".into(),
        ..SessionData::default()
    };
    data.token_secrets.insert("default".into(), random_hex(32));
    data
}

/// What every PHP-format store does, given raw access to what it stored: `put` stores a
/// record's serialization as PHP would, `get` returns it as stored.
async fn php_store_contract<S, P, G, PF, GF>(s: Arc<S>, put: P, get: G)
where
    S: SessionStore + ?Sized,
    P: Fn(String, Vec<u8>, i64) -> PF,
    PF: std::future::Future<Output = ()>,
    G: Fn(String) -> GF,
    GF: std::future::Future<Output = Option<Vec<u8>>>,
{
    let exp = now() + 600;

    // A session mwauth makes reads back as it was.
    let id = random_hex(32);
    let data = alice();
    s.save(&id, &data, exp).await.unwrap();
    assert_eq!(
        s.load(&id).await.unwrap(),
        Some((Arc::new(data.clone()), exp))
    );
    let stored = get(id.clone()).await.expect("stored");
    let record = PhpRecord::decode(&stored).unwrap();
    assert_eq!(record.data, data);

    // A session PHP made (clientlogin with rememberMe) reads as Alice's.
    let php_id = random_hex(32);
    let php_bytes = live_php_record("redis-clientlogin-remember.ser", exp);
    put(php_id.clone(), php_bytes.clone(), exp).await;
    let (loaded, expires) = s.load(&php_id).await.unwrap().expect("PHP's session");
    assert_eq!(expires, exp);
    assert_eq!((loaded.user_id, loaded.user_name.as_str()), (3, "Alice"));
    assert!(loaded.remember);
    assert_eq!(loaded.last_auth, 1796677168);

    // Saved unchanged through mwauth: the same bytes PHP wrote.
    s.save(&php_id, &loaded, exp).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&get(php_id.clone()).await.unwrap()),
        String::from_utf8_lossy(&php_bytes)
    );
    // With a new token secret: PHP's own keys are still there, byte for byte.
    let mut changed = (*loaded).clone();
    changed
        .token_secrets
        .insert("createaccount".into(), "c".repeat(32));
    s.save(&php_id, &changed, exp).await.unwrap();
    let rewritten = String::from_utf8(get(php_id.clone()).await.unwrap()).unwrap();
    assert!(
        rewritten.contains("s:15:\"wsSessionSecret\";s:32:\"e6720e8722d9d96c89135d802286aefc\";")
    );
    assert!(rewritten.contains("s:13:\"createaccount\";s:32:\"cccccccccccccccccccccccccccccccc\";"));
    assert_eq!(
        s.load(&php_id)
            .await
            .unwrap()
            .unwrap()
            .0
            .token_secrets
            .len(),
        2
    );

    // A bot-password session PHP made: the bot password's app id and token.
    let bot_id = random_hex(32);
    put(
        bot_id.clone(),
        live_php_record("redis-botpassword.ser", exp),
        exp,
    )
    .await;
    let (bot, _) = s.load(&bot_id).await.unwrap().unwrap();
    assert_eq!(
        bot.bot
            .as_ref()
            .map(|b| (b.app_id.as_str(), b.token.as_str())),
        Some(("editbot", "5ca7cae0f01b1d519697482f0eded1ca"))
    );
    // One mwauth makes carries the provider PHP's BotPasswordSessionProvider looks for.
    let new_bot = random_hex(32);
    let mut bot_data = alice();
    bot_data.bot = Some(BotGrant {
        app_id: "editbot".into(),
        grants: vec!["basic".into()],
        token: "5ca7cae0f01b1d519697482f0eded1ca".into(),
    });
    s.save(&new_bot, &bot_data, exp).await.unwrap();
    let text = String::from_utf8(get(new_bot.clone()).await.unwrap()).unwrap();
    assert!(text.contains("s:44:\"MediaWiki\\Session\\BotPasswordSessionProvider\";"));
    assert!(text.contains("s:9:\"centralId\";i:3;s:5:\"appId\";s:7:\"editbot\";"));

    // What is not a session of mwauth's providers is no session, and stays for PHP.
    let other = random_hex(32);
    put(other.clone(), b"a:1:{i:0;i:1;}".to_vec(), exp).await;
    assert!(s.load(&other).await.unwrap().is_none());
    put(other.clone(), b"\xff\x00garbage".to_vec(), exp).await;
    assert!(s.load(&other).await.unwrap().is_none());

    // Expired: not found, whatever is stored.
    let old = random_hex(32);
    s.save(&old, &data, now() - 1).await.unwrap();
    assert!(s.load(&old).await.unwrap().is_none());

    // Logout deletes the key.
    for id in [&id, &php_id, &bot_id, &new_bot, &other, &old] {
        s.delete(id).await.unwrap();
        assert!(s.load(id).await.unwrap().is_none());
        assert!(get(id.clone()).await.is_none());
    }

    // Throttle counters count per key and start again after a clear.
    let k = format!("throttler:password:0:127.0.0.1:{}", random_hex(32));
    for want in 1..=3 {
        assert_eq!(s.throttle_hit(&k, 300).await.unwrap(), want);
    }
    s.throttle_clear(&k).await.unwrap();
    assert_eq!(s.throttle_hit(&k, 300).await.unwrap(), 1);
    s.throttle_clear(&k).await.unwrap();
}

#[tokio::test]
async fn php_sessions_in_redis_are_mediawikis_records() {
    let ns = format!("mwauth-test-{}", random_hex(8));
    let global = format!("{ns}-global");
    let s = Arc::new(RedisPhpSessionStore::open_with_global(&redis_url(), &ns, &global).unwrap());
    let client = redis::Client::open(redis_url()).unwrap();
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("Redis on 127.0.0.1:6379");
    let key = |id: &str| format!("{ns}:MWSession:{id}");
    let put = |id: String, bytes: Vec<u8>, exp: i64| {
        let mut c = conn.clone();
        let k = key(&id);
        async move {
            redis::cmd("SET")
                .arg(k)
                .arg(bytes)
                .arg("EX")
                .arg(exp - now())
                .query_async::<()>(&mut c)
                .await
                .unwrap();
        }
    };
    let get = |id: String| {
        let mut c = conn.clone();
        let k = key(&id);
        async move {
            redis::cmd("GET")
                .arg(k)
                .query_async::<Option<Vec<u8>>>(&mut c)
                .await
                .unwrap()
        }
    };
    php_store_contract(s.clone(), put, get).await;

    // SETEX with the session's lifetime; the key is MediaWiki's.
    let id = random_hex(32);
    s.save(&id, &alice(), now() + 100).await.unwrap();
    assert_eq!(s.session_key(&id), key(&id));
    let mut c = conn.clone();
    let ttl: i64 = redis::cmd("TTL")
        .arg(key(&id))
        .query_async(&mut c)
        .await
        .unwrap();
    assert!((98..=100).contains(&ttl), "TTL {ttl}");
    s.delete(&id).await.unwrap();
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{ns}*"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Each thread reads and writes on a connection of its own, driven by its own runtime (the
/// server's workers each run one): a record written from one thread is read from another,
/// also after the first thread's runtime, which drove the first connection, has ended. Both
/// Redis stores: MediaWiki's records and mwauth's own.
#[test]
fn each_thread_uses_a_connection_of_its_own() {
    each_thread_reads_what_another_wrote(|ns| {
        RedisPhpSessionStore::open(&redis_url(), ns).unwrap()
    });
    each_thread_reads_what_another_wrote(|ns| {
        mwauth::store::redis::RedisSessionStore::open(&redis_url(), ns).unwrap()
    });
}

fn each_thread_reads_what_another_wrote<S: SessionStore + Send + Sync + 'static>(
    open: fn(&str) -> S,
) {
    let ns = format!("mwauth-test-{}", random_hex(8));
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let ids: Vec<String> = (0..3).map(|_| random_hex(32)).collect();
    let first = {
        let (ns, id) = (ns.clone(), ids[0].clone());
        std::thread::spawn(move || {
            runtime().block_on(async {
                let s = open(&ns);
                s.save(&id, &alice(), now() + 100).await.unwrap();
                s
            })
        })
        .join()
        .unwrap()
    };
    let s = Arc::new(first);
    let others: Vec<_> = (1..3)
        .map(|i| {
            let (s, ids) = (s.clone(), ids.clone());
            std::thread::spawn(move || {
                runtime().block_on(async {
                    let (d, _) = s
                        .load(&ids[0])
                        .await
                        .unwrap()
                        .expect("the first thread's record");
                    assert_eq!(d.user_name, "Alice");
                    s.save(&ids[i], &alice(), now() + 100).await.unwrap();
                })
            })
        })
        .collect();
    for t in others {
        t.join().unwrap();
    }
    runtime().block_on(async {
        for id in &ids {
            assert!(s.load(id).await.unwrap().is_some(), "{id}");
            s.delete(id).await.unwrap();
        }
    });
}

/// Raw access to an objectcache table, to write and read rows as PHP does.
#[derive(Clone)]
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Mysql(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(target: &str) -> Raw {
        if target.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::SqlitePool::connect(target).await.unwrap())
        } else if target.starts_with("mysql:") {
            Raw::Mysql(sqlx::MySqlPool::connect(target).await.unwrap())
        } else {
            Raw::Postgres(sqlx::PgPool::connect(target).await.unwrap())
        }
    }

    /// A row as SqlBagOStuff writes it (REPLACE): the value deflated (on PostgreSQL as
    /// pg_escape_bytea's text), exptime 14 digits UTC (PostgreSQL: a timestamp).
    async fn put(&self, table: &str, key: &str, serialized: &[u8], exptime: i64) {
        let value = deflate(serialized);
        let ts = mwauth::time::ts_mw(exptime);
        match self {
            Raw::Sqlite(p) => {
                sqlx::query(&format!(
                    "REPLACE INTO {table} (keyname, value, exptime) VALUES (?, ?, ?)"
                ))
                .bind(key)
                .bind(value)
                .bind(ts)
                .execute(p)
                .await
                .unwrap();
            }
            Raw::Mysql(p) => {
                sqlx::query(&format!(
                    "REPLACE INTO {table} (keyname, value, exptime) VALUES (?, ?, ?)"
                ))
                .bind(key)
                .bind(value)
                .bind(ts)
                .execute(p)
                .await
                .unwrap();
            }
            Raw::Postgres(p) => {
                sqlx::query(&format!(
                    "INSERT INTO {table} (keyname, value, exptime) VALUES ($1, $2, to_timestamp($3)) \
                     ON CONFLICT (keyname) DO UPDATE SET value = EXCLUDED.value, exptime = EXCLUDED.exptime"
                ))
                .bind(key)
                .bind(format!("\\x{}", hex::encode(&value)))
                .bind(exptime as f64)
                .execute(p)
                .await
                .unwrap();
            }
        }
    }

    /// A row's value, inflated, and its exptime as 14 digits UTC.
    async fn get(&self, table: &str, key: &str) -> Option<(Vec<u8>, String)> {
        let row = self.get_stored(table, key).await;
        row.map(|(v, e)| (inflate_or_keep(&v), e))
    }

    /// A row's value as stored (on PostgreSQL, unescaped), and its exptime.
    async fn get_stored(&self, table: &str, key: &str) -> Option<(Vec<u8>, String)> {
        let row: Option<(Vec<u8>, String)> = match self {
            Raw::Sqlite(p) => sqlx::query_as(&format!(
                "SELECT CAST(value AS BLOB), CAST(exptime AS TEXT) FROM {table} WHERE keyname = ?"
            ))
            .bind(key)
            .fetch_optional(p)
            .await
            .unwrap(),
            Raw::Mysql(p) => sqlx::query_as(&format!(
                "SELECT value, CAST(exptime AS CHAR) FROM {table} WHERE keyname = ?"
            ))
            .bind(key)
            .fetch_optional(p)
            .await
            .unwrap(),
            Raw::Postgres(p) => sqlx::query_as::<_, (String, String)>(&format!(
                "SELECT value, to_char(exptime AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') \
                 FROM {table} WHERE keyname = $1"
            ))
            .bind(key)
            .fetch_optional(p)
            .await
            .unwrap()
            .map(|(v, e)| (hex::decode(v.trim_start_matches("\\x")).unwrap(), e)),
        };
        row
    }

    async fn drop_table(&self, table: &str) {
        let sql = format!("DROP TABLE {table}");
        match self {
            Raw::Sqlite(p) => drop(sqlx::query(&sql).execute(p).await.unwrap()),
            Raw::Mysql(p) => drop(sqlx::query(&sql).execute(p).await.unwrap()),
            Raw::Postgres(p) => drop(sqlx::query(&sql).execute(p).await.unwrap()),
        }
    }
}

/// The contract on one database, in a table of its own, dropped at the end.
async fn objectcache_case(target: &str) {
    let prefix = format!("t{}_", random_hex(8));
    let s = ObjectCacheStore::open_creating(target, &prefix, "oraclewiki")
        .await
        .unwrap_or_else(|e| panic!("{target}: {e}"))
        .with_global(&format!("{prefix}global"));
    let s = Arc::new(s);
    let table = format!("{prefix}objectcache");
    let raw = Raw::connect(target).await;
    let key = |id: &str| format!("oraclewiki:MWSession:{id}");
    let body = async {
        let put = |id: String, serialized: Vec<u8>, exp: i64| {
            let (raw, table, k) = (raw.clone(), table.clone(), key(&id));
            async move { raw.put(&table, &k, &serialized, exp).await }
        };
        let get = |id: String| {
            let (raw, table, k) = (raw.clone(), table.clone(), key(&id));
            async move { raw.get(&table, &k).await.map(|(v, _)| v) }
        };
        php_store_contract(s.clone(), put, get).await;

        // A row past its exptime is not read (SqlBagOStuff: `exptime >= now`), even when
        // the record's own expiry is later; purge_expired removes it.
        let id = random_hex(32);
        let record = live_php_record("db-clientlogin-remember.ser", now() + 600);
        raw.put(&table, &key(&id), &record, now() - 10).await;
        assert!(s.load(&id).await.unwrap().is_none());
        assert!(s.purge_expired().await.unwrap() >= 1);
        assert!(raw.get(&table, &key(&id)).await.is_none());

        // The exptime mwauth writes is the session's expiry, in PHP's form.
        let id = random_hex(32);
        let exp = now() + 300;
        s.save(&id, &alice(), exp).await.unwrap();
        assert_eq!(
            raw.get(&table, &key(&id)).await.unwrap().1,
            mwauth::time::ts_mw(exp)
        );
        // The value is raw deflate, as SqlBagOStuff always writes a serialization (PHP's
        // gzinflate reads nothing else): not the serialization itself, which `get`'s
        // inflate_or_keep would also have read back.
        let (stored, _) = raw.get_stored(&table, &key(&id)).await.unwrap();
        let inflated = inflate_or_keep(&stored);
        assert!(inflated.starts_with(b"a:2:{s:4:\"data\";"), "{inflated:?}");
        assert_eq!(stored, deflate(&inflated));
        s.delete(&id).await.unwrap();

        // PHP's user cache, rows of the same table under CACHE_DB: a new user_token leaves
        // the purge tombstone for 11 s, a page login touches `user-quicktouched` for a year.
        let before = now();
        s.user_changed(3).await.unwrap();
        s.user_logged_in_on_page(3).await.unwrap();
        let after = now();
        let (v, exptime) = raw
            .get(&table, "WANCache:global:user:id:oraclewiki:3|#|v")
            .await
            .expect("tombstone row");
        let t = purge_time(&v, "");
        assert!((before..=after).contains(&t), "{t}");
        assert_eq!(exptime, mwauth::time::ts_mw(t + 11));
        let (v, exptime) = raw
            .get(&table, "WANCache:oraclewiki:user-quicktouched:id:3|#|t")
            .await
            .expect("check key row");
        let t = purge_time(&v, ":11");
        assert!((before..=after).contains(&t), "{t}");
        assert_eq!(exptime, mwauth::time::ts_mw(t + 365 * 86400));
    };
    body.await;
    raw.drop_table(&table).await;
}

/// The time in WANObjectCache's purge value `s:N:"PURGED:{time}{suffix}";`, checking its form.
fn purge_time(serialized: &[u8], suffix: &str) -> i64 {
    let text = std::str::from_utf8(serialized).unwrap();
    let inner = text
        .strip_prefix("s:")
        .and_then(|t| t.strip_suffix("\";"))
        .unwrap_or_else(|| panic!("{text}"));
    let (len, value) = inner.split_once(":\"").unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), value.len(), "{text}");
    let time = value
        .strip_prefix("PURGED:")
        .and_then(|v| v.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("{text}"));
    time.parse().unwrap()
}

#[tokio::test]
async fn php_redis_store_writes_phps_user_cache_keys() {
    let ns = format!("mwauth-test-{}", random_hex(8));
    let s = RedisPhpSessionStore::open(&redis_url(), &ns).unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let mut c = redis::aio::ConnectionManager::new(client)
        .await
        .expect("Redis on 127.0.0.1:6379");
    let before = now();
    s.user_changed(3).await.unwrap();
    s.user_logged_in_on_page(3).await.unwrap();
    let after = now();
    for (key, suffix, ttl) in [
        (format!("WANCache:global:user:id:{ns}:3|#|v"), "", 11),
        (
            format!("WANCache:{ns}:user-quicktouched:id:3|#|t"),
            ":11",
            365 * 86400,
        ),
    ] {
        let v: Vec<u8> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        let t = purge_time(&v, suffix);
        assert!((before..=after).contains(&t), "{key}: {t}");
        let left: i64 = redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        assert!(left > 0 && left <= ttl, "{key}: TTL {left}");
        redis::cmd("DEL")
            .arg(&key)
            .query_async::<()>(&mut c)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn php_sessions_in_objectcache_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wikicache.sqlite");
    objectcache_case(&format!("sqlite:{}", path.display())).await;
}

#[tokio::test]
async fn php_sessions_in_objectcache_mysql() {
    objectcache_case(&mysql_url()).await;
}

#[tokio::test]
async fn php_sessions_in_objectcache_postgres() {
    objectcache_case(&postgres_url()).await;
}

#[tokio::test]
async fn php_sessions_objectcache_refuses_a_missing_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.sqlite");
    std::fs::write(&path, b"").unwrap();
    let err = ObjectCacheStore::open(&format!("sqlite:{}", path.display()), "", "w")
        .await
        .err()
        .expect("no objectcache table");
    assert!(err.to_string().contains("objectcache"), "{err}");
    assert!(ObjectCacheStore::open("oracle://x", "", "w").await.is_err());
    assert!(ObjectCacheStore::open("sqlite:/x", "bad-prefix", "w")
        .await
        .is_err());
}
