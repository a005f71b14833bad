//! The pages in a real browser: headless Chromium driven over the WebDriver protocol by a
//! minimal client (JSON over HTTP to chromedriver, with reqwest), against an mwauth server on
//! loopback. One flow, as a person would go through it:
//!
//! log in on Special:UserLogin (a wrong password first) and see the name in the personal bar
//! → api.php knows the same session → create a bot password on Special:BotPasswords and log
//! in with it through api.php → log out on Special:UserLogout by clicking its button (the
//! script's `api.php?action=logout` path) → the page shows the logged-out state and api.php
//! refuses the old session cookie → create an account on Special:CreateAccount → the pages
//! at a phone's width.
//!
//! Each page is photographed (WebDriver's screenshot) into a temporary directory, or into
//! `$MWAUTH_SCREENSHOTS` when set (relative paths from the workspace root; e.g.
//! `MWAUTH_SCREENSHOTS=docs/screenshots`).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`, `chromedriver`;
//! override with MWAUTH_CHROMIUM and MWAUTH_CHROMEDRIVER). Without them the test fails and
//! says so. chromedriver and every Chromium process it starts are ended by process id when
//! the test ends, also when it fails (`common/webdriver.rs`, shared with front_door.rs).

mod common;

use common::webdriver::{require_browser, Browser, PHONE};
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const ALICE: (&str, &str) = ("Alice", "Alice-pass-12345");

// ---------------------------------------------------------------------------------------
// The server, and api.php from a plain HTTP client.

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn server(dir: &Path) -> Spawned {
    let mut file = FileConfig::default();
    file.wiki.sitename = "MediaWiki".into();
    let settings = Settings {
        file,
        data_dir: dir.join("data"),
    };
    let server = spawn(&settings).await.expect("server starts");
    let hash = server.services.hasher.hash(ALICE.1).await.unwrap();
    server
        .services
        .users
        .create_user(
            ALICE.0,
            &hash,
            &mwauth::auth::account::new_user_token(),
            &[],
        )
        .await
        .unwrap();
    server
}

fn api_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn api_get(client: &reqwest::Client, api: &str, query: &[(&str, &str)]) -> Value {
    let mut q = vec![("format", "json")];
    q.extend_from_slice(query);
    client
        .get(api)
        .query(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// meta=userinfo as seen with only this `my_wiki_session` cookie.
async fn userinfo_with_session(api: &str, session: &str) -> Value {
    let v: Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(api)
        .query(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ])
        .header("Cookie", format!("my_wiki_session={session}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["query"]["userinfo"].clone()
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_make_a_bot_password_and_log_out_in_chromium() {
    let (chromium, driver_bin) = require_browser();
    let dir = tempfile::tempdir().unwrap();
    let shots = match std::env::var_os("MWAUTH_SCREENSHOTS") {
        Some(p) if Path::new(&p).is_absolute() => PathBuf::from(p),
        Some(p) => workspace_root().join(p),
        None => dir.path().join("screenshots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let srv = server(dir.path()).await;
    let site = format!("http://{}", srv.addr);
    let api = srv.api_url();
    let page = |title: &str| format!("{site}/w/index.php?title={title}");

    let mut b = Browser::start(&driver_bin, &chromium, shots.clone(), dir.path()).await;

    // Log in: a wrong password first.
    b.go(&page("Special:UserLogin")).await;
    assert_eq!(b.text("#firstHeading").await, "Log in");
    assert_eq!(b.text("#pt-anonuserpage").await, "Not logged in");
    // The stylesheet loaded under the Content-Security-Policy.
    let font = b
        .script(
            "return getComputedStyle(document.body).fontFamily",
            json!([]),
        )
        .await;
    assert!(
        font.as_str().unwrap_or("").contains("system-ui"),
        "mwauth.css applies: {font}"
    );
    b.shot("login").await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", "not-the-password").await;
    b.click("#wpLoginAttempt").await;
    b.wait_text(
        ".mw-message-box-error",
        "Incorrect username or password entered. Please try again.",
    )
    .await;
    b.shot("login-error").await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", ALICE.1).await;
    b.click("#wpLoginAttempt").await;
    b.wait_text("#pt-userpage", "Alice").await;
    assert_eq!(b.current_url().await, page("Main_Page"));
    b.shot("main-page-logged-in").await;

    // The page's session is api.php's session.
    let session = b.cookie("my_wiki_session").await.expect("session cookie");
    assert_eq!(userinfo_with_session(&api, &session).await["name"], "Alice");

    // A bot password, made on Special:BotPasswords.
    b.click("#pt-botpasswords a").await;
    b.wait_text("#firstHeading", "Bot passwords").await;
    b.type_into("#mw-input-wpappId", "mybot").await;
    b.shot("botpasswords").await;
    b.click("#mw-botpasswords-create").await;
    b.wait_text("#mw-botpasswords-username", "Alice@mybot")
        .await;
    b.click("#mw-input-wpgrants-grant-highvolume").await;
    b.click("#mw-input-wpgrants-grant-editpage").await;
    b.shot("botpasswords-create").await;
    b.click("#mw-botpasswords-create").await;
    let done = b.text("#mw-botpasswords-done").await;
    assert_eq!(
        done,
        "The bot password for bot name \"mybot\" of user \"Alice\" was created."
    );
    assert_eq!(b.text("#mw-botpasswords-loginname").await, "Alice@mybot");
    let bot_pw = b.text("#mw-botpasswords-password").await;
    assert_eq!(bot_pw.len(), 32, "{bot_pw}");
    b.shot("botpasswords-created").await;

    // … used through api.php by a bot.
    let bot = api_client();
    let v = api_get(
        &bot,
        &api,
        &[("action", "query"), ("meta", "tokens"), ("type", "login")],
    )
    .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v: Value = bot
        .post(&api)
        .form(&[
            ("action", "login"),
            ("lgname", "Alice@mybot"),
            ("lgpassword", bot_pw.as_str()),
            ("lgtoken", token.as_str()),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["login"]["result"], "Success", "{v}");
    let v = api_get(
        &bot,
        &api,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "rights"),
        ],
    )
    .await;
    assert_eq!(v["query"]["userinfo"]["name"], "Alice");
    let rights = v["query"]["userinfo"]["rights"].to_string();
    assert!(rights.contains("\"edit\""), "editpage grant: {rights}");
    assert!(
        !rights.contains("\"move\""),
        "no createeditmovepage grant: {rights}"
    );

    b.go(&page("Special:BotPasswords")).await;
    assert!(b.text(".mw-botpasswords-list").await.contains("mybot"));
    b.shot("botpasswords-list").await;

    // Log out with the button: the script posts action=logout to api.php.
    b.click("#pt-logout a").await;
    b.wait_text("#firstHeading", "Log out").await;
    assert!(b
        .text("#mw-userlogout-form")
        .await
        .contains("Do you want to log out?"));
    assert_eq!(b.text("#pt-userpage").await, "Alice", "GET did not log out");
    assert_eq!(userinfo_with_session(&api, &session).await["name"], "Alice");
    b.shot("logout-confirm").await;
    // Record the script's request (sessionStorage outlives the page's reload).
    b.script(
        "const f = window.fetch; window.fetch = function (url, opts) { \
           sessionStorage.setItem('mwauth-test', String(url) + ' ' + String(opts && opts.body)); \
           return f.apply(this, arguments); };",
        json!([]),
    )
    .await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    assert_eq!(
        b.text("#mw-logout-done strong").await,
        "You are now logged out."
    );
    assert_eq!(b.text("#pt-anonuserpage").await, "Not logged in");
    b.wait("#pt-login").await;
    let sent = b
        .script("return sessionStorage.getItem('mwauth-test')", json!([]))
        .await;
    let sent = sent.as_str().unwrap_or("").to_string();
    assert!(
        sent.starts_with("/w/api.php action=logout&token=") && sent.ends_with("%2B%5C&format=json"),
        "the button went through api.php: {sent:?}"
    );
    assert_eq!(
        b.current_url().await,
        format!(
            "{}&returnto=Special%3ABotPasswords",
            page("Special:UserLogout")
        ),
        "the script showed the page again (GET), not the form's POST answer"
    );
    b.shot("logged-out").await;
    // The old session cookie no longer opens anything.
    let info = userinfo_with_session(&api, &session).await;
    assert_eq!(info["id"], 0, "{info}");
    assert!(info.get("anon").is_some(), "{info}");
    assert!(b.cookie("my_wiki_session").await.is_none());

    // An account of one's own, from the personal bar.
    b.click("#pt-createaccount a").await;
    b.wait_text("#firstHeading", "Create account").await;
    b.shot("createaccount").await;
    b.type_into("#wpName2", "Bob").await;
    b.type_into("#wpPassword2", "Bob-pass-12345").await;
    b.type_into("#wpRetype", "Bob-pass-54321").await;
    b.click("#wpCreateaccount").await;
    b.wait_text(
        ".mw-message-box-error",
        "The passwords you entered do not match.",
    )
    .await;
    b.shot("createaccount-error").await;
    b.type_into("#wpPassword2", "Bob-pass-12345").await;
    b.type_into("#wpRetype", "Bob-pass-12345").await;
    b.click("#wpCreateaccount").await;
    b.wait_text("#firstHeading", "Welcome, Bob!").await;
    assert_eq!(b.text("#pt-userpage").await, "Bob");
    b.shot("createaccount-welcome").await;

    // A phone.
    b.set_viewport(PHONE).await;
    b.go(&page("Special:BotPasswords/phone%20bot")).await;
    assert_eq!(b.text("#mw-botpasswords-username").await, "Bob@phone bot");
    b.shot("botpasswords-create-phone").await;
    b.go(&page("Special:UserLogout")).await;
    b.shot("logout-confirm-phone").await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    b.go(&page("Special:UserLogin")).await;
    b.wait("#wpName1").await;
    b.shot("login-phone").await;
    let overflow = b
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(overflow, json!(false), "no sideways scrolling on a phone");

    b.quit().await;
    srv.stop().await;
    eprintln!("screenshots in {}", shots.display());
}
