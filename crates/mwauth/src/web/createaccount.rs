//! # Special:CreateAccount
//!
//! - Only when account creation is allowed (`allow_account_creation`, on by default);
//!   otherwise "Direct account creation is not enabled on this wiki." (403).
//! - The form: `wpName`, `wpPassword`, `retype` (MediaWiki's name: AuthManagerSpecialPage
//!   keeps the request field's; its id is `wpRetype`, which older forms posted as the name
//!   and is still read), the session's create-account token in
//!   `wpCreateaccountToken` (checked first on POST, as the login token is).
//! - The retyped password is checked as the form's field (empty: "This value is required.",
//!   different: `badretype`), then [`crate::auth::account::create_account`] decides in
//!   AuthManager's order: `noname`, `userexists`, the per-IP throttle, the password policy
//!   (every failure shown).
//! - ConfirmEdit's `createaccount` trigger (unless the creator has `skipcaptcha`): the form
//!   carries a captcha (`captchaWord`, hidden `captchaId`), a new one each time it is shown;
//!   a wrong, missing or reused answer is `captcha-createaccount-fail`.
//! - A visitor who creates an account is logged in to it (a new session, not remembered) and
//!   welcomed; a logged-in user creates the account for someone else and stays who they are.

use super::html::{self, esc};
use super::{captcha, messages, Ctx, Output, ReturnTo, Special, TokenCheck};
use crate::auth::account::{create_account, Creator};
use crate::auth::captcha::CaptchaAction;
use crate::config::CaptchaTrigger;

/// ConfirmEdit's `createaccount` trigger, unless the creator has `skipcaptcha`.
fn captcha_asked(ctx: &Ctx<'_>) -> bool {
    ctx.config().captcha.triggers(CaptchaTrigger::CreateAccount) && !ctx.has_right("skipcaptcha")
}

pub(crate) async fn execute(ctx: &mut Ctx<'_>) -> Output {
    if !ctx.config().allow_account_creation {
        return Output::Page {
            status: 403,
            heading: "Cannot create accounts".into(),
            body: "<p>Direct account creation is not enabled on this wiki.</p>".into(),
        };
    }
    ctx.session.persist();
    let returnto = ctx.return_to();
    let mut errors = Vec::new();
    if ctx.posted() {
        match submit(ctx, &returnto).await {
            Ok(out) => return out,
            Err(e) => errors = e,
        }
    }
    form(ctx, &returnto, &errors)
}

async fn submit(ctx: &mut Ctx<'_>, returnto: &ReturnTo) -> Result<Output, Vec<String>> {
    let given = ctx.form("wpCreateaccountToken").unwrap_or("");
    match ctx.session.check_salted("createaccount", "", given, None) {
        TokenCheck::Good => {}
        TokenCheck::NoSession => {
            return Err(vec![messages::text(
                &ctx.config().sitename,
                "nocookiesfornew",
                &[],
            )])
        }
        TokenCheck::Missing | TokenCheck::Wrong => {
            return Err(vec![messages::text(
                &ctx.config().sitename,
                "sessionfailure",
                &[],
            )])
        }
    }
    let name = ctx.form("wpName").unwrap_or("");
    let password = ctx.form("wpPassword").unwrap_or("");
    let retype = ctx
        .form("retype")
        .or_else(|| ctx.form("wpRetype"))
        .unwrap_or("");
    if !password.is_empty() {
        if retype.is_empty() {
            return Err(vec![messages::text(
                &ctx.config().sitename,
                "htmlform-required",
                &[],
            )]);
        }
        if retype != password {
            return Err(vec![messages::text(
                &ctx.config().sitename,
                "badretype",
                &[],
            )]);
        }
    }
    let logged_in_as = ctx.user().map(|u| u.name.clone());
    // The reason field (`reason`, id wpReason) is on the form for a logged-in creator only.
    let reason = match logged_in_as {
        Some(_) => ctx.form("reason").unwrap_or("").to_string(),
        None => String::new(),
    };
    let creator = Creator {
        // The page is only offered to those who may create accounts.
        may_create: true,
        throttle_exempt: ctx.has_right("noratelimit"),
        logged_in_as,
        bot: ctx.has_right("bot"),
        reason,
    };
    let sitename = ctx.config().sitename.clone();
    let mut pending = ctx.session.session().data.captchas.clone();
    let answer = captcha_asked(ctx).then(|| captcha::answer(ctx, &mut pending));
    let created = create_account(
        ctx.services,
        name,
        password,
        retype,
        ctx.req.client_ip,
        creator,
        answer,
    )
    .await;
    ctx.session.set_pending_captchas(pending);
    let user = created.map_err(|refusals| {
        refusals
            .iter()
            .map(|r| r.text(&sitename))
            .collect::<Vec<_>>()
    })?;
    let config = ctx.config();
    let back = |default: &str| returnto.link(config, default);
    if ctx.user().is_some() {
        // Created for someone else: the creator stays logged in as themselves.
        return Ok(Output::page(
            "Account created",
            format!(
                "<p id=\"mw-createaccount-done\">The user account for <strong>{}</strong> has been created.</p>\n{}",
                esc(&user.name),
                back(&Special::CreateAccount.title())
            ),
        ));
    }
    let name = user.name.clone();
    if ctx.session.log_in(user, false).await.is_err() {
        return Err(vec![super::STORE_FAILED.into()]);
    }
    Ok(Output::page(
        format!("Welcome, {name}!"),
        format!(
            "<p id=\"mw-createaccount-done\">Your account has been created.</p>\n{}",
            back("Main_Page")
        ),
    ))
}

fn form(ctx: &mut Ctx<'_>, returnto: &ReturnTo, errors: &[String]) -> Output {
    let token = ctx.session.salted_token("createaccount", "");
    let another = ctx.user().is_some();
    let notice = match errors {
        [] => String::new(),
        [one] => html::message_box("error", &html::text(one)),
        many => html::message_box(
            "error",
            &format!(
                "<ul>{}</ul>",
                many.iter()
                    .map(|e| format!("<li>{}</li>", html::text(e)))
                    .collect::<String>()
            ),
        ),
    };
    let name = ctx.form("wpName").unwrap_or("");
    // The name field first; after a refusal with a name typed, the password.
    let (name_focus, password_focus) = if name.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    let captcha = if captcha_asked(ctx) {
        captcha::fields(ctx, CaptchaAction::CreateAccount)
    } else {
        String::new()
    };
    let body = format!(
        "<form id=\"userlogin2\" name=\"userlogin2\" class=\"mw-narrow\" method=\"post\" action=\"{action}\">\n\
         {notice}\n{name_field}\n{password_field}\n{retype_field}\n{captcha}\n\
         <div class=\"mw-buttons\"><button type=\"submit\" id=\"wpCreateaccount\" name=\"wpCreateaccount\" value=\"1\" \
         class=\"mw-button mw-button-primary mw-button-block\">{submit}</button></div>\n\
         {token}{returnto}\n</form>",
        action = esc(&ctx.url(&Special::CreateAccount.title(), &[])),
        name_field = html::field(
            "wpName2",
            "Username",
            "text",
            "wpName",
            name,
            &format!(
                " placeholder=\"{}\" autocomplete=\"username\" autocapitalize=\"off\" spellcheck=\"false\" required{name_focus}",
                if another { "Enter the username" } else { "Enter your username" }
            ),
            None,
        ),
        password_field = html::field(
            "wpPassword2",
            "Password",
            "password",
            "wpPassword",
            "",
            &format!(" placeholder=\"Enter a password\" autocomplete=\"new-password\" required{password_focus}"),
            Some("It is recommended to use a unique password that you are not using on any other website."),
        ),
        retype_field = html::field(
            "wpRetype",
            "Confirm password",
            "password",
            "retype",
            "",
            " placeholder=\"Enter password again\" autocomplete=\"new-password\" required",
            None,
        ),
        submit = if another { "Create account" } else { "Create your account" },
        token = html::hidden("wpCreateaccountToken", &token),
        returnto = returnto.hidden_fields(),
    );
    Output::page("Create account", body)
}
