//! # action=query (meta=tokens, meta=userinfo, meta=authmanagerinfo)
//!
//! - Runs the requested meta modules in the order given; unknown ones are dropped with an
//!   "Unrecognized value" warning.
//! - Adds `batchcomplete` on top of the result, as ApiContinuationManager does.
//! - A query that runs no module is publicly cacheable, which shows in its `Vary` header.

use super::{authmanagerinfo, tokens, userinfo, ModuleInfo};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params::split_multi;

pub const INFO: ModuleInfo = ModuleInfo {
    name: "query",
    must_be_posted: false,
    needs_token: None,
    token_param: "token",
    write_mode: false,
};

const META: &[&str] = &["authmanagerinfo", "tokens", "userinfo"];

/// ApiQuery's cache mode is `public` unless a module it runs says otherwise; every meta
/// module mwauth serves is `private` (ApiQueryBase::getCacheMode), so only a query that runs
/// none of them is public.
pub fn is_public(ctx: &Context<'_>) -> bool {
    let meta = ctx.params.peek("meta").unwrap_or("");
    !split_multi(meta).iter().any(|m| META.contains(&m.as_str()))
}

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let metas = ctx.multi_enum("query", "meta", META, &[])?;
    for meta in metas {
        match meta.as_str() {
            "tokens" => tokens::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+tokens"))?,
            "userinfo" => userinfo::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+userinfo"))?,
            "authmanagerinfo" => authmanagerinfo::execute(ctx)
                .await
                .map_err(|e| e.in_module("query+authmanagerinfo"))?,
            _ => {}
        }
    }
    ctx.result.set_on_top("batchcomplete", true);
    Ok(())
}
