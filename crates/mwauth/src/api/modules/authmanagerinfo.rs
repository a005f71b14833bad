//! # action=query&meta=authmanagerinfo (amirequestsfor, amimergerequestfields, amimessageformat)
//!
//! - `canauthenticatenow`, `cancreateaccounts`, `canlinkaccounts` (never: no linking
//!   providers).
//! - With `amirequestsfor=login|create`: no preserved state, and the requests a password-only
//!   wiki offers (username and password, remember-me; for creation also retype, email, real
//!   name), their fields separate or merged.

use super::authmanager::{format_requests, message_format};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{Flags, Handler, Module, ParamSpec};
use crate::api::result::Obj;

const ACTIONS: &[&str] = &[
    "login",
    "login-continue",
    "create",
    "create-continue",
    "link",
    "link-continue",
    "change",
    "remove",
    "unlink",
];

pub fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let requests_for = ctx.single_enum("amirequestsfor", ACTIONS, None)?;
    let merge = ctx.params.flag("amimergerequestfields");
    let format = message_format(ctx, "amimessageformat")?;
    let can_auth = ctx.session.provider() == crate::session::Provider::Cookie;
    let mut info = Obj::new()
        .with("canauthenticatenow", can_auth)
        .with(
            "cancreateaccounts",
            ctx.services.config.allow_account_creation,
        )
        .with("canlinkaccounts", false);
    if let Some(action) = requests_for {
        info.set("haspreservedstate", false);
        info.set("hasprimarypreservedstate", false);
        info.set("preservedusername", "");
        let current = if ctx.is_anon() {
            String::new()
        } else {
            ctx.user_name()
        };
        let base = match action.as_str() {
            "login" | "create" => action.as_str(),
            _ => "none",
        };
        let reqs = if base == "none" {
            Obj::new().with("requests", crate::api::result::List::new("request"))
        } else {
            format_requests(
                base,
                &current,
                merge,
                &format,
                ctx.services.config.remember_expiry,
            )
        };
        for (k, v) in reqs.entries {
            info.set(&k, v);
        }
    }
    ctx.result
        .obj_mut("query", false)
        .set("authmanagerinfo", info);
    Ok(())
}

/// ApiQueryAuthManagerInfo::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("securitysensitiveoperation"),
    ParamSpec::enumeration("requestsfor", ACTIONS),
    ParamSpec::boolean("mergerequestfields"),
    ParamSpec::enumeration("messageformat", super::authmanager::MESSAGE_FORMATS)
        .default_str("wikitext"),
];

pub const MODULE: Module = Module {
    name: "authmanagerinfo",
    path: "query+authmanagerinfo",
    classname: "ApiQueryAuthManagerInfo",
    group: Some("meta"),
    prefix: "ami",
    flags: Flags::NONE,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Authmanagerinfo"],
    params: PARAMS,
    token: None,
    dynamic_parameters: false,
    handler: Some(Handler::Sync(execute)),
};
