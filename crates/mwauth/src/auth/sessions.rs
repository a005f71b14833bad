//! Finding the session a request belongs to and writing sessions back, as MediaWiki's
//! SessionManager does with its two providers:
//!
//! 1. `{prefix}_BPsession` (BotPasswordSessionProvider, higher priority): valid while the
//!    bot password exists with the same `bp_token` and the client's IP passes its
//!    restrictions.
//! 2. `{prefix}_session` (CookieSessionProvider): valid while the user's `user_token` is
//!    the one the session was made with.
//! 3. `{prefix}UserID` + `{prefix}Token` (remember-me): a new session for that user.
//! 4. Otherwise a new anonymous session, not stored until something needs it.
//!
//! An unknown or expired session id is never adopted: the new session gets a fresh id, so
//! a planted cookie cannot fix the id of someone else's session.

use crate::session::token::constant_time_eq;
use crate::session::{is_valid_session_id, Provider, Session, SessionData, SetCookie};
use crate::user::{botpassword, UserRecord};
use crate::{Config, Services};
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

pub struct Loaded {
    pub session: Session,
    /// The session's user, when it is a registered one.
    pub user: Option<Arc<UserRecord>>,
    /// Set when the session was made from remember-me cookies and must be stored and sent.
    pub force_persist: bool,
    /// Cookies loading decided to send: clearing a cookie whose session is gone, a fresh id
    /// for an unknown one, the user cookies renewed by a remember-me login.
    pub cookies: Vec<SetCookie>,
    /// A store could not be read (its error is logged). The API answers MediaWiki's
    /// internal-error shape rather than pretend the client is logged out.
    pub store_failed: bool,
}

/// The cookie `{prefix}{suffix}`, found without building its name.
fn prefixed_cookie<'a>(
    cookies: &'a [(Cow<'a, str>, Cow<'a, str>)],
    prefix: &str,
    suffix: &str,
) -> Option<&'a str> {
    cookies
        .iter()
        .find(|(k, _)| {
            k.len() == prefix.len() + suffix.len() && k.starts_with(prefix) && k.ends_with(suffix)
        })
        .map(|(_, v)| v.as_ref())
}

/// What follows the cookie prefix in the name of each provider's session cookie.
fn session_cookie_suffix(provider: Provider) -> &'static str {
    match provider {
        Provider::Cookie => "_session",
        Provider::BotPassword => "_BPsession",
    }
}

pub fn session_cookie_name(config: &Config, provider: Provider) -> String {
    format!(
        "{}{}",
        config.cookie_prefix(),
        session_cookie_suffix(provider)
    )
}

impl Loaded {
    /// A store could not be read: an anonymous session that is never stored and changes no
    /// cookie, so nothing the client holds is lost.
    pub fn failed() -> Loaded {
        Loaded {
            session: Session::new_anonymous(),
            user: None,
            force_persist: false,
            cookies: Vec::new(),
            store_failed: true,
        }
    }
}

pub async fn load(
    services: &Services,
    cookies: &[(Cow<'_, str>, Cow<'_, str>)],
    ip: IpAddr,
) -> Loaded {
    load_with(services, cookies, ip, false).await
}

/// SessionManager::getSessionForRequest. What MediaWiki does with a cookie whose session is
/// gone (expired, logged out, never existed) is part of the wire protocol:
/// - a dead `…_BPsession` is cleared;
/// - a dead `…_session` sent with `…UserID` (a logged-in session that ended) is cleared with
///   the user cookies;
/// - a dead `…_session` alone is replaced by a new, empty session under a fresh id (never
///   the id the client sent: no fixation).
pub async fn load_with(
    services: &Services,
    cookies: &[(Cow<'_, str>, Cow<'_, str>)],
    ip: IpAddr,
    https: bool,
) -> Loaded {
    let config = &services.config;
    let prefix = config.cookie_prefix();
    let mut out_cookies = Vec::new();
    let mut failed = false;
    if let Some(id) = prefixed_cookie(
        cookies,
        prefix,
        session_cookie_suffix(Provider::BotPassword),
    ) {
        if let Some((data, expires, user)) = load_bot_session(services, id, ip, &mut failed).await {
            let session = Session {
                id: id.to_string(),
                provider: Provider::BotPassword,
                data,
                persisted: true,
                dirty: false,
                expires,
            };
            return Loaded {
                session,
                user: Some(user),
                force_persist: false,
                cookies: out_cookies,
                store_failed: failed,
            };
        }
        if failed {
            return Loaded::failed();
        }
        out_cookies.push(clear_cookie(
            config,
            session_cookie_name(config, Provider::BotPassword),
            https,
        ));
    }
    let mut dead_cookie_session = false;
    if let Some(id) = prefixed_cookie(cookies, prefix, session_cookie_suffix(Provider::Cookie)) {
        if let Some((data, expires, user)) = load_cookie_session(services, id, &mut failed).await {
            let session = Session {
                id: id.to_string(),
                provider: Provider::Cookie,
                data,
                persisted: true,
                dirty: false,
                expires,
            };
            return Loaded {
                session,
                user,
                force_persist: false,
                cookies: out_cookies,
                store_failed: failed,
            };
        }
        if failed {
            return Loaded::failed();
        }
        dead_cookie_session = true;
    }
    if let (Some(uid), Some(token)) = (
        prefixed_cookie(cookies, prefix, "UserID"),
        prefixed_cookie(cookies, prefix, "Token"),
    ) {
        if let Ok(uid) = uid.parse::<u32>() {
            if let Ok(Some(user)) = services.users.user_by_id_shared(uid).await {
                if !user.token.is_empty() && constant_time_eq(&user.token, token) {
                    // CookieSessionProvider: a new session for the remembered user, its
                    // cookie and the user cookies sent again for another 180 days.
                    let mut session = Session::new_anonymous();
                    session.data = Arc::new(SessionData {
                        user_id: user.id,
                        user_name: user.name.clone(),
                        user_token: user.token.clone(),
                        remember: true,
                        ..SessionData::default()
                    });
                    session.dirty = true;
                    out_cookies.push(id_cookie(config, &session, https));
                    out_cookies.extend(user_cookies(config, &user, true, https));
                    session.persisted = true;
                    return Loaded {
                        session,
                        user: Some(user),
                        force_persist: true,
                        cookies: out_cookies,
                        store_failed: failed,
                    };
                }
            }
        }
    }
    let mut session = Session::new_anonymous();
    if dead_cookie_session {
        if prefixed_cookie(cookies, prefix, "UserID").is_some() {
            out_cookies.extend(logout_cookies(config, https));
        } else {
            out_cookies.push(id_cookie(config, &session, https));
            session.persisted = true;
            session.dirty = true;
            return Loaded {
                session,
                user: None,
                force_persist: true,
                cookies: out_cookies,
                store_failed: failed,
            };
        }
    }
    Loaded {
        session,
        user: None,
        force_persist: false,
        cookies: out_cookies,
        store_failed: failed,
    }
}

async fn load_stored(
    services: &Services,
    id: &str,
    failed: &mut bool,
) -> Option<(Arc<SessionData>, i64)> {
    if !is_valid_session_id(id) {
        return None;
    }
    match services.sessions.load(id).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!("session store failed: {e}");
            *failed = true;
            None
        }
    }
}

async fn user_by_id(services: &Services, id: u32, failed: &mut bool) -> Option<Arc<UserRecord>> {
    match services.users.user_by_id_shared(id).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            *failed = true;
            None
        }
    }
}

async fn load_bot_session(
    services: &Services,
    id: &str,
    ip: IpAddr,
    failed: &mut bool,
) -> Option<(Arc<SessionData>, i64, Arc<UserRecord>)> {
    let (data, expires) = load_stored(services, id, failed).await?;
    let grant = data.bot.as_ref()?;
    let user = user_by_id(services, data.user_id, failed).await?;
    let bp = match services
        .users
        .bot_password_shared(user.id, &grant.app_id)
        .await
    {
        Ok(bp) => bp?,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            *failed = true;
            return None;
        }
    };
    if !constant_time_eq(&bp.token, &grant.token) || !botpassword::ip_allowed(&bp.restrictions, ip)
    {
        return None;
    }
    Some((data, expires, user))
}

async fn load_cookie_session(
    services: &Services,
    id: &str,
    failed: &mut bool,
) -> Option<(Arc<SessionData>, i64, Option<Arc<UserRecord>>)> {
    let (data, expires) = load_stored(services, id, failed).await?;
    if data.bot.is_some() {
        return None;
    }
    if data.user_id == 0 {
        return Some((data, expires, None));
    }
    let user = user_by_id(services, data.user_id, failed).await?;
    if !constant_time_eq(&user.token, &data.user_token) {
        return None;
    }
    Some((data, expires, Some(user)))
}

/// Writes the session with a fresh idle expiry.
pub async fn save(services: &Services, session: &Session, now: i64) {
    let expires = now + services.config.session_expiry as i64;
    if let Err(e) = services
        .sessions
        .save(&session.id, &session.data, expires)
        .await
    {
        tracing::error!("session store failed: {e}");
    }
}

pub async fn delete(services: &Services, id: &str) {
    if let Err(e) = services.sessions.delete(id).await {
        tracing::error!("session store failed: {e}");
    }
}

fn secure(config: &Config, https: bool) -> bool {
    config.cookie_secure.unwrap_or(https)
}

/// The cookie that carries a session id (no expiry: it lives as long as the browser).
pub fn id_cookie(config: &Config, session: &Session, https: bool) -> SetCookie {
    SetCookie {
        name: session_cookie_name(config, session.provider),
        value: session.id.clone(),
        max_age: None,
        secure: secure(config, https),
        samesite: config.cookie_samesite.clone(),
    }
}

/// CookieSessionProvider's user cookies after a login: `UserID` and `UserName` for
/// `$wgCookieExpiration`, or, when the login asked to be remembered, those and `Token` for
/// `$wgExtendedLoginCookieExpiration`.
pub fn user_cookies(
    config: &Config,
    user: &UserRecord,
    remember: bool,
    https: bool,
) -> Vec<SetCookie> {
    let prefix = config.cookie_prefix();
    let age = if remember {
        config.remember_expiry
    } else {
        config.cookie_expiry
    };
    let make = |name: &str, value: String| SetCookie {
        name: format!("{prefix}{name}"),
        value,
        max_age: Some(age as i64),
        secure: secure(config, https),
        samesite: config.cookie_samesite.clone(),
    };
    let mut cookies = vec![
        make("UserID", user.id.to_string()),
        make("UserName", user.name.clone()),
    ];
    if remember {
        cookies.push(make("Token", user.token.clone()));
    }
    cookies
}

/// WebResponse::setCookie never deletes a cookie the client did not send (nor one this
/// response did not set first): logging out without a `Token` cookie clears no `Token`.
pub fn drop_needless_deletions(
    cookies: &mut Vec<SetCookie>,
    sent: &[(Cow<'_, str>, Cow<'_, str>)],
) {
    // A cookie set twice in one response (a fresh session id replaced by a login's) is sent
    // once, with its last value.
    let mut seen: Vec<String> = Vec::new();
    for i in (0..cookies.len()).rev() {
        if seen.contains(&cookies[i].name) {
            cookies.remove(i);
        } else {
            seen.push(cookies[i].name.clone());
        }
    }
    let mut set_here: Vec<String> = Vec::new();
    cookies.retain(|c| {
        if c.max_age == Some(0) {
            let keep = sent.iter().any(|(n, _)| *n == c.name) || set_here.contains(&c.name);
            set_here.retain(|n| *n != c.name);
            keep
        } else {
            set_here.push(c.name.clone());
            true
        }
    });
}

/// `NAME=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly`.
pub fn clear_cookie(config: &Config, name: String, https: bool) -> SetCookie {
    SetCookie {
        name,
        value: "deleted".into(),
        max_age: Some(0),
        secure: secure(config, https),
        samesite: config.cookie_samesite.clone(),
    }
}

/// What logging out of a normal session clears (CookieSessionProvider::unpersistSession):
/// the session cookie, `UserID` and `Token`, but not `UserName`.
pub fn logout_cookies(config: &Config, https: bool) -> Vec<SetCookie> {
    let prefix = config.cookie_prefix();
    vec![
        clear_cookie(config, session_cookie_name(config, Provider::Cookie), https),
        clear_cookie(config, format!("{prefix}UserID"), https),
        clear_cookie(config, format!("{prefix}Token"), https),
    ]
}
