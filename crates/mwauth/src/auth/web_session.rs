//! Sessions as the pages people use (index.php, [`crate::web`]) see them: the same sessions,
//! store and cookies as api.php — logging in on a page logs the API in and the other way
//! round — with the differences MediaWiki has between its two entry points:
//!
//! - the bot-password cookie (`…_BPsession`) is ignored: BotPasswordSessionProvider only
//!   provides sessions to the API, so a bot password never opens a page;
//! - a login asks whether to be remembered ("Keep me logged in"): without it, no `Token`
//!   cookie, so the login ends with the browser session (CookieSessionProvider).

use super::sessions::{self, Loaded};
use crate::session::{random_hex, Provider, Session, SessionData, SetCookie};
use crate::user::UserRecord;
use crate::Services;
use std::borrow::Cow;
use std::net::IpAddr;

/// SessionManager::getSessionForRequest for index.php: the API's providers but the
/// bot-password one.
pub async fn load(
    services: &Services,
    cookies: &[(Cow<'_, str>, Cow<'_, str>)],
    ip: IpAddr,
) -> Loaded {
    let bp = sessions::session_cookie_name(&services.config, Provider::BotPassword);
    let cookies: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        cookies.iter().filter(|(n, _)| *n != bp).cloned().collect();
    sessions::load(services, &cookies, ip).await
}

/// AuthManager::setSessionDataForUser, as Special:UserLogin and Special:CreateAccount call
/// it: the old session is deleted, and the user gets a new session id (no fixation) with no
/// token secrets yet (only forms kept for a re-login of the same user come along). The
/// user's `user_token` is made when it is empty. The new session is not stored yet: [`flush`]
/// it.
pub async fn begin_user_session(
    services: &Services,
    old: &Session,
    mut user: UserRecord,
    remember: bool,
) -> (Session, UserRecord) {
    if old.persisted {
        sessions::delete(services, &old.id).await;
    }
    if user.token.is_empty() {
        user.token = random_hex(32);
        if let Err(e) = services.users.set_user_token(user.id, &user.token).await {
            tracing::error!("user store failed: {e}");
        }
    }
    let mut session = Session::new_anonymous();
    session.data = std::sync::Arc::new(SessionData {
        user_id: user.id,
        user_name: user.name.clone(),
        user_token: user.token.clone(),
        remember,
        last_auth: crate::time::now(),
        // SessionBackend::resetId keeps the session's data: a form kept for a re-login
        // (Special:BotPasswords) is still there when the same user has logged in again.
        reauth_forms: if old.data.user_id == user.id {
            old.data.reauth_forms.clone()
        } else {
            Vec::new()
        },
        ..SessionData::default()
    });
    session.dirty = true;
    (session, user)
}

/// CookieSessionProvider::persistSession's user cookies after a login: `UserID` and
/// `UserName`, and `Token` when the login is remembered; otherwise a `Token` left from an
/// earlier remembered login is deleted (drop the deletion when the client sent none, with
/// [`sessions::drop_needless_deletions`]).
pub fn login_cookies(
    services: &Services,
    user: &UserRecord,
    remember: bool,
    https: bool,
) -> Vec<SetCookie> {
    let config = &services.config;
    let mut cookies = sessions::user_cookies(config, user, remember, https);
    if !remember {
        let name = format!("{}Token", config.cookie_prefix());
        cookies.push(sessions::clear_cookie(config, name, https));
    }
    cookies
}

/// Session::persist and SessionBackend::renew at the end of a request: stores the session
/// when it changed, is new, or has used half its idle lifetime, and returns its cookie when
/// the client does not hold it yet. Nothing happens to a session that need not persist.
pub async fn flush(
    services: &Services,
    session: &mut Session,
    persist: bool,
    now: i64,
    https: bool,
) -> Option<SetCookie> {
    if !(persist || session.persisted) {
        return None;
    }
    let half_life = (services.config.session_expiry / 2) as i64;
    let stale = session.expires - now < half_life;
    if session.dirty || !session.persisted || stale {
        sessions::save(services, session, now).await;
        session.dirty = false;
        session.expires = now + services.config.session_expiry as i64;
    }
    if session.persisted {
        return None;
    }
    session.persisted = true;
    Some(sessions::id_cookie(&services.config, session, https))
}

/// User::logout for a page's session: the stored session is deleted and the session,
/// `UserID` and `Token` cookies are cleared (`UserName` stays, as in MediaWiki). A session
/// made from remember-me cookies in this very request has nothing stored yet, but its
/// cookies are cleared all the same, or the next request would log the user in again.
pub async fn end(services: &Services, session: &Session, https: bool) -> Vec<SetCookie> {
    if session.persisted {
        sessions::delete(services, &session.id).await;
    }
    if session.persisted || !session.is_anon() {
        sessions::logout_cookies(&services.config, https)
    } else {
        Vec::new()
    }
}
