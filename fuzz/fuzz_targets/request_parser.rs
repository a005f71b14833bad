//! The request parser: query string and urlencoded body (as the server's adapter parses them),
//! the Cookie header (`parse_cookie_header`), and MediaWiki's parameter merge
//! (`Params::from_request`: the body wins, the last of repeated names wins, `$_POST + $_GET`
//! order). Input: the text form of mwauth_fuzz::steps (one request).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::api::params::{split_multi, Params};
use mwauth::request::ApiRequest;
use mwauth::request::{parse_form, Pairs};
use mwauth::session::cookie::{parse_cookie_header, SetCookie};
use mwauth_fuzz::steps;

fn borrowed(pairs: &[(String, String)]) -> Pairs<'_> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let step = steps::parse_step(&String::from_utf8_lossy(data));
    let mut req = ApiRequest::new(&step.method);
    req.query = borrowed(&step.query);
    req.body = borrowed(&step.body);

    // The adapter's borrowing form parser reads the raw input as form_urlencoded does.
    let ours: Vec<(String, String)> = parse_form(data)
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let theirs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    assert_eq!(ours, theirs);
    if let Some(c) = &step.cookie_header {
        parse_cookie_header(c, &mut req.cookies);
    }
    let mut params = Params::from_request(&req);

    // Whatever the names: each unused name is listed once and has a value.
    let unused = params.unused();
    for (i, name) in unused.iter().enumerate() {
        assert!(!unused[..i].contains(name), "{name:?} listed twice");
        assert!(params.peek(name).is_some(), "{name:?} unused but absent");
    }

    // Plain names (no PHP name mangling applies) and printable ASCII values (nothing to
    // clean), within
    // PHP's max_input_vars: MediaWiki's exact merge.
    let plain = |pairs: &Pairs<'_>| {
        pairs.len() <= 1000
            && pairs.iter().all(|(k, v)| {
                !k.is_empty()
                    && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    // ASCII without the C0 controls WebRequest replaces by U+FFFD.
                    && v.bytes().all(|b| b.is_ascii() && (b >= 0x20 || b"\t\n\r".contains(&b)))
            })
    };
    let mut names: Vec<&str> = Vec::new();
    if plain(&req.body) && plain(&req.query) {
        for (k, _) in req.body.iter().chain(req.query.iter()) {
            if !names.contains(&k.as_ref()) {
                names.push(k);
            }
        }
        for name in &names {
            let last = |pairs: &Pairs<'_>| {
                pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.to_string())
            };
            let want = last(&req.body).or_else(|| last(&req.query));
            assert_eq!(
                params.peek(name).map(str::to_string),
                want,
                "value of {name:?}"
            );
            assert_eq!(
                params.in_query(name),
                req.query.iter().any(|(k, _)| k == name),
                "in_query {name:?}"
            );
        }
        // Nothing read yet: every name is unused, once, body names first.
        assert_eq!(
            unused,
            names.iter().map(|n| n.to_string()).collect::<Vec<_>>()
        );
        for name in names.iter().step_by(2) {
            params.get(name);
        }
        let unused = params.unused();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(
                unused.contains(&name.to_string()),
                i % 2 == 1,
                "unused {name:?}"
            );
        }
    }

    // Multi-value splitting loses nothing.
    for name in &unused {
        if let Some(v) = params.peek(name) {
            let parts = split_multi(v);
            if v.is_empty() {
                assert!(parts.is_empty());
            } else if let Some(rest) = v.strip_prefix('\u{1f}') {
                assert_eq!(parts.join("\u{1f}"), rest);
            } else {
                assert_eq!(parts.join("|"), v);
            }
        }
    }

    // Cookies: names trimmed, and any value written as PHP's setcookie() writes it comes
    // back unchanged.
    for (name, value) in &req.cookies {
        assert_eq!(name.trim(), name);
        let line = SetCookie {
            name: "n".into(),
            value: value.to_string(),
            max_age: None,
            secure: false,
            samesite: None,
        }
        .header_value(0);
        let pair = line.split(';').next().unwrap_or("");
        let mut back = Vec::new();
        parse_cookie_header(pair, &mut back);
        assert_eq!(back, vec![("n".into(), value.clone())], "cookie {line:?}");
        let first = req
            .cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref());
        assert_eq!(req.cookie(name), first);
    }
});
