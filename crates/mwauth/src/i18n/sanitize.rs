//! HTML: the one escaper (htmlspecialchars), and the parser steps a message's HTML goes
//! through (Sanitizer::removeHTMLtags, normalizeCharReferences, apostrophe quotes, tidy's
//! French spaces), and back to plain text (ApiErrorFormatter::stripMarkup).

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
pub(super) fn sanitize_tags(text: &str) -> String {
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
pub(super) fn normalize_char_refs(text: &str) -> String {
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
pub(super) fn do_quotes(text: &str) -> String {
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
pub(super) fn armor_french_spaces(html: &str) -> String {
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

/// Which quotes [`escape_html`] escapes besides `&`, `<` and `>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quotes {
    /// `"` and `'` (as `&#039;`): PHP 8's htmlspecialchars default (ENT_QUOTES), which
    /// Message::escaped and the plaintext parameters of a parsed message use; safe in text
    /// and in single- or double-quoted attributes. The account pages use it throughout.
    Both,
    /// `"` only (ENT_COMPAT): what mwauth's API help and `*fm` pages have always written,
    /// where the text never reaches a single-quoted attribute.
    Double,
}

/// htmlspecialchars: the one HTML escaper of mwauth (the API's HTML formats and help, the
/// messages' plaintext parameters, the account pages).
pub fn escape_html(s: &str, quotes: Quotes) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' if quotes == Quotes::Both => out.push_str("&#039;"),
            _ => out.push(c),
        }
    }
    out
}

/// ApiErrorFormatter::stripMarkup for the plain-text forms: semantic tags become quotes,
/// other tags go (block-level ones leave a space, `style`/`script` take their content
/// along), entities are decoded, and runs of whitespace become one space, trimmed
/// (Sanitizer::stripAllTags).
pub fn strip_markup(text: &str) -> String {
    let mut s = text.to_string();
    for tag in ["var", "kbd", "samp", "code"] {
        s = s
            .replace(&format!("<{tag}>"), "\"")
            .replace(&format!("</{tag}>"), "\"");
    }
    // RemexStripTagHandler's block-level tags.
    const BLOCK: &str = "address article aside blockquote br canvas dd div dl dt fieldset \
        figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav noscript \
        ol output p pre section table td tfoot th tr ul video";
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    let mut hidden = false;
    while let Some(i) = rest.find('<') {
        if !hidden {
            out.push_str(&rest[..i]);
        }
        let after = &rest[i..];
        let is_tag = after[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/');
        match (is_tag, after.find('>')) {
            (true, Some(j)) => {
                let name: String = after[1..j]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if name == "style" || name == "script" {
                    hidden = !after[1..].starts_with('/');
                }
                if BLOCK.split_whitespace().any(|b| b == name) {
                    out.push(' ');
                }
                rest = &after[j + 1..];
            }
            _ => {
                if !hidden {
                    out.push('<');
                }
                rest = &after[1..];
            }
        }
    }
    if !hidden {
        out.push_str(rest);
    }
    let decoded = decode_entities(&out);
    let mut collapsed = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if matches!(c, ' ' | '\r' | '\n' | '\t') {
            if !collapsed.ends_with(' ') {
                collapsed.push(' ');
            }
        } else {
            collapsed.push(c);
        }
    }
    collapsed
        .trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
        .to_string()
}

/// Sanitizer::decodeCharReferences, in one pass: numeric references and the named ones
/// MediaWiki's messages use.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let decoded = after.find(';').filter(|&j| j <= 10).and_then(|j| {
            let name = &after[..j];
            let c = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse::<u32>().ok()?,
                };
                char::from_u32(code)?
            } else {
                match name {
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    "amp" => '&',
                    "nbsp" => '\u{a0}',
                    "shy" => '\u{ad}',
                    "ndash" => '\u{2013}',
                    "mdash" => '\u{2014}',
                    "hellip" => '\u{2026}',
                    "laquo" => '\u{ab}',
                    "raquo" => '\u{bb}',
                    _ => return None,
                }
            };
            Some((c, j))
        });
        // HTML's legacy references also decode without their semicolon.
        let legacy = || {
            [("amp", '&'), ("lt", '<'), ("gt", '>'), ("quot", '"')]
                .into_iter()
                .find(|(name, _)| after.starts_with(name))
        };
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &after[j + 1..];
            }
            None => match legacy() {
                Some((name, c)) => {
                    out.push(c);
                    rest = &after[name.len()..];
                }
                None => {
                    out.push('&');
                    rest = after;
                }
            },
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// The plain English text of a message, as the `plaintext` error formats give it.
    fn text(key: &str, params: &[String]) -> String {
        let params: Vec<crate::i18n::Param> = params
            .iter()
            .map(|p| crate::i18n::Param::Plain(p.clone()))
            .collect();
        strip_markup(&Lang::en().text(key, &params))
    }

    #[test]
    fn escapes_text_and_the_quotes_asked_for() {
        let s = r#"<a href="x" title='y'>&amp;</a>"#;
        assert_eq!(
            escape_html(s, Quotes::Both),
            "&lt;a href=&quot;x&quot; title=&#039;y&#039;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(
            escape_html(s, Quotes::Double),
            "&lt;a href=&quot;x&quot; title='y'&gt;&amp;amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn plural_and_parameters() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(text("apierror-mustpostparams", &p(&["token", "1"])), "The following parameter was found in the query string, but must be in the POST body: token.");
        assert_eq!(text("apierror-mustpostparams", &p(&["a, b", "2"])), "The following parameters were found in the query string, but must be in the POST body: a, b.");
        assert_eq!(
            text("apierror-mustbeposted", &p(&["login"])),
            "The \"login\" module requires a POST request."
        );
    }

    #[test]
    fn strip_markup_matches_the_golden_texts() {
        assert_eq!(
            text("wrongpassword", &[]),
            "Incorrect username or password entered. Please try again."
        );
        assert_eq!(
            text("api-usage-mailinglist-ref", &[]),
            "Subscribe to the mediawiki-api-announce mailing list at <https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> for notice of API deprecations and breaking changes."
        );
        assert_eq!(
            text("apiwarn-deprecation-login-token", &[]),
            "Fetching a token via \"action=login\" is deprecated. Use \"action=query&meta=tokens&type=login\" instead."
        );
        assert_eq!(
            text("apierror-assertbotfailed", &[]),
            "You do not have the \"bot\" right, so the action could not be completed."
        );
    }
}
