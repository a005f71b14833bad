//! mwauth in front of the real PHP MediaWiki 1.39 (Debian's `mediawiki` package, installed
//! here into a temporary directory with SQLite, served by `php -S`: `common/php.rs`): what
//! mwauth does not serve comes back as PHP answered it, what it serves is its own, and
//! `check-config` finds the wiki matching the configuration. Skipped, saying why, only where
//! PHP and MediaWiki are missing and cannot be installed with apt-get.

mod common;

use common::php::{free_port, install_wiki, missing_php_wiki, objectcache_mode, start_php};
use mwauth_server::config::FileConfig;
use mwauth_server::serve::spawn;
use mwauth_server::Settings;
use std::time::Duration;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn get(url: &str) -> (u16, String, String) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, r.text().await.unwrap())
}

#[tokio::test]
async fn in_front_of_the_php_wiki() {
    if let Some(missing) = missing_php_wiki() {
        eprintln!(
            "SKIPPED in_front_of_the_php_wiki: needs {missing}, which apt-get could not install"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    install_wiki(dir.path(), port);
    objectcache_mode(dir.path());
    let _wiki = start_php(dir.path(), port);
    let php = format!("http://127.0.0.1:{port}");

    let mut file = FileConfig::default();
    file.wiki.wiki_id = "oraclewiki".into();
    file.wiki.sitename = "OracleWiki".into();
    file.users = Some(format!(
        "sqlite:{}",
        dir.path().join("data/oraclewiki.sqlite").display()
    ));
    file.upstream = Some(php.clone());
    file.upstream_timeout = 30;
    let settings = Settings {
        file,
        data_dir: dir.path().join("mwauth"),
    };
    let server = spawn(&settings).await.expect("mwauth starts");
    let front = format!("http://{}", server.addr);

    // Answers of the wiki that do not change from one request to the next: equal.
    for target in [
        "/w/api.php?action=query&meta=siteinfo&siprop=namespaces&list=allpages&format=json",
        "/w/api.php?action=query&meta=tokens&titles=Main_Page&prop=info&format=json",
        "/w/api.php?action=paraminfo&modules=edit&format=json",
    ] {
        let direct = get(&format!("{php}{target}")).await;
        let through = get(&format!("{front}{target}")).await;
        assert_eq!(through, direct, "{target}");
        assert_eq!(through.0, 200, "{target}: {}", through.2);
    }
    // Pages and load.php: as PHP answers them (their texts carry timings, so compared by
    // status, type and what they show).
    for (target, shows) in [
        (
            "/w/index.php?title=Main_Page",
            "\"wgPageName\":\"Main_Page\"",
        ),
        ("/w/index.php/Special:UserLogin", "wpName1"),
        (
            "/w/load.php?modules=startup&only=scripts&raw=1",
            "mw.loader",
        ),
    ] {
        let direct = get(&format!("{php}{target}")).await;
        let through = get(&format!("{front}{target}")).await;
        assert_eq!((through.0, &through.1), (direct.0, &direct.1), "{target}");
        assert!(through.2.contains(shows), "{target}: {}", through.2);
    }
    // mwauth's own: a login token it made (its session cookie carries the wiki's prefix).
    let r = client()
        .get(format!(
            "{front}/w/api.php?action=query&meta=tokens&type=login&format=json"
        ))
        .send()
        .await
        .unwrap();
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("oraclewiki_session=")));
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["query"]["tokens"]["logintoken"].is_string(), "{v}");

    // check-config finds the wiki as configured.
    let checked = mwauth_server::check::run(settings, None).await;
    assert!(checked.is_ok(), "{checked:?}");
    server.stop().await;
}
