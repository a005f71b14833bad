//! An in-memory UserStore with the reference wiki's accounts, fresh for every fuzz input so
//! runs are deterministic (a login that rehashes a password, or a created account, does not
//! leak into the next input).

use async_trait::async_trait;
use mwauth::store::{
    BotPasswordUpdate, LogEntry, OathRow, SiteStatsRow, StoreError, StoreResult, UserStore,
};
use mwauth::user::{botpassword, BotPasswordRecord, UserRecord};
use std::sync::Mutex;

/// Main-account password of every fuzz account (`{password}` in the inputs).
pub const PASSWORD: &str = "Fuzz-pass-12345";
/// Alice@fuzzbot's bot password (`{botpassword}`).
pub const BOT_PASSWORD: &str = "fuzzbotpasswordfuzzbotpassword01";

pub struct FuzzUsers {
    users: Mutex<Vec<UserRecord>>,
    bots: Mutex<Vec<BotPasswordRecord>>,
}

/// One PBKDF2 round: MediaWiki's format, without the cost.
fn quick(pw: &str) -> String {
    mwauth::user::password::hash_with_salt(pw, b"fuzzsaltfuzzsalt", 1)
}

impl FuzzUsers {
    pub fn new() -> FuzzUsers {
        let user = |id: u32, name: &str, groups: &[&str], token: &str| UserRecord {
            id,
            name: name.into(),
            password: quick(PASSWORD),
            token: token.into(),
            registration: "20240101000000".into(),
            editcount: 0,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        FuzzUsers {
            users: Mutex::new(vec![
                user(
                    1,
                    "Admin",
                    &["sysop", "bureaucrat"],
                    "0123456789abcdef0123456789abcdef",
                ),
                user(2, "MediaWiki default", &[], ""),
                user(3, "Alice", &[], "fedcba9876543210fedcba9876543210"),
                user(4, "Bob", &["bot"], ""),
            ]),
            bots: Mutex::new(vec![BotPasswordRecord {
                user_id: 3,
                app_id: "fuzzbot".into(),
                password: quick(BOT_PASSWORD),
                token: "bptoken0bptoken0bptoken0bptoken0".into(),
                restrictions: botpassword::DEFAULT_RESTRICTIONS.into(),
                grants: vec!["basic".into(), "highvolume".into()],
            }]),
        }
    }
}

impl Default for FuzzUsers {
    fn default() -> Self {
        FuzzUsers::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl UserStore for FuzzUsers {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        Ok(lock(&self.users).iter().find(|u| u.name == name).cloned())
    }

    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        Ok(lock(&self.users).iter().find(|u| u.id == id).cloned())
    }

    async fn create_user(
        &self,
        name: &str,
        hash: &str,
        token: &str,
        groups: &[String],
    ) -> StoreResult<u32> {
        let mut users = lock(&self.users);
        if users.iter().any(|u| u.name == name) {
            return Err(StoreError::Conflict(format!("user {name} exists")));
        }
        let id = users.len() as u32 + 1;
        users.push(UserRecord {
            id,
            name: name.into(),
            password: hash.into(),
            token: token.into(),
            registration: "20240101000000".into(),
            editcount: 0,
            groups: groups.to_vec(),
        });
        Ok(id)
    }

    async fn set_password(&self, id: u32, hash: &str, new_token: Option<&str>) -> StoreResult<()> {
        for u in lock(&self.users).iter_mut().filter(|u| u.id == id) {
            u.password = hash.into();
            if let Some(token) = new_token {
                u.token = token.into();
            }
        }
        Ok(())
    }

    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        for u in lock(&self.users).iter_mut().filter(|u| u.id == id) {
            u.token = token.into();
        }
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        Ok(lock(&self.users).clone())
    }

    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>> {
        Ok(lock(&self.bots)
            .iter()
            .find(|b| b.user_id == user_id && b.app_id == app_id)
            .cloned())
    }

    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        let mut bots = lock(&self.bots);
        if bots
            .iter()
            .any(|b| b.user_id == bp.user_id && b.app_id == bp.app_id)
        {
            return Err(StoreError::Conflict("bot password exists".into()));
        }
        bots.push(bp.clone());
        Ok(())
    }

    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()> {
        for b in lock(&self.bots)
            .iter_mut()
            .filter(|b| b.user_id == user_id && b.app_id == app_id)
        {
            b.password = hash.into();
        }
        Ok(())
    }

    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        Ok(lock(&self.bots)
            .iter()
            .filter(|b| b.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        let mut bots = lock(&self.bots);
        let before = bots.len();
        bots.retain(|b| !(b.user_id == user_id && b.app_id == app_id));
        Ok(bots.len() != before)
    }

    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        update: BotPasswordUpdate<'_>,
    ) -> StoreResult<bool> {
        let mut found = false;
        for b in lock(&self.bots)
            .iter_mut()
            .filter(|b| b.user_id == user_id && b.app_id == app_id)
        {
            found = true;
            b.grants = update.grants.to_vec();
            b.restrictions = update.restrictions.into();
            b.token = update.token.into();
            if let Some(h) = update.password_hash {
                b.password = h.into();
            }
        }
        Ok(found)
    }

    // The fuzzed wiki has no OATHAuth: nobody is enrolled and nobody can be.
    async fn create_oath_table(&self) -> StoreResult<()> {
        Err(StoreError::Db("no oathauth_users table".into()))
    }

    async fn oath_user(&self, _user_id: u32) -> StoreResult<Option<OathRow>> {
        Ok(None)
    }

    async fn set_oath_user(&self, _user_id: u32, _row: &OathRow) -> StoreResult<()> {
        Err(StoreError::Db("no oathauth_users table".into()))
    }

    async fn delete_oath_user(&self, _user_id: u32) -> StoreResult<bool> {
        Ok(false)
    }

    // Like mwauth's own schema: no `site_stats`, so siteinfo counts the accounts.
    async fn site_stats(&self) -> StoreResult<Option<SiteStatsRow>> {
        Ok(None)
    }

    // No `logging` or `site_stats` either: nothing is written.
    async fn write_log_entry(&self, _entry: &LogEntry<'_>) -> StoreResult<Option<i64>> {
        Ok(None)
    }

    async fn count_new_user(&self) -> StoreResult<bool> {
        Ok(false)
    }
}
