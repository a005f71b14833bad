//! Two-factor logins on the pages (`[oath]` on): Special:UserLogin asks an enrolled user for
//! the code after the right password, in OATHAuth's words, and logs in on the right one;
//! Special:OATHManage enrols and removes a key in `oathauth_users`.

use super::*;
use mwauth::user::oath::{base32_decode, hotp, STEP_SECS};

const SECRET: &str = "ORACLETOTPSECRETORACLETOTPSECRET";

async fn oath_wiki() -> Wiki {
    let mut config = Config::default();
    config.oath.enabled = true;
    let w = wiki_with(config).await;
    w.services.users.create_oath_table().await.unwrap();
    w
}

/// Gives Alice the key `secret` in `oathauth_users`, as OATHAuth writes it.
async fn enrol(w: &Wiki, secret: &str) {
    let users = &w.services.users;
    let alice = users.user_by_name("Alice").await.unwrap().unwrap();
    let data =
        format!(r#"{{"keys":[{{"secret":"{secret}","scratch_tokens":["RECOVERYCODE0001"]}}]}}"#);
    let row = mwauth::store::OathRow {
        module: "totp".into(),
        data,
    };
    users.set_oath_user(alice.id, &row).await.unwrap();
}

/// The code of `secret` for the step `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    let step = (mwauth::time::now() as u64 / STEP_SECS) as i64 + offset;
    hotp(&base32_decode(secret), step as u64)
}

/// Sends `code` in the login's second step.
async fn send_code(c: &mut Client<'_>, form: &Page, code: &str) -> Page {
    let token = form.input("wpLoginToken").unwrap();
    c.post(
        "Special:UserLogin",
        &[
            ("OATHToken", code),
            ("authAction", "login-continue"),
            ("wpLoginToken", &token),
        ],
    )
    .await
}

#[tokio::test]
async fn login_page_asks_an_enrolled_user_for_the_code() {
    let w = oath_wiki().await;
    enrol(&w, SECRET).await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", PW, true).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_page_headers(&p);
    let text = p.text();
    assert!(
        text.contains("Please enter a code from your two-factor authentication application (such as Google Authenticator)."),
        "{text}"
    );
    assert!(text.contains("<label for=\"wpOATHToken\">Two-factor token or recovery code</label>"));
    assert!(
        text.contains("Enter either a code from your authentication device, or a recovery code")
    );
    assert_eq!(p.input("authAction").as_deref(), Some("login-continue"));
    assert!(p.body.contains("name=\"OATHToken\""));
    assert!(!p.body.contains("name=\"wpPassword\""));
    // Not logged in by the password alone.
    assert_eq!(c.whoami().await, "127.0.0.1");

    // A wrong code: "Verification failed.", the code form again.
    let p = send_code(&mut c, &p, "000000").await;
    assert_eq!(p.status, 200);
    assert!(p.text().contains("Verification failed."), "{}", p.body);
    assert!(p.body.contains("mw-message-box-error"));
    assert!(p.body.contains("name=\"OATHToken\""));
    assert_eq!(c.whoami().await, "127.0.0.1");

    // The right code logs in (remembered, as the password step asked) and goes on.
    let p = send_code(&mut c, &p, &code(SECRET, 0)).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(p.cookie_set("my_wikiToken").is_some());
    assert_eq!(c.whoami().await, "Alice");

    // The same code again is a replay: refused, and the login in progress is gone anyway.
    let mut other = Client::new(&w);
    let p = other.log_in("Alice", PW, false).await;
    let p = send_code(&mut other, &p, &code(SECRET, 0)).await;
    assert!(p.text().contains("Verification failed."), "{}", p.body);
    // A later step's code (within the window) passes.
    let p = send_code(&mut other, &p, &code(SECRET, 1)).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(other.whoami().await, "Alice");
}

/// Ten wrong codes a minute (`badoath`), then even the right one is refused in OATHAuth's
/// words; and a code with no login in progress starts over.
#[tokio::test]
async fn login_page_code_throttle_and_lost_state() {
    let w = oath_wiki().await;
    enrol(&w, SECRET).await;
    let mut c = Client::new(&w);
    let mut p = c.log_in("Alice", PW, false).await;
    for _ in 0..10 {
        p = send_code(&mut c, &p, "111111").await;
        assert!(p.text().contains("Verification failed."), "{}", p.body);
    }
    let p = send_code(&mut c, &p, &code(SECRET, 0)).await;
    assert_eq!(p.status, 200);
    assert!(
        p.text()
            .contains("Too many verification attempts! Please wait 1 minute."),
        "{}",
        p.body
    );
    assert_eq!(c.whoami().await, "127.0.0.1");

    // A continue without a login in progress (another browser).
    let mut fresh = Client::new(&w);
    let form = fresh.get("Special:UserLogin").await;
    let p = send_code(&mut fresh, &form, &code(SECRET, 1)).await;
    assert!(
        p.text()
            .contains("Unable to continue login. Your session most likely timed out."),
        "{}",
        p.body
    );
    assert!(p.body.contains("name=\"wpPassword\""));
}

/// Without `[oath]`, the key in the table is not asked for: the password logs in.
#[tokio::test]
async fn without_oath_the_key_is_not_asked_for() {
    let w = wiki().await;
    w.services.users.create_oath_table().await.unwrap();
    enrol(&w, SECRET).await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", PW, false).await;
    assert_eq!(p.status, 303);
    assert_eq!(c.whoami().await, "Alice");
}
