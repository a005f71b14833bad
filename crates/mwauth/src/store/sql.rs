//! The one [`UserStore`] over MediaWiki's `user`, `user_groups`, `actor` and `bot_passwords`
//! tables, for every SQL backend. What differs between SQLite, MariaDB and PostgreSQL is a
//! [`Dialect`]: a few SQL fragments, how a value is bound and how a column is read. Each
//! dialect's file (`sqlite.rs`, `mysql.rs`, `postgres.rs`) holds that and its connect/migrate;
//! the queries and the row mapping are written once, here.
//!
//! Statements are written with numbered placeholders (`?1`, `?2`, …; a number may recur) and
//! turned into the database's own form once, when the store is opened: SQLite takes them as
//! they are, PostgreSQL as `$1`, and MariaDB only understands `?` in the order of appearance,
//! so for it the arguments are bound in that order (see [`Stmt`]).

use super::{StoreError, StoreResult, UserStore};
use crate::time;
use crate::user::{BotPasswordRecord, UserRecord};
use async_trait::async_trait;
use sqlx::query::Query;
use sqlx::{Database, Executor, IntoArguments, Pool};
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
    /// `user_registration` as 14 digits (NULL when unknown).
    const REGISTRATION: &'static str = "user_registration";

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

/// One statement in the database's own form.
#[derive(Debug)]
pub struct Stmt {
    sql: String,
    /// For [`Placeholders::InOrder`]: the argument (0-based) each `?` takes, in order.
    order: Option<Vec<usize>>,
}

impl Stmt {
    /// `sql` with `?N` placeholders, rewritten for `style`. There are no `?` in the
    /// statements' literals, so every `?` is a placeholder.
    pub(crate) fn new(sql: &str, style: Placeholders) -> Stmt {
        if style == Placeholders::Numbered {
            return Stmt {
                sql: sql.to_string(),
                order: None,
            };
        }
        let mut out = String::with_capacity(sql.len());
        let mut order = Vec::new();
        let mut rest = sql;
        while let Some(at) = rest.find('?') {
            out.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number = &rest[at + 1..at + 1 + digits];
            match style {
                Placeholders::Dollar => {
                    out.push('$');
                    out.push_str(number);
                }
                _ => {
                    out.push('?');
                    order.push(number.parse::<usize>().unwrap_or(1).saturating_sub(1));
                }
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_str(rest);
        Stmt {
            sql: out,
            order: (style == Placeholders::InOrder).then_some(order),
        }
    }

    fn query<'q, D: Dialect>(&'q self, args: &[Arg<'q>]) -> Q<'q, D::DB> {
        let mut q = sqlx::query::<D::DB>(&self.sql);
        match &self.order {
            Some(order) => {
                for &i in order {
                    // An index past the arguments is a mistake in a statement above; binding
                    // NULL lets the database refuse it instead of this process panicking.
                    q = D::bind(q, args.get(i).copied().unwrap_or(Arg::OptText(None)));
                }
            }
            None => {
                for &a in args {
                    q = D::bind(q, a);
                }
            }
        }
        q
    }
}

/// The statements of one store, with its table names in.
#[derive(Debug)]
struct Statements {
    /// The prefixed names of [`TABLES`] as they exist (the user table may be `mwuser`).
    names: [String; 4],
    user_by_name: Stmt,
    user_by_id: Stmt,
    all_users: Stmt,
    count_users: Stmt,
    groups_of: Stmt,
    all_groups: Stmt,
    insert_user: Stmt,
    last_id: Stmt,
    insert_actor: Stmt,
    insert_group: Stmt,
    set_password: Stmt,
    set_password_and_token: Stmt,
    set_user_token: Stmt,
    bot_password: Stmt,
    insert_bot_password: Stmt,
    set_bot_password_hash: Stmt,
    bot_passwords_of: Stmt,
    delete_bot_password: Stmt,
    update_bot_password: Stmt,
    table_names: Stmt,
}

impl Statements {
    fn new<D: Dialect>(names: [String; 4]) -> Statements {
        let [user, groups, actor, bp] = names.each_ref().map(|n| D::quote(n));
        let s = |sql: String| Stmt::new(&sql, D::PLACEHOLDERS);
        let user_columns = format!(
            "user_id, user_name, user_password, user_token, {}, user_editcount",
            D::REGISTRATION
        );
        let bp_columns = "bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants";
        let live_group = format!("(ug_expiry IS NULL OR {})", D::after("ug_expiry", "?T"));
        let bp_key = |user: &str, app: &str| {
            format!("bp_user = {user} AND {}", D::text_eq("bp_app_id", app))
        };
        Statements {
            user_by_name: s(format!(
                "SELECT {user_columns} FROM {user} WHERE {}",
                D::text_eq("user_name", "?1")
            )),
            user_by_id: s(format!(
                "SELECT {user_columns} FROM {user} WHERE user_id = ?1"
            )),
            all_users: s(format!(
                "SELECT {user_columns} FROM {user} ORDER BY user_id"
            )),
            count_users: s(format!("SELECT COUNT(*) FROM {user}")),
            groups_of: s(format!(
                "SELECT ug_group FROM {groups} WHERE ug_user = ?1 AND {}",
                live_group.replace("?T", "?2")
            )),
            all_groups: s(format!(
                "SELECT ug_user, ug_group FROM {groups} WHERE {}",
                live_group.replace("?T", "?1")
            )),
            insert_user: s(format!(
                "INSERT INTO {user} (user_name, user_real_name, user_password, user_newpassword, \
                 user_email, user_touched, user_token, user_registration, user_editcount) \
                 VALUES (?1, '', ?2, '', '', {t}, ?4, {t}, 0)",
                t = D::time("?3")
            )),
            last_id: s(D::LAST_ID.to_string()),
            insert_actor: s(D::insert_ignore(&format!(
                "{actor} (actor_user, actor_name) VALUES (?1, ?2)"
            ))),
            insert_group: s(D::insert_ignore(&format!(
                "{groups} (ug_user, ug_group, ug_expiry) VALUES (?1, ?2, NULL)"
            ))),
            set_password: s(format!(
                "UPDATE {user} SET user_password = ?1, user_touched = {} WHERE user_id = ?3",
                D::time("?2")
            )),
            set_password_and_token: s(format!(
                "UPDATE {user} SET user_password = ?1, user_touched = {}, user_token = ?4 \
                 WHERE user_id = ?3",
                D::time("?2")
            )),
            set_user_token: s(format!(
                "UPDATE {user} SET user_token = ?1 WHERE user_id = ?2"
            )),
            bot_password: s(format!(
                "SELECT {bp_columns} FROM {bp} WHERE {}",
                bp_key("?1", "?2")
            )),
            insert_bot_password: s(format!(
                "INSERT INTO {bp} ({bp_columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            )),
            set_bot_password_hash: s(format!(
                "UPDATE {bp} SET bp_password = ?1 WHERE {}",
                bp_key("?2", "?3")
            )),
            bot_passwords_of: s(format!("SELECT {bp_columns} FROM {bp} WHERE bp_user = ?1")),
            delete_bot_password: s(format!("DELETE FROM {bp} WHERE {}", bp_key("?1", "?2"))),
            update_bot_password: s(format!(
                "UPDATE {bp} SET bp_grants = ?1, bp_restrictions = ?2, bp_token = ?3, \
                 bp_password = COALESCE(?4, bp_password) WHERE {}",
                bp_key("?5", "?6")
            )),
            table_names: s(D::TABLE_NAMES.to_string()),
            names,
        }
    }
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
            sql: Arc::new(Statements::new::<D>(names)),
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
        for name in &self.sql.names {
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

    async fn update_bot_password(
        &self,
        user_id: u32,
        app_id: &str,
        grants: &[String],
        restrictions: &str,
        token: &str,
        password_hash: Option<&str>,
    ) -> StoreResult<bool> {
        let grants = grants_json(grants);
        let args = [
            Arg::Text(&grants),
            Arg::Text(restrictions),
            Arg::Text(token),
            Arg::OptText(password_hash),
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
    fn placeholders_are_rewritten_for_each_database() {
        let sql = "UPDATE t SET a = ?2, b = f(?1) WHERE c = ?10 OR d = ?1";
        let numbered = Stmt::new(sql, Placeholders::Numbered);
        assert_eq!((numbered.sql.as_str(), numbered.order), (sql, None));
        let dollar = Stmt::new(sql, Placeholders::Dollar);
        assert_eq!(
            (dollar.sql.as_str(), dollar.order),
            (
                "UPDATE t SET a = $2, b = f($1) WHERE c = $10 OR d = $1",
                None
            )
        );
        // MariaDB: plain `?`, the arguments bound in the order they appear, repeats included.
        let in_order = Stmt::new(sql, Placeholders::InOrder);
        assert_eq!(
            in_order.sql,
            "UPDATE t SET a = ?, b = f(?) WHERE c = ? OR d = ?"
        );
        assert_eq!(in_order.order, Some(vec![1, 0, 9, 0]));
    }

    #[test]
    fn binary_text_loses_its_padding_and_keeps_what_it_can() {
        assert_eq!(text_of_bytes(b"abc\0\0".to_vec()), "abc");
        assert_eq!(text_of_bytes(b"Zo\xc3\xab".to_vec()), "Zo\u{eb}");
        assert_eq!(text_of_bytes(b"a\xffb".to_vec()), "a\u{fffd}b");
    }
}
