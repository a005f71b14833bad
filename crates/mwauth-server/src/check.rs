//! `mwauth check-config`: resolve the settings, connect to each configured backend without
//! changing anything, and say what is there. Any failure makes the exit status 1.

use crate::{config, Settings};
use anyhow::bail;
use mwauth::store::url::{check_sessions, check_users};
use std::future::Future;
use std::time::Duration;

/// How long one backend may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

async fn bounded<F>(f: F) -> Result<String, String>
where
    F: Future<Output = mwauth::store::StoreResult<String>>,
{
    match tokio::time::timeout(CHECK_TIMEOUT, f).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no answer within {} seconds",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

pub async fn run(settings: Settings, config_file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let (users, sessions) = config::backends(&settings)?;
    let opts = config::store_options(&settings);
    match config_file {
        Some(p) => println!("config: {}", p.display()),
        None => println!("config: built-in defaults (no --config)"),
    }
    println!(
        "wiki id: {}, table prefix: \"{}\", session keyspace: {}",
        settings.file.wiki.wiki_id, opts.table_prefix, opts.keyspace
    );
    let mut failed = 0;
    match bounded(check_users(&users, &opts)).await {
        Ok(s) => println!("users: {} — {s}", users.display()),
        Err(e) => {
            failed += 1;
            println!("users: {} — FAILED: {e}", users.display());
        }
    }
    match bounded(check_sessions(&sessions, &opts)).await {
        Ok(s) => println!("sessions: {} — {s}", sessions.display()),
        Err(e) => {
            failed += 1;
            println!("sessions: {} — FAILED: {e}", sessions.display());
        }
    }
    if let Some(url) = &settings.file.upstream {
        match check_upstream(&settings, url).await {
            Ok(lines) => {
                for line in lines {
                    println!("upstream: {url} — {line}");
                }
            }
            Err(problems) => {
                failed += 1;
                for p in problems {
                    println!("upstream: {url} — FAILED: {p}");
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// What can be checked of the wiki mwauth is in front of, from its api.php: that it answers,
/// that it is MediaWiki 1.39, that its wiki id, site name and cookie prefix are the ones
/// mwauth is configured with, and that the extensions that change logins are configured
/// here too. The rest (`$wgEnableBotPasswords`, group rights, cookie settings) cannot be
/// read from outside: README.md, "In front of a MediaWiki", lists them.
async fn check_upstream(settings: &Settings, url: &str) -> Result<Vec<String>, Vec<String>> {
    let file = &settings.file;
    let wiki = &file.wiki;
    let up = crate::upstream::Upstream::new(url, CHECK_TIMEOUT, file.native_pages)
        .map_err(|e| vec![e.to_string()])?;
    let api = format!("{}/api.php", wiki.script_path.trim_end_matches('/'));
    let (status, _, body) = up
        .get(&format!(
            "{api}?action=query&meta=siteinfo&siprop=general%7Cextensions&format=json&formatversion=2"
        ))
        .await
        .map_err(|e| vec![format!("{api}: {e}")])?;
    let info: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| vec![format!("{api} answered HTTP {status}, not the API's JSON")])?;
    let general = &info["query"]["general"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let generator = text(&general["generator"]);
    let mut ok = vec![format!(
        "answers: {generator}, wiki id {}",
        text(&general["wikiid"])
    )];
    let mut problems = Vec::new();
    if !generator.starts_with("MediaWiki 1.39") {
        problems.push(format!(
            "the wiki is \"{generator}\"; mwauth reproduces MediaWiki 1.39"
        ));
    }
    let keyspace = config::store_options(settings).keyspace;
    let wikiid = text(&general["wikiid"]);
    let domain = mwauth::store::redis::wiki_domain_id(&wiki.wiki_id, &file.table_prefix);
    if wikiid != domain {
        problems.push(format!(
            "the wiki's id is \"{wikiid}\", mwauth's wiki_id/table_prefix make \"{domain}\" \
             (session keyspace here: {keyspace})"
        ));
    }
    if text(&general["sitename"]) != wiki.sitename {
        problems.push(format!(
            "the wiki's sitename is \"{}\", mwauth's \"{}\"",
            text(&general["sitename"]),
            wiki.sitename
        ));
    }
    let extensions: Vec<String> = info["query"]["extensions"]
        .as_array()
        .map(|list| {
            // Skins change no login.
            list.iter()
                .filter(|e| e["type"] != "skin")
                .map(|e| text(&e["name"]))
                .collect()
        })
        .unwrap_or_default();
    let has = |name: &str| extensions.iter().any(|e| e == name);
    if has("OATHAuth") != wiki.oath.enabled {
        problems.push(format!(
            "OATHAuth is {} on the wiki but [oath] enabled = {} here",
            if has("OATHAuth") {
                "loaded"
            } else {
                "not loaded"
            },
            wiki.oath.enabled
        ));
    }
    if has("ConfirmEdit") != (wiki.captcha.kind != mwauth::config::CaptchaKind::None) {
        problems.push(format!(
            "ConfirmEdit is {} on the wiki, [captcha] kind is {:?} here",
            if has("ConfirmEdit") {
                "loaded"
            } else {
                "not loaded"
            },
            wiki.captcha.kind
        ));
    }
    const NEUTRAL: &[&str] = &["OATHAuth", "ConfirmEdit", "QuestyCaptcha"];
    let others: Vec<&str> = extensions
        .iter()
        .map(String::as_str)
        .filter(|e| !NEUTRAL.contains(e))
        .collect();
    if !others.is_empty() {
        ok.push(format!(
            "other extensions loaded (check that none changes logins or sessions): {}",
            others.join(", ")
        ));
    }
    // The cookie prefix: the session cookie the wiki sets with a login token.
    let (_, headers, _) = up
        .get(&format!(
            "{api}?action=query&meta=tokens&type=login&format=json"
        ))
        .await
        .map_err(|e| vec![format!("{api} (login token): {e}")])?;
    let session_cookie = format!("{}_session=", wiki.cookie_prefix());
    let cookies: Vec<String> = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect();
    if cookies.iter().any(|c| c.starts_with(&session_cookie)) {
        ok.push(format!("cookie prefix {}", wiki.cookie_prefix()));
    } else {
        let names: Vec<&str> = cookies
            .iter()
            .map(|c| c.split('=').next().unwrap_or(""))
            .collect();
        problems.push(format!(
            "a login token from the wiki set cookies [{}], not {}_session (cookie_prefix)",
            names.join(", "),
            wiki.cookie_prefix()
        ));
    }
    if problems.is_empty() {
        Ok(ok)
    } else {
        Err(problems)
    }
}
