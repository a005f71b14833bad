//! Request parameters as MediaWiki's WebRequest sees them: POST body and query string merged
//! (the body wins), each name remembered as used or not so unknown ones can be reported.

use crate::request::ApiRequest;
use std::borrow::Cow;
use std::collections::HashMap;

/// One parameter name as the merged request holds it: borrowed from the request unless PHP
/// or WebRequest would have changed it.
#[derive(Debug)]
struct Entry<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
    /// The name came in the query string (whether or not the body's value won).
    in_query: bool,
    /// A module or the framework read it.
    used: bool,
    /// WebRequest had to clean the value (invalid or non-NFC text, C0 controls).
    cleaned: bool,
}

/// Requests carry a handful of parameters, so entries are searched in order; past this many a
/// hash index keeps a request of 1000 names (PHP's limit) from costing a million comparisons.
const INDEX_FROM: usize = 16;

#[derive(Debug, Default)]
pub struct Params<'a> {
    /// One entry per name, in the order `$_POST + $_GET` lists them.
    entries: Vec<Entry<'a>>,
    /// A bit per (length, first byte) class of the names present: a name whose bit is
    /// clear is absent without a search. Most look-ups are of absent names — ApiMain alone
    /// asks for some twenty a request lacks — and this was a tenth of a logged-in
    /// request's instructions in the request layer.
    present: u64,
    index: Option<HashMap<String, usize>>,
    /// Cleaned names read since the last [`Params::take_badutf8`].
    badutf8: Vec<String>,
}

/// The bit of `name`'s class in [`Params::present`].
#[inline]
fn name_class(name: &str) -> u64 {
    class_of(name.len(), name.as_bytes().first().copied())
}

/// The class of a name of `len` bytes starting with `first`.
#[inline]
fn class_of(len: usize, first: Option<u8>) -> u64 {
    1 << ((len * 7 + first.unwrap_or(0) as usize) % 64)
}

/// ParamValidator's default limit on the number of values of a multi-value parameter.
pub const MULTI_LIMIT: usize = 50;

impl<'a> Params<'a> {
    pub fn from_request(req: &'a ApiRequest<'_>) -> Params<'a> {
        let mut p = Params::default();
        // `$_POST + $_GET`: body names first, then query names the body lacks; within one
        // source PHP keeps the last of repeated names, and the body's value wins over the
        // query's.
        for (pairs, in_query) in [(&req.body, false), (&req.query, true)] {
            // Entries before this index came from the body (none while reading the body).
            let from_body = if in_query { p.entries.len() } else { 0 };
            for (name, value, cleaned) in php_input(pairs, true) {
                match p.find(&name) {
                    Some(i) if i < from_body => p.entries[i].in_query = true,
                    Some(i) => {
                        p.entries[i].value = value;
                        p.entries[i].cleaned = cleaned;
                    }
                    None => p.push(Entry {
                        name,
                        value,
                        in_query,
                        used: false,
                        cleaned,
                    }),
                }
            }
        }
        p
    }

    /// Whether `name` may be present: when false it is not (inlined into every look-up).
    #[inline]
    fn may_have(&self, name: &str) -> bool {
        self.present & name_class(name) != 0
    }

    /// Where `name` is, if present. `get` and `peek`, called some thirty times a request,
    /// make the mask check inline themselves and then call [`Params::search`].
    fn find(&self, name: &str) -> Option<usize> {
        if !self.may_have(name) {
            return None;
        }
        self.search(name)
    }

    fn search(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            // ApiMain alone asks for some twenty names a request lacks: compare the first
            // byte and the length before calling memcmp.
            None => {
                let first = name.as_bytes().first();
                self.entries.iter().position(|e| {
                    e.name.len() == name.len()
                        && e.name.as_bytes().first() == first
                        && e.name == name
                })
            }
        }
    }

    fn push(&mut self, entry: Entry<'a>) {
        let at = self.entries.len();
        self.present |= name_class(&entry.name);
        if let Some(index) = &mut self.index {
            index.insert(entry.name.to_string(), at);
        } else if at + 1 == INDEX_FROM {
            let mut index: HashMap<String, usize> = HashMap::with_capacity(2 * INDEX_FROM);
            for (i, e) in self.entries.iter().enumerate() {
                index.insert(e.name.to_string(), i);
            }
            index.insert(entry.name.to_string(), at);
            self.index = Some(index);
        }
        self.entries.push(entry);
    }

    /// The value of `name`, marking it used. Asking for an absent name records nothing.
    #[inline]
    pub fn get(&mut self, name: &str) -> Option<&str> {
        if !self.may_have(name) {
            return None;
        }
        self.get_present(name)
    }

    fn get_present(&mut self, name: &str) -> Option<&str> {
        let i = self.search(name)?;
        self.mark(i);
        Some(&self.entries[i].value)
    }

    /// Marks the entry at `i` used, noting it for `badutf8` the first time if WebRequest
    /// cleaned it.
    fn mark(&mut self, i: usize) {
        let entry = &mut self.entries[i];
        if !entry.used {
            entry.used = true;
            if entry.cleaned {
                self.badutf8.push(entry.name.to_string());
            }
        }
    }

    /// Marks the parameter `prefix` + `name` used, as reading it would: the framework's
    /// part for a module's declared parameters.
    pub fn mark_used(&mut self, prefix: &str, name: &str) {
        if let Some(i) = self.find_prefixed(prefix, name) {
            self.mark(i);
        }
    }

    /// [`Params::get`] of `prefix` + `name` (a module's parameter).
    pub fn get_prefixed(&mut self, prefix: &str, name: &str) -> Option<&str> {
        let i = self.find_prefixed(prefix, name)?;
        self.mark(i);
        Some(&self.entries[i].value)
    }

    /// Where `prefix` + `name` is, if present. The name is not put together unless the
    /// request is large enough to be indexed.
    fn find_prefixed(&self, prefix: &str, name: &str) -> Option<usize> {
        let len = prefix.len() + name.len();
        let first = prefix
            .as_bytes()
            .first()
            .or(name.as_bytes().first())
            .copied();
        if self.present & class_of(len, first) == 0 {
            return None;
        }
        match &self.index {
            Some(index) => index.get(&format!("{prefix}{name}")).copied(),
            None => self
                .entries
                .iter()
                .position(|e| e.name.len() == len && e.name.strip_prefix(prefix) == Some(name)),
        }
    }

    /// The cleaned parameters read since the last call: each deserves MediaWiki's `badutf8`
    /// warning from the module that read it.
    pub fn take_badutf8(&mut self) -> Vec<String> {
        std::mem::take(&mut self.badutf8)
    }

    /// Reads without marking the name used (for framework peeks such as `callback`).
    #[inline]
    pub fn peek(&self, name: &str) -> Option<&str> {
        if !self.may_have(name) {
            return None;
        }
        self.search(name).map(|i| &*self.entries[i].value)
    }

    pub fn has(&mut self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether a name came in the query string (mustpostparams).
    pub fn in_query(&self, name: &str) -> bool {
        self.find(name).is_some_and(|i| self.entries[i].in_query)
    }

    /// Boolean parameters are true when present, whatever the value (even empty), as in
    /// MediaWiki.
    pub fn flag(&mut self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn unused(&self) -> Vec<String> {
        self.unused_indexed().into_iter().map(|(_, n)| n).collect()
    }

    /// The unused names with their positions among all names (the keys array_diff keeps).
    pub fn unused_indexed(&self) -> Vec<(usize, String)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.used)
            .map(|(i, e)| (i, e.name.to_string()))
            .collect()
    }
}

/// PHP's `max_input_vars`: variables past the first 1000 of a source are dropped.
pub const MAX_INPUT_VARS: usize = 1000;

/// What PHP and WebRequest make of raw pairs before MediaWiki sees them: at most
/// [`MAX_INPUT_VARS`] of them; names cut at a NUL byte, with spaces and dots turned into
/// underscores (PHP's register_variable); values in Unicode NFC (UtfNormal\Validator).
/// The one place for api.php's parameters and the pages' fields alike (index.php reads
/// every input through the same WebRequest). `api`: ApiParamValidatorCallbacks::getValue
/// keeps the separators of a value that starts with U+001F (a multi-value); a page's
/// WebRequest turns them into U+FFFD like any C0 control.
pub(crate) fn php_input<'p>(
    pairs: &'p [(Cow<'_, str>, Cow<'_, str>)],
    api: bool,
) -> impl Iterator<Item = (Cow<'p, str>, Cow<'p, str>, bool)> {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    pairs.iter().take(MAX_INPUT_VARS).filter_map(move |(k, v)| {
        let (k, v): (&'p str, &'p str) = (k, v);
        let name: Cow<'_, str> = if k.bytes().any(|b| matches!(b, b'\0' | b' ' | b'.')) {
            k.split('\0')
                .next()
                .unwrap_or("")
                .trim_start_matches(' ')
                .replace([' ', '.'], "_")
                .into()
        } else {
            Cow::Borrowed(k)
        };
        if name.is_empty() {
            return None;
        }
        // UtfNormal\Validator::cleanUp: C0 controls but tab, LF and CR become U+FFFD
        // (invalid UTF-8 already did, when the HTTP layer decoded it), then NFC.
        // ApiBase keeps a multi-value that starts with U+001F raw: its separators stay.
        let unit_separated = api && v.starts_with('\u{1f}');
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
        // Most values are plain printable ASCII: nothing to clean, nothing to copy.
        let plain = v.bytes().all(|b| (0x20..0x7f).contains(&b));
        if plain {
            return Some((name, Cow::Borrowed(v), false));
        }
        let value: String = match is_nfc_quick(v.chars()) {
            IsNormalized::Yes => v.chars().map(controls_out).collect(),
            _ => v.nfc().map(controls_out).collect(),
        };
        // A U+FFFD already there most likely replaced invalid UTF-8 in the HTTP layer.
        let cleaned = value != v || v.contains('\u{FFFD}');
        Some((name, Cow::Owned(value), cleaned))
    })
}

/// ParamValidator::explodeMultiValue: `|`-separated, or U+001F-separated when the value
/// starts with U+001F. An empty value is no values.
pub fn split_multi(value: &str) -> Vec<String> {
    split_multi_iter(value).map(str::to_string).collect()
}

/// [`split_multi`] without copying the values.
pub fn split_multi_iter(value: &str) -> impl Iterator<Item = &str> {
    let (list, separator) = match value.strip_prefix('\u{1f}') {
        Some(rest) => (rest, '\u{1f}'),
        None => (value, '|'),
    };
    // An empty value is no values (not one empty one).
    list.split(separator).filter(move |_| !value.is_empty())
}

/// What ParamValidator::validateValue makes of a multi-value enum parameter.
#[derive(Debug, PartialEq, Eq)]
pub enum MultiEnum<'v, 'r> {
    /// PARAM_ALL's `*`, alone: every allowed value, in the declared order. It is checked
    /// before the limit and the values, so `*` with another value is an unrecognized value.
    All,
    /// More values than the limit (their number).
    TooMany(usize),
    /// The allowed values given, in the order given, each once (borrowed from `allowed`);
    /// and every unrecognized one, repeats included, as ParamValidator reports them.
    Values(Vec<&'v str>, Vec<&'r str>),
}

pub fn validate_multi_enum<'v, 'r>(
    raw: &'r str,
    allowed: &[&'v str],
    all: bool,
    limit: usize,
) -> MultiEnum<'v, 'r> {
    let mut values = split_multi_iter(raw);
    if all && values.next() == Some(ALL_SPECIFIER) && values.next().is_none() {
        return MultiEnum::All;
    }
    let count = split_multi_iter(raw).count();
    if count > limit {
        return MultiEnum::TooMany(count);
    }
    let mut good: Vec<&'v str> = Vec::with_capacity(count);
    let mut bad: Vec<&'r str> = Vec::new();
    for v in split_multi_iter(raw) {
        match allowed.iter().find(|a| **a == v) {
            Some(a) if !good.contains(a) => good.push(a),
            Some(_) => {}
            None => bad.push(v),
        }
    }
    MultiEnum::Values(good, bad)
}

/// ParamValidator::ALL_DEFAULT_STRING: the value standing for every value of a parameter
/// declared with PARAM_ALL.
pub const ALL_SPECIFIER: &str = "*";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sharing_a_class_are_told_apart_and_absent_ones_are_absent() {
        let mut req = ApiRequest::new("GET");
        // Same length and first byte: one bit of `present` for both.
        req.query = vec![("ab".into(), "1".into()), ("ac".into(), "2".into())];
        let mut p = Params::from_request(&req);
        assert_eq!(name_class("ab"), name_class("ac"));
        assert_eq!(p.peek("ab"), Some("1"));
        assert_eq!(p.get("ac"), Some("2"));
        assert_eq!(p.peek("ad"), None);
        assert_eq!(p.peek("format"), None);
        assert_eq!(p.peek(""), None);
        assert_eq!(p.unused(), vec!["ab".to_string()]);
    }

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
            .extend((0..2000).map(|i| (format!("p{i}").into(), "v".into())));
        let mut p = Params::from_request(&req);
        assert_eq!(p.get("lg_name"), Some("\u{e9}"));
        assert_eq!(p.get("a_b"), Some("1"));
        assert_eq!(p.get("x"), Some("2"));
        assert_eq!(p.get("p996"), Some("v"));
        assert_eq!(p.get("p997"), None, "the 1001st variable is dropped");
    }

    #[test]
    fn star_alone_means_every_value_of_a_param_all_parameter() {
        let allowed = ["b", "a", "c"];
        let v = |raw, all| validate_multi_enum(raw, &allowed, all, MULTI_LIMIT);
        assert_eq!(v("*", true), MultiEnum::All);
        assert_eq!(v("\u{1f}*", true), MultiEnum::All);
        // Without PARAM_ALL, or beside other values, `*` is a value like any other.
        assert_eq!(v("*", false), MultiEnum::Values(vec![], vec!["*"]));
        assert_eq!(v("*|a", true), MultiEnum::Values(vec!["a"], vec!["*"]));
        assert_eq!(v("*|*", true), MultiEnum::Values(vec![], vec!["*", "*"]));
        assert_eq!(
            v("a|x|a|x", true),
            MultiEnum::Values(vec!["a"], vec!["x", "x"])
        );
        assert_eq!(v("", true), MultiEnum::Values(vec![], vec![]));
        let many = ["a"; 51].join("|");
        assert_eq!(v(&many, true), MultiEnum::TooMany(51));
        let many = format!("*|{}", ["a"; 50].join("|"));
        assert_eq!(v(&many, true), MultiEnum::TooMany(51));
    }

    #[test]
    fn prefixed_names_are_found_without_putting_them_together() {
        let mut req = ApiRequest::new("GET");
        req.query = vec![("uiprop".into(), "*".into()), ("prop".into(), "x".into())];
        let mut p = Params::from_request(&req);
        assert_eq!(p.get_prefixed("ui", "prop"), Some("*"));
        assert_eq!(p.get_prefixed("si", "prop"), None);
        assert_eq!(p.get_prefixed("", "uiprop"), Some("*"));
        assert_eq!(p.unused(), vec!["prop".to_string()]);
        p.mark_used("", "prop");
        assert!(p.unused().is_empty());
        // A request large enough to be indexed finds them too.
        req.query
            .extend((0..20).map(|i| (format!("p{i}").into(), "v".into())));
        let mut p = Params::from_request(&req);
        p.mark_used("p", "19");
        assert_eq!(p.get_prefixed("ui", "prop"), Some("*"));
        assert_eq!(p.unused().len(), 20);
    }

    #[test]
    fn multi_values() {
        assert_eq!(split_multi("a|b"), ["a", "b"]);
        assert_eq!(split_multi("\u{1f}a|b\u{1f}c"), ["a|b", "c"]);
        assert!(split_multi("").is_empty());
    }
}
