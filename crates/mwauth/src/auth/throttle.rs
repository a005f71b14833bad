//! MediaWiki's Throttler: per (IP, user) counters for each `$wgPasswordAttemptThrottle`
//! window, kept in the session store so every node sees the same counts.

use crate::store::redis::escape_component;
use crate::store::SessionStore;

/// Throttler::increase: for each window in order, refuse when its count is reached, else
/// count this attempt. Returns the wait (seconds) of the window that refused.
pub async fn increase(
    store: &dyn SessionStore,
    kind: &str,
    windows: &[(u32, u64)],
    user: Option<&str>,
    ip: &str,
) -> Option<u64> {
    let user_key = user
        .filter(|u| !u.is_empty())
        .map(|u| hex::encode(<md5::Md5 as md5::Digest>::digest(u.as_bytes())));
    for (index, (count, seconds)) in windows.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        // Throttler's makeGlobalKey components, escaped as BagOStuff escapes them (an IPv6
        // address's colons become %3A), so Redis keys are MediaWiki's own.
        let key = format!(
            "throttler:{kind}:{index}:{}:{}",
            escape_component(ip),
            user_key.as_deref().unwrap_or("")
        );
        // The store counts this hit; a hit past the limit is refused (and does not matter).
        match store.throttle_hit(&key, *seconds).await {
            Ok(n) if n > u64::from(*count) => return Some(*seconds),
            Ok(_) => {}
            // A store outage must not become a way around the throttle.
            Err(e) => {
                tracing::error!("throttle store failed: {e}");
                return Some(*seconds);
            }
        }
    }
    None
}

/// Throttler::clear after a successful login.
pub async fn clear(
    store: &dyn SessionStore,
    kind: &str,
    windows: &[(u32, u64)],
    user: Option<&str>,
    ip: &str,
) {
    let user_key = user
        .filter(|u| !u.is_empty())
        .map(|u| hex::encode(<md5::Md5 as md5::Digest>::digest(u.as_bytes())));
    for index in 0..windows.len() {
        // Throttler's makeGlobalKey components, escaped as BagOStuff escapes them (an IPv6
        // address's colons become %3A), so Redis keys are MediaWiki's own.
        let key = format!(
            "throttler:{kind}:{index}:{}:{}",
            escape_component(ip),
            user_key.as_deref().unwrap_or("")
        );
        if let Err(e) = store.throttle_clear(&key).await {
            tracing::error!("throttle store failed: {e}");
        }
    }
}
