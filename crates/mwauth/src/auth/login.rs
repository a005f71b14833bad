//! Password and bot-password login, as MediaWiki 1.39 decides them (BotPassword::login and
//! AuthManager with the local password provider and the login throttle).
//!
//! Failures never say whether the user exists: an unknown user, an unknown bot and a wrong
//! password give the same `wrongpassword` text, and an unknown user still costs one hash
//! computation so timing does not tell either.

use super::throttle;
use crate::user::{botpassword, name, password, BotPasswordRecord, UserRecord};
use crate::Services;
use std::net::IpAddr;

/// Why a login failed: a message key and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub key: &'static str,
    pub params: Vec<String>,
}

impl Refusal {
    fn new(key: &'static str) -> Refusal {
        Refusal {
            key,
            params: Vec::new(),
        }
    }

    fn throttled(wait: u64) -> Refusal {
        Refusal {
            key: "login-throttled",
            params: vec![throttle::format_duration(wait)],
        }
    }
}

pub enum BotLogin {
    Success(Box<(UserRecord, BotPasswordRecord)>),
    /// Failures ApiLogin reports as they are (throttled, must be reset, locked).
    Refused(Refusal),
    /// Any other failure: ApiLogin goes on to try a main-account login with the same data.
    NotBotLogin,
}

/// A fixed PBKDF2 hash to verify against when the account does not exist.
const DUMMY_HASH: &str = ":pbkdf2:sha512:30000:64:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";

/// BotPassword::login for `User@bot` and a password already shaped like a bot password.
pub async fn bot_password_login(
    services: &Services,
    login_name: &str,
    pw: &str,
    ip: IpAddr,
) -> BotLogin {
    let config = &services.config;
    if !config.enable_bot_passwords {
        return BotLogin::NotBotLogin;
    }
    let Some((user_part, app_id)) = login_name.split_once(botpassword::SEPARATOR) else {
        return BotLogin::NotBotLogin;
    };
    let Some(user_name) = name::canonical(user_part) else {
        return BotLogin::NotBotLogin;
    };
    let user = match services.users.user_by_name(&user_name).await {
        Ok(Some(u)) => u,
        Ok(None) => return BotLogin::NotBotLogin,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return BotLogin::NotBotLogin;
        }
    };
    let ip_text = ip.to_string();
    if let Some(wait) = throttle::increase(
        services.sessions.as_ref(),
        "botpassword",
        &config.password_attempt_throttle,
        Some(&user.name),
        &ip_text,
    )
    .await
    {
        return BotLogin::Refused(Refusal::throttled(wait));
    }
    let bp = match services.users.bot_password(user.id, app_id).await {
        Ok(Some(bp)) => bp,
        Ok(None) => {
            services.hasher.verify(DUMMY_HASH, pw).await;
            return BotLogin::NotBotLogin;
        }
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return BotLogin::NotBotLogin;
        }
    };
    if !botpassword::ip_allowed(&bp.restrictions, ip) {
        return BotLogin::NotBotLogin;
    }
    if bp.password.is_empty() || !bp.password.starts_with(':') {
        // InvalidPassword: the bot password was invalidated and must be reset.
        return BotLogin::Refused(Refusal {
            key: "botpasswords-needs-reset",
            params: vec![user.name.clone(), bp.app_id.clone()],
        });
    }
    if !services.hasher.verify(&bp.password, pw).await {
        return BotLogin::NotBotLogin;
    }
    throttle::clear(
        services.sessions.as_ref(),
        "botpassword",
        &config.password_attempt_throttle,
        Some(&user.name),
        &ip_text,
    )
    .await;
    if password::needs_rehash(&bp.password) {
        if let Some(h) = services.hasher.hash(pw).await {
            let _ = services
                .users
                .set_bot_password_hash(user.id, &bp.app_id, &h)
                .await;
        }
    }
    BotLogin::Success(Box::new((user, bp)))
}

/// AuthManager::beginAuthentication with the throttle and local password providers.
pub async fn password_login(
    services: &Services,
    raw_name: &str,
    pw: &str,
    ip: IpAddr,
) -> Result<UserRecord, Refusal> {
    let config = &services.config;
    let canonical = name::canonical(raw_name);
    let ip_text = ip.to_string();
    // ThrottlePreAuthenticationProvider counts every attempt, by name when there is one.
    let throttle_name = if raw_name.is_empty() {
        None
    } else {
        Some(canonical.clone().unwrap_or_else(|| raw_name.to_string()))
    };
    if let Some(wait) = throttle::increase(
        services.sessions.as_ref(),
        "password",
        &config.password_attempt_throttle,
        throttle_name.as_deref(),
        &ip_text,
    )
    .await
    {
        return Err(Refusal::throttled(wait));
    }
    // The password provider abstains on an unusable name or an empty password, and with no
    // provider left AuthManager answers "authmanager-authn-no-primary".
    let Some(user_name) = canonical else {
        return Err(Refusal::new("authmanager-authn-no-primary"));
    };
    if pw.is_empty() {
        return Err(Refusal::new("authmanager-authn-no-primary"));
    }
    let user = match services.users.user_by_name(&user_name).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return Err(Refusal::new("authmanager-authn-no-primary"));
        }
    };
    let Some(user) = user else {
        services.hasher.verify(DUMMY_HASH, pw).await;
        return Err(Refusal::new("wrongpassword"));
    };
    let stored = password::upgrade_untyped(&user.password, user.id);
    if !services.hasher.verify(&stored, pw).await {
        return Err(Refusal::new("wrongpassword"));
    }
    throttle::clear(
        services.sessions.as_ref(),
        "password",
        &config.password_attempt_throttle,
        throttle_name.as_deref(),
        &ip_text,
    )
    .await;
    if password::needs_rehash(&stored) {
        if let Some(h) = services.hasher.hash(pw).await {
            let _ = services.users.set_password(user.id, &h, false).await;
        }
    }
    Ok(user)
}
