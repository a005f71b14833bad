//! The conformance suite: every scenario in `conformance/scenarios` is replayed against one
//! in-process mwauth server set up like the reference wiki, normalized exactly as
//! `conformance/record.py` normalizes it, and compared with the transcript recorded from
//! MediaWiki 1.39 in `conformance/golden`.
//!
//! Scenarios run in file-name order against the same server, as the goldens were recorded
//! one after the other against one wiki; `throttle-*` scenarios, which leave login
//! throttle counters behind, get a server of their own. Scenarios listed in
//! `conformance/pending.txt` are run and reported, but do not fail the test.
//!
//! `CONFORMANCE_ONLY=substring` runs only the scenarios whose name contains it;
//! `CONFORMANCE_API=http://127.0.0.1:8180/w/api.php` replays against that server instead
//! (e.g. the reference wiki itself, to check the runner; `throttle-*` scenarios are then
//! skipped unless named in `CONFORMANCE_ONLY`, as they leave the wiki throttled);
//! `CONFORMANCE_DUMP=dir` writes each transcript there, in the goldens' format.

mod common;

use common::replay::{
    conformance_dir, read_json, replay_and_compare, scenario_files, Tally, GOLDEN_API,
};
use std::time::Duration;

/// Scenarios that leave login throttle counters behind run on a server of their own.
fn needs_own_server(name: &str) -> bool {
    name.starts_with("throttle-")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = conformance_dir();
    let only = std::env::var("CONFORMANCE_ONLY").ok();
    let files = scenario_files(&dir);
    let pending = common::replay::pending(&dir.join("pending.txt"));

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let external = std::env::var("CONFORMANCE_API").ok();
    let shared = match external {
        Some(_) => None,
        None => Some(common::oracle_server().await),
    };

    let mut tally = Tally::default();
    for file in &files {
        let scenario = read_json(file);
        let name = scenario["name"].as_str().unwrap_or_default().to_string();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        if external.is_some() && needs_own_server(&name) && only.is_none() {
            continue;
        }
        let own = match &shared {
            Some(_) if needs_own_server(&name) => Some(common::oracle_server().await),
            _ => None,
        };
        let api = match (&external, own.as_ref().or(shared.as_ref())) {
            (Some(url), _) => url.clone(),
            (None, Some(server)) => server.api_url(),
            (None, None) => unreachable!("a server runs unless CONFORMANCE_API is set"),
        };
        let shown_as = external.is_none().then_some(GOLDEN_API);
        let problems =
            replay_and_compare(&client, &api, shown_as, &scenario, &dir.join("golden")).await;
        if let Some(s) = own {
            s.server.stop().await;
        }
        tally.add(&name, &problems, &pending);
    }
    if let Some(s) = shared {
        s.server.stop().await;
    }
    let summary = tally.summary("conformance");
    println!("{}{summary}", tally.report);
    assert!(tally.failed == 0, "{}{summary}", tally.report);
}
