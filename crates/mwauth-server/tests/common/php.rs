//! A real PHP MediaWiki 1.39 for the tests that run mwauth beside or in front of it
//! (`php_wiki.rs`, `front_door.rs`): Debian's `mediawiki` package installed into a temporary
//! directory by `tests/php/install-wiki.sh`, served by PHP's own server on a free port, with
//! its sessions and object cache in a Redis of the test's own or in its `objectcache` table;
//! and a curl client with a cookie jar. Every process started here is stopped by its PID.

use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const MEDIAWIKI: &str = "/usr/share/mediawiki";

/// A process this test started, killed (by its PID) when dropped.
pub struct Started(pub Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn missing_tools() -> Option<String> {
    let modules = Command::new("php").arg("-m").output().ok();
    let modules = modules.map_or(String::new(), |m| {
        String::from_utf8_lossy(&m.stdout).to_lowercase()
    });
    for m in ["redis", "pdo_sqlite", "mysqli"] {
        if !modules.lines().any(|l| l.trim() == m) {
            return Some(format!("php with its module {m}"));
        }
    }
    if !Path::new(MEDIAWIKI).join("api.php").exists() {
        return Some("the mediawiki package".into());
    }
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("redis-server".into());
    }
    None
}

/// What is missing to run the PHP wiki, after trying to install it from Debian's packages
/// (as scripts/test does): `None` when everything is there.
pub fn missing_php_wiki() -> Option<String> {
    missing_tools()?;
    let _ = Command::new("apt-get")
        .args(["update", "-qq"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args([
            "mediawiki",
            "php-cli",
            "php-sqlite3",
            "php-redis",
            "php-mysql",
        ])
        .arg("redis-server")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .status();
    missing_tools()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port}");
}

/// Installs the wiki (`oraclewiki`, SQLite in `dir/data`; Alice id 3 with the bot passwords
/// `Alice@testbot` and `Alice@editbot`, Bob id 4) for `http://127.0.0.1:{port}`.
pub fn install_wiki(dir: &Path, port: u16) {
    let install = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/php");
    let status = Command::new(install.join("install-wiki.sh"))
        .arg(dir)
        .arg(port.to_string())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "install-wiki.sh failed: see its install.log"
    );
    std::fs::copy(install.join("router.php"), dir.join("router.php")).unwrap();
}

/// A Redis of the test's own on a free port, for the wiki's sessions and object cache
/// (`dir/mode.php` says so to the wiki). Returns the process and mwauth's `redis://` URL.
pub fn redis_mode(dir: &Path) -> (Started, String) {
    let port = free_port();
    let redis = Started(
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    std::fs::write(
        dir.join("mode.php"),
        format!(
            "<?php\n$wgObjectCaches['redis'] = [ 'class' => RedisBagOStuff::class, \
             'servers' => [ '127.0.0.1:{port}' ], 'persistent' => false ];\n\
             $wgMainCacheType = 'redis';\n$wgSessionCacheType = 'redis';\n"
        ),
    )
    .unwrap();
    (redis, format!("redis://127.0.0.1:{port}/0"))
}

/// The wiki's sessions and object cache in its `objectcache` table (`$wgSessionCacheType =
/// CACHE_DB`, as install-wiki.sh sets it): mwauth's `objectcache+sqlite:` URL.
pub fn objectcache_mode(dir: &Path) -> String {
    std::fs::write(dir.join("mode.php"), "<?php\n").unwrap();
    format!(
        "objectcache+sqlite:{}",
        dir.join("data/wikicache.sqlite").display()
    )
}

/// A database of its own on the MariaDB of the tests (`backends::mysql_url`'s server),
/// dropped (by PHP's mysqli, as it was made) when this is dropped.
pub struct MariaDb {
    script: PathBuf,
    args: [String; 4],
}

impl MariaDb {
    fn run(&self, what: &str) -> std::process::Output {
        Command::new("php")
            .arg(&self.script)
            .arg(what)
            .args(&self.args)
            .output()
            .unwrap()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.run("drop");
    }
}

/// The wiki's sessions and object cache in an `objectcache` table on MariaDB
/// (`SqlBagOStuff` with a `server` of its own, as a wiki on MariaDB has it in its database):
/// a fresh database with the table as MediaWiki's `tables-generated.sql` makes it. Returns
/// the database and mwauth's `objectcache+mysql://` URL.
pub fn mariadb_mode(dir: &Path) -> (MariaDb, String) {
    let url = super::mysql_url();
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))
        .unwrap_or_else(|| panic!("a mysql:// URL: {url}"));
    let (auth, server) = rest.split_once('@').unwrap_or(("root", rest));
    let server = server.split('/').next().unwrap();
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let db = format!("mwauth_frontdoor_{}", mwauth::session::random_hex(8));
    let script = dir.join("mariadb.php");
    std::fs::write(
        &script,
        r#"<?php
// mariadb.php create|drop HOST:PORT USER PASSWORD DB
[ , $what, $server, $user, $password, $db ] = $argv;
[ $host, $port ] = explode( ':', $server ) + [ 1 => 3306 ];
$m = new mysqli( $host, $user, $password, '', (int)$port );
if ( $what === 'drop' ) {
	$m->query( "DROP DATABASE IF EXISTS `$db`" );
	exit;
}
$m->query( "CREATE DATABASE `$db`" ) or exit( $m->error );
$m->select_db( $db );
$sql = file_get_contents( '/usr/share/mediawiki/maintenance/tables-generated.sql' );
preg_match( '#CREATE TABLE /\*_\*/objectcache \(.*?\) /\*\$wgDBTableOptions\*/;#s', $sql, $t );
$m->query( str_replace( [ '/*_*/', '/*$wgDBTableOptions*/' ], '', $t[0] ) ) or exit( $m->error );
"#,
    )
    .unwrap();
    let mariadb = MariaDb {
        script,
        args: [server, user, password, &db].map(str::to_string),
    };
    let made = mariadb.run("create");
    assert!(
        made.status.success() && made.stdout.is_empty() && made.stderr.is_empty(),
        "a database on MariaDB at {server}: {}{}",
        String::from_utf8_lossy(&made.stdout),
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::write(
        dir.join("mode.php"),
        format!(
            "<?php\n$wgObjectCaches['mariadb'] = [ 'class' => SqlBagOStuff::class, \
             'server' => [ 'type' => 'mysql', 'host' => '{server}', 'user' => '{user}', \
             'password' => '{password}', 'dbname' => '{db}', 'tablePrefix' => '', \
             'flags' => 0 ] ];\n\
             $wgMainCacheType = 'mariadb';\n$wgSessionCacheType = 'mariadb';\n"
        ),
    )
    .unwrap();
    let auth = if password.is_empty() {
        user.to_string()
    } else {
        format!("{user}:{password}")
    };
    (mariadb, format!("objectcache+mysql://{auth}@{server}/{db}"))
}

/// PHP's server with the wiki installed in `dir`, on `port`.
pub fn start_php(dir: &Path, port: u16) -> Started {
    let php = Started(
        Command::new("php")
            .args(["-S", &format!("127.0.0.1:{port}"), "router.php"])
            .current_dir(dir)
            .env("MW_IP", MEDIAWIKI)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    php
}

/// A client: curl with its own cookie jar (curl keeps cookies per host, not per port, so one
/// jar goes to both servers as a browser's would with both behind one host name).
pub struct Client {
    pub jar: PathBuf,
}

impl Client {
    pub fn new(dir: &Path, name: &str) -> Client {
        let jar = dir.join(format!("{name}.jar"));
        std::fs::write(&jar, "").unwrap();
        Client { jar }
    }

    /// A request with the jar's cookies (a POST of `params`, or a GET without them): the
    /// status and the body. curl gives up after 60 s, so a server that hangs fails the test.
    pub fn request(&self, url: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "--max-time", "60", "-w", "\n%{http_code}", "-b"])
            .arg(&self.jar)
            .arg("-c")
            .arg(&self.jar);
        for (k, v) in params {
            cmd.arg("--data-urlencode").arg(format!("{k}={v}"));
        }
        let out = cmd.arg(url).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (status.parse().unwrap_or(0), body.to_string())
    }

    /// An API call (POST, format=json, formatversion=2): its JSON answer.
    pub fn call(&self, api: &str, params: &[(&str, &str)]) -> Value {
        let mut params = params.to_vec();
        params.extend([("format", "json"), ("formatversion", "2")]);
        let (status, body) = self.request(api, &params);
        serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{api} {params:?}: {status}, not JSON: {body}"))
    }

    pub fn token(&self, api: &str, kind: &str) -> String {
        let v = self.call(
            api,
            &[("action", "query"), ("meta", "tokens"), ("type", kind)],
        );
        v["query"]["tokens"][format!("{kind}token")]
            .as_str()
            .unwrap_or_else(|| panic!("{api}: no {kind} token: {v}"))
            .to_string()
    }

    /// The user name meta=userinfo gives (None: anonymous).
    pub fn user(&self, api: &str) -> Option<String> {
        let v = self.call(api, &[("action", "query"), ("meta", "userinfo")]);
        let info = &v["query"]["userinfo"];
        if info["anon"].as_bool() == Some(true) {
            None
        } else {
            Some(info["name"].as_str().unwrap().to_string())
        }
    }

    pub fn clientlogin(&self, api: &str, name: &str, password: &str, remember: bool) {
        let token = self.token(api, "login");
        let mut params = vec![
            ("action", "clientlogin"),
            ("username", name),
            ("password", password),
            ("loginreturnurl", "http://127.0.0.1/"),
            ("logintoken", token.as_str()),
        ];
        if remember {
            params.push(("rememberMe", "1"));
        }
        let v = self.call(api, &params);
        assert_eq!(v["clientlogin"]["status"], "PASS", "{api}: {v}");
    }

    /// action=login with a bot password (`User@bot`).
    pub fn bot_login(&self, api: &str, name: &str, password: &str) {
        let token = self.token(api, "login");
        let v = self.call(
            api,
            &[
                ("action", "login"),
                ("lgname", name),
                ("lgpassword", password),
                ("lgtoken", &token),
            ],
        );
        assert_eq!(v["login"]["result"], "Success", "{api}: {v}");
    }

    /// action=logout with a csrf token: `{}` when it was taken.
    pub fn logout(&self, api: &str, csrf: &str) -> Value {
        self.call(api, &[("action", "logout"), ("token", csrf)])
    }

    /// Whether the jar holds a cookie of this name.
    pub fn holds(&self, name: &str) -> bool {
        std::fs::read_to_string(&self.jar)
            .unwrap()
            .lines()
            .any(|l| l.split('\t').nth(5) == Some(name))
    }

    /// Another client holding only the cookies named (by their suffix after the prefix).
    pub fn copy_with(&self, dir: &Path, name: &str, suffixes: &[&str]) -> Client {
        let text = std::fs::read_to_string(&self.jar).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                let cookie = l.strip_prefix("#HttpOnly_").unwrap_or(l);
                let fields: Vec<&str> = cookie.split('\t').collect();
                fields.len() == 7
                    && !cookie.starts_with('#')
                    && suffixes
                        .iter()
                        .any(|s| fields[5] == format!("oraclewiki{s}"))
            })
            .collect();
        let copy = Client::new(dir, name);
        std::fs::write(&copy.jar, kept.join("\n") + "\n").unwrap();
        copy
    }
}
