//! MediaWiki password hashes (includes/password/).
//!
//! New hashes use 1.39's default, `:pbkdf2:sha512:30000:64:BASE64(salt):BASE64(hash)`.
//! Verification understands every format a MediaWiki `user` or `bot_passwords` table can
//! hold ($wgPasswordConfig): `:pbkdf2:` (sha1/sha256/sha512), `:pbkdf2-legacyA:` and
//! `:pbkdf2-legacyB:` (an old MD5 hash wrapped in PBKDF2, LayeredParameterizedPassword),
//! `:bcrypt:`, `:argon2:`, `:B:` (salted MD5), `:A:` (MD5), and the untyped 32-hex-digit MD5
//! of the oldest wikis (see [`upgrade_untyped`]).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use rand::RngCore;
use subtle::ConstantTimeEq;

/// $wgPasswordConfig['pbkdf2']: sha512, 30000 rounds, 64-byte output.
pub const PBKDF2_ROUNDS: u32 = 30000;
/// Refuse absurd round counts from a tampered row instead of burning a CPU for minutes.
const MAX_ROUNDS: u32 = 10_000_000;

/// The stored form of `password` in MediaWiki 1.39's default format.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    hash_with_salt(password, &salt, PBKDF2_ROUNDS)
}

pub fn hash_with_salt(password: &str, salt: &[u8], rounds: u32) -> String {
    let mut out = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password.as_bytes(), salt, rounds, &mut out);
    format!(
        ":pbkdf2:sha512:{rounds}:64:{}:{}",
        B64.encode(salt),
        B64.encode(out)
    )
}

/// Whether `password` matches `stored`. Unknown or malformed formats never match.
/// Slow on purpose: call it from the blocking pool.
pub fn verify(stored: &str, password: &str) -> bool {
    if let Some(rest) = stored.strip_prefix(":pbkdf2:") {
        return verify_pbkdf2(rest, password);
    }
    if let Some(rest) = stored.strip_prefix(":pbkdf2-legacyA:") {
        return verify_layered(rest, password, false);
    }
    if let Some(rest) = stored.strip_prefix(":pbkdf2-legacyB:") {
        return verify_layered(rest, password, true);
    }
    if let Some(rest) = stored.strip_prefix(":bcrypt:") {
        return verify_bcrypt(rest, password);
    }
    if let Some(rest) = stored.strip_prefix(":argon2:") {
        return verify_argon2(rest, password);
    }
    if let Some(rest) = stored.strip_prefix(":B:") {
        let Some((salt, want)) = rest.split_once(':') else {
            return false;
        };
        return eq(salted_md5(salt, password).as_bytes(), want.as_bytes());
    }
    if let Some(want) = stored.strip_prefix(":A:") {
        return eq(md5_hex(password).as_bytes(), want.as_bytes());
    }
    false
}

/// LocalPasswordPrimaryAuthenticationProvider: a bare 32-hex-digit `user_password` (wikis
/// from before typed hashes) is MD5 salted with the user id, i.e. `:B:{user_id}:{hash}`.
pub fn upgrade_untyped(stored: &str, user_id: u32) -> String {
    if stored.len() == 32
        && stored
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        format!(":B:{user_id}:{stored}")
    } else {
        stored.to_string()
    }
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// MWSaltedPassword: md5(salt . '-' . md5(password)), in hex.
fn salted_md5(salt: &str, password: &str) -> String {
    md5_hex(&format!("{salt}-{}", md5_hex(password)))
}

/// LayeredParameterizedPassword with types [A|B, pbkdf2], delimiter `!`:
/// `PARAMS_A_OR_B!ALGO:COST:LEN!SALT_B!BASE64_SALT!BASE64_HASH`. The inner MD5 hex string is
/// the password the outer PBKDF2 layer hashes.
fn verify_layered(rest: &str, password: &str, salted: bool) -> bool {
    let parts: Vec<&str> = rest.split('!').collect();
    let [_, pbkdf2_params, md5_salt, pbkdf2_salt, hash] = parts[..] else {
        return false;
    };
    let inner = if salted {
        salted_md5(md5_salt, password)
    } else {
        md5_hex(password)
    };
    let Some((algo, tail)) = pbkdf2_params.split_once(':') else {
        return false;
    };
    let Some((rounds, len)) = tail.split_once(':') else {
        return false;
    };
    verify_pbkdf2(
        &format!("{algo}:{rounds}:{len}:{pbkdf2_salt}:{hash}"),
        &inner,
    )
}

/// BcryptPassword: `COST$SALT22$HASH31`, checked as PHP's crypt() with `$2y$`.
fn verify_bcrypt(rest: &str, password: &str) -> bool {
    let parts: Vec<&str> = rest.split('$').collect();
    let [cost, salt, hash] = parts[..] else {
        return false;
    };
    let Ok(cost) = cost.parse::<u32>() else {
        return false;
    };
    if !(4..=31).contains(&cost) {
        return false;
    }
    bcrypt::verify(password, &format!("$2y${cost:02}${salt}{hash}")).unwrap_or(false)
}

/// Argon2Password: PHP's password_hash() output (a PHC string) after the prefix.
fn verify_argon2(phc: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Refuse parameters that would make one check cost more than 1 GiB or minutes.
    let too_costly = parsed.params.get_decimal("m").is_some_and(|m| m > 1 << 20)
        || parsed.params.get_decimal("t").is_some_and(|t| t > 64);
    !too_costly
        && argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
}

/// True when a successful login should rewrite the hash in the current default format.
pub fn needs_rehash(stored: &str) -> bool {
    !stored.starts_with(&format!(":pbkdf2:sha512:{PBKDF2_ROUNDS}:64:"))
}

fn verify_pbkdf2(rest: &str, password: &str) -> bool {
    let parts: Vec<&str> = rest.split(':').collect();
    let [algo, rounds, len, salt, want] = parts[..] else {
        return false;
    };
    let (Ok(rounds), Ok(len)) = (rounds.parse::<u32>(), len.parse::<usize>()) else {
        return false;
    };
    let (Ok(salt), Ok(want)) = (B64.decode(salt), B64.decode(want)) else {
        return false;
    };
    if rounds == 0 || rounds > MAX_ROUNDS || len == 0 || len > 1024 || want.len() != len {
        return false;
    }
    let mut got = vec![0u8; len];
    let pw = password.as_bytes();
    match algo {
        "sha512" => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pw, &salt, rounds, &mut got),
        "sha256" => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, &salt, rounds, &mut got),
        "sha1" => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, &salt, rounds, &mut got),
        _ => return false,
    }
    eq(&got, &want)
}

fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Written by MediaWiki 1.39's installer (createAndPromote.php) for Alice / Alice-pass-12345.
    const ALICE: &str = ":pbkdf2:sha512:30000:64:paNT+3NiHjBp94TlYrJjhw==:mEIAxxJAM2c2ZdTQ5t6n0RFmcQfEECcglUdJHfbBg6+eim1tkYT77iLDFB6p42CghF2z8CFwiRhdfNkGU/5XrQ==";
    // Written by createBotPassword.php for Alice@testbot.
    const ALICE_BOT: &str = ":pbkdf2:sha512:30000:64:YQCZinBa0BigUR/Iu8jpwQ==:yT7Mj4h5mf0rqzKBvcUIHhTENJ3QJICfk1rfuLFbEFsjho5rX7eMT6aLiMuHUR/LcMigUMbay7u29FXyy52IGw==";

    #[test]
    fn verifies_hashes_written_by_mediawiki() {
        assert!(verify(ALICE, "Alice-pass-12345"));
        assert!(!verify(ALICE, "Alice-pass-12346"));
        assert!(verify(ALICE_BOT, "alicebotpasswordalicebotpass0001"));
        assert!(!needs_rehash(ALICE));
    }

    #[test]
    fn new_hashes_use_the_default_format_and_verify() {
        let h = hash("correct horse");
        assert!(h.starts_with(":pbkdf2:sha512:30000:64:"));
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horse "));
        assert_ne!(h, hash("correct horse"), "salt is random");
    }

    #[test]
    fn verifies_legacy_md5_formats() {
        // MWOldPassword: md5("password")
        assert!(verify(":A:5f4dcc3b5aa765d61d8327deb882cf99", "password"));
        // MWSaltedPassword: md5("838c83e1-" . md5("password"))
        let inner = hex::encode(Md5::digest(b"password"));
        let outer = hex::encode(Md5::digest(format!("838c83e1-{inner}").as_bytes()));
        assert!(verify(&format!(":B:838c83e1:{outer}"), "password"));
        assert!(needs_rehash(":A:5f4dcc3b5aa765d61d8327deb882cf99"));
    }

    // Made with MediaWiki 1.39's PasswordFactory (newFromType(T)->crypt('Passw0rd-é')).
    const MW_VECTORS: &[&str] = &[
        ":A:c6b5402bc644515e9f9623d1c9e53a8d",
        ":B:2add4b17:2c48a28b8b68cec71a89acc3a3cea20e",
        ":pbkdf2:sha512:30000:64:NI3i4JPazlH5GDxn/JQhdg==:6PPnCK8l+YWMWlgS6yH3OkTD5Ns3YWM5qiZMmSYVYb74jks4ZenBeEnUbmpxW636EWkujNuDzQcfH4nYvc4gIA==",
        ":pbkdf2-legacyA:!sha512:30000:64!!9wTkIY3Jsvc63C20eXG0qw==!GreAg96XvJV5ECotCq15fILBQTiH1qHJoQVZaWrgWCi2qayLBlcCbNgBfi5rLNnTfwclSOqxMX9bDKO7deZihA==",
        ":pbkdf2-legacyB:!sha512:30000:64!f76db25c!djIw/OHbI+7oCNcTpgyr6A==!t4o1EUYFpPdHd112rQ/EpFuppClHsRaW/iP70HdAbJbZGXKEFvtWqh57petjKbZRjW9J7HgwiKC9gBGR0v8EqQ==",
        ":bcrypt:9$EU3QS7RCnfcWbzpdqrq6xu$B9K/nbNzzNxHdj3yHcfkTdSGb6eWpwC",
        ":argon2:$argon2id$v=19$m=65536,t=4,p=1$TlpHRnNHVG1MWjRJNWgyLw$LyVZGyUpMgK8SxO9R1Xd7HePxgTmkglKVyROXSZoeCc",
    ];

    #[test]
    fn verifies_every_format_mediawiki_writes() {
        for h in MW_VECTORS {
            assert!(verify(h, "Passw0rd-é"), "{h}");
            assert!(!verify(h, "Passw0rd-e"), "{h}");
        }
        assert_eq!(
            MW_VECTORS.iter().filter(|h| needs_rehash(h)).count(),
            MW_VECTORS.len() - 1
        );
    }

    #[test]
    fn untyped_md5_is_salted_with_the_user_id() {
        let legacy = salted_md5("7", "Passw0rd");
        let upgraded = upgrade_untyped(&legacy, 7);
        assert_eq!(upgraded, format!(":B:7:{legacy}"));
        assert!(verify(&upgraded, "Passw0rd"));
        assert_eq!(upgrade_untyped(ALICE, 3), ALICE);
    }

    #[test]
    fn malformed_hashes_never_match() {
        for bad in [
            "",
            ":pbkdf2:",
            ":pbkdf2:md4:1:64:AA==:AA==",
            ":pbkdf2:sha512:999999999:64:AA==:AA==",
            "plain",
            ":B:nocolon",
        ] {
            assert!(!verify(bad, ""), "{bad}");
            assert!(!verify(bad, "x"), "{bad}");
        }
    }
}
