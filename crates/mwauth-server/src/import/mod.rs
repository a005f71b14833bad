//! `mwauth config from-mediawiki`: a wiki's effective settings, as `php
//! maintenance/getConfiguration.php --format json` prints them (after Setup.php and the
//! extensions' registration), turned into mwauth's TOML for standing beside that wiki
//! (`session_format = "php"`). Each value says which `$wg…` it came from; what cannot be
//! carried is a comment saying why.

use anyhow::{bail, Context as _};
use mwauth::config::mediawiki_cookie_prefix;
use mwauth::user::oath::rawurlencode;
use serde_json::{Map, Value};
use std::fmt::Write as _;

mod sections;
use sections::{captcha, oath, permissions};

/// Reads `getConfiguration.php`'s JSON from a file or, for `-`, stdin.
pub fn read_input(path: &str) -> anyhow::Result<String> {
    if path == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("cannot read stdin")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))
    }
}

/// The TOML for a wiki whose `getConfiguration.php --format json` printed `json`.
pub fn from_mediawiki(json: &str) -> anyhow::Result<String> {
    let value: Value = serde_json::from_str(json)
        .context("not JSON: expected the output of getConfiguration.php --format json")?;
    let Some(wg) = value.as_object() else {
        bail!("expected a JSON object of $wg settings");
    };
    if !wg.contains_key("wgDBname") {
        bail!("no wgDBname: is this getConfiguration.php --format json's output?");
    }
    let mut out = Toml {
        wg,
        sections: Vec::new(),
    };
    out.section("");
    out.comment("mwauth beside a MediaWiki; from its getConfiguration.php --format json.");
    out.comment("Set listen and data_dir; set upstream to where PHP answers to make mwauth");
    out.comment("the wiki's front door (README.md, \"In front of a MediaWiki\").");
    out.line("# listen = \"127.0.0.1:8080\"");
    out.line("# data_dir = \"/srv/mwauth\"");
    out.line("# upstream = \"http://127.0.0.1:8081\"");
    out.line("session_format = \"php\"");
    let users = database(&mut out);
    sessions(&mut out, users.as_deref());
    out.section("wiki");
    wiki(&mut out);
    out.section("wiki.group_permissions");
    permissions(&mut out);
    oath(&mut out);
    captcha(&mut out);
    let mut text = String::new();
    for (name, lines) in &out.sections {
        if lines.is_empty() {
            continue;
        }
        if !name.is_empty() {
            let _ = writeln!(text, "\n[{name}]");
        }
        for line in lines {
            let _ = writeln!(text, "{line}");
        }
    }
    Ok(text)
}

/// The TOML being written: sections of lines, and the wiki's settings.
struct Toml<'a> {
    wg: &'a Map<String, Value>,
    sections: Vec<(String, Vec<String>)>,
}

impl<'a> Toml<'a> {
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.wg.get(name).filter(|v| !v.is_null())
    }
    fn str(&self, name: &str) -> String {
        match self.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }
    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(int)
    }
    fn section(&mut self, name: &str) {
        self.sections.push((name.to_string(), Vec::new()));
    }
    fn line(&mut self, line: impl Into<String>) {
        self.sections.last_mut().unwrap().1.push(line.into());
    }
    fn comment(&mut self, text: &str) {
        self.line(format!("# {text}"));
    }
    /// `key = value`, after a comment naming where it came from.
    fn set(&mut self, key: &str, value: impl Into<toml::Value>, from: &str) {
        self.line(format!("# from {from}"));
        self.line(format!("{key} = {}", toml_value(&value.into())));
    }
    /// What could not be carried, and why.
    fn cannot(&mut self, what: &str, why: &str) {
        self.line(format!("# not carried: {what}: {why}"));
    }
}

/// A PHP number or numeric string.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    let items: Vec<&Value> = match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => o.values().collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_string()
    } else {
        quoted(key)
    }
}

/// A TOML basic string: JSON's escapes are TOML's too; DEL must be escaped as well.
fn quoted(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace('\u{7f}', "\\u007F")
}

/// A value as TOML writes it (strings, integers, booleans and arrays of them are all this
/// command writes).
fn toml_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => quoted(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        other => unreachable!("not written: {other:?}"),
    }
}

/// `user:password@` for a URL, both percent-encoded.
fn credentials(user: &str, password: &str) -> String {
    match (user.is_empty(), password.is_empty()) {
        (true, true) => String::new(),
        (_, true) => format!("{}@", rawurlencode(user)),
        _ => format!("{}:{}@", rawurlencode(user), rawurlencode(password)),
    }
}

/// A database URL for one of MediaWiki's server specs (`wgDBtype` and friends, or an
/// `$wgObjectCaches` entry's `server`): `sqlite:DIR/NAME.sqlite` (DatabaseSqlite::makeDataPath),
/// `mysql://…` or `postgres://…`.
fn database_url(out: &mut Toml, kind: &str, s: &Server) -> Option<String> {
    match kind {
        "sqlite" => Some(format!("sqlite:{}/{}.sqlite", s.dir, s.name)),
        "mysql" => {
            if s.host == "localhost" {
                out.comment(
                    "mysqli connects to \"localhost\" through the Unix socket; mwauth through \
                     TCP on 127.0.0.1:3306",
                );
            }
            let host = if s.host.is_empty() {
                "localhost"
            } else {
                &s.host
            };
            let creds = credentials(&s.user, &s.password);
            Some(format!("mysql://{creds}{host}/{}", s.name))
        }
        "postgres" => {
            let host = if s.host.is_empty() {
                "localhost"
            } else {
                &s.host
            };
            let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
            let creds = credentials(&s.user, &s.password);
            Some(format!("postgres://{creds}{host}{port}/{}", s.name))
        }
        other => {
            out.cannot(
                &format!("database type \"{other}\""),
                "mwauth reads SQLite, MySQL/MariaDB and PostgreSQL",
            );
            None
        }
    }
}

/// A database server as MediaWiki describes one.
struct Server {
    host: String,
    port: Option<i64>,
    user: String,
    password: String,
    name: String,
    dir: String,
}

/// The wiki's own database: `users` and `table_prefix`. Returns the users URL.
fn database(out: &mut Toml) -> Option<String> {
    let kind = out.str("wgDBtype");
    let main = Server {
        host: out.str("wgDBserver"),
        port: out.int("wgDBport").filter(|_| kind == "postgres"),
        user: out.str("wgDBuser"),
        password: out.str("wgDBpassword"),
        name: out.str("wgDBname"),
        dir: out.str("wgSQLiteDataDir"),
    };
    let from = match kind.as_str() {
        "sqlite" => "$wgDBtype, $wgSQLiteDataDir, $wgDBname",
        "postgres" => "$wgDBtype, $wgDBserver, $wgDBport, $wgDBuser, $wgDBpassword, $wgDBname",
        _ => "$wgDBtype, $wgDBserver, $wgDBuser, $wgDBpassword, $wgDBname",
    };
    let users = database_url(out, &kind, &main);
    if let Some(url) = &users {
        out.set("users", url.clone(), from);
    }
    if kind == "postgres" {
        if let Some(schema) = out.get("wgDBmwschema").and_then(Value::as_str) {
            out.cannot(
                &format!("$wgDBmwschema = \"{schema}\""),
                "mwauth uses the connection's search_path; give the role that schema first",
            );
        }
    }
    let prefix = out.str("wgDBprefix");
    out.set("table_prefix", prefix, "$wgDBprefix");
    if out.get("wgSharedDB").is_some() {
        out.cannot("$wgSharedDB", "mwauth reads the users of one database only");
    }
    users
}

/// `$wgSessionCacheType` resolved through `$wgObjectCaches` as ObjectCache::getInstance does:
/// the `sessions` URL and the keyspace.
fn sessions(out: &mut Toml, users: Option<&str>) {
    let mut id = out
        .get("wgSessionCacheType")
        .cloned()
        .unwrap_or(Value::Null);
    let mut from = "$wgSessionCacheType".to_string();
    // CACHE_ANYTHING: ObjectCache::newAnything, the first of these set, else CACHE_DB.
    if int(&id) == Some(-1) {
        let pick = ["wgMainCacheType", "wgMessageCacheType", "wgParserCacheType"]
            .into_iter()
            .find(|k| out.get(k).is_some_and(|v| !matches!(int(v), Some(0 | -1))));
        id = match pick {
            Some(k) => {
                from = format!("$wgSessionCacheType = CACHE_ANYTHING, ${k}");
                out.get(k).cloned().unwrap()
            }
            None => Value::from(1),
        };
    }
    let key = match &id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let spec = out
        .get("wgObjectCaches")
        .and_then(|c| c.get(&key))
        .cloned()
        .unwrap_or(Value::Null);
    let class = spec["class"].as_str().unwrap_or_default();
    let from = format!("{from} = {key}, $wgObjectCaches[{key}]");
    if class.ends_with("RedisBagOStuff") {
        let servers = strings(spec.get("servers"));
        let Some(server) = servers.first() else {
            return out.cannot(&from, "a RedisBagOStuff without servers");
        };
        if servers.len() > 1 {
            out.cannot(
                "more than one Redis server",
                "RedisBagOStuff spreads keys over them by hash; mwauth uses the first only",
            );
        }
        let password = spec["password"].as_str().unwrap_or_default();
        let auth = credentials("", password);
        let url = if server.starts_with('/') {
            format!("redis+unix://{auth}{server}")
        } else if server.contains(':') {
            format!("redis://{auth}{server}/0")
        } else {
            format!("redis://{auth}{server}:6379/0")
        };
        // RedisBagOStuff never selects a database: 0.
        out.set("sessions", url, &from);
    } else if class.ends_with("SqlBagOStuff") {
        objectcache(out, &spec, &from, users);
    } else {
        let why = match class {
            "" => "not a cache class mwauth can share (sessions there cannot be read)",
            "EmptyBagOStuff" => "CACHE_NONE: the wiki keeps no sessions",
            _ => "a cache mwauth cannot read; share Redis or the objectcache table",
        };
        out.cannot(&format!("{from} ({class})"), why);
    }
    match out.get("wgCachePrefix").and_then(Value::as_str) {
        Some(p) if !p.is_empty() => out.set("cache_prefix", p, "$wgCachePrefix"),
        _ => out.comment("$wgCachePrefix is not set: session keys begin with the wiki's domain id"),
    }
}

/// SqlBagOStuff: its own server (`server` or the first of `servers`), else the wiki's
/// database (the installer of an SQLite wiki gives it `wikicache.sqlite` in
/// `$wgSQLiteDataDir`).
fn objectcache(out: &mut Toml, spec: &Value, from: &str, users: Option<&str>) {
    let server = spec
        .get("server")
        .or_else(|| spec.get("servers").and_then(|s| s.get(0)))
        .filter(|s| s.is_object());
    let url = match server {
        Some(s) => {
            let kind = s["type"].as_str().unwrap_or_default().to_string();
            let field = |k: &str| match &s[k] {
                Value::String(v) => v.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let dir = match field("dbDirectory") {
                d if d.is_empty() => out.str("wgSQLiteDataDir"),
                d => d,
            };
            if !field("tablePrefix").is_empty() && kind == "sqlite" {
                out.cannot(
                    "the objectcache table's tablePrefix",
                    "mwauth reads an SQLite objectcache table without a prefix",
                );
            }
            let server = Server {
                host: field("host"),
                port: int(&s["port"]),
                user: field("user"),
                password: field("password"),
                name: field("dbname"),
                dir,
            };
            database_url(out, &kind, &server)
        }
        None if spec.get("cluster").is_some() => {
            return out.cannot(from, "an external cluster mwauth cannot name");
        }
        None => {
            let kind = out.str("wgDBtype");
            if kind == "sqlite" && !out.str("wgDBprefix").is_empty() {
                out.cannot(
                    "the prefix of the objectcache table in the wiki's SQLite file",
                    "mwauth reads an SQLite objectcache table without a prefix",
                );
            }
            users.map(String::from)
        }
    };
    if let Some(url) = url {
        out.set("sessions", format!("objectcache+{url}"), from);
    }
}

/// `[wiki]`: the wiki's name, cookies, token version, lifetimes, throttles.
fn wiki(out: &mut Toml) {
    let db = out.str("wgDBname");
    let prefix = out.str("wgDBprefix");
    out.set("wiki_id", db.clone(), "$wgDBname");
    // Setup.php has filled in $wgCookiePrefix: write it only where it is not the default
    // mwauth derives the same way.
    let cookie = out.str("wgCookiePrefix");
    if !cookie.is_empty() && cookie != mediawiki_cookie_prefix("", &db, &prefix) {
        out.set("cookie_prefix", cookie, "$wgCookiePrefix");
    }
    match out.get("wgAuthenticationTokenVersion") {
        Some(v)
            if !matches!(v, Value::Bool(false))
                && !out.str("wgAuthenticationTokenVersion").is_empty() =>
        {
            let v = out.str("wgAuthenticationTokenVersion");
            out.set(
                "authentication_token_version",
                v,
                "$wgAuthenticationTokenVersion",
            );
        }
        _ => out
            .comment("$wgAuthenticationTokenVersion is not set: tokens are the user_token column"),
    }
    for (key, wg) in [
        ("sitename", "wgSitename"),
        ("server", "wgServer"),
        ("script_path", "wgScriptPath"),
        ("db_type", "wgDBtype"),
    ] {
        if out.get(wg).is_some() {
            let v = out.str(wg);
            out.set(key, v, &format!("${wg}"));
        }
    }
    if let Some(v) = out.get("wgVersion").and_then(Value::as_str) {
        out.set("generator", format!("MediaWiki {v}"), "$wgVersion");
    }
    cookies(out);
    for (key, wg) in [
        ("session_expiry", "wgObjectCacheSessionExpiry"),
        ("cookie_expiry", "wgCookieExpiration"),
        ("remember_expiry", "wgExtendedLoginCookieExpiration"),
    ] {
        if let Some(v) = out.int(wg).filter(|v| *v >= 0) {
            out.set(key, v, &format!("${wg}"));
        }
    }
    if let Some(Value::Bool(on)) = out.get("wgEnableBotPasswords") {
        out.set("enable_bot_passwords", *on, "$wgEnableBotPasswords");
    }
    throttle(
        out,
        "password_attempt_throttle",
        "wgPasswordAttemptThrottle",
    );
    throttle(
        out,
        "account_creation_throttle",
        "wgAccountCreationThrottle",
    );
    if let Some(v) = out.get("wgReauthenticateTime").cloned() {
        let default = v.get("default").and_then(int).or_else(|| int(&v));
        if let Some(t) = default {
            out.set("reauthenticate_time", t, "$wgReauthenticateTime['default']");
        }
        if let Some(o) = v.as_object().filter(|o| o.len() > 1) {
            let ops: Vec<&str> = o
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "default")
                .collect();
            out.cannot(
                &format!("$wgReauthenticateTime for {}", ops.join(", ")),
                "mwauth asks again after the default time for every operation",
            );
        }
    }
    for (key, wg) in [
        ("cross_site_ajax_domains", "wgCrossSiteAJAXdomains"),
        (
            "cross_site_ajax_domain_exceptions",
            "wgCrossSiteAJAXdomainExceptions",
        ),
        ("allowed_cors_headers", "wgAllowedCorsHeaders"),
    ] {
        if out.get(wg).is_some() {
            let v = strings(out.get(wg));
            out.set(key, v, &format!("${wg}"));
        }
    }
    let proxies: Vec<String> = ["wgCdnServers", "wgCdnServersNoPurge"]
        .iter()
        .flat_map(|k| strings(out.get(k)))
        .collect();
    let (ips, names): (Vec<String>, Vec<String>) = proxies
        .into_iter()
        .partition(|p| mwauth::user::botpassword::is_ip_range(p.trim()));
    if !ips.is_empty() {
        out.set(
            "trusted_proxies",
            ips,
            "$wgCdnServers, $wgCdnServersNoPurge",
        );
    }
    if !names.is_empty() {
        out.cannot(
            &format!("$wgCdnServers {}", names.join(", ")),
            "mwauth trusts IP addresses and CIDR ranges only (host names, ports)",
        );
    }
}

fn cookies(out: &mut Toml) {
    // getConfiguration.php runs on the command line, where 'detect' (the default: Secure when
    // the request came over https) comes out false: only true is certain.
    let force = matches!(out.get("wgForceHTTPS"), Some(Value::Bool(true)));
    match out.get("wgCookieSecure") {
        Some(Value::Bool(true)) => out.set("cookie_secure", true, "$wgCookieSecure"),
        _ if force => out.set("cookie_secure", true, "$wgForceHTTPS"),
        _ => out.comment(
            "$wgCookieSecure prints false on the command line, also when it is 'detect' \
             (the default); unset: Secure when the request came over https",
        ),
    }
    if let Some(s) = out.get("wgCookieSameSite").and_then(Value::as_str) {
        if !s.is_empty() {
            out.set("cookie_samesite", s, "$wgCookieSameSite");
        }
    }
    for (wg, default) in [("wgCookieDomain", ""), ("wgCookiePath", "/")] {
        let v = out.str(wg);
        if out.get(wg).is_some() && v != default {
            out.cannot(
                &format!("${wg} = \"{v}\""),
                "mwauth sets its cookies with MediaWiki's default",
            );
        }
    }
    if let Some(name) = out.get("wgSessionName").and_then(Value::as_str) {
        out.cannot(
            &format!("$wgSessionName = \"{name}\""),
            "mwauth names the session cookie {prefix}_session",
        );
    }
}

/// A throttle setting: a list of `{count, seconds}`, one such map, a bare count (per day,
/// `$wgAccountCreationThrottle`'s old form) or false (none).
fn throttle(out: &mut Toml, key: &str, wg: &str) {
    let Some(v) = out.get(wg).cloned() else {
        return;
    };
    let entries: Vec<Value> = match &v {
        Value::Array(list) => list.clone(),
        Value::Object(_) => vec![v.clone()],
        Value::Bool(false) => Vec::new(),
        other => match int(other) {
            Some(n) => vec![serde_json::json!({"count": n, "seconds": 86400})],
            None => return out.cannot(&format!("${wg}"), "not a throttle mwauth understands"),
        },
    };
    let mut windows = Vec::new();
    for e in &entries {
        if e.get("allIPs").is_some() {
            out.cannot(
                &format!("${wg} allIPs"),
                "mwauth counts per user and IP only",
            );
            continue;
        }
        match (e.get("count").and_then(int), e.get("seconds").and_then(int)) {
            (Some(c), Some(s)) if c >= 0 && s >= 0 => {
                windows.push(toml::Value::Array(vec![c.into(), s.into()]))
            }
            _ => out.cannot(&format!("${wg} entry {e}"), "not {count, seconds}"),
        }
    }
    out.set(key, windows, &format!("${wg}"));
}
