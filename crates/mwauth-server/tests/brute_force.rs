//! Password guessing at scale, over real HTTP: 10,000 wrong passwords for one account, from
//! one address and from "many" (spoofed X-Forwarded-For, which an untrusted client cannot
//! use to pick its address). MediaWiki 1.39's throttle ($wgPasswordAttemptThrottle, 5 per
//! 300 s per user and IP) must answer exactly as the reference server does: attempts 1–5
//! "Incorrect username or password…", attempt 6 and later "too many recent login attempts",
//! the right password included, and never a success; while the right password from another
//! address still works. Throttled attempts cost no hashing (the password hashing pool takes
//! no job for them, which the tests count instead of timing them: a loaded machine distorts
//! time, not work), so 10,000 of them take seconds, not the hours 10,000 PBKDF2 verifications
//! would.

mod common;
mod hardening;

use hardening::{server_with, Browser, ALICE_MAIN, MALLORY_MAIN, THROTTLED, WRONG_PASSWORD};
use mwauth::api::execute;
use mwauth::request::{ApiRequest, ApiResponse};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

const ATTEMPTS: usize = 10_000;
/// Requests in flight at once after the first six (sequential) attempts.
const WORKERS: usize = 16;

/// Sends attempts `first..=last` as `WORKERS` concurrent streams; `make(i)` gives the client
/// for attempt `i`. Returns how often each login reason came back.
async fn attempts(
    first: usize,
    last: usize,
    token: &str,
    name: &'static str,
    make: impl Fn(usize) -> Browser,
) -> BTreeMap<String, usize> {
    let mut tasks = Vec::new();
    let per = (last - first + 1).div_ceil(WORKERS);
    for w in 0..WORKERS {
        let lo = first + w * per;
        let hi = (lo + per - 1).min(last);
        let clients: Vec<Browser> = (lo..=hi).map(&make).collect();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut tally = BTreeMap::new();
            for (i, mut c) in (lo..=hi).zip(clients) {
                let res = c.login_with(&token, name, &format!("guess-{i}")).await;
                assert_eq!(res["result"], "Failed", "attempt {i}: {res}");
                *tally
                    .entry(res["reason"].as_str().unwrap_or("").to_string())
                    .or_insert(0) += 1;
            }
            tally
        }));
    }
    let mut total = BTreeMap::new();
    for t in tasks {
        for (k, v) in t.await.expect("worker") {
            *total.entry(k).or_insert(0) += v;
        }
    }
    total
}

/// Logs in at the ApiRequest level from `ip`, as a client behind another address would.
async fn login_from(
    services: &mwauth::Services,
    ip: IpAddr,
    name: &str,
    pw: &str,
) -> serde_json::Value {
    let send = |method: &str, pairs: &[(&str, &str)], cookies: &[(String, String)]| {
        let mut req = ApiRequest::new(method);
        let pairs: mwauth::request::Pairs<'static> = pairs
            .iter()
            .map(|(k, v)| (k.to_string().into(), v.to_string().into()))
            .collect();
        if method == "GET" {
            req.query = pairs;
        } else {
            req.body = pairs;
        }
        req.cookies = cookies
            .iter()
            .map(|(k, v)| (k.clone().into(), v.clone().into()))
            .collect();
        req.client_ip = ip;
        req
    };
    let res: ApiResponse = execute(
        services,
        &send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("type", "login"),
                ("format", "json"),
            ],
            &[],
        ),
    )
    .await;
    let cookies: Vec<(String, String)> = res
        .set_cookies()
        .iter()
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let v: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let res = execute(
        services,
        &send(
            "POST",
            &[
                ("action", "login"),
                ("lgname", name),
                ("lgpassword", pw),
                ("lgtoken", &token),
                ("format", "json"),
            ],
            &cookies,
        ),
    )
    .await;
    serde_json::from_slice::<serde_json::Value>(&res.body).unwrap()["login"].clone()
}

/// One address, 10,000 guesses: five "wrong password" answers, then only "too many
/// attempts" (the right password too), zero successes; the account's owner, coming from
/// another address through the trusted proxy, logs in within the same second.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_wrong_passwords_from_one_ip_are_throttled_after_five() {
    // The server trusts a proxy on 127.0.0.1, so the owner can come from another address
    // (X-Forwarded-For); the attacker sends none and is 127.0.0.1 itself.
    let t = server_with(|f| f.wiki.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let started = Instant::now();
    let mut attacker = Browser::new(&t.api_url());
    let token = attacker.login_token().await;
    for i in 1..=6 {
        let res = attacker
            .login_with(&token, MALLORY_MAIN.0, &format!("guess-{i}"))
            .await;
        assert_eq!(res["result"], "Failed", "{res}");
        let want = if i <= 5 { WRONG_PASSWORD } else { THROTTLED };
        assert_eq!(res["reason"], want, "attempt {i}");
    }
    let hashed_before = t.server.services.hasher.jobs_taken();
    let a = attacker.clone();
    let tally = attempts(7, ATTEMPTS, &token, MALLORY_MAIN.0, move |_| a.clone()).await;
    assert_eq!(
        tally,
        BTreeMap::from([(THROTTLED.to_string(), ATTEMPTS - 6)])
    );
    // Even the right password is refused from the throttled address.
    let res = attacker
        .login_with(&token, MALLORY_MAIN.0, MALLORY_MAIN.1)
        .await;
    assert_eq!(res["reason"], THROTTLED, "{res}");
    let hashed = t.server.services.hasher.jobs_taken() - hashed_before;
    assert_eq!(
        hashed, 0,
        "throttled attempts computed {hashed} password hashes"
    );
    let last_attempt = Instant::now();
    let elapsed = started.elapsed();

    let mut owner = Browser::new(&t.api_url()).with_header("X-Forwarded-For", "198.51.100.7");
    let res = owner.login(MALLORY_MAIN.0, MALLORY_MAIN.1).await;
    assert_eq!(res["result"], "Success", "{res}");
    assert_eq!(owner.whoami().await, (5, "Mallory".to_string()));
    let owner_after = last_attempt.elapsed();
    eprintln!("{ATTEMPTS} attempts from one IP in {elapsed:?}; owner logged in {owner_after:?} after the last");
}

/// 10,000 guesses, each claiming another address in X-Forwarded-For, to a server that trusts
/// no proxy: all count as the one real address, so the throttle answers exactly as above.
/// The owner, from a really different address, still gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_wrong_passwords_from_spoofed_addresses_count_as_one_ip() {
    let t = server_with(|_| {}).await;
    let started = Instant::now();
    let spoofed = |i: usize| format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    let mut first = Browser::new(&t.api_url());
    let token = first.login_token().await;
    for i in 1..=6 {
        let mut c = first.clone().with_header("X-Forwarded-For", &spoofed(i));
        let res = c
            .login_with(&token, MALLORY_MAIN.0, &format!("guess-{i}"))
            .await;
        let want = if i <= 5 { WRONG_PASSWORD } else { THROTTLED };
        assert_eq!(res["reason"], want, "attempt {i}: {res}");
    }
    let hashed_before = t.server.services.hasher.jobs_taken();
    let base = first.clone();
    let tally = attempts(7, ATTEMPTS, &token, MALLORY_MAIN.0, move |i| {
        base.clone().with_header("X-Forwarded-For", &spoofed(i))
    })
    .await;
    assert_eq!(
        tally,
        BTreeMap::from([(THROTTLED.to_string(), ATTEMPTS - 6)])
    );
    let mut c = first.clone().with_header("X-Forwarded-For", "192.0.2.200");
    let res = c.login_with(&token, MALLORY_MAIN.0, MALLORY_MAIN.1).await;
    assert_eq!(res["reason"], THROTTLED, "{res}");
    let hashed = t.server.services.hasher.jobs_taken() - hashed_before;
    assert_eq!(
        hashed, 0,
        "throttled attempts computed {hashed} password hashes"
    );
    let elapsed = started.elapsed();
    let last_attempt = Instant::now();

    let res = login_from(
        &t.server.services,
        "203.0.113.50".parse().unwrap(),
        MALLORY_MAIN.0,
        MALLORY_MAIN.1,
    )
    .await;
    assert_eq!(res["result"], "Success", "{res}");
    let owner_after = last_attempt.elapsed();
    eprintln!("{ATTEMPTS} spoofed attempts in {elapsed:?}; owner logged in {owner_after:?} after the last");
}

/// Bot passwords have their own throttle (BotPassword::login, type `botpassword`): guesses at
/// `Alice@testbot` are refused after five, the right bot password too, from that address;
/// from another address it works. Another account on the same address is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bot_password_guessing_is_throttled_after_five() {
    let t = server_with(|f| f.wiki.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let mut attacker = Browser::new(&t.api_url());
    let token = attacker.login_token().await;
    for i in 1..=200 {
        let guess = format!("{:0>32}", i);
        let res = attacker
            .login_with(&token, common::ALICE_BOT.0, &guess)
            .await;
        let want = if i <= 5 { WRONG_PASSWORD } else { THROTTLED };
        assert_eq!(res["reason"], want, "attempt {i}: {res}");
    }
    let res = attacker
        .login_with(&token, common::ALICE_BOT.0, common::ALICE_BOT.1)
        .await;
    assert_eq!(res["reason"], THROTTLED, "{res}");
    // The throttle is per account and address: Alice's main account is not locked by it.
    let mut alice = Browser::new(&t.api_url());
    assert_eq!(
        alice.login(ALICE_MAIN.0, ALICE_MAIN.1).await["result"],
        "Success"
    );
    let mut bot = Browser::new(&t.api_url()).with_header("X-Forwarded-For", "198.51.100.8");
    assert_eq!(
        bot.login(common::ALICE_BOT.0, common::ALICE_BOT.1).await["result"],
        "Success"
    );
}

/// Which counter an attempt goes to, as ThrottlePreAuthenticationProvider decides (checked
/// against the reference server): a name that cannot be a user's is counted nowhere (never
/// throttled, never authenticates); an empty password leaves no user name, so it counts for
/// the address alone; anything else counts for the canonical name and address.
#[tokio::test]
async fn throttle_counts_attempts_under_mediawikis_keys() {
    const NO_PRIMARY: &str = "The supplied credentials could not be authenticated.";
    let t = server_with(|_| {}).await;
    let mut b = Browser::new(&t.api_url());
    let token = b.login_token().await;
    for i in 1..=8 {
        let res = b
            .login_with(&token, "Mallory|x", &format!("guess-{i}"))
            .await;
        assert_eq!(res["reason"], NO_PRIMARY, "invalid name, attempt {i}");
    }
    for i in 1..=6 {
        let res = b.login_with(&token, "Alice", "").await;
        let want = if i <= 5 { NO_PRIMARY } else { THROTTLED };
        assert_eq!(res["reason"], want, "empty password, attempt {i}");
    }
    // The address-only counter is full, Alice's own is not; and it holds for anyone.
    let res = b.login_with(&token, "Alice", "guess").await;
    assert_eq!(res["reason"], WRONG_PASSWORD);
    let res = b.login_with(&token, "Bob", "").await;
    assert_eq!(res["reason"], THROTTLED);
    // `alice` and `Alice_` are Alice: one counter.
    for (i, name) in ["alice", "Alice_", " Alice", "Alice", "alice_"]
        .iter()
        .enumerate()
    {
        let res = b.login_with(&token, name, "guess").await;
        let want = if i + 2 <= 5 {
            WRONG_PASSWORD
        } else {
            THROTTLED
        };
        assert_eq!(res["reason"], want, "{name:?}");
    }
}
