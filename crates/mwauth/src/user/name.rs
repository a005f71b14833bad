//! User names as MediaWiki normalises and validates them (UserNameUtils, TitleParser).
//!
//! `Alice_smith ` becomes `Alice smith`: underscores are spaces, runs of spaces collapse,
//! the ends are trimmed and the first letter is upper-cased ($wgCapitalLinks).

/// Characters a title may never contain ($wgLegalTitleChars' complement), plus the ones
/// TitleParser rejects in other ways.
const ILLEGAL_TITLE: &[char] = &['#', '<', '>', '[', ']', '|', '{', '}'];

/// `$wgInvalidUsernameCharacters`: refused in names of new accounts.
const INVALID_NEW_NAME: &[char] = &['@', ':', '>', '='];

/// Namespace names and aliases of an English wiki; `Talk:Foo` is not a user name.
const NAMESPACES: &[&str] = &[
    "media",
    "special",
    "talk",
    "user",
    "user talk",
    "project",
    "project talk",
    "file",
    "file talk",
    "image",
    "image talk",
    "mediawiki",
    "mediawiki talk",
    "template",
    "template talk",
    "help",
    "help talk",
    "category",
    "category talk",
];

fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '_' | '\u{A0}' | '\u{1680}' | '\u{180E}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Title-style cleanup: directional marks removed, space runs collapsed, trimmed, first
/// letter upper-cased.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars() {
        if matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}') {
            continue;
        }
        if is_space(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    ucfirst(&out)
}

/// Language::ucfirst for English: the first character's upper case (only when it is a single
/// character, so `ß` stays).
pub fn ucfirst(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let mut up = first.to_uppercase();
            let one = up.next().unwrap_or(first);
            if up.next().is_some() {
                return s.to_string();
            }
            let mut out = String::with_capacity(s.len());
            out.push(one);
            out.push_str(chars.as_str());
            out
        }
    }
}

fn is_ip(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok()
}

/// UserNameUtils::getCanonical(name, RIGOR_VALID): the canonical name, or `None` when the
/// name can never be a user's.
pub fn canonical(raw: &str) -> Option<String> {
    if raw.contains('#') {
        return None;
    }
    let mut name = clean(raw);
    // A leading "User:" is accepted and dropped, as parseTitle(name, NS_USER) does.
    if let Some((prefix, rest)) = name.split_once(':') {
        if prefix.trim().eq_ignore_ascii_case("user") {
            name = clean(rest);
        }
    }
    if is_valid(&name) {
        Some(name)
    } else {
        None
    }
}

/// UserNameUtils::isValid on an already-clean name.
pub fn is_valid(name: &str) -> bool {
    if name.is_empty()
        || is_ip(name)
        || name.contains('/')
        || name.len() > 255
        || name != ucfirst(name)
        || name.starts_with(':')
        || name.contains(ILLEGAL_TITLE)
        || name.chars().any(|c| c.is_control())
        || name.contains("~~~")
        || name == "."
        || name == ".."
        || name.starts_with("./")
        || name.starts_with("../")
        || name.contains("/./")
        || has_percent_escape(name)
        || has_html_entity(name)
    {
        return false;
    }
    if let Some((prefix, _)) = name.split_once(':') {
        let p = prefix.trim().to_lowercase();
        if NAMESPACES.contains(&p.as_str()) {
            return false;
        }
    }
    !name.chars().any(|c| {
        matches!(c, '\u{80}'..='\u{9f}' | '\u{a0}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}' | '\u{3000}' | '\u{e000}'..='\u{f8ff}')
    })
}

/// UserNameUtils::isCreatable: valid and free of `$wgInvalidUsernameCharacters`.
pub fn is_creatable(name: &str) -> bool {
    is_valid(name) && !name.contains(INVALID_NEW_NAME)
}

fn has_percent_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

fn has_html_entity(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        let after = &rest[i + 1..];
        let n = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '#')
            .count();
        if n > 0
            && after[after.char_indices().nth(n).map_or(after.len(), |(j, _)| j)..].starts_with(';')
        {
            return true;
        }
        rest = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_mediawiki() {
        assert_eq!(canonical("alice").as_deref(), Some("Alice"));
        assert_eq!(
            canonical("  alice__smith_ ").as_deref(),
            Some("Alice smith")
        );
        assert_eq!(canonical("User:bob").as_deref(), Some("Bob"));
        assert_eq!(canonical("élan").as_deref(), Some("Élan"));
    }

    #[test]
    fn refuses_names_that_cannot_be_users() {
        for bad in [
            "",
            "   ",
            "127.0.0.1",
            "::1",
            "a/b",
            "a#b",
            "a[b]",
            "a|b",
            "Talk:Foo",
            "a%41",
            "a&amp;b",
            "x\u{0}y",
            &"x".repeat(256),
        ] {
            assert_eq!(canonical(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn at_sign_is_valid_but_not_creatable() {
        assert!(is_valid("Alice@bot"));
        assert!(!is_creatable("Alice@bot"));
        assert!(is_creatable("Alice"));
    }
}
