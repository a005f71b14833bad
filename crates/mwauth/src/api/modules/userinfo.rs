//! # action=query&meta=userinfo (uiprop=…)
//!
//! - Always `id` and `name` (the client's IP for anonymous users) and `anon` when anonymous.
//! - `groups`, `implicitgroups`, `groupmemberships`, `rights` (limited by the bot password's
//!   grants in a bot-password session), `editcount`, `registrationdate`, `realname`,
//!   `email`, `hasmsg`; `blockinfo` adds nothing, as for any unblocked user.

use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{ModuleDoc, ParamSpec};
use crate::api::result::{List, Obj};
use crate::time;
use crate::user::rights;

const PROPS: &[&str] = &[
    "blockinfo",
    "hasmsg",
    "groups",
    "groupmemberships",
    "implicitgroups",
    "rights",
    "changeablegroups",
    "options",
    "editcount",
    "ratelimits",
    "theoreticalratelimits",
    "email",
    "realname",
    "acceptlang",
    "registrationdate",
    "unreadcount",
    "centralids",
    "latestcontrib",
];

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let props = ctx.multi_enum("query+userinfo", "uiprop", PROPS, &[])?;
    let has = |p: &str| props.iter().any(|x| x == p);
    let mut info = Obj::new()
        .with("id", ctx.user_id())
        .with("name", ctx.user_name());
    if ctx.is_anon() {
        info.set("anon", true);
    }
    if has("hasmsg") {
        info.set("messages", false);
    }
    if has("groups") {
        info.set("groups", List::of_strings("g", ctx.groups()));
    }
    if has("groupmemberships") {
        let mut list = List::new("groupmembership");
        let mut groups = ctx
            .user
            .as_ref()
            .map(|u| u.groups.clone())
            .unwrap_or_default();
        // In the order the database lists them: by name.
        groups.sort();
        groups.dedup();
        for g in groups {
            list.push(Obj::new().with("group", g).with("expiry", "infinity"));
        }
        info.set("groupmemberships", list);
    }
    if has("implicitgroups") {
        let implicit = rights::effective_groups(ctx.user_id(), &[]);
        info.set("implicitgroups", List::of_strings("g", implicit));
    }
    if has("rights") {
        info.set("rights", List::of_strings("r", ctx.rights()));
    }
    if has("editcount") {
        info.set(
            "editcount",
            ctx.user.as_ref().map_or(0, |u| u.editcount as i64),
        );
    }
    // Anonymous users have a real name too: the empty one.
    if has("realname") {
        info.set("realname", "");
    }
    if has("email") && ctx.has_right("viewmyprivateinfo") {
        info.set("email", "");
    }
    if has("registrationdate") {
        if let Some(iso) = ctx
            .user
            .as_ref()
            .and_then(|u| time::mw_to_iso(&u.registration))
        {
            info.set("registrationdate", iso);
        }
    }
    ctx.result.obj_mut("query", false).set("userinfo", info);
    Ok(())
}

/// ApiQueryUserInfo::getAllowedParams.
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec::enumeration("prop", PROPS).multi().all(),
    ParamSpec::string("attachedwiki"),
];

pub const DOC: ModuleDoc = ModuleDoc {
    name: "userinfo",
    path: "query+userinfo",
    classname: "ApiQueryUserInfo",
    group: Some("meta"),
    prefix: "ui",
    flags: &["readrights"],
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Userinfo"],
    params: PARAMS,
    token: None,
    dynamic_parameters: false,
};
