//! HTML for the pages: escaping, links, the page layout with the personal bar, and small
//! form pieces. Plain strings: every value that did not come from this file goes through
//! [`esc`] (text and attribute values alike), and URLs are built by [`url`] only.

use super::Special;
use crate::i18n::{escape_html, Quotes};
use crate::Config;

/// htmlspecialchars with ENT_QUOTES (the one escaper, [`escape_html`]): safe in text and in
/// single- or double-quoted attributes.
pub fn esc(s: &str) -> String {
    escape_html(s, Quotes::Both)
}

/// wfUrlencode for a title in a query string: what MediaWiki leaves readable (`:`, `/`, …)
/// stays, everything else is percent-encoded, spaces included.
fn encode_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for b in title.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:/!*(),;@$".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `SCRIPT_PATH/index.php?title=TITLE&k=v…`: a link to a page of this site, always a path
/// on this origin (never `//host`, whatever the title holds).
pub fn url(config: &Config, title: &str, query: &[(&str, &str)]) -> String {
    let mut s = format!(
        "{}/index.php?title={}",
        script_path(config),
        encode_title(title)
    );
    for (k, v) in query {
        s.push('&');
        s.extend(form_urlencoded::byte_serialize(k.as_bytes()));
        s.push('=');
        s.extend(form_urlencoded::byte_serialize(v.as_bytes()));
    }
    s
}

/// `$wgScriptPath` as a path prefix: `/w`, or empty for the site root.
pub fn script_path(config: &Config) -> &str {
    let p = config.script_path.trim_end_matches('/');
    if p.starts_with('/') {
        p
    } else {
        ""
    }
}

/// Where a stylesheet or script of [`super::assets`] is served.
pub fn asset_url(config: &Config, name: &str) -> String {
    format!(
        "{}/{name}?v={}",
        script_path(config),
        env!("CARGO_PKG_VERSION")
    )
}

/// What the page layout needs to know besides the page's own content.
pub struct Chrome<'a> {
    pub config: &'a Config,
    /// The logged-in user's name; `None` when logged out.
    pub user: Option<&'a str>,
    /// The title of the page being shown, for the personal bar's `returnto`.
    pub title: &'a str,
}

impl Chrome<'_> {
    /// The personal bar (MediaWiki's `#p-personal`, with its `pt-…` ids): the user's name,
    /// Bot passwords and Log out; or Not logged in, Create account and Log in.
    fn personal_bar(&self) -> String {
        let config = self.config;
        let own = [
            Special::UserLogin.title(),
            Special::UserLogout.title(),
            Special::CreateAccount.title(),
        ];
        // Personal links come back to the page they were followed from, but not to the
        // login and logout pages themselves.
        let returnto: Vec<(&str, &str)> = if own.iter().any(|t| t == self.title) {
            vec![]
        } else {
            vec![("returnto", self.title)]
        };
        let mut items: Vec<String> = Vec::new();
        match self.user {
            Some(name) => {
                items.push(format!(
                    "<li id=\"pt-userpage\"><span class=\"mw-username\">{}</span></li>",
                    esc(name)
                ));
                if config.enable_bot_passwords {
                    items.push(format!(
                        "<li id=\"pt-botpasswords\"><a href=\"{}\">Bot passwords</a></li>",
                        esc(&url(config, &Special::BotPasswords.title(), &[]))
                    ));
                }
                items.push(format!(
                    "<li id=\"pt-logout\"><a href=\"{}\" title=\"Log out\">Log out</a></li>",
                    esc(&url(config, &Special::UserLogout.title(), &returnto))
                ));
            }
            None => {
                items.push("<li id=\"pt-anonuserpage\">Not logged in</li>".to_string());
                if config.allow_account_creation {
                    items.push(format!(
                        "<li id=\"pt-createaccount\"><a href=\"{}\" title=\"You are encouraged to create an account and log in; however, it is not mandatory\">Create account</a></li>",
                        esc(&url(config, &Special::CreateAccount.title(), &returnto))
                    ));
                }
                items.push(format!(
                    "<li id=\"pt-login\"><a href=\"{}\" title=\"You are encouraged to log in; however, it is not mandatory\">Log in</a></li>",
                    esc(&url(config, &Special::UserLogin.title(), &returnto))
                ));
            }
        }
        format!(
            "<nav id=\"p-personal\" aria-label=\"Personal tools\"><ul>{}</ul></nav>",
            items.join("")
        )
    }

    /// A whole page: `heading` is text, `body` is HTML built by the page.
    pub fn document(&self, heading: &str, body: &str) -> String {
        let config = self.config;
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"UTF-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <title>{heading} - {site}</title>\n\
             <link rel=\"stylesheet\" href=\"{css}\">\n\
             <script src=\"{js}\" defer></script>\n</head>\n<body>\n\
             <header class=\"mw-header\">\n<a class=\"mw-wordmark\" href=\"{home}\">{site}</a>\n{bar}\n</header>\n\
             <main id=\"content\" class=\"mw-body\">\n<h1 id=\"firstHeading\">{heading}</h1>\n\
             <div id=\"mw-content-text\">\n{body}\n</div>\n</main>\n\
             <footer class=\"mw-footer\">Accounts of {site}, served by mwauth.</footer>\n\
             </body>\n</html>\n",
            heading = esc(heading),
            site = esc(&config.sitename),
            css = esc(&asset_url(config, "mwauth.css")),
            js = esc(&asset_url(config, "mwauth.js")),
            home = esc(&url(config, "Main_Page", &[])),
            bar = self.personal_bar(),
        )
    }
}

/// A message's text as HTML: escaped, its lines kept (a line break in a message is a space
/// in MediaWiki's rendering, and in HTML's).
pub fn text(s: &str) -> String {
    esc(s)
}

/// Html::errorBox / Html::warningBox / Html::successBox.
pub fn message_box(kind: &str, html: &str) -> String {
    let role = if kind == "error" { "alert" } else { "status" };
    format!("<div class=\"mw-message-box mw-message-box-{kind}\" role=\"{role}\">{html}</div>")
}

/// A hidden form field.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

/// One labelled input of a form (`attrs` is raw HTML built by the caller from constants),
/// with a help text under it when given (`id-help`, announced with the input).
pub fn field(
    id: &str,
    label: &str,
    input_type: &str,
    name: &str,
    value: &str,
    attrs: &str,
    help: Option<&str>,
) -> String {
    let (described, help_html) = match help {
        Some(h) => (
            format!(" aria-describedby=\"{}-help\"", esc(id)),
            format!(
                "<p class=\"mw-help\" id=\"{}-help\">{}</p>",
                esc(id),
                esc(h)
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "<div class=\"mw-field\"><label for=\"{id}\">{label}</label>\
         <input id=\"{id}\" name=\"{name}\" type=\"{input_type}\" value=\"{value}\"{attrs}{described}>{help_html}</div>",
        id = esc(id),
        label = esc(label),
        name = esc(name),
        input_type = esc(input_type),
        value = esc(value),
    )
}

/// "Return to X." with a link to the title.
pub fn return_to(config: &Config, title: &str, query: &[(&str, &str)]) -> String {
    format!(
        "<p id=\"mw-returnto\">Return to <a href=\"{}\">{}</a>.</p>",
        esc(&url(config, title, query)),
        esc(&title.replace('_', " "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stay_on_this_site() {
        let config = Config::default();
        assert_eq!(
            url(
                &config,
                "Special:BotPasswords/my bot",
                &[("returnto", "A&B=C")]
            ),
            "/w/index.php?title=Special:BotPasswords/my%20bot&returnto=A%26B%3DC"
        );
        // A title cannot make the link leave the site or the query string.
        assert_eq!(
            url(&config, "//evil.example/?x#y", &[]),
            "/w/index.php?title=//evil.example/%3Fx%23y"
        );
        let root = Config {
            script_path: String::new(),
            ..Config::default()
        };
        assert_eq!(url(&root, "Main_Page", &[]), "/index.php?title=Main_Page");
    }
}
