//! The scenarios, their set-up before the clock, and the timed phase: N virtual users, each on
//! its own keep-alive connection, until the request budget or the time budget runs out,
//! whichever comes first, with a progress line on stderr once a second.

use crate::client::{Conn, CookieJar, Endpoint};
use crate::plan::{Accounts, Scenario, Shared};
use crate::process;
use crate::stats::{fmt_us, Kind, Latencies, Summary};
use crate::vu::{main_login, source_ip, Role, Vu};
use anyhow::{bail, Context as _};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Options {
    pub connections: usize,
    /// Request budget of the timed phase.
    pub requests: u64,
    /// Time budget of the timed phase.
    pub seconds: f64,
    pub accounts: Accounts,
    pub progress: bool,
    /// `logout`: sessions to make before the clock (also bounded by `requests`).
    pub sessions: usize,
    /// Time budget of the set-up.
    pub setup_seconds: f64,
    /// `flood`: connections doing logins.
    pub flood_connections: usize,
    /// `flood`: connections of the paced tokens-session probe, and its total rate.
    pub probe_connections: usize,
    pub probe_rate: f64,
    /// Shown in the progress line (`mwauth`, `baseline`, `mediawiki`).
    pub label: String,
    /// The server's process, when it is ours: its CPU time is read around the timed phase.
    pub server_pid: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connections: 32,
            requests: 2_000_000,
            seconds: 5.0,
            accounts: Accounts::default(),
            progress: true,
            sessions: 100_000,
            setup_seconds: 120.0,
            flood_connections: 8,
            probe_connections: 4,
            probe_rate: 1000.0,
            label: "target".into(),
            server_pid: None,
        }
    }
}

/// One scenario's figures.
#[derive(Clone)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    pub label: String,
    pub connections: usize,
    pub elapsed: Duration,
    pub ops: u64,
    pub lat: Latencies,
    pub first_error: Option<String>,
    pub reconnects: u64,
    /// Sessions made before the clock (`logout`).
    pub prepared: usize,
    pub setup: Duration,
    /// CPU time of the server process (user and kernel) and of the load generator during
    /// the timed phase.
    pub server_cpu: Option<process::CpuTimes>,
    pub client_cpu: Duration,
}

impl ScenarioResult {
    /// CPU microseconds per answered request: (server, load generator).
    pub fn cpu_per_request(&self) -> (Option<f64>, f64) {
        let n = self.requests().max(1) as f64;
        (
            self.server_cpu.map(|t| t.total().as_secs_f64() * 1e6 / n),
            self.client_cpu.as_secs_f64() * 1e6 / n,
        )
    }

    /// The server's CPU microseconds per answered request spent in the kernel.
    pub fn server_kernel_per_request(&self) -> Option<f64> {
        let n = self.requests().max(1) as f64;
        self.server_cpu.map(|t| t.system.as_secs_f64() * 1e6 / n)
    }

    /// Answered requests (all kinds).
    pub fn requests(&self) -> u64 {
        self.lat.overall().count
    }

    pub fn errors(&self) -> u64 {
        self.lat.total_errors()
    }

    pub fn rps(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn ops_per_s(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn kind_rps(&self, kind: Kind) -> f64 {
        self.lat.summary(kind).count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency the scenario is about: the probe's in `flood`, every request's elsewhere.
    pub fn headline(&self) -> Summary {
        match self.scenario {
            Scenario::Flood => self.lat.summary(Kind::Tokens),
            _ => self.lat.overall(),
        }
    }
}

/// Virtual users set up and ready for the clock.
pub struct Prepared {
    pub scenario: Scenario,
    vus: Vec<Vu>,
    pub sessions: usize,
    pub setup: Duration,
}

/// Opens the connections and does the untimed set-up (logins, sessions for `logout`).
pub async fn prepare(ep: Arc<Endpoint>, sc: Scenario, opts: &Options) -> anyhow::Result<Prepared> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(opts.setup_seconds);
    let mut vus: Vec<Vu> = Vec::new();
    if sc == Scenario::Flood {
        let per = Duration::from_secs_f64(opts.probe_connections as f64 / opts.probe_rate.max(1.0));
        for i in 0..opts.flood_connections {
            vus.push(Vu::new(ep.clone(), i, Role::FloodLogin));
        }
        for i in 0..opts.probe_connections {
            let index = opts.flood_connections + i;
            vus.push(Vu::new(ep.clone(), index, Role::Probe { interval: per }));
        }
    } else {
        for i in 0..opts.connections.max(1) {
            vus.push(Vu::new(ep.clone(), i, Role::Main));
        }
    }
    let seed = if sc == Scenario::Logout {
        let mut conn = Conn::new(ep.clone(), Some(source_ip(vus.len())));
        let mut jar = CookieJar::default();
        main_login(&mut conn, &mut jar, &opts.accounts)
            .await
            .context("main-account login for the logout sessions")?;
        // Keep the remember-me cookies only: each request without a session cookie then
        // makes a new logged-in session.
        jar.retain(|n| !n.ends_with("_session") && !n.ends_with("_BPsession"));
        Some(Arc::new(jar))
    } else {
        None
    };
    let total_sessions = opts.sessions.min(opts.requests as usize);
    let n = vus.len();
    let setup_counters = Arc::new(Shared::new(0, 0.0));
    let progress = opts.progress.then(|| {
        Progress::start(
            format!("{} {} set-up", opts.label, sc.name()),
            setup_counters.clone(),
        )
    });
    let made = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (i, mut vu) in vus.into_iter().enumerate() {
        let acct = opts.accounts.clone();
        let seed = seed.clone();
        let made = made.clone();
        let counters = setup_counters.clone();
        let quota = total_sessions / n + usize::from(i < total_sessions % n);
        tasks.push(tokio::spawn(async move {
            vu.setup(sc, &acct).await?;
            if let Some(seed) = seed {
                vu.make_sessions(&seed, quota, deadline, &counters.counters)
                    .await;
                made.fetch_add(vu.prepared.len() as u64, Ordering::Relaxed);
            }
            anyhow::Ok(vu)
        }));
    }
    let mut ready = Vec::new();
    for t in tasks {
        ready.push(t.await.context("set-up task")??);
    }
    if let Some(p) = progress {
        p.finish_quiet();
    }
    let sessions = made.load(Ordering::Relaxed) as usize;
    if sc == Scenario::Logout && sessions == 0 {
        let why = ready
            .iter()
            .find_map(|v| v.first_error.clone())
            .unwrap_or_default();
        bail!("no session could be made for logout: {why}");
    }
    Ok(Prepared {
        scenario: sc,
        vus: ready,
        sessions,
        setup: started.elapsed(),
    })
}

/// The timed phase.
pub async fn run(p: Prepared, opts: &Options) -> ScenarioResult {
    let sc = p.scenario;
    let shared = Arc::new(Shared::new(opts.requests, opts.seconds));
    let acct = Arc::new(opts.accounts.clone());
    let connections = p.vus.len();
    let progress = opts
        .progress
        .then(|| Progress::start(format!("{} {}", opts.label, sc.name()), shared.clone()));
    let server_cpu0 = opts.server_pid.and_then(process::cpu_times);
    let client_cpu0 = process::self_cpu_time();
    let started = Instant::now();
    let tasks: Vec<_> = p
        .vus
        .into_iter()
        .map(|vu| tokio::spawn(vu.run(sc, shared.clone(), acct.clone())))
        .collect();
    let mut lat = Latencies::default();
    let (mut ops, mut reconnects, mut first_error) = (0, 0, None);
    for t in tasks {
        if let Ok(vu) = t.await {
            lat.merge(&vu.lat);
            ops += vu.ops;
            reconnects += vu.conn.reconnects;
            if first_error.is_none() {
                first_error = vu.first_error;
            }
        }
    }
    let elapsed = started.elapsed();
    let client_cpu = process::self_cpu_time().saturating_sub(client_cpu0);
    let server_cpu = server_cpu0
        .zip(opts.server_pid.and_then(process::cpu_times))
        .map(|(a, b)| a.until(b));
    if let Some(p) = progress {
        p.finish();
    }
    ScenarioResult {
        scenario: sc,
        label: opts.label.clone(),
        connections,
        elapsed,
        ops,
        lat,
        first_error,
        reconnects,
        prepared: p.sessions,
        setup: p.setup,
        server_cpu,
        client_cpu,
    }
}

pub async fn run_scenario(
    ep: Arc<Endpoint>,
    sc: Scenario,
    opts: &Options,
) -> anyhow::Result<ScenarioResult> {
    let p = prepare(ep, sc, opts).await?;
    Ok(run(p, opts).await)
}

/// The progress line: once a second on stderr (rewritten in place on a terminal).
struct Progress {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    tty: bool,
}

impl Progress {
    fn start(label: String, shared: Arc<Shared>) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let tty = std::io::stderr().is_terminal();
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let (mut last_n, mut last_lat) = (0u64, 0u64);
            loop {
                tick.tick().await;
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                let (n, errors, lat) = shared.counters.snapshot();
                let (dn, dl) = (n - last_n, lat - last_lat);
                (last_n, last_lat) = (n, lat);
                let mean = if dn > 0 {
                    dl as f64 / dn as f64 / 1000.0
                } else {
                    0.0
                };
                let line = format!(
                    "{label}: {:>3}s {n} requests, {dn}/s, mean {}, {errors} errors",
                    started.elapsed().as_secs(),
                    fmt_us(mean)
                );
                let mut err = std::io::stderr().lock();
                let _ = if tty {
                    write!(err, "\r\x1b[2K{line}")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
            }
        });
        Progress { stop, task, tty }
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.abort();
        if self.tty {
            eprintln!();
        }
    }

    fn finish_quiet(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.abort();
        if self.tty {
            eprint!("\r\x1b[2K");
        }
    }
}
