//! # action=query (meta=tokens, meta=userinfo)
//!
//! - Runs the requested meta modules in the order given; unknown ones are dropped with an
//!   "Unrecognized value" warning.
//! - Adds `batchcomplete` on top of the result, as ApiContinuationManager does.

use super::{tokens, userinfo, ModuleInfo};
use crate::api::context::Context;
use crate::api::error::ApiError;

pub const INFO: ModuleInfo = ModuleInfo {
    name: "query",
    must_be_posted: false,
    needs_token: None,
    write_mode: false,
};

const META: &[&str] = &["tokens", "userinfo"];

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
            _ => {}
        }
    }
    ctx.result.set_on_top("batchcomplete", true);
    Ok(())
}
