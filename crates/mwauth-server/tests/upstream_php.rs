//! mwauth in front of the real PHP MediaWiki 1.39 (Debian's `mediawiki` package, installed
//! here into a temporary directory with SQLite, served by `php -S`): what mwauth does not
//! serve comes back as PHP answered it, what it serves is its own, and `check-config` finds
//! the wiki matching the configuration. Skipped, saying why, only where PHP and MediaWiki
//! are missing and cannot be installed with apt-get.

use mwauth_server::config::FileConfig;
use mwauth_server::serve::spawn;
use mwauth_server::Settings;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const MW: &str = "/usr/share/mediawiki";

fn have_php_wiki() -> bool {
    let php_sqlite = Command::new("php")
        .args(["-r", "exit(extension_loaded('pdo_sqlite') ? 0 : 1);"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    php_sqlite && Path::new(MW).join("api.php").exists()
}

/// PHP with SQLite and MediaWiki 1.39, installed from Debian's packages when missing; the
/// reason when they cannot be.
fn php_wiki() -> Result<(), String> {
    if have_php_wiki() {
        return Ok(());
    }
    let _ = Command::new("apt-get").args(["update", "-qq"]).status();
    let _ = Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-qq",
            "mediawiki",
            "php-cli",
            "php-sqlite3",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    if have_php_wiki() {
        Ok(())
    } else {
        Err(
            "PHP with pdo_sqlite and MediaWiki (/usr/share/mediawiki) are not installed and \
             `apt-get install mediawiki php-cli php-sqlite3` did not install them"
                .into(),
        )
    }
}

/// `php -S`, stopped (by its own pid) when dropped.
struct PhpServer(Child);

impl Drop for PhpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The router `php -S` runs: MediaWiki's entry points under /w/, and /wiki/TITLE.
const ROUTER: &str = r#"<?php
define( 'MW_CONFIG_FILE', __DIR__ . '/LocalSettings.php' );
$path = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH );
$IP = '/usr/share/mediawiki';
if ( preg_match( '#^/w/(api|index|load|rest)\.php(/.*)?$#', $path, $m ) ) {
	chdir( $IP );
	$_SERVER['SCRIPT_NAME'] = "/w/$m[1].php";
	$_SERVER['SCRIPT_FILENAME'] = "$IP/$m[1].php";
	$_SERVER['PHP_SELF'] = $path;
	if ( isset( $m[2] ) && $m[2] !== '' ) {
		$_SERVER['PATH_INFO'] = $m[2];
	} else {
		unset( $_SERVER['PATH_INFO'] );
	}
	require "$IP/$m[1].php";
	return true;
}
if ( str_starts_with( $path, '/wiki/' ) ) {
	chdir( $IP );
	require 'index.php';
	return true;
}
return false;
"#;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A fresh wiki `oraclewiki` ("OracleWiki") in `dir`, served on `port`.
async fn start_wiki(dir: &Path, port: u16) -> PhpServer {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let install = Command::new("php")
        .current_dir(MW)
        .args(["maintenance/install.php", "--confpath"])
        .arg(dir)
        .args(["--dbtype", "sqlite", "--dbpath"])
        .arg(&data)
        .args([
            "--dbname",
            "oraclewiki",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "--scriptpath",
            "/w",
            "--lang",
            "en",
            "--pass",
            "Admin-pass-12345",
            "OracleWiki",
            "Admin",
        ])
        .output()
        .expect("php runs");
    assert!(
        install.status.success(),
        "install.php failed: {}{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );
    let settings = dir.join("LocalSettings.php");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("\n$wgMainCacheType = CACHE_DB;\n$wgSessionCacheType = CACHE_DB;\n");
    std::fs::write(&settings, text).unwrap();
    std::fs::write(dir.join("router.php"), ROUTER).unwrap();
    let child = Command::new("php")
        .current_dir(dir)
        .args(["-S", &format!("127.0.0.1:{port}"), "router.php"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("php -S starts");
    let server = PhpServer(child);
    let url = format!("http://127.0.0.1:{port}/w/api.php?action=query&format=json");
    for _ in 0..150 {
        if let Ok(r) = client().get(&url).send().await {
            if r.status() == 200 {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the PHP wiki did not answer on port {port}");
}

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
    if let Err(why) = php_wiki() {
        eprintln!("SKIPPED in_front_of_the_php_wiki: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _wiki = start_wiki(dir.path(), port).await;
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
