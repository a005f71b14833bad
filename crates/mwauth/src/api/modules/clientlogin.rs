//! # action=clientlogin (POST, login token in `logintoken`)
//!
//! - Needs `loginreturnurl` or `logincontinue`; a return URL without a scheme is `badurl_…`.
//! - `username` + `password` (+ `rememberMe`): the same engine and throttle as action=login's
//!   main-account path. `PASS` with `username`: a new session id, `UserID` and `UserName`
//!   cookies for 30 days, or with `rememberMe` also `Token`, all for 180 days.
//! - `FAIL` with `message` (in `loginmessageformat`), `messagecode` and `canpreservestate`.
//! - `logincontinue`: a password-only wiki never has a login in progress, so `FAIL`
//!   "authmanager-authn-not-in-progress", as MediaWiki answers when session data is gone.

use super::authmanager::{fail, message_format, require_continue_or_returnurl, AuthMessage};
use super::login::start_user_session;
use super::ModuleInfo;
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{ModuleDoc, ParamSpec};
use crate::api::request::LoginResult;
use crate::api::result::Obj;
use crate::auth::login::{password_login, THROTTLED};

pub const INFO: ModuleInfo = ModuleInfo {
    name: "clientlogin",
    must_be_posted: true,
    needs_token: Some("login"),
    token_param: "logintoken",
    write_mode: true,
};

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let format = message_format(ctx, "loginmessageformat")?;
    ctx.params.get("loginrequests");
    ctx.params.flag("loginmergerequestfields");
    ctx.params.flag("loginpreservestate");
    let (cont, _returnurl) = require_continue_or_returnurl(ctx, "login")?;
    let res = if cont {
        ctx.ran.login = Some(LoginResult::Failed);
        fail(
            &AuthMessage::new("authmanager-authn-not-in-progress", vec![]),
            &format,
        )
    } else {
        let name = ctx.params.get("username").unwrap_or("").to_string();
        let password = ctx.params.get("password").unwrap_or("").to_string();
        let remember = ctx.params.flag("rememberMe");
        match password_login(ctx.services, &name, &password, ctx.req.client_ip).await {
            Ok(user) => {
                let username = user.name.clone();
                start_user_session(ctx, user, remember).await;
                ctx.ran.login = Some(LoginResult::Success);
                Obj::new().with("status", "PASS").with("username", username)
            }
            Err(refusal) => {
                ctx.ran.login = Some(if refusal.key == THROTTLED {
                    LoginResult::Throttled
                } else {
                    LoginResult::Failed
                });
                fail(&AuthMessage::new(refusal.key, refusal.params), &format)
            }
        }
    };
    ctx.result.set("clientlogin", res);
    Ok(())
}

/// ApiClientLogin::getAllowedParams (ApiAuthManagerHelper's parameters), then the token
/// ApiBase adds for needsToken.
pub const PARAMS: &[ParamSpec] = super::authmanager::HELPER_PARAMS;

pub const DOC: ModuleDoc = ModuleDoc {
    name: "clientlogin",
    path: "clientlogin",
    classname: "ApiClientLogin",
    group: Some("action"),
    prefix: "login",
    flags: &["writerights", "mustbeposted"],
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login"],
    params: PARAMS,
    token: Some("login"),
    dynamic_parameters: true,
};
