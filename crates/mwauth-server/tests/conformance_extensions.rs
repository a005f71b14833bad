//! The extensions suite: every scenario in `conformance/extensions/scenarios` (OATHAuth
//! two-factor logins and ConfirmEdit captchas, recorded from MediaWiki 1.39) is replayed
//! against an mwauth server of its own set up like that wiki (`common::extensions_server`:
//! `[oath]` and `[captcha]` as the suite's README lists them, Carol enrolled), normalized and
//! compared as `tests/conformance.rs` does, with `{totp:SECRET}` filled at send time. Each
//! scenario starts from no throttle counters and no TOTP replay state, as each was recorded
//! from an empty `objectcache` table. Scenarios listed in `conformance/extensions/pending.txt`
//! are run and reported, but do not fail the test.
//!
//! `CONFORMANCE_ONLY=substring` runs only the scenarios whose name contains it;
//! `CONFORMANCE_DUMP=dir` writes each transcript there.

mod common;

use common::replay::{conformance_dir, read_json, replay_and_compare, scenario_files, Tally};
use std::time::Duration;

/// The extensions wiki's api.php (`record.sh`'s `EXT_PORT`), which the goldens were recorded
/// from.
const EXTENSIONS_API: &str = "http://127.0.0.1:8184/w/api.php";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_extensions() {
    let dir = conformance_dir().join("extensions");
    let only = std::env::var("CONFORMANCE_ONLY").ok();
    let pending = common::replay::pending(&dir.join("pending.txt"));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let mut tally = Tally::default();
    for file in scenario_files(&dir) {
        let scenario = read_json(&file);
        let name = scenario["name"].as_str().unwrap_or_default().to_string();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let server = common::extensions_server().await;
        let problems = replay_and_compare(
            &client,
            &server.api_url(),
            Some(EXTENSIONS_API),
            &scenario,
            &dir.join("golden"),
        )
        .await;
        server.server.stop().await;
        tally.add(&name, &problems, &pending);
    }
    let summary = tally.summary("conformance extensions");
    println!("{}{summary}", tally.report);
    assert!(tally.failed == 0, "{}{summary}", tally.report);
}
