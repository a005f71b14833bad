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
    // (Each code is computed once: its step, not the clock, decides what follows.)
    let first = code(SECRET, 0);
    let p = send_code(&mut c, &p, &first).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(p.cookie_set("my_wikiToken").is_some());
    assert_eq!(c.whoami().await, "Alice");

    // The same code again is a replay: refused, and the login in progress is gone anyway.
    let mut other = Client::new(&w);
    let p = other.log_in("Alice", PW, false).await;
    let p = send_code(&mut other, &p, &first).await;
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

/// The secret Special:OATHManage shows (its groups of four joined), and the otpauth URI
/// of its QR code.
fn shown_key(p: &Page) -> (String, String) {
    let secret = p
        .attr_after("<kbd id=\"mw-oath-secret\">")
        .map(|s| s.split('<').next().unwrap().replace(' ', ""))
        .unwrap();
    let uri = p.attr_after("data-mw-qrcode-url=\"").unwrap();
    (secret, uri)
}

async fn manage_post(c: &mut Client<'_>, form: &Page, action: &str, token: &str) -> Page {
    let edit = form.input("wpEditToken").unwrap();
    c.post(
        "Special:OATHManage",
        &[
            ("token", token),
            ("wpEditToken", &edit),
            ("module", "totp"),
            ("action", action),
        ],
    )
    .await
}

async fn alice_row(w: &Wiki) -> Option<mwauth::store::OathRow> {
    let alice = w
        .services
        .users
        .user_by_name("Alice")
        .await
        .unwrap()
        .unwrap();
    w.services.users.oath_user(alice.id).await.unwrap()
}

#[tokio::test]
async fn oathmanage_enrols_and_removes_a_key() {
    let w = oath_wiki().await;
    let mut c = Client::new(&w);
    // Logged out: sent to log in, and back.
    let p = c.get("Special:OATHManage").await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:UserLogin&returnto=Special%3AManage_Two-factor_authentication&warning=exception-nologin-text")
    );
    assert_eq!(c.log_in("Alice", PW, false).await.status, 303);

    let p = c.get("Special:OATHManage").await;
    assert_eq!(p.status, 200);
    assert_page_headers(&p);
    assert!(p
        .body
        .contains("<title>Manage Two-factor authentication - MediaWiki</title>"));
    assert!(
        p.text().contains("<h2>Available methods</h2>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("title=Special:Manage_Two-factor_authentication&amp;action=enable&amp;module=totp&amp;warn=1"));

    // The enable form: the key kept in the session, the same on every showing.
    let form = c
        .get_q(
            "Special:OATHManage",
            &[("action", "enable"), ("module", "totp")],
        )
        .await;
    assert!(form
        .body
        .contains("<title>Enable TOTP (one-time token) - MediaWiki</title>"));
    let (secret, uri) = shown_key(&form);
    assert_eq!(secret.len(), 42, "{secret}");
    assert_eq!(
        uri,
        format!("otpauth://totp/MediaWiki%3AAlice?secret={secret}&issuer=MediaWiki")
    );
    assert!(form
        .body
        .contains("<svg role=\"img\" aria-label=\"QR code\""));
    assert!(form
        .text()
        .contains("Account name:</strong><br><span id=\"mw-oath-account\">MediaWiki:Alice</span>"));
    let recovery: Vec<String> = form
        .body
        .split("<li><kbd>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().replace(' ', ""))
        .collect();
    assert_eq!(recovery.len(), 10);
    let again = c
        .get_q(
            "Special:OATHManage",
            &[("action", "enable"), ("module", "totp")],
        )
        .await;
    assert_eq!(shown_key(&again).0, secret);

    // Without the csrf token, a wrong code, a recovery code: nothing is written.
    let p = c
        .post(
            "Special:OATHManage",
            &[
                ("token", &code(&secret, 0)),
                ("module", "totp"),
                ("action", "enable"),
            ],
        )
        .await;
    assert!(p
        .text()
        .contains("There seems to be a problem with your login session"));
    let p = manage_post(&mut c, &form, "enable", "000000").await;
    assert!(
        p.text()
            .contains("Failed to validate two-factor credentials"),
        "{}",
        p.body
    );
    let p = manage_post(&mut c, &form, "enable", &recovery[0]).await;
    assert!(p
        .text()
        .contains("You cannot use a recovery code to confirm two-factor authentication."));
    assert!(alice_row(&w).await.is_none());
    assert_eq!(shown_key(&p).0, secret, "the same key after a failure");

    // The right code writes OATHAuth's row.
    let enrolment_code = code(&secret, 0);
    let p = manage_post(&mut c, &form, "enable", &enrolment_code).await;
    assert!(
        p.text().contains(
            "Validated two-factor credentials. Two-factor authentication will now be enforced."
        ),
        "{}",
        p.body
    );
    let row = alice_row(&w).await.unwrap();
    assert_eq!(row.module, "totp");
    let data = mwauth::user::oath::OathData::parse(&row.data);
    assert_eq!(data.keys[0].secret, secret);
    assert_eq!(data.keys[0].scratch_tokens, recovery);

    // Enrolled: Disable, its warning, its form.
    let p = c.get("Special:OATHManage").await;
    assert!(p.text().contains("<h2>Enabled authentication method</h2>"));
    let warn = c
        .get_q(
            "Special:OATHManage",
            &[("action", "disable"), ("module", "totp"), ("warn", "1")],
        )
        .await;
    assert!(warn
        .body
        .contains("<h1 id=\"firstHeading\">Confirm disabling of an authentication method</h1>"));
    assert!(warn
        .text()
        .contains("If you disable TOTP (one-time token) two-factor authentication method"));
    let form = c
        .get_q(
            "Special:OATHManage",
            &[("action", "disable"), ("module", "totp")],
        )
        .await;
    assert!(form
        .body
        .contains("<title>Disable TOTP (one-time token) - MediaWiki</title>"));
    let p = manage_post(&mut c, &form, "disable", "").await;
    assert!(p.text().contains("This value is required."));
    // The step enrolment used is spent: its code is a replay.
    let p = manage_post(&mut c, &form, "disable", &enrolment_code).await;
    assert!(
        p.text()
            .contains("Failed to validate two-factor credentials"),
        "{}",
        p.body
    );
    assert!(alice_row(&w).await.is_some());
    let p = manage_post(&mut c, &form, "disable", &code(&secret, 1)).await;
    assert!(
        p.text().contains("Disabled two-factor authentication."),
        "{}",
        p.body
    );
    assert!(alice_row(&w).await.is_none());
}

/// A security-sensitive page: an old login is asked again, the code included, and comes back.
#[tokio::test]
async fn oathmanage_asks_for_the_login_again() {
    let w = oath_wiki().await;
    enrol(&w, SECRET).await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", PW, false).await;
    assert_eq!(send_code(&mut c, &p, &code(SECRET, 0)).await.status, 303);
    assert_eq!(c.get("Special:OATHManage").await.status, 200);
    super::botpasswords::age_password_login(&c, 301).await;
    let p = c
        .get_q(
            "Special:OATHManage",
            &[("action", "disable"), ("module", "totp")],
        )
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:UserLogin&returnto=Special%3AManage_Two-factor_authentication&returntoquery=action%3Ddisable%26module%3Dtotp&force=OATHManage")
    );
    let returnto = [
        ("returnto", "Special:Manage_Two-factor_authentication"),
        ("returntoquery", "action=disable&module=totp"),
        ("force", "OATHManage"),
    ];
    let login = c.get_q("Special:UserLogin", &returnto).await;
    assert!(login
        .text()
        .contains("You must log in again to verify that you are Alice."));
    let mut form = vec![("wpName", "Alice"), ("wpPassword", PW)];
    let token = login.input("wpLoginToken").unwrap();
    form.push(("wpLoginToken", &token));
    form.extend_from_slice(&returnto);
    let p = c.post("Special:UserLogin", &form).await;
    assert!(p.body.contains("name=\"OATHToken\""));
    assert_eq!(p.input("force").as_deref(), Some("OATHManage"));
    assert_eq!(
        p.input("returnto").as_deref(),
        Some("Special:Manage_Two-factor_authentication")
    );
    let token = p.input("wpLoginToken").unwrap();
    let code = code(SECRET, 1);
    let mut form = vec![
        ("OATHToken", code.as_str()),
        ("authAction", "login-continue"),
        ("wpLoginToken", &token),
    ];
    form.extend_from_slice(&returnto);
    let p = c.post("Special:UserLogin", &form).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:Manage_Two-factor_authentication&action=disable&module=totp")
    );
    let p = c
        .get_q(
            "Special:OATHManage",
            &[("action", "disable"), ("module", "totp")],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("name=\"token\""));
}

/// Without `[oath]` the page does not exist.
#[tokio::test]
async fn without_oath_there_is_no_oathmanage() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, false).await;
    let p = c.get("Special:OATHManage").await;
    assert_eq!(p.status, 404);
    assert!(p.body.contains("No such special page"));
    assert!(!c.get("Main_Page").await.body.contains("two-factor"));
}
