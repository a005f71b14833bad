//! `mwauth-bench front-door`: mwauth as a PHP MediaWiki's front door (issue 22), in two parts.
//!
//! - php-sessions: logged-in `meta=tokens` (the tokens-session scenario: a bot-password
//!   session made by logging in through mwauth) against mwauth with `session_format = "php"`
//!   and its sessions in a Redis of the run's own, and against the bare server (mwauth with
//!   its defaults: native records in the embedded store), and the baseline (a bare hyper
//!   handler), `rounds` times with the order alternating; each round's ratio and their
//!   median. The records in Redis are then checked to be PHP's (`a:2:{s:4:"data";…`).
//! - passthrough: [`crate::passthrough`] for each path, `rounds` times.
//!
//! Everything is bounded: the timed phases by requests and seconds, the whole by a deadline
//! (a part cut short says so in the report).

use crate::client::Endpoint;
use crate::machine::Machine;
use crate::passthrough::{self, PassResult};
use crate::plan::Scenario;
use crate::process;
use crate::scenario::{self, Options, ScenarioResult};
use crate::stats::fmt_us;
use anyhow::{bail, Context as _};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The wiki id of the php-format server, so its Redis keys are `benchwiki:MWSession:{id}`.
pub const KEYSPACE: &str = "benchwiki";

pub const BEGIN: &str =
    "<!-- BEGIN mwauth-bench front-door: generated, rewritten by every `front-door` run -->";
pub const END: &str = "<!-- END mwauth-bench front-door -->";

/// The configuration (TOML) of the php-format server: PHP's records in `redis`, database 0
/// (as MediaWiki's RedisBagOStuff), with the token version every installer since 1.27 sets.
pub fn php_config(redis: SocketAddr) -> String {
    format!(
        "session_format = \"php\"\nsessions = \"redis://{redis}/0\"\n\n[wiki]\n\
         wiki_id = \"{KEYSPACE}\"\nauthentication_token_version = \"1\"\n"
    )
}

/// A server measured: its api.php, and its PID when it is a process of ours (for its CPU).
pub struct Target {
    pub ep: Arc<Endpoint>,
    pub pid: Option<u32>,
}

pub struct SessionsRound {
    pub native: ScenarioResult,
    pub php: ScenarioResult,
    /// CPU of the Redis server per php-format request (µs), when its PID is known.
    pub redis_cpu_us: Option<f64>,
    pub baseline: Option<ScenarioResult>,
}

impl SessionsRound {
    /// php-format logged-in tokens/s over the bare server's.
    pub fn ratio(&self) -> f64 {
        self.php.rps() / self.native.rps().max(1e-9)
    }

    pub fn baseline_ratio(&self) -> Option<f64> {
        self.baseline
            .as_ref()
            .map(|b| self.php.rps() / b.rps().max(1e-9))
    }
}

async fn measure(
    t: &Target,
    sc: Scenario,
    opts: &Options,
    label: &str,
) -> anyhow::Result<ScenarioResult> {
    let opts = Options {
        label: label.to_string(),
        server_pid: t.pid,
        ..opts.clone()
    };
    let r = scenario::run_scenario(t.ep.clone(), sc, &opts)
        .await
        .with_context(|| format!("{} against {label}", sc.name()))?;
    eprintln!(
        "{label} {}: {:.0} req/s, p50 {}, p99 {}, {} errors",
        sc.name(),
        r.rps(),
        fmt_us(r.headline().p50_us),
        fmt_us(r.headline().p99_us),
        r.errors()
    );
    Ok(r)
}

/// tokens-session against the bare server and the php-format one (and the baseline's fixed
/// answer), `rounds` times, which goes first alternating; rounds that would start after
/// `deadline` are left out.
pub async fn php_sessions(
    native: &Target,
    php: &Target,
    baseline: Option<&Target>,
    redis_pid: Option<u32>,
    opts: &Options,
    rounds: usize,
    deadline: Instant,
) -> anyhow::Result<Vec<SessionsRound>> {
    let sc = Scenario::TokensSession;
    let mut out = Vec::new();
    for round in 0..rounds {
        if Instant::now() >= deadline {
            eprintln!("php-sessions: wall-clock cap reached after {round} of {rounds} rounds");
            break;
        }
        let php_measured = async {
            let cpu0 = redis_pid.and_then(process::cpu_times);
            let r = measure(php, sc, opts, "php").await?;
            let cpu = cpu0
                .zip(redis_pid.and_then(process::cpu_times))
                .map(|(a, b)| a.until(b).total().as_secs_f64() * 1e6 / r.requests().max(1) as f64);
            anyhow::Ok((r, cpu))
        };
        let (n, (p, redis_cpu_us)) = if round % 2 == 0 {
            let n = measure(native, sc, opts, "native").await?;
            (n, php_measured.await?)
        } else {
            let p = php_measured.await?;
            (measure(native, sc, opts, "native").await?, p)
        };
        let b = match baseline {
            Some(b) => Some(measure(b, Scenario::Baseline, opts, "baseline").await?),
            None => None,
        };
        out.push(SessionsRound {
            native: n,
            php: p,
            redis_cpu_us,
            baseline: b,
        });
    }
    Ok(out)
}

/// What the php-format server left in its Redis.
#[derive(Debug, Clone)]
pub struct Records {
    pub keys: usize,
    /// Of them, bot-password sessions.
    pub bot: usize,
    /// The start of one record, as stored.
    pub sample: String,
}

/// The session records under `benchwiki:MWSession:*` in the Redis at `redis` (read with
/// `redis-cli`); an error unless every one is PHP's serialization of a session and one is a
/// bot-password session.
pub fn php_records(redis: SocketAddr) -> anyhow::Result<Records> {
    let cli = |args: &[&str]| -> anyhow::Result<Vec<u8>> {
        let out = Command::new("redis-cli")
            .args([
                "-h",
                &redis.ip().to_string(),
                "-p",
                &redis.port().to_string(),
            ])
            .args(args)
            .output()
            .context("cannot run redis-cli (Debian's redis-tools)")?;
        if !out.status.success() {
            bail!(
                "redis-cli {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(out.stdout)
    };
    let pattern = format!("{KEYSPACE}:MWSession:*");
    let keys = String::from_utf8(cli(&["--scan", "--pattern", &pattern])?)?;
    let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
    if keys.is_empty() {
        bail!("no session record under {pattern}");
    }
    // The login tokens' anonymous cookie sessions are there too (a bot-password login makes
    // a session of its own provider and leaves that one, as PHP does).
    let mut bot = 0;
    let mut sample = None;
    for key in &keys {
        let value = cli(&["--raw", "GET", key])?;
        let text = String::from_utf8_lossy(&value);
        if !text.starts_with("a:2:{s:4:\"data\";a:") || !text.contains("s:8:\"metadata\";a:10:{") {
            bail!("{key} is not a PHP session record: {text}");
        }
        if text.contains("BotPasswordSessionProvider") {
            bot += 1;
            sample.get_or_insert_with(|| text.chars().take(160).collect());
        }
    }
    let Some(sample) = sample else {
        bail!(
            "none of the {} records under {pattern} is a bot-password session",
            keys.len()
        );
    };
    Ok(Records {
        keys: keys.len(),
        bot,
        sample,
    })
}

/// How much of the pass-through: GETs per side and path measured, after `warmup` more
/// unmeasured, for at most `seconds` per path and round, the warm-up included (PHP's pages take tens of
/// milliseconds on a busy machine), `rounds` times, none after `deadline`.
#[derive(Clone, Copy)]
pub struct PassBudget {
    pub requests: usize,
    pub warmup: usize,
    pub seconds: f64,
    pub rounds: usize,
    pub deadline: Instant,
}

/// The pass-through measured over `paths` (see [`passthrough::measure`]), with the CPU the
/// mwauth process (`mwauth_pid`) used per request.
pub async fn passthrough(
    direct: SocketAddr,
    through: SocketAddr,
    mwauth_pid: Option<u32>,
    paths: &[String],
    budget: &PassBudget,
) -> anyhow::Result<Vec<Vec<PassResult>>> {
    let PassBudget {
        requests,
        warmup,
        seconds,
        rounds,
        deadline,
    } = *budget;
    let mut out = Vec::new();
    for round in 0..rounds {
        if Instant::now() >= deadline {
            eprintln!("passthrough: wall-clock cap reached after {round} of {rounds} rounds");
            break;
        }
        let mut rows = Vec::new();
        for path in paths {
            // The warm-up, unmeasured, for at most a fifth of the path's time (200 turns of a
            // page PHP renders in 50 ms would take it all).
            let start = Instant::now();
            let until = deadline.min(start + Duration::from_secs_f64(seconds / 5.0));
            passthrough::measure(direct, through, path, warmup, 0, until)
                .await
                .with_context(|| format!("warming up {path}"))?;
            let cpu0 = mwauth_pid.and_then(process::cpu_times);
            let until = deadline.min(start + Duration::from_secs_f64(seconds));
            let mut r = passthrough::measure(direct, through, path, requests, 0, until)
                .await
                .with_context(|| format!("measuring {path}"))?;
            let cpu1 = mwauth_pid.and_then(process::cpu_times);
            r.mwauth_cpu_us = cpu0
                .zip(cpu1)
                .map(|(a, b)| a.until(b).total().as_secs_f64() * 1e6 / r.sent.max(1) as f64);
            let (p50, p99) = r.added_us();
            eprintln!("{path}: added p50 {p50:.0} µs, p99 {p99:.0} µs");
            rows.push(r);
        }
        out.push(rows);
    }
    Ok(out)
}

/// The reference wiki under Apache (shared/oracle/apache.sh): used as it is when it answers,
/// else started with the oracle's script and stopped with it at the end.
pub struct Apache {
    /// The script, when this run started Apache and so must stop it.
    started: Option<PathBuf>,
}

impl Apache {
    /// Apache answering on `addr`; `Err(reason)` when it does not and cannot be started.
    pub fn ensure(addr: SocketAddr, script: Option<&Path>) -> Result<Apache, String> {
        if answers(addr) {
            return Ok(Apache { started: None });
        }
        let Some(script) = script.filter(|s| s.exists()) else {
            return Err(format!(
                "nothing answers on {addr} and shared/oracle/apache.sh was not found (pass --apache-script)"
            ));
        };
        eprintln!("starting Apache with {}", script.display());
        let apache = Apache {
            started: Some(script.to_path_buf()),
        };
        let status = Command::new("bash")
            .arg(script)
            .env("MW_APACHE_PORT", addr.port().to_string())
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !status.success() || !answers(addr) {
            return Err(format!(
                "{} did not start Apache on {addr}",
                script.display()
            ));
        }
        Ok(apache)
    }

    pub fn started_here(&self) -> bool {
        self.started.is_some()
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        if let Some(script) = self.started.take() {
            let _ = Command::new("bash").arg(&script).arg("stop").status();
        }
    }
}

/// Whether an HTTP server answers a GET of api.php on `addr`.
fn answers(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let req = format!("GET /w/api.php HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 9];
    s.write_all(req.as_bytes()).is_ok() && s.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 "
}

/// shared/oracle/apache.sh in a folder above the workspace (`../shared` of a checkout).
pub fn find_apache_script() -> Option<PathBuf> {
    let here = std::env::current_dir().ok();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = here
        .iter()
        .map(PathBuf::as_path)
        .chain([manifest])
        .flat_map(Path::ancestors)
        .map(|d| d.join("shared/oracle/apache.sh"))
        .find(|p| p.exists());
    found
}

/// The median (of an odd count, the middle; of an even one, the mean of the two middles).
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Everything a front-door run writes into bench/REPORT.md.
#[derive(Default)]
pub struct FrontDoorReport {
    pub command: String,
    pub date: String,
    pub commit: String,
    pub machine: Option<Machine>,
    pub load_before: String,
    pub load_after: String,
    /// Lines describing what was started and how.
    pub settings: Vec<String>,
    pub sessions: Vec<SessionsRound>,
    pub records: Option<Records>,
    pub pass: Vec<Vec<PassResult>>,
    /// Parts skipped or failed, with why.
    pub notes: Vec<String>,
}

impl FrontDoorReport {
    pub fn render(&self) -> String {
        let mut s = format!("{BEGIN}\n## Front door (issue 22)\n\n");
        s += &format!(
            "- Date: {}\n- Command: `{}`\n- Commit: {}\n",
            self.date, self.command, self.commit
        );
        if let Some(m) = &self.machine {
            s += &format!(
                "- Machine: {} cores (nproc), {}, {}, Linux {}\n",
                m.cores, m.cpu, m.memory, m.kernel
            );
        }
        s += &format!(
            "- Load average (1, 5, 15 min): {} before, {} after\n",
            self.load_before, self.load_after
        );
        for line in &self.settings {
            s += &format!("- {line}\n");
        }
        for n in &self.notes {
            s += &format!("- **{n}**\n");
        }
        if !self.sessions.is_empty() {
            s += &self.render_sessions();
        }
        if !self.pass.is_empty() {
            s += &self.render_pass();
        }
        s += END;
        s.push('\n');
        s
    }

    fn render_sessions(&self) -> String {
        let mut s = String::from(
            "\n### PHP-format sessions in Redis: logged-in meta=tokens\n\n\
             | round | server | req/s | p50 | p99 | errors | server µs/req | Redis µs/req | × bare server | × baseline |\n\
             |---|---|---|---|---|---|---|---|---|---|\n",
        );
        let row = |round: usize, r: &ScenarioResult, redis: Option<f64>, vs: String, vb: String| {
            let h = r.headline();
            let cpu = r
                .cpu_per_request()
                .0
                .map_or("n/a".into(), |c| format!("{c:.1}"));
            let redis = redis.map_or(String::new(), |c| format!("{c:.1}"));
            format!(
                "| {round} | {} | {:.0} | {} | {} | {} | {cpu} | {redis} | {vs} | {vb} |\n",
                r.label,
                r.rps(),
                fmt_us(h.p50_us),
                fmt_us(h.p99_us),
                r.errors()
            )
        };
        for (i, r) in self.sessions.iter().enumerate() {
            s += &row(i + 1, &r.native, None, "1.00".into(), String::new());
            let vb = r
                .baseline_ratio()
                .map_or(String::new(), |b| format!("{b:.2}"));
            let ratio = format!("**{:.2}**", r.ratio());
            s += &row(i + 1, &r.php, r.redis_cpu_us, ratio, vb);
            if let Some(b) = &r.baseline {
                s += &row(i + 1, b, None, String::new(), String::new());
            }
        }
        let ratio = median(self.sessions.iter().map(SessionsRound::ratio).collect());
        let vb = median(
            self.sessions
                .iter()
                .filter_map(SessionsRound::baseline_ratio)
                .collect(),
        );
        if let Some(m) = ratio {
            s += &format!(
                "\nMedian of {} rounds: php-format sessions in Redis at **{m:.2}×** the bare server \
                 (target ≥ 0.5×: {})",
                self.sessions.len(),
                if m >= 0.5 { "met" } else { "missed" }
            );
            if let Some(b) = vb {
                s += &format!("; {b:.2}× the baseline's fixed answer");
            }
            s += ".\n";
        }
        if let Some(r) = &self.records {
            s += &format!(
                "\nRecords: {} keys `{KEYSPACE}:MWSession:*` in the bench's Redis after the run, all PHP's \
                 serialization, {} of them bot-password sessions; one of those begins `{}`\n",
                r.keys,
                r.bot,
                r.sample.replace('`', "'")
            );
        }
        s
    }

    fn render_pass(&self) -> String {
        let mut s = String::from(
            "\n### Pass-through: the same GET straight to Apache and through mwauth\n\n\
             | round | request | per side | straight p50 / p99 | through mwauth p50 / p99 | added p50 | added p99 | noise p50 / p99 | mismatches | mwauth CPU µs/req |\n\
             |---|---|---|---|---|---|---|---|---|---|\n",
        );
        for (i, rows) in self.pass.iter().enumerate() {
            for r in rows {
                s += &format!("| {} {}\n", i + 1, r.render());
            }
        }
        s += "\n| request | median added p50 | median added p99 | median \\|noise\\| p50 / p99 | target p99 < 1 ms |\n|---|---|---|---|---|\n";
        let paths: Vec<&str> = self.pass[0].iter().map(|r| r.path.as_str()).collect();
        for path in paths {
            let of = |f: &dyn Fn(&PassResult) -> f64| {
                median(
                    self.pass
                        .iter()
                        .flatten()
                        .filter(|r| r.path == path)
                        .map(f)
                        .collect(),
                )
                .unwrap_or(0.0)
            };
            let p50 = of(&|r| r.added_us().0);
            let p99 = of(&|r| r.added_us().1);
            let noise = (of(&|r| r.noise_us.0.abs()), of(&|r| r.noise_us.1.abs()));
            // Where straight against straight differs by a millisecond or more at p99, the
            // difference cannot say whether mwauth adds less than one.
            let verdict = if noise.1 >= 1000.0 {
                "not resolved (noise ≥ 1 ms)"
            } else if p99 < 1000.0 {
                "met"
            } else {
                "missed"
            };
            s += &format!(
                "| `{path}` | {p50:.0} µs | **{p99:.0} µs** | {:.0} µs / {:.0} µs | {verdict} |\n",
                noise.0, noise.1
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
