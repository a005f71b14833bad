//! Sessions as MediaWiki keeps them (includes/session/): an id in a cookie, data on the
//! server, one token secret per purpose (`wsTokenSecrets`), and two providers — the normal
//! cookie session and the bot-password session on its own `…_BPsession` cookie.

pub mod captcha;
pub mod cookie;
pub mod php_record;
pub mod php_serialize;
pub mod token;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use cookie::SetCookie;
use token::Secret;

/// Which provider owns the session (MediaWiki's CookieSessionProvider or
/// BotPasswordSessionProvider); it decides the cookie name and what logout clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Provider {
    Cookie,
    BotPassword,
}

/// What a bot-password session carries about the bot password that created it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BotGrant {
    pub app_id: String,
    pub grants: Vec<String>,
    /// `bp_token` at login; a changed token (password reset, deletion) ends the session.
    pub token: String,
}

/// The server-side half of a session.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SessionData {
    /// 0 for an anonymous session.
    pub user_id: u32,
    pub user_name: String,
    /// `wsTokenSecrets`: key (`default`, `login`, `createaccount`) → 32 hex digits.
    #[serde(default)]
    pub token_secrets: TokenSecrets,
    #[serde(default)]
    pub bot: Option<BotGrant>,
    /// `user_token` at login; a changed user_token (password change) ends the session.
    #[serde(default)]
    pub user_token: String,
    #[serde(default)]
    pub remember: bool,
    /// `AuthManager:lastAuthTimestamp`: when the user last gave their password in this
    /// session (unix seconds); 0 when never (a session made from remember-me cookies).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_auth: i64,
    /// Forms POSTed to a security-sensitive page while it wanted the password again, kept
    /// until the page is back (`SpecialPage:reauth:…` session secrets): key, form fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reauth_forms: Vec<(String, Vec<(String, String)>)>,
    /// A login between its password step and its second factor (AuthManager's
    /// `AuthManager::authnState` session secret); see [`AuthnState`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authn: Option<AuthnState>,
    /// Captchas asked and not answered yet (ConfirmEdit's `captcha{id}` session keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captchas: Vec<captcha::PendingCaptcha>,
    /// ConfirmEdit's `ConfirmEdit:loginCaptchaPerUserTriggered`: a login in this session was
    /// for a user past `bad_login_per_user_attempts`, so logins here ask the captcha until one
    /// passes (CaptchaPreAuthenticationProvider).
    #[serde(default, skip_serializing_if = "is_false")]
    pub login_captcha_per_user: bool,
    /// A TOTP key shown on Special:OATHManage and not confirmed yet (OATHAuth's
    /// `oathauth_totp_key` session data): the same key is shown until a code confirms it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oath_enrolment: Option<crate::user::oath::TotpKey>,
}

/// What a session keeps of a login whose password was right while it waits for the user's
/// TOTP code: set by the password step, kept across wrong codes, replaced by a new password
/// step, removed when the login passes. The session id does not change between the steps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthnState {
    pub user_id: u32,
    pub user_name: String,
    /// `rememberMe` of the password step, applied when the login passes.
    pub remember: bool,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `wsTokenSecrets`: a handful of entries (at most `default`, `login` and `createaccount`),
/// kept sorted by key in a vector. Stored as a JSON object exactly as a `BTreeMap` writes it;
/// read back without the `BTreeMap`'s half-kilobyte node, which every request of a session
/// paid for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenSecrets(Vec<(String, Secret)>);

impl TokenSecrets {
    pub fn get(&self, key: &str) -> Option<&Secret> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (replacing its secret if it had one).
    pub fn insert(&mut self, key: String, secret: String) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => self.0[i].1 = Secret::new(secret),
            Err(i) => self.0.insert(i, (key, Secret::new(secret))),
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The secrets in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Secret)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Index<&str> for TokenSecrets {
    type Output = Secret;

    fn index(&self, key: &str) -> &Secret {
        self.get(key).expect("no token secret of that key")
    }
}

impl Serialize for TokenSecrets {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v.as_str())?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for TokenSecrets {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = TokenSecrets;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of token secrets")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<TokenSecrets, A::Error> {
                let mut secrets = TokenSecrets(Vec::with_capacity(access.size_hint().unwrap_or(1)));
                while let Some((k, v)) = access.next_entry::<String, String>()? {
                    // As a BTreeMap reads a repeated key: the last one wins.
                    secrets.insert(k, v);
                }
                Ok(secrets)
            }
        }
        d.deserialize_map(Entries)
    }
}

/// A session as one request sees it: loaded from a cookie, or new and not yet persisted.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub provider: Provider,
    /// Shared with the store's copy while unchanged (a store may keep recently read sessions
    /// parsed); written through `Arc::make_mut`.
    pub data: Arc<SessionData>,
    /// True when the client holds a cookie for this id (MediaWiki's "persistent").
    pub persisted: bool,
    /// True when `data` changed and must be written back.
    pub dirty: bool,
    /// When the stored copy expires (unix seconds); 0 for a session not stored yet.
    pub expires: i64,
}

impl Session {
    pub fn new_anonymous() -> Session {
        Session {
            id: new_session_id(),
            provider: Provider::Cookie,
            data: Arc::default(),
            persisted: false,
            dirty: false,
            expires: 0,
        }
    }

    pub fn is_anon(&self) -> bool {
        self.data.user_id == 0
    }

    /// Session::getToken's secret half: the secret for `key`, made on first use. Returns the
    /// secret and whether it was new (a new login secret means the client's login token
    /// cannot match: MediaWiki answers "sessionlost" then).
    pub fn token_secret(&mut self, key: &str) -> (&Secret, bool) {
        let new = !self.data.token_secrets.contains_key(key);
        if new {
            Arc::make_mut(&mut self.data)
                .token_secrets
                .insert(key.to_string(), random_hex(32));
            self.dirty = true;
        }
        (&self.data.token_secrets[key], new)
    }

    pub fn has_secret(&self, key: &str) -> bool {
        self.data.token_secrets.contains_key(key)
    }
}

pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut s = hex::encode(bytes);
    s.truncate(len);
    s
}

/// SessionManager::generateSessionId: 40 random hex digits rewritten in base 32 (`0-9a-v`),
/// zero-padded to 32 characters.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    base32_of_160_bits(&bytes)
}

fn base32_of_160_bits(bytes: &[u8; 20]) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = String::with_capacity(32);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(DIGITS[((acc >> bits) & 31) as usize] as char);
        }
    }
    out
}

/// Whether a cookie value can be a session id at all; anything else is ignored, as
/// SessionManager ignores ids that fail its `^[a-zA-Z0-9_-]{32,}$` check.
pub fn is_valid_session_id(id: &str) -> bool {
    (32..=64).contains(&id.len()) && id.bytes().all(|b| ID_BYTE[b as usize])
}

/// The bytes a session id may hold: ASCII letters and digits, `_` and `-` (a table: this
/// runs for every cookie-carrying request).
static ID_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_32_base32_digits() {
        for _ in 0..100 {
            let id = new_session_id();
            assert_eq!(id.len(), 32);
            assert!(
                id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'v')),
                "{id}"
            );
            assert!(is_valid_session_id(&id));
        }
        assert_ne!(new_session_id(), new_session_id());
    }

    #[test]
    fn base32_matches_wikimedia_base_convert() {
        // Wikimedia\base_convert('ffffffffffffffffffffffffffffffffffffffff', 16, 32, 32)
        assert_eq!(base32_of_160_bits(&[0xff; 20]), "v".repeat(32));
        let mut one = [0u8; 20];
        one[19] = 33;
        assert_eq!(base32_of_160_bits(&one), format!("{}11", "0".repeat(30)));
    }

    #[test]
    fn token_secret_is_made_once_per_key() {
        let mut s = Session::new_anonymous();
        let (a, new_a) = s.token_secret("login");
        let a = a.as_str().to_string();
        let (b, new_b) = s.token_secret("login");
        let b = b.as_str().to_string();
        let (c, _) = s.token_secret("default");
        let c = c.as_str();
        assert!(new_a && !new_b);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn token_secrets_are_stored_as_a_sorted_json_object() {
        let mut secrets = TokenSecrets::default();
        secrets.insert("login".into(), "b".repeat(32));
        secrets.insert("default".into(), "a".repeat(32));
        secrets.insert("createaccount".into(), "c".repeat(32));
        secrets.insert("login".into(), "d".repeat(32));
        let json = serde_json::to_string(&secrets).unwrap();
        let as_btree: std::collections::BTreeMap<&str, String> = [
            ("default", "a".repeat(32)),
            ("login", "d".repeat(32)),
            ("createaccount", "c".repeat(32)),
        ]
        .into_iter()
        .collect();
        assert_eq!(json, serde_json::to_string(&as_btree).unwrap());
        let back: TokenSecrets =
            serde_json::from_str(r#"{"login":"x","default":"y","login":"z"}"#).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back["login"].as_str(), "z");
        assert_eq!(back.get("default").map(Secret::as_str), Some("y"));
        assert!(serde_json::from_str::<TokenSecrets>(r#"["default"]"#).is_err());
    }

    #[test]
    fn rejects_malformed_session_ids() {
        assert!(!is_valid_session_id("short"));
        assert!(!is_valid_session_id(&"a;".repeat(20)));
        assert!(is_valid_session_id(&"aZ09_-".repeat(6)[..32]));
        assert!(is_valid_session_id(&"a".repeat(64)));
        assert!(!is_valid_session_id(&"a".repeat(65)));
        assert!(!is_valid_session_id(&"a".repeat(31)));
        assert!(!is_valid_session_id(&format!("{}\u{e9}", "a".repeat(31))));
        assert!(!is_valid_session_id(&format!("{} ", "a".repeat(32))));
    }
}
