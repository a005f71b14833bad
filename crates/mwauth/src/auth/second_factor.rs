//! The second step of a two-factor login, as OATHAuth 0.5.0's
//! TOTPSecondaryAuthenticationProvider and TOTPKey::verify decide it: whether a user is
//! asked for a code, and whether a code passes, with the `badoath` rate limit (10 failures
//! per user in 60 s; checked before each code, counted for each wrong one) and the replay
//! protection (the step accepted last is remembered for a whole window, 270 s by default).
//! Both counters live in the session store, so every node sees them.

use super::refusal::Refusal;
use crate::user::oath::{self, OathData};
use crate::Services;

/// `$wgRateLimits['badoath']` (OATHAuth's extension.json): 10 per 60 s per user, and
/// `&can-bypass: false`, so no right lifts it.
pub const BADOATH_LIMIT: u64 = 10;
pub const BADOATH_WINDOW_SECS: u64 = 60;

/// How a code submitted for a login's second step fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code is right (or the user's key went away meanwhile: the provider abstains).
    Pass,
    /// Wrong, already used, a recovery code, missing or empty: `oathauth-login-failed`.
    Failed,
    /// `badoath` reached: `oathauth-throttled`, even for the right code.
    Throttled,
}

/// The user's TOTP key data when two-factor logins are on and the user has the `totp`
/// module (OATHUserRepository::findByUser). A store that fails is a refusal: a login must
/// not pass without the second factor because its row could not be read.
pub async fn key_data(services: &Services, user_id: u32) -> Result<Option<OathData>, Refusal> {
    if !services.config.oath.enabled {
        return Ok(None);
    }
    match services.users.oath_user(user_id).await {
        Ok(Some(row)) if row.module == oath::MODULE_TOTP => Ok(Some(OathData::parse(&row.data))),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::error!("user store failed reading oathauth_users: {e}");
            Err(Refusal::new("authmanager-authn-no-primary"))
        }
    }
}

/// Whether the user is asked for a code after the password
/// (TOTPSecondaryAuthenticationProvider::beginSecondaryAuthentication).
pub async fn enrolled(services: &Services, user_id: u32) -> Result<bool, Refusal> {
    Ok(key_data(services, user_id).await?.is_some())
}

fn badoath_key(user_id: u32) -> String {
    format!("limiter:badoath:user:{user_id}")
}

fn used_step_key(user_id: u32) -> String {
    format!("oathauth-totp:usedtokens:{user_id}")
}

/// TOTPSecondaryAuthenticationProvider::continueSecondaryAuthentication for `token` (the
/// `OATHToken` field; `None` or empty leaves the request unloaded: a failure that is not
/// counted). `now` is unix seconds.
pub async fn check_code(
    services: &Services,
    user_id: u32,
    token: Option<&str>,
    now: i64,
) -> CodeCheck {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return CodeCheck::Failed;
    };
    let data = match key_data(services, user_id).await {
        Ok(Some(data)) => data,
        // The key was removed between the steps: the provider abstains, the login passes.
        Ok(None) => return CodeCheck::Pass,
        Err(_) => return CodeCheck::Failed,
    };
    if throttled(services, user_id).await {
        return CodeCheck::Throttled;
    }
    if verify(services, user_id, &data, token, now).await {
        CodeCheck::Pass
    } else {
        CodeCheck::Failed
    }
}

/// `pingLimiter( 'badoath', 0 )`: whether the user has reached the limit (only looks; a
/// store that fails counts as reached).
pub async fn throttled(services: &Services, user_id: u32) -> bool {
    match services
        .sessions
        .throttle_count(&badoath_key(user_id))
        .await
    {
        Ok(n) => n >= BADOATH_LIMIT,
        Err(e) => {
            tracing::error!("throttle store failed: {e}");
            true
        }
    }
}

/// TOTPKey::verify of `token` against the user's first key: a right code is remembered
/// against replay, a wrong one counts against `badoath`.
pub async fn verify(
    services: &Services,
    user_id: u32,
    data: &OathData,
    token: &str,
    now: i64,
) -> bool {
    let store = services.sessions.as_ref();
    let last_step = match store.throttle_count(&used_step_key(user_id)).await {
        Ok(0) => None,
        Ok(step) => Some(step),
        Err(e) => {
            tracing::error!("throttle store failed: {e}");
            return false;
        }
    };
    let radius = services.config.oath.window_radius;
    let accepted = data
        .first_key()
        .and_then(|key| key.verify(token, u64::try_from(now).unwrap_or(0), radius, last_step));
    match accepted {
        Some(step) => {
            let ttl = oath::replay_memory_secs(radius);
            if let Err(e) = store.throttle_set(&used_step_key(user_id), step, ttl).await {
                // Without the replay record the code could be used again: refuse it.
                tracing::error!("throttle store failed: {e}");
                return false;
            }
            true
        }
        None => {
            if let Err(e) = store
                .throttle_hit(&badoath_key(user_id), BADOATH_WINDOW_SECS)
                .await
            {
                tracing::error!("throttle store failed: {e}");
            }
            false
        }
    }
}

/// A user named `name` as OATHAuth's API modules look one up (User::newFromName, then
/// OATHUserRepository::findByUser): `None` when no account has that name (an anonymous
/// User), else the account's id and its TOTP key data, if it has any.
pub async fn lookup(
    services: &Services,
    name: &str,
) -> Result<Option<(u32, Option<OathData>)>, Refusal> {
    let user = match services.users.user_by_name(name).await {
        Ok(Some(user)) => user,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return Err(Refusal::new("authmanager-authn-no-primary"));
        }
    };
    Ok(Some((user.id, key_data(services, user.id).await?)))
}
