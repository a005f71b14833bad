//! Password and bot-password login, as MediaWiki 1.39 decides them (BotPassword::login and
//! AuthManager with the local password provider and the login throttle).
//!
//! Failures never say whether the user exists: an unknown user, an unknown bot and a wrong
//! password give the same `wrongpassword` text, and an unknown user still costs one hash
//! computation so timing does not tell either. The one exception is MediaWiki's own: a
//! password over [`policy::MAXIMAL_PASSWORD_LENGTH`] bytes is refused `passwordtoolong` for an
//! existing account (checkPasswordValidity) and `wrongpassword` for an unknown one, and such a
//! password is never hashed here (see [`verify`]).

use super::captcha::{self, PendingCaptcha};
pub use super::refusal::{Refusal, THROTTLED};
use super::throttle;
use crate::hash_pool::PoolError;
use crate::user::{botpassword, name, password, policy, BotPasswordRecord, UserRecord};
use crate::Services;
use std::net::IpAddr;

pub enum BotLogin {
    Success(Box<(UserRecord, BotPasswordRecord)>),
    /// Failures ApiLogin reports as they are (throttled, must be reset, locked).
    Refused(Refusal),
    /// Any other failure: ApiLogin goes on to try a main-account login with the same data.
    NotBotLogin,
}

/// A fixed PBKDF2 hash in the default format (the same cost as a real one), verified when the
/// account, the bot password or a usable stored hash is missing, so that every failure costs
/// the same hashing and response time does not tell which it was.
#[cfg(not(fuzzing))]
const DUMMY_HASH: &str = ":pbkdf2:sha512:30000:64:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
/// Under cargo-fuzz (`--cfg fuzzing`) one round: the fuzzer explores parsing and state, and
/// 30000 rounds per unknown name would make it crawl.
#[cfg(fuzzing)]
const DUMMY_HASH: &str = ":pbkdf2:sha512:1:64:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";

/// Rewrite an old-format hash after a successful login (PasswordFactory::needsUpdate). Not
/// under cargo-fuzz: 30000 rounds per successful login would dominate the fuzzer's time.
const REHASH: bool = !cfg!(fuzzing);

/// Whether `pw` matches `stored`, hashed on the hashing threads; a full queue refuses. A
/// password over [`policy::MAXIMAL_PASSWORD_LENGTH`] bytes matches nothing and is not hashed:
/// MediaWiki refuses it before hashing for an account (checkPasswordValidity, see
/// [`begin_login`]), and no bot password is that long (Special:BotPasswords makes 32
/// characters), so the answer is the one hashing would give, without the work a client could
/// make us do.
async fn verify(services: &Services, stored: &str, pw: &str) -> Result<bool, Refusal> {
    if pw.len() > policy::MAXIMAL_PASSWORD_LENGTH {
        return Ok(false);
    }
    services
        .hasher
        .verify(stored, pw)
        .await
        .map_err(|_: PoolError| Refusal::busy())
}

/// A full hashing queue refuses, whichever hash it was.
async fn verify_or_dummy(services: &Services, stored: &str, pw: &str) -> Result<bool, Refusal> {
    if stored.is_empty() {
        return spend_dummy_verification(services, pw).await.map(|()| false);
    }
    verify(services, stored, pw).await
}

/// One verification against [`DUMMY_HASH`], for the time it costs.
async fn spend_dummy_verification(services: &Services, pw: &str) -> Result<(), Refusal> {
    verify(services, DUMMY_HASH, pw).await.map(|_| ())
}

/// [`BotLogin::NotBotLogin`] after the dummy verification, or the refusal of a full queue.
async fn not_bot_login(services: &Services, pw: &str) -> BotLogin {
    match spend_dummy_verification(services, pw).await {
        Ok(()) => BotLogin::NotBotLogin,
        Err(refusal) => BotLogin::Refused(refusal),
    }
}

/// BotPassword::login for `User@bot` and a password already shaped like a bot password.
pub async fn bot_password_login(
    services: &Services,
    login_name: &str,
    pw: &str,
    ip: IpAddr,
) -> BotLogin {
    let config = &services.config;
    if !config.enable_bot_passwords {
        return BotLogin::NotBotLogin;
    }
    let Some((user_part, app_id)) = login_name.split_once(botpassword::SEPARATOR) else {
        return BotLogin::NotBotLogin;
    };
    let Some(user_name) = name::canonical(user_part) else {
        return BotLogin::NotBotLogin;
    };
    let user = match services.users.user_by_name(&user_name).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            // BotPassword::login answers "nosuchuser" before its throttle, and ApiLogin goes on
            // to a main-account login. Hash anyway: an existing user's bot login always costs
            // one verification here, and timing must not tell the two apart.
            return not_bot_login(services, pw).await;
        }
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return BotLogin::NotBotLogin;
        }
    };
    let ip_text = ip.to_string();
    if let Some(wait) = throttle::increase(
        services.sessions.as_ref(),
        "botpassword",
        &config.password_attempt_throttle,
        Some(&user.name),
        &ip_text,
    )
    .await
    {
        return BotLogin::Refused(Refusal::throttled(wait));
    }
    let bp = match services.users.bot_password(user.id, app_id).await {
        Ok(Some(bp)) => bp,
        Ok(None) => {
            return not_bot_login(services, pw).await;
        }
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return BotLogin::NotBotLogin;
        }
    };
    if !botpassword::ip_allowed(&bp.restrictions, ip) {
        return not_bot_login(services, pw).await;
    }
    // InvalidPassword (`:null:`, what invalidateBotPasswords.php writes, or no hash at all).
    if bp.password.is_empty() || !bp.password.starts_with(':') || bp.password.starts_with(":null:")
    {
        // InvalidPassword: the bot password was invalidated and must be reset.
        return BotLogin::Refused(Refusal {
            key: "botpasswords-needs-reset",
            params: vec![user.name.clone(), bp.app_id.clone()],
        });
    }
    match verify(services, &bp.password, pw).await {
        Ok(true) => {}
        Ok(false) => return BotLogin::NotBotLogin,
        Err(refusal) => return BotLogin::Refused(refusal),
    }
    throttle::clear(
        services.sessions.as_ref(),
        "botpassword",
        &config.password_attempt_throttle,
        Some(&user.name),
        &ip_text,
    )
    .await;
    if REHASH && password::needs_rehash(&bp.password) {
        if let Ok(h) = services.hasher.hash(pw).await {
            let _ = services
                .users
                .set_bot_password_hash(user.id, &bp.app_id, &h)
                .await;
        }
    }
    BotLogin::Success(Box::new((user, bp)))
}

/// Where the password step of a main-account login leads.
#[derive(Debug)]
pub enum FirstStep {
    /// Logged in.
    Pass(UserRecord),
    /// The password was right and the user has a TOTP key (OATHAuth's secondary provider
    /// asks for a code). The login throttle is not cleared yet: only [`finish_second_step`]
    /// after the right code does, so the password step counts against it either way.
    SecondFactor(UserRecord),
}

/// After the right code of a [`FirstStep::SecondFactor`] login: the login throttle of that
/// user and IP is cleared, as ThrottlePreAuthenticationProvider::postAuthentication does at
/// the login's final PASS.
pub async fn finish_second_step(services: &Services, user_name: &str, ip: IpAddr) {
    super::captcha::reset_user_count(services, user_name).await;
    throttle::clear(
        services.sessions.as_ref(),
        "password",
        &services.config.password_attempt_throttle,
        Some(user_name),
        &ip.to_string(),
    )
    .await;
}

/// The captcha answer a login brings (ConfirmEdit's CaptchaAuthenticationRequest), with the
/// session's unanswered captchas it is looked up in.
pub struct CaptchaAnswer<'a> {
    pub pending: &'a mut Vec<PendingCaptcha>,
    pub id: Option<&'a str>,
    pub word: Option<&'a str>,
}

/// AuthManager::beginAuthentication with the throttle, captcha (when a captcha is
/// configured) and local password providers, and OATHAuth's secondary provider when
/// `[oath]` is on. Once [`captcha::ip_triggered`], or [`captcha::user_triggered`] for the
/// name being logged in (CaptchaPreAuthenticationProvider::testForAuthentication), the
/// login needs the right `captcha` answer (`None` when the login did not ask one, see
/// [`captcha::login_asks_captcha`]); without it the answer is `wrongpassword` whatever the
/// password, so a brute force cannot tell which was wrong. Every `FAIL` counts against the
/// captcha's bad login counters; a `PASS` clears the user's.
///
/// `per_user_flag` is the session's ConfirmEdit:loginCaptchaPerUserTriggered: raised when
/// the user has reached `bad_login_per_user_attempts` (whatever the outcome), cleared by a
/// `PASS` (CaptchaPreAuthenticationProvider's testForAuthentication and postAuthentication).
pub async fn begin_login(
    services: &Services,
    raw_name: &str,
    pw: &str,
    ip: IpAddr,
    captcha: Option<CaptchaAnswer<'_>>,
    per_user_flag: &mut bool,
) -> Result<FirstStep, Refusal> {
    let canonical = name::canonical(raw_name);
    let ip_text = ip.to_string();
    let result = first_step(
        services,
        raw_name,
        canonical.as_deref(),
        pw,
        ip,
        captcha,
        per_user_flag,
    )
    .await;
    match &result {
        Err(_) => captcha::count_failed_login(services, &ip_text, canonical.as_deref()).await,
        Ok(FirstStep::Pass(user)) => {
            *per_user_flag = false;
            captcha::reset_user_count(services, &user.name).await
        }
        Ok(FirstStep::SecondFactor(_)) => {}
    }
    result
}

async fn first_step(
    services: &Services,
    raw_name: &str,
    canonical: Option<&str>,
    pw: &str,
    ip: IpAddr,
    answer: Option<CaptchaAnswer<'_>>,
    per_user_flag: &mut bool,
) -> Result<FirstStep, Refusal> {
    let config = &services.config;
    let ip_text = ip.to_string();
    // ThrottlePreAuthenticationProvider::testForAuthentication counts the attempt under every
    // name the user name normalises to. An empty name or password leaves the password request
    // unloaded, so there is no name and only the IP is counted; a name no provider can
    // normalise (an invalid one) is counted nowhere (MediaWiki 1.39, checked against the
    // reference server: `Inv|alid` is never throttled, an empty password is per IP).
    let throttle_name: Option<Option<&str>> = if raw_name.is_empty() || pw.is_empty() {
        Some(None)
    } else {
        canonical.map(Some)
    };
    if let Some(throttle_name) = throttle_name {
        if let Some(wait) = throttle::increase(
            services.sessions.as_ref(),
            "password",
            &config.password_attempt_throttle,
            throttle_name,
            &ip_text,
        )
        .await
        {
            return Err(Refusal::throttled(wait));
        }
    }
    let per_user = match canonical {
        Some(name) => captcha::user_triggered(services, name).await,
        None => false,
    };
    if per_user {
        *per_user_flag = true;
    }
    if per_user || captcha::ip_triggered(services, &ip_text).await {
        let passed = match answer {
            Some(a) => captcha::check_answer(services, a.pending, a.id, a.word, &ip_text).await,
            None => false,
        };
        if !passed {
            return Err(Refusal::new("wrongpassword"));
        }
    }
    // The password provider abstains on an unusable name or an empty password, and with no
    // provider left AuthManager answers "authmanager-authn-no-primary".
    let Some(user_name) = canonical else {
        return Err(Refusal::new("authmanager-authn-no-primary"));
    };
    if pw.is_empty() {
        return Err(Refusal::new("authmanager-authn-no-primary"));
    }
    let user = match services.users.user_by_name(user_name).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            return Err(Refusal::new("authmanager-authn-no-primary"));
        }
    };
    let Some(user) = user else {
        spend_dummy_verification(services, pw).await?;
        return Err(Refusal::new("wrongpassword"));
    };
    // LocalPasswordPrimaryAuthenticationProvider::beginPrimaryAuthentication: a password the
    // policy fatally refuses (over 4096 bytes) fails with the policy's message, unhashed.
    if let Some(failure) = policy::login_refusal(&user.name, pw, &user.groups) {
        return Err(Refusal {
            key: failure.key,
            params: failure.params,
        });
    }
    let stored = password::upgrade_untyped(&user.password, user.id);
    if !verify_or_dummy(services, &stored, pw).await? {
        return Err(Refusal::new("wrongpassword"));
    }
    if REHASH && password::needs_rehash(&stored) {
        if let Ok(h) = services.hasher.hash(pw).await {
            let _ = services.users.set_password(user.id, &h, None).await;
        }
    }
    if super::second_factor::enrolled(services, user.id).await? {
        return Ok(FirstStep::SecondFactor(user));
    }
    if let Some(throttle_name) = throttle_name {
        throttle::clear(
            services.sessions.as_ref(),
            "password",
            &config.password_attempt_throttle,
            throttle_name,
            &ip_text,
        )
        .await;
    }
    Ok(FirstStep::Pass(user))
}
