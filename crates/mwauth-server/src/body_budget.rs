//! A cap on the request-body bytes the server reads at once, over all connections.
//!
//! A body is held in memory while it arrives (up to `max_body_bytes`, 8 MiB by default, and
//! about twice that while its buffer grows), and a client decides how slowly it arrives: any
//! number of connections each dribbling a large body would pin any amount of memory. So a
//! body larger than [`UNCOUNTED_BODY_BYTES`] is read only once it has a [`BodyPermit`] for
//! its length (its `Content-Length`, or `max_body_bytes` for a chunked one) from the server's
//! one [`BodyBudget`]; when the budget is spent the request is answered [`overloaded`] (503
//! with `Retry-After`, as a web server in front of an overloaded MediaWiki answers) without
//! reading its body, and the connection is closed.
//!
//! The budget is [`BODIES_AT_ONCE`] bodies of the largest size. Bodies up to
//! [`UNCOUNTED_BODY_BYTES`] — every login, token and logout — are not counted: what one
//! takes is of the order of a connection's own buffers, and they are read on the fast path
//! ([`crate::conn`]), which hands larger ones to the reader that takes permits.

use mwauth::request::ApiResponse;
use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Bodies up to this many bytes are read without a permit.
pub const UNCOUNTED_BODY_BYTES: usize = 64 * 1024;

/// How many bodies of `max_body_bytes` the budget holds at once.
pub const BODIES_AT_ONCE: usize = 8;

/// Seconds a refused client is asked to wait (`Retry-After`).
const RETRY_AFTER_SECONDS: &str = "5";

/// The bytes of request bodies being read, and their limit.
#[derive(Debug)]
pub struct BodyBudget {
    in_use: Arc<AtomicUsize>,
    limit: usize,
}

/// Bytes taken from a [`BodyBudget`]; given back when dropped.
#[derive(Debug)]
pub struct BodyPermit {
    in_use: Arc<AtomicUsize>,
    bytes: usize,
}

impl BodyBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> BodyBudget {
        BodyBudget {
            in_use: Arc::new(AtomicUsize::new(0)),
            limit,
        }
    }

    /// The budget of a server whose bodies are at most `max_body_bytes`: [`BODIES_AT_ONCE`]
    /// of the largest (64 MiB with the default 8 MiB).
    pub fn for_max_body(max_body_bytes: usize) -> BodyBudget {
        BodyBudget::new(max_body_bytes.saturating_mul(BODIES_AT_ONCE))
    }

    /// A permit for a body of `bytes`, or `None` when the budget has not that much left.
    /// A body of at most [`UNCOUNTED_BODY_BYTES`] always gets one, for nothing.
    pub fn take(&self, bytes: usize) -> Option<BodyPermit> {
        if bytes <= UNCOUNTED_BODY_BYTES {
            return Some(BodyPermit {
                in_use: self.in_use.clone(),
                bytes: 0,
            });
        }
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&after| after <= self.limit)
            })
            .ok()?;
        Some(BodyPermit {
            in_use: self.in_use.clone(),
            bytes,
        })
    }

    /// The bytes the permits out now hold.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }
}

impl Drop for BodyPermit {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
        }
    }
}

/// The answer to a request whose body the budget has no room for: 503 Service Unavailable
/// with `Retry-After`, and the connection closed (its body is not read).
pub fn overloaded() -> ApiResponse {
    ApiResponse {
        status: 503,
        headers: vec![
            (
                Cow::Borrowed("Content-Type"),
                Cow::Borrowed("text/plain; charset=utf-8"),
            ),
            (
                Cow::Borrowed("Retry-After"),
                Cow::Borrowed(RETRY_AFTER_SECONDS),
            ),
            (Cow::Borrowed("Connection"), Cow::Borrowed("close")),
        ],
        body: b"The server is busy receiving other requests. Please try again shortly.\n".to_vec(),
        ran: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn permits_are_taken_up_to_the_limit_and_given_back_when_dropped() {
        let budget = BodyBudget::for_max_body(8 * MIB);
        let held: Vec<BodyPermit> = (0..BODIES_AT_ONCE)
            .map(|_| budget.take(8 * MIB).expect("room for eight"))
            .collect();
        assert_eq!(budget.in_use(), 64 * MIB);
        assert!(budget.take(8 * MIB).is_none(), "a ninth 8 MiB body");
        assert!(budget.take(UNCOUNTED_BODY_BYTES + 1).is_none());
        // Small bodies are never refused and never counted.
        let small = budget
            .take(UNCOUNTED_BODY_BYTES)
            .expect("small bodies pass");
        assert_eq!(budget.in_use(), 64 * MIB);
        drop(small);
        drop(held);
        assert_eq!(budget.in_use(), 0);
        assert!(budget.take(8 * MIB).is_some());
        assert_eq!(budget.in_use(), 0, "the permit above was dropped at once");
    }

    #[test]
    fn a_body_larger_than_the_whole_budget_is_refused_without_overflow() {
        let budget = BodyBudget::new(MIB);
        assert!(budget.take(MIB + 1).is_none());
        assert!(budget.take(usize::MAX).is_none());
        let one = budget.take(MIB).unwrap();
        assert!(budget.take(usize::MAX - 1).is_none());
        drop(one);
        assert_eq!(budget.in_use(), 0);
        assert_eq!(BodyBudget::for_max_body(usize::MAX).limit, usize::MAX);
    }

    #[test]
    fn permits_from_many_threads_never_exceed_the_limit() {
        let budget = Arc::new(BodyBudget::new(10 * MIB));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || {
                    for _ in 0..2000 {
                        if let Some(p) = budget.take(3 * MIB) {
                            assert!(budget.in_use() <= 10 * MIB);
                            drop(p);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn the_refusal_is_a_503_that_asks_to_retry_and_closes() {
        let r = overloaded();
        assert_eq!(r.status, 503);
        assert_eq!(r.header("Retry-After"), Some(RETRY_AFTER_SECONDS));
        assert_eq!(r.header("Connection"), Some("close"));
    }
}
