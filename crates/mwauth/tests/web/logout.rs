//! Special:UserLogout: GET never logs out; the form needs its own token, which api.php
//! accepts as the csrf token.

use super::*;

#[tokio::test]
async fn get_never_logs_out() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    let p = c.get("Special:UserLogout").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Do you want to log out?"));
    let form_token = p.input("wpEditToken").unwrap();
    // Not even with the right token in the query string.
    let p = c
        .get_q("Special:UserLogout", &[("wpEditToken", &form_token)])
        .await;
    assert!(p.body.contains("Do you want to log out?"));
    assert!(p.set_cookies().iter().all(|s| !s.contains("Max-Age=0")));
    let p = c.get("Special:Logout").await;
    assert!(p.body.contains("Do you want to log out?"));
    assert_eq!(c.whoami().await, "Alice");
}

#[tokio::test]
async fn logout_form_needs_its_own_token() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    let page = c.get("Special:UserLogout").await;
    let form_token = page.input("wpEditToken").unwrap();
    let csrf = page.attr_after("data-mw-csrf=\"").unwrap();
    assert_ne!(form_token, csrf, "the form's token is salted logoutToken");
    for bad in ["", "+\\", csrf.as_str()] {
        let p = c.post("Special:UserLogout", &[("wpEditToken", bad)]).await;
        assert!(
            p.body.contains("precaution against session hijacking"),
            "{bad}"
        );
        assert!(p.body.contains("Do you want to log out?"));
        assert_eq!(c.whoami().await, "Alice");
    }
    let session = c.cookie("my_wiki_session").unwrap().to_string();
    let p = c
        .post("Special:UserLogout", &[("wpEditToken", &form_token)])
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<strong>You are now logged out.</strong>"));
    assert!(p.personal_bar().contains("Not logged in"));
    for name in ["my_wiki_session", "my_wikiUserID", "my_wikiToken"] {
        assert!(
            p.cookie_set(name)
                .unwrap()
                .contains("=deleted; expires=Thu, 01 Jan 1970"),
            "{name}"
        );
    }
    assert!(p.cookie_set("my_wikiUserName").is_none(), "UserName stays");
    assert_eq!(c.whoami().await, "127.0.0.1");
    let mut old = Client::new(&w);
    old.jar.push(("my_wiki_session".into(), session));
    assert_eq!(old.whoami().await, "127.0.0.1");
}

#[tokio::test]
async fn the_pages_csrf_token_logs_out_through_the_api() {
    // What mwauth.js does with the button: POST api.php action=logout with the page's
    // csrf token.
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, false).await;
    let page = c.get("Special:UserLogout").await;
    assert_eq!(
        page.attr_after("data-mw-api=\"").as_deref(),
        Some("/w/api.php")
    );
    let csrf = page.attr_after("data-mw-csrf=\"").unwrap();
    let session = c.cookie("my_wiki_session").unwrap().to_string();
    let v = c
        .api("POST", &[("action", "logout"), ("token", &csrf)])
        .await;
    assert_eq!(v, serde_json::json!({}));
    let after = c.get("Special:UserLogout").await;
    assert!(after.body.contains("You are now logged out."));
    let mut old = Client::new(&w);
    old.jar.push(("my_wiki_session".into(), session));
    assert_eq!(old.whoami().await, "127.0.0.1");
}
