//! The API:Logout page's four-step flow (login token, bot password login, csrf token,
//! logout) done from Rust over real HTTP on loopback, and the behaviours around it. Every
//! expectation about what a client sees was checked against MediaWiki 1.39 itself (wiki id
//! `oraclewiki`, same accounts); the restart and idle-expiry tests are about mwauth's own
//! store.

mod common;

use common::{
    cookie_client as client, http_client as bare_client, oracle_server, oracle_settings,
    TestServer, ALICE_BOT, BOB_BOT,
};
use mwauth_server::serve::spawn;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::Client;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SESSION: &str = "oraclewiki_session";
const BP_SESSION: &str = "oraclewiki_BPsession";
const ANON_USERINFO: &str =
    r#"{"batchcomplete":"","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}}"#;
const ALICE_USERINFO: &str = r#"{"batchcomplete":"","query":{"userinfo":{"id":3,"name":"Alice"}}}"#;
const ALICE_MAIN: (&str, &str) = ("Alice", "Alice-pass-12345");

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn cleared(name: &str) -> String {
    format!("{name}=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly")
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    async fn from(res: reqwest::Response) -> Reply {
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await.expect("response body"),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii Set-Cookie").to_string())
            .collect()
    }

    /// The value a Set-Cookie of this reply gives `name`, if any.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let rest = c.strip_prefix(name)?.strip_prefix('=')?;
            Some(rest.split(';').next().unwrap_or("").to_string())
        })
    }

    fn api_error(&self) -> Option<&str> {
        self.headers
            .get("mediawiki-api-error")
            .map(|v| v.to_str().expect("ascii header"))
    }

    /// An error reply: HTTP 200, the error code in the body and in MediaWiki-API-Error.
    fn assert_error(&self, code: &str, info: &str) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.api_error(), Some(code), "{}", self.body);
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "{}", self.body);
        assert_eq!(v["error"]["info"], info, "{}", self.body);
    }
}

async fn get(c: &Client, url: &str, params: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    let mut req = c.get(url).query(params);
    if let Some(cookie) = cookie {
        req = req.header("Cookie", cookie);
    }
    Reply::from(req.send().await.expect("GET api.php")).await
}

async fn post(c: &Client, url: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    let mut req = c.post(url).form(form);
    if let Some(cookie) = cookie {
        req = req.header("Cookie", cookie);
    }
    Reply::from(req.send().await.expect("POST api.php")).await
}

/// A MediaWiki session id: 32 base-32 digits.
fn assert_session_id(id: &str) {
    assert!(
        id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'v')),
        "not a MediaWiki session id: {id:?}"
    );
}

/// A MediaWiki token: 32 hex digits of HMAC, the hex unix time it was made, then `+\`.
fn assert_token_format(token: &str) {
    let body = token
        .strip_suffix("+\\")
        .unwrap_or_else(|| panic!("token does not end with +\\: {token:?}"));
    assert!(body.len() > 32, "token too short: {token:?}");
    let (hmac, time) = body.split_at(32);
    let lower_hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    assert!(
        lower_hex(hmac) && lower_hex(time),
        "token not hex: {token:?}"
    );
    let made = i64::from_str_radix(time, 16).expect("token timestamp");
    let now = unix_now();
    assert!(
        (now - made).abs() < 300,
        "token timestamp {made} is not now ({now})"
    );
}

async fn login_token(c: &Client, url: &str) -> (Reply, String) {
    let r = get(
        c,
        url,
        &[
            ("action", "query"),
            ("meta", "tokens"),
            ("type", "login"),
            ("format", "json"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap_or_else(|| panic!("no login token: {}", r.body))
        .to_string();
    (r, token)
}

async fn login(c: &Client, url: &str, token: &str, (name, password): (&str, &str)) -> Reply {
    post(
        c,
        url,
        &[
            ("action", "login"),
            ("lgname", name),
            ("lgpassword", password),
            ("lgtoken", token),
            ("format", "json"),
        ],
        None,
    )
    .await
}

/// Steps 1 and 2 with a bot password; returns the BPsession id handed out.
async fn bot_login(c: &Client, url: &str, account: (&str, &str)) -> String {
    let (_, token) = login_token(c, url).await;
    let r = login(c, url, &token, account).await;
    assert_eq!(r.json()["login"]["result"], "Success", "{}", r.body);
    r.cookie(BP_SESSION)
        .unwrap_or_else(|| panic!("no {BP_SESSION} cookie: {:?}", r.set_cookies()))
}

async fn csrf_token(c: &Client, url: &str) -> String {
    let r = get(
        c,
        url,
        &[("action", "query"), ("meta", "tokens"), ("format", "json")],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["query"]["tokens"]["csrftoken"]
        .as_str()
        .unwrap_or_else(|| panic!("no csrf token: {}", r.body))
        .to_string()
}

async fn userinfo(c: &Client, url: &str, cookie: Option<&str>) -> Reply {
    get(
        c,
        url,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ],
        cookie,
    )
    .await
}

async fn logout(c: &Client, url: &str, token: &str) -> Reply {
    post(
        c,
        url,
        &[("action", "logout"), ("token", token), ("format", "json")],
        None,
    )
    .await
}

async fn checktoken(c: &Client, url: &str, kind: &str, token: &str, cookie: &str) -> Value {
    let r = get(
        c,
        url,
        &[
            ("action", "checktoken"),
            ("type", kind),
            ("token", token),
            ("format", "json"),
        ],
        Some(cookie),
    )
    .await;
    r.json()["checktoken"]["result"].clone()
}

#[tokio::test]
async fn seed_flow_bot_password_login_and_logout() {
    let server = oracle_server().await;
    let url = &server.api_url();
    let c = client();

    // Step 1: GET meta=tokens&type=login starts an anonymous session.
    let (r, login_tok) = login_token(&c, url).await;
    assert_token_format(&login_tok);
    let sid = r.cookie(SESSION).expect("step 1 sets the session cookie");
    assert_session_id(&sid);
    assert_eq!(
        r.set_cookies(),
        [format!("{SESSION}={sid}; path=/; HttpOnly")]
    );

    // Step 2: POST action=login with the bot password.
    let r = login(&c, url, &login_tok, ALICE_BOT).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        r#"{"login":{"result":"Success","lguserid":3,"lgusername":"Alice"}}"#
    );
    let bp = r
        .cookie(BP_SESSION)
        .expect("login sets the BPsession cookie");
    assert_session_id(&bp);
    assert_eq!(
        r.set_cookies(),
        [format!("{BP_SESSION}={bp}; path=/; HttpOnly")]
    );
    assert_eq!(userinfo(&c, url, None).await.body, ALICE_USERINFO);

    // Step 3: GET meta=tokens gives a logged-in csrf token.
    let csrf = csrf_token(&c, url).await;
    assert_token_format(&csrf);

    // Step 4: POST action=logout.
    let r = logout(&c, url, &csrf).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "{}");
    assert_eq!(r.api_error(), None);
    assert_eq!(r.set_cookies(), [cleared(BP_SESSION)]);

    // The session is over: anonymous, the old token refused.
    assert_eq!(userinfo(&c, url, None).await.body, ANON_USERINFO);
    logout(&c, url, &csrf)
        .await
        .assert_error("badtoken", "Invalid CSRF token.");

    // Replaying the old BPsession id by hand is anonymous too (what the server then says
    // about the cookie: replayed_bpsession_cookie_of_ended_session_is_cleared).
    let r = userinfo(&bare_client(), url, Some(&format!("{BP_SESSION}={bp}"))).await;
    assert_eq!(r.body, ANON_USERINFO);
    assert_eq!(
        checktoken(
            &bare_client(),
            url,
            "csrf",
            &csrf,
            &format!("{BP_SESSION}={bp}")
        )
        .await,
        "invalid"
    );
}

#[tokio::test]
async fn replayed_bpsession_cookie_of_ended_session_is_cleared() {
    let server = oracle_server().await;
    let url = &server.api_url();
    // MediaWiki answers a BPsession cookie that names no session by clearing it, whether
    // the session ended or never existed.
    let c = client();
    let bp = bot_login(&c, url, ALICE_BOT).await;
    let csrf = csrf_token(&c, url).await;
    assert_eq!(logout(&c, url, &csrf).await.body, "{}");
    for id in [bp.as_str(), "0123456789abcdefghijklmnopqrstuv"] {
        let r = userinfo(&bare_client(), url, Some(&format!("{BP_SESSION}={id}"))).await;
        assert_eq!(r.body, ANON_USERINFO);
        assert_eq!(
            r.set_cookies(),
            [cleared(BP_SESSION)],
            "Cookie: {BP_SESSION}={id}"
        );
    }
}

#[tokio::test]
async fn replayed_cookies_of_ended_main_login_are_cleared() {
    let server = oracle_server().await;
    let url = &server.api_url();
    // A main-account session: its old cookies (without the Token one, which logout
    // cleared) get the session and user id cookies cleared.
    let c = client();
    let (_, login_tok) = login_token(&c, url).await;
    let r = login(&c, url, &login_tok, ALICE_MAIN).await;
    let sid = r.cookie(SESSION).expect("login sets the session cookie");
    let csrf = csrf_token(&c, url).await;
    assert_eq!(logout(&c, url, &csrf).await.body, "{}");
    let old = format!("{SESSION}={sid}; oraclewikiUserID=3; oraclewikiUserName=Alice");
    let r = userinfo(&bare_client(), url, Some(&old)).await;
    assert_eq!(r.body, ANON_USERINFO);
    assert_eq!(
        r.set_cookies(),
        [cleared(SESSION), cleared("oraclewikiUserID")],
        "Cookie: {old}"
    );
}

#[tokio::test]
async fn unknown_session_cookie_is_replaced_by_a_fresh_id() {
    let server = oracle_server().await;
    let url = &server.api_url();
    let unknown = "0123456789abcdefghijklmnopqrstuv";
    let r = userinfo(&bare_client(), url, Some(&format!("{SESSION}={unknown}"))).await;
    assert_eq!(r.body, ANON_USERINFO);
    let fresh = r
        .cookie(SESSION)
        .unwrap_or_else(|| panic!("no fresh {SESSION} cookie: {:?}", r.set_cookies()));
    assert_session_id(&fresh);
    assert_ne!(fresh, unknown);
    assert_eq!(
        r.set_cookies(),
        [format!("{SESSION}={fresh}; path=/; HttpOnly")]
    );
}

#[tokio::test]
async fn logout_by_get_does_not_end_session() {
    let server = oracle_server().await;
    let url = &server.api_url();
    let c = client();
    bot_login(&c, url, ALICE_BOT).await;
    let csrf = csrf_token(&c, url).await;

    let r = get(
        &c,
        url,
        &[("action", "logout"), ("token", &csrf), ("format", "json")],
        None,
    )
    .await;
    r.assert_error(
        "mustpostparams",
        "The following parameter was found in the query string, but must be in the POST body: token.",
    );
    assert_eq!(r.set_cookies(), Vec::<String>::new());

    let r = get(&c, url, &[("action", "logout"), ("format", "json")], None).await;
    r.assert_error("missingparam", "The \"token\" parameter must be set.");
    assert_eq!(r.set_cookies(), Vec::<String>::new());

    // Still logged in, and the same token still logs out by POST.
    assert_eq!(userinfo(&c, url, None).await.body, ALICE_USERINFO);
    let r = logout(&c, url, &csrf).await;
    assert_eq!(r.body, "{}");
    assert_eq!(userinfo(&c, url, None).await.body, ANON_USERINFO);
}

#[tokio::test]
async fn csrf_token_of_other_session_is_refused() {
    let server = oracle_server().await;
    let url = &server.api_url();
    let alice = client();
    let bob = client();
    let alice_bp = bot_login(&alice, url, ALICE_BOT).await;
    bot_login(&bob, url, BOB_BOT).await;
    let alice_csrf = csrf_token(&alice, url).await;
    let bob_csrf = csrf_token(&bob, url).await;
    assert_ne!(alice_csrf, bob_csrf);

    // Bob's token in Alice's session, Alice's in Bob's, the anonymous one in Alice's.
    for (c, token) in [
        (&alice, &bob_csrf),
        (&bob, &alice_csrf),
        (&alice, &"+\\".to_string()),
    ] {
        let r = logout(c, url, token).await;
        r.assert_error("badtoken", "Invalid CSRF token.");
        assert_eq!(r.set_cookies(), Vec::<String>::new());
    }
    assert_eq!(
        checktoken(
            &bare_client(),
            url,
            "csrf",
            &bob_csrf,
            &format!("{BP_SESSION}={alice_bp}")
        )
        .await,
        "invalid"
    );
    assert_eq!(
        checktoken(
            &bare_client(),
            url,
            "csrf",
            &alice_csrf,
            &format!("{BP_SESSION}={alice_bp}")
        )
        .await,
        "valid"
    );

    // Both still logged in; Alice's own token ends only Alice's session.
    assert_eq!(userinfo(&alice, url, None).await.body, ALICE_USERINFO);
    assert_eq!(logout(&alice, url, &alice_csrf).await.body, "{}");
    assert_eq!(userinfo(&alice, url, None).await.body, ANON_USERINFO);
    assert_eq!(
        userinfo(&bob, url, None).await.json()["query"]["userinfo"],
        json!({"id": 4, "name": "Bob"})
    );
}

#[tokio::test]
async fn main_account_login_rotates_session_id() {
    let server = oracle_server().await;
    let url = &server.api_url();
    let c = client();
    let (r, login_tok) = login_token(&c, url).await;
    let before = r.cookie(SESSION).expect("step 1 sets the session cookie");
    let old_cookie = format!("{SESSION}={before}");
    // Control: the pre-login id is a live session whose login token checks out.
    assert_eq!(
        checktoken(&bare_client(), url, "login", &login_tok, &old_cookie).await,
        "valid"
    );

    let r = login(&c, url, &login_tok, ALICE_MAIN).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["login"],
        json!({"result": "Success", "lguserid": 3, "lgusername": "Alice"}),
        "{}",
        r.body
    );
    let after = r
        .cookie(SESSION)
        .unwrap_or_else(|| panic!("login sets a new session cookie: {:?}", r.set_cookies()));
    assert_session_id(&after);
    assert_ne!(before, after, "the session id must change at login");
    assert_eq!(r.cookie("oraclewikiUserID").as_deref(), Some("3"));
    assert_eq!(r.cookie("oraclewikiUserName").as_deref(), Some("Alice"));
    assert_eq!(userinfo(&c, url, None).await.body, ALICE_USERINFO);

    // The pre-login id no longer identifies any session: its data (the login token's
    // secret) is gone, and it is anonymous.
    assert_eq!(
        checktoken(&bare_client(), url, "login", &login_tok, &old_cookie).await,
        "invalid"
    );
    let r = userinfo(&bare_client(), url, Some(&old_cookie)).await;
    assert_eq!(r.body, ANON_USERINFO);
    assert_ne!(r.cookie(SESSION).as_deref(), Some(before.as_str()));
}

#[tokio::test]
async fn main_account_logout_clears_session_userid_and_token_cookies() {
    let server = oracle_server().await;
    let url = &server.api_url();
    let c = client();
    let (_, login_tok) = login_token(&c, url).await;
    let r = login(&c, url, &login_tok, ALICE_MAIN).await;
    assert_eq!(r.json()["login"]["result"], "Success", "{}", r.body);
    let sid = r.cookie(SESSION).expect("login sets the session cookie");
    let csrf = csrf_token(&c, url).await;
    assert_token_format(&csrf);

    let r = logout(&c, url, &csrf).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "{}");
    assert_eq!(
        r.set_cookies(),
        [
            cleared(SESSION),
            cleared("oraclewikiUserID"),
            cleared("oraclewikiToken")
        ],
        "oraclewikiUserName stays, as in MediaWiki"
    );
    assert_eq!(userinfo(&c, url, None).await.body, ANON_USERINFO);
    logout(&c, url, &csrf)
        .await
        .assert_error("badtoken", "Invalid CSRF token.");

    // The old session id, replayed by hand with the user id cookie, is no session.
    let old = format!("{SESSION}={sid}; oraclewikiUserID=3; oraclewikiUserName=Alice");
    assert_eq!(
        userinfo(&bare_client(), url, Some(&old)).await.body,
        ANON_USERINFO
    );
    assert_eq!(
        checktoken(&bare_client(), url, "csrf", &csrf, &old).await,
        "invalid"
    );
}

#[tokio::test]
async fn session_survives_server_restart() {
    let TestServer { server, dir } = oracle_server().await;
    let c = client();
    let url = server.api_url();
    let bp = bot_login(&c, &url, ALICE_BOT).await;
    let csrf = csrf_token(&c, &url).await;
    server.stop().await;

    let server = spawn(&oracle_settings(dir.path()))
        .await
        .expect("server restarts on the same data dir");
    let url = server.api_url();
    let cookie = format!("{BP_SESSION}={bp}");
    let r = userinfo(&bare_client(), &url, Some(&cookie)).await;
    assert_eq!(r.body, ALICE_USERINFO);
    assert_eq!(
        checktoken(&bare_client(), &url, "csrf", &csrf, &cookie).await,
        "valid"
    );
    let r = post(
        &bare_client(),
        &url,
        &[("action", "logout"), ("token", &csrf), ("format", "json")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.body, "{}");
    assert_eq!(
        userinfo(&bare_client(), &url, Some(&cookie)).await.body,
        ANON_USERINFO
    );
    server.stop().await;
}

#[tokio::test]
async fn idle_session_expires() {
    let TestServer { server, dir } = oracle_server().await;
    server.stop().await;
    let mut settings = oracle_settings(dir.path());
    // The store keeps a session while its expiry (unix seconds: the second of its last use
    // plus `session_expiry`) is not past.
    settings.file.wiki.session_expiry = 1;
    let server = spawn(&settings).await.expect("server starts");
    let url = server.api_url();
    let bp = bot_login(&client(), &url, ALICE_BOT).await;
    let logged_in_by = unix_now();

    // No check that the session still works "within the second": on a loaded machine that
    // second may be over before the next request (every other test here uses the session
    // while it lives). What must hold is that it is gone once the clock is past its expiry,
    // however long that took.
    while unix_now() <= logged_in_by + 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cookie = format!("{BP_SESSION}={bp}");
    let r = userinfo(&bare_client(), &url, Some(&cookie)).await;
    assert_eq!(r.body, ANON_USERINFO);
    server.stop().await;
}
