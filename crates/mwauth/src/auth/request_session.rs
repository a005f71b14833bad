//! The one owner of a request's session, for api.php and the pages alike: it finds the
//! session the request belongs to, hands out and checks its tokens, logs users in and out,
//! and at the end writes the session back and says which cookies to send. Nothing else
//! decides whether a session is stored or builds a session cookie.
//!
//! Finding the session is MediaWiki's SessionManager::getSessionForRequest with its two
//! providers:
//!
//! 1. `{prefix}_BPsession` (BotPasswordSessionProvider, higher priority, api.php only): valid
//!    while the bot password exists with the same `bp_token` and the client's IP passes its
//!    restrictions.
//! 2. `{prefix}_session` (CookieSessionProvider): valid while the user's `user_token` is the
//!    one the session was made with.
//! 3. `{prefix}UserID` + `{prefix}Token` (remember-me): a new session for that user.
//! 4. Otherwise a new anonymous session, not stored until something needs it.
//!
//! With `session_format = "php"` the stored records are MediaWiki's, shared with a PHP wiki,
//! and SessionManager::loadSessionInfoFromStore's further rules apply ([`user_matches`]).
//! The user token a session and the `Token` cookie hold is User::getToken's
//! ([`session_token`]) in both formats.
//!
//! An unknown or expired session id is never adopted: the new session gets a fresh id, so a
//! planted cookie cannot fix the id of someone else's session.

use crate::config::SessionFormat;
use crate::session::captcha::PendingCaptcha;
use crate::session::cookie::{drop_needless_deletions, session_suffix, SentCookie, SessionCookies};
use crate::session::php_record::{session_user_token, user_token_matches};
use crate::session::token::{constant_time_eq, ANON_TOKEN};
use crate::session::{
    is_valid_session_id, random_hex, AuthnState, BotGrant, Provider, Session, SessionData,
    SetCookie,
};
use crate::store::StoreResult;
use crate::user::{botpassword, BotPasswordRecord, UserRecord};
use crate::Services;
use std::net::IpAddr;
use std::sync::Arc;

/// The entry point a request came through. The pages (index.php) do not take the
/// bot-password cookie: BotPasswordSessionProvider provides sessions to the API only, so a
/// bot password never opens a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPoint {
    Api,
    Pages,
}

/// How a token given with a request compares with the session's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Good,
    /// The session had no secret for it: its cookie was lost, or it expired.
    NoSession,
    Missing,
    Wrong,
}

/// One request's session: the session, its user, the cookies to send, and whether it must be
/// stored at the end.
pub struct RequestSession<'s> {
    services: &'s Services,
    session: Session,
    user: Option<Arc<UserRecord>>,
    /// Cookies to send, in order.
    cookies: Vec<SetCookie>,
    https: bool,
    now: i64,
    /// Session::persist was asked for: store the session and give the client its cookie,
    /// even an anonymous one.
    persist: bool,
    load_failed: bool,
}

impl<'s> RequestSession<'s> {
    /// A new anonymous session, not stored until something needs it. ApiMain gives one to
    /// requests that break the same-origin policy, whatever cookies they carry.
    pub fn anonymous(services: &'s Services, https: bool, now: i64) -> RequestSession<'s> {
        RequestSession {
            services,
            session: Session::new_anonymous(),
            user: None,
            cookies: Vec::new(),
            https,
            now,
            persist: false,
            load_failed: false,
        }
    }

    /// The session the request's cookies name (see the module's documentation).
    ///
    /// When a store cannot be read (the error is logged) the request gets an anonymous
    /// session that is never stored and changes no cookie, so nothing the client holds is
    /// lost, and [`RequestSession::load_failed`] says so: the API answers MediaWiki's
    /// internal-error shape rather than pretend the client is logged out.
    pub async fn load(
        services: &'s Services,
        sent: &[SentCookie<'_>],
        ip: IpAddr,
        https: bool,
        now: i64,
        entry: EntryPoint,
    ) -> RequestSession<'s> {
        let mut cookies = Vec::new();
        match find(services, sent, ip, https, entry, &mut cookies).await {
            Ok(found) => RequestSession {
                services,
                session: found.session,
                user: found.user,
                cookies,
                https,
                now,
                persist: found.persist,
                load_failed: false,
            },
            Err(e) => {
                tracing::error!("session store failed: {e}");
                let mut this = RequestSession::anonymous(services, https, now);
                this.load_failed = true;
                this
            }
        }
    }

    /// A store could not be read while loading (see [`RequestSession::load`]).
    pub fn load_failed(&self) -> bool {
        self.load_failed
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn provider(&self) -> Provider {
        self.session.provider
    }

    /// The session's user, when it is a registered one.
    pub fn user(&self) -> Option<&Arc<UserRecord>> {
        self.user.as_ref()
    }

    pub fn is_anon(&self) -> bool {
        self.user.is_none()
    }

    /// Session::persist: store the session at the end and give the client its cookie, even
    /// an anonymous one (a form's token needs somewhere to live).
    pub fn persist(&mut self) {
        self.persist = true;
    }

    /// The session's data, to change; the session is written back at the end.
    pub fn data_mut(&mut self) -> &mut SessionData {
        self.session.dirty = true;
        Arc::make_mut(&mut self.session.data)
    }

    /// Keeps (or, with `None`, ends) a login waiting for its second factor; the session is
    /// written only when that changes.
    pub fn set_authn(&mut self, state: Option<AuthnState>) {
        if self.session.data.authn != state {
            self.data_mut().authn = state;
            self.persist();
        }
    }

    /// Keeps the captchas asked and not answered yet; the session is written only when they
    /// change.
    pub fn set_pending_captchas(&mut self, pending: Vec<PendingCaptcha>) {
        if self.session.data.captchas != pending {
            self.data_mut().captchas = pending;
            self.persist();
        }
    }

    /// Raises or clears ConfirmEdit's per-user login captcha flag
    /// ([`SessionData::login_captcha_per_user`]); the session is written only when it changes.
    pub fn set_login_captcha_per_user(&mut self, flag: bool) {
        if self.session.data.login_captcha_per_user != flag {
            self.data_mut().login_captcha_per_user = flag;
            self.persist();
        }
    }

    /// A cookie of another part of MediaWiki (ChronologyProtector) that goes out with this
    /// response, after the ones set so far.
    pub fn add_cookie(&mut self, cookie: SetCookie) {
        self.cookies.push(cookie);
    }

    pub fn has_secret(&self, key: &str) -> bool {
        self.session.has_secret(key)
    }

    /// ApiQueryTokens::getToken for a token type (`csrf`, `login`, …; see [`token_salt`]);
    /// empty for an unknown type.
    pub fn token(&mut self, kind: &str) -> String {
        match token_salt(kind) {
            Some((key, salt)) => self.salted_token(key, salt),
            None => String::new(),
        }
    }

    /// Session::getToken(salt, key). Login and create-account tokens live in their own
    /// session secrets and persist the session (even an anonymous one); the user's edit
    /// token (`default`) of an anonymous user is the constant `+\` (User::getEditToken).
    pub fn salted_token(&mut self, key: &str, salt: &str) -> String {
        if key != "default" {
            self.persist = true;
        } else if self.is_anon() {
            return ANON_TOKEN.to_string();
        }
        let (secret, _) = self.session.token_secret(key);
        secret.token_at(salt, self.now)
    }

    /// Token::match against this session's token of `kind`.
    pub fn check_token(&self, kind: &str, given: &str, max_age: Option<i64>) -> bool {
        let Some((key, salt)) = token_salt(kind) else {
            return false;
        };
        self.check_salted(key, salt, given, max_age) == TokenCheck::Good
    }

    /// Token::match of a token made by [`RequestSession::salted_token`], telling apart a
    /// session that never had the secret. Checking makes no secret.
    pub fn check_salted(
        &self,
        key: &str,
        salt: &str,
        given: &str,
        max_age: Option<i64>,
    ) -> TokenCheck {
        if key == "default" && self.is_anon() {
            return if constant_time_eq(ANON_TOKEN, given) {
                TokenCheck::Good
            } else if given.is_empty() {
                TokenCheck::Missing
            } else {
                TokenCheck::Wrong
            };
        }
        let Some(secret) = self.session.data.token_secrets.get(key) else {
            return TokenCheck::NoSession;
        };
        if given.is_empty() {
            TokenCheck::Missing
        } else if secret.matches(salt, given, max_age, self.now) {
            TokenCheck::Good
        } else {
            TokenCheck::Wrong
        }
    }

    /// AuthManager::setSessionDataForUser, for action=login, action=clientlogin,
    /// Special:UserLogin and Special:CreateAccount: the old session is deleted, and the user
    /// gets a new session id (no fixation) with no token secrets yet (only forms kept for a
    /// re-login of the same user come along, as SessionBackend::resetId keeps its data). The
    /// user's `user_token` is made when it is empty. The new session is stored and its
    /// cookie and the user cookies (remember-me ones when asked) are set.
    ///
    /// A store that fails here fails the login (nothing changed): going on would hand the
    /// client a session its next request cannot find, or leave the old one alive.
    pub async fn log_in(&mut self, mut user: UserRecord, remember: bool) -> StoreResult<()> {
        let services = self.services;
        if self.session.persisted {
            services
                .sessions
                .delete(&self.session.id)
                .await
                .inspect_err(|e| tracing::error!("session store failed: {e}"))?;
        }
        if user.token.is_empty() {
            let token = random_hex(32);
            services
                .users
                .set_user_token(user.id, &token)
                .await
                .inspect_err(|e| tracing::error!("user store failed: {e}"))?;
            user.token = token;
            if let Err(e) = services.sessions.user_changed(user.id).await {
                tracing::error!("session store failed: {e}");
            }
        }
        let user_token = session_token(services, &user);
        let old = std::mem::replace(&mut self.session, Session::new_anonymous());
        self.session.data = Arc::new(SessionData {
            user_id: user.id,
            user_name: user.name.clone(),
            user_token: user_token.clone(),
            remember,
            // AuthManager::setSessionDataForUser's time(): after the password was checked,
            // which may have taken a while, not when the request came.
            last_auth: crate::time::now(),
            reauth_forms: if old.data.user_id == user.id {
                old.data.reauth_forms.clone()
            } else {
                Vec::new()
            },
            ..SessionData::default()
        });
        self.session.dirty = true;
        self.persist = true;
        self.store().await;
        let names = SessionCookies::new(&services.config, self.https);
        self.cookies
            .extend(names.user(user.id, &user.name, &user_token, remember));
        self.user = Some(Arc::new(user));
        Ok(())
    }

    /// BotPasswordSessionProvider::newSessionForRequest after BotPassword::login: a separate
    /// session on its own cookie, limited to the bot password's grants. The cookie session
    /// the client already has stays as it is (stored now, if it must be).
    pub async fn log_in_bot(&mut self, user: &UserRecord, bp: BotPasswordRecord) {
        self.store().await;
        let mut session = Session::new_anonymous();
        session.provider = Provider::BotPassword;
        session.data = Arc::new(SessionData {
            user_id: user.id,
            user_name: user.name.clone(),
            bot: Some(BotGrant {
                app_id: bp.app_id,
                grants: bp.grants,
                token: bp.token,
            }),
            user_token: session_token(self.services, user),
            ..SessionData::default()
        });
        session.dirty = true;
        self.session = session;
        self.user = Some(Arc::new(user.clone()));
        self.persist = true;
    }

    /// User::logout, for action=logout and Special:UserLogout. A bot-password session: its
    /// stored data is deleted and `…_BPsession` is cleared. A normal session the client
    /// holds: its stored data is deleted and `…_session`, `…UserID` and `…Token` are cleared
    /// (`…UserName` stays, as in MediaWiki). One the client holds no cookie for has nothing
    /// to end (Session::unpersist). Afterwards the request is anonymous.
    ///
    /// **When the store fails to delete the session**, this answers the error and changes
    /// nothing: the session and its cookies stay, and the caller answers as for a store that
    /// fails while loading (the API's internal-error shape), so the client knows it is still
    /// logged in and can try again.
    ///
    /// MediaWiki does otherwise: SessionBackend::unpersist ignores what
    /// `$this->store->delete()` returns (CachedBagOStuff drops its in-process copy and passes
    /// the delete on; RedisBagOStuff::doDelete returns false on a connection failure and only
    /// logs it), so the client gets `{}` and cleared cookies while the stored session lives
    /// on until it expires, and a copy of the old cookie (the one logging out was meant to
    /// make worthless) still logs in. An operator would rather see the failure than have
    /// users believe they logged out of a shared computer.
    pub async fn log_out(&mut self) -> StoreResult<()> {
        let provider = self.session.provider;
        if provider == Provider::BotPassword || self.session.persisted {
            self.services
                .sessions
                .delete(&self.session.id)
                .await
                .inspect_err(|e| tracing::error!("session store failed: {e}"))?;
            let names = SessionCookies::new(&self.services.config, self.https);
            self.cookies.extend(names.logout(provider));
        }
        self.session = Session::new_anonymous();
        self.user = None;
        self.persist = false;
        Ok(())
    }

    /// The end of the request: the session is written back when it must be (see
    /// [`RequestSession::store`]), and the Set-Cookie header values come out in order, less
    /// the deletions WebResponse::setCookie would not send (`sent`: the request's cookies).
    pub async fn finish(&mut self, sent: &[SentCookie<'_>]) -> Vec<String> {
        self.store().await;
        drop_needless_deletions(&mut self.cookies, sent);
        self.cookies
            .iter()
            .map(|c| c.header_value(self.now))
            .collect()
    }

    /// Session::persist and SessionBackend::renew: stores the session when it changed, is
    /// new, or has used half its idle lifetime (so active clients stay logged in and idle
    /// ones expire), and sets its cookie when the client does not hold it yet. Nothing
    /// happens to a session that need not persist. A failed write is logged; the answer
    /// goes out as it is.
    async fn store(&mut self) {
        // After a failed load the client's own session may well be alive in the store: a
        // page that wants a session (a login form) must not replace its cookie.
        if self.load_failed || !(self.persist || self.session.persisted) {
            return;
        }
        let lifetime = self.services.config.session_expiry as i64;
        let stale = self.session.expires - self.now < lifetime / 2;
        if self.session.dirty || !self.session.persisted || stale {
            let expires = self.now + lifetime;
            let saved = self
                .services
                .sessions
                .save(&self.session.id, &self.session.data, expires)
                .await;
            if let Err(e) = saved {
                tracing::error!("session store failed: {e}");
            }
            self.session.dirty = false;
            self.session.expires = expires;
        }
        if !self.session.persisted {
            self.session.persisted = true;
            let names = SessionCookies::new(&self.services.config, self.https);
            self.cookies
                .push(names.session_id(self.session.provider, &self.session.id));
        }
    }
}

/// What loading found: the session, its user, and whether it must be stored and sent.
struct Found {
    session: Session,
    user: Option<Arc<UserRecord>>,
    persist: bool,
}

impl Found {
    /// A session read from the store, built in place: no anonymous one is made first, which
    /// would cost a random id and an allocation on every request of a logged-in client.
    fn stored(
        id: &str,
        provider: Provider,
        (data, expires): (Arc<SessionData>, i64),
        user: Option<Arc<UserRecord>>,
    ) -> Found {
        let session = Session {
            id: id.to_string(),
            provider,
            data,
            persisted: true,
            dirty: false,
            expires,
        };
        Found {
            session,
            user,
            persist: false,
        }
    }
}

/// SessionManager::getSessionForRequest (see the module's documentation); `cookies` gets the
/// cookies it decides to send. What MediaWiki does with a cookie whose session is gone
/// (expired, logged out, never existed) is part of the wire protocol:
/// - a dead `…_BPsession` is cleared;
/// - a dead `…_session` sent with `…UserID` (a logged-in session that ended) is cleared with
///   the user cookies;
/// - a dead `…_session` alone is replaced by a new, empty session under a fresh id (never
///   the id the client sent: no fixation);
/// - a MediaWiki record that fails its checks ([`CookieLoad::Refused`]) is cleared with the
///   user cookies, with or without `…UserID`.
async fn find(
    services: &Services,
    sent: &[SentCookie<'_>],
    ip: IpAddr,
    https: bool,
    entry: EntryPoint,
    cookies: &mut Vec<SetCookie>,
) -> StoreResult<Found> {
    let names = SessionCookies::new(&services.config, https);
    if entry == EntryPoint::Api {
        if let Some(id) = names.sent(sent, session_suffix(Provider::BotPassword)) {
            if let Some((data, expires, user)) = load_bot_session(services, id, ip).await? {
                let provider = Provider::BotPassword;
                return Ok(Found::stored(id, provider, (data, expires), Some(user)));
            }
            cookies.push(names.clear(names.session_name(Provider::BotPassword)));
        }
    }
    let mut dead_cookie_session = false;
    let mut refused = false;
    if let Some(id) = names.sent(sent, session_suffix(Provider::Cookie)) {
        let user_id_cookie = names.sent(sent, "UserID");
        match load_cookie_session(services, id, user_id_cookie).await? {
            CookieLoad::Found(data, expires, user) => {
                return Ok(Found::stored(id, Provider::Cookie, (data, expires), user));
            }
            CookieLoad::Dead => dead_cookie_session = true,
            CookieLoad::Refused => refused = true,
        }
    }
    let mut session = Session::new_anonymous();
    if let Some(user) = remembered_user(services, &names, sent).await? {
        // CookieSessionProvider: a new session for the remembered user, its cookie and the
        // user cookies sent again for another 180 days.
        let user_token = session_token(services, &user);
        session.data = Arc::new(SessionData {
            user_id: user.id,
            user_name: user.name.clone(),
            user_token: user_token.clone(),
            remember: true,
            ..SessionData::default()
        });
        session.dirty = true;
        session.persisted = true;
        cookies.push(names.session_id(Provider::Cookie, &session.id));
        cookies.extend(names.user(user.id, &user.name, &user_token, true));
        return Ok(Found {
            session,
            user: Some(user),
            persist: true,
        });
    }
    let mut persist = false;
    if refused {
        cookies.extend(names.logout(Provider::Cookie));
    } else if dead_cookie_session {
        if names.sent(sent, "UserID").is_some() {
            cookies.extend(names.logout(Provider::Cookie));
        } else {
            cookies.push(names.session_id(Provider::Cookie, &session.id));
            session.persisted = true;
            session.dirty = true;
            persist = true;
        }
    }
    Ok(Found {
        session,
        user: None,
        persist,
    })
}

/// ApiQueryTokens::getTokenTypeSalts: (session secret key, salt) per token type.
pub fn token_salt(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "csrf" => ("default", ""),
        "watch" => ("default", "watch"),
        "patrol" => ("default", "patrol"),
        "rollback" => ("default", "rollback"),
        "userrights" => ("default", "userrights"),
        "login" => ("login", ""),
        "createaccount" => ("createaccount", ""),
        _ => return None,
    })
}

async fn load_stored(
    services: &Services,
    id: &str,
) -> StoreResult<Option<(Arc<SessionData>, i64)>> {
    if !is_valid_session_id(id) {
        return Ok(None);
    }
    services.sessions.load(id).await
}

async fn load_bot_session(
    services: &Services,
    id: &str,
    ip: IpAddr,
) -> StoreResult<Option<(Arc<SessionData>, i64, Arc<UserRecord>)>> {
    let Some((mut data, expires)) = load_stored(services, id).await? else {
        return Ok(None);
    };
    let Some(grant) = data.bot.as_ref() else {
        return Ok(None);
    };
    let Some(user) = services.users.user_by_id_shared(data.user_id).await? else {
        return Ok(None);
    };
    let Some(bp) = services
        .users
        .bot_password_shared(user.id, &grant.app_id)
        .await?
    else {
        return Ok(None);
    };
    if !constant_time_eq(&bp.token, &grant.token) || !botpassword::ip_allowed(&bp.restrictions, ip)
    {
        return Ok(None);
    }
    // BotPasswordSessionProvider::refreshSessionInfo: the rights come from the grants the
    // bot password has now (MediaWiki's records hold only the rights they had).
    if grant.grants != bp.grants {
        if let Some(bot) = Arc::make_mut(&mut data).bot.as_mut() {
            bot.grants = bp.grants.clone();
        }
    }
    Ok(Some((data, expires, user)))
}

/// What the session cookie's id leads to.
enum CookieLoad {
    Found(Arc<SessionData>, i64, Option<Arc<UserRecord>>),
    /// No session under the id, or (mwauth's own records) one that ended.
    Dead,
    /// A MediaWiki record (`session_format = "php"`) that fails SessionManager's checks
    /// (another provider's, a user that is gone, [`user_matches`]): SessionManager leaves
    /// the record and unpersists the request's session, clearing its cookie and the user
    /// cookies whether or not `UserID` was sent (as the PHP wiki was seen to answer).
    Refused,
}

/// `user_id_cookie`: the `{prefix}UserID` cookie the request sent with the session cookie.
async fn load_cookie_session(
    services: &Services,
    id: &str,
    user_id_cookie: Option<&str>,
) -> StoreResult<CookieLoad> {
    let refused = if services.config.session_format == SessionFormat::Php {
        CookieLoad::Refused
    } else {
        CookieLoad::Dead
    };
    let Some((data, expires)) = load_stored(services, id).await? else {
        return Ok(CookieLoad::Dead);
    };
    if data.bot.is_some() {
        return Ok(refused);
    }
    if data.user_id == 0 {
        return Ok(CookieLoad::Found(data, expires, None));
    }
    let Some(user) = services.users.user_by_id_shared(data.user_id).await? else {
        return Ok(refused);
    };
    if !user_matches(services, &data, &user, user_id_cookie) {
        return Ok(refused);
    }
    Ok(CookieLoad::Found(data, expires, Some(user)))
}

/// Whether a stored logged-in cookie session still belongs to its user: its user token is
/// the one User::getToken gives now (a password change or a logout everywhere made a new
/// `user_token`; `*** INVALID ***` never matches).
///
/// With MediaWiki's records (`session_format = "php"`), as SessionManager::
/// loadSessionInfoFromStore checks them against what CookieSessionProvider read from the
/// request: the `UserID` cookie must name the record's `userId` (as integers; without the
/// cookie the request is anonymous, which a logged-in record is not), a `userName` must be
/// the user's, and a null `userToken` (read as empty) is not checked. mwauth's own records
/// need none of that: they are only ever written with the token of their user.
fn user_matches(
    services: &Services,
    data: &SessionData,
    user: &UserRecord,
    user_id_cookie: Option<&str>,
) -> bool {
    let version = services.config.token_version();
    if services.config.session_format == SessionFormat::Native {
        return user_token_matches(&data.user_token, &user.token, version);
    }
    let cookie_id = user_id_cookie.and_then(|v| v.trim().parse::<i64>().ok());
    if cookie_id != Some(i64::from(data.user_id)) {
        return false;
    }
    if !data.user_name.is_empty() && data.user_name != user.name {
        return false;
    }
    data.user_token.is_empty() || user_token_matches(&data.user_token, &user.token, version)
}

/// User::getToken: the user token a session and the remember-me `Token` cookie hold
/// (`$wgAuthenticationTokenVersion`'s HMAC of `user_token`, or the column when unset).
fn session_token(services: &Services, user: &UserRecord) -> String {
    session_user_token(&user.token, services.config.token_version())
}

/// The user the remember-me cookies (`UserID` and `Token`) name, when the token is the
/// user's.
async fn remembered_user(
    services: &Services,
    names: &SessionCookies<'_>,
    sent: &[SentCookie<'_>],
) -> StoreResult<Option<Arc<UserRecord>>> {
    let (Some(uid), Some(token)) = (names.sent(sent, "UserID"), names.sent(sent, "Token")) else {
        return Ok(None);
    };
    let Ok(uid) = uid.parse::<u32>() else {
        return Ok(None);
    };
    let user = services.users.user_by_id_shared(uid).await?;
    let version = services.config.token_version();
    Ok(user.filter(|user| user_token_matches(token, &user.token, version)))
}
