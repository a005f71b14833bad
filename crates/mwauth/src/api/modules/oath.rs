//! # action=query&meta=oath (oathuser, oathreason) — OATHAuth 0.5.0's ApiQueryOATH
//!
//! Served only with `[oath] enabled = true`, as MediaWiki has it only with OATHAuth loaded.
//!
//! - Whether a user (the caller without `oathuser`) has two-factor authentication on:
//!   `{"enabled": …}` under `query.oath`, a boolean in every formatversion.
//! - Needs `oathauth-api-all` or `oathauth-verify-user` (sysops have the latter), else
//!   `permissiondenied`; without `oathauth-api-all` a non-empty `oathreason` is required
//!   (`noreason`).
//! - `oathuser` is a `user` parameter (`baduser` for what is no name, IP or interwiki
//!   name); a name no account may have is `invaliduser`; a free name is not enabled.
//! - OATHAuth logs each check of an existing user (`oath/verify`, performed by the caller,
//!   on the user's user page, the reason as comment) when the caller lacks
//!   `oathauth-api-all` or gives a reason; mwauth writes it where the user database is a
//!   wiki's (it has a `logging` table).

use crate::api::context::Context;
use crate::api::error::{ApiError, ApiMessage};
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec, ParamType, OATHAUTH};
use crate::api::result::{BcBools, Obj};
use crate::api::user_param::user_param;
use crate::auth::account::NS_USER;
use crate::auth::second_factor;
use crate::store::LogEntry;

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let user = user_param(ctx, &MODULE, "user")?;
    let reason = ctx
        .params
        .get_prefixed(MODULE.prefix, "reason")
        .map(str::to_string);
    let user = user.unwrap_or_else(|| ctx.user_name());
    let api_all = ctx.has_right("oathauth-api-all");
    if !api_all && !ctx.has_right("oathauth-verify-user") {
        return Err(ApiError::permission_denied("action-oathauth-api-all"));
    }
    if !api_all && reason.as_deref().unwrap_or("").is_empty() {
        return Err(ApiError::new(
            "noreason",
            "apierror-missingparam",
            &["reason"],
        ));
    }
    let Some(name) = crate::user::name::canonical(&user) else {
        return Err(ApiError::from_msg(ApiMessage::from_key("noname", &[])));
    };
    let found = match second_factor::lookup(ctx.services, &name).await {
        Ok(found) => found,
        Err(_) => return Err(ApiError::internal()),
    };
    let enabled = matches!(&found, Some((_, Some(data))) if data.first_key().is_some());
    if found.is_some() && (!api_all || !reason.as_deref().unwrap_or("").is_empty()) {
        // OATHAuth writes an `oath/verify` entry to the logging table; the write shows as
        // ChronologyProtector's cookie. A failed write is logged and the answer given (in
        // PHP the database error would end the request).
        let performer = ctx.user_name();
        let title = name.replace(' ', "_");
        let entry = LogEntry {
            log_type: "oath",
            action: "verify",
            performer: &performer,
            namespace: NS_USER,
            title: &title,
            comment: reason.as_deref().unwrap_or(""),
            params: &[],
            publish: None,
        };
        if let Err(e) = ctx.services.users.write_log_entry(&entry).await {
            tracing::error!("writing the oath/verify log entry failed: {e}");
        }
        ctx.chronology_cookies().await;
    }
    let data = Obj::new()
        .with("enabled", enabled)
        .bc_bools(BcBools::Keys(vec!["enabled".into()]));
    ctx.result.obj_mut("query", false).set("oath", data);
    Ok(())
}

/// ApiQueryOATH::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "user",
        ParamType::User(&["name", "ip", "cidr", "interwiki"]),
    ),
    ParamSpec::string("reason"),
];

pub const MODULE: Module = Module {
    name: "oath",
    path: "query+oath",
    classname: "MediaWiki\\Extension\\OATHAuth\\Api\\Module\\ApiQueryOATH",
    group: Some("meta"),
    prefix: "oath",
    extension: Some(OATHAUTH),
    flags: Flags {
        internal: true,
        ..Flags::READ
    },
    params: PARAMS,
    handler: Some(async_handler!(execute)),
    ..Module::BASE
};
