//! Rendering a message (Message::format): its parameters put in, the wikitext
//! transformations it goes through (templates: `{{PLURAL}}`, `{{GENDER}}`, `{{GRAMMAR}}`,
//! `{{SITENAME}}`), and the parser steps of its HTML; and wfEscapeWikiText.

use super::language::{Lang, Param};
use super::sanitize::{armor_french_spaces, do_quotes, normalize_char_refs, sanitize_tags};

impl Lang<'_> {
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

    /// MessageCache::transform for the constructs mwauth's messages use.
    pub(super) fn expand(&self, s: &str) -> String {
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

/// Message::replaceParameters for one pass: `$n` becomes the n-th value when that
/// parameter belongs to this pass, and stays otherwise.
pub(super) fn substitute(s: &str, values: &[Option<&str>]) -> String {
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

#[cfg(test)]
mod tests {
    use crate::i18n::test_support::{lang, plain};

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
