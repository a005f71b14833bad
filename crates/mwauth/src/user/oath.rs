//! A user's TOTP second factor as OATHAuth 0.5.0 (MediaWiki 1.39) keeps and checks it: the
//! `oathauth_users.data` JSON, RFC 6238 codes (HMAC-SHA1, 30-second steps, 6 digits) checked
//! within ±`window_radius` steps with replay protection, and the `otpauth://` enrolment URI.
//!
//! Pure functions: the caller supplies the time, the last accepted step (kept by MediaWiki
//! in its object stash under `oathauth-totp:usedtokens:{central id}` for
//! [`replay_memory_secs`]) and the random source.

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// TOTP step length in seconds (TOTPKey's hard-coded `period`).
pub const STEP_SECS: u64 = 30;

/// The value of `oathauth_users.module` for TOTP keys.
pub const MODULE_TOTP: &str = "totp";

/// One TOTP key: a base32 secret and its recovery ("scratch") codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpKey {
    pub secret: String,
    /// Recovery codes. Older rows keep them as one comma-separated string; OATHAuth splits
    /// that on reading (TOTP::newKey) and writes a list back.
    #[serde(deserialize_with = "scratch_tokens")]
    pub scratch_tokens: Vec<String>,
}

/// `oathauth_users.data` for the `totp` module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OathData {
    pub keys: Vec<TotpKey>,
}

impl OathData {
    /// Reads the column as OATHUserRepository::findByUser does: text that is not JSON, or
    /// has no `keys` list, gives a user with the module but no key. Such a user is still
    /// asked for a code at login (the module decides that), and no code is ever right.
    pub fn parse(data: &str) -> OathData {
        #[derive(Deserialize)]
        struct Loose {
            keys: Option<Vec<serde_json::Value>>,
        }
        let Ok(Loose { keys: Some(keys) }) = serde_json::from_str::<Loose>(data) else {
            return OathData::default();
        };
        // A key without `secret` or `scratch_tokens` makes MediaWiki throw
        // (oathauth-invalid-data-format); skipping it keeps mwauth answering.
        let keys = keys
            .into_iter()
            .filter_map(|k| serde_json::from_value(k).ok())
            .collect();
        OathData { keys }
    }

    /// The column's text as MediaWiki writes it (FormatJson::encode: compact, slashes not
    /// escaped, `<`, `>`, `&` and non-ASCII as `\uXXXX`).
    pub fn to_json(&self) -> String {
        let plain = serde_json::to_string(self).unwrap_or_default();
        let mut out = String::with_capacity(plain.len());
        for c in plain.chars() {
            match c {
                '<' | '>' | '&' => out.push_str(&format!("\\u{:04X}", c as u32)),
                c if c.is_ascii() => out.push(c),
                c => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        out
    }

    /// The key codes are checked against (OATHUser::getFirstKey).
    pub fn first_key(&self) -> Option<&TotpKey> {
        self.keys.first()
    }
}

fn scratch_tokens<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tokens {
        List(Vec<String>),
        Joined(String),
    }
    Ok(match Tokens::deserialize(de)? {
        Tokens::List(list) => list,
        Tokens::Joined(s) => s.split(',').map(str::to_string).collect(),
    })
}

impl TotpKey {
    /// A new key as TOTPKey::newFromRandom makes it: 26 random bytes in base32 without
    /// padding (42 characters, 208 bits), and ten recovery codes of 10 random bytes each
    /// (16 characters).
    pub fn random(rng: &mut impl RngCore) -> TotpKey {
        let mut secret = [0u8; 26];
        rng.fill_bytes(&mut secret);
        let scratch_tokens = (0..10)
            .map(|_| {
                let mut code = [0u8; 10];
                rng.fill_bytes(&mut code);
                base32_encode(&code)
            })
            .collect();
        TotpKey {
            secret: base32_encode(&secret),
            scratch_tokens,
        }
    }

    /// Checks `token` at `now` (Unix seconds). Accepts the code of a step within
    /// ±`window_radius` of now that is later than `last_step` (the step accepted last, if
    /// MediaWiki still remembers it), trying the earliest step first, and answers that step,
    /// which the caller remembers for [`replay_memory_secs`]. Whitespace anywhere in the token
    /// is ignored (codes are often typed as `123 456`).
    ///
    /// Recovery codes are refused: OATHAuth 0.5.0 as shipped with MediaWiki 1.39 looks them up
    /// in a property that was renamed (`scratchTokens` for `recoveryCodes`), so no recovery
    /// code is ever accepted at login, and each counts as a failed attempt. mwauth answers the
    /// same (recorded: conformance/extensions/golden/oath-clientlogin-recovery-code.json).
    pub fn verify(
        &self,
        token: &str,
        now: u64,
        window_radius: u32,
        last_step: Option<u64>,
    ) -> Option<u64> {
        let token = strip_whitespace(token);
        let key = base32_decode(&self.secret);
        let current = now / STEP_SECS;
        let radius = u64::from(window_radius);
        let last = last_step.unwrap_or(0);
        (current.saturating_sub(radius)..=current.saturating_add(radius))
            .filter(|&step| step > last)
            .find(|&step| {
                let code = hotp(&key, step);
                bool::from(code.as_bytes().ct_eq(token.as_bytes()))
            })
    }

    /// The `otpauth://` URI an authenticator app reads from the QR code (TOTPEnableForm):
    /// label `{issuer}:{user}` and issuer percent-encoded as PHP's rawurlencode does. The
    /// issuer is `$wgOATHAuthAccountPrefix`, else `$wgSitename`.
    pub fn otpauth_uri(&self, issuer: &str, user_name: &str) -> String {
        format!(
            "otpauth://totp/{}?secret={}&issuer={}",
            rawurlencode(&format!("{issuer}:{user_name}")),
            rawurlencode(&self.secret),
            rawurlencode(issuer)
        )
    }
}

/// How long MediaWiki remembers the last accepted step: a whole window,
/// `30 * (1 + 2 * window_radius)` seconds (270 s by default).
pub fn replay_memory_secs(window_radius: u32) -> u64 {
    STEP_SECS * (1 + 2 * u64::from(window_radius))
}

/// The 6-digit HOTP code (RFC 4226, HMAC-SHA1) of `key` at `counter`, zero-padded.
pub fn hotp(key: &[u8], counter: u64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return String::new(); // HMAC takes keys of any length; unreachable
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let word = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    format!("{:06}", word % 1_000_000)
}

/// Removes what PCRE's `\s` matches (without the `u` flag: ASCII space, tab, LF, VT, FF, CR),
/// as TOTPKey::verify does with `preg_replace( '/\s+/', '', $token )`.
fn strip_whitespace(token: &str) -> String {
    token
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
        .collect()
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648) without padding, as christian-riesen/base32's `encode` followed by
/// OATHAuth's removal of `=`.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Base32 decoding as christian-riesen/base32's `decode` (what OATHAuth uses): letters in
/// either case, every other character (padding, spaces, `0`, `1`, `8`, `9`) skipped, and
/// trailing bits that do not fill a byte dropped.
pub fn base32_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let Some(value) = BASE32.iter().position(|&a| a == c.to_ascii_uppercase()) else {
            continue;
        };
        acc = (acc << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// PHP's rawurlencode: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX`.
pub fn rawurlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Base32 of RFC 6238's SHA-1 test secret "12345678901234567890".
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    /// Carol's secret on the reference wiki (/work/shared/oracle/extensions.sh).
    const CAROL_SECRET: &str = "ORACLETOTPSECRETORACLETOTPSECRET";

    fn key(secret: &str) -> TotpKey {
        TotpKey {
            secret: secret.into(),
            scratch_tokens: vec!["CAROLSCRATCHAAAA".into(), "CAROLSCRATCHAAAB".into()],
        }
    }

    /// RFC 6238 appendix B, SHA-1 rows, last 6 of the 8 digits.
    #[test]
    fn rfc_6238_sha1_vectors() {
        let k = base32_decode(RFC_SECRET);
        assert_eq!(k, b"12345678901234567890");
        for (time, code8) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(hotp(&k, time / 30), code8[2..], "at {time}");
            let step = key(RFC_SECRET).verify(&code8[2..], time, 0, None);
            assert_eq!(step, Some(time / 30), "at {time}");
        }
    }

    /// Codes computed by the reference wiki's own libraries (jakobo/hotp-php over
    /// christian-riesen/base32) for Carol's secret.
    #[test]
    fn codes_match_the_reference_wikis_libraries() {
        let k = base32_decode(CAROL_SECRET);
        assert_eq!(hex::encode(&k), "744025926e9be4414493744025926e9be4414493");
        for (counter, code) in [
            (0u64, "093765"),
            (1, "395654"),
            (59865300, "250005"),
            (59865301, "104505"),
            (59865302, "218219"),
            (66000000, "835996"),
            (1000000000, "924334"),
        ] {
            assert_eq!(hotp(&k, counter), code, "counter {counter}");
        }
    }

    /// At Unix time 1796677686 the reference wiki's TOTPKey::verify accepted Carol's code
    /// 023299 (three steps back), and refused it when offered again.
    #[test]
    fn a_code_the_reference_wiki_accepted_is_accepted_once() {
        let carol = key(CAROL_SECRET);
        let now = 1796677686;
        let step = carol.verify("023299", now, 4, None);
        assert_eq!(step, Some(now / 30 - 3));
        assert_eq!(carol.verify("023299", now, 4, step), None);
    }

    #[test]
    fn codes_within_the_window_radius_are_accepted_and_outside_refused() {
        let carol = key(CAROL_SECRET);
        let k = base32_decode(CAROL_SECRET);
        let now = 59865300 * 30 + 17;
        for offset in -4i64..=4 {
            let step = (59865300 + offset) as u64;
            assert_eq!(carol.verify(&hotp(&k, step), now, 4, None), Some(step));
        }
        for step in [59865295, 59865305] {
            assert_eq!(carol.verify(&hotp(&k, step), now, 4, None), None);
        }
        let step = 59865301;
        assert_eq!(
            carol.verify(&hotp(&k, step), now, 0, None),
            None,
            "radius 0: now only"
        );
    }

    #[test]
    fn replayed_or_older_codes_are_refused_later_ones_accepted() {
        let carol = key(CAROL_SECRET);
        let k = base32_decode(CAROL_SECRET);
        let now = 59865300 * 30;
        let last = carol.verify(&hotp(&k, 59865304), now, 4, None);
        assert_eq!(last, Some(59865304));
        for older in [59865304, 59865303, 59865300, 59865296] {
            assert_eq!(carol.verify(&hotp(&k, older), now, 4, last), None);
        }
        // A minute later the window has moved on; a newer code is good again.
        let later = now + 60;
        let newer = carol.verify(&hotp(&k, 59865305), later, 4, last);
        assert_eq!(newer, Some(59865305));
        assert_eq!(replay_memory_secs(4), 270);
    }

    #[test]
    fn whitespace_in_the_code_is_ignored_other_characters_are_not() {
        let carol = key(CAROL_SECRET);
        let now = 59865300 * 30;
        for typed in ["250005", " 250 005 ", "\t25\n00\r05\x0b\x0c"] {
            assert_eq!(
                carol.verify(typed, now, 4, None),
                Some(59865300),
                "{typed:?}"
            );
        }
        for typed in ["250-005", "25OOO5", "2500051", "", "\u{a0}250005"] {
            assert_eq!(carol.verify(typed, now, 4, None), None, "{typed:?}");
        }
    }

    #[test]
    fn recovery_codes_are_refused_as_in_debian_1_39() {
        let carol = key(CAROL_SECRET);
        assert_eq!(
            carol.verify("CAROLSCRATCHAAAA", 59865300 * 30, 4, None),
            None
        );
    }

    #[test]
    fn base32_decodes_as_the_reference_library() {
        for (text, hex_bytes) in [
            ("MZXW6", "666f6f"),
            ("mzxw6===", "666f6f"),
            ("MZ XW 6", "666f6f"),
            ("MZXW6YQ", "666f6f62"),
            ("M1ZXW6", "666f6f"),
            ("A", ""),
            ("AB", "00"),
            ("", ""),
        ] {
            assert_eq!(hex::encode(base32_decode(text)), hex_bytes, "{text:?}");
        }
        assert_eq!(base32_encode(b"foob"), "MZXW6YQ");
        assert_eq!(
            base32_encode(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            "AAAQEAYEAUDAOCAJ"
        );
        assert_eq!(base32_encode(&[0xff; 26]), format!("{}4", "7".repeat(41)));
    }

    #[test]
    fn random_keys_have_mediawikis_shape_and_round_trip() {
        let mut rng = rand::thread_rng();
        let k = TotpKey::random(&mut rng);
        assert_eq!(k.secret.len(), 42);
        assert_eq!(base32_decode(&k.secret).len(), 26);
        assert_eq!(k.scratch_tokens.len(), 10);
        assert!(k.scratch_tokens.iter().all(|t| t.len() == 16));
        assert_ne!(TotpKey::random(&mut rng), k);
    }

    /// The row extensions.sh writes for Carol, byte for byte.
    #[test]
    fn oathauth_users_data_parses_and_serializes_as_mediawiki_writes_it() {
        let row = r#"{"keys":[{"secret":"ORACLETOTPSECRETORACLETOTPSECRET","scratch_tokens":["WXQHCOABUNNU75LL","4P6B5ESG7CBJJDTO","7TUOK4GCHYOWDX2E","YGWTC5UJG2Q2KPLK","XZ2DIKY5EJ5TNFYC","O33F4JRFMEVLFOGT","RDVMNAA5E2AEG2QN","CLEUBLHBRBX5J4QG","NCJIZLFLGTANZXTY","MBZNVHHZDZEPEOWH"]}]}"#;
        let data = OathData::parse(row);
        let first = data.first_key().unwrap();
        assert_eq!(first.secret, CAROL_SECRET);
        assert_eq!(first.scratch_tokens.len(), 10);
        assert_eq!(data.to_json(), row);
    }

    #[test]
    fn oathauth_users_data_in_older_or_broken_shapes() {
        let joined = OathData::parse(r#"{"keys":[{"secret":"MZXW6","scratch_tokens":"A,B"}]}"#);
        assert_eq!(joined.first_key().unwrap().scratch_tokens, ["A", "B"]);
        assert_eq!(
            joined.to_json(),
            r#"{"keys":[{"secret":"MZXW6","scratch_tokens":["A","B"]}]}"#
        );
        for broken in [
            "",
            "not json",
            "{}",
            r#"{"keys":"x"}"#,
            r#"{"secret":"MZXW6"}"#,
        ] {
            assert_eq!(OathData::parse(broken), OathData::default(), "{broken:?}");
        }
        let partial =
            OathData::parse(r#"{"keys":[{"secret":"MZXW6"},{"secret":"A","scratch_tokens":[]}]}"#);
        assert_eq!(partial.first_key().unwrap().secret, "A");
        let odd = OathData {
            keys: vec![TotpKey {
                secret: "a/b<c>&é😀".into(),
                scratch_tokens: vec![],
            }],
        };
        assert_eq!(
            odd.to_json(),
            r#"{"keys":[{"secret":"a/b\u003Cc\u003E\u0026\u00e9\ud83d\ude00","scratch_tokens":[]}]}"#
        );
    }

    #[test]
    fn otpauth_uri_is_built_as_oathmanage_shows_it() {
        let carol = key(CAROL_SECRET);
        assert_eq!(
            carol.otpauth_uri("OracleWiki", "Carol"),
            "otpauth://totp/OracleWiki%3ACarol?secret=ORACLETOTPSECRETORACLETOTPSECRET&issuer=OracleWiki"
        );
        assert_eq!(
            key("AB").otpauth_uri("My Wiki", "Carol ÄB/+&"),
            "otpauth://totp/My%20Wiki%3ACarol%20%C3%84B%2F%2B%26?secret=AB&issuer=My%20Wiki"
        );
    }
}
