//! ApiMain::sendCacheHeaders: Cache-Control and Expires of an answer.

use super::context::Context;
use std::borrow::Cow;

pub(super) const PRIVATE_NO_CACHE: &str = "private, must-revalidate, max-age=0";

/// ApiMain::sendCacheHeaders. A private answer may still be kept `maxage` seconds by the
/// client when the module only reads; a public one (siteinfo, a bare query) gets
/// `s-maxage`/`max-age` and Expires when either is asked for. Errors are always private.
pub(super) fn cache_control(
    ctx: &Context<'_>,
    ok: bool,
    public: bool,
) -> (Cow<'static, str>, Option<String>) {
    let num = |name: &str| {
        ctx.params
            .peek(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0)
            .max(0)
    };
    let tree = ctx.modules();
    let read_only = ctx
        .params
        .peek("action")
        .and_then(|a| tree.action(a))
        .is_some_and(|m| !m.flags.write);
    let maxage = if ok && read_only { num("maxage") } else { 0 };
    let private: Cow<'static, str> = match maxage {
        0 => PRIVATE_NO_CACHE.into(),
        _ => format!("private, must-revalidate, max-age={maxage}").into(),
    };
    if !ok || !public {
        return (private, None);
    }
    let (smax, max) = (num("smaxage"), num("maxage"));
    if smax == 0 && max == 0 {
        return (private, None);
    }
    let age = smax.min(max);
    let when = if age == 0 { 1 } else { ctx.now + age };
    let expires = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(when as u64),
    );
    (
        format!("s-maxage={smax}, max-age={max}, public").into(),
        Some(expires),
    )
}
