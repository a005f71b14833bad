//! The client, its builder, and the one place where requests are sent: `format=json`,
//! `formatversion=2`, the error envelope, and retries.

use crate::error::{Error, Result};
use crate::jar::CookieJar;
use crate::retry::{parse_retry_after, RetryPolicy, Retryable};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The `User-Agent` sent unless [`ClientBuilder::user_agent`] or [`ClientBuilder::contact`]
/// says otherwise. Wikimedia's User-Agent policy asks for
/// `name/version (contact) library/version`; a library cannot know who runs it, so the
/// contact part says where to set one.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "mwauth-client/",
    env!("CARGO_PKG_VERSION"),
    " (contact not set; https://meta.wikimedia.org/wiki/User-Agent_policy) reqwest/0.12"
);

/// A `User-Agent` in the form Wikimedia's policy asks for, with `contact` (a URL or an email
/// address) identifying who runs the client.
pub fn user_agent_with_contact(contact: &str) -> String {
    format!(
        "mwauth-client/{} ({contact}) reqwest/0.12",
        env!("CARGO_PKG_VERSION")
    )
}

/// A session with one wiki's `api.php`: its own cookie store, so a login holds for every
/// later call on the same `Client` (clone it freely; clones share the session).
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    http: reqwest::Client,
    api_url: Url,
    jar: Arc<CookieJar>,
    retry: RetryPolicy,
    maxlag: Option<u32>,
}

/// Settings for a [`Client`]; start from [`Client::builder`].
#[derive(Debug)]
pub struct ClientBuilder {
    api_url: String,
    user_agent: String,
    jar: Option<Arc<CookieJar>>,
    retry: RetryPolicy,
    maxlag: Option<u32>,
    timeout: Option<Duration>,
}

impl ClientBuilder {
    /// The whole `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The default `User-Agent` with `contact` (a URL or an email address) in it; see
    /// [`user_agent_with_contact`].
    pub fn contact(self, contact: &str) -> Self {
        self.user_agent(user_agent_with_contact(contact))
    }

    /// Use (and fill) this jar instead of a new empty one, e.g. one from
    /// [`CookieJar::load`].
    pub fn cookie_jar(mut self, jar: Arc<CookieJar>) -> Self {
        self.jar = Some(jar);
        self
    }

    /// How `maxlag` errors and HTTP 503 answers are retried (default: 3 times).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Send `maxlag=SECONDS` with every request, as API:Etiquette asks of bots on busy wikis
    /// (5 is customary). Off by default.
    pub fn maxlag(mut self, seconds: Option<u32>) -> Self {
        self.maxlag = seconds;
        self
    }

    /// A limit for each HTTP exchange (none by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Checks the URL and makes the client.
    pub fn build(self) -> Result<Client> {
        let api_url = Url::parse(&self.api_url)
            .map_err(|e| Error::InvalidUrl(format!("{}: {e}", self.api_url)))?;
        match api_url.scheme() {
            "http" => {}
            "https" => {
                return Err(Error::InvalidUrl(format!(
                    "{api_url}: this build of mwauth-client has no TLS (http only)"
                )))
            }
            other => return Err(Error::InvalidUrl(format!("{api_url}: scheme {other}"))),
        }
        let jar = self.jar.unwrap_or_default();
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .cookie_provider(jar.clone());
        if let Some(t) = self.timeout {
            http = http.timeout(t);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http: http.build()?,
                api_url,
                jar,
                retry: self.retry,
                maxlag: self.maxlag,
            }),
        })
    }
}

/// Parameters the client owns: sent on every request, dropped from the caller's.
const OWN_PARAMS: &[&str] = &["format", "formatversion", "maxlag"];

impl Client {
    /// A client for `api_url` (e.g. `http://127.0.0.1:8080/w/api.php`) with default settings
    /// and an empty cookie jar.
    pub fn new(api_url: &str) -> Result<Client> {
        Self::builder(api_url).build()
    }

    /// Settings beyond the defaults.
    pub fn builder(api_url: &str) -> ClientBuilder {
        ClientBuilder {
            api_url: api_url.to_string(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            jar: None,
            retry: RetryPolicy::default(),
            maxlag: None,
            timeout: None,
        }
    }

    /// The `api.php` URL.
    pub fn api_url(&self) -> &Url {
        &self.inner.api_url
    }

    /// The cookies of this client's session (save them with [`CookieJar::save`]).
    pub fn cookie_jar(&self) -> &Arc<CookieJar> {
        &self.inner.jar
    }

    /// A GET request with `params` (plus `format=json&formatversion=2`); the decoded answer.
    /// An `error` in the answer becomes [`Error::Api`].
    pub async fn get(&self, params: &[(&str, &str)]) -> Result<Value> {
        self.call(Method::GET, params).await
    }

    /// A POST request (`application/x-www-form-urlencoded`), as tokens, passwords and every
    /// write action need; otherwise as [`Client::get`].
    pub async fn post(&self, params: &[(&str, &str)]) -> Result<Value> {
        self.call(Method::POST, params).await
    }

    async fn call(&self, method: Method, params: &[(&str, &str)]) -> Result<Value> {
        let inner = &self.inner;
        let maxlag = inner.maxlag.map(|m| m.to_string());
        let mut all: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| !OWN_PARAMS.contains(k))
            .copied()
            .collect();
        all.extend([("format", "json"), ("formatversion", "2")]);
        if let Some(m) = &maxlag {
            all.push(("maxlag", m));
        }
        let mut retry = 0;
        loop {
            let request = inner.http.request(method.clone(), inner.api_url.clone());
            let request = if method == Method::GET {
                request.query(&all)
            } else {
                request.form(&all)
            };
            let response = request.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            let answer = interpret(status, &body);
            let retryable = match &answer {
                Err(Error::Api { code, .. }) if code == "maxlag" => Some(Retryable::Maxlag),
                Err(Error::Http { status: 503, .. }) => Some(Retryable::Unavailable),
                _ => None,
            };
            let Some(why) = retryable else {
                return answer;
            };
            match inner.retry.delay(why, retry, retry_after(&headers)) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return answer,
            }
            retry += 1;
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()))
}

/// One answer as MediaWiki means it: its `{"error":…}` envelope wins over the HTTP status
/// (MediaWiki sends most errors with 200, a few with 4xx/5xx and the same envelope); any
/// other answer with an error status is [`Error::Http`].
fn interpret(status: StatusCode, body: &[u8]) -> Result<Value> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) {
        return Err(api_error(error));
    }
    match parsed {
        Some(value) if status.is_success() && value.is_object() => Ok(value),
        _ => Err(unexpected(status, body)),
    }
}

fn unexpected(status: StatusCode, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(300).collect();
    if status.is_success() {
        Error::UnexpectedResponse(format!("not a JSON object: {text}"))
    } else {
        Error::Http {
            status: status.as_u16(),
            body: text,
        }
    }
}

fn api_error(error: &Value) -> Error {
    let text = |key: &str| match error.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    Error::Api {
        code: text("code"),
        info: text("info"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_becomes_api_error_with_code_and_info() {
        let body = br#"{"error":{"code":"badtoken","info":"Invalid CSRF token.","docref":"x"}}"#;
        match interpret(StatusCode::OK, body) {
            Err(Error::Api { code, info }) => {
                assert_eq!(code, "badtoken");
                assert_eq!(info, "Invalid CSRF token.");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn html_error_page_becomes_http_error() {
        match interpret(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>") {
            Err(Error::Http { status: 502, body }) => assert!(body.contains("bad gateway")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn https_url_is_refused_by_this_tls_free_build() {
        let err = Client::new("https://example.org/w/api.php").unwrap_err();
        assert!(matches!(err, Error::InvalidUrl(_)), "{err}");
    }

    #[test]
    fn default_user_agent_names_client_version_and_library() {
        assert!(DEFAULT_USER_AGENT.starts_with(concat!(
            "mwauth-client/",
            env!("CARGO_PKG_VERSION"),
            " ("
        )));
        assert!(DEFAULT_USER_AGENT.ends_with(") reqwest/0.12"));
        assert_eq!(
            user_agent_with_contact("ops@example.org"),
            format!(
                "mwauth-client/{} (ops@example.org) reqwest/0.12",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
