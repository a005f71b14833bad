//! MediaWiki's CSRF-style tokens (includes/session/Token.php).
//!
//! A token is `hex(HMAC-MD5(secret, decimal_timestamp ++ salt))`, then the timestamp in
//! lowercase hex, then the suffix `+\`. The suffix makes clients that mangle form encoding
//! fail loudly. Verification recomputes the HMAC at the token's own timestamp and compares
//! in constant time.

use hmac::{Hmac, Mac};
use md5::Md5;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

pub const SUFFIX: &str = "+\\";

/// The csrf token of an anonymous user (LoggedOutEditToken): the same for everyone, so a
/// logged-out client can still complete "edit"-style flows that MediaWiki allows anonymously.
pub const ANON_TOKEN: &str = "+\\";

/// A session's token secret, ready to sign with: HMAC-MD5 hashes the key's two padded blocks
/// once, on first use, instead of for every token (half the MD5 work of a token).
#[derive(Clone, Default)]
pub struct Secret {
    text: String,
    keyed: OnceLock<Box<Hmac<Md5>>>,
}

impl Secret {
    pub fn new(text: String) -> Secret {
        Secret {
            text,
            keyed: OnceLock::new(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn mac(&self) -> Hmac<Md5> {
        Hmac::clone(self.keyed.get_or_init(|| Box::new(keyed(&self.text))))
    }

    /// [`token_at`] with this secret.
    pub fn token_at(&self, salt: &str, timestamp: i64) -> String {
        sign(self.mac(), salt, timestamp)
    }

    /// [`matches`] with this secret.
    pub fn matches(&self, salt: &str, given: &str, max_age: Option<i64>, now: i64) -> bool {
        matches_with(given, max_age, now, |ts| self.token_at(salt, ts))
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.text == other.text
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

fn keyed(secret: &str) -> Hmac<Md5> {
    Hmac::<Md5>::new_from_slice(secret.as_bytes()).expect("hmac takes any key")
}

pub fn token_at(secret: &str, salt: &str, timestamp: i64) -> String {
    sign(keyed(secret), salt, timestamp)
}

fn sign(mut mac: Hmac<Md5>, salt: &str, timestamp: i64) -> String {
    use std::fmt::Write as _;
    mac.update(itoa::Buffer::new().format(timestamp).as_bytes());
    mac.update(salt.as_bytes());
    let mut hexed = [0u8; 32];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut hexed).expect("16 bytes, 32 digits");
    let mut out = String::with_capacity(hexed.len() + 16 + SUFFIX.len());
    out.push_str(std::str::from_utf8(&hexed).expect("hex digits"));
    let _ = write!(out, "{timestamp:x}{SUFFIX}");
    out
}

/// The timestamp a token claims, when it has MediaWiki's shape: 32 hex digits of HMAC, at
/// least one hex digit of time, then `+\`.
pub fn timestamp_of(token: &str) -> Option<i64> {
    let body = token.strip_suffix(SUFFIX)?;
    if body.len() <= 32 || !body.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let hex_time = &body[32..];
    // PHP's hexdec saturates into a float for huge values; such a token can never match.
    if hex_time.len() > 15 {
        return Some(i64::MAX);
    }
    i64::from_str_radix(hex_time, 16).ok()
}

/// Token::match: `max_age` bounds how old the token may be, in seconds.
pub fn matches(secret: &str, salt: &str, given: &str, max_age: Option<i64>, now: i64) -> bool {
    matches_with(given, max_age, now, |ts| token_at(secret, salt, ts))
}

fn matches_with(
    given: &str,
    max_age: Option<i64>,
    now: i64,
    token_at: impl FnOnce(i64) -> String,
) -> bool {
    let Some(ts) = timestamp_of(given) else {
        return false;
    };
    if ts == i64::MAX {
        return false;
    }
    if let Some(age) = max_age {
        // `maxtokenage` is the client's integer: PHP's `time() - $maxAge` turns into a float
        // instead of wrapping, so an extreme age (i64::MIN) must make every token too old,
        // never wrap round into "valid" (or panic with overflow checks on).
        if ts < now.saturating_sub(age) {
            return false;
        }
    }
    constant_time_eq(&token_at(ts), given)
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from MediaWiki's own class:
    // php -r 'require "includes/session/Token.php"; …toStringAtTimestamp(1700000000)' with secret
    // "0123456789abcdef0123456789abcdef", timestamp 1700000000.
    /// A Secret signs and checks exactly as the plain functions do, its first token and the
    /// ones made from its kept key schedule alike.
    #[test]
    fn a_kept_secret_signs_like_the_plain_functions() {
        let text = "0123456789abcdef0123456789abcdef";
        let secret = Secret::new(text.to_string());
        for (salt, ts) in [("", 1_700_000_000), ("login", 1_700_000_001), ("", 5)] {
            let made = secret.token_at(salt, ts);
            assert_eq!(made, token_at(text, salt, ts));
            assert!(secret.matches(salt, &made, None, ts));
            assert!(matches(text, salt, &made, Some(10), ts + 3));
            assert!(!secret.matches("other", &made, None, ts));
        }
        assert_eq!(secret.clone().token_at("", 9), token_at(text, "", 9));
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }

    #[test]
    fn matches_mediawiki_vectors() {
        let secret = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            token_at(secret, "", 1_700_000_000),
            "094caa084be50ea1dbabc4fdbec8daaa6553f100+\\"
        );
        assert_eq!(
            token_at(secret, "watch", 1_700_000_000),
            "56ecb04b814c67e53356634700e992a96553f100+\\"
        );
    }

    #[test]
    fn token_round_trips_and_rejects_tampering() {
        let t = token_at("s3cret", "patrol", 1234);
        assert!(matches("s3cret", "patrol", &t, None, 2000));
        assert!(!matches("s3cret", "", &t, None, 2000));
        assert!(!matches("other", "patrol", &t, None, 2000));
        assert!(!matches("s3cret", "patrol", &t, Some(100), 2000));
        assert!(!matches("s3cret", "patrol", "+\\", None, 2000));
        assert!(!matches(
            "s3cret",
            "patrol",
            &t.replace("+\\", "%2B%5C"),
            None,
            2000
        ));
    }

    #[test]
    fn extreme_max_age_never_wraps_into_valid() {
        let t = token_at("s3cret", "", 1_700_000_000);
        // As MediaWiki answers checktoken with maxtokenage=-9223372036854775808: expired.
        assert!(!matches("s3cret", "", &t, Some(i64::MIN), 1_700_000_100));
        assert!(!matches(
            "s3cret",
            "",
            &t,
            Some(i64::MIN + 1),
            1_700_000_100
        ));
        assert!(matches("s3cret", "", &t, Some(i64::MAX), 1_700_000_100));
    }

    #[test]
    fn timestamp_needs_mediawiki_shape() {
        assert_eq!(
            timestamp_of("0123456789abcdef0123456789abcdef10+\\"),
            Some(16)
        );
        assert_eq!(timestamp_of("0123456789abcdef0123456789abcdef+\\"), None);
        assert_eq!(timestamp_of("0123456789ABCDEF0123456789abcdef10+\\"), None);
        assert_eq!(timestamp_of("abc+\\"), None);
    }
}
