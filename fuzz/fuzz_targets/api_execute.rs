//! The whole Action API (`mwauth::api::execute`) on arbitrary requests: up to four requests
//! sharing a cookie jar, against in-memory stores with the fuzz accounts, on a current-thread
//! tokio runtime. Besides "no panic", every response is checked for what must always hold:
//!
//! - headers are valid header values (no response splitting) and every cookie is HttpOnly;
//! - `Access-Control-Allow-Credentials: true` is never sent (no origin is configured);
//! - JSON, JSONP and PHP bodies parse; XML bodies parse when the request held only XML
//!   characters (mwauth does not yet clean input as MediaWiki's WebRequest does, see
//!   docs/security.md);
//! - no logged-in answer (userinfo id > 0, login Success, clientlogin PASS) unless the inputs
//!   so far held a real credential or created an account;
//! - a marker sent only as a password never comes back in a body or header;
//! - requests without same-origin security (JSONP, `origin=*`, Treat-as-Untrusted) never get
//!   a session cookie.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::api::execute;
use mwauth::hash_pool::HashPool;
use mwauth::request::HEADERS_READ;
use mwauth::request::{ApiRequest, ApiResponse};
use mwauth::session::cookie::parse_cookie_header;
use mwauth::store::memory::MemoryStore;
use mwauth::{Config, Services};
use mwauth_fuzz::steps::{self, SECRET};
use mwauth_fuzz::{block_on, header_value_ok, php, tree, users};
use std::collections::HashMap;
use std::sync::Arc;

const CAPTURED: &[&str] = &["logintoken", "csrftoken", "createaccounttoken"];
/// Fields that carry passwords: a marker sent there must never be echoed.
const PASSWORD_FIELDS: &[&str] = &["lgpassword", "password", "retype"];
/// The fuzz accounts' remember-me tokens (users.rs): knowing one is a credential.
const USER_TOKENS: &[&str] = &[
    "0123456789abcdef0123456789abcdef",
    "fedcba9876543210fedcba9876543210",
];

fn services() -> Services {
    Services {
        config: Arc::new(Config {
            wiki_id: "fuzzwiki".into(),
            ..Config::default()
        }),
        users: Arc::new(users::FuzzUsers::new()),
        sessions: Arc::new(MemoryStore::new()),
        hasher: HashPool::new(1),
    }
}

fn fill(v: &str, caught: &HashMap<&'static str, String>) -> String {
    if !v.contains('{') {
        return v.to_string();
    }
    let mut out = v
        .replace("{password}", users::PASSWORD)
        .replace("{botpassword}", users::BOT_PASSWORD)
        .replace("{secret}", SECRET);
    for name in CAPTURED {
        let t = caught.get(name).map(String::as_str).unwrap_or("");
        out = out.replace(&format!("{{{name}}}"), t);
    }
    out
}

/// Collects every `…token` string of a JSON body (query.tokens.*, login.token).
fn capture(v: &serde_json::Value, caught: &mut HashMap<&'static str, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if let serde_json::Value::String(s) = x {
                    let key = if k == "token" {
                        "logintoken"
                    } else {
                        k.as_str()
                    };
                    if let Some(name) = CAPTURED.iter().find(|n| **n == key) {
                        caught.insert(name, s.clone());
                    }
                }
                capture(x, caught);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| capture(x, caught)),
        _ => {}
    }
}

fn logged_in_answer(v: &serde_json::Value) -> bool {
    let id = v
        .pointer("/query/userinfo/id")
        .and_then(|i| i.as_i64())
        .unwrap_or(0);
    id > 0
        || v.pointer("/login/result").and_then(|r| r.as_str()) == Some("Success")
        || v.pointer("/clientlogin/status").and_then(|r| r.as_str()) == Some("PASS")
}

fn body_json(res: &ApiResponse) -> Option<serde_json::Value> {
    let ctype = res.header("content-type").unwrap_or("");
    let text = std::str::from_utf8(&res.body).expect("body is UTF-8");
    if ctype.starts_with("application/json") {
        return Some(
            serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON body ({e}): {text}")),
        );
    }
    if ctype.starts_with("text/javascript") {
        let inner = text
            .strip_prefix("/**/")
            .and_then(|t| t.split_once('('))
            .and_then(|(cb, rest)| {
                assert!(cb
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"[].'\"_".contains(&b)));
                rest.strip_suffix(')')
            })
            .unwrap_or_else(|| panic!("JSONP shape: {text}"));
        return Some(
            serde_json::from_str(inner).unwrap_or_else(|e| panic!("JSONP body ({e}): {text}")),
        );
    }
    None
}

fn cookie_jar_update(jar: &mut Vec<(String, String)>, res: &ApiResponse) {
    for line in res.set_cookies() {
        let pair = line.split(';').next().unwrap_or("");
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        jar.retain(|(n, _)| n != name);
        if !line.contains("Max-Age=0") {
            jar.push((name.to_string(), value.to_string()));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let steps = steps::parse(data);
    let services = services();
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut caught: HashMap<&'static str, String> = HashMap::new();
    let mut may_be_logged_in = false;
    let mut secrets_checked = true;
    for step in steps {
        let fill_pairs = |pairs: &[(String, String)], caught: &HashMap<&'static str, String>| {
            pairs
                .iter()
                .map(|(k, v)| (fill(k, caught).into(), fill(v, caught).into()))
                .collect::<Vec<_>>()
        };
        let mut req = ApiRequest::new(&step.method);
        req.query = fill_pairs(&step.query, &caught);
        req.body = fill_pairs(&step.body, &caught);
        // As the HTTP adapter passes them on: only the headers the core reads.
        req.headers = step
            .headers
            .iter()
            .filter_map(|(k, v)| {
                let name = HEADERS_READ.iter().find(|n| n.eq_ignore_ascii_case(k))?;
                Some((*name, fill(v, &caught).into()))
            })
            .collect();
        if let Some(ip) = step.client_ip {
            req.client_ip = ip;
        }
        let mut cookie_header = step
            .cookie_header
            .as_deref()
            .map(|c| fill(c, &caught))
            .unwrap_or_default();
        for (n, v) in &jar {
            cookie_header.push_str(&format!("; {n}={v}"));
        }
        parse_cookie_header(&cookie_header, &mut req.cookies);

        // What the request reveals, before looking at the answer.
        let all_pairs = req.query.iter().chain(req.body.iter());
        let mut texts: Vec<&str> = Vec::new();
        for (k, v) in all_pairs.clone() {
            texts.push(k);
            texts.push(v);
        }
        let joined = format!("{texts:?}{cookie_header}{:?}", req.headers);
        if [users::PASSWORD, users::BOT_PASSWORD]
            .iter()
            .any(|p| joined.contains(p))
            || USER_TOKENS.iter().any(|t| joined.contains(t))
            || all_pairs
                .clone()
                .any(|(k, v)| k == "action" && (v == "createaccount" || v == "clientlogin"))
        {
            may_be_logged_in = true;
        }
        let secret_elsewhere = all_pairs.clone().any(|(k, v)| {
            k.contains(SECRET) || (v.contains(SECRET) && !PASSWORD_FIELDS.contains(&k.as_ref()))
        }) || cookie_header.contains(SECRET)
            || req
                .headers
                .iter()
                .any(|(k, v)| k.contains(SECRET) || v.contains(SECRET));
        if secret_elsewhere {
            secrets_checked = false;
        }
        let untrusted = all_pairs
            .clone()
            .any(|(k, v)| k == "callback" || (k == "origin" && v == "*"))
            || req.header("treat-as-untrusted").is_some();
        let xml_clean = texts.iter().all(|t| t.chars().all(tree::is_xml_char));

        let res = block_on(execute(&services, &req));

        for (k, v) in &res.headers {
            assert!(
                header_value_ok(k) && !k.contains([' ', ':']),
                "header name {k:?}"
            );
            assert!(header_value_ok(v), "header {k}: {v:?}");
            if k.eq_ignore_ascii_case("access-control-allow-credentials") {
                assert_ne!(v, "true", "credentials allowed for a cross-site origin");
            }
        }
        for c in res.set_cookies() {
            assert!(c.contains("; HttpOnly"), "cookie without HttpOnly: {c}");
            if untrusted {
                let (name, value) = c
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .split_once('=')
                    .unwrap_or(("", ""));
                assert!(
                    value == "deleted",
                    "cookie {name} set without same-origin security: {c}"
                );
            }
        }
        if secrets_checked {
            let text = String::from_utf8_lossy(&res.body);
            let heads = format!("{:?}", res.headers);
            assert!(
                !text.contains(SECRET) && !heads.contains(SECRET),
                "secret echoed: {text}"
            );
        }
        if req.method == "HEAD" {
            continue;
        }
        let ctype = res.header("content-type").unwrap_or("").to_string();
        if let Some(v) = body_json(&res) {
            if logged_in_answer(&v) {
                assert!(may_be_logged_in, "logged in without a credential: {v}");
            }
            capture(&v, &mut caught);
        } else if ctype.starts_with("application/vnd.php.serialized") {
            if let Err(e) = php::unserialize(&res.body) {
                panic!("PHP body ({e}): {}", String::from_utf8_lossy(&res.body));
            }
        } else if ctype.starts_with("text/xml") && xml_clean {
            let text = std::str::from_utf8(&res.body).expect("UTF-8");
            if let Err(e) = roxmltree::Document::parse(text) {
                panic!("XML body ({e}): {text}");
            }
        }
        cookie_jar_update(&mut jar, &res);
    }
});
