//! ConfirmEdit's per-user login captcha (`bad_login_per_user_attempts`), replayed against
//! the answers of the reference extensions wiki started with `$wgCaptchaBadLoginAttempts =
//! 100; $wgCaptchaBadLoginPerUserAttempts = 3;` (so that only the per-user count triggers):
//! `conformance/captcha-per-user/{scenarios,golden}/captcha-per-user.json`, recorded with
//! conformance/record.py from that wiki on port 8198. The conformance/extensions suite runs
//! with the default limits, so this one stands apart.
//!
//! What the transcript shows, step by step:
//! - three failed logins as Bob: the same session's `amirequestsfor=login` has no captcha
//!   yet (the session flag is raised by the next login, which tests the count);
//! - another client, without the flag or a UserName cookie, logs in as Bob with the right
//!   password and an answer to a captcha asked for `create`: not asked, so not read
//!   ("Unrecognized parameters: captchaId, captchaWord"), `wrongpassword`; its session's
//!   flag is now up and its `amirequestsfor=login` lists the CaptchaAuthenticationRequest;
//! - the first client's session still has no flag: no captcha; a fresh client: none;
//!   `{prefix}UserName=Bob` or `bob_`: the captcha; `Alice`, `deleted`, an invalid name,
//!   an empty value: none;
//! - a client with `UserName=Bob` logs in as Alice without an answer: PASS;
//! - Bob with the right answer in the flagged session: PASS, and the flag and his count are
//!   gone (no captcha there, nor for `UserName=Bob`).

mod common;

use common::replay::{conformance_dir, read_json, replay_and_compare};
use std::time::Duration;

/// The reference wiki the golden was recorded from (extensions.sh with EXT_PORT=8198).
const RECORDED_FROM: &str = "http://127.0.0.1:8198/w/api.php";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_login_captcha_answers_as_the_reference_wiki() {
    let dir = conformance_dir().join("captcha-per-user");
    let scenario = read_json(&dir.join("scenarios/captcha-per-user.json"));
    let server = common::extensions_server_with(|file| {
        file.wiki.captcha.bad_login_attempts = 100;
        file.wiki.captcha.bad_login_per_user_attempts = 3;
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let problems = replay_and_compare(
        &client,
        &server.api_url(),
        Some(RECORDED_FROM),
        &scenario,
        &dir.join("golden"),
    )
    .await;
    server.server.stop().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
