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
//! A second flow, with OATHAuth and ConfirmEdit's QuestyCaptcha switched on: enrol in
//! two-factor authentication on Special:OATHManage (the code computed from the secret the
//! page shows) → log out → log in with the password, then a code → log out → create an
//! account on Special:CreateAccount, answering the captcha (wrongly first).
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

use common::webdriver::{require_browser, Browser, PHONE, WAIT};
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ALICE: (&str, &str) = ("Alice", "Alice-pass-12345");

// ---------------------------------------------------------------------------------------
// The server, and api.php from a plain HTTP client.

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn server(dir: &Path) -> Spawned {
    server_with(dir, |_| {}).await
}

/// The server with Alice's account, its settings changed by `configure` first.
async fn server_with(dir: &Path, configure: impl FnOnce(&mut FileConfig)) -> Spawned {
    let mut file = FileConfig::default();
    file.wiki.sitename = "MediaWiki".into();
    configure(&mut file);
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

/// The TOTP code of `secret` at the 30-second step `step` (the project's own HOTP).
fn totp_at(secret: &str, step: u64) -> String {
    mwauth::user::oath::hotp(&mwauth::user::oath::base32_decode(secret), step)
}

/// The 30-second step of now.
fn step_now() -> u64 {
    mwauth::time::now() as u64 / mwauth::user::oath::STEP_SECS
}

/// Types a TOTP code into `field` and submits with `button` until the page leaves the form
/// with a success (`done`, a CSS selector): a code is refused when it is not later than the
/// last accepted step (replay protection) or when the step turned over meanwhile, so each
/// try uses a step after the ones tried (never before `after`, the step accepted last) and
/// at least the step of the moment. Any other text in an error box fails. Returns the
/// step accepted.
async fn submit_code(
    b: &Browser,
    secret: &str,
    after: Option<u64>,
    field: &str,
    button: &str,
    done: &str,
    refusal: &str,
) -> u64 {
    let mut step = after.map_or(0, |s| s + 1).max(step_now());
    // The window accepts ±4 steps around now: a few tries are always enough.
    for _ in 0..4 {
        b.type_into(field, &totp_at(secret, step)).await;
        // Marks this document, so that the answer is read from the next one only (the
        // form being left may still show the previous refusal).
        b.script(
            "document.documentElement.dataset.mwauthSent = '1'",
            json!([]),
        )
        .await;
        b.click(button).await;
        let started = Instant::now();
        loop {
            let left = b.find("html[data-mwauth-sent]").await.is_none();
            if left && b.find(done).await.is_some() {
                return step;
            }
            if left
                && b.find(".mw-message-box-error").await.is_some()
                && b.find(field).await.is_some()
            {
                let said = b.text(".mw-message-box-error").await;
                assert_eq!(said, refusal, "the only refusal a right code can meet");
                break;
            }
            assert!(started.elapsed() < WAIT, "no answer to the code");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        step = (step + 1).max(step_now());
    }
    panic!("no code of {secret} was accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_and_captcha_in_chromium() {
    use mwauth::config::{CaptchaConfig, CaptchaKind, CaptchaQuestion};
    let (chromium, driver_bin) = require_browser();
    let dir = tempfile::tempdir().unwrap();
    let shots = match std::env::var_os("MWAUTH_SCREENSHOTS") {
        Some(p) if Path::new(&p).is_absolute() => PathBuf::from(p),
        Some(p) => workspace_root().join(p),
        None => dir.path().join("screenshots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let srv = server_with(dir.path(), |file| {
        file.wiki.oath.enabled = true;
        file.wiki.captcha = CaptchaConfig {
            kind: CaptchaKind::Questy,
            questions: vec![CaptchaQuestion {
                question: "What is the capital of France?".into(),
                answers: vec!["Paris".into()],
            }],
            ..CaptchaConfig::default()
        };
    })
    .await;
    let site = format!("http://{}", srv.addr);
    let page = |title: &str| format!("{site}/w/index.php?title={title}");
    let b = Browser::start(&driver_bin, &chromium, shots.clone(), dir.path()).await;

    // Log in with the password (not enrolled yet), then enrol from the Main Page's link.
    b.go(&page("Special:UserLogin")).await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", ALICE.1).await;
    b.click("#wpLoginAttempt").await;
    b.wait_text("#pt-userpage", "Alice").await;
    b.click("a[href*='Manage_Two-factor_authentication']").await;
    b.wait_text("#firstHeading", "Manage Two-factor authentication")
        .await;
    b.shot("oathmanage").await;
    b.click("#mw-oath-enable").await;
    b.wait_text("#firstHeading", "Enable TOTP (one-time token)")
        .await;
    let secret = b.text("#mw-oath-secret").await.replace(' ', "");
    assert_eq!(secret.len(), 42, "{secret}");
    // The QR code is drawn (inline SVG, allowed by the page's CSP) at its size.
    let qr = b
        .script(
            "const s = document.querySelector('.mw-display-qrcode svg'); \
             return s ? s.getBoundingClientRect().width : 0",
            json!([]),
        )
        .await;
    assert_eq!(qr.as_f64(), Some(256.0), "QR code shown: {qr}");
    b.shot("oathmanage-enable").await;
    // A wrong code first: nothing is written.
    b.type_into("#mw-input-token", "000000").await;
    b.click("#mw-oath-submit").await;
    b.wait_text(
        ".mw-message-box-error",
        "Failed to validate two-factor credentials",
    )
    .await;
    assert_eq!(
        b.text("#mw-oath-secret").await.replace(' ', ""),
        secret,
        "the same key after a wrong code"
    );
    let enrolled = submit_code(
        &b,
        &secret,
        None,
        "#mw-input-token",
        "#mw-oath-submit",
        "#mw-oath-done",
        "Failed to validate two-factor credentials",
    )
    .await;
    assert_eq!(
        b.text("#mw-oath-done").await,
        "Validated two-factor credentials. Two-factor authentication will now be enforced."
    );
    b.shot("oathmanage-enabled").await;

    // Log out, and back in: the password, then a code of a later step than enrolment's.
    b.go(&page("Special:UserLogout")).await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    b.go(&page("Special:UserLogin")).await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", ALICE.1).await;
    b.click("#wpLoginAttempt").await;
    b.wait("#wpOATHToken").await;
    assert_eq!(
        b.text(".mw-message-box-warning").await,
        "Please enter a code from your two-factor authentication application (such as Google Authenticator)."
    );
    assert_eq!(b.text("#pt-anonuserpage").await, "Not logged in");
    b.shot("login-code").await;
    b.type_into("#wpOATHToken", "000000").await;
    b.click("#wpLoginAttempt").await;
    b.wait_text(".mw-message-box-error", "Verification failed.")
        .await;
    submit_code(
        &b,
        &secret,
        Some(enrolled),
        "#wpOATHToken",
        "#wpLoginAttempt",
        "#pt-userpage",
        "Verification failed.",
    )
    .await;
    assert_eq!(b.text("#pt-userpage").await, "Alice");
    assert_eq!(b.current_url().await, page("Main_Page"));

    // Logged out, an account of one's own, answering the question.
    b.go(&page("Special:UserLogout")).await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    b.go(&page("Special:CreateAccount")).await;
    assert_eq!(
        b.text("#mw-captcha-question").await,
        "What is the capital of France?"
    );
    b.shot("createaccount-captcha").await;
    b.type_into("#wpName2", "Dave").await;
    b.type_into("#wpPassword2", "Dave-pass-12345").await;
    b.type_into("#wpRetype", "Dave-pass-12345").await;
    b.type_into("#mw-input-captchaWord", "London").await;
    b.click("#wpCreateaccount").await;
    b.wait_text(".mw-message-box-error", "Incorrect or missing CAPTCHA.")
        .await;
    b.shot("createaccount-captcha-error").await;
    b.type_into("#wpPassword2", "Dave-pass-12345").await;
    b.type_into("#wpRetype", "Dave-pass-12345").await;
    b.type_into("#mw-input-captchaWord", "Paris").await;
    b.click("#wpCreateaccount").await;
    b.wait_text("#firstHeading", "Welcome, Dave!").await;
    assert_eq!(b.text("#pt-userpage").await, "Dave");

    b.quit().await;
    srv.stop().await;
    eprintln!("screenshots in {}", shots.display());
}
