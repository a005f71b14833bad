//! Shared by the attack, brute-force and soak tests (security.rs, brute_force.rs, soak.rs):
//! servers with the reference wiki's accounts and a chosen configuration, and a browser-like
//! client whose cookie jar is explicit, so a test can plant, copy or drop cookies the way an
//! attacker would.
#![allow(dead_code, unused_imports)]

pub use crate::common::{http_client, seed_accounts};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::Value;

pub const SESSION: &str = "oraclewiki_session";
pub const BP_SESSION: &str = "oraclewiki_BPsession";
pub const ALICE_MAIN: (&str, &str) = ("Alice", "Alice-pass-12345");
pub const MALLORY_MAIN: (&str, &str) = ("Mallory", "Mallory-pass-12345");
pub const WRONG_PASSWORD: &str = "Incorrect username or password entered. Please try again.";
pub const THROTTLED: &str =
    "You have made too many recent login attempts. Please wait 5 minutes before trying again.";

/// An in-process server like `common::oracle_server`, with `configure` applied first.
pub use crate::common::oracle_server_with as server_with;

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii Set-Cookie").to_string())
            .collect()
    }

    /// The value this reply's Set-Cookie gives `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let rest = c.strip_prefix(name)?.strip_prefix('=')?;
            Some(rest.split(';').next().unwrap_or("").to_string())
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header"))
    }

    /// Everything a client can read: status line, headers and body.
    pub fn everything(&self) -> String {
        format!("{} {:?} {}", self.status, self.headers, self.body)
    }
}

/// A browser: one cookie jar, kept as MediaWiki's cookies say (set, replace, delete), sent
/// by hand so tests can see and tamper with it.
#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    pub url: String,
    pub jar: Vec<(String, String)>,
    /// Extra headers on every request (X-Forwarded-For, Origin…).
    pub headers: Vec<(String, String)>,
}

impl Browser {
    pub fn new(url: &str) -> Browser {
        Browser {
            http: http_client(),
            url: url.to_string(),
            jar: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Browser {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn plant(&mut self, name: &str, value: &str) {
        self.jar.retain(|(n, _)| n != name);
        self.jar.push((name.into(), value.into()));
    }

    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        self.try_send(req).await.expect("request to api.php")
    }

    /// As `send`, but a failed request (a server that died) is an error, not a panic.
    async fn try_send(&mut self, req: reqwest::RequestBuilder) -> Result<Reply, reqwest::Error> {
        let mut req = req;
        if !self.jar.is_empty() {
            req = req.header("Cookie", self.cookie_header());
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let res = req.send().await?;
        let reply = Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await?,
        };
        for line in reply.set_cookies() {
            let pair = line.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.jar.retain(|(n, _)| n != name);
                if !line.contains("Max-Age=0") {
                    self.jar.push((name.to_string(), value.to_string()));
                }
            }
        }
        Ok(reply)
    }

    pub async fn try_get(&mut self, params: &[(&str, &str)]) -> Result<Reply, reqwest::Error> {
        let req = self.http.get(&self.url).query(params);
        self.try_send(req).await
    }

    pub async fn try_post(&mut self, form: &[(&str, &str)]) -> Result<Reply, reqwest::Error> {
        let req = self.http.post(&self.url).form(form);
        self.try_send(req).await
    }

    pub async fn get(&mut self, params: &[(&str, &str)]) -> Reply {
        let req = self.http.get(&self.url).query(params);
        self.send(req).await
    }

    pub async fn post(&mut self, form: &[(&str, &str)]) -> Reply {
        let req = self.http.post(&self.url).form(form);
        self.send(req).await
    }

    pub async fn post_with_query(
        &mut self,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Reply {
        let req = self.http.post(&self.url).query(query).form(form);
        self.send(req).await
    }

    pub async fn login_token(&mut self) -> String {
        let r = self
            .get(&[
                ("action", "query"),
                ("meta", "tokens"),
                ("type", "login"),
                ("format", "json"),
            ])
            .await;
        r.json()["query"]["tokens"]["logintoken"]
            .as_str()
            .unwrap_or_else(|| panic!("no login token: {}", r.body))
            .to_string()
    }

    pub async fn csrf_token(&mut self) -> String {
        let r = self
            .get(&[("action", "query"), ("meta", "tokens"), ("format", "json")])
            .await;
        r.json()["query"]["tokens"]["csrftoken"]
            .as_str()
            .unwrap_or_else(|| panic!("no csrf token: {}", r.body))
            .to_string()
    }

    /// action=login with a fresh login token; the reply's `login` object.
    pub async fn login(&mut self, name: &str, password: &str) -> Value {
        let token = self.login_token().await;
        self.login_with(&token, name, password).await
    }

    pub async fn login_with(&mut self, token: &str, name: &str, password: &str) -> Value {
        let r = self
            .post(&[
                ("action", "login"),
                ("lgname", name),
                ("lgpassword", password),
                ("lgtoken", token),
                ("format", "json"),
            ])
            .await;
        r.json()["login"].clone()
    }

    /// meta=userinfo: (id, name).
    pub async fn whoami(&mut self) -> (i64, String) {
        let r = self
            .get(&[
                ("action", "query"),
                ("meta", "userinfo"),
                ("format", "json"),
            ])
            .await;
        let v = r.json();
        let info = &v["query"]["userinfo"];
        (
            info["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("no userinfo: {}", r.body)),
            info["name"].as_str().unwrap_or("").to_string(),
        )
    }

    pub async fn logout(&mut self, token: &str) -> Reply {
        self.post(&[("action", "logout"), ("token", token), ("format", "json")])
            .await
    }
}
