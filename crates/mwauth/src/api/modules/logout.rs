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
//! - Answers `{}`; when the session store cannot delete the session, MediaWiki's
//!   internal-error shape (as for a store that cannot load it) and no cookie changes.

use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{async_handler, Flags, Module};

/// A store that fails to delete the session answers as one that fails to load it, and the
/// client keeps its session and cookies (see [`RequestSession::log_out`]).
///
/// [`RequestSession::log_out`]: crate::auth::request_session::RequestSession::log_out
pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    ctx.session
        .log_out()
        .await
        .map_err(|_| ApiError::internal())
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
    handler: Some(async_handler!(execute)),
    ..Module::BASE
};
