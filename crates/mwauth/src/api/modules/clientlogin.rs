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
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{Flags, Handler, Module, ParamSpec};
use crate::api::result::Obj;
use crate::auth::login::{password_login, THROTTLED};
use crate::request::LoginResult;
use futures_util::future::BoxFuture;

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let format = message_format(ctx, "loginmessageformat")?;
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
                start_user_session(ctx, user, remember).await?;
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

/// ApiClientLogin::getAllowedParams (ApiAuthManagerHelper's parameters); ApiBase adds the
/// token's after them.
const PARAMS: &[ParamSpec] = super::authmanager::HELPER_PARAMS;

pub const MODULE: Module = Module {
    name: "clientlogin",
    path: "clientlogin",
    classname: "ApiClientLogin",
    group: Some("action"),
    prefix: "login",
    flags: Flags::WRITE_POSTED,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login"],
    params: PARAMS,
    token: Some("login"),
    dynamic_parameters: true,
    handler: Some(Handler::Async(execute_boxed)),
};

fn execute_boxed<'c>(ctx: &'c mut Context<'_>) -> BoxFuture<'c, Result<(), ApiError>> {
    Box::pin(execute(ctx))
}
