//! Micro-benchmarks of the pieces every request goes through: parameter parsing, token
//! make/verify, the JSON (formatversion 1 and 2) and XML formatters, and cookie parsing.
//! `cargo bench -p mwauth-bench` runs them; `-- --quick` for a short pass.

use criterion::{criterion_group, criterion_main, Criterion};
use mwauth::api::format::json::{self, JsonStyle};
use mwauth::api::format::xml;
use mwauth::api::params::Params;
use mwauth::api::request::ApiRequest;
use mwauth::api::result::{List, Obj};
use mwauth::session::cookie::parse_cookie_header;
use mwauth::session::token;
use std::hint::black_box;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_700_000_000;

fn pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
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

criterion_group!(hot_paths, params, tokens, formats, cookies);
criterion_main!(hot_paths);
