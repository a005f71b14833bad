//! # action=checktoken (type, token, maxtokenage)
//!
//! - `valid` when the token matches this session's token of that type (and is young enough),
//!   `expired` when only `maxtokenage` fails it, otherwise `invalid`.
//! - `generated`: the ISO 8601 time the token claims, whenever it has a token's shape.
//! - A token ending in ` \\` (a `+` that arrived unencoded and became a space) gets a warning
//!   that the client's percent-encoding is broken.
//! - Checking a login or createaccount token persists the session (sets its cookie), as
//!   fetching one does.

use crate::api::context::{token_salt, Context, TOKEN_TYPES};
use crate::api::error::{ApiError, ApiMessage};
use crate::api::params_spec::{Flags, Handler, Module, ParamSpec};
use crate::api::result::Obj;
use crate::session::token;
use crate::time;

pub fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let kind = ctx
        .single_enum("type", TOKEN_TYPES, None)?
        .ok_or_else(|| ApiError::missing_param("type"))?;
    let given = ctx
        .params
        .get("token")
        .map(str::to_string)
        .ok_or_else(|| ApiError::missing_param("token"))?;
    let max_age = ctx.integer("maxtokenage")?;
    // ApiQueryTokens::getToken fetches session-held tokens (login, createaccount) the same
    // way for checking as for handing out: it creates the secret and persists the session,
    // so even checking one sets the session cookie.
    if matches!(token_salt(&kind), Some((key, _)) if key != "default") {
        ctx.token(&kind);
    }
    // MediaWiki tests for urldecode(Token::SUFFIX), which is " \\".
    if given.ends_with(" \\") {
        ctx.warn(
            "checktoken",
            ApiMessage::new(
                "checktoken-percentencoding",
                "apiwarn-checktoken-percentencoding",
                &[],
            ),
        );
    }
    let result = if ctx.check_token(&kind, &given, max_age) {
        "valid"
    } else if max_age.is_some() && ctx.check_token(&kind, &given, None) {
        "expired"
    } else {
        "invalid"
    };
    let mut res = Obj::new().with("result", result);
    if let Some(ts) = token::timestamp_of(&given) {
        if ts != i64::MAX {
            res.set("generated", time::ts_iso(ts));
        }
    }
    ctx.result.set("checktoken", res);
    Ok(())
}

/// ApiCheckToken::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::enumeration("type", TOKEN_TYPES).required(),
    ParamSpec::string("token").required().sensitive(),
    ParamSpec::integer("maxtokenage"),
];

pub const MODULE: Module = Module {
    name: "checktoken",
    path: "checktoken",
    classname: "ApiCheckToken",
    group: Some("action"),
    prefix: "",
    flags: Flags::READ,
    help_urls: &[],
    params: PARAMS,
    handler: Some(Handler::Sync(execute)),
    ..Module::BASE
};
