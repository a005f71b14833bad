//! MediaWiki's own session record (SessionBackend::save): PHP `serialize()` of
//! `['data' => …, 'metadata' => …]`, read into mwauth's [`SessionData`] and written back with
//! every key mwauth does not know kept byte for byte.
//!
//! - `data`: `wsTokenSecrets` (token kind → 32 hex digits), `wsUserID`, `wsUserName`,
//!   `wsToken`, `AuthManager:lastAuthId` / `AuthManager:lastAuthTimestamp`, and whatever PHP
//!   or an extension keeps there (`wsSessionSecret`, `AuthManager::authnState`, objects …).
//! - `metadata`, ten keys with fixed PHP types: `provider` (class name), `providerMetadata`
//!   (null for cookie sessions; `centralId`, `appId`, `token`, `rights` for bot passwords),
//!   `userId` int, `userName` string|null, `userToken` string|null, `remember` bool,
//!   `forceHTTPS` bool, `expires` int, `loggedOut` int, `persisted` bool.
//!
//! In this format [`SessionData::user_token`] holds the record's `userToken`, which is
//! [`session_user_token`] of the user row's `user_token`, not the raw column.

use super::php_serialize::{self, Key, Value};
use super::{random_hex, BotGrant, Provider, SessionData};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use whirlpool::Whirlpool;

/// `metadata.provider` of a normal (cookie) session.
pub const COOKIE_PROVIDER: &str = "MediaWiki\\Session\\CookieSessionProvider";
/// `metadata.provider` of a session made by a bot-password login.
pub const BOT_PASSWORD_PROVIDER: &str = "MediaWiki\\Session\\BotPasswordSessionProvider";

/// User::INVALID_TOKEN: a `user_token` that no session or remember-me cookie may match.
pub const INVALID_USER_TOKEN: &str = "*** INVALID ***";

/// mwauth's own data key for the forms a re-authentication holds (PHP keeps its own
/// equivalent encrypted; nothing in PHP reads this one).
const REAUTH_FORMS_KEY: &str = "mwauth:reauthForms";

/// mwauth's own data keys for a login waiting for its second factor and for captchas not
/// answered yet, as JSON text. PHP keeps its equivalents (`AuthManager::authnState`,
/// `captcha{id}`) as objects of its own classes that mwauth does not write; these keys let a
/// two-step login or a captcha begun on one mwauth node finish on another.
const AUTHN_KEY: &str = "mwauth:authnState";
const CAPTCHAS_KEY: &str = "mwauth:captchas";
/// mwauth's own data key for a TOTP key being enrolled on Special:OATHManage (PHP keeps
/// `oathauth_totp_key`, an array of its own shape), as JSON text.
const OATH_ENROLMENT_KEY: &str = "mwauth:oathEnrolment";
/// ConfirmEdit's own key for [`SessionData::login_captcha_per_user`], shared with PHP: it
/// writes `true` there (Session::set) and unsets it after a login passes (Session::remove),
/// and reads it as a PHP truth value.
const LOGIN_CAPTCHA_PER_USER_KEY: &str = "ConfirmEdit:loginCaptchaPerUserTriggered";

/// Why stored bytes are not a session mwauth can use. SessionManager deletes records of the
/// first two kinds ("Bad data structure", "Bad metadata") and of an unknown provider.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Syntax(#[from] php_serialize::Error),
    #[error("not a MediaWiki session record: {0}")]
    Shape(&'static str),
    #[error("a session of provider {0:?}, which mwauth does not serve")]
    OtherProvider(String),
}

/// One session record: what mwauth reads from it, and the whole tree to rewrite it from.
#[derive(Debug, Clone)]
pub struct PhpRecord {
    pub provider: Provider,
    pub data: SessionData,
    /// `metadata.expires` (unix seconds).
    pub expires: i64,
    pub force_https: bool,
    /// `metadata.loggedOut`: when the user last logged out everywhere (0: never).
    pub logged_out: i64,
    pub persisted: bool,
    /// Bot-password sessions: `providerMetadata.centralId` (the user id on a wiki without
    /// central auth).
    pub central_id: i64,
    /// Bot-password sessions: `providerMetadata.rights`, which PHP recomputes from
    /// `bp_grants` when it loads the session. [`BotGrant::grants`] is left empty on reading
    /// (the record has rights, not grants): the loader fills it from the bot_passwords row.
    pub bot_rights: Vec<String>,
    tree: Value,
}

impl PhpRecord {
    /// A record not stored yet, as SessionBackend writes a new one: persisted, plain HTTP,
    /// never logged out.
    pub fn new(provider: Provider, data: SessionData, expires: i64) -> PhpRecord {
        PhpRecord {
            provider,
            central_id: i64::from(data.user_id),
            data,
            expires,
            force_https: false,
            logged_out: 0,
            persisted: true,
            bot_rights: Vec::new(),
            tree: Value::Array(vec![
                (Key::str("data"), Value::Array(Vec::new())),
                (Key::str("metadata"), Value::Array(Vec::new())),
            ]),
        }
    }

    /// Reads a record with the checks of SessionManager::loadSessionInfoFromStore that need
    /// nothing but the record: arrays `data` and `metadata`, the keys `userId`, `userName`,
    /// `userToken` and `provider`, and a provider mwauth serves.
    pub fn decode(bytes: &[u8]) -> Result<PhpRecord, RecordError> {
        let tree = php_serialize::unserialize(bytes)?;
        let data = tree
            .get("data")
            .filter(|d| d.entries().is_some())
            .ok_or(RecordError::Shape("no data array"))?;
        let meta = tree
            .get("metadata")
            .filter(|m| m.entries().is_some())
            .ok_or(RecordError::Shape("no metadata array"))?;
        let field = |k| {
            meta.get(k)
                .ok_or(RecordError::Shape("metadata key missing"))
        };
        let provider = match field("provider")? {
            v if v.as_str() == Some(COOKIE_PROVIDER) => Provider::Cookie,
            v if v.as_str() == Some(BOT_PASSWORD_PROVIDER) => Provider::BotPassword,
            v => {
                let name = match v {
                    Value::Str(s) => String::from_utf8_lossy(s).into_owned(),
                    other => format!("{other:?}"),
                };
                return Err(RecordError::OtherProvider(name));
            }
        };
        let user_id = match field("userId")? {
            Value::Int(i) => u32::try_from(*i).map_err(|_| RecordError::Shape("bad userId"))?,
            v if !truthy(v) => 0,
            _ => return Err(RecordError::Shape("bad userId")),
        };
        let text = |v: &Value| match v {
            Value::Null => Ok(String::new()),
            Value::Str(s) => String::from_utf8(s.clone()).map_err(|_| ()),
            _ => Err(()),
        };
        let user_name = text(field("userName")?).map_err(|_| RecordError::Shape("bad userName"))?;
        let user_token =
            text(field("userToken")?).map_err(|_| RecordError::Shape("bad userToken"))?;

        let mut session = SessionData {
            user_id,
            user_name,
            user_token,
            remember: meta.get("remember").is_some_and(truthy),
            ..SessionData::default()
        };
        for (k, v) in data
            .get("wsTokenSecrets")
            .and_then(Value::entries)
            .unwrap_or_default()
        {
            if let (Key::Str(k), Some(v)) = (k, v.as_str()) {
                if let Ok(k) = std::str::from_utf8(k) {
                    session.token_secrets.insert(k.to_string(), v.to_string());
                }
            }
        }
        // AuthManager::securitySensitiveOperationStatus trusts the timestamp only for the
        // user who authenticated.
        if data.get("AuthManager:lastAuthId").and_then(Value::as_int) == Some(user_id.into()) {
            session.last_auth = data
                .get("AuthManager:lastAuthTimestamp")
                .and_then(Value::as_int)
                .unwrap_or(0);
        }
        session.reauth_forms = read_reauth_forms(data.get(REAUTH_FORMS_KEY));
        let json = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
        session.authn = json(AUTHN_KEY).and_then(|t| serde_json::from_str(&t).ok());
        session.captchas = json(CAPTCHAS_KEY)
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        session.oath_enrolment =
            json(OATH_ENROLMENT_KEY).and_then(|t| serde_json::from_str(&t).ok());
        session.login_captcha_per_user = data.get(LOGIN_CAPTCHA_PER_USER_KEY).is_some_and(truthy);

        let mut central_id = i64::from(user_id);
        let mut bot_rights = Vec::new();
        if provider == Provider::BotPassword {
            let pm = meta
                .get("providerMetadata")
                .filter(|m| m.entries().is_some())
                .ok_or(RecordError::Shape("bot session without providerMetadata"))?;
            let (Some(app_id), Some(token), Some(cid)) = (
                pm.get("appId").and_then(Value::as_str),
                pm.get("token").and_then(Value::as_str),
                pm.get("centralId").and_then(Value::as_int),
            ) else {
                return Err(RecordError::Shape("bot session metadata incomplete"));
            };
            central_id = cid;
            bot_rights = strings(pm.get("rights"));
            session.bot = Some(BotGrant {
                app_id: app_id.to_string(),
                grants: Vec::new(),
                token: token.to_string(),
            });
        }
        Ok(PhpRecord {
            provider,
            data: session,
            expires: meta.get("expires").and_then(Value::as_int).unwrap_or(0),
            force_https: meta.get("forceHTTPS").is_some_and(truthy),
            logged_out: meta.get("loggedOut").and_then(Value::as_int).unwrap_or(0),
            persisted: meta.get("persisted").is_some_and(truthy),
            central_id,
            bot_rights,
            tree,
        })
    }

    /// The session stored as `bytes`, when they are a record mwauth can serve and it has not
    /// expired. Bytes that are no such record are no session (see [`PhpRecord::decode`]);
    /// they stay in the store for PHP to judge.
    pub fn live(bytes: &[u8]) -> Option<PhpRecord> {
        PhpRecord::decode(bytes)
            .ok()
            .filter(|r| r.expires >= crate::time::now())
    }

    /// What `SessionStore::load` answers for the record: its session data and expiry.
    pub fn into_loaded(self) -> (std::sync::Arc<SessionData>, i64) {
        (std::sync::Arc::new(self.data), self.expires)
    }

    /// The record's bytes: the tree it was read from with mwauth's fields written over it
    /// (in place when the key existed, appended otherwise, as PHP's array writes do).
    pub fn encode(&self) -> Vec<u8> {
        let mut tree = self.tree.clone();
        if tree.get("data").and_then(Value::entries).is_none() {
            tree.set("data", Value::Array(Vec::new()));
        }
        if tree.get("metadata").and_then(Value::entries).is_none() {
            tree.set("metadata", Value::Array(Vec::new()));
        }
        let entries = tree.entries_mut().expect("a record is an array");
        for (k, v) in entries.iter_mut() {
            if *k == Key::str("data") {
                self.write_data(v);
            } else if *k == Key::str("metadata") {
                self.write_metadata(v);
            }
        }
        php_serialize::serialize(&tree)
    }

    fn write_data(&self, data: &mut Value) {
        let s = &self.data;
        let user_id = i64::from(s.user_id);
        if s.last_auth != 0 {
            data.set("AuthManager:lastAuthId", Value::Int(user_id));
            data.set("AuthManager:lastAuthTimestamp", Value::Int(s.last_auth));
        } else if data.get("AuthManager:lastAuthId").and_then(Value::as_int) == Some(user_id) {
            data.remove("AuthManager:lastAuthId");
            data.remove("AuthManager:lastAuthTimestamp");
        }
        if s.user_id != 0 {
            data.set("wsUserID", Value::Int(user_id));
            data.set("wsUserName", Value::str(&s.user_name));
            data.set("wsToken", Value::str(&s.user_token));
        } else {
            for k in ["wsUserID", "wsUserName", "wsToken"] {
                data.remove(k);
            }
        }
        let mut secrets = match data.get("wsTokenSecrets") {
            Some(v @ Value::Array(_)) => v.clone(),
            _ => Value::Array(Vec::new()),
        };
        if let Some(entries) = secrets.entries_mut() {
            entries.retain(|(k, v)| match (k, v) {
                (Key::Str(k), Value::Str(_)) => {
                    std::str::from_utf8(k).is_ok_and(|k| s.token_secrets.contains_key(k))
                }
                _ => true,
            });
        }
        for (k, v) in s.token_secrets.iter() {
            if secrets.get(k).and_then(Value::as_str) != Some(v.as_str()) {
                secrets.set(k, Value::str(v.as_str()));
            }
        }
        data.set("wsTokenSecrets", secrets);
        if s.reauth_forms.is_empty() {
            data.remove(REAUTH_FORMS_KEY);
        } else {
            data.set(REAUTH_FORMS_KEY, reauth_forms_value(&s.reauth_forms));
        }
        match s.authn.as_ref().and_then(|a| serde_json::to_string(a).ok()) {
            Some(text) => data.set(AUTHN_KEY, Value::str(&text)),
            None => {
                data.remove(AUTHN_KEY);
            }
        }
        let captchas = (!s.captchas.is_empty())
            .then(|| serde_json::to_string(&s.captchas).ok())
            .flatten();
        match captchas {
            Some(text) => data.set(CAPTCHAS_KEY, Value::str(&text)),
            None => {
                data.remove(CAPTCHAS_KEY);
            }
        }
        match s
            .oath_enrolment
            .as_ref()
            .and_then(|k| serde_json::to_string(k).ok())
        {
            Some(text) => data.set(OATH_ENROLMENT_KEY, Value::str(&text)),
            None => {
                data.remove(OATH_ENROLMENT_KEY);
            }
        }
        // A value PHP wrote stays as it is while it says the same (Session::set writes only a
        // changed value); a flag mwauth raised is PHP's `true`, one it cleared is unset.
        let stored = data.get(LOGIN_CAPTCHA_PER_USER_KEY).map(truthy);
        match (s.login_captcha_per_user, stored) {
            (true, Some(true)) | (false, None | Some(false)) => {}
            (true, _) => data.set(LOGIN_CAPTCHA_PER_USER_KEY, Value::Bool(true)),
            (false, Some(true)) => {
                data.remove(LOGIN_CAPTCHA_PER_USER_KEY);
            }
        }
    }

    fn write_metadata(&self, meta: &mut Value) {
        let s = &self.data;
        let anon = s.user_id == 0;
        let text_or_null = |t: &str| {
            if anon || t.is_empty() {
                Value::Null
            } else {
                Value::str(t)
            }
        };
        let provider = match self.provider {
            Provider::Cookie => COOKIE_PROVIDER,
            Provider::BotPassword => BOT_PASSWORD_PROVIDER,
        };
        meta.set("provider", Value::str(provider));
        let provider_metadata = match (&s.bot, self.provider) {
            (Some(bot), Provider::BotPassword) => {
                let mut pm = match meta.get("providerMetadata") {
                    Some(v @ Value::Array(_)) => v.clone(),
                    _ => Value::Array(Vec::new()),
                };
                pm.set("centralId", Value::Int(self.central_id));
                pm.set("appId", Value::str(&bot.app_id));
                pm.set("token", Value::str(&bot.token));
                if strings(pm.get("rights")) != self.bot_rights {
                    pm.set("rights", string_list(&self.bot_rights));
                }
                pm
            }
            _ => Value::Null,
        };
        meta.set("providerMetadata", provider_metadata);
        meta.set("userId", Value::Int(i64::from(s.user_id)));
        meta.set("userName", text_or_null(&s.user_name));
        meta.set("userToken", text_or_null(&s.user_token));
        meta.set("remember", Value::Bool(s.remember));
        meta.set("forceHTTPS", Value::Bool(self.force_https));
        meta.set("expires", Value::Int(self.expires));
        meta.set("loggedOut", Value::Int(self.logged_out));
        meta.set("persisted", Value::Bool(self.persisted));
    }

    /// The tree as read (tests, diagnostics).
    pub fn tree(&self) -> &Value {
        &self.tree
    }
}

/// What a session store writes for mwauth's `SessionData`: the record it replaces (when that
/// reads as a session record) with mwauth's fields written over it, so that what PHP or an
/// extension keeps in it survives, else a new record. The provider follows `data.bot`. A
/// bot session's `rights` stay those of the record replaced, or none in a new one: PHP
/// recomputes them from `bp_grants` whenever it loads the session.
pub fn record_for_store(previous: Option<&[u8]>, data: &SessionData, expires: i64) -> Vec<u8> {
    let provider = if data.bot.is_some() {
        Provider::BotPassword
    } else {
        Provider::Cookie
    };
    let mut record = match previous.and_then(|b| PhpRecord::decode(b).ok()) {
        Some(r) => r,
        None => PhpRecord::new(provider, SessionData::default(), expires),
    };
    if record.provider != provider || record.data.user_id != data.user_id {
        record.central_id = i64::from(data.user_id);
        record.bot_rights.clear();
    }
    record.provider = provider;
    record.data = data.clone();
    record.expires = expires;
    record.encode()
}

/// PHP's `empty()` negated, as SessionManager applies it to `remember`, `forceHTTPS` and
/// `persisted`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => f.value != 0.0,
        Value::Str(s) => !(s.is_empty() || s == b"0"),
        Value::Array(e) => !e.is_empty(),
        _ => true,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(_, v)| v.as_str().map(str::to_string))
        .collect()
}

fn string_list(items: &[String]) -> Value {
    Value::Array(
        items
            .iter()
            .enumerate()
            .map(|(i, s)| (Key::Int(i as i64), Value::str(s)))
            .collect(),
    )
}

fn read_reauth_forms(v: Option<&Value>) -> Vec<(String, Vec<(String, String)>)> {
    let mut forms = Vec::new();
    for (k, fields) in v.and_then(Value::entries).unwrap_or_default() {
        let (Key::Str(k), Some(fields)) = (k, fields.entries()) else {
            continue;
        };
        let Ok(k) = std::str::from_utf8(k) else {
            continue;
        };
        let pairs = fields
            .iter()
            .filter_map(|(_, pair)| {
                let p = pair.entries()?;
                match p {
                    [(_, name), (_, value)] => {
                        Some((name.as_str()?.to_string(), value.as_str()?.to_string()))
                    }
                    _ => None,
                }
            })
            .collect();
        forms.push((k.to_string(), pairs));
    }
    forms
}

fn reauth_forms_value(forms: &[(String, Vec<(String, String)>)]) -> Value {
    Value::Array(
        forms
            .iter()
            .map(|(k, fields)| {
                let pairs = fields
                    .iter()
                    .enumerate()
                    .map(|(i, (n, v))| {
                        let pair = string_list(&[n.clone(), v.clone()]);
                        (Key::Int(i as i64), pair)
                    })
                    .collect();
                (Key::str(k), Value::Array(pairs))
            })
            .collect(),
    )
}

/// User::getToken: what a session's `userToken` and the remember-me `Token` cookie hold for a
/// user row's `user_token`. With `$wgAuthenticationTokenVersion` set (every installer since
/// 1.27 writes "1"), the last 32 hex digits of HMAC-Whirlpool(key = user_token, message =
/// version); without it the raw column. [`INVALID_USER_TOKEN`] gives a fresh random value,
/// so nothing matches it; an empty column gives an empty string (no token).
pub fn session_user_token(user_token: &str, version: Option<&str>) -> String {
    if user_token == INVALID_USER_TOKEN {
        return random_hex(32);
    }
    let Some(version) = version else {
        return user_token.to_string();
    };
    if user_token.is_empty() {
        return String::new();
    }
    let mut mac =
        Hmac::<Whirlpool>::new_from_slice(user_token.as_bytes()).expect("hmac takes any key");
    mac.update(version.as_bytes());
    let hexed = hex::encode(mac.finalize().into_bytes());
    hexed[hexed.len() - 32..].to_string()
}

/// Whether a stored `userToken` (or a `Token` cookie) belongs to this `user_token`, compared
/// in constant time as PHP's hash_equals does. Never true for an invalidated or empty token.
pub fn user_token_matches(given: &str, user_token: &str, version: Option<&str>) -> bool {
    if user_token == INVALID_USER_TOKEN || user_token.is_empty() || given.is_empty() {
        return false;
    }
    let expected = session_user_token(user_token, version);
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// One write to PHP's main object cache (WANObjectCache) beside the sessions: a key without
/// the session keyspace in front, its PHP-serialized value, its lifetime in seconds, and the
/// time (unix seconds) it was made at, which the lifetime counts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheWrite {
    pub key: String,
    pub value: Vec<u8>,
    pub ttl: i64,
    pub at: i64,
}

/// WANObjectCache's holdoff (HOLDOFF_TTL): how long a purge tombstone stays.
const HOLDOFF_TTL: i64 = 11;

/// User::invalidateCache after the user row changed (a new `user_token` ends the user's
/// sessions): WANObjectCache::delete of the user's cached row,
/// `WANCache:global:user:id:{domain}:{id}|#|v`, writes the tombstone `PURGED:{now}` for the
/// holdoff, so PHP reads the row again instead of a copy with the old token. `domain` is
/// the wiki's database domain id, which is its cache keyspace unless `$wgCachePrefix` is set.
pub fn user_cache_purge(domain: &str, user_id: u32, now: i64) -> CacheWrite {
    CacheWrite {
        key: format!("WANCache:global:user:id:{domain}:{user_id}|#|v"),
        value: php_serialize::serialize(&Value::str(&format!("PURGED:{now}"))),
        ttl: HOLDOFF_TTL,
        at: now,
    }
}

/// What Special:UserLogin does after a login (User::touch via `user-quicktouched`):
/// WANObjectCache::touchCheckKey writes `PURGED:{now}:11` under
/// `WANCache:{keyspace}:user-quicktouched:id:{id}|#|t` for a year (CHECK_KEY_TTL).
pub fn user_quick_touch(keyspace: &str, user_id: u32, now: i64) -> CacheWrite {
    CacheWrite {
        key: format!("WANCache:{keyspace}:user-quicktouched:id:{user_id}|#|t"),
        value: php_serialize::serialize(&Value::str(&format!("PURGED:{now}:{HOLDOFF_TTL}"))),
        ttl: 365 * 86400,
        at: now,
    }
}

#[cfg(test)]
#[path = "php_record_tests.rs"]
mod tests;
