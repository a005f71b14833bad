//! The pages (mwauth::web) without a browser or a socket: requests go straight to
//! `web::execute` and `api::execute` with a cookie jar, against a real SQLite file opened
//! as the server opens its default backend.
//! Covers the form tokens, that GET never logs out, that pages and api.php share sessions,
//! account creation and bot-password management, escaping, and the security headers: one
//! file per page (login, logout, createaccount, botpasswords; other: the rest), sharing
//! the client and page reader below and the library tests' `support` module.

use mwauth::api;
use mwauth::auth::account::new_user_token;
use mwauth::hash_pool::HashPool;
use mwauth::request::{ApiRequest, ApiResponse};
use mwauth::user::BotPasswordRecord;
use mwauth::{web, Config, Services};
use serde_json::Value;
use support::{Jar, Wiki};

#[path = "../support/mod.rs"]
mod support;

mod botpasswords;
mod captcha;
mod createaccount;
mod login;
mod logout;
mod other;
mod two_factor;

const PW: &str = "Alice-pass-12345";
const CSP: &str = "default-src 'none'; connect-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn wiki_with(config: Config) -> Wiki {
    let w = Wiki::open(config, HashPool::default()).await;
    let hash = w.services.hasher.hash(PW).await.unwrap();
    w.services
        .users
        .create_user("Alice", &hash, &new_user_token(), &[])
        .await
        .unwrap();
    w
}

async fn wiki() -> Wiki {
    wiki_with(Config::default()).await
}

struct Page {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Page {
    fn from(r: ApiResponse) -> Page {
        Page {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            body: String::from_utf8(r.body).unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn cookie_set(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the form field `name` (a hidden input, or a data attribute).
    fn attr_after(&self, marker: &str) -> Option<String> {
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(unescape(&self.body[start..end]))
    }

    /// The value of the input named `name`.
    fn input(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = self.body[at..].find('>')? + at;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.find("value=\"")? + "value=\"".len();
        let end = tag[v..].find('"')? + v;
        Some(unescape(&tag[v..end]))
    }

    /// The body with entities decoded, to look for texts.
    fn text(&self) -> String {
        unescape(&self.body)
    }

    fn personal_bar(&self) -> &str {
        let start = self.body.find("<nav id=\"p-personal\"").unwrap();
        let end = self.body[start..].find("</nav>").unwrap() + start;
        &self.body[start..end]
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A client with a cookie jar, speaking to the pages and to api.php.
struct Client<'a> {
    services: &'a Services,
    jar: Jar,
}

impl<'a> Client<'a> {
    fn new(w: &'a Wiki) -> Client<'a> {
        Client {
            services: &w.services,
            jar: Jar::default(),
        }
    }

    /// Another browser holding only this one's remember-me cookies (`UserID`, `Token`).
    fn remembered(&self) -> Client<'a> {
        let mut other = Client {
            services: self.services,
            jar: Jar::default(),
        };
        for name in ["my_wikiUserID", "my_wikiToken"] {
            other
                .jar
                .push((name.into(), self.cookie(name).unwrap().to_string()));
        }
        other
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name)
    }

    fn request(
        &self,
        method: &str,
        query: &[(&str, &str)],
        body: &[(&str, &str)],
    ) -> ApiRequest<'static> {
        self.jar.request(method, query, body)
    }

    async fn get(&mut self, title: &str) -> Page {
        self.get_q(title, &[]).await
    }

    async fn get_q(&mut self, title: &str, query: &[(&str, &str)]) -> Page {
        let mut q = vec![("title", title)];
        q.extend_from_slice(query);
        let req = self.request("GET", &q, &[]);
        let r = web::execute(self.services, &req, None).await;
        self.jar.keep(&r);
        Page::from(r)
    }

    async fn post(&mut self, title: &str, form: &[(&str, &str)]) -> Page {
        let req = self.request("POST", &[("title", title)], form);
        let r = web::execute(self.services, &req, None).await;
        self.jar.keep(&r);
        Page::from(r)
    }

    async fn api(&mut self, method: &str, params: &[(&str, &str)]) -> Value {
        let mut p = vec![("format", "json"), ("formatversion", "2")];
        p.extend_from_slice(params);
        let req = if method == "POST" {
            self.request("POST", &[], &p)
        } else {
            self.request("GET", &p, &[])
        };
        let r = api::execute(self.services, &req).await;
        self.jar.keep(&r);
        serde_json::from_slice(&r.body).unwrap()
    }

    async fn whoami(&mut self) -> String {
        let v = self
            .api("GET", &[("action", "query"), ("meta", "userinfo")])
            .await;
        v["query"]["userinfo"]["name"].as_str().unwrap().to_string()
    }

    /// Gives Alice's password again on Special:UserLogin with `force=BotPasswords`, as a
    /// security-sensitive page asked; returns the answer (a redirect back to `returnto`).
    async fn log_in_again(&mut self, returnto: &str, returntoquery: &str) -> Page {
        let login = self
            .get_q(
                "Special:UserLogin",
                &[
                    ("returnto", returnto),
                    ("returntoquery", returntoquery),
                    ("force", "BotPasswords"),
                ],
            )
            .await;
        let token = login.input("wpLoginToken").unwrap();
        self.post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &token),
                ("returnto", returnto),
                ("returntoquery", returntoquery),
                ("force", "BotPasswords"),
            ],
        )
        .await
    }

    /// Logs in through Special:UserLogin.
    async fn log_in(&mut self, name: &str, pw: &str, remember: bool) -> Page {
        let form = self.get("Special:UserLogin").await;
        let token = form.input("wpLoginToken").unwrap();
        let mut fields = vec![
            ("wpName", name),
            ("wpPassword", pw),
            ("wpLoginToken", token.as_str()),
        ];
        if remember {
            fields.push(("wpRemember", "1"));
        }
        self.post("Special:UserLogin", &fields).await
    }
}

fn assert_page_headers(p: &Page) {
    assert_eq!(p.header("Content-Security-Policy"), Some(CSP));
    assert_eq!(p.header("X-Frame-Options"), Some("DENY"));
    assert_eq!(p.header("X-Content-Type-Options"), Some("nosniff"));
    assert!(p.header("Cache-Control").unwrap().contains("no-store"));
}
