//! Two mwauth nodes behind an imaginary load balancer, sharing users in MariaDB and sessions
//! in Redis (the machine's own servers on loopback; override with MWAUTH_TEST_MYSQL and
//! MWAUTH_TEST_REDIS). A client logs in on one node and carries on on the other; a logout on
//! either ends the session on both. Each run uses its own table prefix and wiki id (so its
//! own Redis keyspace) and drops its tables afterwards.
//!
//! Also: a node whose Redis does not answer still answers every request within a bound.

mod common;

use common::{http_client as client, mysql_url, redis_url, ALICE_BOT};
use mwauth::session::random_hex;
use mwauth::store::mysql::MysqlUserStore;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn settings(
    dir: &std::path::Path,
    wiki_id: &str,
    users: &str,
    sessions: &str,
    prefix: &str,
) -> Settings {
    let mut file = FileConfig::default();
    file.wiki.wiki_id = wiki_id.to_string();
    file.users = Some(users.to_string());
    file.sessions = Some(sessions.to_string());
    file.table_prefix = prefix.to_string();
    Settings {
        file,
        data_dir: dir.to_path_buf(),
    }
}

async fn seed_reference_accounts(node: &Spawned) {
    seed(&node.services).await;
}

async fn seed(services: &mwauth::Services) {
    common::seed_accounts(services.users.as_ref()).await;
}

/// Every cookie value any node set (session ids among them), to delete the sessions left in
/// Redis after the test.
static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// One client's cookies. Cookies are not told apart by port, so the client sends the same
/// jar to both nodes, as a browser behind one host name would.
#[derive(Clone, Default, Debug)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, res: &reqwest::Response) {
        for h in res.headers().get_all("set-cookie") {
            let Ok(h) = h.to_str() else { continue };
            let first = h.split(';').next().unwrap_or("");
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            let lower = h.to_ascii_lowercase();
            let removed = value == "deleted"
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970")
                || lower.contains("expires=thu, 01-jan-1970");
            if removed {
                self.0.remove(name.trim());
            } else {
                SEEN.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(value.to_string());
                self.0.insert(name.trim().to_string(), value.to_string());
            }
        }
    }
}

/// GET (no body) or POST (form body) to a node's api.php with the jar's cookies; takes the
/// cookies the answer sets unless `keep` is false.
async fn api(node: &str, jar: &mut Jar, post: bool, params: &[(&str, &str)]) -> Value {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("format", "json"));
    all.push(("formatversion", "2"));
    let c = client();
    let req = if post {
        c.post(node).form(&all)
    } else {
        c.get(node).query(&all)
    };
    let req = if jar.0.is_empty() {
        req
    } else {
        req.header("Cookie", jar.header())
    };
    let res = req.send().await.expect("request to mwauth");
    jar.take(&res);
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn userinfo(node: &str, jar: &mut Jar) -> Value {
    api(
        node,
        jar,
        false,
        &[("action", "query"), ("meta", "userinfo")],
    )
    .await["query"]["userinfo"]
        .clone()
}

async fn token(node: &str, jar: &mut Jar, kind: &str) -> String {
    let v = api(
        node,
        jar,
        false,
        &[("action", "query"), ("meta", "tokens"), ("type", kind)],
    )
    .await;
    v["query"]["tokens"][format!("{kind}token")]
        .as_str()
        .unwrap_or_else(|| panic!("no {kind} token: {v}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_users_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("t{}_", random_hex(8));
    let wiki = format!("mn{}", random_hex(8));
    let s = settings(dir.path(), &wiki, &mysql_url(), &redis_url(), &prefix);
    let a = spawn(&s)
        .await
        .expect("node A starts (MariaDB and Redis on loopback)");
    let b = spawn(&s).await.expect("node B starts");
    let services = a.services.clone();
    let (a_url, b_url) = (a.api_url(), b.api_url());
    // MediaWiki's default cookie prefix with a table prefix: `{dbname}_{prefix}`.
    let cookie_prefix = format!("{wiki}_{prefix}");
    let body = async move {
        let (a, b) = (a_url.as_str(), b_url.as_str());
        seed(&services).await;
        let mut jar = Jar::default();

        // Log in on A with Alice's bot password.
        let lgtoken = token(a, &mut jar, "login").await;
        let login = api(
            a,
            &mut jar,
            true,
            &[
                ("action", "login"),
                ("lgname", ALICE_BOT.0),
                ("lgpassword", ALICE_BOT.1),
                ("lgtoken", &lgtoken),
            ],
        )
        .await;
        assert_eq!(login["login"]["result"], "Success", "{login}");
        let bp_cookie = format!("{cookie_prefix}_BPsession");
        assert!(jar.0.contains_key(&bp_cookie), "{jar:?}");

        // B knows the session.
        let ui = userinfo(b, &mut jar).await;
        assert_eq!(
            (ui["id"].as_u64(), ui["name"].as_str()),
            (Some(3), Some("Alice")),
            "{ui}"
        );

        // A csrf token from A is valid on B, and B's is A's.
        let csrf = token(a, &mut jar, "csrf").await;
        assert_ne!(csrf, "+\\");
        let check = api(
            b,
            &mut jar,
            true,
            &[("action", "checktoken"), ("type", "csrf"), ("token", &csrf)],
        )
        .await;
        assert_eq!(check["checktoken"]["result"], "valid", "{check}");
        // B's token is A's too. Not compared as strings: a token carries the second it was
        // made in, so two made a second boundary apart differ; A checks B's instead.
        let csrf_b = token(b, &mut jar, "csrf").await;
        assert_ne!(csrf_b, "+\\");
        let check = api(
            a,
            &mut jar,
            true,
            &[
                ("action", "checktoken"),
                ("type", "csrf"),
                ("token", &csrf_b),
            ],
        )
        .await;
        assert_eq!(check["checktoken"]["result"], "valid", "{check}");

        // Log out on B; A then rejects the old cookie and the old token.
        let old = jar.clone();
        let out = api(b, &mut jar, true, &[("action", "logout"), ("token", &csrf)]).await;
        assert!(out.get("error").is_none(), "{out}");
        let mut old_a = old.clone();
        let ui = userinfo(a, &mut old_a).await;
        assert_eq!(
            ui["id"], 0,
            "A still knows the session after logout on B: {ui}"
        );
        assert_eq!(ui["anon"], true, "{ui}");
        let mut old_a = old.clone();
        let check = api(
            a,
            &mut old_a,
            true,
            &[("action", "checktoken"), ("type", "csrf"), ("token", &csrf)],
        )
        .await;
        assert_eq!(check["checktoken"]["result"], "invalid", "{check}");
        let mut old_a = old.clone();
        let again = api(
            a,
            &mut old_a,
            true,
            &[("action", "logout"), ("token", &csrf)],
        )
        .await;
        assert_eq!(again["error"]["code"], "badtoken", "{again}");
    };
    let outcome = tokio::spawn(body).await;
    a.stop().await;
    b.stop().await;
    let cleanup = MysqlUserStore::connect(&mysql_url(), &prefix)
        .await
        .unwrap();
    cleanup.drop_tables().await.unwrap();
    cleanup.close().await;
    let keyspace = mwauth::store::redis::wiki_domain_id(&wiki, &prefix);
    let redis = mwauth::store::redis::RedisSessionStore::open(&redis_url(), &keyspace).unwrap();
    let seen: Vec<String> = SEEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for id in seen
        .iter()
        .filter(|v| mwauth::session::is_valid_session_id(v))
    {
        let _ = mwauth::store::SessionStore::delete(&redis, id).await;
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Redis down: a closed port (refused at once) and a port that accepts but never answers
/// (every call waits for its timeout). Requests must still be answered, quickly, with
/// MediaWiki-shaped bodies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_redis_never_hangs_a_request() {
    // A listener that accepts connections and never says anything.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((c, _)) = silent.accept().await {
            held.push(c);
        }
    });
    for redis in [
        "redis://127.0.0.1:6390".to_string(),
        format!("redis://{silent_addr}"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), "deadwiki", "sqlite", &redis, "");
        let node = spawn(&s).await.expect("a node starts while Redis is down");
        seed_reference_accounts(&node).await;
        let mut jar = Jar::default();
        let sid = random_hex(32);
        jar.0.insert("deadwiki_session".into(), sid.clone());
        let url = node.api_url();

        // A session that cannot be read is neither "logged out" nor "logged in": the answer is
        // MediaWiki's internal-error shape, quickly, and the client's cookie is left alone.
        for params in [
            &[("action", "query"), ("meta", "userinfo")][..],
            &[("action", "query"), ("meta", "tokens"), ("type", "login")][..],
        ] {
            let t = Instant::now();
            let v = api(&url, &mut jar, false, params).await;
            let took = t.elapsed();
            eprintln!("{redis}: {params:?} took {took:?}: {v}");
            assert!(took < Duration::from_secs(3), "{redis}: took {took:?}");
            assert_eq!(
                v["error"]["code"], "internal_api_error_DBConnectionError",
                "{v}"
            );
            assert_eq!(
                v["error"]["errorclass"], "Wikimedia\\Rdbms\\DBConnectionError",
                "{v}"
            );
            assert_eq!(
                jar.0.get("deadwiki_session"),
                Some(&sid),
                "the session cookie is kept"
            );
        }

        // Without a session cookie nothing needs the store until the login itself, which
        // fails (never succeeds) within the same bound.
        let mut fresh = Jar::default();
        let t = Instant::now();
        let login = api(
            &url,
            &mut fresh,
            true,
            &[
                ("action", "login"),
                ("lgname", ALICE_BOT.0),
                ("lgpassword", ALICE_BOT.1),
                ("lgtoken", "+\\"),
            ],
        )
        .await;
        let took = t.elapsed();
        eprintln!("{redis}: login took {took:?}: {login}");
        assert!(
            took < Duration::from_secs(3),
            "{redis}: login took {took:?}"
        );
        assert!(
            login["login"]["result"].is_string() || login["error"]["code"].is_string(),
            "not a MediaWiki answer: {login}"
        );
        assert_ne!(login["login"]["result"], "Success", "{login}");
        node.stop().await;
    }
    hold.abort();
}

/// A store server of the test's own: a real `redis-server` or `mariadbd` process on a free
/// loopback port with its data in a temporary directory, so a test can kill it (SIGKILL, as
/// a crash or an OOM kill would) and start it again without touching the machine's
/// services that other tests use.
struct OwnServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
    launch: fn(u16, &std::path::Path) -> std::process::Child,
    ready: fn(u16) -> bool,
}

impl OwnServer {
    fn start(
        dir: &std::path::Path,
        launch: fn(u16, &std::path::Path) -> std::process::Child,
        ready: fn(u16) -> bool,
    ) -> OwnServer {
        std::fs::create_dir_all(dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = launch(port, dir);
        let mut server = OwnServer {
            child,
            port,
            dir: dir.to_path_buf(),
            launch,
            ready,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !(self.ready)(self.port) {
            assert!(
                Instant::now() < deadline,
                "server on {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.kill();
        self.child = (self.launch)(self.port, &self.dir);
        self.wait_ready();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn quiet(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
}

/// Redis with an append-only file synced at every write, so a session survives the kill.
fn launch_redis(port: u16, dir: &std::path::Path) -> std::process::Child {
    quiet(std::process::Command::new("redis-server").args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
    ]))
    .args([
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ])
    .arg("--dir")
    .arg(dir)
    .spawn()
    .expect("redis-server (Debian's redis-server package) runs")
}

fn redis_ready(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn launch_mariadb(port: u16, dir: &std::path::Path) -> std::process::Child {
    if !dir.join("mysql").exists() {
        let status = quiet(std::process::Command::new("mariadb-install-db").arg("--no-defaults"))
            .arg(format!("--datadir={}", dir.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .status()
            .expect("mariadb-install-db (Debian's mariadb-server package) runs");
        assert!(status.success(), "mariadb-install-db failed");
    }
    quiet(std::process::Command::new("mariadbd").arg("--no-defaults"))
        .arg(format!("--datadir={}", dir.display()))
        .arg(format!("--port={port}"))
        .arg(format!("--socket={}", dir.join("sock").display()))
        .arg(format!("--pid-file={}", dir.join("pid").display()))
        .args([
            "--bind-address=127.0.0.1",
            "--user=root",
            "--innodb-buffer-pool-size=16M",
        ])
        .spawn()
        .expect("mariadbd runs")
}

fn mariadb_ready(port: u16) -> bool {
    quiet(std::process::Command::new("mariadb").args([
        "-h",
        "127.0.0.1",
        "-P",
        &port.to_string(),
        "-uroot",
    ]))
    .args(["-e", "CREATE DATABASE IF NOT EXISTS faults"])
    .status()
    .is_ok_and(|s| s.success())
}

/// Logs in with a bot password on a node whose store is `store`, kills the store: requests
/// answer MediaWiki's internal-error shape within `bound` (once the user cache's second has
/// passed); starts it again: the node
/// reconnects by itself and the client is still logged in.
async fn kill_store_then_resume(node: &Spawned, store: &mut OwnServer, bound: Duration) {
    let url = node.api_url();
    let mut jar = Jar::default();
    let lgtoken = token(&url, &mut jar, "login").await;
    let login = api(
        &url,
        &mut jar,
        true,
        &[
            ("action", "login"),
            ("lgname", ALICE_BOT.0),
            ("lgpassword", ALICE_BOT.1),
            ("lgtoken", &lgtoken),
        ],
    )
    .await;
    assert_eq!(login["login"]["result"], "Success", "{login}");
    assert_eq!(userinfo(&url, &mut jar).await["name"], "Alice");

    store.kill();
    // Rows the node read within its user cache's time to live (1 s, `user_cache_ms`) may
    // still answer for that long; after it, the error. Every answer comes within `bound`.
    let killed = Instant::now();
    let v = loop {
        let t = Instant::now();
        let v = api(
            &url,
            &mut jar,
            false,
            &[("action", "query"), ("meta", "userinfo")],
        )
        .await;
        assert!(t.elapsed() < bound, "answered in {:?}", t.elapsed());
        if v.get("error").is_some() || killed.elapsed() > Duration::from_secs(3) {
            break v;
        }
        assert_eq!(v["query"]["userinfo"]["name"], "Alice", "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        v["error"]["code"], "internal_api_error_DBConnectionError",
        "{v}"
    );

    store.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = api(
            &url,
            &mut jar,
            false,
            &[("action", "query"), ("meta", "userinfo")],
        )
        .await;
        if v["query"]["userinfo"]["name"] == "Alice" {
            break;
        }
        assert!(Instant::now() < deadline, "service did not resume: {v}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_run_answers_internal_error_then_service_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = OwnServer::start(&dir.path().join("redis"), launch_redis, redis_ready);
    let sessions = format!("redis://127.0.0.1:{}", redis.port);
    let node = spawn(&settings(dir.path(), "faultwiki", "sqlite", &sessions, ""))
        .await
        .expect("node starts");
    seed_reference_accounts(&node).await;
    kill_store_then_resume(&node, &mut redis, Duration::from_secs(3)).await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_killed_mid_run_answers_internal_error_then_service_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = OwnServer::start(&dir.path().join("mariadb"), launch_mariadb, mariadb_ready);
    let users = format!("mysql://root@127.0.0.1:{}/faults", db.port);
    let node = spawn(&settings(dir.path(), "dbfaultwiki", &users, "sqlite", ""))
        .await
        .expect("node starts");
    seed_reference_accounts(&node).await;
    // The pool's acquire timeout (5 s) bounds a request while the database is down.
    kill_store_then_resume(&node, &mut db, Duration::from_secs(8)).await;
    node.stop().await;
}
