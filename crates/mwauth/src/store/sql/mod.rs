//! The one [`UserStore`] over MediaWiki's `user`, `user_groups`, `actor` and `bot_passwords`
//! tables, for every SQL backend. What differs between SQLite, MariaDB and PostgreSQL is a
//! [`Dialect`]: a few SQL fragments, how a value is bound and how a column is read. Each
//! dialect's file (`sqlite.rs`, `mysql.rs`, `postgres.rs`) holds that and its connect/migrate;
//! the queries and the row mapping are written once, here.
//! The statements themselves are in [`statements`].

mod statements;
mod wikilog;

use super::{
    BotPasswordUpdate, LogEntry, OathRow, SiteStatsRow, StoreError, StoreResult, UserStore,
};
use crate::time;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use sqlx::query::Query;
use sqlx::{Database, Executor, IntoArguments, Pool};
use statements::{Statements, Stmt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// MediaWiki's four tables, as [`SqlUsers::inspect`] names them.
pub const TABLES: [&str; 4] = ["user", "user_groups", "actor", "bot_passwords"];

/// A statement of the database `DB` under construction.
pub type Q<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A value bound to a statement; the dialect decides its wire type.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Text(&'a str),
    /// A text or NULL.
    OptText(Option<&'a str>),
    Int(i64),
    /// A point in time, unix seconds: MediaWiki's 14 digits where timestamps are text
    /// (SQLite, MariaDB), a number PostgreSQL's `to_timestamp` reads (see [`Dialect::time`]).
    Time(i64),
}

/// How a statement's placeholders are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholders {
    /// `?1` (SQLite).
    Numbered,
    /// `$1` (PostgreSQL).
    Dollar,
    /// `?`, bound in order of appearance (MariaDB/MySQL).
    InOrder,
}

/// What differs between the SQL databases. Everything else is [`SqlUsers`]'s.
pub trait Dialect: Clone + Send + Sync + 'static {
    type DB: Database;
    const PLACEHOLDERS: Placeholders;
    /// The query for the id [`Self`]'s last INSERT made, on the same connection.
    const LAST_ID: &'static str;
    /// The query listing the tables the connection sees (one text column).
    const TABLE_NAMES: &'static str;
    /// OATHAuth 0.5.0's DDL of `oathauth_users` for this database (its
    /// `sql/*/tables-generated.sql`, `IF NOT EXISTS` added), `{table}` for the quoted name.
    const OATH_TABLE: &'static str;
    /// `user_registration` as 14 digits (NULL when unknown).
    const REGISTRATION: &'static str = "user_registration";
    /// The SQL function Database::buildGreatest writes (`MAX` in SQLite).
    const GREATEST: &'static str = "GREATEST";

    /// A table name, prefixed already, quoted as an identifier.
    fn quote(table: &str) -> String;
    /// `col = p` for one of MediaWiki's text columns.
    fn text_eq(col: &str, p: &str) -> String {
        format!("{col} = {p}")
    }
    /// The value of an [`Arg::Time`] placeholder as the timestamp columns hold it.
    fn time(p: &str) -> String {
        p.to_string()
    }
    /// `col > p` for one of MediaWiki's timestamp columns and an [`Arg::Time`].
    fn after(col: &str, p: &str) -> String {
        format!("{col} > {}", Self::time(p))
    }
    /// `INSERT … VALUES …` that does nothing where a unique key already holds the row;
    /// `rest` is everything after `INSERT INTO `.
    fn insert_ignore(rest: &str) -> String;

    fn bind<'q>(q: Q<'q, Self::DB>, arg: Arg<'q>) -> Q<'q, Self::DB>;
    /// A text column (NULL reads as empty).
    fn text(row: &<Self::DB as Database>::Row, i: usize) -> StoreResult<String>;
    /// An integer column (NULL reads as 0).
    fn int(row: &<Self::DB as Database>::Row, i: usize) -> StoreResult<i64>;
    fn rows_affected(done: &<Self::DB as Database>::QueryResult) -> u64;
}

/// Users and bot passwords in one SQL database (see the module's doc).
pub struct SqlUsers<D: Dialect> {
    pool: Pool<D::DB>,
    sql: Arc<Statements>,
    /// `$wgDBprefix`.
    prefix: String,
    /// What the dialect keeps of its own (the SQLite file's path).
    dialect: D,
}

impl<D: Dialect> Clone for SqlUsers<D> {
    fn clone(&self) -> Self {
        SqlUsers {
            pool: self.pool.clone(),
            sql: self.sql.clone(),
            prefix: self.prefix.clone(),
            dialect: self.dialect.clone(),
        }
    }
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A pool on a database server (MariaDB, PostgreSQL): a few connections, opened when needed,
/// and an error rather than a hang when the server does not answer.
pub(crate) async fn server_pool<DB: Database>(url: &str) -> StoreResult<Pool<DB>> {
    Ok(sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(8)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?)
}

/// A database integer as a user id; anything else is a bad row, not a panic.
fn user_id(n: i64) -> StoreResult<u32> {
    u32::try_from(n).map_err(|_| StoreError::Db(format!("user id {n} out of range")))
}

/// A column's bytes as text: invalid UTF-8 replaced, the NUL bytes that pad MariaDB's
/// `BINARY(n)` dropped. (SQLite and MariaDB read text columns as bytes: MediaWiki declares
/// them binary, and a value may have been stored either way.)
pub(crate) fn text_of_bytes(b: Vec<u8>) -> String {
    let mut s = match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    s.truncate(s.trim_end_matches('\0').len());
    s
}

fn grants_json(grants: &[String]) -> String {
    serde_json::to_string(grants).unwrap_or_else(|_| "[]".into())
}

impl<D: Dialect> SqlUsers<D> {
    /// The store over `pool`; `user_table` is the user table's name without the prefix
    /// (`user`, or `mwuser` on an old PostgreSQL wiki).
    pub(crate) fn new(pool: Pool<D::DB>, prefix: &str, user_table: &str, dialect: D) -> Self {
        let names = [user_table, TABLES[1], TABLES[2], TABLES[3]].map(|t| format!("{prefix}{t}"));
        SqlUsers {
            pool,
            sql: Arc::new(Statements::new::<D>(
                names,
                &format!("{prefix}oathauth_users"),
                &format!("{prefix}site_stats"),
            )),
            prefix: prefix.to_string(),
            dialect,
        }
    }

    pub(crate) fn pool(&self) -> &Pool<D::DB> {
        &self.pool
    }

    /// `$wgDBprefix`.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn dialect(&self) -> &D {
        &self.dialect
    }

    /// The user table's name, quoted (`"user"`, or `"mwuser"` on an old PostgreSQL wiki).
    pub fn user_table(&self) -> String {
        D::quote(&self.sql.names[0])
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// What running a statement on the pool or in a transaction needs of the database; every
/// sqlx driver has it, but a generic caller has to say so.
impl<D: Dialect> SqlUsers<D>
where
    for<'c> &'c mut <D::DB as Database>::Connection: Executor<'c, Database = D::DB>,
    for<'q> <D::DB as Database>::Arguments<'q>: IntoArguments<'q, D::DB>,
{
    async fn rows(
        &self,
        stmt: &Stmt,
        args: &[Arg<'_>],
    ) -> sqlx::Result<Vec<<D::DB as Database>::Row>> {
        stmt.query::<D>(args).fetch_all(&self.pool).await
    }

    async fn row(
        &self,
        stmt: &Stmt,
        args: &[Arg<'_>],
    ) -> sqlx::Result<Option<<D::DB as Database>::Row>> {
        stmt.query::<D>(args).fetch_optional(&self.pool).await
    }

    /// Runs a statement; returns how many rows it changed.
    async fn run(&self, stmt: &Stmt, args: &[Arg<'_>]) -> sqlx::Result<u64> {
        let done = stmt.query::<D>(args).execute(&self.pool).await?;
        Ok(D::rows_affected(&done))
    }

    /// Which of MediaWiki's four tables exist (names of [`TABLES`]; `user` also when it is
    /// `mwuser`), and how many users.
    pub async fn inspect(&self) -> StoreResult<(Vec<&'static str>, Option<i64>)> {
        let mut seen = Vec::new();
        for row in self.rows(&self.sql.table_names, &[]).await? {
            seen.push(D::text(&row, 0)?);
        }
        let present: Vec<&'static str> = TABLES
            .iter()
            .zip(&self.sql.names)
            .filter(|(_, name)| seen.contains(name))
            .map(|(t, _)| *t)
            .collect();
        let count = if present.contains(&"user") {
            let row = self.row(&self.sql.count_users, &[]).await?;
            row.map(|r| D::int(&r, 0)).transpose()?
        } else {
            None
        };
        Ok((present, count))
    }

    /// Drops the four tables (tests only; never called by the server).
    pub async fn drop_tables(&self) -> StoreResult<()> {
        let oath = format!("{}oathauth_users", self.prefix);
        for name in self.sql.names.iter().chain([&oath]) {
            let sql = format!("DROP TABLE IF EXISTS {}", D::quote(name));
            sqlx::query::<D::DB>(&sql).execute(&self.pool).await?;
        }
        Ok(())
    }

    fn user_from_row(row: &<D::DB as Database>::Row) -> StoreResult<UserRecord> {
        Ok(UserRecord {
            id: user_id(D::int(row, 0)?)?,
            name: D::text(row, 1)?,
            password: D::text(row, 2)?,
            token: D::text(row, 3)?,
            registration: D::text(row, 4)?,
            editcount: D::int(row, 5)?.max(0) as u64,
            groups: Vec::new(),
        })
    }

    fn bot_password_from_row(row: &<D::DB as Database>::Row) -> StoreResult<BotPasswordRecord> {
        Ok(BotPasswordRecord {
            user_id: user_id(D::int(row, 0)?)?,
            app_id: D::text(row, 1)?,
            password: D::text(row, 2)?,
            token: D::text(row, 3)?,
            restrictions: D::text(row, 4)?,
            grants: serde_json::from_str(&D::text(row, 5)?).unwrap_or_default(),
        })
    }

    /// The user of a row, with the groups that have not expired, in MediaWiki's order:
    /// UserGroupManager::getUserGroupMemberships `ksort`s them by name.
    async fn user_with_groups(
        &self,
        row: Option<<D::DB as Database>::Row>,
    ) -> StoreResult<Option<UserRecord>> {
        let Some(row) = row else { return Ok(None) };
        let mut user = Self::user_from_row(&row)?;
        let now = Arg::Time(time::now());
        let rows = self
            .rows(&self.sql.groups_of, &[Arg::Int(user.id.into()), now])
            .await?;
        user.groups = rows
            .iter()
            .map(|r| D::text(r, 0))
            .collect::<StoreResult<_>>()?;
        user.groups.sort();
        Ok(Some(user))
    }
}

#[async_trait]
impl<D: Dialect> UserStore for SqlUsers<D>
where
    for<'c> &'c mut <D::DB as Database>::Connection: Executor<'c, Database = D::DB>,
    for<'q> <D::DB as Database>::Arguments<'q>: IntoArguments<'q, D::DB>,
{
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRecord>> {
        let row = self.row(&self.sql.user_by_name, &[Arg::Text(name)]).await?;
        self.user_with_groups(row).await
    }

    async fn user_by_id(&self, id: u32) -> StoreResult<Option<UserRecord>> {
        let row = self
            .row(&self.sql.user_by_id, &[Arg::Int(id.into())])
            .await?;
        self.user_with_groups(row).await
    }

    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        token: &str,
        groups: &[String],
    ) -> StoreResult<u32> {
        let now = Arg::Time(time::now());
        let mut tx = self.pool.begin().await?;
        let inserted = self
            .sql
            .insert_user
            .query::<D>(&[
                Arg::Text(name),
                Arg::Text(password_hash),
                now,
                Arg::Text(token),
            ])
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "user \"{name}\" already exists"
                )))
            }
            Err(e) => return Err(e.into()),
        }
        let row = self.sql.last_id.query::<D>(&[]).fetch_one(&mut *tx).await?;
        let id = user_id(D::int(&row, 0)?)?;
        // MediaWiki gives every registered user an actor row; keep the tables usable by it.
        self.sql
            .insert_actor
            .query::<D>(&[Arg::Int(id.into()), Arg::Text(name)])
            .execute(&mut *tx)
            .await?;
        for g in groups {
            self.sql
                .insert_group
                .query::<D>(&[Arg::Int(id.into()), Arg::Text(g)])
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
        new_token: Option<&str>,
    ) -> StoreResult<()> {
        let mut args = vec![
            Arg::Text(password_hash),
            Arg::Time(time::now()),
            Arg::Int(id.into()),
        ];
        let stmt = match new_token {
            Some(token) => {
                args.push(Arg::Text(token));
                &self.sql.set_password_and_token
            }
            None => &self.sql.set_password,
        };
        self.run(stmt, &args).await?;
        Ok(())
    }

    async fn set_user_token(&self, id: u32, token: &str) -> StoreResult<()> {
        self.run(
            &self.sql.set_user_token,
            &[Arg::Text(token), Arg::Int(id.into())],
        )
        .await?;
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        let users = self.rows(&self.sql.all_users, &[]).await?;
        let now = Arg::Time(time::now());
        let mut groups: HashMap<u32, Vec<String>> = HashMap::new();
        for r in self.rows(&self.sql.all_groups, &[now]).await? {
            groups
                .entry(user_id(D::int(&r, 0)?)?)
                .or_default()
                .push(D::text(&r, 1)?);
        }
        users
            .iter()
            .map(|r| {
                let mut u = Self::user_from_row(r)?;
                u.groups = groups.remove(&u.id).unwrap_or_default();
                u.groups.sort();
                Ok(u)
            })
            .collect()
    }

    async fn bot_password(
        &self,
        user_id: u32,
        app_id: &str,
    ) -> StoreResult<Option<BotPasswordRecord>> {
        let row = self
            .row(
                &self.sql.bot_password,
                &[Arg::Int(user_id.into()), Arg::Text(app_id)],
            )
            .await?;
        row.as_ref().map(Self::bot_password_from_row).transpose()
    }

    async fn create_bot_password(&self, bp: &BotPasswordRecord) -> StoreResult<()> {
        let conflict =
            || StoreError::Conflict(format!("bot password \"{}\" already exists", bp.app_id));
        // Looked up first as well: in SQLite a name MediaWiki stored as a BLOB is not equal
        // to the same name as text, so the primary key would not stop a second row.
        if self.bot_password(bp.user_id, &bp.app_id).await?.is_some() {
            return Err(conflict());
        }
        let grants = grants_json(&bp.grants);
        let args = [
            Arg::Int(bp.user_id.into()),
            Arg::Text(&bp.app_id),
            Arg::Text(&bp.password),
            Arg::Text(&bp.token),
            Arg::Text(&bp.restrictions),
            Arg::Text(&grants),
        ];
        match self.run(&self.sql.insert_bot_password, &args).await {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e) => Err(conflict()),
            Err(e) => Err(e.into()),
        }
    }

    async fn set_bot_password_hash(
        &self,
        user_id: u32,
        app_id: &str,
        hash: &str,
    ) -> StoreResult<()> {
        self.run(
            &self.sql.set_bot_password_hash,
            &[Arg::Text(hash), Arg::Int(user_id.into()), Arg::Text(app_id)],
        )
        .await?;
        Ok(())
    }

    async fn list_bot_passwords(&self, user_id: u32) -> StoreResult<Vec<BotPasswordRecord>> {
        let rows = self
            .rows(&self.sql.bot_passwords_of, &[Arg::Int(user_id.into())])
            .await?;
        let mut out = rows
            .iter()
            .map(Self::bot_password_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        // By name in byte order, whatever the database's collation.
        out.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        Ok(out)
    }

    async fn delete_bot_password(&self, user_id: u32, app_id: &str) -> StoreResult<bool> {
        let n = self
            .run(
                &self.sql.delete_bot_password,
                &[Arg::Int(user_id.into()), Arg::Text(app_id)],
            )
            .await?;
        Ok(n > 0)
    }

    async fn create_oath_table(&self) -> StoreResult<()> {
        self.run(&self.sql.create_oath_table, &[]).await?;
        Ok(())
    }

    async fn oath_user(&self, user_id: u32) -> StoreResult<Option<OathRow>> {
        let row = self
            .row(&self.sql.oath_user, &[Arg::Int(user_id.into())])
            .await?;
        row.map(|r| {
            Ok(OathRow {
                module: D::text(&r, 0)?,
                data: D::text(&r, 1)?,
            })
        })
        .transpose()
    }

    /// OATHUserRepository::persist: the user's row is replaced (deleted, then inserted; a
    /// dialect-neutral upsert).
    async fn set_oath_user(&self, user_id: u32, row: &OathRow) -> StoreResult<()> {
        self.run(&self.sql.delete_oath_user, &[Arg::Int(user_id.into())])
            .await?;
        self.run(
            &self.sql.insert_oath_user,
            &[
                Arg::Int(user_id.into()),
                Arg::Text(&row.module),
                Arg::Text(&row.data),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_oath_user(&self, user_id: u32) -> StoreResult<bool> {
        let n = self
            .run(&self.sql.delete_oath_user, &[Arg::Int(user_id.into())])
            .await?;
        Ok(n > 0)
    }

    async fn site_stats(&self) -> StoreResult<Option<SiteStatsRow>> {
        let table = format!("{}site_stats", self.prefix);
        let mut present = false;
        for row in self.rows(&self.sql.table_names, &[]).await? {
            present |= D::text(&row, 0)? == table;
        }
        if !present {
            return Ok(None);
        }
        let rows = self.rows(&self.sql.site_stats, &[]).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        // SiteStats::doLoadFromDB adds up every row (a wiki may spread the counters over
        // several to avoid contention); a NULL counts as 0 (a fresh install leaves
        // `ss_users` NULL).
        let mut sum = SiteStatsRow::default();
        for r in &rows {
            sum.edits += D::int(r, 0)?;
            sum.articles += D::int(r, 1)?;
            sum.pages += D::int(r, 2)?;
            sum.users += D::int(r, 3)?;
            sum.active_users += D::int(r, 4)?;
            sum.images += D::int(r, 5)?;
        }
        Ok(Some(sum))
    }

    async fn write_log_entry(&self, entry: &LogEntry<'_>) -> StoreResult<Option<i64>> {
        self.insert_log_entry(entry).await
    }

    async fn count_new_user(&self) -> StoreResult<bool> {
        self.add_site_stats_user().await
    }

    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        update: BotPasswordUpdate<'_>,
    ) -> StoreResult<bool> {
        let grants = grants_json(update.grants);
        let args = [
            Arg::Text(&grants),
            Arg::Text(update.restrictions),
            Arg::Text(update.token),
            Arg::OptText(update.password_hash),
            Arg::Int(user_id.into()),
            Arg::Text(app_id),
        ];
        if self.run(&self.sql.update_bot_password, &args).await? > 0 {
            return Ok(true);
        }
        // MariaDB counts changed rows, not matched ones: an update that changes nothing
        // still found the row.
        Ok(self.bot_password(user_id, app_id).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_text_loses_its_padding_and_keeps_what_it_can() {
        assert_eq!(text_of_bytes(b"abc\0\0".to_vec()), "abc");
        assert_eq!(text_of_bytes(b"Zo\xc3\xab".to_vec()), "Zo\u{eb}");
        assert_eq!(text_of_bytes(b"a\xffb".to_vec()), "a\u{fffd}b");
    }
}
