//! # action=createaccount (POST, create-account token in `createtoken`)
//!
//! - Needs `createreturnurl` or `createcontinue`.
//! - In AuthManager's order: a user name must be given (`invaliduser`), the creator needs the
//!   `createaccount` right (`permissiondenied`; a bot-password session without the
//!   `createaccount` grant lacks it), the name must be creatable and free (`invaliduser`,
//!   `userexists`), the account-creation throttle per IP, then `retype` must match
//!   (`badretype`) and the password must meet the password policy.
//! - `PASS` with the normalised `username`; the new account is not logged in. As MediaWiki
//!   after a database write, the answer carries the short-lived ChronologyProtector cookies
//!   `cpPosIndex`, `UseDC` and `UseCDNCache`.

use super::authmanager::{fail, message_format, require_continue_or_returnurl, AuthMessage};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec};
use crate::api::result::Obj;
use crate::auth::account::{create_account, Creator, PERMISSION_DENIED};
use crate::auth::login::CaptchaAnswer;
use crate::config::CaptchaTrigger;
use crate::i18n::Param;

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let format = message_format(ctx, "createmessageformat")?;
    let (cont, _returnurl) = require_continue_or_returnurl(ctx, "create")?;
    let res = if cont {
        fail(
            &AuthMessage::new("authmanager-create-not-in-progress", vec![]),
            &format,
        )
    } else {
        match create(ctx).await {
            Ok(username) => Obj::new().with("status", "PASS").with("username", username),
            Err(msg) => fail(&msg, &format),
        }
    };
    ctx.result.set("createaccount", res);
    Ok(())
}

async fn create(ctx: &mut Context<'_>) -> Result<String, AuthMessage> {
    let raw_name = ctx.params.get("username").unwrap_or("").to_string();
    let password = ctx.params.get("password").unwrap_or("").to_string();
    let retype = ctx.params.get("retype").unwrap_or("").to_string();
    ctx.params.get("email");
    ctx.params.get("realname");
    let logged_in_as = ctx.user().map(|u| u.name.clone());
    // AuthManager offers CreationReasonAuthenticationRequest (`reason`) to a logged-in
    // creator only; a visitor's `reason` stays an unrecognized parameter.
    let reason = match logged_in_as {
        Some(_) => ctx.params.get("reason").unwrap_or("").to_string(),
        None => String::new(),
    };
    let creator = Creator {
        may_create: ctx.has_right("createaccount"),
        throttle_exempt: ctx.has_right("noratelimit"),
        logged_in_as,
        bot: ctx.has_right("bot"),
        reason,
    };
    // The captcha's fields are read (and so recognized) only when a captcha is asked.
    let asked = ctx
        .services
        .config
        .captcha
        .triggers(CaptchaTrigger::CreateAccount)
        && !ctx.has_right("skipcaptcha");
    let (id, word) = if asked {
        (
            ctx.params.get("captchaId").map(str::to_string),
            ctx.params.get("captchaWord").map(str::to_string),
        )
    } else {
        (None, None)
    };
    let mut pending = ctx.session.session().data.captchas.clone();
    let answer = asked.then_some(CaptchaAnswer {
        pending: &mut pending,
        id: id.as_deref(),
        word: word.as_deref(),
    });
    let created = create_account(
        ctx.services,
        &raw_name,
        &password,
        &retype,
        ctx.req.client_ip,
        creator,
        answer,
    )
    .await;
    ctx.session.set_pending_captchas(pending);
    match created {
        Ok(user) => {
            ctx.chronology_cookies().await;
            Ok(user.name)
        }
        // The API reports the first refusal only (the first failed password policy).
        Err(refusals) => Err(match refusals.into_iter().next() {
            Some(r) if r.key == PERMISSION_DENIED => permission_denied(ctx),
            Some(r) => AuthMessage::new(r.key, r.params),
            None => AuthMessage::new("authmanager-create-disabled", vec![]),
        }),
    }
}

/// badaccess-groups: the groups that may create accounts, as wikitext links.
/// PermissionManager's `badaccess-groups`: the groups that have the right, each as
/// UserGroupMembership::getLinkWiki writes it in the user language (the group's page is in
/// the content language), as a comma list, and their number.
fn permission_denied(ctx: &Context<'_>) -> AuthMessage {
    let lang = &ctx.uselang;
    let sitename = &ctx.services.config.sitename;
    let group_name = |group: &str| {
        let key = format!("group-{group}");
        match lang.fetch(&key) {
            Some(_) => lang.text(&key, &[]),
            None => group.to_string(),
        }
    };
    let groups = lang.comma_list(&[
        group_name("*"),
        format!("[[{sitename}:Administrators|{}]]", group_name("sysop")),
    ]);
    AuthMessage::typed(
        "badaccess-groups",
        vec![Param::Plain(groups), Param::Int(2)],
    )
}

/// ApiAMCreateAccount::getAllowedParams (ApiAuthManagerHelper's parameters); ApiBase adds
/// the token's after them.
const PARAMS: &[ParamSpec] = super::authmanager::HELPER_PARAMS;

pub const MODULE: Module = Module {
    name: "createaccount",
    path: "createaccount",
    classname: "ApiAMCreateAccount",
    group: Some("action"),
    prefix: "create",
    extension: None,
    flags: Flags::WRITE_POSTED,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Account_creation"],
    params: PARAMS,
    token: Some("createaccount"),
    dynamic_parameters: true,
    handler: Some(async_handler!(execute)),
};
