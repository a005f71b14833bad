//! Log entries and the account count written into a wiki's own database, as the reference
//! wiki (MediaWiki 1.39 + OATHAuth, SQLite) wrote them: `meta=oath&oathuser=Carol&
//! oathreason=check` as Admin, an account (Dave) made by a visitor, one (Erin, reason
//! "because") made by Admin. The rows below are that wiki's rows, ids and timestamps aside.
//! Each dialect runs on MediaWiki's own DDL of the tables (read from the Debian package).

use mwauth::auth::account::new_user_token;
use mwauth::store::mysql::MysqlUserStore;
use mwauth::store::postgres::PostgresUserStore;
use mwauth::store::sqlite::SqliteStore;
use mwauth::store::{LogEntry, Publish, UserStore};
use support::{mysql_url, postgres_url, prefix, with_cleanup};

mod support;

const TABLES: [&str; 4] = ["comment", "logging", "recentchanges", "site_stats"];

/// A database, to set up and read back what the store wrote, every value as text.
#[derive(Clone)]
enum Db {
    Sqlite(sqlx::SqlitePool),
    My(sqlx::MySqlPool),
    Pg(sqlx::PgPool),
}

impl Db {
    async fn exec(&self, sql: &str) {
        match self {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::My(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::Pg(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `cols` read as text (NULL as `None`).
    async fn rows(&self, cols: &[&str], from: &str) -> Vec<Vec<Option<String>>> {
        use sqlx::Row;
        let ty = if matches!(self, Db::My(_)) {
            "CHAR"
        } else {
            "TEXT"
        };
        let list: Vec<String> = cols.iter().map(|c| format!("CAST({c} AS {ty})")).collect();
        let sql = format!("SELECT {} FROM {from}", list.join(", "));
        let n = cols.len();
        macro_rules! read {
            ($p:expr) => {
                sqlx::query(&sql)
                    .fetch_all($p)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| (0..n).map(|i| r.get::<Option<String>, _>(i)).collect())
                    .collect()
            };
        }
        match self {
            Db::Sqlite(p) => read!(p),
            Db::My(p) => read!(p),
            Db::Pg(p) => read!(p),
        }
    }

    async fn one(&self, col: &str, from: &str) -> Option<String> {
        self.rows(&[col], from).await.remove(0).remove(0)
    }

    /// MediaWiki 1.39's DDL of `table` for this database, under `prefix`.
    fn ddl(&self, table: &str, prefix: &str) -> String {
        let (file, head) = match self {
            Db::Sqlite(_) => ("sqlite/tables-generated.sql", "CREATE TABLE /*_*/"),
            Db::My(_) => ("tables-generated.sql", "CREATE TABLE /*_*/"),
            Db::Pg(_) => ("postgres/tables-generated.sql", "CREATE TABLE "),
        };
        let text = std::fs::read_to_string(format!("/usr/share/mediawiki/maintenance/{file}"))
            .expect("MediaWiki's DDL (Debian package mediawiki)");
        let start = text
            .find(&format!("{head}{table} ("))
            .unwrap_or_else(|| panic!("{table} in {file}"));
        let body = &text[start + head.len() + table.len()..];
        let end = body.find("\n)").unwrap();
        format!("CREATE TABLE {prefix}{table}{}\n)", &body[..end])
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// What every dialect must write; `null_plus_one` is what `ss_users` NULL becomes
/// (MediaWiki's GREATEST(ss_users+1, 0): NULL in SQLite and MariaDB, 0 in PostgreSQL).
async fn writes_what_the_reference_wrote(
    store: &dyn UserStore,
    db: &Db,
    p: &str,
    null_plus_one: Option<&str>,
) {
    let t = |name: &str| {
        let q = if matches!(db, Db::My(_)) { '`' } else { '"' };
        format!("{q}{p}{name}{q}")
    };
    let oath = LogEntry {
        log_type: "oath",
        action: "verify",
        performer: "Admin",
        namespace: 2,
        title: "Carol",
        comment: "check",
        params: &[],
        publish: None,
    };
    // mwauth's own schema: nothing to write to, and no error.
    for name in ["Admin", "Carol", "Dave", "Erin"] {
        store
            .create_user(name, "", &new_user_token(), &[])
            .await
            .unwrap();
    }
    assert_eq!(store.write_log_entry(&oath).await.unwrap(), None);
    assert!(!store.count_new_user().await.unwrap());

    for table in TABLES {
        db.exec(&db.ddl(table, p)).await;
    }
    // As the installer leaves them: the empty comment, a site_stats row with ss_users NULL.
    db.exec(&format!(
        "INSERT INTO {} (comment_hash, comment_text, comment_data) VALUES (0, '', NULL)",
        t("comment")
    ))
    .await;
    db.exec(&format!(
        "INSERT INTO {} VALUES (1, 1, 0, 1, NULL, 0, 0)",
        t("site_stats")
    ))
    .await;
    let actor = |name: &str| {
        let from = format!("{} WHERE actor_name = '{name}'", t("actor"));
        async move { db.one("actor_id", &from).await }
    };
    let (admin, dave) = (actor("Admin").await, actor("Dave").await);
    let user_id = |name: &str| {
        let from = format!("{} WHERE user_name = '{name}'", store_user_table(db, p));
        async move { db.one("user_id", &from).await.unwrap() }
    };
    let (dave_id, erin_id) = (user_id("Dave").await, user_id("Erin").await);

    let oath_id = store.write_log_entry(&oath).await.unwrap().unwrap();
    // The visitor's account: performed by the new user itself; the count NULL stays NULL.
    let dave_params = [("4::userid", dave_id.parse().unwrap())];
    let publish = Some(Publish {
        ip: "127.0.0.1",
        bot: false,
    });
    let dave_log = LogEntry {
        log_type: "newusers",
        action: "create",
        performer: "Dave",
        title: "Dave",
        comment: "",
        params: &dave_params,
        publish,
        ..oath.clone()
    };
    let dave_id_log = store.write_log_entry(&dave_log).await.unwrap().unwrap();
    assert!(store.count_new_user().await.unwrap());
    assert_eq!(
        db.one("ss_users", &t("site_stats")).await.as_deref(),
        null_plus_one
    );
    db.exec(&format!("UPDATE {} SET ss_users = 5", t("site_stats")))
        .await;
    let erin_params = [("4::userid", erin_id.parse().unwrap())];
    let erin_log = LogEntry {
        action: "create2",
        performer: "Admin",
        title: "Erin",
        comment: "because",
        params: &erin_params,
        ..dave_log.clone()
    };
    let erin_id_log = store.write_log_entry(&erin_log).await.unwrap().unwrap();
    assert!(store.count_new_user().await.unwrap());
    assert_eq!(db.one("ss_users", &t("site_stats")).await, s("6"));

    let comments = db
        .rows(
            &["comment_id", "comment_hash", "comment_text", "comment_data"],
            &format!("{} ORDER BY comment_id", t("comment")),
        )
        .await;
    let ids: Vec<Option<String>> = comments.iter().map(|r| r[0].clone()).collect();
    let rest: Vec<_> = comments.iter().map(|r| r[1..].to_vec()).collect();
    assert_eq!(
        rest,
        [
            vec![s("0"), s(""), None],
            vec![s("1015983123"), s("check"), None],
            vec![s("-276523783"), s("because"), None],
        ]
    );
    let log_cols = [
        "log_id",
        "log_type",
        "log_action",
        "log_actor",
        "log_namespace",
        "log_title",
        "log_page",
        "log_comment_id",
        "log_params",
        "log_deleted",
    ];
    let logs = db
        .rows(&log_cols, &format!("{} ORDER BY log_id", t("logging")))
        .await;
    let userid = |id: &str| s(&format!("a:1:{{s:9:\"4::userid\";i:{id};}}"));
    let (oath_id, dave_id_log, erin_id_log) = (
        s(&oath_id.to_string()),
        s(&dave_id_log.to_string()),
        s(&erin_id_log.to_string()),
    );
    assert_eq!(
        logs,
        [
            vec![
                oath_id,
                s("oath"),
                s("verify"),
                admin.clone(),
                s("2"),
                s("Carol"),
                s("0"),
                ids[1].clone(),
                s("a:0:{}"),
                s("0")
            ],
            vec![
                dave_id_log.clone(),
                s("newusers"),
                s("create"),
                dave.clone(),
                s("2"),
                s("Dave"),
                s("0"),
                ids[0].clone(),
                userid(&dave_id),
                s("0")
            ],
            vec![
                erin_id_log.clone(),
                s("newusers"),
                s("create2"),
                admin.clone(),
                s("2"),
                s("Erin"),
                s("0"),
                ids[2].clone(),
                userid(&erin_id),
                s("0")
            ],
        ]
    );
    let rc_cols = [
        "rc_actor",
        "rc_namespace",
        "rc_title",
        "rc_comment_id",
        "rc_minor",
        "rc_bot",
        "rc_new",
        "rc_cur_id",
        "rc_this_oldid",
        "rc_last_oldid",
        "rc_type",
        "rc_source",
        "rc_patrolled",
        "rc_ip",
        "rc_old_len",
        "rc_new_len",
        "rc_deleted",
        "rc_logid",
        "rc_log_type",
        "rc_log_action",
        "rc_params",
    ];
    let rc = db
        .rows(&rc_cols, &format!("{} ORDER BY rc_id", t("recentchanges")))
        .await;
    let rc_row = |actor: &Option<String>, title, comment: &Option<String>, log, action, params| {
        vec![
            actor.clone(),
            s("2"),
            s(title),
            comment.clone(),
            s("0"),
            s("0"),
            s("0"),
            s("0"),
            s("0"),
            s("0"),
            s("3"),
            s("mw.log"),
            s("2"),
            s("127.0.0.1"),
            None,
            None,
            s("0"),
            log,
            s("newusers"),
            s(action),
            params,
        ]
    };
    assert_eq!(
        rc,
        [
            rc_row(
                &dave,
                "Dave",
                &ids[0],
                dave_id_log,
                "create",
                userid(&dave_id)
            ),
            rc_row(
                &admin,
                "Erin",
                &ids[2],
                erin_id_log,
                "create2",
                userid(&erin_id)
            ),
        ]
    );
    // The log entry and its recentchanges row carry the same time.
    let log_time = db.rows(&["log_timestamp"], &t("logging")).await;
    let rc_time = db.rows(&["rc_timestamp"], &t("recentchanges")).await;
    assert_eq!(log_time[1..], rc_time[..]);
    // The same reason again reuses its comment row.
    store.write_log_entry(&oath).await.unwrap().unwrap();
    let again = db.rows(&["log_comment_id"], &t("logging")).await;
    assert_eq!(again[3][0], ids[1]);
    assert_eq!(db.rows(&["comment_id"], &t("comment")).await.len(), 3);
}

fn store_user_table(db: &Db, p: &str) -> String {
    match db {
        Db::My(_) => format!("`{p}user`"),
        _ => format!("\"{p}user\""),
    }
}

#[tokio::test]
async fn sqlite_writes_the_log_as_the_reference_wiki() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.sqlite");
    let store = SqliteStore::open_with_prefix(&path, "").await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    writes_what_the_reference_wrote(&store, &Db::Sqlite(pool.clone()), "", None).await;
    pool.close().await;
}

#[tokio::test]
async fn mysql_writes_the_log_as_the_reference_wiki() {
    let p = prefix();
    let store = MysqlUserStore::open(&mysql_url(), &p)
        .await
        .expect("MariaDB on 127.0.0.1:3306");
    let db = Db::My(sqlx::MySqlPool::connect(&mysql_url()).await.unwrap());
    let body = {
        let (store, db, p) = (store.clone(), db.clone(), p.clone());
        async move { writes_what_the_reference_wrote(&store, &db, &p, None).await }
    };
    with_cleanup(body, async {
        for table in TABLES {
            db.exec(&format!("DROP TABLE IF EXISTS `{p}{table}`")).await;
        }
        store.drop_tables().await.unwrap();
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn postgres_writes_the_log_as_the_reference_wiki() {
    let p = prefix();
    let store = PostgresUserStore::open(&postgres_url(), &p)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let db = Db::Pg(sqlx::PgPool::connect(&postgres_url()).await.unwrap());
    let body = {
        let (store, db, p) = (store.clone(), db.clone(), p.clone());
        async move { writes_what_the_reference_wrote(&store, &db, &p, Some("0")).await }
    };
    with_cleanup(body, async {
        for table in TABLES {
            db.exec(&format!("DROP TABLE IF EXISTS \"{p}{table}\""))
                .await;
        }
        store.drop_tables().await.unwrap();
        store.close().await;
    })
    .await;
}
