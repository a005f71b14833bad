//! The conformance suite: every scenario in `conformance/scenarios` is replayed against one
//! in-process mwauth server set up like the reference wiki, normalized exactly as
//! `conformance/record.py` normalizes it, and compared with the transcript recorded from
//! MediaWiki 1.39 in `conformance/golden`.
//!
//! Scenarios run in file-name order against the same server, as the goldens were recorded
//! one after the other against one wiki; `throttle-*` scenarios, which leave login
//! throttle counters behind, get a server of their own. Scenarios listed in
//! `conformance/pending.txt` are run and reported, but do not fail the test.
//!
//! `CONFORMANCE_ONLY=substring` runs only the scenarios whose name contains it;
//! `CONFORMANCE_API=http://127.0.0.1:8180/w/api.php` replays against that server instead
//! (e.g. the reference wiki itself, to check the runner; `throttle-*` scenarios are then
//! skipped unless named in `CONFORMANCE_ONLY`, as they leave the wiki throttled);
//! `CONFORMANCE_DUMP=dir` writes each transcript there, in the goldens' format.

mod common;

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The response headers a transcript keeps (record.py's HEADERS).
const HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "mediawiki-api-error",
    "vary",
    "x-frame-options",
    "x-content-type-options",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "allow",
];

/// The reference wiki's api.php, which the goldens were recorded from.
const GOLDEN_API: &str = "http://127.0.0.1:8180/w/api.php";

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

// ---------------------------------------------------------------------------------------
// Normalization (record.py's norm_text, norm_json, norm_cookie)
// ---------------------------------------------------------------------------------------

/// Python's `$` also matches before a final newline.
fn strip_final_newline(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `^[0-9a-f]{32,40}\+\\$`
fn is_token(s: &str) -> bool {
    let s = strip_final_newline(s).as_bytes();
    let n = s.len();
    n >= 34
        && s[n - 1] == b'\\'
        && s[n - 2] == b'+'
        && (32..=40).contains(&(n - 2))
        && s[..n - 2].iter().all(|&b| is_lower_hex(b))
}

/// `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`
fn is_iso(s: &str) -> bool {
    let s = strip_final_newline(s).as_bytes();
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";
    s.len() == SHAPE.len()
        && s.iter().zip(SHAPE).all(|(&c, &p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// `^\d{14}$`
fn is_ts14(s: &str) -> bool {
    let s = strip_final_newline(s);
    s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `re.sub(r"[0-9a-f]{32,40}\+\\\\?", "<token>", s)`: a run of 32 to 40 hex digits right
/// before `+\` (and an optional second backslash, as in JSON-escaped text).
fn replace_tokens(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let run = b[i..]
            .iter()
            .take(41)
            .take_while(|&&c| is_lower_hex(c))
            .count();
        if (32..=40).contains(&run)
            && b.get(i + run) == Some(&b'+')
            && b.get(i + run + 1) == Some(&b'\\')
        {
            out.extend_from_slice(b"<token>");
            i += run + 2;
            if b.get(i) == Some(&b'\\') {
                i += 1;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

struct Urls {
    api: String,
    base: String,
    origin: String,
}

impl Urls {
    fn new(api: &str) -> Urls {
        let base = api.rsplit_once('/').map_or(api, |(b, _)| b).to_string();
        let (scheme, rest) = api.split_once("://").unwrap_or(("http", api));
        let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
        Urls {
            api: api.to_string(),
            base,
            origin: format!("{scheme}://{netloc}"),
        }
    }
}

fn norm_text(s: &str, urls: &Urls) -> String {
    let s = s
        .replace(&urls.api, "<api>")
        .replace(&urls.base, "<base>")
        .replace(&urls.origin, "<origin>");
    replace_tokens(&s)
}

fn norm_json(v: &Value, urls: &Urls) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, x) in map {
                let timestamp = k == "curtimestamp"
                    || x.as_str()
                        .is_some_and(|s| is_iso(s) || (is_ts14(s) && k.contains("timestamp")));
                let value = if k == "servedby" {
                    Value::from("<host>")
                } else if timestamp {
                    Value::from("<timestamp>")
                } else {
                    norm_json(x, urls)
                };
                out.insert(k.clone(), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|x| norm_json(x, urls)).collect()),
        Value::String(s) if is_token(s) => Value::from("<token>"),
        Value::String(s) => Value::from(norm_text(s, urls)),
        other => other.clone(),
    }
}

/// urllib.parse.unquote: %XX escapes decoded as UTF-8 (invalid sequences replaced).
fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `re.sub(r"[0-9a-f]{32,}", "<hash>", s)`
fn replace_hashes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|&&c| is_lower_hex(c)).count();
        if run >= 32 {
            out.extend_from_slice(b"<hash>");
            i += run;
        } else if run > 0 {
            out.extend_from_slice(&b[i..i + run]);
            i += run;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

/// `re.sub(r"(?<!\d)\d{10}(?!\d)", "<time>", s)`: a run of exactly ten digits.
fn replace_times(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 10 {
            out.extend_from_slice(b"<time>");
        } else {
            out.extend_from_slice(&b[i..i + run.max(1)]);
        }
        i += run.max(1);
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// email.utils.parsedate_to_datetime for the shapes servers write
/// (`Thu, 01 Jan 1970 00:00:01 GMT`, also `01-Jan-1970`); `None` where Python would raise or
/// give a naive time (no or unknown zone, `-0000`), which record.py calls unparsable.
fn parse_http_date(s: &str) -> Option<i64> {
    let mut words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    if words
        .first()
        .is_some_and(|w| w.ends_with(',') || w.len() == 3 && w.chars().all(char::is_alphabetic))
    {
        words.remove(0);
    }
    if words.len() == 3 {
        let parts: Vec<String> = words[0].split('-').map(str::to_string).collect();
        if parts.len() == 3 {
            words.splice(0..1, parts);
        }
    }
    if words.len() < 5 {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (mut dd, mut mon) = (words[0].as_str(), words[1].to_ascii_lowercase());
    if !MONTHS.contains(&mon.as_str()) {
        (dd, mon) = (words[1].as_str(), words[0].to_ascii_lowercase());
    }
    let month = MONTHS.iter().position(|m| mon.starts_with(m))? as i64 + 1;
    let day: i64 = dd.trim_end_matches(',').parse().ok()?;
    let mut year: i64 = words[2].trim_end_matches(',').parse().ok()?;
    if words[2].len() <= 2 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    let hms: Vec<i64> = words[3]
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, mi, sec) = match hms[..] {
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    let zone = words[4].to_ascii_uppercase();
    let offset = match zone.as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "-0000" => return None,
        "AST" => -400,
        "ADT" => -300,
        "EST" => -500,
        "EDT" => -400,
        "CST" => -600,
        "CDT" => -500,
        "MST" => -700,
        "MDT" => -600,
        "PST" => -800,
        "PDT" => -700,
        z if (z.starts_with('+') || z.starts_with('-')) && z.len() == 5 => {
            let n: i64 = z[1..].parse().ok()?;
            if z.starts_with('-') {
                -n
            } else {
                n
            }
        }
        _ => return None,
    };
    let offset_secs = (offset / 100) * 3600 + (offset % 100) * 60;
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + mi * 60 + sec - offset_secs)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `^[0-9a-v]{32}$` or `^[0-9a-f]{32}$`: a random session id.
fn is_random_id(s: &str) -> bool {
    let s = strip_final_newline(s);
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

/// A raw Set-Cookie line as a transcript shows it.
fn norm_cookie(raw: &str) -> Value {
    let parts: Vec<&str> = raw.split(';').map(str::trim).collect();
    let (name, value) = parts[0].split_once('=').unwrap_or((parts[0], ""));
    let mut attrs: Vec<(String, String)> = Vec::new();
    for p in &parts[1..] {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let k = k.to_lowercase();
        match attrs.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => attrs.push((k, v.to_string())),
        }
    }
    for (k, v) in attrs.iter_mut() {
        if k == "expires" {
            *v = match parse_http_date(v) {
                Some(when) if when < unix_now() => "past".into(),
                Some(_) => "future".into(),
                None => "<unparsable>".into(),
            };
        }
    }
    let shown = if is_random_id(value) {
        "<random>".to_string()
    } else {
        // values that carry a time and a signature keep only their shape
        replace_times(&replace_hashes(&unquote(value)))
    };
    attrs.sort();
    let mut out = Map::new();
    out.insert("name".into(), Value::from(name));
    out.insert("value".into(), Value::from(shown));
    for (k, v) in attrs {
        out.insert(k, Value::from(v));
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------
// Replaying a scenario (record.py's run)
// ---------------------------------------------------------------------------------------

/// Python's `str()` of a captured JSON value.
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Fills `{name}` placeholders (`\{(\w+)\}`) from the captured values.
fn fill_str(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let word_len: usize = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum();
        if word_len > 0 && after[word_len..].starts_with('}') {
            let name = &after[..word_len];
            match vars.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&rest[i..i + word_len + 2]),
            }
            rest = &after[word_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A step's name → value map, filled, as (name, value) pairs; lists give repeated names and
/// `null` is left out, as requests does.
fn fill_pairs(v: Option<&Value>, vars: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(Value::Object(map)) = v else {
        return out;
    };
    for (k, x) in map {
        let values = match x {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for x in values {
            if x.is_null() {
                continue;
            }
            out.push((k.clone(), fill_str(&python_str(&x), vars)));
        }
    }
    out
}

/// urllib.parse.quote_plus: unreserved characters stay, spaces become `+`.
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One client's cookies, as a browser-like jar on a single host keeps them.
#[derive(Default)]
struct Jar {
    /// (name, raw value, secure)
    cookies: Vec<(String, String, bool)>,
}

impl Jar {
    fn apply(&mut self, raw: &str) {
        let mut parts = raw.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let (mut expired, mut secure, mut max_age_seen) = (false, false, false);
        for p in parts {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            match k.to_ascii_lowercase().as_str() {
                "max-age" => {
                    max_age_seen = true;
                    expired = v.trim().parse::<i64>().map_or(expired, |n| n <= 0);
                }
                "expires" if !max_age_seen => {
                    expired = parse_http_date(v).is_some_and(|t| t <= unix_now());
                }
                "secure" => secure = true,
                _ => {}
            }
        }
        // A cookie set again keeps its place; an expired one is dropped.
        match self.cookies.iter().position(|(n, _, _)| n == name) {
            Some(i) if expired => {
                self.cookies.remove(i);
            }
            Some(i) => self.cookies[i] = (name.to_string(), value.to_string(), secure),
            None if expired => {}
            None => self
                .cookies
                .push((name.to_string(), value.to_string(), secure)),
        }
    }

    /// The Cookie header for a plain-http request: secure cookies are not sent.
    fn header(&self) -> Option<String> {
        let sent: Vec<String> = self
            .cookies
            .iter()
            .filter(|(_, _, secure)| !secure)
            .map(|(n, v, _)| format!("{n}={v}"))
            .collect();
        (!sent.is_empty()).then(|| sent.join("; "))
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// requests' `Response.text`: the charset of the Content-Type, ISO-8859-1 for `text/*`
/// without one, UTF-8 otherwise.
fn decode_body(bytes: &[u8], ctype: &str) -> String {
    let charset = ctype
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_ascii_lowercase());
    match charset.as_deref() {
        Some("iso-8859-1" | "latin-1" | "latin1") => latin1(bytes),
        None if ctype.contains("text") => latin1(bytes),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// dig(obj, "query.tokens.csrftoken")
fn dig<'a>(mut v: &'a Value, path: &str) -> Option<&'a Value> {
    for part in path.split('.') {
        v = match v {
            Value::Array(items) => {
                let i: i64 = part.parse().ok()?;
                let i = if i < 0 { items.len() as i64 + i } else { i };
                items.get(usize::try_from(i).ok()?)?
            }
            Value::Object(map) => map.get(part)?,
            _ => return None,
        };
    }
    Some(v)
}

fn html_title(body: &str) -> String {
    let title = body.find("<title>").and_then(|i| {
        let rest = &body[i + "<title>".len()..];
        rest.find("</title>").map(|j| rest[..j].trim().to_string())
    });
    title.unwrap_or_else(|| "untitled".into())
}

/// Replays a scenario against `api`. With `shown_as`, requests carry that URL's host in
/// their `Host` header, so the server describes itself with the URL the goldens were
/// recorded from (lengths in PHP-serialized bodies then match too), and normalization
/// replaces that URL.
async fn run(
    client: &reqwest::Client,
    api: &str,
    shown_as: Option<&str>,
    scenario: &Value,
) -> Result<Value, String> {
    let urls = Urls::new(shown_as.unwrap_or(api));
    let host = shown_as.map(|u| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        rest.split(['/', '?', '#']).next().unwrap_or("").to_string()
    });
    let mut vars: HashMap<String, String> = HashMap::new();
    if let Some(Value::Array(names)) = scenario.get("env") {
        for n in names.iter().filter_map(Value::as_str) {
            vars.insert(n.to_string(), std::env::var(n).unwrap_or_default());
        }
    }
    let mut jars: HashMap<String, Jar> = HashMap::new();
    let mut out = Vec::new();
    let steps = scenario
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("scenario has no steps")?;
    for (n, step) in steps.iter().enumerate() {
        let client_name = step.get("client").and_then(Value::as_str).unwrap_or("a");
        let fresh = step.get("fresh").and_then(Value::as_bool).unwrap_or(false);
        if fresh || !jars.contains_key(client_name) {
            jars.insert(client_name.to_string(), Jar::default());
        }
        let jar = jars.get_mut(client_name).expect("jar exists");
        let method = step.get("method").and_then(Value::as_str).unwrap_or("GET");

        let query = urlencode(&fill_pairs(step.get("query"), &vars));
        let url = if query.is_empty() {
            api.to_string()
        } else {
            format!("{api}?{query}")
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut rb = client.request(method.clone(), &url);
        let mut headers = fill_pairs(step.get("headers"), &vars);
        if let Some(h) = &host {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
                headers.insert(0, ("Host".into(), h.clone()));
            }
        }
        // requests replaces a Cookie header of the step with the jar's, if it has cookies.
        if let Some(cookie) = jar.header() {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("cookie"));
            headers.push(("Cookie".into(), cookie));
        }
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        let form = fill_pairs(step.get("form"), &vars);
        let has_body = if step.get("multipart").is_some() {
            // urllib3's encode_multipart_formdata: `form` fields first, then the `multipart`
            // ones, none with a file name; the step's `boundary`, or a random one like urllib3's
            let boundary = match step.get("boundary").and_then(Value::as_str) {
                Some(b) => b.to_string(),
                None => mwauth::session::random_hex(32),
            };
            let mut body = Vec::new();
            let fields = form
                .into_iter()
                .chain(fill_pairs(step.get("multipart"), &vars));
            for (k, v) in fields {
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                    )
                    .as_bytes(),
                );
            }
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            rb = rb
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body);
            true
        } else if !form.is_empty() {
            rb = rb
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(urlencode(&form));
            true
        } else {
            // requests sends no body (and no Content-Type) for an empty form
            false
        };
        if !has_body && !matches!(method.as_str(), "GET" | "HEAD") {
            rb = rb.header("Content-Length", "0");
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| format!("step {n}: request failed: {e}"))?;
        let status = resp.status().as_u16();
        let header_map = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("step {n}: reading the body failed: {e}"))?;

        let header = |name: &str| -> Option<String> {
            let values: Vec<String> = header_map
                .get_all(name)
                .iter()
                .map(|v| latin1(v.as_bytes()))
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        let set_cookies: Vec<String> = header_map
            .get_all("set-cookie")
            .iter()
            .map(|v| latin1(v.as_bytes()))
            .collect();
        for c in &set_cookies {
            jar.apply(c);
        }
        let ctype = header("content-type").unwrap_or_default();
        let text = decode_body(&bytes, &ctype);
        let parsed = if ctype.contains("json") && !text.is_empty() && !text.starts_with('<') {
            serde_json::from_str::<Value>(&text)
                .ok()
                .map(|v| norm_json(&v, &urls))
                .filter(|v| !v.is_null())
        } else {
            None
        };
        let body = match parsed {
            Some(v) => v,
            None => {
                let shown = if text
                    .trim_start()
                    .to_lowercase()
                    .starts_with("<!doctype html")
                {
                    format!("<html page: {}>", html_title(&text))
                } else {
                    text.clone()
                };
                Value::from(norm_text(&shown, &urls))
            }
        };

        let mut request = Map::new();
        for k in [
            "client",
            "method",
            "query",
            "form",
            "multipart",
            "boundary",
            "headers",
        ] {
            if let Some(v) = step.get(k) {
                request.insert(k.into(), v.clone());
            }
        }
        let mut headers = Map::new();
        for h in HEADERS {
            if let Some(v) = header(h) {
                headers.insert((*h).into(), Value::from(norm_text(&v, &urls)));
            }
        }
        let mut rec = Map::new();
        rec.insert("request".into(), Value::Object(request));
        rec.insert("status".into(), Value::from(status));
        rec.insert("headers".into(), Value::Object(headers));
        rec.insert(
            "cookies".into(),
            Value::Array(set_cookies.iter().map(|c| norm_cookie(c)).collect()),
        );
        rec.insert("body".into(), body);
        out.push(Value::Object(rec));

        if let Some(Value::Object(capture)) = step.get("capture") {
            let json: Option<Value> = serde_json::from_str(&text).ok();
            for (var, path) in capture {
                let got = json
                    .as_ref()
                    .zip(path.as_str())
                    .and_then(|(j, p)| dig(j, p))
                    .map(python_str)
                    .unwrap_or_else(|| "<missing>".into());
                vars.insert(var.clone(), got);
            }
        }
    }
    let mut t = Map::new();
    t.insert(
        "name".into(),
        scenario.get("name").cloned().unwrap_or(Value::Null),
    );
    t.insert("steps".into(), Value::Array(out));
    Ok(Value::Object(t))
}

// ---------------------------------------------------------------------------------------
// Comparing (record.py's diff)
// ---------------------------------------------------------------------------------------

/// json.dumps with Python's defaults (ASCII only, `", "` and `": "` separators).
fn py_dumps(v: &Value) -> String {
    fn string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    fn value(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    value(x, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (k, x)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    string(k, out);
                    out.push_str(": ");
                    value(x, out);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    value(v, &mut out);
    out
}

fn short(v: &Value) -> String {
    py_dumps(v).chars().take(200).collect()
}

/// Python's type() of a JSON value.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "none",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn diff(a: &Value, b: &Value, path: &str) -> Vec<String> {
    if py_type(a) != py_type(b) {
        return vec![format!("{path}: {} != {}", short(a), short(b))];
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut lines = Vec::new();
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => lines.extend(diff(p, q, &format!("{path}.{k}"))),
                    (p, q) => {
                        let (which, v) = if p.is_some() {
                            ("first", p)
                        } else {
                            ("second", q)
                        };
                        lines.push(format!(
                            "{path}.{k}: only in {which}: {}",
                            short(v.unwrap_or(&Value::Null))
                        ));
                    }
                }
            }
            lines
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return vec![format!(
                    "{path}: length {} != {}: {} vs {}",
                    x.len(),
                    y.len(),
                    short(a),
                    short(b)
                )];
            }
            x.iter()
                .zip(y)
                .enumerate()
                .flat_map(|(i, (p, q))| diff(p, q, &format!("{path}[{i}]")))
                .collect()
        }
        _ if a == b => Vec::new(),
        _ => vec![format!("{path}: {} != {}", short(a), short(b))],
    }
}

/// Beyond record.py: the order of the keys of every body object, which a client parsing the
/// JSON rarely sees but a byte-wise comparison would.
fn key_order(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let kx: Vec<&String> = x.keys().filter(|k| y.contains_key(*k)).collect();
            let ky: Vec<&String> = y.keys().filter(|k| x.contains_key(*k)).collect();
            if kx != ky {
                out.push(format!("{path}: key order {kx:?} != {ky:?}"));
            }
            for (k, p) in x {
                if let Some(q) = y.get(k) {
                    key_order(p, q, &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                key_order(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn compare(want: &Value, got: &Value) -> Vec<String> {
    let (w, g) = (&want["steps"], &got["steps"]);
    let mut lines = diff(w, g, "$");
    if let (Some(ws), Some(gs)) = (w.as_array(), g.as_array()) {
        for (i, (p, q)) in ws.iter().zip(gs).enumerate() {
            key_order(&p["body"], &q["body"], &format!("$[{i}].body"), &mut lines);
        }
    }
    lines
}

// ---------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `conformance/pending.txt`: a scenario name per line, then the reason; `#` comments.
fn pending() -> HashMap<String, String> {
    let text = std::fs::read_to_string(conformance_dir().join("pending.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (name.to_string(), reason.trim().to_string())
        })
        .collect()
}

/// Scenarios that leave login throttle counters behind run on a server of their own.
fn needs_own_server(name: &str) -> bool {
    name.starts_with("throttle-")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = conformance_dir();
    let only = std::env::var("CONFORMANCE_ONLY").ok();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("scenarios"))
        .expect("conformance/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
    let pending = pending();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let external = std::env::var("CONFORMANCE_API").ok();
    let shared = match external {
        Some(_) => None,
        None => Some(common::oracle_server().await),
    };

    let (mut passed, mut failed, mut pending_failed) = (0, 0, 0);
    let mut report = String::new();
    for file in &files {
        let scenario = read_json(file);
        let name = scenario["name"].as_str().unwrap_or_default().to_string();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        if external.is_some() && needs_own_server(&name) && only.is_none() {
            continue;
        }
        let own = match &shared {
            Some(_) if needs_own_server(&name) => Some(common::oracle_server().await),
            _ => None,
        };
        let api = match (&external, own.as_ref().or(shared.as_ref())) {
            (Some(url), _) => url.clone(),
            (None, Some(server)) => server.api_url(),
            (None, None) => unreachable!("a server runs unless CONFORMANCE_API is set"),
        };
        let shown_as = external.is_none().then_some(GOLDEN_API);
        let problems = match run(&client, &api, shown_as, &scenario).await {
            Ok(got) => {
                if let Ok(dump) = std::env::var("CONFORMANCE_DUMP") {
                    let text = serde_json::to_string_pretty(&got).expect("JSON");
                    std::fs::create_dir_all(&dump).expect("dump directory");
                    std::fs::write(Path::new(&dump).join(format!("{name}.json")), text + "\n")
                        .expect("dump written");
                }
                let want = read_json(&dir.join("golden").join(format!("{name}.json")));
                compare(&want, &got)
            }
            Err(e) => vec![e],
        };
        if let Some(s) = own {
            s.server.stop().await;
        }
        if problems.is_empty() {
            passed += 1;
            if pending.contains_key(&name) {
                report.push_str(&format!("ok   {name} (listed in pending.txt: remove it)\n"));
            }
            continue;
        }
        let label = match pending.get(&name) {
            Some(reason) => {
                pending_failed += 1;
                format!("PENDING {name} ({reason})")
            }
            None => {
                failed += 1;
                format!("FAIL {name}")
            }
        };
        report.push_str(&label);
        report.push('\n');
        for line in problems.iter().take(20) {
            report.push_str(&format!("    {line}\n"));
        }
        if problems.len() > 20 {
            report.push_str(&format!("    … and {} more\n", problems.len() - 20));
        }
    }
    if let Some(s) = shared {
        s.server.stop().await;
    }
    let summary =
        format!("conformance: {passed} passed, {failed} failed, {pending_failed} pending");
    println!("{report}{summary}");
    assert!(failed == 0, "{report}{summary}");
}
