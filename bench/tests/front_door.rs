//! `mwauth-bench front-door` in a tiny configuration, end to end against in-process servers:
//! php-sessions (a Redis of the test's own, the bare mwauth and one with PHP-format sessions,
//! the baseline) and the pass-through (mwauth in front of a small hyper "wiki" that closes
//! the connection after some answers, as MediaWiki's index.php does under mod_php). It checks
//! that both sides are measured and answered alike; no timing is asserted.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use mwauth::user::BotPasswordRecord;
use mwauth_bench::client::Endpoint;
use mwauth_bench::front_door::{self, FrontDoorReport, PassBudget, Target};
use mwauth_bench::plan::Accounts;
use mwauth_bench::process;
use mwauth_bench::scenario::Options;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned as Server};
use mwauth_server::Settings;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn server(file: FileConfig, dir: &Path) -> Server {
    let settings = Settings {
        file,
        data_dir: dir.to_path_buf(),
    };
    let server = spawn(&settings).await.expect("server starts");
    let acct = Accounts::default();
    let s = &server.services;
    let hash = s.hasher.hash(&acct.password).await.unwrap();
    let token = mwauth::auth::account::new_user_token();
    let id = s
        .users
        .create_user(&acct.user, &hash, &token, &[])
        .await
        .unwrap();
    let bp = BotPasswordRecord {
        user_id: id,
        app_id: "testbot".into(),
        password: s.hasher.hash(&acct.bot_password).await.unwrap(),
        token: mwauth::session::random_hex(32),
        restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.into(),
        grants: vec!["basic".into()],
    };
    s.users.create_bot_password(&bp).await.unwrap();
    server
}

fn target(s: &Server) -> Target {
    Target {
        ep: Arc::new(Endpoint::parse(&s.api_url()).unwrap()),
        pid: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn php_sessions_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = process::spawn_redis(dir.path()).expect("redis-server starts");
    let config = dir.path().join("php.toml");
    std::fs::write(&config, front_door::php_config(redis.addr)).unwrap();
    let php_file = mwauth_server::config::load(Some(&config)).unwrap();
    std::fs::create_dir_all(dir.path().join("native")).unwrap();
    std::fs::create_dir_all(dir.path().join("php")).unwrap();
    let native = server(FileConfig::default(), &dir.path().join("native")).await;
    let php = server(php_file, &dir.path().join("php")).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_addr = listener.local_addr().unwrap();
    let baseline = tokio::spawn(mwauth_bench::baseline::serve(listener));
    let base = Target {
        ep: Arc::new(Endpoint::from_addr(base_addr, "/").unwrap()),
        pid: None,
    };
    let opts = Options {
        connections: 2,
        requests: 100,
        seconds: 2.0,
        progress: false,
        ..Options::default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let rounds = front_door::php_sessions(
        &target(&native),
        &target(&php),
        Some(&base),
        Some(redis.pid),
        &opts,
        2,
        deadline,
    )
    .await
    .unwrap();
    let records = front_door::php_records(redis.addr);
    native.stop().await;
    php.stop().await;
    baseline.abort();
    redis.stop();

    assert_eq!(rounds.len(), 2);
    for r in &rounds {
        for s in [&r.native, &r.php, r.baseline.as_ref().unwrap()] {
            assert_eq!(s.errors(), 0, "{}: {:?}", s.label, s.first_error);
            assert!(s.requests() > 0 && s.requests() <= 103, "{}", s.requests());
        }
    }
    // Each round's two bot-password logins through the php-format server left PHP records.
    let records = records.expect("PHP-format session records in Redis");
    assert!(
        records.bot >= 2 && records.keys >= records.bot,
        "{records:?}"
    );
    assert!(records.sample.starts_with("a:2:{s:4:\"data\";"));
    let text = FrontDoorReport {
        sessions: rounds,
        records: Some(records),
        ..FrontDoorReport::default()
    }
    .render();
    assert!(text.contains("Median of 2 rounds"), "{text}");
    assert!(text.contains("| 2 | php |"), "{text}");
    assert_rows_match_header(&text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_runs_end_to_end_through_closed_connections() {
    // Every third answer says `Connection: close` (hyper then closes the connection).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let wiki = listener.local_addr().unwrap();
    let served = Arc::new(std::sync::atomic::AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let served = served.clone();
            tokio::spawn(async move {
                let answer = service_fn(move |_| {
                    let n = served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    async move {
                        let mut res = Response::new(Full::new(Bytes::from_static(b"page")));
                        if n % 3 == 2 {
                            res.headers_mut()
                                .insert("connection", "close".parse().unwrap());
                        }
                        Ok::<_, Infallible>(res)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), answer)
                    .await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = FileConfig {
        upstream: Some(format!("http://{wiki}")),
        ..FileConfig::default()
    };
    let settings = Settings {
        file,
        data_dir: dir.path().to_path_buf(),
    };
    let mw = spawn(&settings).await.unwrap();
    let paths = [
        "/w/index.php?title=Main_Page".to_string(),
        "/w/COPYING".to_string(),
    ];
    let budget = PassBudget {
        requests: 60,
        warmup: 6,
        seconds: 60.0,
        rounds: 2,
        deadline: Instant::now() + Duration::from_secs(60),
    };
    let rounds = front_door::passthrough(wiki, mw.addr, None, &paths, &budget)
        .await
        .unwrap();
    mw.stop().await;
    assert_eq!(rounds.len(), 2);
    for r in rounds.iter().flatten() {
        assert_eq!(r.mismatches, 0, "{}", r.path);
        assert_eq!((r.direct.0.len(), r.through.0.len()), (60, 60));
        assert_eq!(r.sent, 60);
    }
    let text = FrontDoorReport {
        pass: rounds,
        ..FrontDoorReport::default()
    }
    .render();
    assert!(text.contains("| 2 | `/w/COPYING` | 60 |"), "{text}");
    assert!(
        text.contains("| `/w/index.php?title=Main_Page` |"),
        "{text}"
    );
}

/// Every row of each table in `text` has as many cells as the table's header.
fn assert_rows_match_header(text: &str) {
    let mut header = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        match header {
            None => header = Some(cells),
            Some(n) => assert_eq!(cells, n, "{line}\n{text}"),
        }
    }
}
