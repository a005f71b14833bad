//! # Special:UserLogin
//!
//! - GET: the form (`wpName`, `wpPassword`, `wpRemember`, the session's login token in
//!   `wpLoginToken`, `returnto`); the session is stored so the token has somewhere to live.
//! - POST: the token first (none in the session: "uses cookies" text; missing or wrong:
//!   `sessionfailure`), then the same password login as `action=login`
//!   ([`crate::auth::login::password_login`]: throttles, MediaWiki's refusal texts). Bot
//!   passwords do not log in here, as in MediaWiki.
//! - Success: a new session id (the old session is deleted), `UserID`/`UserName` cookies,
//!   and `Token` only with "Keep me logged in"; then a redirect to `returnto` (the Main Page
//!   without one), as LoginHelper::showReturnToPage does.
//! - `Special:UserLogin/signup` and `type=signup` lead to Special:CreateAccount.
//! - A logged-in user who comes with `returnto` (and no `force`) is sent on at once.
//! - `force=LEVEL` (from a security-sensitive page such as Special:BotPasswords): a
//!   logged-in user whose last password login is too old is asked to log in again
//!   (`userlogin-reauth`); the login records the time (`AuthManager:lastAuthTimestamp`).

use super::html::{self, esc};
use super::{messages, Ctx, Output, ReturnTo, Special, TokenCheck};
use crate::auth::login::password_login;

/// LoginHelper::getValidErrorMessages that mwauth's pages pass along (`warning=…`).
fn entry_warning(key: &str) -> Option<&str> {
    matches!(key, "exception-nologin-text").then_some(key)
}

pub(crate) async fn execute(ctx: &mut Ctx<'_>, sub: Option<&str>) -> Output {
    let mut returnto = ctx.return_to();
    if sub == Some("signup") || ctx.param("type") == Some("signup") {
        let q = returnto.link_query();
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return Output::Redirect(ctx.url(&Special::CreateAccount.title(), &q));
    }
    // T35997: logging in never leads back to the logout page.
    if returnto.title.as_deref().is_some_and(|t| {
        matches!(
            super::resolve(t),
            super::Target::Special(Special::UserLogout, _)
        )
    }) {
        returnto = ReturnTo::default();
    }
    // LoginSignupSpecialPage::load: `force=LEVEL` asks a logged-in user for the password
    // again (a security-sensitive page sent them here); kept through the form's POST.
    let reauth = ctx.param("force").is_some_and(|f| !f.is_empty()) && ctx.needs_reauthentication();
    // LoginSignupSpecialPage::execute: a logged-in user sent here on the way to a page
    // (`returnto`) goes straight there, unless asked to log in again.
    let asked_to_return = ctx.param("returnto").is_some_and(|v| !v.is_empty())
        || ctx.param("returntoquery").is_some_and(|v| !v.is_empty());
    if ctx.user().is_some() && !ctx.posted() && !reauth && asked_to_return {
        return Output::Redirect(
            returnto
                .url(ctx.config())
                .unwrap_or_else(|| ctx.url("Main_Page", &[])),
        );
    }
    // The session must persist for the token to work.
    ctx.session.persist();
    let mut error = None;
    if ctx.posted() {
        match submit(ctx).await {
            Ok(()) => {
                let to = returnto
                    .url(ctx.config())
                    .unwrap_or_else(|| ctx.url("Main_Page", &[]));
                return Output::Redirect(to);
            }
            Err(text) => error = Some(text),
        }
    }
    form(ctx, &returnto, error, reauth)
}

async fn submit(ctx: &mut Ctx<'_>) -> Result<(), String> {
    let given = ctx.form("wpLoginToken").unwrap_or("");
    match ctx.session.check_salted("login", "", given, None) {
        TokenCheck::Good => {}
        TokenCheck::NoSession => {
            return Err(messages::text(
                &ctx.config().sitename,
                "nocookieslogin",
                &[],
            ))
        }
        TokenCheck::Missing | TokenCheck::Wrong => {
            return Err(messages::text(
                &ctx.config().sitename,
                "sessionfailure",
                &[],
            ))
        }
    }
    let name = ctx.form("wpName").unwrap_or("");
    let password = ctx.form("wpPassword").unwrap_or("");
    let remember = ctx.form("wpRemember").is_some();
    match password_login(ctx.services, name, password, ctx.req.client_ip).await {
        Ok(user) => {
            let id = user.id;
            match ctx.session.log_in(user, remember).await {
                Ok(()) => {
                    // SpecialUserLogin::successfulAction touches the user (user-quicktouched).
                    if let Err(e) = ctx.services.sessions.user_logged_in_on_page(id).await {
                        tracing::error!("session store failed: {e}");
                    }
                    Ok(())
                }
                Err(_) => Err(super::STORE_FAILED.into()),
            }
        }
        Err(refusal) => Err(refusal.text(&ctx.config().sitename)),
    }
}

fn form(ctx: &mut Ctx<'_>, returnto: &ReturnTo, error: Option<String>, reauth: bool) -> Output {
    let config = ctx.config();
    let token = ctx.session.salted_token("login", "");
    let notice = match (&error, ctx.user()) {
        (Some(e), _) => html::message_box("error", &html::text(e)),
        (None, Some(u)) if reauth => html::message_box(
            "warning",
            &html::text(&messages::text(
                &ctx.config().sitename,
                "userlogin-reauth",
                &[&u.name],
            )),
        ),
        (None, Some(u)) => html::message_box(
            "warning",
            &html::text(&messages::text(
                &ctx.config().sitename,
                "userlogin-loggedin",
                &[&u.name],
            )),
        ),
        (None, None) => ctx
            .param("warning")
            .or_else(|| ctx.param("error"))
            .and_then(entry_warning)
            .map(|w| {
                let text = messages::text(&config.sitename, w, &[]);
                html::message_box("warning", &html::text(&text))
            })
            .unwrap_or_default(),
    };
    // The name typed before, else the one the UserName cookie remembers.
    let user_name_cookie = format!("{}UserName", config.cookie_prefix());
    let name = ctx
        .form("wpName")
        .or_else(|| ctx.req.cookie(&user_name_cookie))
        .unwrap_or("");
    let (name_focus, password_focus) = if name.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    let remember = if ctx.form("wpRemember").is_some() {
        " checked"
    } else {
        ""
    };
    let cta = if ctx.user().is_none() && config.allow_account_creation {
        let q = returnto.link_query();
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!(
            "<div class=\"mw-cta\"><p>Don't have an account? <a id=\"mw-createaccount-join\" href=\"{}\">Join {}</a></p></div>",
            esc(&ctx.url(&Special::CreateAccount.title(), &q)),
            esc(&config.sitename)
        )
    } else {
        String::new()
    };
    let body = format!(
        "<form id=\"userloginForm\" name=\"userlogin\" class=\"mw-narrow\" method=\"post\" action=\"{action}\">\n\
         {notice}\n{name_field}\n{password_field}\n\
         <div class=\"mw-check\"><input type=\"checkbox\" id=\"wpRemember\" name=\"wpRemember\" value=\"1\"{remember}>\
         <label for=\"wpRemember\">Keep me logged in</label></div>\n\
         <div class=\"mw-buttons\"><button type=\"submit\" id=\"wpLoginAttempt\" name=\"wploginattempt\" value=\"Log in\" \
         class=\"mw-button mw-button-primary mw-button-block\">Log in</button></div>\n\
         {token}{returnto}\n</form>\n{cta}",
        action = esc(&ctx.url(&Special::UserLogin.title(), &[])),
        name_field = html::field(
            "wpName1",
            "Username",
            "text",
            "wpName",
            name,
            &format!(" placeholder=\"Enter your username\" autocomplete=\"username\" autocapitalize=\"off\" spellcheck=\"false\" required{name_focus}"),
            None,
        ),
        password_field = html::field(
            "wpPassword1",
            "Password",
            "password",
            "wpPassword",
            "",
            &format!(" placeholder=\"Enter your password\" autocomplete=\"current-password\" required{password_focus}"),
            None,
        ),
        token = html::hidden("wpLoginToken", &token)
            + &if reauth {
                html::hidden("force", ctx.param("force").unwrap_or(""))
            } else {
                String::new()
            },
        returnto = returnto.hidden_fields(),
    );
    Output::page("Log in", body)
}
