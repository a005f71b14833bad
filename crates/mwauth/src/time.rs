//! Clock and MediaWiki's timestamp formats.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A monotonic clock for what expires after a while in memory (the user cache): the
/// system's, or a held one that moves only when a test calls [`Clock::advance`], so that a
/// test of "fresh until the TTL has passed" does not race the machine's load.
#[derive(Clone, Default)]
pub struct Clock {
    held: Option<Arc<Held>>,
}

struct Held {
    origin: Instant,
    advanced_ns: AtomicU64,
}

impl Clock {
    /// The system's monotonic clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stands still until [`Clock::advance`] moves it.
    pub fn held() -> Clock {
        Clock {
            held: Some(Arc::new(Held {
                origin: Instant::now(),
                advanced_ns: AtomicU64::new(0),
            })),
        }
    }

    pub fn now(&self) -> Instant {
        match &self.held {
            None => Instant::now(),
            Some(h) => h.origin + Duration::from_nanos(h.advanced_ns.load(Ordering::Acquire)),
        }
    }

    /// Moves a held clock forward by `by`; the system's clock moves by itself, so there it
    /// does nothing.
    pub fn advance(&self, by: Duration) {
        if let Some(h) = &self.held {
            let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            h.advanced_ns.fetch_add(ns, Ordering::AcqRel);
        }
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parts(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = civil(unix.div_euclid(86400));
    let s = unix.rem_euclid(86400);
    (y, m, d, s / 3600, s % 3600 / 60, s % 60)
}

/// `TS_MW`: the 14-digit form MediaWiki stores in its tables.
pub fn ts_mw(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(unix);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// `TS_ISO_8601`: what the API shows.
pub fn ts_iso(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// 14-digit `TS_MW` to ISO 8601; `None` when malformed.
pub fn mw_to_iso(ts: &str) -> Option<String> {
    if ts.len() != 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &ts[0..4],
        &ts[4..6],
        &ts[6..8],
        &ts[8..10],
        &ts[10..12],
        &ts[12..14]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(ts_mw(0), "19700101000000");
        assert_eq!(ts_iso(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(ts_mw(951_782_400), "20000229000000");
        assert_eq!(mw_to_iso("20261125211954").unwrap(), "2026-11-25T21:19:54Z");
        assert!(mw_to_iso("2026").is_none());
    }

    #[test]
    fn a_held_clock_moves_only_when_advanced() {
        let clock = Clock::held();
        let start = clock.now();
        std::thread::yield_now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - start, Duration::from_millis(1500));
    }
}
