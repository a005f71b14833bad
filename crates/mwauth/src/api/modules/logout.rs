//! # action=logout (POST, csrf token)
//!
//! - The framework checks the `token` parameter first: missing → `missingparam`, in the
//!   query string → `mustpostparams`, wrong → `badtoken` ("Invalid CSRF token.").
//! - A bot-password session: its stored data is deleted and `…_BPsession` is cleared; the
//!   client's normal session, if any, is untouched.
//! - A normal session: its stored data is deleted and `…_session`, `…UserID` and `…Token`
//!   are cleared (`…UserName` stays, as in MediaWiki). The old cookie and the old csrf token
//!   are refused afterwards.
//! - An anonymous session the client holds no cookie for (token `+\`): nothing to end,
//!   no cookie sent.
//! - Answers `{}`.

use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{Flags, Handler, Module};
use crate::auth::sessions;
use crate::session::{Provider, Session};
use futures_util::future::BoxFuture;

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let config = ctx.services.config.clone();
    let https = ctx.req.https;
    match ctx.session.provider {
        Provider::BotPassword => {
            sessions::delete(ctx.services, &ctx.session.id).await;
            let name = sessions::session_cookie_name(&config, Provider::BotPassword);
            ctx.cookies
                .push(sessions::clear_cookie(&config, name, https));
        }
        // Session::unpersist does nothing for a session the client holds no cookie for.
        Provider::Cookie if ctx.session.persisted => {
            sessions::delete(ctx.services, &ctx.session.id).await;
            ctx.cookies.extend(sessions::logout_cookies(&config, https));
        }
        Provider::Cookie => {}
    }
    ctx.session = Session::new_anonymous();
    ctx.user = None;
    ctx.persist = false;
    Ok(())
}

/// ApiLogout: no parameters of its own, only the token's that ApiBase adds.
pub const MODULE: Module = Module {
    name: "logout",
    path: "logout",
    classname: "ApiLogout",
    group: Some("action"),
    prefix: "",
    flags: Flags::POSTED,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Logout"],
    params: &[],
    token: Some("csrf"),
    dynamic_parameters: false,
    handler: Some(Handler::Async(execute_boxed)),
};

fn execute_boxed<'c>(ctx: &'c mut Context<'_>) -> BoxFuture<'c, Result<(), ApiError>> {
    Box::pin(execute(ctx))
}
