//! `user` parameters (ParamValidator's UserDef), which ApiMain checks before the token and
//! the modules read: OATHAuth's `oathuser` and `user`.

use super::context::Context;
use super::error::{ApiError, ApiMessage};
use super::params_spec::Module;
use crate::i18n::Param;

/// A `user` parameter of `module` (see [`user_param_value`]): absent, `None`; a value
/// that is no user, IP or interwiki name, `baduser`.
pub fn user_param(
    ctx: &mut Context<'_>,
    module: &Module,
    name: &'static str,
) -> Result<Option<String>, ApiError> {
    let Some(value) = ctx
        .params
        .get_prefixed(module.prefix, name)
        .map(str::to_string)
    else {
        return Ok(None);
    };
    match user_param_value(&value) {
        Some(user) => Ok(Some(user)),
        None => Err(ApiError::from_msg(
            ApiMessage::new("baduser", "paramvalidator-baduser", &[])
                .plaintext()
                .with_params(vec![
                    Param::Plaintext(module.param_name(name).into_owned()),
                    Param::Plaintext(value),
                ]),
        )),
    }
}

/// ParamValidator's UserDef on a value, with the default allowed types (`name`, `ip`,
/// `cidr`, `interwiki`): the name the value stands for, or `None` for `baduser`. A valid user
/// name gives its canonical form; an interwiki name (`prefix>Name`) and an IP address or
/// range give themselves, which no local user can have.
pub fn user_param_value(value: &str) -> Option<String> {
    // `#123`, a user id: not an allowed type here.
    if value.len() > 1 && value.starts_with('#') && value[1..].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if value.contains('#') {
        return None;
    }
    // ExternalUserNames::isExternal: the raw value is kept.
    if value.contains('>') {
        return Some(value.to_string());
    }
    if let Some(name) = crate::user::name::canonical(value) {
        return Some(name);
    }
    let text = crate::user::name::clean(value);
    let text = text
        .strip_prefix("User:")
        .map_or(text.as_str(), str::trim)
        .to_string();
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text.as_str(), None),
    };
    let ip: std::net::IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match bits {
        None => Some(text.to_ascii_uppercase()),
        Some(b) if b.parse::<u32>().is_ok_and(|n| n <= max) => Some(text.to_ascii_uppercase()),
        Some(_) => None,
    }
}
