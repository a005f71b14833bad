//! # action=query&meta=authmanagerinfo (amirequestsfor, amimergerequestfields, amimessageformat)
//!
//! - `canauthenticatenow`, `cancreateaccounts`, `canlinkaccounts` (never: no linking
//!   providers).
//! - With `amirequestsfor=login|create`: no preserved state, and the requests a password-only
//!   wiki offers (username and password, remember-me; for creation also retype, email, real
//!   name), their fields separate or merged; `login-continue` while a two-factor login
//!   waits for its code: OATHAuth's TOTPAuthenticationRequest.

use super::authmanager::{format_requests, message_format, CaptchaShown};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec};
use crate::api::result::Obj;
use crate::auth::captcha::{self, CaptchaAction, PendingCaptcha};
use crate::config::CaptchaTrigger;

const ACTIONS: &[&str] = &[
    "login",
    "login-continue",
    "create",
    "create-continue",
    "link",
    "link-continue",
    "change",
    "remove",
    "unlink",
];

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let requests_for = ctx.single_enum("amirequestsfor", ACTIONS, None)?;
    let merge = ctx.params.flag("amimergerequestfields");
    let format = message_format(ctx, "amimessageformat")?;
    let can_auth = ctx.session.provider() == crate::session::Provider::Cookie;
    // RememberMeAuthenticationRequest asks the session's provider how long it remembers a
    // user: a bot-password session's does not (BotPasswordSessionProvider).
    let remember = if can_auth {
        ctx.services.config.remember_expiry
    } else {
        0
    };
    let mut info = Obj::new()
        .with("canauthenticatenow", can_auth)
        .with(
            "cancreateaccounts",
            ctx.services.config.allow_account_creation,
        )
        .with("canlinkaccounts", false);
    if let Some(action) = requests_for {
        info.set("haspreservedstate", false);
        info.set("hasprimarypreservedstate", false);
        info.set("preservedusername", "");
        let current = (!ctx.is_anon()).then(|| ctx.user_name());
        // A login waiting for its TOTP code continues with the TOTPAuthenticationRequest,
        // whose account is the name of the user logging in.
        let pending = ctx
            .session
            .session()
            .data
            .authn
            .as_ref()
            .map(|a| a.user_name.clone());
        let (base, current) = match (action.as_str(), pending) {
            ("login" | "create" | "change" | "remove", _) => (action.as_str(), current),
            ("login-continue", Some(name)) => ("totp", Some(name)),
            _ => ("none", current),
        };
        let asked = match base {
            "create" | "login" => ask_captcha(ctx, base).await,
            _ => None,
        };
        let shown = asked.as_ref().map(|(pending, action)| CaptchaShown {
            id: &pending.id,
            captcha: &pending.captcha,
            kind: ctx.services.config.captcha.kind,
            action: *action,
        });
        let reqs = format_requests(
            base,
            current.as_deref(),
            shown.as_ref(),
            merge,
            &format,
            remember,
        );
        for (k, v) in reqs.entries {
            info.set(&k, v);
        }
    }
    ctx.result
        .obj_mut("query", false)
        .set("authmanagerinfo", info);
    Ok(())
}

/// CaptchaPreAuthenticationProvider::getAuthenticationRequests: for `create` when account
/// creation asks one of this user, for `login` when logins from this IP need one, or the
/// session's per-user flag is up, or the user the UserName cookie names needs one; each call
/// asks a new captcha, kept in the session (which is stored and given its cookie).
async fn ask_captcha(ctx: &mut Context<'_>, base: &str) -> Option<(PendingCaptcha, CaptchaAction)> {
    let config = &ctx.services.config.captcha;
    let action = if base == "create" {
        let asked = config.triggers(CaptchaTrigger::CreateAccount) && !ctx.has_right("skipcaptcha");
        asked.then_some(CaptchaAction::CreateAccount)?
    } else {
        let asked = super::clientlogin::login_asks_captcha(ctx).await;
        asked.then_some(CaptchaAction::BadLogin)?
    };
    let mut pending = ctx.session.session().data.captchas.clone();
    let asked = captcha::ask(&ctx.services.config.captcha, &mut pending)?;
    ctx.session.set_pending_captchas(pending);
    Some((asked, action))
}

/// ApiQueryAuthManagerInfo::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("securitysensitiveoperation"),
    ParamSpec::enumeration("requestsfor", ACTIONS),
    ParamSpec::boolean("mergerequestfields"),
    ParamSpec::enumeration("messageformat", super::authmanager::MESSAGE_FORMATS)
        .default_str("wikitext"),
];

pub const MODULE: Module = Module {
    name: "authmanagerinfo",
    path: "query+authmanagerinfo",
    classname: "ApiQueryAuthManagerInfo",
    group: Some("meta"),
    prefix: "ami",
    flags: Flags::NONE,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Authmanagerinfo"],
    params: PARAMS,
    handler: Some(async_handler!(execute)),
    ..Module::BASE
};
