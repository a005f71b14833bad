//! siteinfo's `statistics` beside a wiki's own database: MediaWiki's `site_stats` row
//! (SiteStats), read by the user store in each SQL dialect; mwauth's own schema has no such
//! table, and then the numbers stay a fresh wiki's with the accounts counted.

use mwauth::api::execute;
use mwauth::auth::account::new_user_token;
use mwauth::config::SiteStats;
use mwauth::hash_pool::HashPool;
use mwauth::store::mysql::MysqlUserStore;
use mwauth::store::postgres::PostgresUserStore;
use mwauth::store::sqlite::SqliteStore;
use mwauth::store::{SiteStatsRow, UserStore};
use mwauth::Config;
use serde_json::{json, Value};
use support::{mysql_url, postgres_url, prefix, with_cleanup, Jar, Wiki};

mod support;

/// MediaWiki 1.39's `site_stats` (maintenance/sqlite/tables-generated.sql).
const SQLITE_DDL: &str = "CREATE TABLE {t} (ss_row_id INTEGER UNSIGNED NOT NULL, \
    ss_total_edits BIGINT UNSIGNED DEFAULT NULL, ss_good_articles BIGINT UNSIGNED DEFAULT NULL, \
    ss_total_pages BIGINT UNSIGNED DEFAULT NULL, ss_users BIGINT UNSIGNED DEFAULT NULL, \
    ss_active_users BIGINT UNSIGNED DEFAULT NULL, ss_images BIGINT UNSIGNED DEFAULT NULL, \
    PRIMARY KEY(ss_row_id))";
/// maintenance/tables-generated.sql (MySQL/MariaDB).
const MYSQL_DDL: &str = "CREATE TABLE {t} (ss_row_id INT UNSIGNED NOT NULL, \
    ss_total_edits BIGINT UNSIGNED DEFAULT NULL, ss_good_articles BIGINT UNSIGNED DEFAULT NULL, \
    ss_total_pages BIGINT UNSIGNED DEFAULT NULL, ss_users BIGINT UNSIGNED DEFAULT NULL, \
    ss_active_users BIGINT UNSIGNED DEFAULT NULL, ss_images BIGINT UNSIGNED DEFAULT NULL, \
    PRIMARY KEY(ss_row_id))";
/// maintenance/postgres/tables-generated.sql.
const POSTGRES_DDL: &str = "CREATE TABLE {t} (ss_row_id INT NOT NULL, \
    ss_total_edits BIGINT DEFAULT NULL, ss_good_articles BIGINT DEFAULT NULL, \
    ss_total_pages BIGINT DEFAULT NULL, ss_users BIGINT DEFAULT NULL, \
    ss_active_users BIGINT DEFAULT NULL, ss_images BIGINT DEFAULT NULL, PRIMARY KEY(ss_row_id))";

/// The row every test writes: ss_row_id 1, numbers unlike a fresh wiki's.
const ROW: &str = "INSERT INTO {t} (ss_row_id, ss_total_edits, ss_good_articles, ss_total_pages, \
    ss_users, ss_active_users, ss_images) VALUES (1, 57, 12, 30, 9, 3, 4)";
const EXPECTED: SiteStatsRow = SiteStatsRow {
    edits: 57,
    articles: 12,
    pages: 30,
    users: 9,
    active_users: 3,
    images: 4,
};

/// `statistics` and each group's `number`, as a client asks for them.
async fn siteinfo(wiki: &Wiki) -> (Value, Vec<(String, Value)>) {
    let query = [
        ("action", "query"),
        ("meta", "siteinfo"),
        ("siprop", "statistics|usergroups"),
        ("sinumberingroup", "1"),
        ("format", "json"),
    ];
    let res = execute(&wiki.services, &Jar::default().request("GET", &query, &[])).await;
    let v: Value = serde_json::from_slice(&res.body).unwrap();
    let groups = v["query"]["usergroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap().to_string(), g["number"].clone()))
        .collect();
    (v["query"]["statistics"].clone(), groups)
}

fn number<'a>(groups: &'a [(String, Value)], name: &str) -> &'a Value {
    &groups.iter().find(|(g, _)| g == name).unwrap().1
}

async fn wiki_with_two_accounts(site_stats: SiteStats) -> Wiki {
    let config = Config {
        site_stats,
        ..Config::default()
    };
    let wiki = Wiki::open(config, HashPool::new(1)).await;
    let users = &wiki.services.users;
    for (name, groups) in [("Alice", vec![]), ("Admin", vec!["sysop".to_string()])] {
        users
            .create_user(name, "", &new_user_token(), &groups)
            .await
            .unwrap();
    }
    wiki
}

async fn add_site_stats_table(wiki: &Wiki, insert_row: bool) {
    let url = format!("sqlite:{}", wiki.database().display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let t = "\"site_stats\"";
    sqlx::query(&SQLITE_DDL.replace("{t}", t))
        .execute(&pool)
        .await
        .unwrap();
    if insert_row {
        sqlx::query(&ROW.replace("{t}", t))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn own_schema_keeps_a_fresh_wikis_numbers_and_counts_the_accounts() {
    let wiki = wiki_with_two_accounts(SiteStats::default()).await;
    assert_eq!(wiki.services.users.site_stats().await.unwrap(), None);
    let (stats, groups) = siteinfo(&wiki).await;
    assert_eq!(
        stats,
        json!({"pages": 1, "articles": 0, "edits": 1, "images": 0, "users": 2,
               "activeusers": 0, "admins": 1, "jobs": 0})
    );
    assert_eq!(number(&groups, "user"), &json!(2));
    // A site_stats table without a row is no wiki's row either.
    add_site_stats_table(&wiki, false).await;
    assert_eq!(wiki.services.users.site_stats().await.unwrap(), None);
    assert_eq!(siteinfo(&wiki).await.0["users"], json!(2));
}

#[tokio::test]
async fn a_wikis_site_stats_row_is_what_statistics_reports() {
    let wiki = wiki_with_two_accounts(SiteStats::default()).await;
    add_site_stats_table(&wiki, true).await;
    assert_eq!(
        wiki.services.users.site_stats().await.unwrap(),
        Some(EXPECTED)
    );
    let (stats, groups) = siteinfo(&wiki).await;
    // admins: SiteStats::numberingroup counts user_groups, not site_stats.
    assert_eq!(
        stats,
        json!({"pages": 30, "articles": 12, "edits": 57, "images": 4, "users": 9,
               "activeusers": 3, "admins": 1, "jobs": 0})
    );
    assert_eq!(number(&groups, "user"), &json!(9));
    assert_eq!(number(&groups, "sysop"), &json!(1));
    assert_eq!(number(&groups, "bot"), &json!(0));
}

#[tokio::test]
async fn what_the_operator_sets_wins_over_the_wikis_row() {
    let wiki = wiki_with_two_accounts(SiteStats {
        pages: Some(500),
        users: Some(77),
        jobs: Some(2),
        ..SiteStats::default()
    })
    .await;
    add_site_stats_table(&wiki, true).await;
    let (stats, groups) = siteinfo(&wiki).await;
    assert_eq!(
        stats,
        json!({"pages": 500, "articles": 12, "edits": 57, "images": 4, "users": 77,
               "activeusers": 3, "admins": 1, "jobs": 2})
    );
    assert_eq!(number(&groups, "user"), &json!(77));
}

#[tokio::test]
async fn sqlite_reads_the_prefixed_table_and_sums_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.sqlite");
    let s = SqliteStore::open_with_prefix(&path, "mw_").await.unwrap();
    assert_eq!(s.site_stats().await.unwrap(), None);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    // Another prefix's table is another wiki's.
    sqlx::query(&SQLITE_DDL.replace("{t}", "other_site_stats"))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(&ROW.replace("{t}", "other_site_stats"))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(s.site_stats().await.unwrap(), None);
    sqlx::query(&SQLITE_DDL.replace("{t}", "mw_site_stats"))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(&ROW.replace("{t}", "mw_site_stats"))
        .execute(&pool)
        .await
        .unwrap();
    // SiteStats::doLoadFromDB adds up the rows, a NULL as 0.
    sqlx::query(
        "INSERT INTO mw_site_stats (ss_row_id, ss_total_edits, ss_users) VALUES (2, 3, NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        s.site_stats().await.unwrap(),
        Some(SiteStatsRow {
            edits: 60,
            ..EXPECTED
        })
    );
    pool.close().await;
}

#[tokio::test]
async fn mysql_reads_mediawikis_site_stats() {
    let p = prefix();
    let s = MysqlUserStore::open(&mysql_url(), &p)
        .await
        .expect("MariaDB on 127.0.0.1:3306");
    let pool = sqlx::MySqlPool::connect(&mysql_url()).await.unwrap();
    let table = format!("`{p}site_stats`");
    let body = {
        let (s, pool, table) = (s.clone(), pool.clone(), table.clone());
        async move {
            assert_eq!(s.site_stats().await.unwrap(), None);
            sqlx::query(&MYSQL_DDL.replace("{t}", &table))
                .execute(&pool)
                .await
                .unwrap();
            assert_eq!(s.site_stats().await.unwrap(), None, "no row yet");
            sqlx::query(&ROW.replace("{t}", &table))
                .execute(&pool)
                .await
                .unwrap();
            assert_eq!(s.site_stats().await.unwrap(), Some(EXPECTED));
        }
    };
    with_cleanup(body, async {
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
            .execute(&pool)
            .await
            .unwrap();
        s.drop_tables().await.unwrap();
        s.close().await;
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn postgres_reads_mediawikis_site_stats() {
    let p = prefix();
    let s = PostgresUserStore::open(&postgres_url(), &p)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let pool = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
    let table = format!("\"{p}site_stats\"");
    let body = {
        let (s, pool, table) = (s.clone(), pool.clone(), table.clone());
        async move {
            assert_eq!(s.site_stats().await.unwrap(), None);
            sqlx::query(&POSTGRES_DDL.replace("{t}", &table))
                .execute(&pool)
                .await
                .unwrap();
            assert_eq!(s.site_stats().await.unwrap(), None, "no row yet");
            sqlx::query(&ROW.replace("{t}", &table))
                .execute(&pool)
                .await
                .unwrap();
            assert_eq!(s.site_stats().await.unwrap(), Some(EXPECTED));
        }
    };
    with_cleanup(body, async {
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
            .execute(&pool)
            .await
            .unwrap();
        s.drop_tables().await.unwrap();
        s.close().await;
        pool.close().await;
    })
    .await;
}
