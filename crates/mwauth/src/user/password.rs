//! MediaWiki password hashes (includes/password/).
//!
//! New hashes use 1.39's default, `:pbkdf2:sha512:30000:64:BASE64(salt):BASE64(hash)`.
//! Verification understands the formats a MediaWiki `user` or `bot_passwords` table can
//! hold: `:pbkdf2:` (sha1/sha256/sha512), `:B:` (salted MD5), `:A:` (MD5) and hashes with no
//! type prefix (MediaWiki's pre-1.24 MD5 forms).

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
    if let Some(rest) = stored.strip_prefix(":B:") {
        // MWSaltedPassword: md5(salt . '-' . md5(password))
        let Some((salt, want)) = rest.split_once(':') else {
            return false;
        };
        let inner = hex::encode(Md5::digest(password.as_bytes()));
        let got = hex::encode(Md5::digest(format!("{salt}-{inner}").as_bytes()));
        return eq(got.as_bytes(), want.as_bytes());
    }
    if let Some(want) = stored.strip_prefix(":A:") {
        let got = hex::encode(Md5::digest(password.as_bytes()));
        return eq(got.as_bytes(), want.as_bytes());
    }
    false
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
