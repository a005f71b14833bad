//! `mwauth-bench passthrough`: the time mwauth adds to a request it passes to its upstream
//! wiki. The same request goes, in turns, straight to the wiki and through mwauth (each on
//! one keep-alive connection of its own, one at a time, so nothing queues), and the two
//! latency distributions are compared: the added time at p50 and p99 is the difference of
//! the two percentiles. The client is hyper's, the same for both, so its cost cancels out.

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
            "| `{}` | {} | {:.0} µs / {:.0} µs | {:.0} µs / {:.0} µs | **{:.0} µs** | **{:.0} µs** | {} |",
            self.path,
            self.direct.0.len(),
            us(self.direct.quantile(0.5)),
            us(self.direct.quantile(0.99)),
            us(self.through.quantile(0.5)),
            us(self.through.quantile(0.99)),
            p50,
            p99,
            self.mismatches
        )
    }

    pub const HEADER: &'static str = "| request | per side | straight p50 / p99 | through mwauth p50 / p99 | added p50 | added p99 | mismatches |\n| --- | --- | --- | --- | --- | --- | --- |";
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One GET, its body read; its status and time.
async fn once(
    sender: &mut SendRequest<Empty<Bytes>>,
    host: &str,
    path: &str,
) -> anyhow::Result<(u16, Duration)> {
    let req = Request::get(path)
        .header("Host", host)
        .body(Empty::<Bytes>::new())?;
    let started = Instant::now();
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    let status = res.status().as_u16();
    res.into_body().collect().await?;
    Ok((status, started.elapsed()))
}

/// `requests` GETs of `path` each way, after `warmup` each way unmeasured.
pub async fn measure(
    direct: SocketAddr,
    through: SocketAddr,
    path: &str,
    requests: usize,
    warmup: usize,
) -> anyhow::Result<PassResult> {
    let host = direct.to_string();
    let mut d = connect(direct).await?;
    let mut t = connect(through).await?;
    let mut out = PassResult {
        path: path.to_string(),
        direct: Latencies(Vec::with_capacity(requests)),
        through: Latencies(Vec::with_capacity(requests)),
        mismatches: 0,
    };
    for i in 0..warmup + requests {
        // A connection the wiki closed (Apache's MaxKeepAliveRequests) is opened again.
        if d.is_closed() {
            d = connect(direct).await?;
        }
        if t.is_closed() {
            t = connect(through).await?;
        }
        // Alternate which side goes first, so that neither always meets a warmer cache.
        let (a, b) = if i % 2 == 0 {
            let a = once(&mut d, &host, path).await;
            (a, once(&mut t, &host, path).await)
        } else {
            let b = once(&mut t, &host, path).await;
            (once(&mut d, &host, path).await, b)
        };
        match (a, b) {
            (Ok((sa, ta)), Ok((sb, tb))) => {
                if sa != sb {
                    out.mismatches += 1;
                }
                if i >= warmup {
                    out.direct.0.push(ta.as_nanos() as u64);
                    out.through.0.push(tb.as_nanos() as u64);
                }
            }
            _ => {
                out.mismatches += 1;
                d = connect(direct).await?;
                t = connect(through).await?;
            }
        }
    }
    out.direct.0.sort_unstable();
    out.through.0.sort_unstable();
    Ok(out)
}
