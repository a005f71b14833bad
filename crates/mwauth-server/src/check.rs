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
    if failed > 0 {
        bail!("{failed} backend(s) failed the check");
    }
    Ok(())
}
