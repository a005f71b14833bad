//! Account creation as AuthManager::beginAccountCreation decides it with the default
//! providers, in their order: a user name must be given, the creator must hold the
//! `createaccount` right, the name must be creatable and free, the per-IP account-creation
//! throttle, then the retyped password must match and the password must meet the password
//! policy. The one engine behind action=createaccount, Special:CreateAccount and the CLI's
//! `user create` (which, as createAndPromote.php, skips what concerns a visitor).

use super::login::{CaptchaAnswer, Refusal};
use super::throttle;
use crate::hash_pool::PoolError;
use crate::i18n::Lang;
use crate::store::{LogEntry, Publish, StoreError};
use crate::user::{name, policy, rights, UserRecord};
use crate::Services;
use std::net::IpAddr;

/// A new `user_token`, the secret behind a user's sessions and remember-me cookies: 32 random
/// hex digits, as User::setToken makes it. The stores keep it; they make no secrets.
pub fn new_user_token() -> String {
    crate::session::random_hex(32)
}

fn refusal(key: &'static str, params: Vec<String>) -> Vec<Refusal> {
    vec![Refusal { key, params }]
}

/// Who creates the account and what the creator may do, from its rights.
#[derive(Debug, Clone, Default)]
pub struct Creator {
    /// The `createaccount` right; without it the refusal is [`PERMISSION_DENIED`].
    pub may_create: bool,
    /// The `noratelimit` right: the account-creation throttle does not apply.
    pub throttle_exempt: bool,
    /// The logged-in creator's name; `None` for a visitor making an account for itself.
    pub logged_in_as: Option<String>,
    /// The `bot` right (the log entry's `rc_bot`).
    pub bot: bool,
    /// CreationReasonAuthenticationRequest's reason (only a logged-in creator gives one).
    pub reason: String,
}

/// The refusal for a creator without the `createaccount` right: PermissionManager's
/// `badaccess-groups`, whose parameters (the groups that have the right) the caller writes.
pub const PERMISSION_DENIED: &str = "badaccess-groups";

/// Creates the account and returns it. A refusal is one message (`authmanager-create-disabled`,
/// `noname`, [`PERMISSION_DENIED`], `userexists`, `captcha-createaccount-fail`,
/// `acct_creation_throttle_hit`, `badretype`), or every password-policy failure
/// (`passwordtooshort`, …) in MediaWiki's order. With a captcha asked for account creation
/// (ConfirmEdit's `createaccount` trigger), `captcha` is the creator's answer, checked as
/// CaptchaPreAuthenticationProvider::testForAccountCreation does; `None` when the creator
/// has `skipcaptcha`. A caller with no captcha field passes an answer with neither id nor
/// word: when a captcha is asked, the creation is refused (`captcha-createaccount-fail`).
pub async fn create_account(
    services: &Services,
    raw_name: &str,
    password: &str,
    retype: &str,
    ip: IpAddr,
    creator: Creator,
    captcha: Option<CaptchaAnswer<'_>>,
) -> Result<UserRecord, Vec<Refusal>> {
    let config = &services.config;
    let disabled = || refusal("authmanager-create-disabled", vec![]);
    if !config.allow_account_creation {
        return Err(disabled());
    }
    if raw_name.is_empty() {
        return Err(refusal("noname", vec![]));
    }
    if !creator.may_create {
        return Err(refusal(PERMISSION_DENIED, vec![]));
    }
    let user_name = free_name(services, raw_name).await?;
    if let Some(a) = captcha.filter(|_| {
        services
            .config
            .captcha
            .triggers(crate::config::CaptchaTrigger::CreateAccount)
    }) {
        let passed =
            super::captcha::check_answer(services, a.pending, a.id, a.word, &ip.to_string()).await;
        if !passed {
            return Err(refusal("captcha-createaccount-fail", vec![]));
        }
    }
    if !creator.throttle_exempt {
        let windows = &config.account_creation_throttle;
        let ip_text = ip.to_string();
        let store = services.sessions.as_ref();
        if let Some(wait) = throttle::increase(store, "acctcreate", windows, None, &ip_text).await {
            let count = windows
                .iter()
                .find(|(_, s)| *s == wait)
                .map_or(0, |(c, _)| *c);
            return Err(refusal(
                "acct_creation_throttle_hit",
                vec![count.to_string(), Lang::en().format_duration(wait)],
            ));
        }
    }
    if password != retype {
        return Err(refusal("badretype", vec![]));
    }
    let user = insert(services, &user_name, password, &[]).await?;
    log_creation(services, &user, &creator, &ip.to_string()).await;
    Ok(user)
}

/// What AuthManager::continueAccountCreation writes beside the account into a wiki's
/// database: SiteStatsUpdate users +1, and the `newusers` log entry (`create` by the new
/// user itself, `create2` by a logged-in creator), inserted and published. A failure is
/// logged and the account stays made (in PHP it would fail the request).
async fn log_creation(services: &Services, user: &UserRecord, creator: &Creator, ip: &str) {
    if let Err(e) = services.users.count_new_user().await {
        tracing::error!("site_stats update failed: {e}");
    }
    let title = user.name.replace(' ', "_");
    let entry = LogEntry {
        log_type: "newusers",
        action: if creator.logged_in_as.is_some() {
            "create2"
        } else {
            "create"
        },
        performer: creator.logged_in_as.as_deref().unwrap_or(&user.name),
        namespace: NS_USER,
        title: &title,
        comment: &creator.reason,
        params: &[("4::userid", i64::from(user.id))],
        publish: Some(Publish {
            ip,
            bot: creator.bot,
        }),
    };
    if let Err(e) = services.users.write_log_entry(&entry).await {
        tracing::error!("writing the newusers log entry failed: {e}");
    }
}

/// MediaWiki's User namespace.
pub const NS_USER: i64 = 2;

/// The CLI's `user create` (createAndPromote.php): an account with `groups`, made by the
/// operator, so neither `$wgGroupPermissions` nor the per-IP throttle applies and there is
/// no retyped password; the name and the password policy (of those groups) do.
pub async fn create_by_operator(
    services: &Services,
    raw_name: &str,
    password: &str,
    groups: &[String],
) -> Result<UserRecord, Vec<Refusal>> {
    if let Some(g) = groups
        .iter()
        .find(|g| !rights::is_known_group(g, rights::RightsConfig::of(&services.config)))
    {
        return Err(refusal(UNKNOWN_GROUP, vec![g.clone()]));
    }
    let user_name = free_name(services, raw_name).await?;
    let user = insert(services, &user_name, password, groups).await?;
    // createAndPromote.php counts the account in site_stats; it writes no log entry.
    if let Err(e) = services.users.count_new_user().await {
        tracing::error!("site_stats update failed: {e}");
    }
    Ok(user)
}

/// The refusal for a group `$wgGroupPermissions` does not know (its parameter: the group).
pub const UNKNOWN_GROUP: &str = "mwauth-unknown-group";

/// The canonical form of `raw_name` when an account of that name may be created: a
/// creatable name (else `noname`) that no account has (else `userexists`, also for a name
/// that could not be created today but exists).
async fn free_name(services: &Services, raw_name: &str) -> Result<String, Vec<Refusal>> {
    if raw_name.is_empty() {
        return Err(refusal("noname", vec![]));
    }
    let canonical = name::canonical(raw_name);
    let Some(user_name) = canonical.clone().filter(|n| name::is_creatable(n)) else {
        if let Some(existing) = canonical {
            if matches!(services.users.user_by_name(&existing).await, Ok(Some(_))) {
                return Err(refusal("userexists", vec![]));
            }
        }
        return Err(refusal("noname", vec![]));
    };
    match services.users.user_by_name(&user_name).await {
        Ok(Some(_)) => Err(refusal("userexists", vec![])),
        Ok(None) => Ok(user_name),
        Err(e) => {
            tracing::error!("user store failed: {e}");
            Err(refusal("authmanager-create-disabled", vec![]))
        }
    }
}

/// The password policy for `groups` (every failure, in MediaWiki's order), then the hash
/// and the row; the account as stored.
async fn insert(
    services: &Services,
    user_name: &str,
    password: &str,
    groups: &[String],
) -> Result<UserRecord, Vec<Refusal>> {
    let disabled = || refusal("authmanager-create-disabled", vec![]);
    let failures = policy::check_detailed(user_name, password, groups);
    if !failures.is_empty() {
        return Err(failures
            .into_iter()
            .map(|f| Refusal {
                key: f.key,
                params: f.params,
            })
            .collect());
    }
    let hash = match services.hasher.hash(password).await {
        Ok(hash) => hash,
        Err(PoolError::Full) => return Err(vec![Refusal::busy()]),
        Err(PoolError::Failed) => return Err(disabled()),
    };
    let token = new_user_token();
    let id = match services
        .users
        .create_user(user_name, &hash, &token, groups)
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => return Err(refusal("userexists", vec![])),
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return Err(disabled());
        }
    };
    match services.users.user_by_id(id).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(disabled()),
        Err(e) => {
            tracing::error!("user store failed: {e}");
            Err(disabled())
        }
    }
}
