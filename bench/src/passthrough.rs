//! `mwauth-bench passthrough`: the time mwauth adds to a request it passes to its upstream
//! wiki. The same request goes, in turns, straight to the wiki and through mwauth (each on
//! one keep-alive connection of its own, one at a time, so nothing queues), and the two
//! latency distributions are compared: the added time at p50 and p99 is the difference of
//! the two percentiles. The client is hyper's, the same for both, so its cost cancels out.
//!
//! A connection the wiki closes is opened again, and that connect counts in the time of the
//! request that needed it, on both sides: mwauth's pooled connection to the wiki is closed
//! just as often, and its reconnect falls inside a request sent through it.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// One path's latencies, sorted (nanoseconds).
#[derive(Debug, Clone)]
pub struct Latencies(pub Vec<u64>);

impl Latencies {
    /// The `q` quantile (0..=1), nearest rank.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len());
        Duration::from_nanos(self.0[rank - 1])
    }
}

#[derive(Debug, Clone)]
pub struct PassResult {
    pub path: String,
    pub direct: Latencies,
    pub through: Latencies,
    /// Answers whose status differed between the two, or that failed.
    pub mismatches: u64,
    /// Requests sent each way, the warm-up included.
    pub sent: u64,
    /// CPU time of the mwauth process per request passed (user + kernel, µs), when known.
    pub mwauth_cpu_us: Option<f64>,
    /// The noise floor: p50 and p99 of the straight requests of odd turns minus those of
    /// even turns (µs), what "added" reads when nothing is added.
    pub noise_us: (f64, f64),
}

impl PassResult {
    /// p50 and p99 added by mwauth (through minus direct), in microseconds; negative when
    /// noise makes the pass-through look faster.
    pub fn added_us(&self) -> (f64, f64) {
        let us = |q| {
            self.through.quantile(q).as_secs_f64() * 1e6
                - self.direct.quantile(q).as_secs_f64() * 1e6
        };
        (us(0.5), us(0.99))
    }

    pub fn render(&self) -> String {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let (p50, p99) = self.added_us();
        format!(
            "| `{}` | {} | {:.0} µs / {:.0} µs | {:.0} µs / {:.0} µs | **{:.0} µs** | **{:.0} µs** | {:.0} µs / {:.0} µs | {} | {} |",
            self.path,
            self.direct.0.len(),
            us(self.direct.quantile(0.5)),
            us(self.direct.quantile(0.99)),
            us(self.through.quantile(0.5)),
            us(self.through.quantile(0.99)),
            p50,
            p99,
            self.noise_us.0,
            self.noise_us.1,
            self.mismatches,
            self.mwauth_cpu_us.map_or("n/a".into(), |c| format!("{c:.1}"))
        )
    }

    pub const HEADER: &'static str = "| request | per side | straight p50 / p99 | through mwauth p50 / p99 | added p50 | added p99 | noise p50 / p99 | mismatches | mwauth CPU µs/req |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |";
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One side's keep-alive connection, opened again when the server closes it: after an
/// answer with `Connection: close` (Apache's `MaxKeepAliveRequests`, 100 by default; and
/// every index.php page, where MediaWiki says `Connection: close` to run its deferred
/// updates after the answer under mod_php) or a failure.
struct Side {
    addr: SocketAddr,
    sender: Option<SendRequest<Empty<Bytes>>>,
}

impl Side {
    /// One GET, its body read: its status and time, a connect it needed included.
    async fn get(&mut self, host: &str, path: &str) -> anyhow::Result<(u16, Duration)> {
        let started = Instant::now();
        let result = self.send(host, path).await;
        if !matches!(result, Ok((_, true))) {
            self.sender = None;
        }
        Ok((result?.0, started.elapsed()))
    }

    /// The status, and whether the connection stays open.
    async fn send(&mut self, host: &str, path: &str) -> anyhow::Result<(u16, bool)> {
        let sender = match &mut self.sender {
            Some(s) if !s.is_closed() => s,
            _ => self.sender.insert(connect(self.addr).await?),
        };
        let req = Request::get(path)
            .header("Host", host)
            .body(Empty::<Bytes>::new())?;
        sender.ready().await?;
        let res = sender.send_request(req).await?;
        let status = res.status().as_u16();
        let close = res
            .headers()
            .get_all(hyper::header::CONNECTION)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        res.into_body().collect().await?;
        Ok((status, !close))
    }
}

/// `requests` GETs of `path` each way, after `warmup` each way unmeasured; fewer when
/// `deadline` comes first (the result says how many were measured).
pub async fn measure(
    direct: SocketAddr,
    through: SocketAddr,
    path: &str,
    requests: usize,
    warmup: usize,
    deadline: Instant,
) -> anyhow::Result<PassResult> {
    let host = direct.to_string();
    let mut d = Side {
        addr: direct,
        sender: None,
    };
    let mut t = Side {
        addr: through,
        sender: None,
    };
    let mut out = PassResult {
        path: path.to_string(),
        direct: Latencies(Vec::with_capacity(requests)),
        through: Latencies(Vec::with_capacity(requests)),
        mismatches: 0,
        sent: 0,
        mwauth_cpu_us: None,
        noise_us: (0.0, 0.0),
    };
    for i in 0..warmup + requests {
        if Instant::now() >= deadline {
            break;
        }
        out.sent += 1;
        // Alternate which side goes first, so that neither always meets a warmer cache.
        let (a, b) = if i % 2 == 0 {
            let a = d.get(&host, path).await;
            (a, t.get(&host, path).await)
        } else {
            let b = t.get(&host, path).await;
            (d.get(&host, path).await, b)
        };
        match (a, b) {
            (Ok((sa, ta)), Ok((sb, tb))) if sa == sb => {
                if i >= warmup {
                    out.direct.0.push(ta.as_nanos() as u64);
                    out.through.0.push(tb.as_nanos() as u64);
                }
            }
            _ => out.mismatches += 1,
        }
    }
    let halves = |odd: usize| {
        let mut v: Vec<u64> = out.direct.0.iter().skip(odd).step_by(2).copied().collect();
        v.sort_unstable();
        Latencies(v)
    };
    let (even, odd) = (halves(0), halves(1));
    let us = |q| odd.quantile(q).as_secs_f64() * 1e6 - even.quantile(q).as_secs_f64() * 1e6;
    out.noise_us = (us(0.5), us(0.99));
    out.direct.0.sort_unstable();
    out.through.0.sort_unstable();
    Ok(out)
}
