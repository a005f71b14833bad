//! Request parameters as MediaWiki's WebRequest sees them: POST body and query string merged
//! (the body wins), each name remembered as used or not so unknown ones can be reported.

use super::request::ApiRequest;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    /// Names in the order `$_POST + $_GET` lists them.
    order: Vec<String>,
    in_query: HashSet<String>,
    used: HashSet<String>,
    /// Names whose value WebRequest had to clean (invalid or non-NFC text, C0 controls).
    cleaned: HashSet<String>,
    /// Cleaned names read since the last [`Params::take_badutf8`].
    badutf8: Vec<String>,
}

/// ParamValidator's default limit on the number of values of a multi-value parameter.
pub const MULTI_LIMIT: usize = 50;

impl Params {
    pub fn from_request(req: &ApiRequest) -> Params {
        let mut p = Params::default();
        let mut body = php_input(&req.body);
        let mut query = php_input(&req.query);
        for (name, _, cleaned) in body.iter().chain(query.iter()) {
            if *cleaned {
                p.cleaned.insert(name.clone());
            }
        }
        let body: Vec<(String, String)> = body.drain(..).map(|(k, v, _)| (k, v)).collect();
        let query: Vec<(String, String)> = query.drain(..).map(|(k, v, _)| (k, v)).collect();
        // PHP keeps the last of repeated names within one source.
        let mut post: Vec<(&str, &str)> = Vec::new();
        for (k, v) in &body {
            match post.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v,
                None => post.push((k, v)),
            }
        }
        for (k, v) in &query {
            p.in_query.insert(k.clone());
            if !post.iter().any(|(n, _)| n == k) {
                if !p.values.contains_key(k) {
                    p.order.push(k.clone());
                }
                p.values.insert(k.clone(), v.clone());
            }
        }
        let query_names = std::mem::take(&mut p.order);
        for (k, v) in post {
            p.order.push(k.to_string());
            p.values.insert(k.to_string(), v.to_string());
        }
        p.order.extend(query_names);
        p
    }

    /// The value of `name`, marking it used.
    pub fn get(&mut self, name: &str) -> Option<&str> {
        if self.used.insert(name.to_string()) && self.cleaned.contains(name) {
            self.badutf8.push(name.to_string());
        }
        self.values.get(name).map(String::as_str)
    }

    /// The cleaned parameters read since the last call: each deserves MediaWiki's `badutf8`
    /// warning from the module that read it.
    pub fn take_badutf8(&mut self) -> Vec<String> {
        std::mem::take(&mut self.badutf8)
    }

    /// Reads without marking the name used (for framework peeks such as `callback`).
    pub fn peek(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn has(&mut self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether a name came in the query string (mustpostparams).
    pub fn in_query(&self, name: &str) -> bool {
        self.in_query.contains(name)
    }

    /// Boolean parameters are true when present, whatever the value (even empty), as in
    /// MediaWiki.
    pub fn flag(&mut self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn unused(&self) -> Vec<String> {
        self.order
            .iter()
            .filter(|n| !self.used.contains(*n))
            .cloned()
            .collect()
    }

    /// The unused names with their positions among all names (the keys array_diff keeps).
    pub fn unused_indexed(&self) -> Vec<(usize, String)> {
        self.order
            .iter()
            .enumerate()
            .filter(|(_, n)| !self.used.contains(*n))
            .map(|(i, n)| (i, n.clone()))
            .collect()
    }
}

/// PHP's `max_input_vars`: variables past the first 1000 of a source are dropped.
pub const MAX_INPUT_VARS: usize = 1000;

/// What PHP and WebRequest make of raw pairs before MediaWiki sees them: at most
/// [`MAX_INPUT_VARS`] of them; names cut at a NUL byte, with spaces and dots turned into
/// underscores (PHP's register_variable); values in Unicode NFC (UtfNormal\Validator).
fn php_input(pairs: &[(String, String)]) -> Vec<(String, String, bool)> {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    pairs
        .iter()
        .take(MAX_INPUT_VARS)
        .filter_map(|(k, v)| {
            let name: String = k
                .split('\0')
                .next()
                .unwrap_or("")
                .trim_start_matches(' ')
                .replace([' ', '.'], "_");
            if name.is_empty() {
                return None;
            }
            // UtfNormal\Validator::cleanUp: C0 controls but tab, LF and CR become U+FFFD
            // (invalid UTF-8 already did, when the HTTP layer decoded it), then NFC.
            // ApiBase keeps a multi-value that starts with U+001F raw: its separators stay.
            let unit_separated = v.starts_with('\u{1f}');
            let controls_out = |c: char| {
                if (c as u32) < 0x20
                    && !matches!(c, '\t' | '\n' | '\r')
                    && !(unit_separated && c == '\u{1f}')
                {
                    '\u{FFFD}'
                } else {
                    c
                }
            };
            let value: String = match is_nfc_quick(v.chars()) {
                IsNormalized::Yes => v.chars().map(controls_out).collect(),
                _ => v.nfc().map(controls_out).collect(),
            };
            // A U+FFFD already there most likely replaced invalid UTF-8 in the HTTP layer.
            let cleaned = value != *v || v.contains('\u{FFFD}');
            Some((name, value, cleaned))
        })
        .collect()
}

/// ParamValidator::explodeMultiValue: `|`-separated, or U+001F-separated when the value
/// starts with U+001F. An empty value is no values.
pub fn split_multi(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    if let Some(rest) = value.strip_prefix('\u{1f}') {
        return rest.split('\u{1f}').map(str::to_string).collect();
    }
    value.split('|').map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_wins_and_order_is_post_then_get() {
        let mut req = ApiRequest::new("POST");
        req.query = vec![
            ("a".into(), "q".into()),
            ("token".into(), "t1".into()),
            ("a".into(), "q2".into()),
        ];
        req.body = vec![("token".into(), "t2".into()), ("b".into(), "1".into())];
        let mut p = Params::from_request(&req);
        assert_eq!(p.get("token"), Some("t2"));
        assert_eq!(p.get("a"), Some("q2"));
        assert!(p.in_query("token"));
        assert_eq!(p.unused(), vec!["b".to_string()]);
    }

    #[test]
    fn input_is_cleaned_as_php_and_webrequest_do() {
        let mut req = ApiRequest::new("GET");
        req.query = vec![
            ("lg name".into(), "e\u{301}".into()),
            ("a.b".into(), "1".into()),
            ("x\0y".into(), "2".into()),
        ];
        req.query
            .extend((0..2000).map(|i| (format!("p{i}"), "v".to_string())));
        let mut p = Params::from_request(&req);
        assert_eq!(p.get("lg_name"), Some("\u{e9}"));
        assert_eq!(p.get("a_b"), Some("1"));
        assert_eq!(p.get("x"), Some("2"));
        assert_eq!(p.get("p996"), Some("v"));
        assert_eq!(p.get("p997"), None, "the 1001st variable is dropped");
    }

    #[test]
    fn multi_values() {
        assert_eq!(split_multi("a|b"), ["a", "b"]);
        assert_eq!(split_multi("\u{1f}a|b\u{1f}c"), ["a|b", "c"]);
        assert!(split_multi("").is_empty());
    }
}
