//! REPORT.md: the run's figures, their ratios to the baseline and to MediaWiki, and the
//! issue's targets met or missed. Only the part between the two markers is the tool's; text
//! around it (analysis, recommendations) is kept when the report is written again.

use crate::machine::{HashRate, Machine, StoreSize};
use crate::plan::Scenario;
use crate::scenario::ScenarioResult;
use crate::stats::{fmt_us, Kind};
use std::fmt::Write as _;
use std::time::Duration;

pub const BEGIN: &str = "<!-- BEGIN mwauth-bench: generated, rewritten by every run -->";
pub const END: &str = "<!-- END mwauth-bench -->";

#[derive(Default)]
pub struct Report {
    pub command: String,
    pub date: String,
    pub commit: String,
    pub machine: Machine,
    pub load_before: String,
    pub load_after: String,
    pub settings: Vec<(String, String)>,
    pub target_label: String,
    /// The raw PBKDF2 rate right before the login phase (or the flood's, without one)…
    pub hash_rate: Option<HashRate>,
    /// …and right after it; the login ratio divides by the mean of the two.
    pub hash_rate_after: Option<HashRate>,
    /// Every baseline measurement, in the order taken.
    pub baseline: Vec<ScenarioResult>,
    /// For each scenario measured between two baseline measurements: the better of them.
    pub beside: Vec<(Scenario, f64)>,
    pub results: Vec<ScenarioResult>,
    pub mediawiki: Vec<ScenarioResult>,
    /// Spawn to first answer: a new data directory, then runs on the prepared one.
    pub startup_fresh: Option<Duration>,
    pub startup: Vec<Duration>,
    /// (live sessions, VmRSS KiB) after the logout set-up; VmRSS at idle; VmHWM at the end.
    pub rss_sessions: Option<(usize, u64)>,
    pub rss_idle_kib: Option<u64>,
    pub hwm_kib: Option<u64>,
    /// Store before and after the logout set-up.
    pub store: Option<(StoreSize, StoreSize)>,
    /// Scenarios that could not run, and why.
    pub failures: Vec<String>,
}

/// One of the targets.
pub struct Check {
    pub name: String,
    pub threshold: String,
    pub measured: String,
    pub met: Option<bool>,
}

impl Report {
    pub fn baseline_rps(&self) -> Option<f64> {
        self.baseline
            .iter()
            .map(ScenarioResult::rps)
            .fold(None, |m, r| Some(m.map_or(r, |m: f64| m.max(r))))
    }

    /// The baseline rate a scenario is compared with: the better of the measurements right
    /// before and after it, or else the best of the run.
    pub fn baseline_for(&self, sc: Scenario) -> Option<f64> {
        self.beside
            .iter()
            .find(|(s, _)| *s == sc)
            .map(|(_, b)| *b)
            .or_else(|| self.baseline_rps())
    }

    /// The raw PBKDF2 rate the login phase is compared with: the mean of the measurements
    /// before and after it, or the one there is.
    pub fn raw_hashes_per_second(&self) -> Option<f64> {
        match (self.hash_rate, self.hash_rate_after) {
            (Some(b), Some(a)) => Some((b.per_second + a.per_second) / 2.0),
            (b, a) => b.or(a).map(|h| h.per_second),
        }
    }

    fn result(&self, sc: Scenario) -> Option<&ScenarioResult> {
        self.results.iter().find(|r| r.scenario == sc)
    }

    fn mw(&self, sc: Scenario) -> Option<&ScenarioResult> {
        self.mediawiki.iter().find(|r| r.scenario == sc)
    }

    /// The figure a scenario is compared by: requests/s, or logins/s for `flood`.
    fn rate(r: &ScenarioResult) -> f64 {
        match r.scenario {
            Scenario::Flood => r.kind_rps(Kind::Login),
            _ => r.rps(),
        }
    }

    pub fn bytes_per_session(&self) -> Option<(f64, f64, i64)> {
        let (a, b) = self.store?;
        let n = b.sessions - a.sessions;
        (n > 0).then(|| {
            (
                (b.bytes - a.bytes) as f64 / n as f64,
                (b.payload - a.payload) as f64 / n as f64,
                n,
            )
        })
    }

    pub fn checks(&self) -> Vec<Check> {
        let mut out = Vec::new();
        let best = self.baseline_rps();
        let ratio = |sc: Scenario, min: f64, out: &mut Vec<Check>| {
            let r = self.result(sc).filter(|r| r.errors() == 0);
            let v = r.zip(self.baseline_for(sc)).map(|(r, b)| r.rps() / b);
            // Shown too: the ratio to the best baseline of the whole run.
            let of_best = r.zip(best).map(|(r, b)| r.rps() / b);
            let measured = match (v, of_best) {
                (Some(v), Some(o)) => format!("{v:.2}× ({o:.2}× of the run's best)"),
                _ => "n/a".into(),
            };
            out.push(Check {
                name: format!("{} vs baseline", sc.name()),
                threshold: format!("≥ {min}×"),
                measured,
                met: v.map(|v| v >= min),
            });
        };
        ratio(Scenario::TokensSession, 0.6, &mut out);
        ratio(Scenario::UserinfoSession, 0.6, &mut out);
        ratio(Scenario::Logout, 0.4, &mut out);
        let login = self.result(Scenario::Login).filter(|r| r.errors() == 0);
        let v = login
            .zip(self.raw_hashes_per_second())
            .map(|(r, h)| r.rps() / h);
        out.push(Check {
            name: "login vs raw PBKDF2 rate (all cores)".into(),
            threshold: "≥ 0.9×".into(),
            measured: v.map_or("n/a".into(), |v| format!("{v:.2}×")),
            met: v.map(|v| v >= 0.9),
        });
        let flood = self
            .result(Scenario::Flood)
            .map(|r| r.lat.summary(Kind::Tokens).p99_us);
        out.push(Check {
            name: "tokens-session p99 during a login flood".into(),
            threshold: "≤ 5 ms".into(),
            measured: flood.map_or("n/a".into(), fmt_us),
            met: flood.map(|p| p <= 5000.0),
        });
        for sc in [Scenario::TokensSession, Scenario::Logout] {
            let v = self
                .result(sc)
                .zip(self.mw(sc))
                .filter(|(a, b)| a.errors() == 0 && b.errors() == 0)
                .map(|(a, b)| a.rps() / b.rps());
            out.push(Check {
                name: format!("{} vs MediaWiki 1.39", sc.name()),
                threshold: "≥ 100×".into(),
                measured: v.map_or("n/a".into(), |v| format!("{v:.0}×")),
                met: v.map(|v| v >= 100.0),
            });
        }
        let b = self.bytes_per_session();
        out.push(Check {
            name: "store bytes per session".into(),
            threshold: "≤ 512 B".into(),
            measured: b.map_or("n/a".into(), |(b, p, _)| {
                format!("{b:.0} B (row payload {p:.0} B)")
            }),
            met: b.map(|(b, _, _)| b <= 512.0),
        });
        let rss = self.rss_sessions;
        out.push(Check {
            name: "server RSS after 100,000 live sessions".into(),
            threshold: "≤ 80 MiB".into(),
            measured: rss.map_or("n/a".into(), |(n, kib)| {
                format!("{:.1} MiB ({n} sessions)", kib as f64 / 1024.0)
            }),
            // Fewer sessions than the target's 100,000 prove nothing either way.
            met: rss
                .filter(|(n, _)| *n >= 100_000)
                .map(|(_, kib)| kib <= 80 * 1024),
        });
        let worst = self
            .startup
            .iter()
            .chain(self.startup_fresh.iter())
            .max()
            .copied();
        out.push(Check {
            name: "start-up to first answered request".into(),
            threshold: "≤ 100 ms".into(),
            measured: worst.map_or("n/a".into(), |d| {
                format!(
                    "{:.1} ms (worst of {})",
                    ms(d),
                    self.startup.len() + usize::from(self.startup_fresh.is_some())
                )
            }),
            met: worst.map(|d| d <= Duration::from_millis(100)),
        });
        out
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{BEGIN}");
        let _ = writeln!(s, "## Run\n");
        let _ = writeln!(s, "- Date: {}", self.date);
        let _ = writeln!(s, "- Command: `{}`", self.command);
        let _ = writeln!(s, "- Commit: {}", self.commit);
        let m = &self.machine;
        let _ = writeln!(
            s,
            "- Machine: {} cores (nproc), {}, {} memory, Linux {}",
            m.cores, m.cpu, m.memory, m.kernel
        );
        let _ = writeln!(
            s,
            "- Load average (1, 5, 15 min): {} before, {} after",
            self.load_before, self.load_after
        );
        for (k, v) in &self.settings {
            let _ = writeln!(s, "- {k}: {v}");
        }
        self.render_results(&mut s);
        self.render_other(&mut s);
        let _ = writeln!(s, "\n## Targets\n");
        let _ = writeln!(s, "| target | threshold | measured | |");
        let _ = writeln!(s, "|---|---|---|---|");
        for c in self.checks() {
            let mark = match c.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "not measured",
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {mark} |",
                c.name, c.threshold, c.measured
            );
        }
        let _ = writeln!(s, "{END}");
        s
    }

    fn render_results(&self, s: &mut String) {
        let _ = writeln!(s, "\n## Results\n");
        let _ = writeln!(s, "Requests/s count answered requests over the timed phase (set-up excluded); latencies are per request. The baseline is measured right before and right after each of tokens-anon, tokens-session, userinfo-session and logout (baseline rows in the order taken); each of those is compared with the better of its two, the others with the run's best.\n");
        let _ = writeln!(s, "| scenario | server | conns | requests | errors | req/s | ops/s | p50 | p99 | p99.9 | × baseline | × MediaWiki |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
        for r in self
            .baseline
            .iter()
            .chain(&self.results)
            .chain(&self.mediawiki)
        {
            let h = r.headline();
            let base = match r.scenario {
                // Each baseline measurement against the run's best.
                Scenario::Baseline => self.baseline_rps(),
                sc => self.baseline_for(sc),
            };
            let xb = match (base, r.scenario) {
                (Some(b), sc) if sc != Scenario::Flood => format!("{:.2}", Self::rate(r) / b),
                _ => String::new(),
            };
            let xmw = match (r.label == self.target_label, self.mw(r.scenario)) {
                (true, Some(mw)) if Self::rate(mw) > 0.0 => {
                    format!("{:.0}", Self::rate(r) / Self::rate(mw))
                }
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {:.0} | {:.0} | {} | {} | {} | {xb} | {xmw} |",
                r.scenario.name(),
                r.label,
                r.connections,
                r.requests(),
                r.errors(),
                Self::rate(r),
                r.ops_per_s(),
                fmt_us(h.p50_us),
                fmt_us(h.p99_us),
                fmt_us(h.p999_us),
            );
        }
        let _ = writeln!(s, "\nFor `flood` the rate is logins/s and the latencies are those of the paced tokens-session requests. Scenarios:\n");
        for sc in Scenario::API {
            let _ = writeln!(s, "- `{}`: {}", sc.name(), sc.describe());
        }
        let _ = writeln!(s, "\n### CPU per request\n");
        let _ = writeln!(s, "CPU time (user + system) used during the timed phase, divided by the answered requests: the server process (from /proc/PID/stat; only for servers this tool started), with the part of it spent in the kernel (stime: sockets, wake-ups, scheduling), and the load generator (getrusage). On 2 cores, their sum bounds the request rate.\n");
        let _ = writeln!(
            s,
            "| scenario | server | server µs/req | of it in the kernel | load generator µs/req |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for r in self
            .baseline
            .iter()
            .chain(&self.results)
            .chain(&self.mediawiki)
        {
            let (server, client) = r.cpu_per_request();
            let server = server.map_or("n/a".into(), |v| format!("{v:.1}"));
            let kernel = r
                .server_kernel_per_request()
                .map_or("n/a".into(), |v| format!("{v:.1}"));
            let _ = writeln!(
                s,
                "| {} | {} | {server} | {kernel} | {client:.1} |",
                r.scenario.name(),
                r.label
            );
        }
        let _ = writeln!(s, "\n### Per request kind\n");
        let _ = writeln!(
            s,
            "| scenario | server | request | count | req/s | p50 | p99 | p99.9 | max | errors |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
        for r in self.results.iter().chain(&self.mediawiki) {
            let kinds = r.lat.kinds();
            if kinds.len() < 2 {
                continue;
            }
            for k in kinds {
                let x = r.lat.summary(k);
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                    r.scenario.name(),
                    r.label,
                    k.name(),
                    x.count,
                    r.kind_rps(k),
                    fmt_us(x.p50_us),
                    fmt_us(x.p99_us),
                    fmt_us(x.p999_us),
                    fmt_us(x.max_us),
                    r.lat.errors(k)
                );
            }
        }
        let errs: Vec<_> = self
            .baseline
            .iter()
            .chain(&self.results)
            .chain(&self.mediawiki)
            .filter_map(|r| r.first_error.as_ref().map(|e| (r, e)))
            .collect();
        if !self.failures.is_empty() {
            let _ = writeln!(s, "\nScenarios that could not run:\n");
            for f in &self.failures {
                let _ = writeln!(s, "- `{}`", f.replace('`', "'"));
            }
        }
        if !errs.is_empty() {
            let _ = writeln!(s, "\nFirst error of each scenario that had one:\n");
            for (r, e) in errs {
                let _ = writeln!(
                    s,
                    "- {} on {}: `{}`",
                    r.scenario.name(),
                    r.label,
                    e.replace('`', "'")
                );
            }
        }
    }

    fn render_other(&self, s: &mut String) {
        let _ = writeln!(s, "\n## Other measurements\n");
        if let Some(h) = self.hash_rate {
            let when = match self.hash_rate_after {
                Some(a) => format!(
                    " right before the login phase, {:.1} right after it (the login ratio uses the mean, {:.1})",
                    a.per_second,
                    self.raw_hashes_per_second().unwrap_or(h.per_second)
                ),
                None => String::new(),
            };
            let _ = writeln!(
                s,
                "- Raw PBKDF2-SHA512 (30000 rounds, 64 bytes) on {} threads: {:.1} hashes/s ({:.2} ms of CPU per hash){when}",
                h.threads,
                h.per_second,
                h.threads as f64 * 1000.0 / h.per_second
            );
        }
        if let Some(d) = self.startup_fresh {
            let _ = writeln!(
                s,
                "- Start-up to first answered request, new data directory: {:.1} ms",
                ms(d)
            );
        }
        if !self.startup.is_empty() {
            let mut v: Vec<f64> = self.startup.iter().map(|d| ms(*d)).collect();
            v.sort_by(f64::total_cmp);
            let list: Vec<String> = v.iter().map(|x| format!("{x:.1}")).collect();
            let _ = writeln!(s, "- Start-up to first answered request, existing data directory: median {:.1} ms (runs: {} ms)", v[v.len() / 2], list.join(", "));
        }
        if let Some(kib) = self.rss_idle_kib {
            let _ = writeln!(
                s,
                "- Server VmRSS at idle after start: {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
        if let Some((n, kib)) = self.rss_sessions {
            let _ = writeln!(
                s,
                "- Server VmRSS with {n} live sessions (after the logout set-up): {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
        if let Some(kib) = self.hwm_kib {
            let _ = writeln!(
                s,
                "- Server VmHWM (peak RSS) over the whole run: {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
        if let (Some((b, p, n)), Some((_, after))) = (self.bytes_per_session(), self.store) {
            let _ = writeln!(
                s,
                "- Session store: {n} sessions added {:.0} bytes each to the SQLite file and its session log (pages in use, WAL included, and log files; payload of id, data and expiry {:.0} bytes); both now {:.1} MiB for {} sessions",
                b,
                p,
                after.bytes as f64 / 1048576.0,
                after.sessions
            );
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Puts the generated block into `existing` (replacing the previous one), or makes a new
/// report around it.
pub fn merge(existing: Option<&str>, block: &str) -> String {
    merge_between(existing, BEGIN, END, block)
}

/// [`merge`] for a block between other markers (`mwauth-bench front-door`'s).
pub fn merge_between(existing: Option<&str>, begin: &str, end: &str, block: &str) -> String {
    if let Some(text) = existing {
        if let (Some(a), Some(b)) = (text.find(begin), text.find(end)) {
            if a < b {
                let mut out = String::with_capacity(text.len() + block.len());
                out.push_str(&text[..a]);
                out.push_str(block.trim_end());
                out.push_str(&text[b + end.len()..]);
                return out;
            }
        }
        return format!("{}\n\n{block}", text.trim_end());
    }
    format!(
        "# mwauth benchmark report\n\nWritten by `mwauth-bench run` (bench/). Everything between the markers below is \
         rewritten by each run; notes outside them are kept.\n\n{block}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Latencies;

    fn result(sc: Scenario, label: &str, n: u64, secs: f64) -> ScenarioResult {
        let mut lat = Latencies::default();
        let kind = if sc == Scenario::Baseline {
            Kind::Baseline
        } else {
            Kind::Tokens
        };
        for _ in 0..n {
            lat.record(kind, Duration::from_micros(100));
        }
        ScenarioResult {
            scenario: sc,
            label: label.into(),
            connections: 4,
            elapsed: Duration::from_secs_f64(secs),
            ops: n,
            lat,
            first_error: None,
            reconnects: 0,
            prepared: 0,
            setup: Duration::ZERO,
            server_cpu: Some(crate::process::CpuTimes {
                user: Duration::from_micros(12 * n),
                system: Duration::from_micros(8 * n),
            }),
            client_cpu: Duration::from_micros(5 * n),
        }
    }

    #[test]
    fn ratios_use_the_best_baseline_and_mediawiki() {
        let r = Report {
            target_label: "mwauth".into(),
            baseline: vec![
                result(Scenario::Baseline, "baseline", 1000, 1.0),
                result(Scenario::Baseline, "baseline", 900, 1.0),
            ],
            results: vec![result(Scenario::TokensSession, "mwauth", 700, 1.0)],
            mediawiki: vec![result(Scenario::TokensSession, "mediawiki", 5, 1.0)],
            ..Report::default()
        };
        assert_eq!(r.baseline_rps(), Some(1000.0));
        let checks = r.checks();
        let ts = checks
            .iter()
            .find(|c| c.name == "tokens-session vs baseline")
            .unwrap();
        assert_eq!(
            (ts.measured.as_str(), ts.met),
            ("0.70× (0.70× of the run's best)", Some(true))
        );
        let mw = checks
            .iter()
            .find(|c| c.name == "tokens-session vs MediaWiki 1.39")
            .unwrap();
        assert_eq!((mw.measured.as_str(), mw.met), ("140×", Some(true)));
        let ui = checks
            .iter()
            .find(|c| c.name == "userinfo-session vs baseline")
            .unwrap();
        assert_eq!(ui.met, None);
        let text = r.render();
        assert!(
            text.contains("| tokens-session | mwauth | 4 | 700 | 0 | 700 |"),
            "{text}"
        );
        assert!(text.contains("| 0.70 | 140 |"), "{text}");
        // CPU per request: 20 µs of server CPU, 8 of them in the kernel; 5 for the client.
        assert!(
            text.contains("| tokens-session | mwauth | 20.0 | 8.0 | 5.0 |"),
            "{text}"
        );
    }

    /// A scenario measured between two baseline measurements is compared with the better
    /// of those two, not with a faster one taken minutes apart; the run's best is shown too.
    #[test]
    fn a_bracketed_scenario_is_compared_with_the_baseline_beside_it() {
        let r = Report {
            target_label: "mwauth".into(),
            baseline: vec![
                result(Scenario::Baseline, "baseline", 1400, 1.0),
                result(Scenario::Baseline, "baseline", 1000, 1.0),
                result(Scenario::Baseline, "baseline", 1100, 1.0),
            ],
            beside: vec![(Scenario::TokensSession, 1100.0)],
            results: vec![
                result(Scenario::TokensSession, "mwauth", 770, 1.0),
                result(Scenario::UserinfoSession, "mwauth", 770, 1.0),
            ],
            ..Report::default()
        };
        assert_eq!(r.baseline_for(Scenario::TokensSession), Some(1100.0));
        // Not bracketed: the run's best.
        assert_eq!(r.baseline_for(Scenario::UserinfoSession), Some(1400.0));
        let checks = r.checks();
        let find = |name: &str| checks.iter().find(|c| c.name == name).unwrap();
        let ts = find("tokens-session vs baseline");
        assert_eq!(
            (ts.measured.as_str(), ts.met),
            ("0.70× (0.55× of the run's best)", Some(true))
        );
        let ui = find("userinfo-session vs baseline");
        assert_eq!(ui.met, Some(false));
        let text = r.render();
        assert!(text.contains("| 770 | 770 |"), "{text}");
        assert!(text.contains("| 0.70 |  |"), "{text}");
    }

    #[test]
    fn merge_keeps_notes_around_the_generated_block() {
        let first = merge(None, &format!("{BEGIN}\nold\n{END}\n"));
        let edited = format!("{first}\n## Analysis\nkept\n");
        let again = merge(Some(&edited), &format!("{BEGIN}\nnew\n{END}\n"));
        assert!(again.contains("new") && !again.contains("old"));
        assert!(again.ends_with("## Analysis\nkept\n"));
        assert!(again.starts_with("# mwauth benchmark report"));
    }
}
