//! `mwauth-bench front-door` (see `mwauth_bench::front_door`): starts what each part needs
//! as child processes (mwauth twice, a Redis, the baseline; Apache through the oracle's
//! script when it is not running), measures, stops them by PID, and writes the report's
//! front-door section.

use super::FrontDoorArgs;
use anyhow::{bail, Context as _};
use mwauth_bench::client::Endpoint;
use mwauth_bench::front_door::{self, Apache, FrontDoorReport, PassBudget, Target};
use mwauth_bench::machine;
use mwauth_bench::plan::Accounts;
use mwauth_bench::process::{self, ServerProcess};
use mwauth_bench::report;
use mwauth_bench::scenario::Options;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn run(a: FrontDoorArgs) -> anyhow::Result<()> {
    let bin = a
        .mwauth_bin
        .clone()
        .unwrap_or_else(process::default_mwauth_bin);
    if !bin.exists() {
        bail!("{} not found: build it with `cargo build --release -p mwauth-server`, or pass --mwauth-bin", bin.display());
    }
    let deadline = Instant::now() + Duration::from_secs_f64(a.max_seconds);
    let mut rep = FrontDoorReport {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        date: super::date(),
        commit: machine::commit(),
        machine: Some(machine::machine()),
        load_before: machine::load_average(),
        ..FrontDoorReport::default()
    };
    let parts: Vec<&str> = a.parts.split(',').map(str::trim).collect();
    if let Some(p) = parts
        .iter()
        .find(|p| !matches!(**p, "php-sessions" | "passthrough"))
    {
        bail!("unknown part {p}: php-sessions, passthrough");
    }
    if parts.contains(&"php-sessions") {
        if let Err(e) = php_sessions(&a, &bin, deadline, &mut rep).await {
            eprintln!("php-sessions failed: {e:#}");
            rep.notes.push(format!("php-sessions failed: {e:#}"));
        }
    }
    if parts.contains(&"passthrough") {
        if let Err(e) = passthrough(&a, &bin, deadline, &mut rep).await {
            eprintln!("passthrough failed: {e:#}");
            rep.notes.push(format!("passthrough failed: {e:#}"));
        }
    }
    rep.load_after = machine::load_average();
    let block = rep.render();
    println!("\n{block}");
    if !a.no_report {
        let existing = std::fs::read_to_string(&a.report).ok();
        let merged = report::merge_between(
            existing.as_deref(),
            front_door::BEGIN,
            front_door::END,
            &block,
        );
        std::fs::write(&a.report, merged)
            .with_context(|| format!("cannot write {}", a.report.display()))?;
        eprintln!("report written to {}", a.report.display());
    }
    Ok(())
}

/// mwauth on a fresh data directory with the bench's accounts, `config` its configuration.
fn start_mwauth(
    bin: &Path,
    a: &FrontDoorArgs,
    config: Option<&str>,
) -> anyhow::Result<(ServerProcess, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("mwauth.toml");
    let file = match config {
        Some(text) => {
            std::fs::write(&file, text)?;
            Some(file.as_path())
        }
        None => None,
    };
    process::create_accounts(bin, dir.path(), file, &Accounts::default())?;
    let (server, _) = process::spawn_mwauth(bin, dir.path(), a.server_log.as_deref(), file)?;
    Ok((server, dir))
}

fn target(s: &ServerProcess, path: &str) -> anyhow::Result<Target> {
    Ok(Target {
        ep: Arc::new(Endpoint::from_addr(s.addr, path)?),
        pid: Some(s.pid),
    })
}

async fn php_sessions(
    a: &FrontDoorArgs,
    bin: &Path,
    deadline: Instant,
    rep: &mut FrontDoorReport,
) -> anyhow::Result<()> {
    let redis_dir = tempfile::tempdir()?;
    let mut redis = process::spawn_redis(redis_dir.path())?;
    let config = front_door::php_config(redis.addr);
    let (mut native, _native_dir) = start_mwauth(bin, a, None)?;
    let (mut php, _php_dir) = start_mwauth(bin, a, Some(&config))?;
    let mut baseline = if a.no_baseline {
        None
    } else {
        Some(process::spawn_baseline()?)
    };
    eprintln!(
        "redis-server (pid {}) on {}; bare mwauth (pid {}) on {}; php-format mwauth (pid {}) on {}",
        redis.pid, redis.addr, native.pid, native.addr, php.pid, php.addr
    );
    rep.settings.push(format!(
        "php-sessions: the release mwauth twice as child processes on fresh data directories \
         (users made with `mwauth user create` and `mwauth botpassword create`): the bare server \
         with its defaults (native records, embedded SQLite store), and one with `{}` (a \
         `redis-server` of the run's own on a free port, no persistence); tokens-session \
         (bot-password login through mwauth, then GET meta=tokens) on {} connections, each \
         timed phase bounded by {} s and {} requests; {} rounds, the order alternating{}; log \
         level {}",
        config.trim().replace('\n', "; ").replace("; ; ", "; "),
        a.connections,
        a.seconds,
        a.requests,
        a.rounds,
        if a.no_baseline {
            ""
        } else {
            ", the baseline (bare hyper handler, fixed token JSON) after each"
        },
        a.server_log.as_deref().unwrap_or("default (info)")
    ));
    let opts = Options {
        connections: a.connections,
        requests: a.requests,
        seconds: a.seconds,
        progress: !a.quiet,
        ..Options::default()
    };
    let base = match &baseline {
        Some(b) => Some(target(b, "/")?),
        None => None,
    };
    let rounds = front_door::php_sessions(
        &target(&native, "/w/api.php")?,
        &target(&php, "/w/api.php")?,
        base.as_ref(),
        Some(redis.pid),
        &opts,
        a.rounds,
        deadline,
    )
    .await;
    let records = front_door::php_records(redis.addr);
    php.stop();
    native.stop();
    if let Some(b) = baseline.as_mut() {
        b.stop();
    }
    redis.stop();
    rep.sessions = rounds?;
    rep.records = Some(records?);
    Ok(())
}

async fn passthrough(
    a: &FrontDoorArgs,
    bin: &Path,
    deadline: Instant,
    rep: &mut FrontDoorReport,
) -> anyhow::Result<()> {
    let direct: SocketAddr = a
        .upstream
        .strip_prefix("http://")
        .unwrap_or(&a.upstream)
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("--upstream {}: http://IP:PORT", a.upstream))?;
    if !direct.ip().is_loopback() {
        bail!("--upstream {direct}: only loopback");
    }
    let script = a
        .apache_script
        .clone()
        .or_else(front_door::find_apache_script);
    let apache = match Apache::ensure(direct, script.as_deref()) {
        Ok(apache) => apache,
        Err(why) => {
            eprintln!("passthrough skipped: {why}");
            rep.notes.push(format!("passthrough skipped: {why}"));
            return Ok(());
        }
    };
    let config = format!("upstream = \"{}\"\nupstream_timeout = 30\n", a.upstream);
    let (mut server, _dir) = start_mwauth(bin, a, Some(&config))?;
    eprintln!(
        "mwauth (pid {}) on {} in front of {}",
        server.pid, server.addr, a.upstream
    );
    rep.settings.push(format!(
        "passthrough: the release mwauth as a child process with `upstream = \"{}\"` in front of \
         MediaWiki 1.39 under Apache + mod_php + opcache ({}); each path {} times straight and \
         {} times through mwauth per round (or as many as {} s allow) after {} unmeasured, \
         one keep-alive connection per \
         side (hyper's client, TCP_NODELAY), the two sides in turns, one request at a time; {} \
         rounds; log level {}",
        a.upstream,
        if apache.started_here() {
            "started by this run with shared/oracle/apache.sh and stopped after it"
        } else {
            "already running"
        },
        a.pass_requests,
        a.pass_requests,
        a.pass_seconds,
        a.warmup,
        a.rounds,
        a.server_log.as_deref().unwrap_or("default (info)")
    ));
    let paths: Vec<String> = a
        .paths
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let budget = PassBudget {
        requests: a.pass_requests,
        warmup: a.warmup,
        seconds: a.pass_seconds,
        rounds: a.rounds,
        deadline,
    };
    let r = front_door::passthrough(direct, server.addr, Some(server.pid), &paths, &budget).await;
    server.stop();
    drop(apache);
    rep.pass = r?;
    Ok(())
}
