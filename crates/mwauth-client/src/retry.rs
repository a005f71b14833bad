//! When and how long to wait before sending a request again.
//!
//! Two answers mean "not now, later" rather than "no": MediaWiki's `maxlag` error (the
//! replicas lag more than the client's `maxlag` parameter allows; in 1.39 the answer's
//! `Retry-After` is that parameter, at least 5 seconds), and HTTP 503 (the wiki or a proxy
//! in front of it is overloaded or in maintenance). Both are safe to repeat, even for
//! a POST: MediaWiki checks maxlag before running the module, and a 503 from the front never
//! reached it. API:Etiquette asks clients to wait and retry, a bounded number of times.

use std::time::Duration;

/// How many times, and how long, to wait before giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// The first wait after a 503 without `Retry-After`; doubled on each further retry.
    pub initial_backoff: Duration,
    /// No single wait is longer, whatever `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries; 1 s, 2 s, 4 s after a bare 503; never more than 60 s at once.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Why a response may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retryable {
    Maxlag,
    Unavailable,
}

/// What MediaWiki 1.39 sends when a maxlag answer lacks `Retry-After` (it never should).
const MAXLAG_DEFAULT_WAIT: Duration = Duration::from_secs(5);

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first), or `None` when the retries are
    /// used up. `retry_after` is the response's `Retry-After` in seconds, honoured when given.
    pub(crate) fn delay(
        &self,
        why: Retryable,
        retry: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let wait = match (why, retry_after) {
            (_, Some(given)) => given,
            (Retryable::Maxlag, None) => MAXLAG_DEFAULT_WAIT,
            (Retryable::Unavailable, None) => self
                .initial_backoff
                .saturating_mul(2u32.saturating_pow(retry)),
        };
        Some(wait.min(self.max_delay))
    }
}

/// `Retry-After` as delay-seconds (the form MediaWiki sends); an HTTP-date is ignored.
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_503_backs_off_exponentially_then_gives_up() {
        let p = RetryPolicy::default();
        let waits: Vec<_> = (0..4)
            .map(|n| p.delay(Retryable::Unavailable, n, None))
            .collect();
        assert_eq!(
            waits,
            vec![
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(4)),
                None
            ]
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy {
            max_delay: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let after = Some(Duration::from_secs(7));
        assert_eq!(
            p.delay(Retryable::Maxlag, 0, after),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            p.delay(Retryable::Unavailable, 2, Some(Duration::from_secs(120))),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            p.delay(Retryable::Maxlag, 0, None),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn zero_retries_never_waits() {
        let p = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(Retryable::Maxlag, 0, None), None);
    }

    #[test]
    fn retry_after_http_date_is_ignored() {
        assert_eq!(parse_retry_after(Some(" 5 ")), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }
}
