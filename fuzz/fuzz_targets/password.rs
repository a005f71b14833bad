//! Password hashes (user/password.rs): `verify` on any stored string must neither panic nor
//! accept a wrong password; hashes it writes verify. Legitimately slow parameters (PBKDF2
//! rounds, bcrypt cost, Argon2 memory and passes) are filtered out of the inputs so the target
//! measures parsing, not key stretching.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mwauth::user::password::{hash_with_salt, needs_rehash, upgrade_untyped, verify};

const PREFIXES: &[&str] = &[
    ":pbkdf2:sha512:",
    ":pbkdf2:sha256:",
    ":pbkdf2:sha1:",
    ":pbkdf2-legacyA:!sha512:",
    ":pbkdf2-legacyB:!sha512:",
    ":bcrypt:",
    ":argon2:$argon2id$v=19$",
    ":argon2:$argon2i$",
    ":B:",
    ":A:",
    "",
];

/// Largest number anywhere in a PBKDF2-style hash (rounds, length): cheap enough to run.
const MAX_NUMBER: u64 = 2000;

fn affordable(stored: &str) -> bool {
    if let Some(rest) = stored.strip_prefix(":bcrypt:") {
        // verify_bcrypt parses the text before the first `$`; keep cost ≤ 5 (32 rounds).
        return rest
            .split('$')
            .next()
            .and_then(|c| c.parse::<u32>().ok())
            .is_none_or(|c| c <= 5);
    }
    if let Some(phc) = stored.strip_prefix(":argon2:") {
        use argon2::password_hash::PasswordHash;
        return match PasswordHash::new(phc) {
            Err(_) => true,
            Ok(h) => {
                let get = |k: &str| h.params.get_decimal(k).unwrap_or(0);
                get("m") <= 256 && get("t") <= 3 && get("p") <= 4
            }
        };
    }
    // Any run of digits (rounds, output length) stays small.
    stored
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .all(|run| run.len() <= 6 && run.parse::<u64>().is_ok_and(|n| n <= MAX_NUMBER))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let prefix = u.choose(PREFIXES).copied().unwrap_or("");
    let tail = <String as Arbitrary>::arbitrary(&mut u).unwrap_or_default();
    let stored = format!("{prefix}{tail}");
    // bcrypt reads at most 72 bytes: stay under it so "a different password" stays different.
    let mut password: String = u.arbitrary().unwrap_or_default();
    while password.len() > 60 {
        password.pop();
    }
    if affordable(&stored) {
        let ok = verify(&stored, &password);
        // A hash that accepts every password would be a back door: a password that differs
        // must not verify as well (MD5-based formats aside, collisions do not happen here).
        if ok {
            assert!(
                !verify(&stored, &format!("{password}\u{1}")),
                "{stored:?} accepts anything"
            );
        }
        let _ = needs_rehash(&stored);
        let up = upgrade_untyped(&stored, u.arbitrary().unwrap_or(0));
        if affordable(&up) {
            let _ = verify(&up, &password);
        }
    }

    // Round trip of the format mwauth writes, at a cheap round count.
    let salt: Vec<u8> = u.arbitrary().unwrap_or_default();
    let rounds = u.int_in_range(1..=3u32).unwrap_or(1);
    let h = hash_with_salt(&password, &salt, rounds);
    assert!(verify(&h, &password), "{h}");
    assert!(!verify(&h, &format!("{password}x")), "{h}");
    assert!(needs_rehash(&h) == (rounds != mwauth::user::password::PBKDF2_ROUNDS));
});
