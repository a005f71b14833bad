//! `mwauth-bench`: load generator and benchmark report for mwauth.
//!
//! `mwauth-bench run` measures, in one run: the raw PBKDF2 rate, the baseline (a bare hyper
//! handler), and every scenario against mwauth (the release binary, started here as a child
//! process with a temporary data directory) or against `--target URL`, and optionally against
//! MediaWiki (`--mediawiki URL`); then writes bench/REPORT.md.

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};
use mwauth_bench::client::Endpoint;
use mwauth_bench::machine;
use mwauth_bench::plan::{Accounts, Scenario};
use mwauth_bench::process::{self, ServerProcess};
use mwauth_bench::report::{self, Report};
use mwauth_bench::scenario::{self, Options, ScenarioResult};
use mwauth_bench::stats::fmt_us;
use std::path::PathBuf;
use std::sync::Arc;

mod front_door_cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mwauth-bench",
    about = "Load generator and benchmark report for mwauth"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scenarios and write the report.
    Run(Box<RunArgs>),
    /// Serve the baseline (fixed token JSON) until killed; prints `listening ADDR`.
    BaselineServer {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
    },
    /// mwauth as a PHP wiki's front door (issue 22): logged-in meta=tokens with PHP-format
    /// sessions in Redis against the bare server (php-sessions), and the time mwauth adds to
    /// a request it passes to Apache's wiki (passthrough); writes its section of REPORT.md.
    FrontDoor(Box<FrontDoorArgs>),
}

#[derive(Args)]
struct FrontDoorArgs {
    /// Comma-separated: php-sessions, passthrough.
    #[arg(long, default_value = "php-sessions,passthrough")]
    parts: String,
    /// Each measurement is repeated this many times (the report gives each and the median).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Wall-clock cap of the whole run, in seconds: no round starts after it, and a
    /// pass-through measurement running at that time stops.
    #[arg(long, default_value_t = 900.0)]
    max_seconds: f64,
    /// php-sessions: connections, and each timed phase's budgets.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    #[arg(long, default_value_t = 2_000_000)]
    requests: u64,
    /// php-sessions: skip the baseline (bare hyper handler) measured in each round.
    #[arg(long)]
    no_baseline: bool,
    /// MWAUTH_LOG for the started servers (default: their own, `info`).
    #[arg(long)]
    server_log: Option<String>,
    /// passthrough: the wiki, http://IP:PORT; started with --apache-script when nothing
    /// answers there (and stopped at the end), else used as it is.
    #[arg(long, default_value = "http://127.0.0.1:8280")]
    upstream: String,
    /// passthrough: the oracle's apache.sh (default: shared/oracle/apache.sh in a folder
    /// above the workspace or the current directory).
    #[arg(long)]
    apache_script: Option<PathBuf>,
    /// passthrough: paths requested (comma-separated): two static files, 3.8 KB and 283 KB
    /// (Apache's own cost only, so mwauth's shows, with a body streamed in many pieces), an
    /// api.php request mwauth passes, a page (MediaWiki answers it `Connection: close`
    /// under mod_php), load.php.
    #[arg(
        long,
        default_value = "/w/resources/assets/poweredby_mediawiki_88x31.png,/w/resources/lib/jquery/jquery.js,/w/api.php?action=query&meta=siteinfo&siprop=general&format=json,/w/index.php?title=Main_Page,/w/load.php?modules=startup&only=scripts&raw=1"
    )]
    paths: String,
    /// passthrough: measured GETs per side, path and round, after the warm-up.
    #[arg(long, default_value_t = 5000)]
    pass_requests: usize,
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// passthrough: time budget of each path in each round, the warm-up included.
    #[arg(long, default_value_t = 20.0)]
    pass_seconds: f64,
    /// The mwauth binary to start (default: `mwauth` beside this binary).
    #[arg(long)]
    mwauth_bin: Option<PathBuf>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/REPORT.md"))]
    report: PathBuf,
    #[arg(long)]
    no_report: bool,
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct RunArgs {
    /// Comma-separated scenarios: tokens-anon, tokens-session, userinfo-session, login,
    /// logout, cycle, mixed, flood; or `all`.
    #[arg(long, default_value = "all")]
    scenarios: String,
    /// Connections (virtual users, each with its own cookies).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Time budget of each timed phase.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Request budget of each timed phase.
    #[arg(long, default_value_t = 2_000_000)]
    requests: u64,
    /// Run against this api.php (loopback only) instead of starting mwauth.
    #[arg(long)]
    target: Option<String>,
    /// Also run every scenario against this api.php, e.g. MediaWiki under Apache:
    /// http://127.0.0.1:8280/w/api.php (shared/oracle/apache.sh).
    #[arg(long)]
    mediawiki: Option<String>,
    /// Time budget of each timed phase against --mediawiki (default: --seconds).
    #[arg(long)]
    mw_seconds: Option<f64>,
    /// Request budget of each timed phase against --mediawiki.
    #[arg(long, default_value_t = 20_000)]
    mw_requests: u64,
    /// Sessions made before the clock for logout against --mediawiki.
    #[arg(long, default_value_t = 2_000)]
    mw_sessions: usize,
    /// Live sessions made before the logout clock (and measured for memory and store size).
    #[arg(long, default_value_t = 100_000)]
    sessions: usize,
    /// The mwauth binary to start (default: `mwauth` beside this binary).
    #[arg(long)]
    mwauth_bin: Option<PathBuf>,
    /// MWAUTH_LOG for the started server (default: its own default, `info`: a line per request).
    #[arg(long)]
    server_log: Option<String>,
    /// Configuration file (TOML) for the started server, e.g. `sessions = "memory"`.
    #[arg(long)]
    server_config: Option<PathBuf>,
    /// Skip the baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Seconds of the raw PBKDF2 measurement.
    #[arg(long, default_value_t = 3.0)]
    hash_seconds: f64,
    /// Start-ups of the server measured before the run.
    #[arg(long, default_value_t = 5)]
    startup_runs: usize,
    /// flood: connections doing logins, connections of the tokens-session probe and its rate.
    #[arg(long, default_value_t = 8)]
    flood_connections: usize,
    #[arg(long, default_value_t = 4)]
    probe_connections: usize,
    #[arg(long, default_value_t = 1000.0)]
    probe_rate: f64,
    /// Worker threads of the load generator (default: one per core).
    #[arg(long)]
    client_threads: Option<usize>,
    /// Where to write the report.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/REPORT.md"))]
    report: PathBuf,
    #[arg(long)]
    no_report: bool,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
    #[arg(long, default_value = "Alice")]
    user: String,
    #[arg(long, default_value = "Alice-pass-12345")]
    password: String,
    #[arg(long, default_value = "Alice@testbot")]
    bot_user: String,
    #[arg(long, default_value = "alicebotpasswordalicebotpass0001")]
    bot_password: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::BaselineServer { listen } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(listen).await?;
                println!("listening {}", listener.local_addr()?);
                mwauth_bench::baseline::serve(listener).await?;
                anyhow::Ok(())
            })
        }
        Command::FrontDoor(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(front_door_cmd::run(*args)),
        Command::Run(args) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = args.client_threads {
                b.worker_threads(n.max(1));
            }
            b.enable_all().build()?.block_on(run(*args))
        }
    }
}

fn scenarios(list: &str) -> anyhow::Result<Vec<Scenario>> {
    if list == "all" {
        return Ok(Scenario::API.to_vec());
    }
    list.split(',')
        .map(|n| Scenario::parse(n.trim()).with_context(|| format!("unknown scenario {n}")))
        .collect()
}

/// The mwauth under test: the release binary as a child process, its data in a temp dir.
struct Local {
    server: ServerProcess,
    dir: tempfile::TempDir,
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let list = scenarios(&args.scenarios)?;
    let acct = Accounts {
        user: args.user.clone(),
        password: args.password.clone(),
        bot_user: args.bot_user.clone(),
        bot_password: args.bot_password.clone(),
    };
    let mut rep = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        date: date(),
        commit: machine::commit(),
        machine: machine::machine(),
        load_before: machine::load_average(),
        ..Report::default()
    };
    if machine::load_1min() > 0.7 {
        eprintln!(
            "note: load average is {} — other work on the machine will show in the figures",
            rep.load_before
        );
    }
    let opts = Options {
        connections: args.connections,
        requests: args.requests,
        seconds: args.seconds,
        accounts: acct.clone(),
        progress: !args.quiet,
        sessions: args.sessions,
        flood_connections: args.flood_connections,
        probe_connections: args.probe_connections,
        probe_rate: args.probe_rate,
        ..Options::default()
    };
    // With a login phase the raw rate is measured right before and right after it (see the
    // loop below): this machine's speed drifts over minutes, and a rate taken long before the
    // phase made the ratio move by ±0.1 between runs of the same binary.
    if list.contains(&Scenario::Flood) && !list.contains(&Scenario::Login) {
        rep.hash_rate = Some(raw_hash_rate(rep.machine.cores, args.hash_seconds).await?);
    }
    let baseline = if args.no_baseline {
        None
    } else {
        Some(process::spawn_baseline()?)
    };
    let mut local = None;
    let target = match &args.target {
        Some(url) => {
            rep.target_label = "target".into();
            Endpoint::parse(url)?
        }
        None => {
            let l = start_local(&args, &acct, &mut rep)?;
            let ep = Endpoint::from_addr(l.server.addr, "/w/api.php")?;
            local = Some(l);
            rep.target_label = "mwauth".into();
            ep
        }
    };
    let target = Arc::new(target);
    settings(&args, &mut rep, &target, local.is_some());

    let base_opts = Options {
        server_pid: baseline.as_ref().map(|b| b.pid),
        ..opts.clone()
    };
    // The baseline is measured right before and right after each scenario that is compared
    // with it (and once more at the end): this machine's speed drifts over minutes, and
    // runs of the same binaries whose baseline phases fell in a fast spell and whose
    // mwauth phases did not (or the reverse) moved a ratio by a fifth. Each such scenario
    // is compared with the better of the two measurements beside it.
    let baseline_ep = match &baseline {
        Some(b) => Some(Arc::new(Endpoint::from_addr(b.addr, "/")?)),
        None => None,
    };
    let mut last_baseline = measure_baseline(baseline_ep.as_ref(), &base_opts, &mut rep).await?;
    let opts = Options {
        server_pid: local.as_ref().map(|l| l.server.pid),
        ..opts
    };
    for &sc in &list {
        let label = rep.target_label.clone();
        let compared = sc.compared_with_baseline();
        if compared && last_baseline.is_none() {
            last_baseline = measure_baseline(baseline_ep.as_ref(), &base_opts, &mut rep).await?;
        }
        let before = last_baseline.take();
        if sc == Scenario::Login {
            rep.hash_rate = Some(raw_hash_rate(rep.machine.cores, args.hash_seconds).await?);
        }
        let r = if sc == Scenario::Logout {
            logout_measured(target.clone(), &opts, &label, local.as_ref(), &mut rep).await
        } else {
            measure(target.clone(), sc, &opts, &label).await
        };
        if sc == Scenario::Login {
            rep.hash_rate_after = Some(raw_hash_rate(rep.machine.cores, args.hash_seconds).await?);
        }
        if compared {
            last_baseline = measure_baseline(baseline_ep.as_ref(), &base_opts, &mut rep).await?;
            if let (Some(b), Some(a)) = (before, last_baseline) {
                rep.beside.push((sc, b.max(a)));
            }
        }
        match r {
            Ok(r) => {
                print_ratio(&r, rep.baseline_for(sc));
                rep.results.push(r);
            }
            Err(e) => failed(&mut rep, e),
        }
    }
    if last_baseline.is_none() {
        measure_baseline(baseline_ep.as_ref(), &base_opts, &mut rep).await?;
    }
    if let Some(url) = &args.mediawiki {
        let ep = Arc::new(Endpoint::parse(url)?);
        let mw_opts = Options {
            server_pid: None,
            seconds: args.mw_seconds.unwrap_or(args.seconds),
            requests: args.mw_requests,
            sessions: args.mw_sessions,
            ..opts.clone()
        };
        for &sc in &list {
            match measure(ep.clone(), sc, &mw_opts, "mediawiki").await {
                Ok(r) => {
                    print_ratio(&r, rep.baseline_rps());
                    rep.mediawiki.push(r);
                }
                Err(e) => failed(&mut rep, e),
            }
        }
    }
    if let Some(l) = &local {
        rep.hwm_kib = l.server.memory_kib().map(|(_, hwm)| hwm);
    }
    rep.load_after = machine::load_average();
    if let Some(mut l) = local {
        l.server.stop();
        drop(l.dir);
    }
    drop(baseline);
    let block = rep.render();
    println!("\n{block}");
    if !args.no_report {
        let existing = std::fs::read_to_string(&args.report).ok();
        std::fs::write(&args.report, report::merge(existing.as_deref(), &block))
            .with_context(|| format!("cannot write {}", args.report.display()))?;
        eprintln!("report written to {}", args.report.display());
    }
    Ok(())
}

/// PBKDF2 at MediaWiki's parameters on `threads` threads for `seconds`, nothing else running.
async fn raw_hash_rate(threads: usize, seconds: f64) -> anyhow::Result<machine::HashRate> {
    eprintln!("raw PBKDF2 rate on {threads} threads ({seconds} s)…");
    let h = tokio::task::spawn_blocking(move || machine::hash_rate(threads, seconds)).await?;
    eprintln!("  {:.1} hashes/s", h.per_second);
    Ok(h)
}

fn start_local(args: &RunArgs, acct: &Accounts, rep: &mut Report) -> anyhow::Result<Local> {
    let bin = args
        .mwauth_bin
        .clone()
        .unwrap_or_else(process::default_mwauth_bin);
    if !bin.exists() {
        bail!("{} not found: build it with `cargo build --release -p mwauth-server -p mwauth-bench`, or pass --mwauth-bin", bin.display());
    }
    let log = args.server_log.as_deref();
    let config = args.server_config.as_deref();
    if args.startup_runs > 0 {
        let fresh = tempfile::tempdir()?;
        let (mut s, took) = process::spawn_mwauth(&bin, fresh.path(), log, config)?;
        s.stop();
        rep.startup_fresh = Some(took);
    }
    let dir = tempfile::tempdir()?;
    process::create_accounts(&bin, dir.path(), config, acct)?;
    for _ in 0..args.startup_runs {
        let (mut s, took) = process::spawn_mwauth(&bin, dir.path(), log, config)?;
        s.stop();
        rep.startup.push(took);
    }
    let (server, took) = process::spawn_mwauth(&bin, dir.path(), log, config)?;
    if args.startup_runs > 0 {
        rep.startup.push(took);
    }
    rep.rss_idle_kib = server.memory_kib().map(|(rss, _)| rss);
    eprintln!(
        "mwauth {} (pid {}) on http://{}/w/api.php, data in {}",
        bin.display(),
        server.pid,
        server.addr,
        dir.path().display()
    );
    Ok(Local { server, dir })
}

fn settings(args: &RunArgs, rep: &mut Report, target: &Endpoint, local: bool) {
    let mut v = vec![
        ("Load generator".to_string(), format!(
            "this binary, hand-written HTTP/1.1 keep-alive client on tokio ({} worker threads), {} connections, each timed phase bounded by {} s and {} requests",
            args.client_threads.unwrap_or(rep.machine.cores), args.connections, args.seconds, args.requests
        )),
        ("Target".to_string(), if local {
            format!("mwauth release binary as a child process ({}), `serve` on {} with a temporary data directory; log level {}; configuration {}",
                args.mwauth_bin.clone().unwrap_or_else(process::default_mwauth_bin).display(),
                target.url(),
                args.server_log.as_deref().unwrap_or("default (info: one line per request, to a file)"),
                args.server_config.as_ref().map_or("default (users and sessions in one SQLite file)".to_string(), |c| c.display().to_string()))
        } else {
            target.url()
        }),
        ("Baseline".to_string(), "`mwauth-bench baseline-server` as a child process: hyper 1 http1 on a multi-threaded tokio runtime, fixed token JSON".to_string()),
        ("flood".to_string(), format!("{} login connections, tokens-session probe on {} connections at {} req/s", args.flood_connections, args.probe_connections, args.probe_rate)),
    ];
    if let Some(mw) = &args.mediawiki {
        v.push((
            "MediaWiki".to_string(),
            format!(
                "{mw}, each timed phase bounded by {} s and {} requests, {} logout sessions",
                args.mw_seconds.unwrap_or(args.seconds),
                args.mw_requests,
                args.mw_sessions
            ),
        ));
    }
    rep.settings = v;
}

async fn measure(
    ep: Arc<Endpoint>,
    sc: Scenario,
    opts: &Options,
    label: &str,
) -> anyhow::Result<ScenarioResult> {
    let opts = Options {
        label: label.to_string(),
        ..opts.clone()
    };
    scenario::run_scenario(ep, sc, &opts)
        .await
        .with_context(|| format!("{} against {label}", sc.name()))
}

/// `logout`, with the server's memory and the store's size read between the set-up (which
/// makes the live sessions) and the clock (which ends them).
async fn logout_measured(
    ep: Arc<Endpoint>,
    opts: &Options,
    label: &str,
    local: Option<&Local>,
    rep: &mut Report,
) -> anyhow::Result<ScenarioResult> {
    let opts = Options {
        label: label.to_string(),
        ..opts.clone()
    };
    let db = local.map(|l| l.dir.path().join("mwauth.sqlite"));
    let before = match &db {
        Some(p) => Some(machine::store_size(p).await?),
        None => None,
    };
    let prepared = scenario::prepare(ep, Scenario::Logout, &opts).await?;
    if let (Some(p), Some(before)) = (&db, before) {
        let after = machine::store_size(p).await?;
        rep.store = Some((before, after));
        if let Some((rss, _)) = local.and_then(|l| l.server.memory_kib()) {
            rep.rss_sessions = Some((after.sessions as usize, rss));
        }
    }
    Ok(scenario::run(prepared, &opts).await)
}

/// A scenario that could not run (its set-up failed): reported, and the run goes on.
fn failed(rep: &mut Report, e: anyhow::Error) {
    eprintln!("error: {e:#}");
    rep.failures.push(format!("{e:#}"));
}

fn print_ratio(r: &ScenarioResult, base: Option<f64>) {
    let h = r.headline();
    let ratio = base.map_or(String::new(), |b| format!(", {:.2}× baseline", r.rps() / b));
    eprintln!(
        "{} {}: {:.0} req/s, p50 {}, p99 {}, p99.9 {}, {} errors{ratio}",
        r.scenario.name(),
        r.label,
        r.rps(),
        fmt_us(h.p50_us),
        fmt_us(h.p99_us),
        fmt_us(h.p999_us),
        r.errors()
    );
    if let Some(e) = &r.first_error {
        eprintln!("  first error: {e}");
    }
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M:%S UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Measures the baseline (when there is one) and records it; its rate.
async fn measure_baseline(
    ep: Option<&Arc<Endpoint>>,
    opts: &Options,
    rep: &mut Report,
) -> anyhow::Result<Option<f64>> {
    let Some(ep) = ep else { return Ok(None) };
    let r = measure(ep.clone(), Scenario::Baseline, opts, "baseline").await?;
    print_ratio(&r, None);
    let rps = r.rps();
    rep.baseline.push(r);
    Ok(Some(rps))
}
