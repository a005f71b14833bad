//! Special:UserLogin: its form token, the session it starts (shared with api.php), remember-me
//! cookies, and its refusals in MediaWiki's words (passwords over 4096 bytes among them).
//! Two-factor users: two_factor.rs; captchas: captcha.rs.

use super::*;

#[tokio::test]
async fn login_page_starts_a_session_with_a_login_token() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.get("Special:UserLogin").await;
    assert_eq!(p.status, 200);
    assert_page_headers(&p);
    assert!(p.cookie_set("my_wiki_session").is_some());
    let token = p.input("wpLoginToken").unwrap();
    assert!(token.ends_with("+\\"), "{token}");
    assert!(p.body.contains("<title>Log in - MediaWiki</title>"));
    assert!(p.personal_bar().contains("Not logged in"));
    // The same session's API login token is another token of the same secret.
    let v = c
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    assert!(v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .ends_with("+\\"));
}

#[tokio::test]
async fn login_form_needs_the_session_token() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.get("Special:UserLogin").await;
    for token in [
        None,
        Some("0123456789abcdef0123456789abcdef1+\\"),
        Some("+\\"),
    ] {
        let mut form = vec![("wpName", "Alice"), ("wpPassword", PW)];
        if let Some(t) = token {
            form.push(("wpLoginToken", t));
        }
        let p = c.post("Special:UserLogin", &form).await;
        assert_eq!(p.status, 200);
        assert!(
            p.body.contains("There seems to be a problem with your login session;\nthis action has been canceled as a precaution against session hijacking.\nPlease resubmit the form."),
            "{}",
            p.body
        );
        assert!(p.cookie_set("my_wiki_UserID").is_none());
        assert_eq!(c.whoami().await, "127.0.0.1");
    }
    // A client that never got the form (no session at all) is told about cookies.
    let mut fresh = Client::new(&w);
    let p = fresh
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", "x+\\"),
            ],
        )
        .await;
    assert!(p
        .body
        .contains("MediaWiki uses cookies to log in users.\nYou have cookies disabled."));
    // A token of another session does not work either.
    let mut other = Client::new(&w);
    let theirs = other
        .get("Special:UserLogin")
        .await
        .input("wpLoginToken")
        .unwrap();
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &theirs),
            ],
        )
        .await;
    assert!(p.body.contains("precaution against session hijacking"));
}

#[tokio::test]
async fn login_makes_a_new_session_that_the_api_sees() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.get("Special:UserLogin").await;
    let before = c.cookie("my_wiki_session").unwrap().to_string();
    let p = c.log_in("alice", PW, false).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.header("Location"), Some("/w/index.php?title=Main_Page"));
    assert_page_headers(&p);
    let after = c.cookie("my_wiki_session").unwrap().to_string();
    assert_ne!(before, after, "the session id changes at login");
    // Not remembered: no Token cookie, the session cookie has no expiry.
    assert!(p.cookie_set("my_wikiToken").is_none());
    assert!(!p.cookie_set("my_wiki_session").unwrap().contains("expires"));
    assert!(p
        .cookie_set("my_wikiUserName")
        .unwrap()
        .starts_with("my_wikiUserName=Alice;"));
    assert_eq!(c.whoami().await, "Alice");
    let main = c.get("Main_Page").await;
    assert!(main
        .personal_bar()
        .contains("<span class=\"mw-username\">Alice</span>"));
    assert!(main.personal_bar().contains("id=\"pt-logout\""));
    // The pre-login session id is gone.
    let mut old = Client::new(&w);
    old.jar.push(("my_wiki_session".into(), before));
    assert_eq!(old.whoami().await, "127.0.0.1");
}

#[tokio::test]
async fn remember_me_sets_the_long_lived_cookies() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", PW, true).await;
    assert_eq!(p.status, 303);
    for name in ["UserID", "UserName", "Token"] {
        let set = p.cookie_set(&format!("my_wiki{name}")).unwrap();
        assert!(set.contains("Max-Age=15552000"), "{set}");
    }
    // The remember-me cookies alone log the user in again.
    let mut later = c.remembered();
    assert!(later
        .get("Main_Page")
        .await
        .personal_bar()
        .contains(">Alice</span>"));
}

#[tokio::test]
async fn login_refusals_are_worded_as_mediawiki_words_them() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", "wrong-password", false).await;
    assert_eq!(p.status, 200);
    assert!(p
        .body
        .contains("Incorrect username or password entered.\nPlease try again."));
    assert_eq!(p.input("wpName").as_deref(), Some("Alice"));
    // The unknown user gets the same words.
    let p = c.log_in("Nobody", "whatever", false).await;
    assert!(p.body.contains("Incorrect username or password entered."));
    // A bot password does not open a page.
    let bp = c
        .log_in("Alice@bot", "abcdefghijklmnopqrstuvabcdefghij", false)
        .await;
    assert!(bp.body.contains("Incorrect username or password entered."));
    // Five attempts per user and address in five minutes: the sixth is refused.
    for _ in 0..4 {
        c.log_in("Alice", "wrong-password", false).await;
    }
    let p = c.log_in("Alice", PW, false).await;
    assert!(
        p.body.contains("You have made too many recent login attempts.\nPlease wait 5 minutes before trying again."),
        "{}",
        p.body
    );
}

/// MediaWiki's `MaximalPasswordLength` (4096 bytes) is fatal before any hashing, on the
/// pages as in the API: "Passwords cannot be longer than 4096 characters." for an existing
/// account (checked against MediaWiki 1.39's Special:UserLogin and Special:CreateAccount),
/// the usual words for an unknown one.
#[tokio::test]
async fn passwords_over_4096_bytes_are_refused_on_the_pages() {
    const TOO_LONG: &str = "Passwords cannot be longer than 4096 characters.";
    let w = wiki().await;
    let mut c = Client::new(&w);
    // 2049 "ä" are 2049 characters but 4098 bytes.
    for long in ["a".repeat(4097), "\u{e4}".repeat(2049)] {
        let p = c.log_in("Alice", &long, false).await;
        assert!(p.text().contains(TOO_LONG), "{}", p.body);
        let p = c.log_in("Nobody", &long, false).await;
        assert!(p.body.contains("Incorrect username or password entered."));
        let form = c.get("Special:CreateAccount").await;
        let token = form.input("wpCreateaccountToken").unwrap();
        let p = c
            .post(
                "Special:CreateAccount",
                &[
                    ("wpName", "Bob"),
                    ("wpPassword", &long),
                    ("wpRetype", &long),
                    ("wpCreateaccountToken", &token),
                ],
            )
            .await;
        assert!(p.text().contains(TOO_LONG), "{}", p.body);
    }
    assert!(w
        .services
        .users
        .user_by_name("Bob")
        .await
        .unwrap()
        .is_none());
    // 4096 bytes are compared as any password.
    let p = c.log_in("Alice", &"a".repeat(4096), false).await;
    assert!(p.body.contains("Incorrect username or password entered."));
}

#[tokio::test]
async fn api_login_shows_on_the_pages_and_bot_sessions_do_not() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let v = c
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = c
        .api(
            "POST",
            &[
                ("action", "login"),
                ("lgname", "Alice"),
                ("lgpassword", PW),
                ("lgtoken", &token),
            ],
        )
        .await;
    assert_eq!(v["login"]["result"], "Success");
    let p = c.get("Special:BotPasswords").await;
    assert_eq!(p.status, 200);
    assert!(p.personal_bar().contains(">Alice</span>"));

    // A bot-password session (its own cookie) is the API's only.
    let hash = w
        .services
        .hasher
        .hash("abcdefghijklmnopqrstuvabcdefghij")
        .await
        .unwrap();
    w.services
        .users
        .create_bot_password(&BotPasswordRecord {
            user_id: 1,
            app_id: "bot".into(),
            password: hash,
            token: "t".repeat(32),
            restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.into(),
            grants: vec!["basic".into()],
        })
        .await
        .unwrap();
    let mut bot = Client::new(&w);
    let v = bot
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = bot
        .api(
            "POST",
            &[
                ("action", "login"),
                ("lgname", "Alice@bot"),
                ("lgpassword", "abcdefghijklmnopqrstuvabcdefghij"),
                ("lgtoken", &token),
            ],
        )
        .await;
    assert_eq!(v["login"]["result"], "Success");
    assert_eq!(bot.whoami().await, "Alice");
    assert!(bot.cookie("my_wiki_BPsession").is_some());
    assert!(bot
        .get("Main_Page")
        .await
        .personal_bar()
        .contains("Not logged in"));
}

/// The remember-me cookies alone, on a page: the page starts the session as api.php does,
/// so its id cookie and the renewed user cookies reach the browser, and a form the page
/// hands out (its edit token lives in that session) works when it comes back.
#[tokio::test]
async fn a_page_opened_with_remember_me_cookies_gives_the_session_cookie() {
    let w = wiki_with(Config {
        reauthenticate_time: -1,
        ..Config::default()
    })
    .await;
    let mut c = Client::new(&w);
    assert_eq!(c.log_in("Alice", PW, true).await.status, 303);
    let mut later = c.remembered();
    let p = later.get("Special:BotPasswords").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let session = p.cookie_set("my_wiki_session").expect("a session cookie");
    assert!(!session.contains("Max-Age"), "{session}");
    for name in ["UserID", "UserName", "Token"] {
        let set = p.cookie_set(&format!("my_wiki{name}")).unwrap();
        assert!(set.contains("Max-Age=15552000"), "{set}");
    }
    let token = p.input("wpEditToken").unwrap();
    let p = later
        .post(
            "Special:BotPasswords/laterbot",
            &[
                ("op", "create"),
                ("wpEditToken", &token),
                ("wprestrictions", "0.0.0.0/0"),
            ],
        )
        .await;
    assert!(p.body.contains("Bot password created"), "{}", p.body);
}
