//! The embedded session store's tests: restarts, crashes cut short, snapshots, eviction.

use super::*;

/// A new database file in a temporary directory of its own, which lives as long as the
/// returned `TempDir`.
async fn new_file() -> (tempfile::TempDir, PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let db = SqliteStore::open(&path).await.unwrap();
    (dir, path, db)
}

fn data(name: &str) -> SessionData {
    SessionData {
        user_id: 7,
        user_name: name.to_string(),
        ..SessionData::default()
    }
}

#[tokio::test]
async fn writes_are_logged_and_read_back_after_a_restart() {
    let (_dir, path, db) = new_file().await;
    // A session written before the log existed (an older mwauth) is still live.
    sqlx::query("INSERT INTO mwauth_session (ms_id, ms_data, ms_expires) VALUES (?, ?, ?)")
        .bind("old-table")
        .bind(serde_json::to_string(&data("T")).unwrap())
        .bind(time::now() + 600)
        .execute(db.pool())
        .await
        .unwrap();
    let local = Arc::new(
        LocalSessions::open(db.clone(), &path, 1_000_000)
            .await
            .unwrap(),
    );
    assert_eq!(
        local.load("old-table").await.unwrap().unwrap().0.user_name,
        "T"
    );
    let exp = time::now() + 600;

    // Many writers at once on a runtime of one thread: every write lands, in order.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let local = local.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("s{i}");
            local.save(&id, &data("A"), exp).await.unwrap();
            local.save(&id, &data(&format!("B{i}")), exp).await.unwrap();
            if i % 2 == 0 {
                local.delete(&id).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    local.delete("old-table").await.unwrap();
    // Expired at once: never returned.
    local
        .save("expired", &data("C"), time::now() - 1)
        .await
        .unwrap();
    assert!(local.load("expired").await.unwrap().is_none());
    assert_eq!(db.journal_len().await.unwrap(), 127);
    check_s(&db.live_sessions().await.unwrap());
    assert_eq!(db.session_count().await.unwrap(), Some(25));

    // One process per file: a second store on it is refused while the first lives.
    let second = LocalSessions::open(db.clone(), &path, 1_000_000).await;
    assert!(
        matches!(&second, Err(StoreError::Db(e)) if e.contains("one process per file")),
        "a second store on the same file must be refused"
    );
    drop(local);
    let reopened = LocalSessions::open(db.clone(), &path, 1_000_000)
        .await
        .unwrap();
    reopened.wait_loaded().await.unwrap();
    check_s(&lock(&reopened.shared.live).stored);
    // A restart begins a generation of its own after the last.
    reopened.save("s1", &data("B1"), exp).await.unwrap();
    let generations: Vec<u64> = session_log::generations(&path)
        .unwrap()
        .into_iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(generations, [1, 2]);
    check_s(&db.live_sessions().await.unwrap());
}

#[tokio::test]
async fn an_overlong_session_id_is_refused_and_the_log_stays_readable() {
    let (dir, path, db) = new_file().await;
    let local = LocalSessions::open(db.clone(), &path, 100).await.unwrap();
    let exp = time::now() + 600;
    let long = "é".repeat(session_log::MAX_ID);
    assert!(local.save(&long, &data("L"), exp).await.is_err());
    assert!(local.load(&long).await.unwrap().is_none());
    local.save("after", &data("A"), exp).await.unwrap();
    assert_eq!(db.live_sessions().await.unwrap().len(), 1);
    // Cut on a character boundary when encoded anyway: the record still reads back.
    let mut bytes = Vec::new();
    session_log::encode(&mut bytes, &"é".repeat(40_000), Some(("{}", exp)));
    let mut live = Stored::new();
    std::fs::write(
        dir.path().join("s.sqlite.sessions.99"),
        [&session_log::MAGIC[..], &bytes].concat(),
    )
    .unwrap();
    let seen = session_log::replay(&path, &mut live, 0).unwrap();
    assert_eq!((seen.records, seen.damaged_bytes), (2, 0));
}

/// A file an earlier build served has its writes in the `mwauth_session_journal` table:
/// they are read at start-up in order (an upgrade logs nobody out and revives nobody
/// logged out), and the first snapshot empties the table.
#[tokio::test]
async fn the_journal_table_of_earlier_builds_is_read_then_emptied() {
    let (_dir, path, db) = new_file().await;
    let exp = time::now() + 600;
    let json = |name: &str| serde_json::to_string(&data(name)).unwrap();
    {
        let old = rusqlite::Connection::open(&path).unwrap();
        let mut insert = old
            .prepare(
                "INSERT INTO mwauth_session_journal (mj_id, mj_data, mj_expires) \
                 VALUES (?1, ?2, ?3)",
            )
            .unwrap();
        let rows: [(&str, Option<String>, i64); 5] = [
            ("a", Some(json("A1")), exp),
            ("b", Some(json("B")), exp),
            ("a", Some(json("A2")), exp),
            ("b", None, 0),
            ("expired", Some(json("E")), time::now() - 1),
        ];
        for (id, data, expires) in rows {
            insert
                .execute(rusqlite::params![id, data, expires])
                .unwrap();
        }
    }
    let local = LocalSessions::open_compacting_from(db.clone(), &path, 100, 3)
        .await
        .unwrap();
    local.wait_loaded().await.unwrap();
    let read: Vec<String> = lock(&local.shared.live).stored.keys().cloned().collect();
    assert_eq!(read, ["a"]);
    assert_eq!(local.load("a").await.unwrap().unwrap().0.user_name, "A2");
    // Past 3 records and 4 × 2 live sessions: a snapshot.
    for _ in 0..10 {
        local.save("c", &data("C"), exp).await.unwrap();
    }
    wait_for_snapshot(&local).await;
    let left: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM mwauth_session_journal", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(left, 0, "the old journal is emptied by the snapshot");
    drop(local);
    let reopened = LocalSessions::open(db.clone(), &path, 100).await.unwrap();
    reopened.wait_loaded().await.unwrap();
    let mut ids: Vec<String> = lock(&reopened.shared.live).stored.keys().cloned().collect();
    ids.sort();
    assert_eq!(ids, ["a", "c"]);
    assert_eq!(reopened.load("a").await.unwrap().unwrap().0.user_name, "A2");
}

/// What the writes of the test above leave: s1, s3, … s49 as B1, B3, …; nothing else.
fn check_s(live: &Stored) {
    assert!(!live.contains_key("old-table") && !live.contains_key("expired"));
    assert_eq!(live.len(), 25, "{:?}", live.keys().collect::<Vec<_>>());
    for i in 0..50 {
        let id = format!("s{i}");
        match live.get(&id) {
            None => assert!(i % 2 == 0, "{id} lost"),
            Some((json, _)) => {
                assert!(i % 2 == 1, "{id} deleted but live");
                let d: SessionData = serde_json::from_str(json).unwrap();
                assert_eq!(d.user_name, format!("B{i}"));
            }
        }
    }
}

/// A crash in the middle of a snapshot, or after its swap but before the log files it
/// covers are deleted: a restart reads back what was live either way.
#[tokio::test]
async fn a_snapshot_cut_short_by_a_crash_loses_nothing() {
    let (_dir, path, db) = new_file().await;
    let exp = time::now() + 600;
    let reopen = || async {
        let local = LocalSessions::open(db.clone(), &path, 1_000_000)
            .await
            .unwrap();
        local.wait_loaded().await.unwrap();
        local
    };
    let local = reopen().await;
    for i in 0..10 {
        local
            .save(&format!("s{i}"), &data("gen1"), exp)
            .await
            .unwrap();
    }
    drop(local);
    // Generation 2: some sessions rewritten, some ended.
    let local = reopen().await;
    for i in 0..5 {
        local
            .save(&format!("s{i}"), &data("gen2"), exp)
            .await
            .unwrap();
    }
    for i in 5..8 {
        local.delete(&format!("s{i}")).await.unwrap();
    }
    let expected = lock(&local.shared.live).stored.clone();
    assert_eq!(expected.len(), 7);
    let rows: Vec<(String, Box<str>, i64)> = expected
        .iter()
        .map(|(id, (j, e))| (id.clone(), j.clone(), *e))
        .collect();
    // Cut short: half copied into mwauth_session_next, never swapped in.
    let mut snapshots = Snapshots::open(&path, "").unwrap();
    snapshots.begin().unwrap();
    snapshots.write(&rows[..3]).unwrap();
    drop(local);
    let local = reopen().await;
    assert_eq!(lock(&local.shared.live).stored, expected);
    // Swapped in, the log files not yet deleted: they are replayed over a snapshot
    // newer than most of what they hold.
    snapshots.begin().unwrap();
    snapshots.write(&rows).unwrap();
    snapshots.finish().unwrap();
    drop(local);
    assert_eq!(session_log::generations(&path).unwrap().len(), 3);
    let local = reopen().await;
    assert_eq!(lock(&local.shared.live).stored, expected);
    assert_eq!(db.live_sessions().await.unwrap(), expected);
}

/// The background thread's own snapshots: the log shrinks to the records made since,
/// and what a restart reads is what was live — across several snapshots, with writes
/// between them.
#[tokio::test]
async fn snapshots_shrink_the_log_and_lose_nothing() {
    let (_dir, path, db) = new_file().await;
    let local = LocalSessions::open_compacting_from(db.clone(), &path, 1_000_000, 100)
        .await
        .unwrap();
    let exp = time::now() + 600;
    let mut snapshots = 0;
    let mut generation = 1;
    for round in 0..30 {
        for i in 0..10 {
            let id = format!("s{i}");
            local
                .save(&id, &data(&format!("{round}-{i}")), exp)
                .await
                .unwrap();
        }
        local.delete(&format!("s{}", round % 10)).await.unwrap();
        // Writes outrun a snapshot (a few fsyncs): without this, one would still be
        // running at the end.
        wait_for_snapshot(&local).await;
        let now = lock(&local.shared.log).as_ref().unwrap().generation;
        snapshots += (now != generation) as u32;
        generation = now;
    }
    // 330 writes; a snapshot once past 100 records and 4 × (at most 10) live sessions.
    assert!(snapshots >= 2, "{snapshots} snapshots");
    let left = db.journal_len().await.unwrap();
    assert!(left <= 101, "{left} records left in the log");
    assert!(session_log::generations(&path).unwrap().len() <= 2);
    let live = db.live_sessions().await.unwrap();
    assert_eq!(live.len(), 9, "{:?}", live.keys().collect::<Vec<_>>());
    assert!(!live.contains_key("s9"), "deleted last, must stay deleted");
    for i in 0..9 {
        let d: SessionData = serde_json::from_str(&live[&format!("s{i}")].0).unwrap();
        assert_eq!(d.user_name, format!("29-{i}"));
    }
    assert_eq!(db.session_count().await.unwrap(), Some(9));
    drop(local);
    let reopened = LocalSessions::open(db.clone(), &path, 1_000_000)
        .await
        .unwrap();
    reopened.wait_loaded().await.unwrap();
    assert_eq!(lock(&reopened.shared.live).stored, live);
}

async fn wait_for_snapshot(local: &LocalSessions) {
    for _ in 0..500 {
        if !local.shared.snapshotting.load(Ordering::Acquire) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the snapshot did not end in 5 s");
}

/// Another connection holding the file's write lock (the purge, a user written through
/// the pool) delays a snapshot, never a session write, and the snapshot is made once the
/// lock is free. No clock is read: while the blocker holds the lock the snapshot can only
/// wait (or fail after its 10 s busy timeout, clearing `snapshotting`), so a hundred writes
/// that all return with the snapshot still pending did not wait for it.
#[tokio::test]
async fn a_held_write_lock_delays_the_snapshot_not_the_writes() {
    let (_dir, path, db) = new_file().await;
    let local = LocalSessions::open_compacting_from(db.clone(), &path, 1_000_000, 20)
        .await
        .unwrap();
    let exp = time::now() + 600;
    local.save("before", &data("B"), exp).await.unwrap();

    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    for i in 0..100 {
        local
            .save(&format!("s{}", i % 3), &data("D"), exp)
            .await
            .unwrap();
    }
    assert!(
        local.shared.snapshotting.load(Ordering::Acquire),
        "snapshot made (or given up) while another connection held the lock"
    );
    blocker.execute_batch("COMMIT").unwrap();
    wait_for_snapshot(&local).await;
    assert!(db.journal_len().await.unwrap() < 100);
    let live = db.live_sessions().await.unwrap();
    assert_eq!(live.len(), 4);
}

#[tokio::test]
async fn past_max_sessions_the_oldest_anonymous_ones_end_first() {
    let (_dir, path, db) = new_file().await;
    let local = LocalSessions::open(db.clone(), &path, 10).await.unwrap();
    let now = time::now();
    for i in 0..6 {
        local
            .save(&format!("user{i}"), &data("U"), now + 600 + i)
            .await
            .unwrap();
    }
    let anon = SessionData::default();
    for i in 0..6 {
        local
            .save(&format!("anon{i}"), &anon, now + 600 + i)
            .await
            .unwrap();
    }
    // Each time there are 11 (> 10): the excess (1) and a tenth of the bound (1) end,
    // anonymous and oldest first — after anon4, then after anon-last.
    local.save("anon-last", &anon, now + 900).await.unwrap();
    let live = db.live_sessions().await.unwrap();
    assert_eq!(live.len(), 9, "{:?}", live.keys().collect::<Vec<_>>());
    for gone in ["anon0", "anon1", "anon2", "anon3"] {
        assert!(local.load(gone).await.unwrap().is_none(), "{gone}");
        assert!(!live.contains_key(gone), "{gone} still in the file");
    }
    for i in 0..6 {
        assert!(local.load(&format!("user{i}")).await.unwrap().is_some());
    }
    assert!(local.load("anon-last").await.unwrap().is_some());
}

/// The parsed copies never outlive or outvote the stored JSON: a write, a delete, an
/// eviction or the expiry is seen by the next read, and the copies stay bounded.
#[tokio::test]
async fn parsed_sessions_follow_every_write() {
    let (_dir, path, db) = new_file().await;
    let local = LocalSessions::open(db.clone(), &path, 2).await.unwrap();
    let now = time::now();
    local.save("a", &data("A1"), now + 600).await.unwrap();
    let first = local.load("a").await.unwrap().unwrap().0;
    let again = local.load("a").await.unwrap().unwrap().0;
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second read shares the first parse"
    );
    local.save("a", &data("A2"), now + 600).await.unwrap();
    assert_eq!(local.load("a").await.unwrap().unwrap().0.user_name, "A2");
    local.delete("a").await.unwrap();
    assert!(local.load("a").await.unwrap().is_none());

    // Evicted past max_sessions (2) while parsed: gone.
    for id in ["b", "c"] {
        local.save(id, &data(id), now + 600).await.unwrap();
        local.load(id).await.unwrap().unwrap();
    }
    local.save("d", &data("d"), now + 900).await.unwrap();
    let left: Vec<bool> = futures_util::future::join_all(["b", "c", "d"].map(|id| local.load(id)))
        .await
        .into_iter()
        .map(|r| r.unwrap().is_some())
        .collect();
    assert_eq!(left.iter().filter(|l| **l).count(), 2, "{left:?}");

    // Expired while parsed: gone.
    local.save("e", &data("e"), now + 2000).await.unwrap();
    local.load("e").await.unwrap().unwrap();
    lock(&local.shared.live).stored.get_mut("e").unwrap().1 = now - 1;
    assert!(local.load("e").await.unwrap().is_none());

    // Bounded.
    for i in 0..PARSED_MAX + 10 {
        let id = format!("x{i}");
        lock(&local.shared.live).stored.insert(
            id.clone(),
            (r#"{"user_id":0,"user_name":""}"#.into(), now + 600),
        );
        local.load(&id).await.unwrap().unwrap();
    }
    assert!(lock(&local.shared.live).parsed.len() <= PARSED_MAX);
}
