//! What MediaWiki writes beside an action into a wiki's own tables: a log entry
//! (ManualLogEntry::insert, and ::publish's `recentchanges` row) and the account count of
//! `site_stats` (SiteStatsUpdate). Written only where the tables exist: mwauth's own schema
//! has none of them, and gets no log.

use super::statements::Stmt;
use super::{Arg, Dialect, SqlUsers};
use crate::store::{LogEntry, StoreError, StoreResult};
use crate::time;
use sqlx::{Database, Executor, IntoArguments};

/// CommentStore::COMMENT_CHARACTER_LIMIT.
const COMMENT_CHARACTER_LIMIT: usize = 500;

/// CommentStore::createComment's Language::truncateForVisual: at most 500 characters, a
/// longer text cut to 497, right-trimmed, and "..." (the English `ellipsis` message) added.
pub(crate) fn truncate_comment(text: &str) -> String {
    if text.chars().count() <= COMMENT_CHARACTER_LIMIT {
        return text.to_string();
    }
    let cut: String = text.chars().take(COMMENT_CHARACTER_LIMIT - 3).collect();
    // PHP's rtrim: space, tab, newline, carriage return, NUL, vertical tab.
    let trimmed = cut.trim_end_matches([' ', '\t', '\n', '\r', '\0', '\x0b']);
    format!("{trimmed}...")
}

/// CommentStore::hash: crc32 of the text XOR crc32 of the data (none here, crc32("") = 0),
/// as a signed 32-bit number.
pub(crate) fn comment_hash(text: &str) -> i64 {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    i64::from(CRC.checksum(text.as_bytes()) as i32)
}

/// PHP's serialize() of an array of string keys and integer values (the session codec's):
/// `a:1:{s:9:"4::userid";i:7;}`.
pub(crate) fn php_serialize(params: &[(&str, i64)]) -> String {
    use crate::session::php_serialize::{serialize, Key, Value};
    let array = params
        .iter()
        .map(|(key, value)| (Key::str(key), Value::Int(*value)))
        .collect();
    // Keys and integers are ASCII: the bytes are text.
    String::from_utf8_lossy(&serialize(&Value::Array(array))).into_owned()
}

impl<D: Dialect> SqlUsers<D>
where
    for<'c> &'c mut <D::DB as Database>::Connection: Executor<'c, Database = D::DB>,
    for<'q> <D::DB as Database>::Arguments<'q>: IntoArguments<'q, D::DB>,
{
    /// A table's quoted name, with `$wgDBprefix`.
    fn table(&self, name: &str) -> String {
        D::quote(&format!("{}{name}", self.prefix()))
    }

    /// Which of `names` (unprefixed) the database has.
    async fn tables_present<const N: usize>(&self, names: [&str; N]) -> StoreResult<[bool; N]> {
        let mut present = [false; N];
        let list = Stmt::new(D::TABLE_NAMES, D::PLACEHOLDERS);
        for row in list.query::<D>(&[]).fetch_all(self.pool()).await? {
            let seen = D::text(&row, 0)?;
            for (i, name) in names.iter().enumerate() {
                present[i] |= seen == format!("{}{name}", self.prefix());
            }
        }
        Ok(present)
    }

    pub(super) async fn insert_log_entry(&self, e: &LogEntry<'_>) -> StoreResult<Option<i64>> {
        let [logging, page] = self.tables_present(["logging", "page"]).await?;
        if !logging {
            return Ok(None);
        }
        let s = |sql: String| Stmt::new(&sql, D::PLACEHOLDERS);
        let actor_q = s(format!(
            "SELECT actor_id FROM {} WHERE {}",
            self.table("actor"),
            D::text_eq("actor_name", "?1")
        ));
        let Some(actor) = actor_q
            .query::<D>(&[Arg::Text(e.performer)])
            .fetch_optional(self.pool())
            .await?
        else {
            return Err(StoreError::Db(format!("no actor for \"{}\"", e.performer)));
        };
        let actor = D::int(&actor, 0)?;
        // ManualLogEntry::insert: `log_page` is the target's page id (0 while the page
        // does not exist); RecentChange::newLogEntry's `rc_cur_id` the same.
        let mut page_id = 0;
        if page {
            let q = s(format!(
                "SELECT page_id FROM {} WHERE page_namespace = ?1 AND {}",
                self.table("page"),
                D::text_eq("page_title", "?2")
            ));
            let args = [Arg::Int(e.namespace), Arg::Text(e.title)];
            if let Some(r) = q.query::<D>(&args).fetch_optional(self.pool()).await? {
                page_id = D::int(&r, 0)?;
            }
        }
        let comment = truncate_comment(e.comment);
        let hash = comment_hash(&comment);
        let params = php_serialize(e.params);
        let now = Arg::Time(time::now());
        let last_id = s(D::LAST_ID.to_string());

        let mut tx = self.pool().begin().await?;
        // CommentStore::createComment: the same text (and no data) reuses its row.
        let find_comment = s(format!(
            "SELECT comment_id FROM {} WHERE comment_hash = ?1 AND {} AND comment_data IS NULL",
            self.table("comment"),
            D::text_eq("comment_text", "?2")
        ));
        let comment_args = [Arg::Int(hash), Arg::Text(&comment)];
        let found = find_comment
            .query::<D>(&comment_args)
            .fetch_optional(&mut *tx)
            .await?;
        let comment_id = match found {
            Some(r) => D::int(&r, 0)?,
            None => {
                let insert = s(format!(
                    "INSERT INTO {} (comment_hash, comment_text, comment_data) \
                     VALUES (?1, ?2, NULL)",
                    self.table("comment")
                ));
                insert.query::<D>(&comment_args).execute(&mut *tx).await?;
                D::int(&last_id.query::<D>(&[]).fetch_one(&mut *tx).await?, 0)?
            }
        };
        let insert_log = s(format!(
            "INSERT INTO {} (log_type, log_action, log_timestamp, log_actor, log_namespace, \
             log_title, log_page, log_comment_id, log_params, log_deleted) \
             VALUES (?1, ?2, {}, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
            self.table("logging"),
            D::time("?3")
        ));
        insert_log
            .query::<D>(&[
                Arg::Text(e.log_type),
                Arg::Text(e.action),
                now,
                Arg::Int(actor),
                Arg::Int(e.namespace),
                Arg::Text(e.title),
                Arg::Int(page_id),
                Arg::Int(comment_id),
                Arg::Text(&params),
            ])
            .execute(&mut *tx)
            .await?;
        let log_id = D::int(&last_id.query::<D>(&[]).fetch_one(&mut *tx).await?, 0)?;
        if let Some(p) = e.publish {
            // RecentChange::newLogEntry: RC_LOG (3) from `mw.log`, autopatrolled (2) as a
            // log entry that is not patrollable, no revision, no lengths.
            let insert_rc = s(format!(
                "INSERT INTO {} (rc_timestamp, rc_actor, rc_namespace, rc_title, \
                 rc_comment_id, rc_minor, rc_bot, rc_new, rc_cur_id, rc_this_oldid, \
                 rc_last_oldid, rc_type, rc_source, rc_patrolled, rc_ip, rc_old_len, \
                 rc_new_len, rc_deleted, rc_logid, rc_log_type, rc_log_action, rc_params) \
                 VALUES ({}, ?2, ?3, ?4, ?5, 0, ?6, 0, ?7, 0, 0, 3, 'mw.log', 2, ?8, NULL, \
                 NULL, 0, ?9, ?10, ?11, ?12)",
                self.table("recentchanges"),
                D::time("?1")
            ));
            insert_rc
                .query::<D>(&[
                    now,
                    Arg::Int(actor),
                    Arg::Int(e.namespace),
                    Arg::Text(e.title),
                    Arg::Int(comment_id),
                    Arg::Int(p.bot.into()),
                    Arg::Int(page_id),
                    Arg::Text(p.ip),
                    Arg::Int(log_id),
                    Arg::Text(e.log_type),
                    Arg::Text(e.action),
                    Arg::Text(&params),
                ])
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(log_id))
    }

    /// SiteStatsUpdate::doUpdate for `users` +1 on shard 1 (`$wgMultiShardSiteStats` off):
    /// `ss_users = GREATEST(ss_users+1, 0)`, MediaWiki's own expression, so a NULL count
    /// stays NULL in SQLite and MariaDB and becomes 0 in PostgreSQL, as there. Only a row
    /// that exists is updated (PHP's upsert would add one).
    pub(super) async fn add_site_stats_user(&self) -> StoreResult<bool> {
        let [present] = self.tables_present(["site_stats"]).await?;
        if !present {
            return Ok(false);
        }
        let update = Stmt::new(
            &format!(
                "UPDATE {} SET ss_users = {}(ss_users+1, 0) WHERE ss_row_id = 1",
                self.table("site_stats"),
                D::GREATEST
            ),
            D::PLACEHOLDERS,
        );
        update.query::<D>(&[]).execute(self.pool()).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_hash_and_params_serialize_as_in_php() {
        // As the reference wiki stored them (comment_hash of "check" and "because").
        assert_eq!(comment_hash("check"), 1015983123);
        assert_eq!(comment_hash("because"), -276523783);
        assert_eq!(comment_hash(""), 0);
        assert_eq!(
            php_serialize(&[("4::userid", 7)]),
            "a:1:{s:9:\"4::userid\";i:7;}"
        );
        assert_eq!(php_serialize(&[]), "a:0:{}");
    }

    #[test]
    fn long_comments_are_cut_to_500_characters() {
        let short = "é".repeat(500);
        assert_eq!(truncate_comment(&short), short);
        let long = format!("{} {}", "é".repeat(496), "x".repeat(10));
        assert_eq!(truncate_comment(&long), format!("{}...", "é".repeat(496)));
    }
}
