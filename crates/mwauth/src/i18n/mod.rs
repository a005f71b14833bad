//! The languages of mwauth's messages (the API's and the account pages'), as MediaWiki
//! 1.39 chooses and renders them, and the one HTML escaper ([`escape_html`]).
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
//! [`english`], the catalogue of record; every other language from the data extracted
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

mod catalogue;
mod language;
mod plural;
mod sanitize;
mod transforms;

pub use catalogue::english;
pub use language::{
    error_language, parse_english_duration, user_language, Lang, ListType, Param, CONTENT_LANGUAGE,
};
pub use sanitize::{escape_html, strip_markup, Quotes};
pub use transforms::escape_wikitext;

/// What the tests of this room share: a language of the test wiki, and plain parameters.
#[cfg(test)]
mod test_support {
    use super::{Lang, Param};

    pub fn lang(code: &str) -> Lang<'static> {
        Lang::new(code.to_string(), "OracleWiki")
    }

    pub fn plain(v: &[&str]) -> Vec<Param> {
        v.iter().map(|s| Param::Plain(s.to_string())).collect()
    }
}
