//! Every scenario, a couple of hundred requests each, against an mwauth server running
//! in-process on loopback, and the baseline: the load generator keeps working as the server
//! changes (a wrong answer counts as an error, so this also checks what it measures).

use mwauth::user::BotPasswordRecord;
use mwauth_bench::client::Endpoint;
use mwauth_bench::plan::{Accounts, Scenario};
use mwauth_bench::report::Report;
use mwauth_bench::scenario::{run_scenario, Options};
use mwauth_server::config::FileConfig;
use mwauth_server::serve::spawn;
use mwauth_server::Settings;
use std::sync::Arc;

fn options(requests: u64) -> Options {
    Options {
        connections: 2,
        requests,
        seconds: 2.0,
        sessions: 200,
        setup_seconds: 20.0,
        progress: false,
        flood_connections: 1,
        probe_connections: 1,
        probe_rate: 200.0,
        label: "in-process".into(),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_against_an_in_process_server() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        file: FileConfig::default(),
        data_dir: dir.path().to_path_buf(),
    };
    let server = spawn(&settings).await.expect("server starts");
    let acct = Accounts::default();
    let services = &server.services;
    let hash = services.hasher.hash(&acct.password).await.unwrap();
    let id = services
        .users
        .create_user(
            &acct.user,
            &hash,
            &mwauth::auth::account::new_user_token(),
            &[],
        )
        .await
        .unwrap();
    let bp = BotPasswordRecord {
        user_id: id,
        app_id: "testbot".into(),
        password: services.hasher.hash(&acct.bot_password).await.unwrap(),
        token: mwauth::session::random_hex(32),
        restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.into(),
        grants: vec!["basic".into()],
    };
    services.users.create_bot_password(&bp).await.unwrap();

    let ep = Arc::new(Endpoint::parse(&server.api_url()).unwrap());
    let mut report = Report {
        target_label: "in-process".into(),
        ..Report::default()
    };
    for sc in Scenario::API {
        // Scenarios whose every few requests hash a password (PBKDF2, 30000 rounds: slow in
        // a debug build) get fewer.
        let budget = match sc {
            Scenario::Login => 6,
            Scenario::Cycle => 16,
            Scenario::Mixed => 100,
            Scenario::Flood => 40,
            _ => 200,
        };
        let started = std::time::Instant::now();
        let r = run_scenario(ep.clone(), sc, &options(budget))
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", sc.name()));
        eprintln!(
            "{}: {} requests in {:.2} s (set-up {:.2} s)",
            sc.name(),
            r.requests(),
            started.elapsed().as_secs_f64(),
            r.setup.as_secs_f64()
        );
        assert_eq!(r.errors(), 0, "{}: {:?}", sc.name(), r.first_error);
        assert!(r.requests() > 0, "{} answered nothing", sc.name());
        assert!(
            r.requests() <= budget + 3,
            "{} went over its budget: {}",
            sc.name(),
            r.requests()
        );
        if sc == Scenario::Logout {
            assert!(r.prepared > 0, "no sessions made before the clock");
        }
        report.results.push(r);
    }
    server.stop().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let baseline = tokio::spawn(mwauth_bench::baseline::serve(listener));
    let ep = Arc::new(Endpoint::from_addr(addr, "/").unwrap());
    let r = run_scenario(ep, Scenario::Baseline, &options(200))
        .await
        .unwrap();
    assert_eq!((r.errors(), r.requests()), (0, 200));
    baseline.abort();
    report.baseline.push(r);

    let text = report.render();
    for sc in Scenario::API {
        assert!(
            text.contains(&format!("| {} | in-process |", sc.name())),
            "{text}"
        );
    }
}
