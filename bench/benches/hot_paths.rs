//! Micro-benchmarks of the pieces every request goes through: parameter parsing, token
//! make/verify, the JSON (formatversion 1 and 2) and XML formatters, and cookie parsing.
//! `cargo bench -p mwauth-bench` runs them; `-- --quick` for a short pass.

use criterion::{criterion_group, criterion_main, Criterion};
use mwauth::api::format::json::{self, JsonStyle};
use mwauth::api::format::xml;
use mwauth::api::params::Params;
use mwauth::api::result::{List, Obj};
use mwauth::request::{ApiRequest, Pairs};
use mwauth::session::cookie::parse_cookie_header;
use mwauth::session::token;
use std::hint::black_box;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_700_000_000;

fn pairs(s: &str) -> Pairs<'static> {
    cows(
        &form_urlencoded::parse(s.as_bytes())
            .into_owned()
            .collect::<Vec<_>>(),
    )
}

fn cows(v: &[(String, String)]) -> Pairs<'static> {
    v.iter()
        .map(|(k, v)| (k.clone().into(), v.clone().into()))
        .collect()
}

fn params(c: &mut Criterion) {
    let mut get = ApiRequest::new("GET");
    get.query = pairs("action=query&meta=tokens&format=json");
    c.bench_function("params/from_request meta=tokens (GET)", |b| {
        b.iter(|| Params::from_request(black_box(&get)))
    });
    let mut post = ApiRequest::new("POST");
    post.body = pairs(&format!(
        "action=logout&format=json&token={}",
        token::token_at(SECRET, "", NOW)
            .replace('+', "%2B")
            .replace('\\', "%5C")
    ));
    c.bench_function("params/from_request action=logout (POST)", |b| {
        b.iter(|| {
            let mut p = Params::from_request(black_box(&post));
            black_box(p.get("token").map(str::len));
            black_box(p.unused())
        })
    });
}

fn tokens(c: &mut Criterion) {
    c.bench_function("token/make csrf", |b| {
        b.iter(|| token::token_at(black_box(SECRET), black_box(""), black_box(NOW)))
    });
    // A session's secret as requests use it: HMAC-MD5's key schedule made once and kept.
    let kept = token::Secret::new(SECRET.to_string());
    c.bench_function("token/make csrf, kept secret", |b| {
        b.iter(|| black_box(&kept).token_at(black_box(""), black_box(NOW)))
    });
    let t = token::token_at(SECRET, "", NOW);
    c.bench_function("token/verify csrf", |b| {
        b.iter(|| token::matches(black_box(SECRET), "", black_box(&t), None, NOW))
    });
    c.bench_function("token/verify malformed", |b| {
        b.iter(|| token::matches(black_box(SECRET), "", black_box("+\\"), None, NOW))
    });
}

fn tokens_result() -> Obj {
    Obj::new().with("batchcomplete", true).with(
        "query",
        Obj::new().with(
            "tokens",
            Obj::new().with("csrftoken", token::token_at(SECRET, "", NOW)),
        ),
    )
}

fn userinfo_result() -> Obj {
    let groups = List::of_strings("g", ["*", "user", "autoconfirmed"].map(String::from));
    Obj::new().with("batchcomplete", true).with(
        "query",
        Obj::new().with(
            "userinfo",
            Obj::new()
                .with("id", 3i64)
                .with("name", "Alice")
                .with("groups", groups),
        ),
    )
}

fn formats(c: &mut Criterion) {
    let style = |fv: u8| JsonStyle {
        formatversion: fv,
        ascii: fv == 1,
        pretty: false,
    };
    for (name, root) in [("tokens", tokens_result()), ("userinfo", userinfo_result())] {
        c.bench_function(&format!("format/json fv1 {name}"), |b| {
            b.iter(|| json::write(black_box(&root), style(1)))
        });
        c.bench_function(&format!("format/json fv2 {name}"), |b| {
            b.iter(|| json::write(black_box(&root), style(2)))
        });
        c.bench_function(&format!("format/xml {name}"), |b| {
            b.iter(|| xml::write(black_box(&root)))
        });
    }
}

fn cookies(c: &mut Criterion) {
    let header = "my_wiki_session=0123456789abcdefghijklmnopqrstuv; my_wikiUserID=3; \
                  my_wikiUserName=Alice; my_wikiToken=0123456789abcdef0123456789abcdef";
    c.bench_function("cookie/parse_cookie_header 4 cookies", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(4);
            parse_cookie_header(black_box(header), &mut out);
            out
        })
    });
}

/// A whole api.php request through the core (no HTTP): what one request costs mwauth beyond
/// the HTTP server, with the stores of the embedded default (SQLite users behind their
/// cache, sessions in memory in front of the SQLite file).
fn execute(c: &mut Criterion) {
    use mwauth::store::url::{open, SessionsUrl, StoreOptions, UsersUrl};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("w.sqlite");
    let services = rt.block_on(async {
        let stores = open(
            &UsersUrl::Sqlite(file.clone()),
            &SessionsUrl::Sqlite(file.clone()),
            &StoreOptions::default(),
        )
        .await
        .expect("stores");
        let id = stores
            .users
            .create_user(
                "Alice",
                &mwauth::user::password::hash("Alice-pass-12345"),
                &mwauth::auth::account::new_user_token(),
                &[],
            )
            .await
            .expect("user");
        stores
            .users
            .create_bot_password(&mwauth::user::BotPasswordRecord {
                user_id: id,
                app_id: "testbot".into(),
                password: mwauth::user::password::hash("alicebotpasswordalicebotpass0001"),
                token: "0123456789abcdef0123456789abcdef".into(),
                restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.into(),
                grants: vec!["basic".into()],
            })
            .await
            .expect("bot password");
        mwauth::Services {
            config: std::sync::Arc::new(mwauth::Config::default()),
            users: stores.users,
            sessions: stores.sessions,
            hasher: mwauth::hash_pool::HashPool::new(1),
        }
    });
    let send = |req: &ApiRequest| rt.block_on(mwauth::api::execute(&services, req));
    let get = |query: &str, cookies: &[(String, String)]| {
        let mut req = ApiRequest::new("GET");
        req.query = pairs(query);
        req.cookies = cows(cookies);
        req
    };
    let cookies_of = |res: &mwauth::request::ApiResponse, jar: &mut Vec<(String, String)>| {
        for c in res.set_cookies() {
            if let Some((name, rest)) = c.split_once('=') {
                let value = rest.split(';').next().unwrap_or("").to_string();
                jar.retain(|(n, _)| n != name);
                if value != "deleted" {
                    jar.push((name.to_string(), value));
                }
            }
        }
    };
    // Log in with the bot password, as a bot does.
    let mut jar = Vec::new();
    let res = send(&get(
        "action=query&meta=tokens&type=login&format=json",
        &jar,
    ));
    cookies_of(&res, &mut jar);
    let body: serde_json::Value = serde_json::from_slice(&res.body).expect("json");
    let login_token = body["query"]["tokens"]["logintoken"]
        .as_str()
        .expect("token");
    let mut login = ApiRequest::new("POST");
    login.body = vec![
        ("action".into(), "login".into()),
        ("format".into(), "json".into()),
        ("lgname".into(), "Alice@testbot".into()),
        (
            "lgpassword".into(),
            "alicebotpasswordalicebotpass0001".into(),
        ),
        ("lgtoken".into(), login_token.into()),
    ];
    login.cookies = cows(&jar);
    let res = send(&login);
    assert!(String::from_utf8_lossy(&res.body).contains("Success"));
    cookies_of(&res, &mut jar);

    let anon = get("action=query&meta=tokens&format=json", &[]);
    c.bench_function("execute/meta=tokens anonymous", |b| {
        b.iter(|| send(black_box(&anon)))
    });
    let tokens = get("action=query&meta=tokens&format=json", &jar);
    c.bench_function("execute/meta=tokens bot-password session", |b| {
        b.iter(|| send(black_box(&tokens)))
    });
    let userinfo = get("action=query&meta=userinfo&format=json", &jar);
    c.bench_function("execute/meta=userinfo bot-password session", |b| {
        b.iter(|| send(black_box(&userinfo)))
    });
}

criterion_group!(hot_paths, params, tokens, formats, cookies, execute);
criterion_main!(hot_paths);
