//! What every page shares: escaping of user-provided text, the other pages and the assets.

use super::*;

#[tokio::test]
async fn user_provided_text_is_escaped() {
    let w = wiki().await;
    let hash = w.services.hasher.hash(PW).await.unwrap();
    w.services
        .users
        .create_user("O'Brien & \"Co\"", &hash, &new_user_token(), &[])
        .await
        .unwrap();
    let mut c = Client::new(&w);
    let evil = "\"><script>alert(1)</script>";
    // returnto and a typed name come back escaped.
    let p = c.get_q("Special:UserLogin", &[("returnto", evil)]).await;
    assert!(!p.body.contains("<script>alert"));
    let token = p.input("wpLoginToken").unwrap();
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", evil),
                ("wpPassword", "x"),
                ("wpLoginToken", &token),
            ],
        )
        .await;
    assert!(!p.body.contains("<script>alert"));
    assert!(p
        .body
        .contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    // A title that is not served.
    let p = c.get(&format!("Special:{evil}")).await;
    assert_eq!(p.status, 404);
    assert!(!p.body.contains("<script>alert"));
    let p = c.get(evil).await;
    assert!(!p.body.contains("<script>alert"));
    // A user name with quotes and an ampersand, in the personal bar and on Special:BotPasswords.
    let p = c.log_in("O'Brien & \"Co\"", PW, false).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = c.get("Special:BotPasswords").await;
    assert!(p
        .personal_bar()
        .contains("O&#039;Brien &amp; &quot;Co&quot;"));
    let token = p.input("wpEditToken").unwrap();
    let bot = "<b>&\"'x";
    let p = c
        .post(
            &format!("Special:BotPasswords/{bot}"),
            &[
                ("op", "create"),
                ("wpEditToken", &token),
                ("wprestrictions", "0.0.0.0/0"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Bot password created"), "{}", p.body);
    assert!(!p.body.contains("<b>&\""));
    assert!(p.body.contains("&lt;b&gt;&amp;&quot;&#039;x"));
    let list = c.get("Special:BotPasswords").await;
    assert!(list.body.contains(">&lt;b&gt;&amp;&quot;&#039;x</a>"));
    assert!(list
        .body
        .contains("href=\"/w/index.php?title=Special:BotPasswords/%3Cb%3E%26%22%27x\""));
}

#[tokio::test]
async fn other_pages_and_assets() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.get("").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<h1 id=\"firstHeading\">Main Page</h1>"));
    assert_page_headers(&p);
    // The pre-1.27 signup URL.
    let p = c
        .get_q(
            "Special:UserLogin",
            &[("type", "signup"), ("returnto", "Foo")],
        )
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:CreateAccount&returnto=Foo")
    );
    assert_eq!(c.get("Special:Nope").await.status, 404);
    assert_eq!(c.get("Some page").await.status, 404);
    // Titles in the path.
    let req = ApiRequest::new("GET");
    let title = web::path_title("/wiki/Special:UserLogin");
    let r = web::execute(&w.services, &req, title.as_deref()).await;
    assert!(String::from_utf8(r.body).unwrap().contains("wpLoginToken"));
    // HEAD: headers only.
    let req = ApiRequest::new("HEAD");
    let r = web::execute(&w.services, &req, Some("Special:UserLogin")).await;
    assert!(r.body.is_empty());
    assert_eq!(r.status, 200);
    let css = web::assets::serve("/w/mwauth.css", "GET").unwrap();
    assert_eq!(css.header("Content-Type"), Some("text/css; charset=UTF-8"));
    let js = web::assets::serve("/mwauth.js", "GET").unwrap();
    assert!(String::from_utf8(js.body)
        .unwrap()
        .contains("postWithToken"));
    assert!(web::assets::serve("/w/other.js", "GET").is_none());
}
