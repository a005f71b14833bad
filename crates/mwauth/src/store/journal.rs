//! The session journal's writes (see super::local), made synchronously by the one thread
//! that owns this connection.
//!
//! Through sqlx every commit was a round trip to sqlx's own SQLite thread (two thread
//! wake-ups), a multi-row `INSERT` whose SQL text changed with the batch size (parsed again
//! whenever it fell out of the statement cache) and a copy of every bound value: together a
//! third of the server's CPU during a wave of logouts. Here the writer thread calls SQLite
//! itself: one transaction per batch, one prepared statement stepped once a row.

use super::sqlite::{JOURNAL_TABLE, SESSION_TABLE};
use super::{StoreError, StoreResult};
use rusqlite::{params, Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

pub struct Journal {
    conn: Connection,
    /// `$wgDBprefix`, as in [`super::sqlite::SqliteStore`].
    prefix: String,
}

impl Journal {
    /// Opens the journal of an existing database file, whose tables
    /// [`super::sqlite::SqliteStore::open`] has made.
    pub fn open(path: &Path, prefix: &str) -> StoreResult<Journal> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // As the pool's connections: WAL, commits durable against a crash of the process
        // (not of the machine) without an fsync each, and a wait instead of SQLITE_BUSY while
        // another connection (the purge, a snapshot's reader) writes.
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let journal = Journal {
            conn,
            prefix: prefix.to_string(),
        };
        // Fail here, at start-up, when the table is missing (a file of another program).
        journal.conn.prepare_cached(&journal.t(APPEND))?;
        Ok(journal)
    }

    /// The SQL with `/*_*/` replaced by the table prefix.
    fn t(&self, sql: &str) -> String {
        sql.replace("/*_*/", &self.prefix)
    }

    /// Appends session writes to the journal in one transaction: `None` deletes the id.
    pub fn append(&mut self, writes: &[(&str, Option<(&str, i64)>)]) -> StoreResult<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let sql = self.t(APPEND);
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(&sql)?;
            for (id, write) in writes {
                let (data, expires) = match write {
                    Some((data, expires)) => (Some(*data), *expires),
                    None => (None, 0),
                };
                insert.execute(params![id, data, expires])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// How many entries the journal holds.
    pub fn entries(&self) -> StoreResult<u64> {
        let n: i64 = self.conn.query_row(
            &self.t("SELECT COUNT(*) FROM /*_*/mwauth_session_journal"),
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    // A new snapshot of the sessions replaces mwauth_session without holding up the journal
    // (see super::local): the live sessions are copied into mwauth_session_next a slice per
    // transaction, while appends go on; then the two tables are swapped and the journal
    // entries the snapshot covers are dropped, in one short transaction. Entries appended
    // while the copy ran stay in the journal: replaying them over a snapshot that already
    // has some of them gives the same result, since each entry sets or deletes a session
    // whole.

    /// Starts a snapshot: an empty mwauth_session_next, and the journal position it will
    /// cover (the last entry now).
    pub fn snapshot_begin(&mut self) -> StoreResult<i64> {
        self.conn.execute_batch(&self.t(&format!(
            "DROP TABLE IF EXISTS /*_*/mwauth_session_next; {};",
            SESSION_TABLE.replace("mwauth_session", "mwauth_session_next")
        )))?;
        let upto = self.conn.query_row(
            &self.t("SELECT COALESCE(MAX(mj_seq), 0) FROM /*_*/mwauth_session_journal"),
            [],
            |r| r.get(0),
        )?;
        Ok(upto)
    }

    /// Copies sessions (id, JSON, expiry) into the snapshot, in one transaction.
    pub fn snapshot_write(&mut self, rows: &[(String, Box<str>, i64)]) -> StoreResult<()> {
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

    /// Makes the snapshot mwauth_session and drops the journal entries up to `upto`.
    /// Returns the entries left in the journal.
    pub fn snapshot_finish(&mut self, upto: i64) -> StoreResult<u64> {
        let swap = self.t("DROP TABLE /*_*/mwauth_session; \
             ALTER TABLE /*_*/mwauth_session_next RENAME TO /*_*/mwauth_session; \
             DROP TABLE IF EXISTS /*_*/mwauth_session_journal_next;");
        // The entries after `upto` (appended while the snapshot was copied, a few thousand
        // at most) move to a new journal and the old one is dropped whole: deleting the
        // covered entries one by one (`DELETE … WHERE mj_seq <= upto`) rebalanced the
        // b-tree for each of them and took as long as copying the snapshot.
        let new_journal =
            self.t(&JOURNAL_TABLE.replace("mwauth_session_journal", "mwauth_session_journal_next"));
        let keep = self.t(
            "INSERT INTO /*_*/mwauth_session_journal_next (mj_seq, mj_id, mj_data, mj_expires) \
             SELECT mj_seq, mj_id, mj_data, mj_expires FROM /*_*/mwauth_session_journal \
             WHERE mj_seq > ?1 ORDER BY mj_seq",
        );
        let rotate = self.t("DROP TABLE /*_*/mwauth_session_journal; \
             ALTER TABLE /*_*/mwauth_session_journal_next RENAME TO /*_*/mwauth_session_journal;");
        let tx = self.conn.transaction()?;
        tx.execute_batch(&swap)?;
        tx.execute_batch(&new_journal)?;
        tx.execute(&keep, [upto])?;
        tx.execute_batch(&rotate)?;
        tx.commit()?;
        // The statements prepared on the dropped table are stale now.
        self.conn.flush_prepared_statement_cache();
        self.entries()
    }
}

const APPEND: &str =
    "INSERT INTO /*_*/mwauth_session_journal (mj_id, mj_data, mj_expires) VALUES (?1, ?2, ?3)";
