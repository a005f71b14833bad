//! Users in a MariaDB/MySQL database: MediaWiki 1.39's own `user`, `user_groups`, `actor` and
//! `bot_passwords` tables (with `$wgDBprefix`), created with MediaWiki's DDL when missing and
//! used as they are when a wiki already has them. MediaWiki declares its text columns
//! binary (`VARBINARY`, `BINARY(n)`, `TINYBLOB`), so every value is read as bytes and
//! decoded as UTF-8; `BINARY(n)` pads with NUL bytes, which are dropped.

use super::{check_table_prefix, StoreError, StoreResult, UserStore};
use crate::time;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::Row;
use std::collections::HashMap;
use std::time::Duration;

/// `$wgDBTableOptions`' default.
const TABLE_OPTIONS: &str = "ENGINE=InnoDB, DEFAULT CHARSET=binary";

/// MediaWiki 1.39's maintenance/tables-generated.sql for the four tables, `/*_*/` standing
/// for the prefix.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS /*_*/user (
  user_id INT UNSIGNED AUTO_INCREMENT NOT NULL,
  user_name VARBINARY(255) DEFAULT '' NOT NULL,
  user_real_name VARBINARY(255) DEFAULT '' NOT NULL,
  user_password TINYBLOB NOT NULL,
  user_newpassword TINYBLOB NOT NULL,
  user_newpass_time BINARY(14) DEFAULT NULL,
  user_email TINYTEXT NOT NULL,
  user_touched BINARY(14) NOT NULL,
  user_token BINARY(32) DEFAULT '' NOT NULL,
  user_email_authenticated BINARY(14) DEFAULT NULL,
  user_email_token BINARY(32) DEFAULT NULL,
  user_email_token_expires BINARY(14) DEFAULT NULL,
  user_registration BINARY(14) DEFAULT NULL,
  user_editcount INT UNSIGNED DEFAULT NULL,
  user_password_expires VARBINARY(14) DEFAULT NULL,
  UNIQUE INDEX user_name (user_name),
  INDEX user_email_token (user_email_token),
  INDEX user_email (
    user_email(50)
  ),
  PRIMARY KEY(user_id)
) /*$wgDBTableOptions*/",
    "CREATE TABLE IF NOT EXISTS /*_*/user_groups (
  ug_user INT UNSIGNED DEFAULT 0 NOT NULL,
  ug_group VARBINARY(255) DEFAULT '' NOT NULL,
  ug_expiry VARBINARY(14) DEFAULT NULL,
  INDEX ug_group (ug_group),
  INDEX ug_expiry (ug_expiry),
  PRIMARY KEY(ug_user, ug_group)
) /*$wgDBTableOptions*/",
    "CREATE TABLE IF NOT EXISTS /*_*/actor (
  actor_id BIGINT UNSIGNED AUTO_INCREMENT NOT NULL,
  actor_user INT UNSIGNED DEFAULT NULL,
  actor_name VARBINARY(255) NOT NULL,
  UNIQUE INDEX actor_user (actor_user),
  UNIQUE INDEX actor_name (actor_name),
  PRIMARY KEY(actor_id)
) /*$wgDBTableOptions*/",
    "CREATE TABLE IF NOT EXISTS /*_*/bot_passwords (
  bp_user INT UNSIGNED NOT NULL,
  bp_app_id VARBINARY(32) NOT NULL,
  bp_password TINYBLOB NOT NULL,
  bp_token BINARY(32) DEFAULT '' NOT NULL,
  bp_restrictions BLOB NOT NULL,
  bp_grants BLOB NOT NULL,
  PRIMARY KEY(bp_user, bp_app_id)
) /*$wgDBTableOptions*/",
];

/// The four table names, without and with the prefix.
pub const TABLES: [&str; 4] = ["user", "user_groups", "actor", "bot_passwords"];

#[derive(Clone)]
pub struct MysqlUserStore {
    pool: MySqlPool,
    prefix: String,
    user: String,
    groups: String,
    actor: String,
    bp: String,
}

fn bytes_to_string(b: Vec<u8>) -> String {
    let s = match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    s.trim_end_matches('\0').to_string()
}

fn text(row: &MySqlRow, col: &str) -> StoreResult<String> {
    let b: Option<Vec<u8>> = row.try_get(col)?;
    Ok(b.map(bytes_to_string).unwrap_or_default())
}

fn user_from_row(row: &MySqlRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: row.try_get::<u32, _>("user_id")?,
        name: text(row, "user_name")?,
        password: text(row, "user_password")?,
        token: text(row, "user_token")?,
        registration: text(row, "user_registration")?,
        editcount: u64::from(
            row.try_get::<Option<u32>, _>("user_editcount")?
                .unwrap_or(0),
        ),
        groups: Vec::new(),
    })
}

fn bp_from_row(row: &MySqlRow) -> StoreResult<BotPasswordRecord> {
    Ok(BotPasswordRecord {
        user_id: row.try_get::<u32, _>("bp_user")?,
        app_id: text(row, "bp_app_id")?,
        password: text(row, "bp_password")?,
        token: text(row, "bp_token")?,
        restrictions: text(row, "bp_restrictions")?,
        grants: serde_json::from_str(&text(row, "bp_grants")?).unwrap_or_default(),
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

const USER_COLUMNS: &str =
    "user_id, user_name, user_password, user_token, user_registration, user_editcount";
const BP_COLUMNS: &str = "bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants";

impl MysqlUserStore {
    /// Connects without touching the schema.
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<MysqlUserStore> {
        check_table_prefix(prefix)?;
        let pool = MySqlPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        let q = |t: &str| format!("`{prefix}{t}`");
        Ok(MysqlUserStore {
            pool,
            prefix: prefix.to_string(),
            user: q("user"),
            groups: q("user_groups"),
            actor: q("actor"),
            bp: q("bot_passwords"),
        })
    }

    /// Connects and creates the tables that are missing.
    pub async fn open(url: &str, prefix: &str) -> StoreResult<MysqlUserStore> {
        let store = Self::connect(url, prefix).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        for stmt in SCHEMA {
            let sql = stmt
                .replace("/*_*/", &format!("`{}", self.prefix))
                .replacen(" (\n", "` (\n", 1)
                .replace("/*$wgDBTableOptions*/", TABLE_OPTIONS);
            sqlx::query(&sql).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Which of MediaWiki's four tables exist (unprefixed names), and how many users.
    pub async fn inspect(&self) -> StoreResult<(Vec<&'static str>, Option<i64>)> {
        let rows = sqlx::query(
            "SELECT CAST(table_name AS BINARY) AS t FROM information_schema.tables \
             WHERE table_schema = DATABASE()",
        )
        .fetch_all(&self.pool)
        .await?;
        let names: Vec<String> = rows
            .iter()
            .map(|r| text(r, "t"))
            .collect::<StoreResult<_>>()?;
        let present: Vec<&'static str> = TABLES
            .iter()
            .copied()
            .filter(|t| names.iter().any(|n| *n == format!("{}{t}", self.prefix)))
            .collect();
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
            "SELECT ug_group FROM {} WHERE ug_user = ? AND (ug_expiry IS NULL OR ug_expiry > ?) \
             ORDER BY ug_group",
            self.groups
        ))
        .bind(id)
        .bind(time::ts_mw(time::now()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| text(r, "ug_group")).collect()
    }

    async fn one_user(&self, row: Option<MySqlRow>) -> StoreResult<Option<UserRecord>> {
        let Some(row) = row else { return Ok(None) };
        let mut user = user_from_row(&row)?;
        user.groups = self.groups_of(user.id).await?;
        Ok(Some(user))
    }
}

#[async_trait]
impl UserStore for MysqlUserStore {
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM {} WHERE user_name = ?",
            self.user
        ))
        .bind(name.as_bytes())
        .fetch_optional(&self.pool)
        .await?;
        self.one_user(row).await
    }

    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM {} WHERE user_id = ?",
            self.user
        ))
        .bind(id)
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
        let now = time::ts_mw(time::now());
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(&format!(
            "INSERT INTO {} (user_name, user_real_name, user_password, user_newpassword, user_email, \
             user_touched, user_token, user_registration, user_editcount) VALUES (?, '', ?, '', '', ?, ?, ?, 0)",
            self.user
        ))
        .bind(name.as_bytes())
        .bind(password_hash.as_bytes())
        .bind(now.as_bytes())
        .bind(crate::session::random_hex(32).into_bytes())
        .bind(now.as_bytes())
        .execute(&mut *tx)
        .await;
        let id = match res {
            Ok(r) => r.last_insert_id() as u32,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "user \"{name}\" already exists"
                )))
            }
            Err(e) => return Err(e.into()),
        };
        // MediaWiki gives every registered user an actor row.
        sqlx::query(&format!(
            "INSERT IGNORE INTO {} (actor_user, actor_name) VALUES (?, ?)",
            self.actor
        ))
        .bind(id)
        .bind(name.as_bytes())
        .execute(&mut *tx)
        .await?;
        for g in groups {
            sqlx::query(&format!(
                "INSERT IGNORE INTO {} (ug_user, ug_group, ug_expiry) VALUES (?, ?, NULL)",
                self.groups
            ))
            .bind(id)
            .bind(g.as_bytes())
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
        let now = time::ts_mw(time::now());
        if reset_token {
            sqlx::query(&format!(
                "UPDATE {} SET user_password = ?, user_token = ?, user_touched = ? WHERE user_id = ?",
                self.user
            ))
            .bind(password_hash.as_bytes())
            .bind(crate::session::random_hex(32).into_bytes())
            .bind(now.as_bytes())
            .bind(id)
            .execute(&self.pool)
            .await?;
        } else {
            sqlx::query(&format!(
                "UPDATE {} SET user_password = ?, user_touched = ? WHERE user_id = ?",
                self.user
            ))
            .bind(password_hash.as_bytes())
            .bind(now.as_bytes())
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        sqlx::query(&format!(
            "UPDATE {} SET user_token = ? WHERE user_id = ?",
            self.user
        ))
        .bind(token.as_bytes())
        .bind(id)
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
            "SELECT ug_user, ug_group FROM {} WHERE ug_expiry IS NULL OR ug_expiry > ? \
             ORDER BY ug_user, ug_group",
            self.groups
        ))
        .bind(time::ts_mw(time::now()))
        .fetch_all(&self.pool)
        .await?;
        let mut groups: HashMap<u32, Vec<String>> = HashMap::new();
        for r in &group_rows {
            groups
                .entry(r.try_get::<u32, _>("ug_user")?)
                .or_default()
                .push(text(r, "ug_group")?);
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
            "SELECT {BP_COLUMNS} FROM {} WHERE bp_user = ? AND bp_app_id = ?",
            self.bp
        ))
        .bind(user_id)
        .bind(app_id.as_bytes())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(bp_from_row).transpose()
    }

    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        let res = sqlx::query(&format!(
            "INSERT INTO {} (bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants) \
             VALUES (?, ?, ?, ?, ?, ?)",
            self.bp
        ))
        .bind(bp.user_id)
        .bind(bp.app_id.as_bytes())
        .bind(bp.password.as_bytes())
        .bind(bp.token.as_bytes())
        .bind(bp.restrictions.as_bytes())
        .bind(
            serde_json::to_string(&bp.grants)
                .unwrap_or_else(|_| "[]".into())
                .into_bytes(),
        )
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
            "UPDATE {} SET bp_password = ? WHERE bp_user = ? AND bp_app_id = ?",
            self.bp
        ))
        .bind(hash.as_bytes())
        .bind(user_id)
        .bind(app_id.as_bytes())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {BP_COLUMNS} FROM {} WHERE bp_user = ? ORDER BY bp_app_id",
            self.bp
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(bp_from_row).collect()
    }

    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        let r = sqlx::query(&format!(
            "DELETE FROM {} WHERE bp_user = ? AND bp_app_id = ?",
            self.bp
        ))
        .bind(user_id)
        .bind(app_id.as_bytes())
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
        // Matched rows, not changed ones: an update that changes nothing still finds the row.
        let found = sqlx::query(&format!(
            "SELECT 1 FROM {} WHERE bp_user = ? AND bp_app_id = ?",
            self.bp
        ))
        .bind(user_id)
        .bind(app_id.as_bytes())
        .fetch_optional(&self.pool)
        .await?
        .is_some();
        if !found {
            return Ok(false);
        }
        sqlx::query(&format!(
            "UPDATE {} SET bp_grants = ?, bp_restrictions = ?, bp_token = ?, \
             bp_password = COALESCE(?, bp_password) WHERE bp_user = ? AND bp_app_id = ?",
            self.bp
        ))
        .bind(
            serde_json::to_string(grants)
                .unwrap_or_else(|_| "[]".into())
                .into_bytes(),
        )
        .bind(restrictions.as_bytes())
        .bind(token.as_bytes())
        .bind(password_hash.map(|h| h.as_bytes().to_vec()))
        .bind(user_id)
        .bind(app_id.as_bytes())
        .execute(&self.pool)
        .await?;
        Ok(true)
    }
}
