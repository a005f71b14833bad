//! # action=query (meta=tokens, meta=userinfo, meta=authmanagerinfo, meta=siteinfo)
//!
//! - Runs the requested meta modules in the order given; unknown ones are dropped with an
//!   "Unrecognized value" warning.
//! - Adds `batchcomplete` on top of the result, as ApiContinuationManager does.
//! - A query that runs no module, or only siteinfo, is publicly cacheable, which shows in
//!   its `Vary` header.

use super::run_leaf;
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params::split_multi_iter;
use crate::api::params_spec::{
    concat, Flags, Handler, Module, ParamSpec, ParamType, PAGESET_PARAMS,
};

/// ApiQuery's cache mode is `public` unless a module it runs says otherwise; every meta
/// module mwauth serves but siteinfo is `private` (ApiQueryBase::getCacheMode), so only a
/// query that runs none of those is public.
pub fn is_public(ctx: &Context<'_>) -> bool {
    let meta = ctx.params.peek("meta").unwrap_or("");
    let tree = ctx.modules();
    !split_multi_iter(meta).any(|m| m != "siteinfo" && tree.meta_module(m).is_some())
}

/// ApiQuery::execute: each meta module asked for, by its own handler, its errors its own.
pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let metas = ctx.multi_enum(&MODULE, "meta")?;
    for name in metas {
        if let Some(module) = ctx.modules().meta_module(name) {
            run_leaf(ctx, module)
                .await
                .map_err(|e| e.in_module(module.path))?;
        }
    }
    ctx.result.set_on_top("batchcomplete", true);
    Ok(())
}

/// ApiQuery::getAllowedParams without the page set's.
const OWN_PARAMS: &[ParamSpec] = &[
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
];

/// ApiQuery::getAllowedParams: its own, then the page set's, which ApiQuery adds.
const PARAMS: &[ParamSpec] =
    &concat::<{ OWN_PARAMS.len() + PAGESET_PARAMS.len() }>(OWN_PARAMS, PAGESET_PARAMS);

pub const MODULE: Module = Module {
    name: "query",
    path: "query",
    classname: "ApiQuery",
    group: Some("action"),
    prefix: "",
    flags: Flags::READ,
    help_urls: &[
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Query",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Meta",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Properties",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Lists",
    ],
    params: PARAMS,
    handler: Some(Handler::Query),
    ..Module::BASE
};
