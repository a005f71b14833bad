//! Users in a PostgreSQL database: MediaWiki 1.39's own `"user"`, `user_groups`, `actor` and
//! `bot_passwords` tables, created with MediaWiki's DDL (maintenance/postgres/
//! tables-generated.sql) when missing and used as they are when a wiki already has them.
//!
//! MediaWiki called the user table `mwuser` on PostgreSQL until 1.36 and renames it to
//! `"user"` from 1.37 on (PostgresUpdater); 1.39 creates `"user"`. A database that still
//! has only `mwuser` is read and written as it is. Timestamps are `TIMESTAMPTZ` here and
//! are converted to and from MediaWiki's 14-digit form. The schema is the connection's
//! `search_path` (MediaWiki's `$wgDBmwschema`, e.g. `?options[search_path]=mediawiki`).
//! With a table prefix, index names get the prefix too, since PostgreSQL index names are
//! per schema, not per table.

use super::{check_table_prefix, StoreError, StoreResult, UserStore};
use crate::time;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;
use std::collections::HashMap;
use std::time::Duration;

/// The DDL with `{p}` for the prefix; `"user"` stands for the user table's name.
const SCHEMA: &[&str] = &[
    r#"CREATE TABLE IF NOT EXISTS "{p}user" (
  user_id SERIAL NOT NULL,
  user_name TEXT DEFAULT '' NOT NULL,
  user_real_name TEXT DEFAULT '' NOT NULL,
  user_password TEXT NOT NULL,
  user_newpassword TEXT NOT NULL,
  user_newpass_time TIMESTAMPTZ DEFAULT NULL,
  user_email TEXT NOT NULL,
  user_touched TIMESTAMPTZ NOT NULL,
  user_token TEXT DEFAULT '' NOT NULL,
  user_email_authenticated TIMESTAMPTZ DEFAULT NULL,
  user_email_token TEXT DEFAULT NULL,
  user_email_token_expires TIMESTAMPTZ DEFAULT NULL,
  user_registration TIMESTAMPTZ DEFAULT NULL,
  user_editcount INT DEFAULT NULL,
  user_password_expires TIMESTAMPTZ DEFAULT NULL,
  PRIMARY KEY(user_id)
)"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS "{p}user_name" ON "{p}user" (user_name)"#,
    r#"CREATE INDEX IF NOT EXISTS "{p}user_email_token" ON "{p}user" (user_email_token)"#,
    r#"CREATE INDEX IF NOT EXISTS "{p}user_email" ON "{p}user" (user_email)"#,
    r#"CREATE TABLE IF NOT EXISTS "{p}user_groups" (
  ug_user INT DEFAULT 0 NOT NULL,
  ug_group TEXT DEFAULT '' NOT NULL,
  ug_expiry TIMESTAMPTZ DEFAULT NULL,
  PRIMARY KEY(ug_user, ug_group)
)"#,
    r#"CREATE INDEX IF NOT EXISTS "{p}ug_group" ON "{p}user_groups" (ug_group)"#,
    r#"CREATE INDEX IF NOT EXISTS "{p}ug_expiry" ON "{p}user_groups" (ug_expiry)"#,
    r#"CREATE TABLE IF NOT EXISTS "{p}actor" (
  actor_id BIGSERIAL NOT NULL,
  actor_user INT DEFAULT NULL,
  actor_name TEXT NOT NULL,
  PRIMARY KEY(actor_id)
)"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS "{p}actor_user" ON "{p}actor" (actor_user)"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS "{p}actor_name" ON "{p}actor" (actor_name)"#,
    r#"CREATE TABLE IF NOT EXISTS "{p}bot_passwords" (
  bp_user INT NOT NULL,
  bp_app_id TEXT NOT NULL,
  bp_password TEXT NOT NULL,
  bp_token TEXT DEFAULT '' NOT NULL,
  bp_restrictions TEXT NOT NULL,
  bp_grants TEXT NOT NULL,
  PRIMARY KEY(bp_user, bp_app_id)
)"#,
];

pub const TABLES: [&str; 4] = ["user", "user_groups", "actor", "bot_passwords"];

#[derive(Clone)]
pub struct PostgresUserStore {
    pool: PgPool,
    prefix: String,
    user: String,
    groups: String,
    actor: String,
    bp: String,
}

const USER_COLUMNS: &str = "user_id, user_name, user_password, user_token, \
    COALESCE(to_char(user_registration AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS'), '') AS registration, \
    COALESCE(user_editcount, 0) AS editcount";
const BP_COLUMNS: &str = "bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants";

fn user_from_row(row: &PgRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: row.try_get::<i32, _>("user_id")? as u32,
        name: row.try_get("user_name")?,
        password: row.try_get("user_password")?,
        token: row.try_get("user_token")?,
        registration: row.try_get("registration")?,
        editcount: row.try_get::<i32, _>("editcount")?.max(0) as u64,
        groups: Vec::new(),
    })
}

fn bp_from_row(row: &PgRow) -> StoreResult<BotPasswordRecord> {
    let grants: String = row.try_get("bp_grants")?;
    Ok(BotPasswordRecord {
        user_id: row.try_get::<i32, _>("bp_user")? as u32,
        app_id: row.try_get("bp_app_id")?,
        password: row.try_get("bp_password")?,
        token: row.try_get("bp_token")?,
        restrictions: row.try_get("bp_restrictions")?,
        grants: serde_json::from_str(&grants).unwrap_or_default(),
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// User ids are `INT` here; ids past i32 cannot exist.
fn pg_id(id: u32) -> i32 {
    i32::try_from(id).unwrap_or(-1)
}

impl PostgresUserStore {
    /// Connects without touching the schema. The user table is `"user"`, or `mwuser` when
    /// only that exists (a wiki from before MediaWiki 1.37).
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<PostgresUserStore> {
        check_table_prefix(prefix)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        let exists = |name: String| {
            let pool = pool.clone();
            async move {
                let row = sqlx::query("SELECT to_regclass($1) IS NOT NULL AS e")
                    .bind(name)
                    .fetch_one(&pool)
                    .await?;
                Ok::<bool, StoreError>(row.try_get("e")?)
            }
        };
        let user_table = if !exists(format!("\"{prefix}user\"")).await?
            && exists(format!("\"{prefix}mwuser\"")).await?
        {
            format!("\"{prefix}mwuser\"")
        } else {
            format!("\"{prefix}user\"")
        };
        let q = |t: &str| format!("\"{prefix}{t}\"");
        Ok(PostgresUserStore {
            pool,
            prefix: prefix.to_string(),
            user: user_table,
            groups: q("user_groups"),
            actor: q("actor"),
            bp: q("bot_passwords"),
        })
    }

    pub async fn open(url: &str, prefix: &str) -> StoreResult<PostgresUserStore> {
        let store = Self::connect(url, prefix).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Creates the missing tables in one transaction, serialised between nodes that start
    /// at the same time by an advisory lock.
    pub async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("mwauth-schema:{}", self.prefix))
            .execute(&mut *tx)
            .await?;
        for stmt in SCHEMA {
            let mut sql = stmt.replace("{p}", &self.prefix);
            if self.user != format!("\"{}user\"", self.prefix) {
                if stmt.contains("TABLE IF NOT EXISTS \"{p}user\"")
                    || stmt.contains("ON \"{p}user\"")
                {
                    // A pre-1.37 wiki's mwuser is used as it is.
                    continue;
                }
                sql = sql.replace(&format!("\"{}user\"", self.prefix), &self.user);
            }
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Which of MediaWiki's four tables exist (unprefixed names; `user` also when it is
    /// `mwuser`), and how many users.
    pub async fn inspect(&self) -> StoreResult<(Vec<&'static str>, Option<i64>)> {
        let mut present = Vec::new();
        for (t, quoted) in TABLES
            .iter()
            .zip([&self.user, &self.groups, &self.actor, &self.bp])
        {
            let row = sqlx::query("SELECT to_regclass($1) IS NOT NULL AS e")
                .bind(quoted)
                .fetch_one(&self.pool)
                .await?;
            if row.try_get::<bool, _>("e")? {
                present.push(*t);
            }
        }
        let count = if present.contains(&"user") {
            let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {}", self.user))
                .fetch_one(&self.pool)
                .await?;
            Some(row.try_get::<i64, _>("n")?)
        } else {
            None
        };
        Ok((present, count))
    }

    /// The user table's quoted name (`"user"`, or `mwuser` on an old wiki).
    pub fn user_table(&self) -> &str {
        &self.user
    }

    /// Drops the four tables (tests only; never called by the server).
    pub async fn drop_tables(&self) -> StoreResult<()> {
        sqlx::query(&format!(
            "DROP TABLE IF EXISTS {}, {}, {}, {}",
            self.user, self.groups, self.actor, self.bp
        ))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn groups_of(&self, id: u32) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(&format!(
            "SELECT ug_group FROM {} WHERE ug_user = $1 AND (ug_expiry IS NULL OR ug_expiry > now()) \
             ORDER BY ug_group COLLATE \"C\"",
            self.groups
        ))
        .bind(pg_id(id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("ug_group")?))
            .collect()
    }

    async fn one_user(&self, row: Option<PgRow>) -> StoreResult<Option<UserRecord>> {
        let Some(row) = row else { return Ok(None) };
        let mut user = user_from_row(&row)?;
        user.groups = self.groups_of(user.id).await?;
        Ok(Some(user))
    }
}

#[async_trait]
impl UserStore for PostgresUserStore {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM {} WHERE user_name = $1",
            self.user
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        self.one_user(row).await
    }

    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM {} WHERE user_id = $1",
            self.user
        ))
        .bind(pg_id(id))
        .fetch_optional(&self.pool)
        .await?;
        self.one_user(row).await
    }

    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        groups: &[String],
    ) -> StoreResult<u32> {
        let now = time::now();
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(&format!(
            "INSERT INTO {} (user_name, user_real_name, user_password, user_newpassword, user_email, \
             user_touched, user_token, user_registration, user_editcount) \
             VALUES ($1, '', $2, '', '', to_timestamp($3), $4, to_timestamp($3), 0) RETURNING user_id",
            self.user
        ))
        .bind(name)
        .bind(password_hash)
        .bind(now as f64)
        .bind(crate::session::random_hex(32))
        .fetch_one(&mut *tx)
        .await;
        let id = match res {
            Ok(r) => r.try_get::<i32, _>("user_id")? as u32,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "user \"{name}\" already exists"
                )))
            }
            Err(e) => return Err(e.into()),
        };
        // MediaWiki gives every registered user an actor row.
        sqlx::query(&format!(
            "INSERT INTO {} (actor_user, actor_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            self.actor
        ))
        .bind(pg_id(id))
        .bind(name)
        .execute(&mut *tx)
        .await?;
        for g in groups {
            sqlx::query(&format!(
                "INSERT INTO {} (ug_user, ug_group, ug_expiry) VALUES ($1, $2, NULL) ON CONFLICT DO NOTHING",
                self.groups
            ))
            .bind(pg_id(id))
            .bind(g)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn set_password(
        &self,
        id: u32,
        password_hash: &str,
        reset_token: bool,
    ) -> StoreResult<()> {
        let sql = if reset_token {
            format!(
                "UPDATE {} SET user_password = $1, user_touched = now(), user_token = $3 WHERE user_id = $2",
                self.user
            )
        } else {
            format!(
                "UPDATE {} SET user_password = $1, user_touched = now() WHERE user_id = $2",
                self.user
            )
        };
        let q = sqlx::query(&sql).bind(password_hash).bind(pg_id(id));
        let q = if reset_token {
            q.bind(crate::session::random_hex(32))
        } else {
            q
        };
        q.execute(&self.pool).await?;
        Ok(())
    }

    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        sqlx::query(&format!(
            "UPDATE {} SET user_token = $1 WHERE user_id = $2",
            self.user
        ))
        .bind(token)
        .bind(pg_id(id))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM {} ORDER BY user_id",
            self.user
        ))
        .fetch_all(&self.pool)
        .await?;
        let group_rows = sqlx::query(&format!(
            "SELECT ug_user, ug_group FROM {} WHERE ug_expiry IS NULL OR ug_expiry > now() \
             ORDER BY ug_user, ug_group COLLATE \"C\"",
            self.groups
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut groups: HashMap<u32, Vec<String>> = HashMap::new();
        for r in &group_rows {
            groups
                .entry(r.try_get::<i32, _>("ug_user")? as u32)
                .or_default()
                .push(r.try_get("ug_group")?);
        }
        rows.iter()
            .map(|r| {
                let mut u = user_from_row(r)?;
                u.groups = groups.remove(&u.id).unwrap_or_default();
                Ok(u)
            })
            .collect()
    }

    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {BP_COLUMNS} FROM {} WHERE bp_user = $1 AND bp_app_id = $2",
            self.bp
        ))
        .bind(pg_id(user_id))
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(bp_from_row).transpose()
    }

    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        let res = sqlx::query(&format!(
            "INSERT INTO {} (bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            self.bp
        ))
        .bind(pg_id(bp.user_id))
        .bind(&bp.app_id)
        .bind(&bp.password)
        .bind(&bp.token)
        .bind(&bp.restrictions)
        .bind(serde_json::to_string(&bp.grants).unwrap_or_else(|_| "[]".into()))
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "bot password \"{}\" already exists",
                bp.app_id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()> {
        sqlx::query(&format!(
            "UPDATE {} SET bp_password = $1 WHERE bp_user = $2 AND bp_app_id = $3",
            self.bp
        ))
        .bind(hash)
        .bind(pg_id(user_id))
        .bind(app_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {BP_COLUMNS} FROM {} WHERE bp_user = $1 ORDER BY bp_app_id COLLATE \"C\"",
            self.bp
        ))
        .bind(pg_id(user_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(bp_from_row).collect()
    }

    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        let r = sqlx::query(&format!(
            "DELETE FROM {} WHERE bp_user = $1 AND bp_app_id = $2",
            self.bp
        ))
        .bind(pg_id(user_id))
        .bind(app_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        grants: &[String],
        restrictions: &str,
        token: &str,
        password_hash: Option<&str>,
    ) -> StoreResult<bool> {
        let r = sqlx::query(&format!(
            "UPDATE {} SET bp_grants = $1, bp_restrictions = $2, bp_token = $3, \
             bp_password = COALESCE($4, bp_password) WHERE bp_user = $5 AND bp_app_id = $6",
            self.bp
        ))
        .bind(serde_json::to_string(grants).unwrap_or_else(|_| "[]".into()))
        .bind(restrictions)
        .bind(token)
        .bind(password_hash)
        .bind(pg_id(user_id))
        .bind(app_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }
}
