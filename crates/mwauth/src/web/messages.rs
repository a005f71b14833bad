//! The pages' texts, from the one message catalogue ([`crate::i18n`]) that the API reads
//! too, in the content language with this wiki's `{{SITENAME}}`. Line breaks in a text are
//! kept: they render as spaces.

use crate::i18n::{Lang, Param, CONTENT_LANGUAGE};

fn lang(sitename: &str) -> Lang<'_> {
    Lang::new(CONTENT_LANGUAGE, sitename)
}

/// Message::text(): the message as text, its `$n` parameters in (text, to be escaped).
pub fn text(sitename: &str, key: &str, params: &[&str]) -> String {
    let params: Vec<Param> = params.iter().map(|p| Param::Plain(p.to_string())).collect();
    lang(sitename).text(key, &params)
}

/// [`text`] with typed parameters (`Param::Duration` for "Please wait 1 minute.").
pub fn text_with(sitename: &str, key: &str, params: &[Param]) -> String {
    lang(sitename).text(key, params)
}

/// [`text`] with its wikilinks (`[[Special:Captcha/help|more info]]`) reduced to their
/// labels: the pages link only to what this site serves.
pub fn text_unlinked(sitename: &str, key: &str) -> String {
    let mut s = text(sitename, key, &[]);
    while let Some(start) = s.find("[[") {
        let Some(len) = s[start..].find("]]") else {
            break;
        };
        let inner = &s[start + 2..start + len];
        let label = inner.rsplit('|').next().unwrap_or(inner).to_string();
        s.replace_range(start..start + len + 2, &label);
    }
    s
}

/// Message::parse() for a page text that carries markup of its own (`<em>`, `<strong>`,
/// `<pre>`): HTML, as one block.
pub fn html(sitename: &str, key: &str) -> String {
    lang(sitename).html(key, &[], &|s: &str| s.to_string())
}

/// [`html`] with its external links (`[https://… label]`) made links, as the parser makes
/// them (`rel="nofollow"`, class `external text`). The catalogue's own texts only: a URL
/// runs to the first space.
pub fn html_with_links(sitename: &str, key: &str) -> String {
    let text = html(sitename, key);
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text.as_str();
    while let Some(start) = rest.find("[https://") {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        let inner = &rest[start + 1..start + len];
        let (url, label) = inner.split_once(' ').unwrap_or((inner, inner));
        out.push_str(&rest[..start]);
        out.push_str(&format!(
            "<a rel=\"nofollow\" class=\"external text\" href=\"{}\">{label}</a>",
            super::html::esc(url)
        ));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// [`html`] in paragraphs, one `<p>` each (a blank line separates them).
pub fn paragraphs(sitename: &str, key: &str) -> String {
    html(sitename, key)
        .split("\n\n")
        .map(|p| format!("<p>{p}</p>"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `grant-…`: what a grant is called on Special:BotPasswords.
pub fn grant(name: &str) -> String {
    let key = format!("grant-{name}");
    match Lang::en().fetch(&key) {
        Some(_) => text("", &key, &[]),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::login::Refusal;
    use crate::user::rights;

    #[test]
    fn every_grant_has_its_mediawiki_name() {
        for (g, _) in rights::grants() {
            assert!(!grant(g).is_empty(), "{g}");
        }
        assert_eq!(grant("basic"), "Basic rights");
    }

    #[test]
    fn refusal_texts() {
        let refusal = |r: &Refusal, sitename: &str| r.text(sitename);
        let r = |key, params: &[&str]| Refusal {
            key,
            params: params.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            refusal(&r("wrongpassword", &[]), "W"),
            "Incorrect username or password entered.\nPlease try again."
        );
        assert_eq!(
            refusal(&r("passwordtooshort", &["10"]), "W"),
            "Passwords must be at least 10 characters."
        );
        assert!(refusal(&r("acct_creation_throttle_hit", &["1", "1 day"]), "W")
            .starts_with("Visitors to this wiki using your IP address have created 1 account in the last 1 day,"));
        assert_eq!(
            refusal(&r("botpasswords-needs-reset", &["Alice", "bot"]), "W"),
            "The bot password for bot name \"bot\" of user \"Alice\" must be reset."
        );
        assert_eq!(
            refusal(&r("mwauth-no-such-message", &[]), "W"),
            "W could not complete this (mwauth-no-such-message)."
        );
    }

    #[test]
    fn page_texts_come_from_the_catalogue() {
        assert_eq!(
            text("W", "nocookieslogin", &[]),
            "W uses cookies to log in users.\nYou have cookies disabled.\nPlease enable them and try again."
        );
        assert_eq!(
            text("W", "userlogin-reauth", &["Alice"]),
            "You must log in again to verify that you are Alice."
        );
        assert_eq!(
            paragraphs("W", "logouttext"),
            "<p><strong>You are now logged out.</strong></p>\n<p>Note that some pages may continue to be displayed as if you were still logged in, until you clear your browser cache.</p>"
        );
        assert_eq!(
            text_unlinked("W", "questycaptcha-badlogin"),
            "To protect the wiki against automated password cracking, we kindly ask you to answer the question that appears below (more info):"
        );
        assert_eq!(
            text_with("W", "oathauth-throttled", &[Param::Duration(60)]),
            "Too many verification attempts! Please wait 1 minute."
        );
        assert!(html_with_links("W", "oathauth-ui-general-help").ends_with(
            "(something the user and only the user is). <a rel=\"nofollow\" class=\"external text\" href=\"https://en.wikipedia.org/wiki/Multi-factor_authentication\">Read more</a>"
        ));
        assert_eq!(
            html("W", "restrictionsfield-help"),
            "One IP address or CIDR range per line. To enable everything, use:<pre>0.0.0.0/0\n::/0</pre>"
        );
    }
}
