//! The languages of the API's messages, as MediaWiki 1.39 chooses and renders them.
//!
//! ## Choosing a language (ApiMain::__construct, RequestContext, LanguageFactory)
//!
//! - `uselang` (default `user`): `user` is the user's `language` preference, which is the
//!   content language `en` for everyone (mwauth keeps no preferences); `content` is `en`;
//!   anything else is lower-cased (ASCII), replaced by `en` when it is empty, `qqq` or not a
//!   *valid* code (LanguageNameUtils::isValidCode: at most 128 bytes, none of
//!   `:/\&<>'"#[]{}|`, no control character, no `%XX`), then mapped through
//!   `$wgDummyLanguageCodes` (`als` → `gsw`, `no` → `nb`, `simple` → `en`, `de-x-formal` →
//!   `de-formal`, …). A valid code MediaWiki has no data for (`xx`, `de_at`) is kept — and
//!   reported by `responselanginfo` — but speaks English.
//! - `errorlang` (default `uselang`): `uselang` is the user language, `content` is `en`,
//!   anything else goes through the same sanitizing and mapping. Only the non-`bc` error
//!   formats use it; `bc` always speaks English (`responselanginfo` then reports `en`).
//! - `errorsuselocal` lets messages come from the wiki's MediaWiki: namespace; mwauth has
//!   no such pages, so it changes nothing (as on a wiki that has none).
//!
//! ## Finding a message (MessageCache::get, LocalisationCache)
//!
//! A code of the built-in form `^[a-z0-9-]{2,}$` looks in its own translations, then in
//! those of its `$fallback` languages (Messages*.php, e.g. `de-at` → `de`, `nds-nl` → `nl`),
//! then in English; any other valid code looks in English only. English comes from
//! [`messages::raw`], the catalogue of record; every other language from the data extracted
//! from MediaWiki's i18n files by `crates/mwauth/data/i18n/extract.py`
//! (`crates/mwauth/data/i18n/i18n.json`, embedded and parsed once). `&#32;`, `&nbsp;`,
//! `&#160;` and `&shy;` in a message become the characters, as MessageCache does. In `qqx`
//! every message is `(key: $1, $2, …)`.
//!
//! ## Rendering (Message::format)
//!
//! Parameters of the kinds `params()`, `numParams()`, `durationParams()` and comma lists
//! are substituted before the text is transformed, `plaintextParams()` after it (and
//! HTML-escaped in `html`). The transformation expands, innermost first:
//! - `{{PLURAL:n|…}}` with explicit `k=` forms and the language's CLDR rules (plurals.xml
//!   overridden by plurals-mediawiki.xml, found along the fallback chain; all 203 rule sets
//!   MediaWiki ships, evaluated as CLDRPluralRuleParser does), and LanguageKsh's own rule;
//! - `{{GENDER:user|…}}`: the neutral form (no user has a gender preference);
//! - `{{GRAMMAR:case|word}}`: the word (the only such use among mwauth's messages is
//!   Slovenian `rodilnik`, which LanguageSl leaves unchanged);
//! - `{{SITENAME}}` and `{{ns:project}}`: the site name.
//!
//! Anything else in braces stays as it is (MediaWiki would transclude a missing template).
//! Numbers are formatted as Language::formatNum does: ICU's digits and grouping for the code
//! (recorded from PHP's NumberFormatter), `$separatorTransformTable`,
//! `$minimumGroupingDigits` and `$digitTransformTable`; durations (Language::formatDuration)
//! and lists use the language's `duration-*`, `and`, `word-separator` and `comma-separator`
//! messages.
//!
//! In `html`, the transformed text goes through the parser steps these messages need:
//! Sanitizer::removeHTMLtags (unknown tags escaped, `xml:lang` dropped),
//! normalizeCharReferences, apostrophe quotes (italic, bold), links and free URLs (`html_of`
//! in `error.rs`), and tidy's text-node pass (U+00A0 written `&#160;`, French spaces
//! armored).

use super::catalogue as messages;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../data/i18n/i18n.json");

/// `$wgLanguageCode`.
pub const CONTENT_LANGUAGE: &str = "en";

#[derive(Deserialize)]
struct Data {
    aliases: HashMap<String, String>,
    fallback: HashMap<String, Vec<String>>,
    plural: HashMap<String, Vec<String>>,
    digits: HashMap<String, String>,
    /// Grouping and decimal separator; empty: the language says it has no table.
    separators: HashMap<String, Vec<String>>,
    mingrouping: HashMap<String, usize>,
    /// ICU's digits, grouping separator and primary and secondary grouping sizes.
    icu: HashMap<String, (String, String, usize, usize)>,
    messages: HashMap<String, HashMap<String, String>>,
}

struct Catalogue {
    data: Data,
    plural: HashMap<String, Vec<Condition>>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let data: Data = serde_json::from_str(DATA).expect("data/i18n/i18n.json is valid");
        let plural = data
            .plural
            .iter()
            .map(|(code, rules)| {
                let rules = rules.iter().map(|r| parse_condition(r)).collect();
                (code.clone(), rules)
            })
            .collect();
        Catalogue { data, plural }
    })
}

// ---------------------------------------------------------------------------------------
// Choosing the language
// ---------------------------------------------------------------------------------------

/// LanguageNameUtils::isValidCode.
pub fn is_valid_code(code: &str) -> bool {
    let b = code.as_bytes();
    let bad_byte = |c: u8| c < 0x20 || c == 0x7f || b":/\\&<>'\"#[]{}|".contains(&c);
    let percent_escape = b
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    b.len() <= 128 && !b.iter().any(|&c| bad_byte(c)) && !percent_escape
}

/// LanguageNameUtils::isValidBuiltInCode: codes that can have translations.
pub fn is_builtin_code(code: &str) -> bool {
    code.len() >= 2
        && code
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// RequestContext::sanitizeLangCode.
pub fn sanitize_code(code: &str) -> String {
    // PHP's `!$code` is also true for "0".
    if code.is_empty() || code == "0" {
        return CONTENT_LANGUAGE.to_string();
    }
    let code = code.to_ascii_lowercase();
    if !is_valid_code(&code) || code == "qqq" {
        return CONTENT_LANGUAGE.to_string();
    }
    code
}

/// LanguageFactory::getLanguage: the code of the language object for a sanitized code.
pub fn canonical_code(code: &str) -> String {
    catalogue()
        .data
        .aliases
        .get(code)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// The user language's code for a `uselang` value (absent: `user`).
pub fn user_language(uselang: Option<&str>) -> Cow<'static, str> {
    match uselang.unwrap_or("user") {
        // The user's `language` preference: mwauth keeps no preferences, so the default.
        "user" | "content" => Cow::Borrowed(CONTENT_LANGUAGE),
        other => {
            let code = sanitize_code(other);
            if code == CONTENT_LANGUAGE {
                Cow::Borrowed(CONTENT_LANGUAGE)
            } else {
                Cow::Owned(canonical_code(&code))
            }
        }
    }
}

/// The error formatter's language code for an `errorlang` value (absent: `uselang`).
pub fn error_language(errorlang: Option<&str>, user_language: &str) -> Cow<'static, str> {
    match errorlang.unwrap_or("uselang") {
        "uselang" if user_language == CONTENT_LANGUAGE => Cow::Borrowed(CONTENT_LANGUAGE),
        "uselang" => Cow::Owned(user_language.to_string()),
        "content" => Cow::Borrowed(CONTENT_LANGUAGE),
        other => Cow::Owned(canonical_code(&sanitize_code(other))),
    }
}

// ---------------------------------------------------------------------------------------
// A language
// ---------------------------------------------------------------------------------------

/// A language messages are rendered in, and the site name its messages may mention.
/// Borrowed where it can be: a request makes two, and English with the configured site
/// name, by far the most common, then costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lang<'s> {
    code: Cow<'static, str>,
    sitename: Cow<'s, str>,
}

impl<'s> Lang<'s> {
    pub fn new(code: impl Into<Cow<'static, str>>, sitename: &'s str) -> Lang<'s> {
        Lang {
            code: code.into(),
            sitename: Cow::Borrowed(sitename),
        }
    }

    /// English, the content language (and the only language of `errorformat=bc`).
    pub fn en() -> Lang<'static> {
        Lang::new(CONTENT_LANGUAGE, "MediaWiki")
    }

    /// The same language owning its site name, to outlive the configuration it borrows.
    pub fn into_owned(self) -> Lang<'static> {
        Lang {
            code: self.code,
            sitename: Cow::Owned(self.sitename.into_owned()),
        }
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn is_qqx(&self) -> bool {
        self.code == "qqx"
    }

    /// The languages whose data this one uses, most specific first, ending in English
    /// (LocalisationCache's fallbackSequence; a shallow fallback to English for codes that
    /// cannot have data of their own).
    fn chain(&self) -> Vec<&str> {
        let mut chain = Vec::new();
        if is_builtin_code(&self.code) && self.code != CONTENT_LANGUAGE {
            chain.push(&*self.code);
            if let Some(f) = catalogue().data.fallback.get(&*self.code) {
                chain.extend(
                    f.iter()
                        .map(String::as_str)
                        .filter(|c| *c != CONTENT_LANGUAGE),
                );
            }
        }
        chain.push(CONTENT_LANGUAGE);
        chain
    }

    /// The first language of the chain with a value in `table`.
    fn inherited<'t, T>(&self, table: &'t HashMap<String, T>) -> Option<&'t T> {
        self.chain().into_iter().find_map(|c| table.get(c))
    }

    /// MessageCache::get: the raw text of a message in this language (`None`: no language
    /// of the chain has it). In `qqx`, the special text `($*)`.
    pub fn fetch(&self, key: &str) -> Option<String> {
        if self.is_qqx() {
            return Some("($*)".to_string());
        }
        // English from the catalogue of record needs no data (nor its parsing).
        let data = || &catalogue().data;
        let text = self.chain().into_iter().find_map(|c| {
            if c == CONTENT_LANGUAGE {
                messages::raw(key)
                    .map(str::to_string)
                    .or_else(|| data().messages.get(c)?.get(key).cloned())
            } else {
                data().messages.get(c)?.get(key).cloned()
            }
        })?;
        Some(
            text.replace("&#32;", " ")
                .replace("&nbsp;", "\u{a0}")
                .replace("&#160;", "\u{a0}")
                .replace("&shy;", "\u{ad}"),
        )
    }

    /// Message::text(): the message as wikitext, templates expanded, every parameter in.
    /// A key no language has stays the key (as mwauth's English catalogue always did).
    pub fn text(&self, key: &str, params: &[Param]) -> String {
        self.render(key, params, None)
    }

    /// Message::parse(): `parse` turns the transformed wikitext into HTML; plaintext
    /// parameters are put in afterwards, escaped.
    pub fn html(&self, key: &str, params: &[Param], parse: &dyn Fn(&str) -> String) -> String {
        self.render(key, params, Some(parse))
    }

    fn render(
        &self,
        key: &str,
        params: &[Param],
        parse: Option<&dyn Fn(&str) -> String>,
    ) -> String {
        let html = parse.is_some();
        let mut string = self.fetch(key).unwrap_or_else(|| key.to_string());
        if self.is_qqx() && string.contains("$*") {
            if string == "($*)" {
                string = format!("({key}$*)");
            }
            let list = if params.is_empty() {
                String::new()
            } else {
                let vars: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
                format!(": {}", vars.join(", "))
            };
            string = string.replace("$*", &list);
        }
        let extracted: Vec<(bool, String)> = params.iter().map(|p| self.extract(p, html)).collect();
        let before: Vec<Option<&str>> = extracted
            .iter()
            .map(|(b, v)| b.then_some(v.as_str()))
            .collect();
        let after: Vec<Option<&str>> = extracted
            .iter()
            .map(|(b, v)| (!b).then_some(v.as_str()))
            .collect();
        let mut out = substitute(&string, &before);
        out = self.expand(&out);
        if let Some(parse) = parse {
            let prepared = do_quotes(&normalize_char_refs(&sanitize_tags(&out)));
            out = armor_french_spaces(&parse(&prepared));
        }
        substitute(&out, &after)
    }

    /// Message::extractParam: whether the parameter goes in before the transformation,
    /// and its text.
    fn extract(&self, p: &Param, html: bool) -> (bool, String) {
        match p {
            Param::Plain(s) => (true, s.clone()),
            Param::Int(n) => (true, n.to_string()),
            Param::Plaintext(s) => (false, if html { html_escape(s) } else { s.clone() }),
            Param::Num(n) => (true, self.format_num(*n)),
            Param::Duration(s) => (true, self.format_duration(*s)),
            Param::List(kind, items) => {
                let parts: Vec<(bool, String)> =
                    items.iter().map(|(_, i)| self.extract(i, html)).collect();
                // Mixed lists go in after, as MediaWiki's RawMessage detour does.
                let before = parts.iter().all(|(b, _)| *b);
                let values: Vec<String> = parts.into_iter().map(|(_, v)| v).collect();
                let text = match kind {
                    ListType::Comma => self.comma_list(&values),
                    ListType::Text => self.list_to_text(&values),
                };
                (before, text)
            }
        }
    }

    /// A message with no parameters, as Message::escaped() gives it (the separators and
    /// durations have no markup to escape).
    fn plain_message(&self, key: &str, params: &[Param]) -> String {
        self.text(key, params)
    }

    /// Language::commaList.
    pub fn comma_list(&self, items: &[String]) -> String {
        items.join(&self.plain_message("comma-separator", &[]))
    }

    /// Language::listToText: "a, b and c".
    pub fn list_to_text(&self, items: &[String]) -> String {
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => {
                let comma = if items.len() > 2 {
                    self.plain_message("comma-separator", &[])
                } else {
                    String::new()
                };
                format!(
                    "{}{}{}{last}",
                    rest.join(&comma),
                    self.plain_message("and", &[]),
                    self.plain_message("word-separator", &[])
                )
            }
        }
    }

    /// Language::formatDuration with the default intervals.
    pub fn format_duration(&self, seconds: u64) -> String {
        const INTERVALS: &[(&str, u64)] = &[
            ("millennia", 31_556_952_000),
            ("centuries", 3_155_695_200),
            ("decades", 315_569_520),
            ("years", 31_556_952),
            ("days", 86_400),
            ("hours", 3_600),
            ("minutes", 60),
            ("seconds", 1),
        ];
        let mut left = seconds;
        let mut segments = Vec::new();
        for (i, (name, length)) in INTERVALS.iter().enumerate() {
            let value = left / length;
            let smallest = i == INTERVALS.len() - 1;
            if value > 0 || (smallest && segments.is_empty()) {
                left -= value * length;
                let key = format!("duration-{name}");
                segments.push(self.plain_message(&key, &[Param::Num(value as i64)]));
            }
        }
        self.list_to_text(&segments)
    }

    /// Language::formatNum for an integer: ICU's NumberFormatter for the code (its digits
    /// and grouping, the separator overridden by `$separatorTransformTable`), skipped for
    /// numbers too short for `$minimumGroupingDigits`; then `$digitTransformTable`.
    pub fn format_num(&self, n: i64) -> String {
        let data = &catalogue().data;
        let digits = n.unsigned_abs().to_string();
        let root = ("0123456789".to_string(), ",".to_string(), 0, 0);
        let (icu_digits, icu_group, primary, secondary) =
            data.icu.get(&*self.code).unwrap_or(&root);
        let min_grouping = self.inherited(&data.mingrouping).copied().unwrap_or(0);
        let formatted = if min_grouping > 0 && digits.len() < min_grouping + primary {
            digits
        } else {
            let group = match self.inherited(&data.separators) {
                Some(table) if !table.is_empty() => table[0].as_str(),
                _ => icu_group.as_str(),
            };
            let native: Vec<char> = icu_digits.chars().collect();
            let len = digits.len();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                let left = len - i;
                if i > 0 && *primary > 0 {
                    let secondary = if *secondary > 0 { *secondary } else { *primary };
                    let boundary = left == *primary
                        || (left > *primary && (left - primary).is_multiple_of(secondary));
                    if boundary {
                        out.push_str(group);
                    }
                }
                match c.to_digit(10) {
                    Some(d) if native.len() == 10 => out.push(native[d as usize]),
                    _ => out.push(c),
                }
            }
            out
        };
        let translated: String = match self.inherited(&data.digits) {
            Some(table) if table.chars().count() == 10 => {
                let table: Vec<char> = table.chars().collect();
                formatted
                    .chars()
                    .map(|c| match c.to_digit(10) {
                        Some(d) if c.is_ascii_digit() => table[d as usize],
                        _ => c,
                    })
                    .collect()
            }
            _ => formatted,
        };
        if n < 0 {
            format!("\u{2212}{translated}")
        } else {
            translated
        }
    }

    /// Language::parseFormattedNumber: back from the language's digits and separators.
    fn parse_formatted_number(&self, s: &str) -> String {
        let data = &catalogue().data;
        let mut s = s.to_string();
        let tables = [
            self.inherited(&data.digits).cloned(),
            data.icu.get(&*self.code).map(|(d, ..)| d.clone()),
        ];
        for table in tables.into_iter().flatten() {
            for (d, c) in table.chars().enumerate() {
                if !c.is_ascii_digit() {
                    s = s.replace(c, &d.to_string());
                }
            }
        }
        match self.inherited(&data.separators) {
            Some(table) if table.len() == 2 => {
                s = s
                    .replace(table[0].as_str(), "\u{0}")
                    .replace(table[1].as_str(), ".");
                s = s.replace('\u{0}', "");
            }
            _ => s = s.replace(',', ""),
        }
        s.replace('\u{2212}', "-")
    }

    /// Language::convertPlural (and LanguageKsh's).
    fn convert_plural(&self, count: &str, forms: Vec<String>) -> String {
        let number = php_number(&self.parse_formatted_number(count));
        // handleExplicitPluralForms: "k=text" forms.
        let mut plain = Vec::new();
        for form in forms {
            if has_explicit_form(&form) {
                let (k, text) = form.split_once('=').unwrap_or((&form, ""));
                if k == number {
                    return text.to_string();
                }
            } else {
                plain.push(form);
            }
        }
        if plain.is_empty() {
            return String::new();
        }
        if self.chain().first() == Some(&"ksh") {
            // LanguageKsh: one, other, zero.
            while plain.len() < 3 {
                let last = plain[plain.len() - 1].clone();
                plain.push(last);
            }
            let value: f64 = number.parse().unwrap_or(f64::NAN);
            let i = if value == 1.0 {
                0
            } else if value == 0.0 {
                2
            } else {
                1
            };
            return plain.swap_remove(i);
        }
        let index = self.plural_index(&number);
        let i = index.min(plain.len() - 1);
        plain.swap_remove(i)
    }

    /// Language::getPluralRuleIndexNumber.
    pub fn plural_index(&self, number: &str) -> usize {
        let cat = catalogue();
        // Language::getCompiledPluralRules: a language whose only form is "other" (an empty
        // rule list, e.g. ja) takes its fallbacks' rules, in the end English's.
        let rules = self
            .chain()
            .into_iter()
            .find_map(|c| cat.plural.get(c).filter(|r| !r.is_empty()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let Some(ops) = Operands::of(number) else {
            return rules.len();
        };
        rules
            .iter()
            .position(|r| r.eval(&ops))
            .unwrap_or(rules.len())
    }

    /// MessageCache::transform for the constructs mwauth's messages use.
    fn expand(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("{{") {
            out.push_str(&rest[..i]);
            match split_braces(&rest[i..]) {
                Some((parts, len)) => {
                    out.push_str(&self.call(&parts));
                    rest = &rest[i + len..];
                }
                None => {
                    out.push_str("{{");
                    rest = &rest[i + 2..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn call(&self, parts: &[&str]) -> String {
        let expanded: Vec<String> = parts.iter().map(|p| self.expand(p)).collect();
        let name = expanded[0].trim();
        let args = || {
            expanded[1..]
                .iter()
                .map(|a| a.trim().to_string())
                .collect::<Vec<_>>()
        };
        if let Some((func, first)) = name.split_once(':') {
            let first = first.trim();
            match func.trim().to_ascii_lowercase().as_str() {
                "plural" => return self.convert_plural(first, args()),
                "gender" => {
                    let mut forms = args();
                    return match forms.len() {
                        0 => String::new(),
                        1 | 2 => forms.swap_remove(0),
                        _ => forms.swap_remove(2),
                    };
                }
                "grammar" => {
                    let word = args().into_iter().next().unwrap_or_default();
                    return match (&*self.code, first) {
                        ("sl", "mestnik") => format!("o {word}"),
                        ("sl", "orodnik") => format!("z {word}"),
                        _ => word,
                    };
                }
                "ns" if ["project", "4"].contains(&first.to_ascii_lowercase().as_str()) => {
                    return self.sitename.to_string();
                }
                _ => {}
            }
        } else if name == "SITENAME" {
            return self.sitename.to_string();
        }
        format!("{{{{{}}}}}", expanded.join("|"))
    }
}

/// `{{…}}` at the start of `s`: its parts (split at `|` outside nested braces and links)
/// and its length, or `None` when it is not closed.
fn split_braces(s: &str) -> Option<(Vec<&str>, usize)> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut links = 0usize;
    let mut parts = Vec::new();
    let mut start = 2;
    let mut i = 2;
    while i < b.len() {
        if b[i..].starts_with(b"{{") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"}}") {
            if depth == 0 {
                parts.push(&s[start..i]);
                return Some((parts, i + 2));
            }
            depth -= 1;
            i += 2;
        } else if b[i..].starts_with(b"[[") {
            links += 1;
            i += 2;
        } else if b[i..].starts_with(b"]]") && links > 0 {
            links -= 1;
            i += 2;
        } else if b[i] == b'|' && depth == 0 && links == 0 {
            parts.push(&s[start..i]);
            i += 1;
            start = i;
        } else {
            i += 1;
        }
    }
    None
}

/// `/\d+=/` anywhere in a plural form.
fn has_explicit_form(form: &str) -> bool {
    let b = form.as_bytes();
    (1..b.len()).any(|i| b[i] == b'=' && b[i - 1].is_ascii_digit())
}

/// CoreParserFunctions::plural's number: PHP's `settype($n, ctype_digit($n) ? 'int' :
/// 'float')`, then `strval`.
fn php_number(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        let t = s.trim_start_matches('0');
        return if t.is_empty() { "0".into() } else { t.into() };
    }
    // (float) takes the longest numeric prefix after leading whitespace, else 0.
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'-' || b[end] == b'+') {
        end += 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let mut int_digits = end - digits_start;
    if end < b.len() && b[end] == b'.' {
        let frac_start = end + 1;
        let mut e = frac_start;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > frac_start || int_digits > 0 {
            int_digits += e - frac_start;
            end = e;
        }
    }
    if int_digits > 0 && end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'-' || b[e] == b'+') {
            e += 1;
        }
        let exp_start = e;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > exp_start {
            end = e;
        }
    }
    let value: f64 = if int_digits > 0 {
        t[..end].parse().unwrap_or(0.0)
    } else {
        0.0
    };
    if value.is_finite() && value == value.trunc() && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// The tags Sanitizer::removeHTMLtags lets through (the others are escaped).
const ALLOWED_TAGS: &[&str] = &[
    "abbr",
    "b",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "data",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "link",
    "mark",
    "meta",
    "ol",
    "p",
    "pre",
    "q",
    "rb",
    "rp",
    "rt",
    "rtc",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "td",
    "th",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Sanitizer::removeHTMLtags, without its attribute cleaning: a `<` that does not open
/// or close an allowed tag becomes `&lt;`, and every `>` outside a tag `&gt;`.
fn sanitize_tags(text: &str) -> String {
    let mut bits = text.split('<');
    let mut out = bits.next().unwrap_or("").replace('>', "&gt;");
    for bit in bits {
        let body = bit.strip_prefix('/').unwrap_or(bit);
        let name: String = body
            .chars()
            .take_while(|c| !matches!(c, '\t' | '\n' | '\x0b' | ' ' | '/' | '>' | '\0'))
            .collect();
        let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic());
        let allowed = is_name && ALLOWED_TAGS.contains(&name.to_ascii_lowercase().as_str());
        match bit.find('>') {
            Some(end) if allowed => {
                out.push('<');
                out.push_str(&drop_xml_lang(&bit[..=end]));
                out.push_str(&bit[end + 1..].replace('>', "&gt;"));
            }
            _ => {
                out.push_str("&lt;");
                out.push_str(&bit.replace('>', "&gt;"));
            }
        }
    }
    out
}

/// Sanitizer::validateAttributes drops `xml:lang` (its value becomes `lang` when the tag
/// has none).
fn drop_xml_lang(tag: &str) -> String {
    let Some(start) = tag.find(" xml:lang=\"") else {
        return tag.to_string();
    };
    let value_start = start + " xml:lang=\"".len();
    let Some(len) = tag[value_start..].find('"') else {
        return tag.to_string();
    };
    let value = &tag[value_start..value_start + len];
    let rest = format!("{}{}", &tag[..start], &tag[value_start + len + 1..]);
    if rest.contains(" lang=\"") {
        rest
    } else {
        let name_end = rest.find([' ', '>', '/']).unwrap_or(rest.len());
        format!(
            "{} lang=\"{value}\"{}",
            &rest[..name_end],
            &rest[name_end..]
        )
    }
}

/// Sanitizer::normalizeCharReferences: `&lt;`, `&gt;`, `&amp;` and `&quot;` stay, other
/// known named references become numeric ones, numeric ones are normalized, and any other
/// `&` becomes `&amp;`.
fn normalize_char_refs(text: &str) -> String {
    const NAMED: &[(&str, u32)] = &[
        ("nbsp", 160),
        ("shy", 173),
        ("laquo", 171),
        ("raquo", 187),
        ("copy", 169),
        ("reg", 174),
        ("times", 215),
        ("ndash", 8211),
        ("mdash", 8212),
        ("lsquo", 8216),
        ("rsquo", 8217),
        ("ldquo", 8220),
        ("rdquo", 8221),
        ("hellip", 8230),
        ("bull", 8226),
        ("apos", 39),
    ];
    let valid_char = |c: u32| matches!(c, 0x9 | 0xa | 0xd | 0x20..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let body = after.find(';').map(|e| &after[..e]).unwrap_or("");
        let normalized = if body.is_empty() {
            None
        } else if let Some(num) = body.strip_prefix('#') {
            let (radix, digits) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (16, h),
                None => (10, num),
            };
            let well_formed = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
            u32::from_str_radix(digits, radix)
                .ok()
                .filter(|&c| well_formed && valid_char(c))
                .map(|c| {
                    if radix == 16 {
                        format!("&#x{c:x};")
                    } else {
                        format!("&#{c};")
                    }
                })
        } else if body.bytes().all(|b| b.is_ascii_alphanumeric() || b >= 0x80) {
            Some(match body {
                "lt" | "gt" | "amp" | "quot" => format!("&{body};"),
                _ => match NAMED.iter().find(|(n, _)| *n == body) {
                    Some((_, c)) => format!("&#{c};"),
                    None => format!("&amp;{body};"),
                },
            })
        } else {
            None
        };
        match normalized {
            Some(n) => {
                out.push_str(&n);
                rest = &after[body.len() + 1..];
            }
            None => {
                out.push_str("&amp;");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parser::doAllQuotes, simplified: on each line two apostrophes toggle `<i>`, three `<b>`
/// and five both; tags still open at the end of the line are closed.
fn do_quotes(text: &str) -> String {
    if !text.contains("''") {
        return text.to_string();
    }
    let lines: Vec<String> = text.split('\n').map(do_quotes_line).collect();
    lines.join("\n")
}

fn toggle_tag(tag: &'static str, out: &mut String, open: &mut Vec<&'static str>) {
    if let Some(pos) = open.iter().rposition(|t| *t == tag) {
        for t in open[pos..].iter().rev() {
            out.push_str(&format!("</{t}>"));
        }
        let reopen: Vec<&'static str> = open[pos + 1..].to_vec();
        open.truncate(pos);
        for t in reopen {
            out.push_str(&format!("<{t}>"));
            open.push(t);
        }
    } else {
        out.push_str(&format!("<{tag}>"));
        open.push(tag);
    }
}

fn do_quotes_line(line: &str) -> String {
    let mut out = String::new();
    let mut open: Vec<&'static str> = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("''") {
        out.push_str(&rest[..i]);
        let run = rest[i..].bytes().take_while(|&b| b == b'\'').count();
        let (extra, kind) = match run {
            2 => (0, 2),
            3 => (0, 3),
            4 => (1, 3),
            5 => (0, 5),
            n => (n - 5, 5),
        };
        out.push_str(&"'".repeat(extra));
        match kind {
            2 => toggle_tag("i", &mut out, &mut open),
            3 => toggle_tag("b", &mut out, &mut open),
            _ => {
                toggle_tag("i", &mut out, &mut open);
                toggle_tag("b", &mut out, &mut open);
            }
        }
        rest = &rest[i + run..];
    }
    out.push_str(rest);
    for t in open.iter().rev() {
        out.push_str(&format!("</{t}>"));
    }
    out
}

/// The parser's tidy pass over text nodes (RemexCompatFormatter): U+00A0 is written
/// `&#160;`, then Sanitizer::armorFrenchSpaces turns a space before `?:;!%»›` (not followed
/// by a word character) and after `«‹` into `&#160;`.
fn armor_french_spaces(html: &str) -> String {
    let chars: Vec<char> = html.chars().collect();
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ => {}
        }
        if c == '\u{a0}' {
            out.push_str("&#160;");
            continue;
        }
        if c == ' ' && !in_tag {
            let next = chars.get(i + 1).copied();
            let after = chars.get(i + 2).copied();
            let before_punct = next.is_some_and(|n| "?:;!%»›".contains(n))
                && !after.is_some_and(|a| a.is_alphanumeric() || a == '_');
            let after_guillemet = i > 0 && matches!(chars[i - 1], '«' | '‹');
            if before_punct || after_guillemet {
                out.push_str("&#160;");
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// wfEscapeWikiText with MediaWiki's default `$wgEnableMagicLinks` (none) and
/// `$wgUrlProtocols`.
pub fn escape_wikitext(text: &str) -> String {
    const PAIRS: &[(&str, &str)] = &[
        ("\n----", "\n&#45;---"),
        ("\r----", "\r&#45;---"),
        ("\n#", "\n&#35;"),
        ("\r#", "\r&#35;"),
        ("\n*", "\n&#42;"),
        ("\r*", "\r&#42;"),
        ("\n:", "\n&#58;"),
        ("\r:", "\r&#58;"),
        ("\n ", "\n&#32;"),
        ("\r ", "\r&#32;"),
        ("\n\n", "\n&#10;"),
        ("\r\n", "&#13;\n"),
        ("\n\r", "\n&#13;"),
        ("\r\r", "\r&#13;"),
        ("\n\t", "\n&#9;"),
        ("\r\t", "\r&#9;"),
        ("://", "&#58;//"),
        ("__", "_&#95;"),
        ("\"", "&#34;"),
        ("&", "&#38;"),
        ("'", "&#39;"),
        ("<", "&#60;"),
        ("=", "&#61;"),
        (">", "&#62;"),
        ("[", "&#91;"),
        ("]", "&#93;"),
        ("{", "&#123;"),
        ("|", "&#124;"),
        ("}", "&#125;"),
        (";", "&#59;"),
    ];
    // strtr( "\n$text", … ): the longest match wins at each position.
    let text = format!("\n{text}");
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let hit = PAIRS
            .iter()
            .filter(|(from, _)| rest.starts_with(from))
            .max_by_key(|(from, _)| from.len());
        match hit {
            Some((from, to)) => {
                out.push_str(to);
                i += from.len();
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    let out = &out[1..];
    // Protocols without "//": `\b(mailto|…):` gets its colon escaped.
    const PROTOCOLS: &[&str] = &[
        "bitcoin", "geo", "magnet", "mailto", "matrix", "news", "sip", "sips", "sms", "tel", "urn",
        "xmpp",
    ];
    let mut result = String::with_capacity(out.len());
    let mut rest = out;
    while let Some(i) = rest.find(':') {
        let before = &rest[..i];
        let word_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
            .last()
            .map_or(i, |(k, _)| k);
        let word = &before[word_start..];
        result.push_str(before);
        if PROTOCOLS.iter().any(|p| p.eq_ignore_ascii_case(word)) {
            result.push_str("&#58;");
        } else {
            result.push(':');
        }
        rest = &rest[i + 1..];
    }
    result.push_str(rest);
    result
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

/// Message::replaceParameters for one pass: `$n` becomes the n-th value when that
/// parameter belongs to this pass, and stays otherwise.
fn substitute(s: &str, values: &[Option<&str>]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after.bytes().take_while(u8::is_ascii_digit).count();
        let value = after[..len]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|k| values.get(k).copied().flatten());
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[i..i + 1 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------

/// A message parameter, by the Message method that adds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `params()`: wikitext, in before the transformation.
    Plain(String),
    /// `params()` with a PHP integer (a number, not a string, in `raw`).
    Int(i64),
    /// `plaintextParams()`: in after the transformation, escaped in HTML.
    Plaintext(String),
    /// `numParams()`: formatted in the message's language.
    Num(i64),
    /// `durationParams()`: seconds, formatted in the message's language.
    Duration(u64),
    /// `Message::listParam()`: the items with their keys in the PHP array (which `raw`
    /// shows; 0…n-1 unless the list was filtered, e.g. by array_diff).
    List(ListType, Vec<(usize, Param)>),
}

/// The list types of Message::listParam.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// `comma`: Language::commaList, "a, b, c".
    Comma,
    /// `text` (the default): Language::listToText, "a, b and c".
    Text,
}

impl ListType {
    pub fn name(self) -> &'static str {
        match self {
            ListType::Comma => "comma",
            ListType::Text => "text",
        }
    }
}

impl Param {
    /// A comma list with the keys 0…n-1.
    pub fn list(items: Vec<Param>) -> Param {
        Param::List(ListType::Comma, items.into_iter().enumerate().collect())
    }

    /// The parameter as English text (for code that predates languages).
    pub fn english(&self) -> String {
        Lang::en().extract(self, false).1
    }
}

/// The seconds of an English Language::formatDuration text ("5 minutes", "1 hour and 30
/// minutes"), for messages whose duration arrives already formatted.
pub fn parse_english_duration(text: &str) -> Option<u64> {
    let units: &[(&str, u64)] = &[
        ("millennium", 31_556_952_000),
        ("millennia", 31_556_952_000),
        ("century", 3_155_695_200),
        ("centuries", 3_155_695_200),
        ("decade", 315_569_520),
        ("decades", 315_569_520),
        ("year", 31_556_952),
        ("years", 31_556_952),
        ("day", 86_400),
        ("days", 86_400),
        ("hour", 3_600),
        ("hours", 3_600),
        ("minute", 60),
        ("minutes", 60),
        ("second", 1),
        ("seconds", 1),
    ];
    let normalized = text.replace(" and ", ", ");
    let mut total = 0u64;
    for part in normalized.split(", ") {
        let (n, unit) = part.trim().split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        let (_, size) = units.iter().find(|(u, _)| *u == unit)?;
        total = total.checked_add(n.checked_mul(*size)?)?;
    }
    (Lang::en().format_duration(total) == text).then_some(total)
}

// ---------------------------------------------------------------------------------------
// CLDR plural rules (CLDRPluralRuleParser\Evaluator)
// ---------------------------------------------------------------------------------------

/// The operands of a number: n (absolute value), i (integer digits), v (visible fraction
/// digits), w (the same without trailing zeros), f and t (the fraction digits as numbers).
struct Operands {
    n: f64,
    i: f64,
    v: f64,
    w: f64,
    f: f64,
    t: f64,
}

impl Operands {
    /// `^-?(([0-9]+)(?:\.([0-9]+))?)$`, else no operands (the "other" form).
    fn of(number: &str) -> Option<Operands> {
        let abs = number.strip_prefix('-').unwrap_or(number);
        let (int, frac) = match abs.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (abs, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return None;
        }
        let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
        Some(match frac {
            None => Operands {
                n: num(int),
                i: num(int),
                v: 0.0,
                w: 0.0,
                f: 0.0,
                t: 0.0,
            },
            Some(f) => {
                let trimmed = f.trim_end_matches('0');
                Operands {
                    n: num(abs),
                    i: num(int),
                    v: f.len() as f64,
                    w: trimmed.len() as f64,
                    f: num(f),
                    t: if trimmed.is_empty() {
                        0.0
                    } else {
                        num(trimmed)
                    },
                }
            }
        })
    }

    fn get(&self, name: char) -> f64 {
        match name {
            'n' => self.n,
            'i' => self.i,
            'v' => self.v,
            'w' => self.w,
            'f' => self.f,
            't' => self.t,
            _ => 0.0,
        }
    }
}

/// One relation: `operand [mod m] (=|!=|in|not in|within|not within|is|is not) ranges`.
#[derive(Debug)]
struct Relation {
    operand: char,
    modulus: Option<f64>,
    negate: bool,
    /// `within` allows non-integers inside a range.
    within: bool,
    ranges: Vec<(f64, f64)>,
}

impl Relation {
    fn eval(&self, ops: &Operands) -> bool {
        let mut x = ops.get(self.operand);
        if let Some(m) = self.modulus {
            x %= m;
        }
        let hit = self.ranges.iter().any(|&(lo, hi)| {
            if lo == hi {
                x == lo
            } else {
                (self.within || x.floor() == x) && x >= lo && x <= hi
            }
        });
        hit != self.negate
    }
}

/// `or` of `and`s of relations; an empty condition never matches.
#[derive(Debug)]
struct Condition(Vec<Vec<Relation>>);

impl Condition {
    fn eval(&self, ops: &Operands) -> bool {
        self.0.iter().any(|and| and.iter().all(|r| r.eval(ops)))
    }
}

fn parse_condition(rule: &str) -> Condition {
    let ors = rule
        .split(" or ")
        .filter_map(|and| {
            and.split(" and ")
                .map(parse_relation)
                .collect::<Option<Vec<Relation>>>()
        })
        .filter(|and| !and.is_empty())
        .collect();
    Condition(ors)
}

fn parse_relation(text: &str) -> Option<Relation> {
    let tokens: Vec<&str> = text
        .split_whitespace()
        .flat_map(|t| {
            // "n%10=1" style without spaces: split around the operators.
            split_operators(t)
        })
        .collect();
    let mut it = tokens.into_iter().peekable();
    let operand = it.next()?.chars().next()?;
    let mut modulus = None;
    if matches!(it.peek(), Some(&"%") | Some(&"mod")) {
        it.next();
        modulus = Some(it.next()?.parse().ok()?);
    }
    let (negate, within) = match it.next()? {
        "=" | "in" => (false, false),
        "!=" => (true, false),
        "is" => {
            if it.peek() == Some(&"not") {
                it.next();
                (true, false)
            } else {
                (false, false)
            }
        }
        "not" => match it.next()? {
            "in" => (true, false),
            "within" => (true, true),
            _ => return None,
        },
        "within" => (false, true),
        _ => return None,
    };
    let list: String = it.collect();
    let mut ranges = Vec::new();
    for part in list.split(',') {
        let (lo, hi) = part.split_once("..").unwrap_or((part, part));
        ranges.push((lo.parse().ok()?, hi.parse().ok()?));
    }
    Some(Relation {
        operand,
        modulus,
        negate,
        within,
        ranges,
    })
}

fn split_operators(token: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = token.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op_len = if b[i..].starts_with(b"!=") {
            2
        } else if b[i] == b'=' || b[i] == b'%' {
            1
        } else {
            0
        };
        if op_len > 0 {
            if start < i {
                out.push(&token[start..i]);
            }
            out.push(&token[i..i + op_len]);
            i += op_len;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < b.len() {
        out.push(&token[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(code: &str) -> Lang<'static> {
        Lang::new(code.to_string(), "OracleWiki")
    }

    fn plain(v: &[&str]) -> Vec<Param> {
        v.iter().map(|s| Param::Plain(s.to_string())).collect()
    }

    #[test]
    fn codes_are_chosen_as_mediawiki_chooses_them() {
        assert_eq!(user_language(None), "en");
        assert_eq!(user_language(Some("user")), "en");
        assert_eq!(user_language(Some("content")), "en");
        assert_eq!(user_language(Some("DE")), "de");
        assert_eq!(user_language(Some("de_AT")), "de_at");
        assert_eq!(user_language(Some("xx")), "xx");
        assert_eq!(user_language(Some("<b>")), "en");
        assert_eq!(user_language(Some("")), "en");
        assert_eq!(user_language(Some("qqq")), "en");
        assert_eq!(user_language(Some("qqx")), "qqx");
        assert_eq!(user_language(Some("als")), "gsw");
        assert_eq!(user_language(Some("no")), "nb");
        assert_eq!(user_language(Some("simple")), "en");
        assert_eq!(user_language(Some("de-x-formal")), "de-formal");
        assert_eq!(user_language(Some("a%41")), "en");
        assert_eq!(error_language(None, "de"), "de");
        assert_eq!(error_language(Some("content"), "de"), "en");
        assert_eq!(error_language(Some("fr"), "de"), "fr");
        assert_eq!(error_language(Some(""), "de"), "en");
    }

    #[test]
    fn english_comes_from_the_catalogue() {
        for key in catalogue().data.messages["en"].keys() {
            if let Some(raw) = messages::raw(key) {
                assert_eq!(raw, catalogue().data.messages["en"][key], "{key}");
            }
        }
        assert_eq!(
            lang("en").text("apierror-mustpostparams", &plain(&["a, b", "2"])),
            "The following parameters were found in the query string, but must be in the POST body: a, b."
        );
    }

    #[test]
    fn fallback_chains_and_unknown_codes() {
        let missing = vec![Param::Plaintext("token".into())];
        let de = "Der Parameter „token“ muss gesetzt werden.";
        assert_eq!(lang("de").text("paramvalidator-missingparam", &missing), de);
        assert_eq!(
            lang("de-at").text("paramvalidator-missingparam", &missing),
            de
        );
        assert_eq!(
            lang("nds-nl").text("paramvalidator-missingparam", &missing),
            "De parameter “token” moet worden gedefinieerd."
        );
        let en = "The \"token\" parameter must be set.";
        assert_eq!(lang("xx").text("paramvalidator-missingparam", &missing), en);
        assert_eq!(
            lang("de_at").text("paramvalidator-missingparam", &missing),
            en
        );
        assert_eq!(
            lang("qqx").text("paramvalidator-missingparam", &missing),
            "(paramvalidator-missingparam: token)"
        );
    }

    #[test]
    fn lists_numbers_and_durations_follow_the_language() {
        let list = Param::list(vec![
            Param::Plaintext("bogus".into()),
            Param::Plaintext("foo".into()),
        ]);
        let p = vec![
            Param::Plaintext("type".into()),
            Param::Plaintext("csrf|bogus|foo".into()),
            list,
            Param::Num(2),
        ];
        assert_eq!(
            lang("qqx").text("paramvalidator-unrecognizedvalues", &p),
            "(paramvalidator-unrecognizedvalues: type, csrf|bogus|foo, bogus(comma-separator)foo, 2)"
        );
        assert_eq!(
            lang("ja").text("paramvalidator-unrecognizedvalues", &p),
            "変数「type」に対する未知の値です: bogus、foo"
        );
        assert_eq!(lang("en").format_duration(300), "5 minutes");
        assert_eq!(
            lang("en").format_duration(3_661),
            "1 hour, 1 minute and 1 second"
        );
        assert_eq!(lang("qqx").format_duration(300), "(duration-minutes: 5)");
        assert_eq!(lang("mr").format_num(5), "५");
        assert_eq!(lang("lzh").format_num(5), "五");
        // ICU's own digits (Chakma), and a language whose empty table stops inheritance.
        assert_eq!(lang("ccp").format_num(50), "𑄻𑄶");
        assert_eq!(lang("arq").format_num(50), "50");
        assert_eq!(lang("ar").format_num(50), "٥٠");
        assert_eq!(lang("xx").format_num(12345), "12345");
        assert_eq!(lang("de").format_num(12345), "12.345");
        assert_eq!(lang("pl").format_num(1234), "1234");
        assert_eq!(lang("pl").format_num(12345), "12\u{a0}345");
        assert_eq!(parse_english_duration("5 minutes"), Some(300));
        assert_eq!(
            parse_english_duration("1 hour, 1 minute and 1 second"),
            Some(3_661)
        );
        assert_eq!(parse_english_duration("soon"), None);
    }

    #[test]
    fn plural_rules() {
        let ru = lang("ru");
        let idx = |l: &Lang, n: &str| l.plural_index(n);
        assert_eq!(
            [1, 2, 5, 11, 21, 22, 25].map(|n| idx(&ru, &n.to_string())),
            [0, 1, 2, 2, 0, 1, 2]
        );
        assert_eq!(idx(&ru, "1.5"), 3);
        let ar = lang("ar");
        assert_eq!(
            [0, 1, 2, 3, 11, 100].map(|n| idx(&ar, &n.to_string())),
            [0, 1, 2, 3, 4, 5]
        );
        let en = lang("en");
        assert_eq!([idx(&en, "1"), idx(&en, "1.0"), idx(&en, "0")], [0, 1, 1]);
        assert_eq!(idx(&lang("fr"), "0"), 0);
        assert_eq!(idx(&lang("de-at"), "1"), 0);
        assert_eq!(
            ru.convert_plural("1", vec!["0=none".into(), "a".into(), "b".into()]),
            "a"
        );
        assert_eq!(
            ru.convert_plural("0", vec!["0=none".into(), "a".into(), "b".into()]),
            "none"
        );
        assert_eq!(php_number("007"), "7");
        assert_eq!(php_number("2.0"), "2");
        assert_eq!(php_number("abc"), "0");
        assert_eq!(php_number(" 3 apples"), "3");
    }

    #[test]
    fn templates_expand_innermost_first() {
        let sl = lang("sl");
        let t = sl.text("acct_creation_throttle_hit", &plain(&["3", "1 dan"]));
        assert!(t.starts_with("Obiskovalci OracleWiki so"), "{t}");
        assert!(t.contains("3 uporabniške račune"), "{t}");
        assert_eq!(
            lang("en").text("botpasswords-needs-reset", &plain(&["Alice", "bot"])),
            "The bot password for bot name \"bot\" of user \"Alice\" must be reset."
        );
        assert_eq!(lang("en").expand("{{UNKNOWN|a}} {{x"), "{{UNKNOWN|a}} {{x");
    }
}
