//! The stores, metered: each call's time and failures go to [`crate::metrics`]. A wrapper
//! around whichever backend the settings opened, put between it and the core when metrics
//! are on. A name already taken (`Conflict`) is an answer, not a failure.

use crate::metrics::StoreMeter;
use async_trait::async_trait;
use mwauth::session::SessionData;
use mwauth::store::{
    BotPasswordUpdate, LogEntry, OathRow, SessionStore, SiteStatsRow, StoreError, StoreResult,
    UserStore,
};
use mwauth::user::{BotPasswordRecord, UserRecord};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

async fn timed<T>(
    meter: &StoreMeter,
    call: impl Future<Output = StoreResult<T>>,
) -> StoreResult<T> {
    let started = Instant::now();
    let result = call.await;
    meter.latency.observe(started.elapsed().as_secs_f64());
    if let Err(StoreError::Db(_)) = &result {
        meter.errors.inc();
    }
    result
}

pub struct MeteredUsers {
    pub inner: Arc<dyn UserStore>,
    pub meter: StoreMeter,
}

#[async_trait]
impl UserStore for MeteredUsers {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        timed(&self.meter, self.inner.user_by_name(name)).await
    }
    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        timed(&self.meter, self.inner.user_by_id(id)).await
    }
    async fn create_user(
        &self,
        name: &str,
        hash: &str,
        token: &str,
        groups: &[String],
    ) -> StoreResult<u32> {
        timed(
            &self.meter,
            self.inner.create_user(name, hash, token, groups),
        )
        .await
    }
    async fn set_password(&self, id: u32, hash: &str, new_token: Option<&str>) -> StoreResult<()> {
        timed(&self.meter, self.inner.set_password(id, hash, new_token)).await
    }
    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        timed(&self.meter, self.inner.set_user_token(id, token)).await
    }
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        timed(&self.meter, self.inner.list_users()).await
    }
    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>> {
        timed(&self.meter, self.inner.bot_password(user_id, app_id)).await
    }
    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        timed(&self.meter, self.inner.create_bot_password(bp)).await
    }
    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()> {
        timed(
            &self.meter,
            self.inner.set_bot_password_hash(user_id, app_id, hash),
        )
        .await
    }
    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        timed(&self.meter, self.inner.list_bot_passwords(user_id)).await
    }
    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        timed(&self.meter, self.inner.delete_bot_password(user_id, app_id)).await
    }
    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        update: BotPasswordUpdate<'_>,
    ) -> StoreResult<bool> {
        let call = self.inner.update_bot_password(user_id, app_id, update);
        timed(&self.meter, call).await
    }
    // The request path's reads, forwarded so that a caching backend still lends its rows.
    async fn create_oath_table(&self) -> StoreResult<()> {
        timed(&self.meter, self.inner.create_oath_table()).await
    }
    async fn oath_user(&self, user_id: u32) -> StoreResult<Option<OathRow>> {
        timed(&self.meter, self.inner.oath_user(user_id)).await
    }
    async fn set_oath_user(&self, user_id: u32, row: &OathRow) -> StoreResult<()> {
        timed(&self.meter, self.inner.set_oath_user(user_id, row)).await
    }
    async fn delete_oath_user(&self, user_id: u32) -> StoreResult<bool> {
        timed(&self.meter, self.inner.delete_oath_user(user_id)).await
    }
    async fn site_stats(&self) -> StoreResult<Option<SiteStatsRow>> {
        timed(&self.meter, self.inner.site_stats()).await
    }
    async fn write_log_entry(&self, entry: &LogEntry<'_>) -> StoreResult<Option<i64>> {
        timed(&self.meter, self.inner.write_log_entry(entry)).await
    }
    async fn count_new_user(&self) -> StoreResult<bool> {
        timed(&self.meter, self.inner.count_new_user()).await
    }
    async fn user_by_id_shared(&self, id: u32) -> StoreResult<Option<Arc<UserRecord>>> {
        timed(&self.meter, self.inner.user_by_id_shared(id)).await
    }
    async fn bot_password_shared(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<Arc<BotPasswordRecord>>> {
        timed(&self.meter, self.inner.bot_password_shared(user_id, app_id)).await
    }
}

pub struct MeteredSessions {
    pub inner: Arc<dyn SessionStore>,
    pub meter: StoreMeter,
}

#[async_trait]
impl SessionStore for MeteredSessions {
    async fn load(&self, id: &str) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
        timed(&self.meter, self.inner.load(id)).await
    }
    async fn save(&self, id: &str, data: &SessionData, expires: i64) -> StoreResult<()> {
        timed(&self.meter, self.inner.save(id, data, expires)).await
    }
    async fn delete(&self, id: &str) -> StoreResult<()> {
        timed(&self.meter, self.inner.delete(id)).await
    }
    async fn throttle_hit(&self, key: &str, ttl: u64) -> StoreResult<u64> {
        timed(&self.meter, self.inner.throttle_hit(key, ttl)).await
    }
    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        timed(&self.meter, self.inner.throttle_clear(key)).await
    }
    async fn throttle_count(&self, key: &str) -> StoreResult<u64> {
        timed(&self.meter, self.inner.throttle_count(key)).await
    }
    async fn throttle_set(&self, key: &str, value: u64, ttl: u64) -> StoreResult<()> {
        timed(&self.meter, self.inner.throttle_set(key, value, ttl)).await
    }
    fn sessions_held(&self) -> Option<u64> {
        self.inner.sessions_held()
    }
    async fn purge_expired(&self) -> StoreResult<u64> {
        timed(&self.meter, self.inner.purge_expired()).await
    }
    async fn user_changed(&self, user_id: u32) -> StoreResult<()> {
        timed(&self.meter, self.inner.user_changed(user_id)).await
    }
    async fn user_logged_in_on_page(&self, user_id: u32) -> StoreResult<()> {
        timed(&self.meter, self.inner.user_logged_in_on_page(user_id)).await
    }
}
