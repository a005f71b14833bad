//! # Special:UserLogin
//!
//! - GET: the form (`wpName`, `wpPassword`, `wpRemember`, the session's login token in
//!   `wpLoginToken`, `returnto`); the session is stored so the token has somewhere to live.
//! - POST: the token first (none in the session: "uses cookies" text; missing or wrong:
//!   `sessionfailure`), then the same password login as `action=login`
//!   ([`crate::auth::login::begin_login`]: throttles, MediaWiki's refusal texts). Bot
//!   passwords do not log in here, as in MediaWiki.
//! - Success: a new session id (the old session is deleted), `UserID`/`UserName` cookies,
//!   and `Token` only with "Keep me logged in"; then a redirect to `returnto` (the Main Page
//!   without one), as LoginHelper::showReturnToPage does.
//! - `Special:UserLogin/signup` and `type=signup` lead to Special:CreateAccount.
//! - A logged-in user who comes with `returnto` (and no `force`) is sent on at once.
//! - `force=LEVEL` (from a security-sensitive page such as Special:BotPasswords): a
//!   logged-in user whose last password login is too old is asked to log in again
//!   (`userlogin-reauth`); the login records the time (`AuthManager:lastAuthTimestamp`).
//! - Two-factor users (`[oath]` on, a TOTP key in `oathauth_users`): the right password
//!   keeps the login in progress in the session (as action=clientlogin does) and the page
//!   asks for the code, as OATHAuth's TOTPAuthenticationRequest is shown: field `OATHToken`
//!   ("Two-factor token or recovery code"), `authAction=login-continue`, the message
//!   `oathauth-auth-ui`; a wrong code "Verification failed.", past the `badoath` limit
//!   `oathauth-throttled`; the right code logs in as a password alone would.
//! - ConfirmEdit's bad-login captcha: once `badlogin` is reached, or `badloginperuser` for
//!   the user of the session's flag or of the UserName cookie, the form carries a captcha
//!   (`captchaWord`, hidden `captchaId`); a login of a user past either limit needs its
//!   answer.

use super::html::{self, esc};
use super::{captcha, messages, Ctx, Output, ReturnTo, Special, TokenCheck};
use crate::auth::captcha::CaptchaAction;
use crate::auth::login::{begin_login, finish_second_step, FirstStep, Refusal};
use crate::auth::second_factor::{self, CodeCheck, BADOATH_WINDOW_SECS};
use crate::i18n::Param;
use crate::session::AuthnState;
use crate::user::UserRecord;

/// What the page shows after a POST that did not log in.
enum Next {
    /// The password form, with an error.
    Password(String),
    /// The code form of a login waiting for its second factor, with its message: a
    /// request (the password was right) or an error (a wrong code).
    Code { error: bool, message: String },
}

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
            Err(Next::Password(text)) => error = Some(text),
            Err(Next::Code { error, message }) => {
                return code_form(ctx, &returnto, error, &message, reauth)
            }
        }
    }
    form(ctx, &returnto, error, reauth).await
}

async fn submit(ctx: &mut Ctx<'_>) -> Result<(), Next> {
    let continuing = ctx.form("authAction") == Some("login-continue");
    let given = ctx.form("wpLoginToken").unwrap_or("");
    let refused = |ctx: &Ctx<'_>, key| {
        let message = messages::text(&ctx.config().sitename, key, &[]);
        match continuing && ctx.session.session().data.authn.is_some() {
            true => Next::Code {
                error: true,
                message,
            },
            false => Next::Password(message),
        }
    };
    match ctx.session.check_salted("login", "", given, None) {
        TokenCheck::Good => {}
        TokenCheck::NoSession => return Err(refused(ctx, "nocookieslogin")),
        TokenCheck::Missing | TokenCheck::Wrong => return Err(refused(ctx, "sessionfailure")),
    }
    if continuing {
        return second_step(ctx).await;
    }
    let name = ctx.form("wpName").unwrap_or("");
    let password = ctx.form("wpPassword").unwrap_or("");
    let remember = ctx.form("wpRemember").is_some();
    let ip = ctx.req.client_ip;
    // AuthManager::beginAuthentication ends any login in progress first.
    ctx.session.set_authn(None);
    let asks_captcha = captcha::login_asks(ctx).await;
    let mut pending = ctx.session.session().data.captchas.clone();
    let mut flag = ctx.session.session().data.login_captcha_per_user;
    let answer = asks_captcha.then(|| captcha::answer(ctx, &mut pending));
    let outcome = begin_login(ctx.services, name, password, ip, answer, &mut flag).await;
    ctx.session.set_pending_captchas(pending);
    ctx.session.set_login_captcha_per_user(flag);
    match outcome {
        Ok(FirstStep::Pass(user)) => log_in(ctx, user, remember).await,
        Ok(FirstStep::SecondFactor(user)) => {
            ctx.session.set_authn(Some(AuthnState {
                user_id: user.id,
                user_name: user.name.clone(),
                remember,
            }));
            Err(Next::Code {
                error: false,
                message: messages::text(&ctx.config().sitename, "oathauth-auth-ui", &[]),
            })
        }
        Err(refusal) => Err(Next::Password(refusal.text(&ctx.config().sitename))),
    }
}

/// The login in progress gets its code (TOTPSecondaryAuthenticationProvider, the same
/// checks as action=clientlogin's `logincontinue`).
async fn second_step(ctx: &mut Ctx<'_>) -> Result<(), Next> {
    let sitename = ctx.config().sitename.clone();
    // AuthManager::continueAuthentication with no login in progress (session data lost).
    let Some(state) = ctx.session.session().data.authn.clone() else {
        return Err(Next::Password(messages::text(
            &sitename,
            "authpage-cannot-login-continue",
            &[],
        )));
    };
    let token = ctx.form("OATHToken");
    match second_factor::check_code(ctx.services, state.user_id, token, ctx.now).await {
        CodeCheck::Pass => {}
        CodeCheck::Failed => {
            return Err(Next::Code {
                error: true,
                message: messages::text(&sitename, "oathauth-login-failed", &[]),
            })
        }
        CodeCheck::Throttled => {
            return Err(Next::Code {
                error: true,
                message: messages::text_with(
                    &sitename,
                    "oathauth-throttled",
                    &[Param::Duration(BADOATH_WINDOW_SECS)],
                ),
            })
        }
    }
    match ctx.services.users.user_by_id(state.user_id).await {
        Ok(Some(user)) => {
            finish_second_step(ctx.services, &user.name, ctx.req.client_ip).await;
            log_in(ctx, user, state.remember).await
        }
        // The account went away between the steps (or cannot be read).
        _ => {
            ctx.session.set_authn(None);
            Err(Next::Password(
                Refusal::new("authmanager-authn-not-in-progress").text(&sitename),
            ))
        }
    }
}

/// The login passed: a new session for the user.
async fn log_in(ctx: &mut Ctx<'_>, user: UserRecord, remember: bool) -> Result<(), Next> {
    let id = user.id;
    if ctx.session.log_in(user, remember).await.is_err() {
        return Err(Next::Password(super::STORE_FAILED.into()));
    }
    // SpecialUserLogin::successfulAction touches the user (user-quicktouched).
    if let Err(e) = ctx.services.sessions.user_logged_in_on_page(id).await {
        tracing::error!("session store failed: {e}");
    }
    Ok(())
}

/// The form of the login's second step (TOTPAuthenticationRequest's field).
fn code_form(
    ctx: &mut Ctx<'_>,
    returnto: &ReturnTo,
    error: bool,
    message: &str,
    reauth: bool,
) -> Output {
    let token = ctx.session.salted_token("login", "");
    let sitename = &ctx.config().sitename;
    let notice = html::message_box(
        if error { "error" } else { "warning" },
        &html::text(message),
    );
    let body = format!(
        "<form id=\"userloginForm\" name=\"userlogin\" class=\"mw-narrow\" method=\"post\" action=\"{action}\">\n\
         {notice}\n{code_field}\n\
         <div class=\"mw-buttons\"><button type=\"submit\" id=\"wpLoginAttempt\" name=\"wploginattempt\" value=\"Continue login\" \
         class=\"mw-button mw-button-primary mw-button-block\">Continue login</button></div>\n\
         {hidden}{returnto}\n</form>",
        action = esc(&ctx.url(&Special::UserLogin.title(), &[])),
        code_field = html::field(
            "wpOATHToken",
            &messages::text(sitename, "oathauth-auth-token-label", &[]),
            "text",
            "OATHToken",
            "",
            " dir=\"ltr\" spellcheck=\"false\" required autofocus autocomplete=\"one-time-code\" inputmode=\"numeric\"",
            Some(&messages::text(sitename, "oathauth-auth-token-help-ui", &[])),
        ),
        hidden = html::hidden("authAction", "login-continue")
            + &html::hidden("wpLoginToken", &token)
            + &force_field(ctx, reauth),
        returnto = returnto.hidden_fields(),
    );
    Output::page("Log in", body)
}

/// `force` carried through the form while a security-sensitive page asked for the login.
fn force_field(ctx: &Ctx<'_>, reauth: bool) -> String {
    if reauth {
        html::hidden("force", ctx.param("force").unwrap_or(""))
    } else {
        String::new()
    }
}

async fn form(
    ctx: &mut Ctx<'_>,
    returnto: &ReturnTo,
    error: Option<String>,
    reauth: bool,
) -> Output {
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
    let captcha = if captcha::login_asks(ctx).await {
        captcha::fields(ctx, CaptchaAction::BadLogin)
    } else {
        String::new()
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
         <label for=\"wpRemember\">Keep me logged in</label></div>\n{captcha}\n\
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
        token = html::hidden("wpLoginToken", &token) + &force_field(ctx, reauth),
        returnto = returnto.hidden_fields(),
    );
    Output::page("Log in", body)
}
