//! The text form of the api_execute and request_parser inputs, readable and easy to seed
//! from conformance/scenarios:
//!
//! ```text
//! POST action=login&format=json          method, space, the query string (urlencoded)
//! lgname=Alice&lgtoken={logintoken}      the urlencoded body (may be empty)
//! origin: https://evil.example           optional header lines; `cookie:` adds cookies,
//! --                                     `x-client-ip:` sets the client address;
//! GET action=query&meta=userinfo         a line `--` starts the next request (at most 4)
//! ```
//!
//! Placeholders in decoded values: `{logintoken}`, `{csrftoken}`, `{createaccounttoken}` (the
//! last such token any earlier response carried), `{password}`, `{botpassword}` (the fuzz
//! accounts' real passwords), `{secret}` (a marker that must never be echoed).

use std::net::IpAddr;

pub const MAX_STEPS: usize = 4;

/// Never echoed when sent only as a password: checked in every response.
pub const SECRET: &str = "S3cr3tFuzzMarker7Q9x";

#[derive(Debug, Default, Clone)]
pub struct Step {
    pub method: String,
    pub query: Vec<(String, String)>,
    pub body: Vec<(String, String)>,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub cookie_header: Option<String>,
    pub client_ip: Option<IpAddr>,
}

pub fn parse(input: &[u8]) -> Vec<Step> {
    let text = String::from_utf8_lossy(input);
    text.split("\n--\n")
        .take(MAX_STEPS)
        .map(parse_step)
        .collect()
}

pub fn parse_step(text: &str) -> Step {
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let (method, query) = first.split_once(' ').unwrap_or((first, ""));
    let mut step = Step {
        method: method.to_ascii_uppercase(),
        query: form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
        body: form_urlencoded::parse(lines.next().unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        ..Step::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        match name.as_str() {
            "cookie" => step.cookie_header = Some(value),
            "x-client-ip" => step.client_ip = value.parse().ok(),
            _ => step.headers.push((name, value)),
        }
    }
    step
}

/// Encodes a request in the text form (for the seed corpus).
pub fn encode(method: &str, query: &[(String, String)], body: &[(String, String)]) -> String {
    let enc = |pairs: &[(String, String)]| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    format!("{method} {}\n{}", enc(query), enc(body))
}
