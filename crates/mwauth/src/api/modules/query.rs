//! # action=query (meta=tokens, meta=userinfo, meta=authmanagerinfo, meta=siteinfo)
//!
//! - Runs the requested meta modules in the order given; unknown ones are dropped with an
//!   "Unrecognized value" warning.
//! - Adds `batchcomplete` on top of the result, as ApiContinuationManager does.
//! - A query that runs no module, or only siteinfo, is publicly cacheable, which shows in
//!   its `Vary` header.

use super::{authmanagerinfo, siteinfo, tokens, userinfo, ModuleInfo};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params::split_multi_iter;
use crate::api::params_spec::{ModuleDoc, ParamSpec, ParamType};

pub const INFO: ModuleInfo = ModuleInfo {
    name: "query",
    must_be_posted: false,
    needs_token: None,
    token_param: "token",
    write_mode: false,
};

const META: &[&str] = &["authmanagerinfo", "siteinfo", "tokens", "userinfo"];

/// ApiQuery's cache mode is `public` unless a module it runs says otherwise; every meta
/// module mwauth serves but siteinfo is `private` (ApiQueryBase::getCacheMode), so only a
/// query that runs none of those is public.
pub fn is_public(ctx: &Context<'_>) -> bool {
    let meta = ctx.params.peek("meta").unwrap_or("");
    !split_multi_iter(meta).any(|m| m != "siteinfo" && META.contains(&m))
}

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let metas = ctx.multi_enum("query", "meta", META, &[])?;
    for meta in metas {
        match meta {
            "tokens" => tokens::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+tokens"))?,
            "userinfo" => userinfo::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+userinfo"))?,
            "authmanagerinfo" => authmanagerinfo::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+authmanagerinfo"))?,
            "siteinfo" => siteinfo::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+siteinfo"))?,
            _ => {}
        }
    }
    ctx.result.set_on_top("batchcomplete", true);
    Ok(())
}

/// ApiQuery::getAllowedParams, with the page set's parameters ApiQuery adds.
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec::new("prop", ParamType::Submodules).multi(),
    ParamSpec::new("list", ParamType::Submodules).multi(),
    ParamSpec::new("meta", ParamType::Submodules).multi(),
    ParamSpec::boolean("indexpageids"),
    ParamSpec::boolean("export"),
    ParamSpec::boolean("exportnowrap"),
    ParamSpec::enumeration("exportschema", &["0.10", "0.11"]).default_str("0.11"),
    ParamSpec::boolean("iwurl"),
    ParamSpec::string("continue"),
    ParamSpec::boolean("rawcontinue"),
    ParamSpec::string("titles").multi(),
    ParamSpec::integer("pageids").multi(),
    ParamSpec::integer("revids").multi(),
    ParamSpec::new("generator", ParamType::NoSubmodules).submodule_prefix("g"),
    ParamSpec::boolean("redirects"),
    ParamSpec::boolean("converttitles"),
];

pub const DOC: ModuleDoc = ModuleDoc {
    name: "query",
    path: "query",
    classname: "ApiQuery",
    group: Some("action"),
    prefix: "",
    flags: &["readrights"],
    help_urls: &[
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Query",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Meta",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Properties",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Lists",
    ],
    params: PARAMS,
    token: None,
    dynamic_parameters: false,
};
