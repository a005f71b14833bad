//! The Action API core without a socket: ApiRequest in, ApiResponse out, against a real
//! SQLite file, opened as the server opens its default backend. One test per behaviour; the HTTP-level and transcript tests live in
//! mwauth-server's tests.

use mwauth::api::execute;
use mwauth::auth::account::new_user_token;
use mwauth::hash_pool::HashPool;
use mwauth::request::{ApiRequest, ApiResponse};
use mwauth::session::token;
use mwauth::user::{botpassword, BotPasswordRecord};
use mwauth::Config;
use serde_json::Value;
use std::sync::Arc;
use support::{Jar, Wiki};

mod support;

// A cheap hash (1 round) keeps these tests fast; the format is MediaWiki's own.
fn quick_hash(pw: &str) -> String {
    mwauth::user::password::hash_with_salt(pw, b"0123456789abcdef", 1)
}

async fn wiki() -> Wiki {
    let config = Config {
        wiki_id: "testwiki".into(),
        ..Config::default()
    };
    let wiki = Wiki::open(config, HashPool::new(2)).await;
    let services = &wiki.services;
    services
        .users
        .create_user(
            "Alice",
            &quick_hash("Alice-pass-12345"),
            &new_user_token(),
            &[],
        )
        .await
        .unwrap();
    services
        .users
        .create_user(
            "Admin",
            &quick_hash("Admin-pass-12345"),
            &new_user_token(),
            &["sysop".into()],
        )
        .await
        .unwrap();
    let bp = BotPasswordRecord {
        user_id: 1,
        app_id: "bot".into(),
        password: quick_hash("abcdefghijklmnopqrstuvw012345678"),
        token: "bptoken".into(),
        restrictions: botpassword::DEFAULT_RESTRICTIONS.into(),
        grants: vec!["basic".into()],
    };
    services.users.create_bot_password(&bp).await.unwrap();
    wiki
}

/// A client with a cookie jar, as a browser or `requests.Session` keeps one.
struct Client<'a> {
    wiki: &'a Wiki,
    jar: Jar,
}

impl<'a> Client<'a> {
    fn new(wiki: &'a Wiki) -> Self {
        Client {
            wiki,
            jar: Jar::default(),
        }
    }

    async fn send(
        &mut self,
        method: &str,
        query: &[(&str, &str)],
        body: &[(&str, &str)],
    ) -> ApiResponse {
        let req = self.jar.request(method, query, body);
        let res = execute(&self.wiki.services, &req).await;
        self.jar.keep(&res);
        res
    }

    async fn get(&mut self, query: &[(&str, &str)]) -> Value {
        let res = self.send("GET", query, &[]).await;
        serde_json::from_slice(&res.body).unwrap()
    }

    async fn post(&mut self, body: &[(&str, &str)]) -> (ApiResponse, Value) {
        let res = self.send("POST", &[], body).await;
        let v = serde_json::from_slice(&res.body).unwrap_or(Value::Null);
        (res, v)
    }

    async fn token(&mut self, kind: &str) -> String {
        let v = self
            .get(&[
                ("action", "query"),
                ("meta", "tokens"),
                ("type", kind),
                ("format", "json"),
            ])
            .await;
        v["query"]["tokens"][format!("{kind}token")]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn bot_login(&mut self) -> Value {
        let lt = self.token("login").await;
        let body = [
            ("action", "login"),
            ("lgname", "Alice@bot"),
            ("lgpassword", "abcdefghijklmnopqrstuvw012345678"),
            ("lgtoken", &lt),
            ("format", "json"),
        ];
        self.post(&body).await.1
    }

    async fn main_login(&mut self) -> Value {
        let lt = self.token("login").await;
        let body = [
            ("action", "login"),
            ("lgname", "Alice"),
            ("lgpassword", "Alice-pass-12345"),
            ("lgtoken", &lt),
            ("format", "json"),
        ];
        self.post(&body).await.1
    }

    async fn whoami(&mut self) -> Value {
        self.get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ])
        .await["query"]["userinfo"]
            .clone()
    }
}

#[tokio::test]
async fn anonymous_csrf_token_is_the_constant_and_sets_no_cookie() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let res = c
        .send(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("format", "json")],
            &[],
        )
        .await;
    assert_eq!(
        res.body,
        br#"{"batchcomplete":"","query":{"tokens":{"csrftoken":"+\\"}}}"#
    );
    assert!(res.set_cookies().is_empty());
    assert_eq!(
        res.header("cache-control"),
        Some("private, must-revalidate, max-age=0")
    );
}

#[tokio::test]
async fn login_token_persists_the_session_with_an_httponly_cookie() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let res = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("type", "login"),
                ("format", "json"),
            ],
            &[],
        )
        .await;
    let cookies = res.set_cookies();
    assert_eq!(cookies.len(), 1);
    assert!(
        cookies[0].starts_with("testwiki_session="),
        "{}",
        cookies[0]
    );
    assert!(cookies[0].ends_with("; path=/; HttpOnly"));
    let v: Value = serde_json::from_slice(&res.body).unwrap();
    let t = v["query"]["tokens"]["logintoken"].as_str().unwrap();
    assert!(token::timestamp_of(t).is_some(), "{t}");
    // The same client gets no new cookie for its next token.
    let again = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("type", "login"),
                ("format", "json"),
            ],
            &[],
        )
        .await;
    assert!(again.set_cookies().is_empty());
}

#[tokio::test]
async fn token_type_star_alone_answers_every_type_and_is_unrecognized_beside_others() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let all = [("action", "query"), ("meta", "tokens"), ("type", "*")];
    let res = c
        .send("GET", &[&all[..], &[("format", "json")]].concat(), &[])
        .await;
    let v: Value = serde_json::from_slice(&res.body).unwrap();
    assert!(v.get("warnings").is_none(), "{v}");
    let tokens = v["query"]["tokens"].as_object().unwrap();
    let names: Vec<&str> = tokens.keys().map(String::as_str).collect();
    // ApiQueryTokens' types in their (ksort) order.
    assert_eq!(
        names,
        [
            "createaccounttoken",
            "csrftoken",
            "logintoken",
            "patroltoken",
            "rollbacktoken",
            "userrightstoken",
            "watchtoken"
        ]
    );
    assert_eq!(tokens["csrftoken"], "+\\");
    // The login and create-account tokens persist the session, as asking for either does.
    assert_eq!(res.set_cookies().len(), 1);

    let v = c
        .get(&[
            ("action", "query"),
            ("meta", "tokens"),
            ("type", "*|csrf"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(
        v["warnings"]["tokens"]["*"],
        "Unrecognized value for parameter \"type\": *"
    );
    assert_eq!(
        v["query"]["tokens"],
        serde_json::json!({"csrftoken": "+\\"})
    );
}

#[tokio::test]
async fn declared_parameters_are_never_unrecognized_even_when_unread() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let lt = c.token("login").await;
    let body = [
        ("action", "login"),
        ("lgname", "Alice"),
        ("lgpassword", "Alice-pass-12345"),
        ("lgtoken", &lt),
        ("lgdomain", "ignored"),
        ("format", "json"),
    ];
    let v = c.post(&body).await.1;
    assert_eq!(v["login"]["result"], "Success");
    let main = v["warnings"]["main"]["*"].as_str().unwrap_or("");
    assert!(!main.contains("Unrecognized"), "{v}");
    let query = [
        ("action", "query"),
        ("meta", "userinfo"),
        ("uiprop", "centralids"),
        ("format", "json"),
        ("formatversion", "2"),
    ];
    for (wiki, attached) in [("testwiki", true), ("otherwiki", false)] {
        let v = c
            .get(&[&query[..], &[("uiattachedwiki", wiki)]].concat())
            .await;
        assert!(v.get("warnings").is_none(), "{v}");
        assert_eq!(v["query"]["userinfo"]["attachedwiki"]["local"], attached);
    }
    // A parameter of a meta module that does not run is still unrecognized.
    let v = c
        .get(&[&query[..], &[("siprop", "general")]].concat())
        .await;
    assert_eq!(
        v["warnings"]["main"]["warnings"],
        "Unrecognized parameter: siprop."
    );
}

#[tokio::test]
async fn bot_password_login_uses_its_own_cookie_and_grants() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let v = c.bot_login().await;
    assert_eq!(
        v,
        serde_json::json!({"login": {"result": "Success", "lguserid": 1, "lgusername": "Alice"}})
    );
    assert!(c.jar.iter().any(|(n, _)| n == "testwiki_BPsession"));
    let info = c
        .get(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "rights"),
            ("format", "json"),
        ])
        .await;
    // basic grant ∩ Alice's rights, in MediaWiki's order.
    assert_eq!(
        info["query"]["userinfo"]["rights"],
        serde_json::json!([
            "read",
            "writeapi",
            "purge",
            "autoconfirmed",
            "editsemiprotected"
        ])
    );
}

#[tokio::test]
async fn csrf_token_validates_only_with_its_own_salt() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.bot_login().await;
    let csrf = c.token("csrf").await;
    let watch = c.token("watch").await;
    let check = |v: Value| v["checktoken"]["result"].as_str().unwrap().to_string();
    assert_eq!(
        check(
            c.post(&[
                ("action", "checktoken"),
                ("type", "csrf"),
                ("token", &csrf),
                ("format", "json")
            ])
            .await
            .1
        ),
        "valid"
    );
    assert_eq!(
        check(
            c.post(&[
                ("action", "checktoken"),
                ("type", "watch"),
                ("token", &csrf),
                ("format", "json")
            ])
            .await
            .1
        ),
        "invalid"
    );
    assert_eq!(
        check(
            c.post(&[
                ("action", "checktoken"),
                ("type", "watch"),
                ("token", &watch),
                ("format", "json")
            ])
            .await
            .1
        ),
        "valid"
    );
}

#[tokio::test]
async fn checktoken_reports_expired_tokens_by_maxtokenage() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.bot_login().await;
    let csrf = c.token("csrf").await;
    // Re-make the same token 100 s in the past with the session's own secret.
    let ts = token::timestamp_of(&csrf).unwrap();
    let sid = c
        .jar
        .iter()
        .find(|(n, _)| n == "testwiki_BPsession")
        .unwrap()
        .1
        .clone();
    let (data, _) = w.services.sessions.load(&sid).await.unwrap().unwrap();
    let old = token::token_at(data.token_secrets["default"].as_str(), "", ts - 100);
    let v = c
        .post(&[
            ("action", "checktoken"),
            ("type", "csrf"),
            ("token", &old),
            ("maxtokenage", "10"),
            ("format", "json"),
        ])
        .await
        .1;
    assert_eq!(v["checktoken"]["result"], "expired");
    assert!(v["checktoken"]["generated"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
}

#[tokio::test]
async fn logout_of_bot_session_clears_only_bpsession_and_ends_it_server_side() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.bot_login().await;
    let sid = c
        .jar
        .iter()
        .find(|(n, _)| n == "testwiki_BPsession")
        .unwrap()
        .1
        .clone();
    let csrf = c.token("csrf").await;
    let (res, v) = c
        .post(&[("action", "logout"), ("token", &csrf), ("format", "json")])
        .await;
    assert_eq!(v, serde_json::json!({}));
    assert_eq!(res.set_cookies(), ["testwiki_BPsession=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly"]);
    assert!(w.services.sessions.load(&sid).await.unwrap().is_none());
    assert_eq!(c.whoami().await["anon"], "");
    let (res, v) = c
        .post(&[("action", "logout"), ("token", &csrf), ("format", "json")])
        .await;
    assert_eq!(v["error"]["code"], "badtoken");
    assert_eq!(res.header("mediawiki-api-error"), Some("badtoken"));
}

#[tokio::test]
async fn logout_of_main_session_clears_session_userid_and_token_but_not_username() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    assert_eq!(c.main_login().await["login"]["result"], "Success");
    let names: Vec<_> = c.jar.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "testwiki_session",
            "testwiki_UserID",
            "testwiki_UserName",
            "testwiki_Token"
        ]
        .map(|n| n
            .replace("testwiki_U", "testwikiU")
            .replace("testwiki_T", "testwikiT"))
    );
    let csrf = c.token("csrf").await;
    let (res, v) = c
        .post(&[("action", "logout"), ("token", &csrf), ("format", "json")])
        .await;
    assert_eq!(v, serde_json::json!({}));
    let cleared: Vec<_> = res
        .set_cookies()
        .iter()
        .map(|l| l.split('=').next().unwrap().to_string())
        .collect();
    assert_eq!(
        cleared,
        ["testwiki_session", "testwikiUserID", "testwikiToken"]
    );
    assert_eq!(c.whoami().await["id"], 0);
}

#[tokio::test]
async fn remember_me_cookies_log_back_in_until_the_password_changes() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.main_login().await;
    // Drop the session cookie: UserID + Token alone must restore the login.
    c.jar.retain(|(n, _)| n != "testwiki_session");
    assert_eq!(c.whoami().await["name"], "Alice");
    assert!(
        c.jar.iter().any(|(n, _)| n == "testwiki_session"),
        "a new session cookie is issued"
    );
    w.services
        .users
        .set_password(1, &quick_hash("new-password-1"), Some(&new_user_token()))
        .await
        .unwrap();
    assert_eq!(
        c.whoami().await["id"],
        0,
        "a password change ends sessions and remember-me cookies"
    );
}

#[tokio::test]
async fn planted_session_id_is_not_adopted() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let planted = "0123456789abcdefghijklmnopqrstuv".to_string();
    c.jar.push(("testwiki_session".into(), planted.clone()));
    c.main_login().await;
    let sid = c
        .jar
        .iter()
        .find(|(n, _)| n == "testwiki_session")
        .unwrap()
        .1
        .clone();
    assert_ne!(sid, planted);
    assert!(w.services.sessions.load(&planted).await.unwrap().is_none());
}

#[tokio::test]
async fn wrong_password_answers_like_unknown_user_and_is_throttled() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let lt = c.token("login").await;
    let mut reasons = Vec::new();
    for (name, pw) in [
        ("Nobody", "x"),
        ("Alice", "wrong"),
        ("Alice", "wrong"),
        ("Alice", "wrong"),
        ("Alice", "wrong"),
        ("Alice", "wrong"),
        ("Alice", "Alice-pass-12345"),
    ] {
        let v = c
            .post(&[
                ("action", "login"),
                ("lgname", name),
                ("lgpassword", pw),
                ("lgtoken", &lt),
                ("format", "json"),
            ])
            .await
            .1;
        reasons.push(v["login"]["reason"].as_str().unwrap_or("").to_string());
    }
    let wrong = "Incorrect username or password entered. Please try again.";
    assert_eq!(reasons[..6], [wrong, wrong, wrong, wrong, wrong, wrong]);
    assert_eq!(
        reasons[6],
        "You have made too many recent login attempts. Please wait 5 minutes before trying again."
    );
}

#[tokio::test]
async fn formats_xml_and_php_and_head() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let res = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "userinfo"),
                ("uiprop", "groups"),
                ("format", "xml"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        String::from_utf8(res.body.clone()).unwrap(),
        r#"<?xml version="1.0"?><api batchcomplete=""><query><userinfo id="0" name="127.0.0.1" anon=""><groups><g>*</g></groups></userinfo></query></api>"#
    );
    assert_eq!(res.header("content-type"), Some("text/xml; charset=utf-8"));
    let res = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("format", "php"),
                ("formatversion", "2"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        String::from_utf8(res.body).unwrap(),
        r#"a:2:{s:13:"batchcomplete";b:1;s:5:"query";a:1:{s:6:"tokens";a:1:{s:9:"csrftoken";s:2:"+\";}}}"#
    );
    let res = c
        .send(
            "HEAD",
            &[("action", "query"), ("meta", "tokens"), ("format", "json")],
            &[],
        )
        .await;
    assert!(res.body.is_empty());
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn unknown_format_falls_back_to_jsonfm_with_an_error() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let res = c
        .send("GET", &[("action", "query"), ("format", "yaml")], &[])
        .await;
    assert_eq!(res.header("mediawiki-api-error"), Some("badvalue"));
    assert_eq!(res.header("content-type"), Some("text/html; charset=UTF-8"));
    let page = String::from_utf8(res.body).unwrap();
    assert!(
        page.contains(r#"Unrecognized value for parameter \&quot;format\&quot;: yaml."#),
        "{page}"
    );
}

#[tokio::test]
async fn put_is_refused_with_invalidmethod() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let res = c
        .send("PUT", &[("action", "query"), ("format", "json")], &[])
        .await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("mediawiki-api-error"), Some("invalidmethod"));
}

#[tokio::test]
async fn jsonp_runs_as_anonymous_and_refuses_login() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.bot_login().await;
    let res = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "userinfo"),
                ("format", "json"),
                ("callback", "cb"),
            ],
            &[],
        )
        .await;
    let body = String::from_utf8(res.body.clone()).unwrap();
    assert!(
        body.starts_with("/**/cb(") && body.contains(r#""anon":"""#),
        "{body}"
    );
    assert_eq!(res.header("mediawiki-login-suppressed"), Some("true"));
    let lt = c.token("login").await;
    let res = c
        .send(
            "POST",
            &[("callback", "cb")],
            &[
                ("action", "login"),
                ("lgname", "Alice@bot"),
                ("lgpassword", "abcdefghijklmnopqrstuvw012345678"),
                ("lgtoken", &lt),
                ("format", "json"),
            ],
        )
        .await;
    assert!(String::from_utf8(res.body)
        .unwrap()
        .contains(r#""result":"Aborted""#));
}

#[tokio::test]
async fn cors_allows_configured_origins_with_credentials_and_refuses_others() {
    let mut w = wiki().await;
    let mut config = (*w.services.config).clone();
    config.cross_site_ajax_domains = vec!["*.example.org".into()];
    w.services.config = Arc::new(config);
    let send = |origin: &'static str, header: &'static str, method: &'static str| {
        let services = w.services.clone();
        async move {
            let mut req = ApiRequest::new(method);
            req.query = vec![
                ("action".into(), "query".into()),
                ("meta".into(), "tokens".into()),
                ("format".into(), "json".into()),
                ("origin".into(), origin.into()),
            ];
            req.headers = vec![
                ("origin", header.into()),
                ("access-control-request-method", "POST".into()),
            ];
            execute(&services, &req).await
        }
    };
    let ok = send("https://app.example.org", "https://app.example.org", "GET").await;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
    let other = send("https://evil.test", "https://evil.test", "GET").await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    assert_eq!(
        other.header("mediawiki-cors-rejection"),
        Some("Origin mismatch")
    );
    let forged = send("https://app.example.org", "https://evil.test", "GET").await;
    assert_eq!(forged.status, 403);
    let preflight = send(
        "https://app.example.org",
        "https://app.example.org",
        "OPTIONS",
    )
    .await;
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("POST, GET, HEAD")
    );
    assert!(preflight.body.is_empty());
}

#[tokio::test]
async fn maxlag_refuses_with_retry_after_when_the_configured_lag_exceeds_it() {
    let mut w = wiki().await;
    let mut config = (*w.services.config).clone();
    config.maxlag_lag = 7;
    w.services.config = Arc::new(config);
    let mut c = Client::new(&w);
    let ok = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("maxlag", "10"),
                ("format", "json"),
            ],
            &[],
        )
        .await;
    assert_eq!(ok.header("mediawiki-api-error"), None);
    let res = c
        .send(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("maxlag", "1"),
                ("format", "json"),
            ],
            &[],
        )
        .await;
    assert_eq!(res.header("mediawiki-api-error"), Some("maxlag"));
    assert_eq!(res.header("retry-after"), Some("5"));
    assert_eq!(res.header("x-database-lag"), Some("7"));
    let v: Value = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(
        v["error"]["info"],
        "Waiting for a database server: 7 seconds lagged."
    );
    assert_eq!(v["error"]["lag"], 7);
}

/// A Redis server of the test's own, on a free port, stopped (by its process) when dropped.
struct OwnRedis {
    child: std::process::Child,
    url: String,
    port: u16,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        let redis = OwnRedis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
            port,
        };
        // Ready when it answers; give up after ten seconds.
        for _ in 0..200 {
            if redis.cli(&["PING"]) == "PONG" {
                return redis;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli on PATH");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A session store that reads but fails to delete (Redis refuses DEL to its user) at
/// action=logout: the client is told, as for a store that fails to load (MediaWiki's
/// internal-error shape), and keeps its session and cookies, so it can try again — unlike
/// MediaWiki, which answers `{}` and clears the cookies while the stored session lives on.
#[tokio::test]
async fn logout_that_cannot_delete_the_session_answers_an_error_and_keeps_it() {
    let redis = OwnRedis::start();
    let mut w = wiki().await;
    w.services.sessions =
        Arc::new(mwauth::store::redis::RedisSessionStore::open(&redis.url, "testwiki").unwrap());
    let mut c = Client::new(&w);
    assert_eq!(c.main_login().await["login"]["result"], "Success");
    let csrf = c.token("csrf").await;
    let jar = c.jar.clone();

    assert_eq!(redis.cli(&["ACL", "SETUSER", "default", "-del"]), "OK");
    let (res, v) = c
        .post(&[("action", "logout"), ("token", &csrf), ("format", "json")])
        .await;
    assert_eq!(
        v["error"]["code"], "internal_api_error_DBConnectionError",
        "{v}"
    );
    assert!(res.set_cookies().is_empty(), "{:?}", res.set_cookies());
    assert_eq!(c.jar, jar);
    assert_eq!(c.whoami().await["name"], "Alice");

    // The store is back: the same request logs out.
    assert_eq!(redis.cli(&["ACL", "SETUSER", "default", "+del"]), "OK");
    let (res, v) = c
        .post(&[("action", "logout"), ("token", &csrf), ("format", "json")])
        .await;
    assert_eq!(v, serde_json::json!({}));
    assert_eq!(res.set_cookies().len(), 3);
    assert_eq!(c.whoami().await["id"], 0);
    // The old session cookie no longer names a session.
    let mut old = Client::new(&w);
    old.jar = jar
        .into_iter()
        .filter(|(n, _)| n == "testwiki_session")
        .collect();
    assert_eq!(old.jar.len(), 1);
    assert_eq!(old.whoami().await["id"], 0);
}

/// While every hashing thread is busy and the queue is full, a login is not kept waiting:
/// action=login and action=clientlogin answer at once as MediaWiki's login throttle does,
/// and the same login succeeds once the queue has drained.
#[tokio::test]
async fn a_full_hashing_queue_is_answered_as_the_login_throttle() {
    let mut w = wiki().await;
    let pool = HashPool::with_queue(1, 1);
    w.services.hasher = pool.clone();
    // The one thread holds a job until released; the one place in the queue is taken.
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let holding = {
        let p = pool.clone();
        tokio::spawn(async move {
            p.run(move || {
                let _ = started_tx.send(());
                let _ = hold.recv();
            })
            .await
        })
    };
    started.await.unwrap();
    let waiting = {
        let p = pool.clone();
        tokio::spawn(async move { p.run(|| ()).await })
    };
    while pool.queued() == 0 {
        tokio::task::yield_now().await;
    }
    let mut c = Client::new(&w);
    assert_eq!(
        c.main_login().await["login"]["reason"],
        "You have made too many recent login attempts. Please wait 1 second before trying again."
    );
    let lt = c.token("login").await;
    let (_, v) = c
        .post(&[
            ("action", "clientlogin"),
            ("username", "Alice"),
            ("password", "Alice-pass-12345"),
            ("logintoken", &lt),
            ("loginreturnurl", "http://localhost/"),
            ("format", "json"),
        ])
        .await;
    assert_eq!(v["clientlogin"]["status"], "FAIL", "{v}");
    assert_eq!(v["clientlogin"]["messagecode"], "login-throttled", "{v}");
    drop(release);
    holding.await.unwrap().unwrap();
    waiting.await.unwrap().unwrap();
    assert_eq!(c.main_login().await["login"]["result"], "Success");
}
