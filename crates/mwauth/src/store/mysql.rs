//! MariaDB/MySQL as a [`Dialect`] of the SQL user store (super::sql): MediaWiki 1.39's own
//! `user`, `user_groups`, `actor` and `bot_passwords` tables (with `$wgDBprefix`), created with
//! MediaWiki's DDL when missing and used as they are when a wiki already has them. MediaWiki
//! declares its text columns binary (`VARBINARY`, `BINARY(n)`, `TINYBLOB`), so every value is
//! bound and read as bytes and decoded as UTF-8; `BINARY(n)` pads with NUL bytes, which are
//! dropped.

use super::sql::{server_pool, text_of_bytes, Arg, Dialect, Placeholders, SqlUsers, Q};
use super::{check_table_prefix, StoreResult};
use crate::time;
use sqlx::mysql::{MySql, MySqlQueryResult, MySqlRow};
use sqlx::Row;

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

/// The MariaDB/MySQL dialect.
#[derive(Clone, Debug)]
pub struct Mysql;

/// Users in a MariaDB/MySQL database.
pub type MysqlUserStore = SqlUsers<Mysql>;

impl Dialect for Mysql {
    type DB = MySql;
    const PLACEHOLDERS: Placeholders = Placeholders::InOrder;
    const LAST_ID: &'static str = "SELECT LAST_INSERT_ID()";
    const OATH_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS {table} (\
        id INT NOT NULL, module VARCHAR(255) NOT NULL, data BLOB DEFAULT NULL, \
        PRIMARY KEY(id))";
    const TABLE_NAMES: &'static str = "SELECT CAST(table_name AS BINARY) FROM \
        information_schema.tables WHERE table_schema = DATABASE()";

    fn quote(table: &str) -> String {
        format!("`{table}`")
    }

    fn insert_ignore(rest: &str) -> String {
        format!("INSERT IGNORE INTO {rest}")
    }

    fn bind<'q>(q: Q<'q, MySql>, arg: Arg<'q>) -> Q<'q, MySql> {
        match arg {
            Arg::Text(s) => q.bind(s.as_bytes()),
            Arg::OptText(s) => q.bind(s.map(str::as_bytes)),
            Arg::Int(n) => q.bind(n),
            Arg::Time(t) => q.bind(time::ts_mw(t).into_bytes()),
        }
    }

    fn text(row: &MySqlRow, i: usize) -> StoreResult<String> {
        let b: Option<Vec<u8>> = row.try_get(i)?;
        Ok(b.map(text_of_bytes).unwrap_or_default())
    }

    fn int(row: &MySqlRow, i: usize) -> StoreResult<i64> {
        // MediaWiki's ids are unsigned; COUNT(*) is signed.
        let n = match row.try_get::<Option<u64>, _>(i) {
            Ok(n) => n.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
            Err(_) => row.try_get::<Option<i64>, _>(i)?,
        };
        Ok(n.unwrap_or(0))
    }

    fn rows_affected(done: &MySqlQueryResult) -> u64 {
        done.rows_affected()
    }
}

impl MysqlUserStore {
    /// Connects without touching the schema.
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<MysqlUserStore> {
        check_table_prefix(prefix)?;
        let pool = server_pool(url).await?;
        Ok(SqlUsers::new(pool, prefix, "user", Mysql))
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
                .replace("/*_*/", &format!("`{}", self.prefix()))
                .replacen(" (\n", "` (\n", 1)
                .replace("/*$wgDBTableOptions*/", TABLE_OPTIONS);
            sqlx::query(&sql).execute(self.pool()).await?;
        }
        Ok(())
    }
}
