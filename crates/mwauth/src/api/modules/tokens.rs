//! # action=query&meta=tokens (type=csrf|watch|patrol|rollback|userrights|login|createaccount)
//!
//! - Each token is `hex(HMAC-MD5(secret, timestamp ++ salt))`, the hex timestamp and `+\`.
//! - Anonymous users get `+\` for csrf-style tokens; login and createaccount tokens come
//!   from their own session secrets and make the session persistent (sets the cookie).
//! - `type=*` (PARAM_ALL): every type, in the order above. Unknown types, and `*` beside
//!   other types: an "Unrecognized value" warning. Requests that break the same-origin
//!   policy (`origin=*`, JSONP) get a warning and no tokens.

use crate::api::context::{Context, TOKEN_TYPES};
use crate::api::error::{ApiError, ApiMessage};
use crate::api::params_spec::{Flags, Handler, Module, ParamSpec};
use crate::api::result::Obj;

pub fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let types = ctx.multi_enum(&MODULE, "type")?;
    if !ctx.same_origin {
        ctx.warn(
            "query+tokens",
            ApiMessage::new("tokens-origin", "apiwarn-tokens-origin", &[]),
        );
        return Ok(());
    }
    let mut tokens = Obj::new();
    for kind in types {
        let value = ctx.token(kind);
        tokens.set(&format!("{kind}token"), value);
    }
    ctx.result.obj_mut("query", false).set("tokens", tokens);
    Ok(())
}

/// ApiQueryTokens::getAllowedParams.
const PARAMS: &[ParamSpec] = &[ParamSpec::enumeration("type", TOKEN_TYPES)
    .multi()
    .default_str("csrf")
    .all()];

pub const MODULE: Module = Module {
    name: "tokens",
    path: "query+tokens",
    classname: "ApiQueryTokens",
    group: Some("meta"),
    prefix: "",
    flags: Flags::NONE,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Tokens"],
    params: PARAMS,
    handler: Some(Handler::Sync(execute)),
    ..Module::BASE
};
