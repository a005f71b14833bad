//! # action=oathvalidate (user, totp, data, token) — OATHAuth 0.5.0's ApiOATHValidate
//!
//! Served only with `[oath] enabled = true`, as MediaWiki has it only with OATHAuth loaded.
//!
//! - Checks a code against a user's TOTP key (the caller's without `user`) and answers
//!   `{"oathvalidate": {"enabled": …, "valid": …, "module": …}}` (booleans in every
//!   formatversion); a user without two-factor authentication, or no account, is neither.
//! - POST with a csrf token (the token is checked first); `totp` (deprecated: a warning) or
//!   `data` (JSON `{"token": …}`) must be given (`missingparam`), and in the body with the
//!   token (`mustpostparams`).
//! - Needs `oathauth-api-all`, which no group has by default (the `oath` grant of a bot
//!   password carries it only for users who have it): `permissiondenied`.
//! - A wrong code counts against `badoath` (10 per user in 60 s) and a right one is
//!   remembered against replay, as at login; once the limit is reached every check is
//!   `ratelimited`.

use crate::api::context::Context;
use crate::api::error::{ApiError, ApiMessage};
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec, ParamType, OATHAUTH};
use crate::api::result::{BcBools, Obj};
use crate::api::user_param::user_param;
use crate::auth::second_factor;

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let user = user_param(ctx, &MODULE, "user")?;
    let totp = ctx.params.get("totp").map(str::to_string);
    let data = ctx.params.get("data").map(str::to_string);
    if totp.is_none() && data.is_none() {
        return Err(ApiError::at_least_one_of(&["totp", "data"]));
    }
    ctx.require_posted(&["token", "data", "totp"])?;
    let user = user.unwrap_or_else(|| ctx.user_name());
    if !ctx.has_right("oathauth-api-all") {
        return Err(ApiError::permission_denied("action-oathauth-api-all"));
    }
    let Some(name) = crate::user::name::canonical(&user) else {
        return Err(ApiError::from_msg(ApiMessage::from_key("noname", &[])));
    };
    let found = match second_factor::lookup(ctx.services, &name).await {
        Ok(found) => found,
        Err(_) => return Err(ApiError::internal()),
    };
    // pingLimiter( 'badoath', 0 ): a registered user's counter only looked at.
    if let Some((id, _)) = &found {
        if second_factor::throttled(ctx.services, *id).await {
            return Err(ApiError::from_msg(ApiMessage::from_key(
                "apierror-ratelimited",
                &[],
            )));
        }
    }
    let (mut enabled, mut valid, mut module) = (false, false, "");
    if let Some((id, Some(keys))) = &found {
        // TOTP::verify needs `token` in the data: the legacy `totp`, else the JSON.
        let token = match &totp {
            Some(t) => Some(t.clone()),
            None => data.as_deref().and_then(token_of_data),
        };
        enabled = keys.first_key().is_some();
        if let (Some(token), true) = (token, enabled) {
            valid = second_factor::verify(ctx.services, *id, keys, &token, ctx.now).await;
        }
        module = "totp";
    }
    let result = Obj::new()
        .with("enabled", enabled)
        .with("valid", valid)
        .with("module", module)
        .bc_bools(BcBools::Keys(vec!["enabled".into(), "valid".into()]));
    ctx.result.set("oathvalidate", result);
    Ok(())
}

/// `data['token']` of the JSON in `data` as PHP reads it: a string or number as its text,
/// `true` as `1`, `false` as the empty string; absent, `null` or not an object: no token.
fn token_of_data(data: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    match value.get("token")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if *b { "1" } else { "" }.to_string()),
        serde_json::Value::Null => None,
        // An array or object makes MediaWiki's TOTPKey::verify fail on it: never right.
        _ => Some(String::new()),
    }
}

/// ApiOATHValidate::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "user",
        ParamType::User(&["name", "ip", "cidr", "interwiki"]),
    ),
    ParamSpec::string("totp").deprecated(),
    ParamSpec::string("data"),
];

pub const MODULE: Module = Module {
    name: "oathvalidate",
    path: "oathvalidate",
    classname: "MediaWiki\\Extension\\OATHAuth\\Api\\Module\\ApiOATHValidate",
    group: Some("action"),
    prefix: "",
    extension: Some(OATHAUTH),
    flags: Flags {
        internal: true,
        read: true,
        must_be_posted: true,
        ..Flags::NONE
    },
    params: PARAMS,
    token: Some("csrf"),
    handler: Some(async_handler!(execute)),
    ..Module::BASE
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_in_data_as_php_reads_it() {
        assert_eq!(
            token_of_data(r#"{"token":"123456"}"#).as_deref(),
            Some("123456")
        );
        assert_eq!(
            token_of_data(r#"{"token":123456}"#).as_deref(),
            Some("123456")
        );
        assert_eq!(token_of_data(r#"{"token":null}"#), None);
        assert_eq!(token_of_data(r#"{"other":"1"}"#), None);
        assert_eq!(token_of_data("[1]"), None);
        assert_eq!(token_of_data("not json"), None);
    }
}
