//! MediaWiki tokens (session/token.rs): `timestamp_of` on any string, and `matches` accepts
//! exactly the token `token_at` makes for the same secret, salt and claimed time, and only
//! within `max_age` (which may be any client-chosen integer).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mwauth::session::token::{matches, timestamp_of, token_at, SUFFIX};

const SALTS: &[&str] = &["", "watch", "patrol", "rollback", "userrights"];

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(secret) = <String as Arbitrary>::arbitrary(&mut u) else {
        return;
    };
    let salt = match u.ratio(1, 2) {
        Ok(true) => u.choose(SALTS).map(|s| s.to_string()).unwrap_or_default(),
        _ => String::arbitrary(&mut u).unwrap_or_default(),
    };
    let now: i64 = u.arbitrary().unwrap_or(0);
    let max_age: Option<i64> = u.arbitrary().unwrap_or(None);
    let ts: i64 = u.arbitrary().unwrap_or(0);
    let given = match u.int_in_range(0..=2u8).unwrap_or(0) {
        // A genuine token, possibly with one byte changed.
        0 => {
            let mut t = token_at(&secret, &salt, ts).into_bytes();
            if let (Ok(i), Ok(b)) = (u.choose_index(t.len()), u8::arbitrary(&mut u)) {
                if u.arbitrary().unwrap_or(false) {
                    t[i] = b;
                }
            }
            String::from_utf8_lossy(&t).into_owned()
        }
        1 => format!("{}{SUFFIX}", String::arbitrary(&mut u).unwrap_or_default()),
        _ => u.arbitrary().unwrap_or_default(),
    };

    let claimed = timestamp_of(&given);
    if let Some(t) = claimed {
        assert!(given.ends_with(SUFFIX));
        if t != i64::MAX {
            assert!(t >= 0);
        }
    }
    let expect = match claimed {
        Some(t) if t != i64::MAX => {
            let young = max_age.is_none_or(|age| t >= now.saturating_sub(age));
            young && token_at(&secret, &salt, t) == given
        }
        _ => false,
    };
    assert_eq!(
        matches(&secret, &salt, &given, max_age, now),
        expect,
        "{given:?}"
    );

    // What token_at makes, timestamp_of reads back, and it verifies without an age limit.
    if ts >= 0 {
        let t = token_at(&secret, &salt, ts);
        if format!("{ts:x}").len() <= 15 {
            assert_eq!(timestamp_of(&t), Some(ts));
            assert!(matches(&secret, &salt, &t, None, now));
        }
        assert!(!matches(&format!("{secret}x"), &salt, &t, None, now));
    }
});
