//! The pages people use, as index.php serves them: Special:UserLogin, Special:UserLogout,
//! Special:CreateAccount and Special:BotPasswords, Special:OATHManage with `[oath]` on, plus
//! a small Main Page.
//!
//! - Same sessions and cookies as api.php (`{prefix}_session`), through the same engine
//!   ([`crate::auth`]): logging in on a page logs the API in and the other way round.
//! - Every form is POSTed and carries a token of the session: `wpLoginToken` and
//!   `wpCreateaccountToken` (their own session secrets, as MediaWiki's), `wpEditToken` (the
//!   csrf token; salted `logoutToken` on Special:UserLogout). A page never changes
//!   anything on GET: GET Special:UserLogout only asks.
//! - Plain HTML and one stylesheet, no inline script or style: the only script
//!   ([`assets`]'s `mwauth.js`) makes the logout button use `api.php?action=logout`, as
//!   MediaWiki's own logout link does; without it the form does the same.
//! - Strict headers on every page: [`CSP`], `X-Frame-Options: DENY`, no caching.
//!
//! Requests and responses are the API's framework-free [`ApiRequest`] and [`ApiResponse`].

pub mod assets;
pub mod botpasswords;
mod captcha;
pub mod createaccount;
pub mod html;
pub mod login;
pub mod logout;
pub mod messages;
mod oathmanage;
mod reauth;

pub(crate) use crate::auth::request_session::TokenCheck;
use crate::auth::request_session::{EntryPoint, RequestSession};
use crate::request::{ApiRequest, ApiResponse};
use crate::user::{rights, UserRecord};
use crate::{time, Config, Services};
use std::borrow::Cow;

/// The request a page gets: the same framework-free shape as the API's.
pub type WebRequest<'r> = ApiRequest<'r>;
/// The answer of a page.
pub type WebResponse = ApiResponse;

/// The Content-Security-Policy of every page. `connect-src 'self'` lets the logout script
/// reach api.php; nothing else may load but this site's stylesheet and script, no form may
/// post elsewhere, and no other site may frame a page.
pub const CSP: &str = "default-src 'none'; connect-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What a page says when the session store fails while logging in or out, in MediaWiki's
/// words for an unreachable database (`dberr-problems`, `dberr-again`); nothing changed.
pub(crate) const STORE_FAILED: &str =
    "Sorry! This site is experiencing technical difficulties. Try waiting a few minutes and reloading.";

/// The special pages mwauth serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    UserLogin,
    UserLogout,
    CreateAccount,
    BotPasswords,
    /// OATHAuth's page, served only with `[oath] enabled`.
    OATHManage,
}

impl Special {
    /// The name links use (the first English alias, as MediaWiki links).
    pub fn name(self) -> &'static str {
        match self {
            Special::UserLogin => "UserLogin",
            Special::UserLogout => "UserLogout",
            Special::CreateAccount => "CreateAccount",
            Special::BotPasswords => "BotPasswords",
            Special::OATHManage => "Manage_Two-factor_authentication",
        }
    }

    pub fn title(self) -> String {
        format!("Special:{}", self.name())
    }

    /// SpecialPageFactory::resolveAlias: canonical names and English aliases, any case.
    fn from_alias(name: &str) -> Option<Special> {
        Some(match name.to_lowercase().replace(' ', "_").as_str() {
            "userlogin" | "login" => Special::UserLogin,
            "userlogout" | "logout" => Special::UserLogout,
            "createaccount" => Special::CreateAccount,
            "botpasswords" => Special::BotPasswords,
            "manage_two-factor_authentication"
            | "oath_manage"
            | "oathmanage"
            | "oath"
            | "two-factor_authentication"
            | "oathauth" => Special::OATHManage,
            _ => return None,
        })
    }
}

/// What a title names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A special page served here, with its subpage (`Special:BotPasswords/mybot`).
    Special(Special, Option<String>),
    /// `Special:…` that is not served here.
    UnknownSpecial(String),
    /// No title, or the Main Page.
    MainPage,
    /// Any other title (an article of the wiki mwauth may be in front of).
    Other(String),
}

fn is_title_space(c: char) -> bool {
    c == ' ' || c == '_'
}

/// Title parsing, as far as these pages need it: the `Special` namespace in any case,
/// the page name, and a subpage after the first `/` (kept as given, trimmed).
pub fn resolve(title: &str) -> Target {
    let title = title.trim_matches(is_title_space);
    if title.is_empty() {
        return Target::MainPage;
    }
    if let Some((ns, rest)) = title.split_once(':') {
        if ns
            .trim_matches(is_title_space)
            .eq_ignore_ascii_case("special")
        {
            let rest = rest.trim_start_matches(is_title_space);
            let (page, sub) = match rest.split_once('/') {
                Some((p, s)) => (p, Some(s.trim().to_string())),
                None => (rest, None),
            };
            return match Special::from_alias(page.trim_matches(is_title_space)) {
                Some(sp) => Target::Special(sp, sub.filter(|s| !s.is_empty())),
                None => Target::UnknownSpecial(title.to_string()),
            };
        }
    }
    let normalized: String = title.replace('_', " ");
    if normalized.eq_ignore_ascii_case("main page") {
        Target::MainPage
    } else {
        Target::Other(normalized)
    }
}

/// The title a path carries: `/wiki/TITLE`, `SCRIPT/index.php/TITLE`, `/index.php/TITLE`
/// (percent-decoded; `+` is a plus sign in a path).
pub fn path_title(path: &str) -> Option<String> {
    let rest = ["/wiki/", "/w/index.php/", "/index.php/"]
        .iter()
        .find_map(|p| path.strip_prefix(p))?;
    Some(percent_decode(rest))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The request as the pages read it: every query and form value cleaned as WebRequest
/// cleans it for index.php and api.php alike — Unicode NFC, C0 controls replaced — so a
/// password or name typed decomposed (NFD) on a page is the one api.php sees
/// ([`crate::api::params::php_input`], PHP's input limits and name mangling included).
fn cleaned_input<'p>(req: &'p WebRequest<'_>) -> WebRequest<'p> {
    let clean = |pairs: &'p crate::request::Pairs<'_>| {
        crate::api::params::php_input(pairs, false)
            .map(|(name, value, _)| (name, value))
            .collect()
    };
    let borrow = |pairs: &'p crate::request::Pairs<'_>| {
        pairs
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_ref()), Cow::Borrowed(v.as_ref())))
            .collect()
    };
    WebRequest {
        method: req.method.clone(),
        query: clean(&req.query),
        body: clean(&req.body),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| (*k, Cow::Borrowed(v.as_ref())))
            .collect(),
        cookies: borrow(&req.cookies),
        client_ip: req.client_ip,
        https: req.https,
        host: Cow::Borrowed(req.host.as_ref()),
    }
}

/// What a page answers before the layout, session and headers are added.
pub(crate) enum Output {
    Page {
        status: u16,
        heading: String,
        body: String,
    },
    /// See Other: after a POST, or to another page.
    Redirect(String),
}

impl Output {
    pub(crate) fn page(heading: impl Into<String>, body: impl Into<String>) -> Output {
        Output::Page {
            status: 200,
            heading: heading.into(),
            body: body.into(),
        }
    }
}

/// One page request: the session it belongs to and what it will send back.
pub(crate) struct Ctx<'a> {
    pub services: &'a Services,
    pub req: &'a WebRequest<'a>,
    /// The session, its user and the cookies to send (the same owner as api.php's).
    pub session: RequestSession<'a>,
    pub now: i64,
    /// The page's title as links name it (`Special:UserLogin`).
    pub title: String,
}

impl<'a> Ctx<'a> {
    pub fn config(&self) -> &'a Config {
        &self.services.config
    }

    pub fn posted(&self) -> bool {
        self.req.method == "POST"
    }

    /// A field of the POSTed form (forms are only ever read from a POST body).
    pub fn form(&self, name: &str) -> Option<&'a str> {
        if !self.posted() {
            return None;
        }
        self.req
            .body
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// WebRequest::getVal: the POST body's value, else the query string's.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.form(name).or_else(|| {
            self.req
                .query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_ref())
        })
    }

    /// The session's user, when logged in.
    pub fn user(&self) -> Option<&std::sync::Arc<UserRecord>> {
        self.session.user()
    }

    /// User::matchEditToken on the form's `wpEditToken`.
    pub fn check_edit_token(&self, salt: &str) -> bool {
        let given = self.form("wpEditToken").unwrap_or("");
        self.session.check_salted("default", salt, given, None) == TokenCheck::Good
    }

    /// The user's rights (pages never run in a bot-password session, so no grants apply).
    pub fn has_right(&self, right: &str) -> bool {
        let (id, groups) = match self.session.user() {
            Some(u) => (u.id, u.groups.as_slice()),
            None => (0, &[][..]),
        };
        rights::rights(
            &rights::effective_groups(id, groups),
            None,
            rights::RightsConfig::of(self.config()),
        )
        .iter()
        .any(|r| r == right)
    }

    /// `returnto` and `returntoquery` of the request, when they name a page.
    pub fn return_to(&self) -> ReturnTo {
        ReturnTo::new(
            self.param("returnto").unwrap_or(""),
            self.param("returntoquery").unwrap_or(""),
        )
    }

    /// SpecialPage::requireLogin (UserNotLoggedIn::report): to Special:UserLogin with the
    /// "Please log in" warning, and back to this page afterwards.
    pub(crate) fn login_first(&self) -> Output {
        let login = self.url(
            &Special::UserLogin.title(),
            &[
                ("returnto", self.title.as_str()),
                ("warning", "exception-nologin-text"),
            ],
        );
        Output::Redirect(login)
    }

    pub fn url(&self, title: &str, query: &[(&str, &str)]) -> String {
        html::url(self.config(), title, query)
    }

    /// AuthManager::securitySensitiveOperationStatus for a logged-in user: whether the
    /// password must be given again first, because the last password login in this session
    /// (`AuthManager:lastAuthTimestamp`) is more than `$wgReauthenticateTime` ago, was never
    /// (a session from remember-me cookies), or was another user's.
    pub fn needs_reauthentication(&self) -> bool {
        let Some(user) = self.user() else {
            return false;
        };
        let threshold = self.config().reauthenticate_time;
        if threshold < 0 {
            return false;
        }
        let data = &self.session.session().data;
        if data.user_id != user.id || data.last_auth == 0 {
            return true;
        }
        (self.now - data.last_auth).max(0) > threshold
    }
}

/// Where to go after a login, an account creation or a logout (`returnto`,
/// `returntoquery`). Only a title is kept, so the way back is always a page of this site.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReturnTo {
    pub title: Option<String>,
    pub query: Vec<(String, String)>,
}

impl ReturnTo {
    pub fn new(title: &str, query: &str) -> ReturnTo {
        let t = title.trim();
        let usable = !t.is_empty()
            && t.len() <= 255
            && !t.chars().any(|c| c.is_control() || "#<>[]|{}".contains(c));
        if !usable {
            return ReturnTo::default();
        }
        let query = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .filter(|(k, _)| k != "title")
            .collect();
        ReturnTo {
            title: Some(t.replace(' ', "_")),
            query,
        }
    }

    /// The "Return to" paragraph: the page it names, with its query, or `default`.
    pub fn link(&self, config: &Config, default: &str) -> String {
        match &self.title {
            Some(t) => {
                let q: Vec<(&str, &str)> = self
                    .query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                html::return_to(config, t, &q)
            }
            None => html::return_to(config, default, &[]),
        }
    }

    /// The hidden fields that carry it through a form.
    pub fn hidden_fields(&self) -> String {
        let Some(title) = &self.title else {
            return String::new();
        };
        let mut s = html::hidden("returnto", title);
        if !self.query.is_empty() {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(self.query.iter())
                .finish();
            s.push_str(&html::hidden("returntoquery", &q));
        }
        s
    }

    /// The query pairs to put on a link so the next page keeps it.
    pub fn link_query(&self) -> Vec<(&str, String)> {
        let Some(title) = &self.title else {
            return Vec::new();
        };
        let mut v = vec![("returnto", title.clone())];
        if !self.query.is_empty() {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(self.query.iter())
                .finish();
            v.push(("returntoquery", q));
        }
        v
    }

    /// The URL of the page it names.
    pub fn url(&self, config: &Config) -> Option<String> {
        let title = self.title.as_ref()?;
        let q: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Some(html::url(config, title, &q))
    }
}

/// Serves one page. `path_title` is the title the URL's path carries (see [`path_title`]);
/// a `title` parameter wins over it, as in MediaWiki.
pub async fn execute(
    services: &Services,
    req: &WebRequest<'_>,
    path_title: Option<&str>,
) -> WebResponse {
    let cleaned = cleaned_input(req);
    let req = &cleaned;
    let query_title = req
        .query
        .iter()
        .chain(req.body.iter())
        .find(|(k, _)| k == "title")
        .map(|(_, v)| v.as_ref());
    let title = query_title.or(path_title).unwrap_or("");
    let target = resolve(title);
    let now = time::now();
    let (ip, https) = (req.client_ip, req.https);
    let session =
        RequestSession::load(services, &req.cookies, ip, https, now, EntryPoint::Pages).await;
    let mut ctx = Ctx {
        services,
        req,
        session,
        now,
        title: String::new(),
    };
    // Without OATHAuth, its page does not exist.
    let target = match target {
        Target::Special(Special::OATHManage, _) if !services.config.oath.enabled => {
            Target::UnknownSpecial(title.trim_matches(is_title_space).to_string())
        }
        t => t,
    };
    let out = match target {
        Target::Special(sp, sub) => {
            ctx.title = match &sub {
                Some(s) if sp == Special::BotPasswords => format!("{}/{s}", sp.title()),
                _ => sp.title(),
            };
            match sp {
                Special::UserLogin => login::execute(&mut ctx, sub.as_deref()).await,
                Special::UserLogout => logout::execute(&mut ctx).await,
                Special::CreateAccount => createaccount::execute(&mut ctx).await,
                Special::BotPasswords => botpasswords::execute(&mut ctx, sub.as_deref()).await,
                Special::OATHManage => oathmanage::execute(&mut ctx).await,
            }
        }
        Target::UnknownSpecial(t) => {
            ctx.title = t;
            Output::Page {
                status: 404,
                heading: "No such special page".into(),
                body: format!(
                    "<p><strong>You have requested an invalid special page.</strong></p>\n<p>This site serves {}.</p>",
                    special_links(&ctx)
                ),
            }
        }
        Target::MainPage => {
            ctx.title = "Main_Page".into();
            main_page(&ctx)
        }
        Target::Other(t) => {
            ctx.title = t.replace(' ', "_");
            Output::Page {
                status: 404,
                body: format!(
                    "<p>There is no page named \u{201c}{}\u{201d} here: this site serves only its account pages, {}.</p>",
                    html::esc(&t),
                    special_links(&ctx)
                ),
                heading: t,
            }
        }
    };
    finish(ctx, out).await
}

fn special_links(ctx: &Ctx<'_>) -> String {
    let mut pages = vec![Special::UserLogin, Special::UserLogout];
    if ctx.config().allow_account_creation {
        pages.push(Special::CreateAccount);
    }
    if ctx.config().enable_bot_passwords {
        pages.push(Special::BotPasswords);
    }
    if ctx.config().oath.enabled {
        pages.push(Special::OATHManage);
    }
    pages
        .iter()
        .map(|p| {
            format!(
                "<a href=\"{}\">{}</a>",
                html::esc(&ctx.url(&p.title(), &[])),
                html::esc(&p.title())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn main_page(ctx: &Ctx<'_>) -> Output {
    let config = ctx.config();
    let mut items: Vec<String> = Vec::new();
    let mut link = |sp: Special, text: &str| {
        items.push(format!(
            "<li><a href=\"{}\">{}</a></li>",
            html::esc(&ctx.url(&sp.title(), &[])),
            html::esc(text)
        ))
    };
    match ctx.user() {
        Some(_) => {
            if config.enable_bot_passwords {
                link(Special::BotPasswords, "Manage your bot passwords");
            }
            if config.oath.enabled {
                link(Special::OATHManage, "Manage two-factor authentication");
            }
            if config.allow_account_creation {
                link(Special::CreateAccount, "Create another account");
            }
            link(Special::UserLogout, "Log out");
        }
        None => {
            link(Special::UserLogin, "Log in");
            if config.allow_account_creation {
                link(Special::CreateAccount, "Create an account");
            }
        }
    }
    let site = html::esc(&config.sitename);
    let status = match ctx.user() {
        Some(u) => format!(
            "You are logged in to {site} as <strong>{}</strong>.",
            html::esc(&u.name)
        ),
        None => format!("You are not logged in to {site}."),
    };
    Output::page(
        "Main Page",
        format!(
            "<p id=\"mw-main-status\">{status}</p>\n<ul class=\"mw-linklist\">{}</ul>\n\
             <p>Tools and bots use <code>{api}</code> (MediaWiki's Action API).</p>",
            items.join(""),
            api = html::esc(&format!("{}/api.php", html::script_path(config))),
        ),
    )
}

/// Stores the session, renders the page with the final state of the personal bar, and
/// adds the headers every page has.
async fn finish(mut ctx: Ctx<'_>, out: Output) -> WebResponse {
    let set_cookies = ctx.session.finish(&ctx.req.cookies).await;
    let mut headers: Vec<crate::request::Header> = Vec::new();
    let (status, body) = match out {
        Output::Page {
            status,
            heading,
            body,
        } => {
            let chrome = html::Chrome {
                config: ctx.config(),
                user: ctx.user().map(|u| u.name.as_str()),
                title: &ctx.title,
            };
            (status, chrome.document(&heading, &body))
        }
        Output::Redirect(location) => {
            headers.push(("Location".into(), location.into()));
            (if ctx.posted() { 303 } else { 302 }, String::new())
        }
    };
    headers.extend(
        [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Content-Security-Policy", CSP),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            (
                "Cache-Control",
                "private, no-cache, no-store, max-age=0, must-revalidate",
            ),
            ("Vary", "Cookie"),
        ]
        .iter()
        .map(|&(k, v)| (k.into(), v.into())),
    );
    for c in set_cookies {
        headers.push(("Set-Cookie".into(), c.into()));
    }
    WebResponse {
        status,
        headers,
        body: if ctx.req.method == "HEAD" {
            Vec::new()
        } else {
            body.into_bytes()
        },
        ran: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_titles_like_mediawiki() {
        assert_eq!(
            resolve("Special:UserLogin"),
            Target::Special(Special::UserLogin, None)
        );
        assert_eq!(
            resolve("special:userlogin/signup"),
            Target::Special(Special::UserLogin, Some("signup".into()))
        );
        assert_eq!(
            resolve("Special:Logout"),
            Target::Special(Special::UserLogout, None)
        );
        assert_eq!(
            resolve("Special:BotPasswords/my bot_x "),
            Target::Special(Special::BotPasswords, Some("my bot_x".into()))
        );
        assert_eq!(
            resolve("Special:OATHManage"),
            Target::Special(Special::OATHManage, None)
        );
        assert_eq!(
            resolve("Special:Manage two-factor authentication"),
            Target::Special(Special::OATHManage, None)
        );
        assert_eq!(resolve(""), Target::MainPage);
        assert_eq!(resolve("Main_Page"), Target::MainPage);
        assert_eq!(
            resolve("Special:Nope"),
            Target::UnknownSpecial("Special:Nope".into())
        );
        assert_eq!(resolve("Some_page"), Target::Other("Some page".into()));
    }

    #[test]
    fn path_titles() {
        assert_eq!(
            path_title("/wiki/Special:UserLogin").as_deref(),
            Some("Special:UserLogin")
        );
        assert_eq!(
            path_title("/w/index.php/Special:BotPasswords/a%20b+c").as_deref(),
            Some("Special:BotPasswords/a b+c")
        );
        assert_eq!(path_title("/w/api.php"), None);
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("a%zz%41"), "a%zzA");
    }

    #[test]
    fn returnto_keeps_only_a_title() {
        let r = ReturnTo::new("Special:BotPasswords", "a=1&title=X");
        assert_eq!(r.title.as_deref(), Some("Special:BotPasswords"));
        assert_eq!(r.query, vec![("a".to_string(), "1".to_string())]);
        assert_eq!(ReturnTo::new("a<b", ""), ReturnTo::default());
        assert_eq!(
            ReturnTo::new("Main Page", "")
                .url(&Config::default())
                .as_deref(),
            Some("/w/index.php?title=Main_Page")
        );
    }
}
