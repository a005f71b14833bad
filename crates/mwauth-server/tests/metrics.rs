//! `/metrics` (metrics_listen): scraped after a seed flow, every counter moved by exactly
//! what happened; served only on its own listener.

mod common;
mod hardening;

use hardening::{server_with, Browser, ALICE_MAIN};
use std::collections::HashMap;

/// The samples of an OpenMetrics exposition: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(url: &str) -> (u16, String) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_exactly_what_happened() {
    let t = server_with(|f| f.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics_url = format!(
        "http://{}/metrics",
        t.server.metrics_addr.expect("a metrics listener")
    );
    let (status, before) = scrape(&metrics_url).await;
    assert_eq!(status, 200);
    let before = samples(&before);
    assert_eq!(before.get("mwauth_logouts_total"), Some(&0.0), "{before:?}");

    // The seed flow: a login token and a login, a wrong password on another session, a csrf
    // token and a logout, and an unknown action.
    let mut alice = Browser::new(&t.api_url());
    let ok = alice.login(ALICE_MAIN.0, ALICE_MAIN.1).await;
    assert_eq!(ok["result"], "Success", "{ok}");
    let mut mallory = Browser::new(&t.api_url());
    let failed = mallory.login(ALICE_MAIN.0, "wrong-password").await;
    assert_eq!(failed["result"], "Failed", "{failed}");
    // Two sessions now: Alice's, and Mallory's anonymous one that holds its login token.
    let (_, mid) = scrape(&metrics_url).await;
    let mid = samples(&mid);
    let held = |m: &HashMap<String, f64>| m.get("mwauth_sessions").copied();
    assert_eq!(held(&mid), held(&before).map(|n| n + 2.0), "{mid:?}");
    let csrf = alice.csrf_token().await;
    let out = alice
        .post(&[("action", "logout"), ("token", &csrf), ("format", "json")])
        .await;
    assert_eq!(out.body, "{}");
    let unknown = alice
        .get(&[("action", "no-such-module"), ("format", "json")])
        .await;
    let code = unknown.header("MediaWiki-API-Error").unwrap().to_string();

    let (_, text) = scrape(&metrics_url).await;
    let after = samples(&text);
    let moved = |key: &str| {
        after.get(key).copied().unwrap_or(0.0) - before.get(key).copied().unwrap_or(0.0)
    };
    let expected = [
        (
            r#"mwauth_api_requests_total{action="query",outcome="success"}"#,
            3.0,
        ),
        (
            r#"mwauth_api_requests_total{action="login",outcome="success"}"#,
            2.0,
        ),
        (
            r#"mwauth_api_requests_total{action="logout",outcome="success"}"#,
            1.0,
        ),
        (
            &format!(r#"mwauth_api_requests_total{{action="-",outcome="{code}"}}"#),
            1.0,
        ),
        (
            r#"mwauth_request_duration_seconds_count{action="query"}"#,
            3.0,
        ),
        (
            r#"mwauth_request_duration_seconds_count{action="login"}"#,
            2.0,
        ),
        (
            r#"mwauth_request_duration_seconds_count{action="logout"}"#,
            1.0,
        ),
        (r#"mwauth_http_responses_total{status="200"}"#, 7.0),
        (r#"mwauth_logins_total{result="Success"}"#, 1.0),
        (r#"mwauth_logins_total{result="Failed"}"#, 1.0),
        (r#"mwauth_logins_total{result="Throttled"}"#, 0.0),
        (r#"mwauth_logins_total{result="Aborted"}"#, 0.0),
        ("mwauth_logouts_total", 1.0),
        ("mwauth_throttle_rejections_total", 0.0),
        (r#"mwauth_store_errors_total{store="users"}"#, 0.0),
        (r#"mwauth_store_errors_total{store="sessions"}"#, 0.0),
    ];
    for (key, n) in expected {
        assert_eq!(moved(key), n, "{key}\n{text}");
    }
    // Every store call was timed: the logins read users, every request with a session
    // loaded or saved one.
    assert!(
        moved(r#"mwauth_store_duration_seconds_count{store="users"}"#) >= 2.0,
        "{text}"
    );
    assert!(
        moved(r#"mwauth_store_duration_seconds_count{store="sessions"}"#) >= 4.0,
        "{text}"
    );
    assert_eq!(after.get("mwauth_hash_queue_depth"), Some(&0.0), "{text}");
    // Alice's session ended with the logout; Mallory's is left.
    assert_eq!(held(&after), held(&before).map(|n| n + 1.0), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");

    // Only on its own listener: the public port does not know it, and the metrics port
    // serves nothing else.
    let public = format!("http://{}/metrics", t.server.addr);
    assert_eq!(scrape(&public).await.0, 404);
    let other = metrics_url.replace("/metrics", "/w/api.php");
    assert_eq!(scrape(&other).await.0, 404);
}

/// Seven wrong passwords in a row: five fail, then the throttle refuses (action=login says
/// `Failed` for both): the refusals are counted as Throttled logins and throttle
/// rejections, not as failures.
#[tokio::test]
async fn throttled_logins_are_counted_apart() {
    let t = server_with(|f| f.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics_url = format!("http://{}/metrics", t.server.metrics_addr.unwrap());
    let mut b = Browser::new(&t.api_url());
    let mut results = Vec::new();
    for _ in 0..7 {
        let r = b.login("Mallory", "wrong-password").await;
        results.push(r["result"].as_str().unwrap_or("").to_string());
    }
    let (_, text) = scrape(&metrics_url).await;
    let after = samples(&text);
    let throttled = after[r#"mwauth_logins_total{result="Throttled"}"#];
    let failed = after[r#"mwauth_logins_total{result="Failed"}"#];
    // $wgPasswordAttemptThrottle's first window: 5 attempts, then refused.
    assert_eq!((failed, throttled), (5.0, 2.0), "{results:?}\n{text}");
    assert_eq!(
        after["mwauth_throttle_rejections_total"], throttled,
        "{text}"
    );
}
