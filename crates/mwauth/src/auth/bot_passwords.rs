//! Bot passwords as their owner or the operator changes them: SpecialBotPasswords::save
//! (create, update with an optional new password, delete) and invalidateBotPasswords.php.
//! The one engine behind Special:BotPasswords and the CLI's `botpassword` commands.
//!
//! Every change gives the bot password a new `bp_token`, so the sessions made with it end
//! at their next request (their grants were fixed at login).

use super::login::Refusal;
use crate::hash_pool::PoolError;
use crate::session::random_hex;
use crate::store::{BotPasswordUpdate, StoreError};
use crate::user::{botpassword, rights, BotPasswordRecord, UserRecord};
use crate::Services;

/// BotPassword::APPID_MAXLENGTH (bytes).
pub const APPID_MAXLENGTH: usize = 32;

/// The refusal for a grant `$wgGrantPermissions` does not have (its parameter: the grant).
pub const UNKNOWN_GRANT: &str = "mwauth-unknown-grant";

/// The refusal for a chosen password that does not look like a generated one (at least
/// 32 characters of 0-9 and a-w), which BotPassword::canonicalizeLoginData would not
/// recognise at login.
pub const BAD_PASSWORD: &str = "mwauth-botpassword-bad-password";

/// A bot name: 1 to 32 bytes, and no `@` (which separates it from the user's name).
pub fn app_id_ok(app: &str) -> bool {
    !app.is_empty() && app.len() <= APPID_MAXLENGTH && !app.contains(botpassword::SEPARATOR)
}

/// The grants a bot password gets from those chosen: `basic` always, then the others in
/// `$wgGrantPermissions` order; anything else is dropped.
pub fn normalize_grants<'a>(chosen: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let chosen: Vec<&str> = chosen.into_iter().collect();
    let mut out: Vec<String> = rights::HIDDEN_GRANTS
        .iter()
        .map(|g| g.to_string())
        .collect();
    for (g, _) in rights::grants() {
        if chosen.contains(&g) && !out.iter().any(|x| x == g) {
            out.push(g.to_string());
        }
    }
    out
}

/// HTMLRestrictionsField: one IP address or CIDR range a line, at least one; the
/// MWRestrictions JSON MediaWiki writes (`bp_restrictions`).
pub fn restrictions_of_ranges(text: &str) -> Result<String, Refusal> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(refused("htmlform-required", &[]));
    }
    if let Some(bad) = lines.iter().find(|l| !botpassword::is_ip_range(l)) {
        return Err(refused("restrictionsfield-badip", &[bad]));
    }
    Ok(serde_json::json!({ "IPAddresses": lines }).to_string())
}

fn refused(key: &'static str, params: &[&str]) -> Refusal {
    Refusal {
        key,
        params: params.iter().map(|p| p.to_string()).collect(),
    }
}

/// What a bot password allows: its grants (any order; `basic` is added) and its
/// `bp_restrictions` JSON (see [`restrictions_of_ranges`]).
pub struct Settings<'a> {
    pub grants: &'a [String],
    pub restrictions: &'a str,
}

impl Settings<'_> {
    fn grants(&self) -> Result<Vec<String>, Refusal> {
        if let Some(g) = self.grants.iter().find(|g| !rights::is_known_grant(g)) {
            return Err(refused(UNKNOWN_GRANT, &[g]));
        }
        Ok(normalize_grants(self.grants.iter().map(String::as_str)))
    }
}

/// The hash of a new password; `failed` is the refusal a failed job gives.
async fn hash(services: &Services, password: &str, failed: Refusal) -> Result<String, Refusal> {
    match services.hasher.hash(password).await {
        Ok(hash) => Ok(hash),
        Err(PoolError::Full) => Err(Refusal::busy()),
        Err(PoolError::Failed) => Err(failed),
    }
}

/// Creates the bot password `app_id` of `user` and returns its password: `password` when
/// given (it must look generated), else a generated one. An existing one is refused
/// (`botpasswords-insert-failed`).
pub async fn create(
    services: &Services,
    user: &UserRecord,
    app_id: &str,
    settings: Settings<'_>,
    password: Option<String>,
) -> Result<String, Refusal> {
    if !app_id_ok(app_id) {
        return Err(refused("botpasswords-bad-appid", &[app_id]));
    }
    let grants = settings.grants()?;
    let password = match password {
        Some(p) if botpassword::canonicalize_login_data("x@y", &p).is_none() => {
            return Err(refused(BAD_PASSWORD, &[]));
        }
        Some(p) => p,
        None => botpassword::generate_password(),
    };
    let failed = || refused("botpasswords-insert-failed", &[app_id]);
    let record = BotPasswordRecord {
        user_id: user.id,
        app_id: app_id.to_string(),
        password: hash(services, &password, failed()).await?,
        token: random_hex(32),
        restrictions: settings.restrictions.to_string(),
        grants,
    };
    match services.users.create_bot_password(&record).await {
        Ok(()) => Ok(password),
        Err(StoreError::Conflict(_)) => Err(failed()),
        Err(e) => {
            tracing::error!("user store failed: {e}");
            Err(failed())
        }
    }
}

/// Changes the grants and restrictions of the bot password `app_id` of `user`, with a new
/// generated password when `reset` (returned). A missing one is refused
/// (`botpasswords-update-failed`).
pub async fn update(
    services: &Services,
    user: &UserRecord,
    app_id: &str,
    settings: Settings<'_>,
    reset: bool,
) -> Result<Option<String>, Refusal> {
    let grants = settings.grants()?;
    let failed = || refused("botpasswords-update-failed", &[app_id]);
    let password = reset.then(botpassword::generate_password);
    let hash = match &password {
        Some(p) => Some(hash(services, p, failed()).await?),
        None => None,
    };
    let updated = services
        .users
        .update_bot_password(
            user.id,
            app_id,
            BotPasswordUpdate {
                grants: &grants,
                restrictions: settings.restrictions,
                token: &random_hex(32),
                password_hash: hash.as_deref(),
            },
        )
        .await;
    match updated {
        Ok(true) => Ok(password),
        Ok(false) => Err(failed()),
        Err(e) => {
            tracing::error!("user store failed: {e}");
            Err(failed())
        }
    }
}

/// Deletes the bot password `app_id` of `user` (its sessions end with it); `false` when
/// there was none.
pub async fn delete(services: &Services, user: &UserRecord, app_id: &str) -> Result<bool, Refusal> {
    services
        .users
        .delete_bot_password(user.id, app_id)
        .await
        .map_err(|e| {
            tracing::error!("user store failed: {e}");
            refused("botpasswords-update-failed", &[app_id])
        })
}

/// invalidateBotPasswords.php: every bot password of `user` gets an unusable hash
/// (PasswordFactory::newInvalidPassword, `:null:`) and so must be reset before it logs in
/// again, and a new token, so the sessions made with the old one end too. The count of
/// those changed.
pub async fn invalidate_all(services: &Services, user: &UserRecord) -> Result<usize, StoreError> {
    let mut count = 0;
    for bp in services.users.list_bot_passwords(user.id).await? {
        let token = random_hex(32);
        let invalidated = services
            .users
            .update_bot_password(
                user.id,
                &bp.app_id,
                BotPasswordUpdate {
                    grants: &bp.grants,
                    restrictions: &bp.restrictions,
                    token: &token,
                    password_hash: Some(":null:"),
                },
            )
            .await?;
        if invalidated {
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::botpassword::DEFAULT_RESTRICTIONS;

    #[test]
    fn ip_ranges_are_checked_and_written_as_mediawiki_does() {
        assert_eq!(
            restrictions_of_ranges("0.0.0.0/0\n ::/0 \n").unwrap(),
            DEFAULT_RESTRICTIONS
        );
        let bad = restrictions_of_ranges("10.0.0.0/33").unwrap_err();
        assert_eq!(
            (bad.key, bad.params),
            ("restrictionsfield-badip", vec!["10.0.0.0/33".to_string()])
        );
        assert!(restrictions_of_ranges("127.0.0.1\n2001:db8::/32").is_ok());
        assert!(restrictions_of_ranges("example.org").is_err());
        assert!(restrictions_of_ranges("10.0.0.0/+8").is_err());
        assert!(restrictions_of_ranges("10.0.0.0/").is_err());
        assert_eq!(
            restrictions_of_ranges(" \n").unwrap_err().key,
            "htmlform-required"
        );
    }

    #[test]
    fn grants_keep_basic_and_mediawiki_order() {
        let g = normalize_grants(["rollback", "nonsense", "highvolume", "basic"]);
        assert_eq!(g, ["basic", "highvolume", "rollback"]);
        let unknown = ["nonsense".to_string()];
        let settings = Settings {
            grants: &unknown,
            restrictions: DEFAULT_RESTRICTIONS,
        };
        assert_eq!(settings.grants().unwrap_err().key, UNKNOWN_GRANT);
    }

    #[test]
    fn bot_names() {
        assert!(app_id_ok("my bot"));
        assert!(!app_id_ok(""));
        assert!(!app_id_ok("a@b"));
        assert!(!app_id_ok(&"x".repeat(33)));
    }
}
