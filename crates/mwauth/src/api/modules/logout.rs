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
use crate::api::modules::ModuleInfo;
use crate::api::params_spec::{ModuleDoc, ParamSpec};
use crate::auth::sessions;
use crate::session::{Provider, Session};

pub const INFO: ModuleInfo = ModuleInfo {
    name: "logout",
    must_be_posted: true,
    needs_token: Some("csrf"),
    token_param: "token",
    write_mode: false,
};

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

/// ApiLogout::getAllowedParams: only the token ApiBase adds for needsToken.
pub const PARAMS: &[ParamSpec] = &[ParamSpec::string("token").required().sensitive()];

pub const DOC: ModuleDoc = ModuleDoc {
    name: "logout",
    path: "logout",
    classname: "ApiLogout",
    group: Some("action"),
    prefix: "",
    flags: &["mustbeposted"],
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Logout"],
    params: PARAMS,
    token: Some("csrf"),
    dynamic_parameters: false,
};
