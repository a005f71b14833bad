//! The API:Logout page's own sample programs (tests/examples/, copied verbatim from the
//! seed with only the endpoint and the bot credentials read from the environment) run
//! against a real mwauth server on loopback.
//!
//! Each example talks to the server through a small recording TCP relay, so the test can
//! see what the example could not print: that the login really succeeded, which
//! `…_BPsession` id it was given, and that this id no longer identifies a session once
//! the example has logged out (checked afterwards with a fresh HTTP client).
//!
//! Python needs `requests` (Debian: python3-requests) and PHP its curl extension (Debian:
//! php-cli, php-curl); a missing one fails the test with a message saying so. The Node
//! example needs `node` and the package `request` (Debian: nodejs, node-request; or
//! `npm install --no-save request` in tests/examples/), installed by scripts/test.
//!
//! The last test runs them (and the mwclient script; Debian: python3-mwclient) against a
//! server with OATHAuth and ConfirmEdit on (issue 23). The relay and the runners are in `common/examples.rs`.

mod common;

use common::examples::{
    can_run, check_transcript, examples_dir, php_with_curl, python_with_requests, read_cookie_jar,
    run_example, Relay, BP_COOKIE,
};
use common::{oracle_server, TestServer, ALICE_BOT};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Checks made afterwards with a fresh client.

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client")
}

async fn api_get(server: &TestServer, cookie: &str, params: &[(&str, &str)]) -> Value {
    let mut req = fresh_client().get(server.api_url()).query(params);
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    let res = req.send().await.expect("request to mwauth");
    let text = res.text().await.expect("response body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn anonymous_userinfo() -> Value {
    json!({"batchcomplete": "", "query": {"userinfo": {"id": 0, "name": "127.0.0.1", "anon": ""}}})
}

/// The BPsession id and csrf token the example was given no longer work: api.php treats
/// the id as anonymous and the token as invalid.
async fn assert_session_ended(server: &TestServer, bp_id: &str, csrf: &str) {
    let cookie = format!("{BP_COOKIE}={bp_id}");
    let userinfo = api_get(
        server,
        &cookie,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        userinfo,
        anonymous_userinfo(),
        "the example's {BP_COOKIE} should be anonymous after its logout"
    );
    let check = api_get(
        server,
        &cookie,
        &[
            ("action", "checktoken"),
            ("type", "csrf"),
            ("token", csrf),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        check["checktoken"]["result"], "invalid",
        "the example's csrf token should be invalid after its logout: {check}"
    );
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_example_logs_out_with_a_bot_password() {
    let python = python_with_requests();
    let server = oracle_server().await;
    let relay = Relay::start(server.server.addr).await;
    let work = tempfile::tempdir().expect("tempdir");
    let ran = run_example(
        &python,
        &examples_dir().join("logout.py"),
        work.path(),
        &relay.api_url(),
        ALICE_BOT,
    )
    .await;
    // print(DATA) of the empty JSON object MediaWiki answers to a logout.
    assert_eq!(ran.stdout, "{}\n", "stderr:\n{}", ran.stderr);
    let (bp_id, csrf) = check_transcript(&relay, (3, "Alice"));
    assert_session_ended(&server, &bp_id, &csrf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn php_example_logs_out_with_a_bot_password() {
    let php = php_with_curl();
    let server = oracle_server().await;
    let relay = Relay::start(server.server.addr).await;
    let work = tempfile::tempdir().expect("tempdir");
    let ran = run_example(
        &php,
        &examples_dir().join("logout.php"),
        work.path(),
        &relay.api_url(),
        ALICE_BOT,
    )
    .await;
    // echo ( $output ): the raw response body.
    assert_eq!(ran.stdout, "{}", "stderr:\n{}", ran.stderr);
    let (bp_id, csrf) = check_transcript(&relay, (3, "Alice"));
    assert_session_ended(&server, &bp_id, &csrf).await;

    // The cookie file the example leaves behind: curl dropped the cleared BPsession, and
    // whatever it kept is anonymous to api.php.
    let jar = read_cookie_jar(&work.path().join("cookie.txt"));
    assert!(
        jar.iter().all(|(name, _)| name != BP_COOKIE),
        "cookie.txt still holds {BP_COOKIE}: {jar:?}"
    );
    assert!(
        jar.iter().any(|(name, _)| name == "oraclewiki_session"),
        "cookie.txt should keep the anonymous session of step 1: {jar:?}"
    );
    let cookie = jar
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let userinfo = api_get(
        &server,
        &cookie,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        userinfo,
        anonymous_userinfo(),
        "cookie.txt after the example's logout should be anonymous"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_example_logs_out_with_a_bot_password() {
    let dir = examples_dir();
    assert!(
        can_run("node", &["--version"]),
        "no `node` on PATH to run the seed's Node example"
    );
    assert!(
        common::examples::node_with_request(),
        "the package `request` is missing: apt-get install node-request (scripts/test \
         does), or `npm install --no-save request` in {}",
        dir.display()
    );
    let server = oracle_server().await;
    let relay = Relay::start(server.server.addr).await;
    let work = tempfile::tempdir().expect("tempdir");
    let ran = run_example(
        "node",
        &dir.join("logout.js"),
        work.path(),
        &relay.api_url(),
        ALICE_BOT,
    )
    .await;
    // console.log(body): the raw response body and a newline.
    assert_eq!(ran.stdout, "{}\n", "stderr:\n{}", ran.stderr);
    let (bp_id, csrf) = check_transcript(&relay, (3, "Alice"));
    assert_session_ended(&server, &bp_id, &csrf).await;
}

/// Issue 23: with OATHAuth and ConfirmEdit on (`common::extensions_server`: `[oath] enabled`,
/// `[captcha] kind = "questy"` with a question and the default triggers), the seed's examples
/// and mwclient still log in with a bot password — here Carol's, whose account has two-factor
/// on — while the captcha is triggered for the IP they come from: bot passwords are asked for
/// neither a code nor a captcha (as in MediaWiki), and the main password is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_and_mwclient_log_in_with_two_factor_and_captcha_on() {
    use common::examples::{bot_session_seen, node_with_request, run_mwclient};
    use common::{CAROL, CAROL_BOT};
    let python = python_with_requests();
    let php = php_with_curl();
    let server = common::extensions_server().await;
    let api = server.api_url();
    let jars = tempfile::tempdir().expect("tempdir");
    tokio::task::block_in_place(|| {
        // Three failed logins from 127.0.0.1: the captcha is now asked for at login.
        let someone = common::php::Client::new(jars.path(), "someone");
        for _ in 0..3 {
            let token = someone.token(&api, "login");
            let v = someone.call(
                &api,
                &[
                    ("action", "clientlogin"),
                    ("username", "Alice"),
                    ("password", "not-her-password"),
                    ("loginreturnurl", "http://127.0.0.1/"),
                    ("logintoken", &token),
                ],
            );
            assert_eq!(v["clientlogin"]["status"], "FAIL", "{v}");
        }
        let v = someone.call(
            &api,
            &[
                ("action", "query"),
                ("meta", "authmanagerinfo"),
                ("amirequestsfor", "login"),
            ],
        );
        assert_eq!(
            v["query"]["authmanagerinfo"]["requests"][0]["id"], "CaptchaAuthenticationRequest",
            "the captcha is triggered for 127.0.0.1: {v}"
        );
        // Carol's main password does not log her in through action=login.
        let carol = common::php::Client::new(jars.path(), "carol");
        let token = carol.token(&api, "login");
        let v = carol.call(
            &api,
            &[
                ("action", "login"),
                ("lgname", CAROL.0),
                ("lgpassword", CAROL.1),
                ("lgtoken", &token),
            ],
        );
        assert_ne!(v["login"]["result"], "Success", "{v}");
        assert_eq!(carol.user(&api), None);
    });

    let work = tempfile::tempdir().expect("tempdir");
    assert!(
        node_with_request(),
        "the Node example needs `node` and `request` (apt-get install nodejs node-request)"
    );
    let programs = vec![
        (python.as_str(), "logout.py"),
        (php.as_str(), "logout.php"),
        ("node", "logout.js"),
    ];
    for (program, script) in programs {
        let at = format!("{program} {script}");
        let gate_api = api.clone();
        let relay = Relay::start_gated(
            server.server.addr,
            Some(Box::new(move |bp, csrf| {
                let (user, valid) = bot_session_seen(&gate_api, bp, csrf);
                json!({ "user": user, "csrf": valid })
            })),
        )
        .await;
        let ran = run_example(
            program,
            &examples_dir().join(script),
            work.path(),
            &relay.api_url(),
            CAROL_BOT,
        )
        .await;
        assert!(ran.stdout.starts_with("{}"), "{at}: {}", ran.stderr);
        let (bp_id, csrf) = check_transcript(&relay, (6, "Carol"));
        assert_eq!(
            relay.gate_saw(),
            Some(json!({ "user": "Carol", "csrf": "valid" })),
            "{at}: before its logout, the example's session was Carol's"
        );
        assert_session_ended(&server, &bp_id, &csrf).await;
    }

    // mwclient: logged in as Carol with her bot password, then logged out.
    let host = server.server.addr.to_string();
    let mw = api.clone();
    let lines = tokio::task::block_in_place(|| {
        run_mwclient(&host, CAROL_BOT, None, |step| {
            let cookies = step["cookies"].as_object().cloned().unwrap_or_default();
            let bp = cookies
                .get(BP_COOKIE)
                .and_then(Value::as_str)
                .unwrap_or_default();
            match step["step"].as_str() {
                Some("logged-in") => {
                    assert_eq!(step["user"], "Carol", "{step}");
                    let csrf = step["csrf"].as_str().unwrap();
                    let seen = bot_session_seen(&mw, bp, csrf);
                    assert_eq!(seen, (Some("Carol".into()), "valid".into()), "{step}");
                }
                Some("logged-out") => {
                    assert_eq!(step["answer"], json!({}), "{step}");
                    assert!(bp.is_empty(), "the logout cleared {BP_COOKIE}: {step}");
                }
                _ => panic!("unexpected step {step}"),
            }
        })
    });
    let steps: Vec<&str> = lines.iter().filter_map(|l| l["step"].as_str()).collect();
    assert_eq!(steps, ["logged-in", "logged-out"]);
    let bp = lines[0]["cookies"][BP_COOKIE].as_str().unwrap();
    let csrf = lines[0]["csrf"].as_str().unwrap();
    assert_session_ended(&server, bp, csrf).await;
    server.server.stop().await;
}
