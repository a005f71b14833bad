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
use crate::api::main::internal_error;
use crate::api::modules::ModuleInfo;
use crate::api::params_spec::{ModuleDoc, ParamSpec};

pub const INFO: ModuleInfo = ModuleInfo {
    name: "logout",
    must_be_posted: true,
    needs_token: Some("csrf"),
    token_param: "token",
    write_mode: false,
};

/// A store that fails to delete the session answers as one that fails to load it, and the
/// client keeps its session and cookies (see [`RequestSession::log_out`]).
///
/// [`RequestSession::log_out`]: crate::auth::request_session::RequestSession::log_out
pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    ctx.session.log_out().await.map_err(|_| internal_error())
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
