//! The session snapshots of the embedded default (see super::local), written by its
//! background thread over a connection of its own.
//!
//! A snapshot replaces `mwauth_session` with the live sessions without holding anyone up:
//! they are copied into `mwauth_session_next` a slice per transaction, then the two tables
//! are swapped in one short transaction. It covers the session log's generations before
//! the one begun with it (super::session_log), which are deleted after the swap.

use super::sqlite::SESSION_TABLE;
use super::StoreResult;
use rusqlite::{params, Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

impl From<rusqlite::Error> for super::StoreError {
    fn from(e: rusqlite::Error) -> Self {
        super::StoreError::Db(e.to_string())
    }
}

pub struct Snapshots {
    conn: Connection,
    /// `$wgDBprefix`, as in [`super::sqlite::SqliteStore`].
    prefix: String,
}

impl Snapshots {
    /// Opens an existing database file, whose tables [`super::sqlite::SqliteStore::open`]
    /// has made.
    pub fn open(path: &Path, prefix: &str) -> StoreResult<Snapshots> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // WAL as the pool's connections, and a wait instead of SQLITE_BUSY while another
        // connection (the purge, a user written) holds the lock. synchronous=FULL: the log
        // files a snapshot covers are deleted after its last commit, which must therefore be
        // on disk first, not only in the page cache.
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(Snapshots {
            conn,
            prefix: prefix.to_string(),
        })
    }

    /// The SQL with `/*_*/` replaced by the table prefix.
    fn t(&self, sql: &str) -> String {
        sql.replace("/*_*/", &self.prefix)
    }

    /// Starts a snapshot: an empty mwauth_session_next.
    pub fn begin(&mut self) -> StoreResult<()> {
        self.conn.execute_batch(&self.t(&format!(
            "DROP TABLE IF EXISTS /*_*/mwauth_session_next; {};",
            SESSION_TABLE.replace("mwauth_session", "mwauth_session_next")
        )))?;
        Ok(())
    }

    /// Copies sessions (id, JSON, expiry) into the snapshot, in one transaction.
    pub fn write(&mut self, rows: &[(String, Box<str>, i64)]) -> StoreResult<()> {
        let sql = self.t(
            "INSERT OR REPLACE INTO /*_*/mwauth_session_next (ms_id, ms_data, ms_expires) \
             VALUES (?1, ?2, ?3)",
        );
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(&sql)?;
            for (id, data, expires) in rows {
                insert.execute(params![id, &**data, expires])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Makes the snapshot mwauth_session. The session journal table that earlier builds
    /// appended to (its entries were read at start-up, so the snapshot has them) is emptied
    /// with it.
    pub fn finish(&mut self) -> StoreResult<()> {
        let swap = self.t("DROP TABLE /*_*/mwauth_session; \
             ALTER TABLE /*_*/mwauth_session_next RENAME TO /*_*/mwauth_session; \
             DELETE FROM /*_*/mwauth_session_journal;");
        let tx = self.conn.transaction()?;
        tx.execute_batch(&swap)?;
        tx.commit()?;
        // The statements prepared on the dropped table are stale now.
        self.conn.flush_prepared_statement_cache();
        Ok(())
    }
}
