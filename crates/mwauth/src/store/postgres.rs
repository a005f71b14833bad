//! PostgreSQL as a [`Dialect`] of the SQL user store (super::sql): MediaWiki 1.39's own `"user"`, `user_groups`, `actor` and
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

use super::sql::{server_pool, Arg, Dialect, Placeholders, SqlUsers, Q};
use super::{check_table_prefix, StoreResult};
use sqlx::postgres::{PgPool, PgQueryResult, PgRow, Postgres};
use sqlx::Row;

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

/// The PostgreSQL dialect.
#[derive(Clone, Debug)]
pub struct Pg;

/// Users in a PostgreSQL database.
pub type PostgresUserStore = SqlUsers<Pg>;

impl Dialect for Pg {
    type DB = Postgres;
    const PLACEHOLDERS: Placeholders = Placeholders::Dollar;
    /// The user table's sequence (SERIAL), the last value this connection took from it.
    const LAST_ID: &'static str = "SELECT lastval()";
    /// Tables of the schemas on the connection's `search_path`, as `to_regclass` finds them.
    const OATH_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS {table} (\
        id INT NOT NULL, module VARCHAR(255) NOT NULL, data TEXT DEFAULT NULL, \
        PRIMARY KEY(id))";
    const TABLE_NAMES: &'static str =
        "SELECT tablename::text FROM pg_tables WHERE schemaname = ANY (current_schemas(false))";
    const REGISTRATION: &'static str =
        "to_char(user_registration AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS')";

    fn quote(table: &str) -> String {
        format!("\"{table}\"")
    }

    /// Timestamps are `TIMESTAMPTZ` here; an [`Arg::Time`] is bound as unix seconds
    /// (`to_timestamp(double precision)`).
    fn time(p: &str) -> String {
        format!("to_timestamp({p})")
    }

    fn insert_ignore(rest: &str) -> String {
        format!("INSERT INTO {rest} ON CONFLICT DO NOTHING")
    }

    fn bind<'q>(q: Q<'q, Postgres>, arg: Arg<'q>) -> Q<'q, Postgres> {
        match arg {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(n) => q.bind(n),
            Arg::Time(t) => q.bind(t as f64),
        }
    }

    fn text(row: &PgRow, i: usize) -> StoreResult<String> {
        Ok(row.try_get::<Option<String>, _>(i)?.unwrap_or_default())
    }

    fn int(row: &PgRow, i: usize) -> StoreResult<i64> {
        // MediaWiki's columns are INT; COUNT(*) and lastval() are BIGINT.
        let n = match row.try_get::<Option<i32>, _>(i) {
            Ok(n) => n.map(i64::from),
            Err(_) => row.try_get::<Option<i64>, _>(i)?,
        };
        Ok(n.unwrap_or(0))
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }
}

impl PostgresUserStore {
    /// Connects without touching the schema. The user table is `"user"`, or `mwuser` when
    /// only that exists (a wiki from before MediaWiki 1.37).
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<PostgresUserStore> {
        check_table_prefix(prefix)?;
        let pool: PgPool = server_pool(url).await?;
        let exists = |name: String| {
            let pool = pool.clone();
            async move {
                let row = sqlx::query("SELECT to_regclass($1) IS NOT NULL")
                    .bind(name)
                    .fetch_one(&pool)
                    .await?;
                StoreResult::Ok(row.try_get::<bool, _>(0)?)
            }
        };
        let user_table = if !exists(format!("\"{prefix}user\"")).await?
            && exists(format!("\"{prefix}mwuser\"")).await?
        {
            "mwuser"
        } else {
            "user"
        };
        Ok(SqlUsers::new(pool, prefix, user_table, Pg))
    }

    pub async fn open(url: &str, prefix: &str) -> StoreResult<PostgresUserStore> {
        let store = Self::connect(url, prefix).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Creates the missing tables in one transaction, serialised between nodes that start
    /// at the same time by an advisory lock.
    pub async fn migrate(&self) -> StoreResult<()> {
        let prefix = self.prefix();
        let user = self.user_table();
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("mwauth-schema:{prefix}"))
            .execute(&mut *tx)
            .await?;
        for stmt in SCHEMA {
            let mut sql = stmt.replace("{p}", prefix);
            if user != format!("\"{prefix}user\"") {
                if stmt.contains("TABLE IF NOT EXISTS \"{p}user\"")
                    || stmt.contains("ON \"{p}user\"")
                {
                    // A pre-1.37 wiki's mwuser is used as it is.
                    continue;
                }
                sql = sql.replace(&format!("\"{prefix}user\""), &user);
            }
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
