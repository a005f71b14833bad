//! A language: choosing it from a request, and a message rendered in it (its
//! parameters, lists, durations and numbers).

use super::catalogue::{catalogue, english};
use super::sanitize::{escape_html, Quotes};
use std::borrow::Cow;
use std::collections::HashMap;

/// `$wgLanguageCode`.
pub const CONTENT_LANGUAGE: &str = "en";

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
    pub(super) code: Cow<'static, str>,
    pub(super) sitename: Cow<'s, str>,
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
    pub(super) fn chain(&self) -> Vec<&str> {
        let mut chain = Vec::new();
        if is_builtin_code(&self.code) && self.code != CONTENT_LANGUAGE {
            chain.push(&*self.code);
            if let Some(f) = catalogue().fallback.get(&*self.code) {
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
        let data = catalogue;
        let text = self.chain().into_iter().find_map(|c| {
            if c == CONTENT_LANGUAGE {
                english(key)
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

    /// Message::extractParam: whether the parameter goes in before the transformation,
    /// and its text.
    pub(super) fn extract(&self, p: &Param, html: bool) -> (bool, String) {
        match p {
            Param::Plain(s) => (true, s.clone()),
            Param::Int(n) => (true, n.to_string()),
            Param::Plaintext(s) => (
                false,
                if html {
                    escape_html(s, Quotes::Both)
                } else {
                    s.clone()
                },
            ),
            Param::Num(n) => (true, self.format_num(*n)),
            Param::Duration(s) => (true, self.format_duration(*s)),
            Param::Message(key) => (false, self.text(key, &[])),
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
        let data = catalogue();
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
    pub(super) fn parse_formatted_number(&self, s: &str) -> String {
        let data = catalogue();
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
    /// A message without parameters as a parameter (a MessageSpecifier, e.g. the
    /// `action-*` text of `apierror-permissiondenied`): formatted as the outer message is,
    /// it goes in after the transformation.
    Message(&'static str),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::test_support::lang;

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
}
