//! The pages over real HTTP on loopback, without a browser: the routes (`index.php?title=`,
//! `/wiki/TITLE`, `/w/index.php/TITLE`, the stylesheet and script), the security headers
//! as the HTTP adapter sends them, and one session shared by the pages and api.php.

mod common;

use common::cookie_client as client;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;
use serde_json::Value;

const CSP: &str = "default-src 'none'; connect-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn server(dir: &std::path::Path) -> Spawned {
    let settings = Settings {
        file: FileConfig::default(),
        data_dir: dir.to_path_buf(),
    };
    let server = spawn(&settings).await.expect("server starts");
    let hash = server
        .services
        .hasher
        .hash("Alice-pass-12345")
        .await
        .unwrap();
    server
        .services
        .users
        .create_user(
            "Alice",
            &hash,
            &mwauth::auth::account::new_user_token(),
            &[],
        )
        .await
        .unwrap();
    server
}

/// The value of a hidden input.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn every_route_serves_the_pages_with_their_headers() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path()).await;
    let base = format!("http://{}", srv.addr);
    let c = client();
    for path in [
        "/w/index.php?title=Special:UserLogin",
        "/wiki/Special:UserLogin",
        "/w/index.php/Special:UserLogin",
        "/index.php?title=Special:Login",
    ] {
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["content-type"], "text/html; charset=UTF-8", "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("name=\"wpLoginToken\""), "{path}");
    }
    let r = c
        .get(format!("{base}/wiki/Special:BotPasswords/my%20bot"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "/w/index.php?title=Special:UserLogin&returnto=Special%3ABotPasswords%2Fmy+bot&warning=exception-nologin-text"
    );
    for (path, ctype) in [
        ("/w/mwauth.css", "text/css; charset=UTF-8"),
        ("/w/mwauth.js", "text/javascript; charset=UTF-8"),
        ("/mwauth.js", "text/javascript; charset=UTF-8"),
    ] {
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ctype);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    let r = c.get(format!("{base}/wiki/Nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-security-policy"], CSP);
    srv.stop().await;
}

#[tokio::test]
async fn a_login_on_the_page_is_a_login_for_the_api_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path()).await;
    let base = format!("http://{}", srv.addr);
    let api = srv.api_url();
    let c = client();
    let form = c
        .get(format!("{base}/wiki/Special:UserLogin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&form, "wpLoginToken");
    let r = c
        .post(format!("{base}/w/index.php?title=Special:UserLogin"))
        .form(&[
            ("wpName", "Alice"),
            ("wpPassword", "Alice-pass-12345"),
            ("wpLoginToken", token.as_str()),
            ("wpRemember", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    for name in [
        "my_wiki_session=",
        "my_wikiUserID=1;",
        "my_wikiUserName=Alice;",
        "my_wikiToken=",
    ] {
        assert!(
            cookies.iter().any(|c| c.starts_with(name)),
            "{name} in {cookies:?}"
        );
    }
    let v: Value = c
        .get(&api)
        .query(&[
            ("action", "query"),
            ("meta", "userinfo|tokens"),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["query"]["userinfo"]["name"], "Alice");
    // The API's logout ends the page's login too.
    let csrf = v["query"]["tokens"]["csrftoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v: Value = c
        .post(&api)
        .form(&[
            ("action", "logout"),
            ("token", csrf.as_str()),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, serde_json::json!({}));
    let page = c
        .get(format!("{base}/w/index.php/Special:UserLogout"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("You are now logged out."));
    assert!(page.contains("id=\"pt-login\""));
    srv.stop().await;
}
