//! Latency histograms (HDR: 3 significant digits from 1 µs to 2 minutes) per kind of request,
//! and the shared counters the progress line reads.

use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What one request was, so that multi-step scenarios report each step on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Baseline,
    TokensAnon,
    Tokens,
    Userinfo,
    LoginToken,
    Login,
    CsrfToken,
    Logout,
    BadLogin,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Baseline,
        Kind::TokensAnon,
        Kind::Tokens,
        Kind::Userinfo,
        Kind::LoginToken,
        Kind::Login,
        Kind::CsrfToken,
        Kind::Logout,
        Kind::BadLogin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Baseline => "baseline",
            Kind::TokensAnon => "meta=tokens (anonymous)",
            Kind::Tokens => "meta=tokens (session)",
            Kind::Userinfo => "meta=userinfo",
            Kind::LoginToken => "meta=tokens&type=login",
            Kind::Login => "action=login",
            Kind::CsrfToken => "meta=tokens (csrf)",
            Kind::Logout => "action=logout",
            Kind::BadLogin => "action=login (wrong password)",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

fn new_histogram() -> Histogram<u64> {
    // Nanosecond values, 1 µs resolution floor, up to 120 s.
    Histogram::new_with_bounds(1_000, 120_000_000_000, 3).expect("valid histogram bounds")
}

/// Latencies of one virtual user (or, merged, of a whole run), one histogram per kind.
#[derive(Clone, Default)]
pub struct Latencies {
    by_kind: Vec<Option<Histogram<u64>>>,
    errors: [u64; Kind::ALL.len()],
}

impl Latencies {
    pub fn record(&mut self, kind: Kind, d: Duration) {
        if self.by_kind.is_empty() {
            self.by_kind = vec![None; Kind::ALL.len()];
        }
        let h = self.by_kind[kind.index()].get_or_insert_with(new_histogram);
        h.saturating_record(d.as_nanos().clamp(1_000, 120_000_000_000) as u64);
    }

    pub fn error(&mut self, kind: Kind) {
        self.errors[kind.index()] += 1;
    }

    pub fn merge(&mut self, other: &Latencies) {
        if self.by_kind.is_empty() {
            self.by_kind = vec![None; Kind::ALL.len()];
        }
        for (i, h) in other.by_kind.iter().enumerate() {
            if let Some(h) = h {
                let mine = self.by_kind[i].get_or_insert_with(new_histogram);
                mine.add(h).expect("same bounds");
            }
        }
        for (a, b) in self.errors.iter_mut().zip(other.errors.iter()) {
            *a += b;
        }
    }

    /// The kinds seen, in a stable order.
    pub fn kinds(&self) -> Vec<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .filter(|k| {
                self.by_kind
                    .get(k.index())
                    .is_some_and(|h| h.as_ref().is_some_and(|h| !h.is_empty()))
                    || self.errors[k.index()] > 0
            })
            .collect()
    }

    pub fn errors(&self, kind: Kind) -> u64 {
        self.errors[kind.index()]
    }

    pub fn total_errors(&self) -> u64 {
        self.errors.iter().sum()
    }

    pub fn summary(&self, kind: Kind) -> Summary {
        match self.by_kind.get(kind.index()) {
            Some(Some(h)) => summarize(h),
            _ => Summary::default(),
        }
    }

    /// All kinds together.
    pub fn overall(&self) -> Summary {
        let mut all = new_histogram();
        for h in self.by_kind.iter().flatten() {
            all.add(h).expect("same bounds");
        }
        summarize(&all)
    }
}

fn summarize(h: &Histogram<u64>) -> Summary {
    if h.is_empty() {
        return Summary::default();
    }
    let us = |ns: u64| ns as f64 / 1000.0;
    Summary {
        count: h.len(),
        mean_us: h.mean() / 1000.0,
        p50_us: us(h.value_at_quantile(0.50)),
        p99_us: us(h.value_at_quantile(0.99)),
        p999_us: us(h.value_at_quantile(0.999)),
        max_us: us(h.max()),
    }
}

/// Counters every virtual user bumps, read once a second by the progress line.
#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub latency_ns: AtomicU64,
}

impl Counters {
    pub fn add(&self, d: Duration, ok: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.latency_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
            self.latency_ns.load(Ordering::Relaxed),
        )
    }
}

/// `1.23 ms`, `456 µs`: latencies as the report and the progress line show them.
pub fn fmt_us(us: f64) -> String {
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut l = Latencies::default();
        // 1..=1000 µs, once each.
        for i in 1..=1000u64 {
            l.record(Kind::Tokens, Duration::from_micros(i));
        }
        let s = l.summary(Kind::Tokens);
        assert_eq!(s.count, 1000);
        assert!((s.p50_us - 500.0).abs() <= 1.0, "{s:?}");
        assert!((s.p99_us - 990.0).abs() <= 1.0, "{s:?}");
        assert!((s.p999_us - 999.0).abs() <= 1.0, "{s:?}");
        assert!((s.max_us - 1000.0).abs() <= 1.0, "{s:?}");
        assert!((s.mean_us - 500.5).abs() <= 1.0, "{s:?}");
    }

    #[test]
    fn merging_keeps_kinds_apart_and_adds_errors() {
        let mut a = Latencies::default();
        let mut b = Latencies::default();
        a.record(Kind::Login, Duration::from_millis(12));
        b.record(Kind::Login, Duration::from_millis(14));
        b.record(Kind::Logout, Duration::from_micros(80));
        b.error(Kind::Logout);
        a.merge(&b);
        assert_eq!(a.kinds(), vec![Kind::Login, Kind::Logout]);
        assert_eq!(a.summary(Kind::Login).count, 2);
        assert_eq!(a.overall().count, 3);
        assert_eq!(a.total_errors(), 1);
        // Sub-microsecond values land in the lowest bucket instead of being lost.
        a.record(Kind::Tokens, Duration::from_nanos(10));
        assert_eq!(a.summary(Kind::Tokens).count, 1);
    }

    #[test]
    fn formats_latencies() {
        assert_eq!(fmt_us(412.4), "412 µs");
        assert_eq!(fmt_us(1234.0), "1.23 ms");
        assert_eq!(fmt_us(15_430.0), "15.4 ms");
    }
}
