//! ConfirmEdit 1.6.0's captchas as MediaWiki 1.39 asks them: SimpleCaptcha (a sum or
//! difference) and QuestyCaptcha (questions from the configuration), how an answer is
//! compared, and the fixed texts of a `CaptchaAuthenticationRequest`.
//!
//! Pure: the caller passes the random source, and keeps each captcha in the session under
//! [`session_key`] until it is answered (ConfirmEdit's CaptchaSessionStore). An id is good
//! once: a right or a wrong answer removes it.

use crate::config::{CaptchaConfig, CaptchaKind, CaptchaTrigger};
use crate::Services;
use rand::Rng;

pub use crate::session::captcha::{Answer, Captcha, PendingCaptcha};

/// Which action asks the captcha; it picks the label of `captchaInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaAction {
    /// `amirequestsfor=create`, `action=createaccount`.
    CreateAccount,
    /// Logins after too many failures (`amirequestsfor=login`, `action=clientlogin`).
    BadLogin,
}

/// A new captcha of the configured kind; `None` when there is nothing to ask (`kind =
/// "none"`, or QuestyCaptcha without questions, which the configuration check refuses).
pub fn generate(config: &CaptchaConfig, rng: &mut impl Rng) -> Option<Captcha> {
    match config.kind {
        CaptchaKind::None => None,
        // SimpleCaptcha::getCaptcha: a in 0..=100, b in 0..=10, then the operator; no
        // spaces around it so that the sum reads the same way in right-to-left languages.
        CaptchaKind::Simple => {
            let a: i64 = rng.gen_range(0..=100);
            let b: i64 = rng.gen_range(0..=10);
            let plus = rng.gen_range(0..=1) == 1;
            Some(Captcha {
                question: format!("{a}{}{b}", if plus { '+' } else { '\u{2212}' }),
                answer: Answer::Number(if plus { a + b } else { a - b }),
            })
        }
        // QuestyCaptcha::getCaptcha: array_rand over the questions.
        CaptchaKind::Questy => {
            if config.questions.is_empty() {
                return None;
            }
            let q = &config.questions[rng.gen_range(0..config.questions.len())];
            Some(Captcha {
                question: q.question.clone(),
                answer: Answer::Words(q.answers.clone()),
            })
        }
    }
}

/// A new captcha id: SimpleCaptcha::storeCaptcha's `(string)random_int( 0, PHP_INT_MAX )`.
pub fn new_id(rng: &mut impl Rng) -> String {
    rng.gen_range(0..=i64::MAX).to_string()
}

/// The session key a captcha is kept under (CaptchaSessionStore).
pub fn session_key(id: &str) -> String {
    format!("captcha{id}")
}

impl Captcha {
    /// Whether `word` answers the captcha, compared as ConfirmEdit does with PHP's `==`:
    /// SimpleCaptcha takes any numeric string of the right value (`"7"`, `" 7"`, `"7.0"`,
    /// `"0.7e1"`); QuestyCaptcha lowercases ASCII letters on both sides (PHP 8.2's
    /// strtolower) and then compares, numerically when both sides are numeric strings.
    /// Surrounding spaces make a word answer wrong (`" Paris"`, recorded).
    pub fn matches(&self, word: &str) -> bool {
        match &self.answer {
            Answer::Number(n) => {
                php_numeric(word).is_some_and(|w| w == Numeric::Int(*n) || w.as_f64() == *n as f64)
            }
            Answer::Words(answers) => {
                let word = word.to_ascii_lowercase();
                answers
                    .iter()
                    .any(|a| php_loose_str_eq(&word, &a.to_ascii_lowercase()))
            }
        }
    }

    /// The value of the `captchaInfo` field (getCaptchaInfo): SimpleCaptcha adds `" ="`.
    pub fn info(&self) -> String {
        match self.answer {
            Answer::Number(_) => format!("{} =", self.question),
            Answer::Words(_) => self.question.clone(),
        }
    }
}

/// The request's `metadata` (describeCaptchaType).
pub fn metadata(kind: CaptchaKind) -> Option<(&'static str, &'static str)> {
    match kind {
        CaptchaKind::None => None,
        CaptchaKind::Simple => Some(("simple", "text/plain")),
        CaptchaKind::Questy => Some(("question", "text/html")),
    }
}

/// The message key of `captchaInfo`'s label (SimpleCaptcha::getMessage with the kind's
/// prefix, `captcha-` or `questycaptcha-`).
pub fn info_label_key(kind: CaptchaKind, action: CaptchaAction) -> &'static str {
    match (kind, action) {
        (CaptchaKind::Questy, CaptchaAction::CreateAccount) => "questycaptcha-createaccount",
        (CaptchaKind::Questy, CaptchaAction::BadLogin) => "questycaptcha-badlogin",
        (_, CaptchaAction::CreateAccount) => "captcha-createaccount",
        (_, CaptchaAction::BadLogin) => "captcha-badlogin",
    }
}

/// A PHP 8 numeric string's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Numeric {
    Int(i64),
    Float(f64),
}

impl Numeric {
    fn as_f64(self) -> f64 {
        match self {
            Numeric::Int(i) => i as f64,
            Numeric::Float(f) => f,
        }
    }
}

/// PHP 8's numeric strings: optional whitespace (space, `\t \n \r \v \f`), an optional sign,
/// digits with an optional `.` part and exponent, optional whitespace. Integers that do not
/// fit an i64 are floats, as in PHP.
fn php_numeric(s: &str) -> Option<Numeric> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c');
    let t = s.trim_matches(ws);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int_part)
        && frac_part.is_none_or(digits)
        && (!int_part.is_empty() || frac_part.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    if frac_part.is_none() && exponent.is_none() {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Numeric::Int(i));
        }
    }
    t.parse::<f64>().ok().map(Numeric::Float)
}

/// PHP 8's `$a == $b` for two strings: numerically when both are numeric strings (and
/// bytewise when both overflow to the same infinity), else bytewise.
fn php_loose_str_eq(a: &str, b: &str) -> bool {
    match (php_numeric(a), php_numeric(b)) {
        (Some(Numeric::Int(x)), Some(Numeric::Int(y))) => x == y,
        (Some(x), Some(y)) => {
            let (x, y) = (x.as_f64(), y.as_f64());
            if x == y && x.is_infinite() {
                a == b
            } else {
                x == y
            }
        }
        _ => a == b,
    }
}

/// Most captchas a session keeps unanswered; asking more drops the oldest (MediaWiki keeps
/// them all; a bound keeps a client that asks in a loop from growing its session).
const MAX_PENDING: usize = 16;

/// `$wgRateLimits['badcaptcha']` for anonymous users (ConfirmEdit's extension.json): 15
/// wrong answers per IP in 60 s; from then on every answer is wrong.
pub const BADCAPTCHA_LIMIT: u64 = 15;
pub const BADCAPTCHA_WINDOW_SECS: u64 = 60;
/// `$wgCaptchaBadLoginExpiration` and `$wgCaptchaBadLoginPerUserExpiration`.
pub const BAD_LOGIN_SECS: u64 = 300;
pub const BAD_LOGIN_PER_USER_SECS: u64 = 600;

/// A new captcha kept in `pending` (SimpleCaptcha::getCaptcha and storeCaptcha); `None`
/// when there is nothing to ask.
pub fn ask(config: &CaptchaConfig, pending: &mut Vec<PendingCaptcha>) -> Option<PendingCaptcha> {
    let mut rng = rand::thread_rng();
    let captcha = generate(config, &mut rng)?;
    let asked = PendingCaptcha {
        id: new_id(&mut rng),
        captcha,
    };
    if pending.len() >= MAX_PENDING {
        pending.remove(0);
    }
    pending.push(asked.clone());
    Some(asked)
}

fn badcaptcha_key(ip: &str) -> String {
    format!(
        "limiter:badcaptcha:ip:{}",
        crate::store::redis::escape_component(ip)
    )
}

fn bad_login_ip_key(ip: &str) -> String {
    format!(
        "captcha:badlogin:ip:{}",
        crate::store::redis::escape_component(ip)
    )
}

fn bad_login_user_key(canonical_name: &str) -> String {
    let hash = hex::encode(<md5::Md5 as md5::Digest>::digest(canonical_name.as_bytes()));
    format!("captcha:badlogin:user:{hash}")
}

/// SimpleCaptcha::passCaptchaLimited: refused outright once the IP has
/// [`BADCAPTCHA_LIMIT`] wrong answers; else the captcha of `id` is taken from the session
/// (an id is good once, right or wrong) and its answer compared; any failure counts against
/// `badcaptcha`. A store error is a refusal.
pub async fn check_answer(
    services: &Services,
    pending: &mut Vec<PendingCaptcha>,
    id: Option<&str>,
    word: Option<&str>,
    ip: &str,
) -> bool {
    let store = services.sessions.as_ref();
    match store.throttle_count(&badcaptcha_key(ip)).await {
        Ok(n) if n < BADCAPTCHA_LIMIT => {}
        Ok(_) => return false,
        Err(e) => {
            tracing::error!("throttle store failed: {e}");
            return false;
        }
    }
    let taken = id.and_then(|id| {
        let at = pending.iter().position(|p| p.id == id)?;
        Some(pending.remove(at))
    });
    let passed = taken.is_some_and(|p| p.captcha.matches(word.unwrap_or("")));
    if !passed {
        if let Err(e) = store
            .throttle_hit(&badcaptcha_key(ip), BADCAPTCHA_WINDOW_SECS)
            .await
        {
            tracing::error!("throttle store failed: {e}");
        }
    }
    passed
}

/// Whether a throttle counter has reached `limit`; a store error counts as reached.
async fn reached(services: &Services, key: &str, limit: u32) -> bool {
    match services.sessions.throttle_count(key).await {
        Ok(n) => n >= u64::from(limit),
        Err(e) => {
            tracing::error!("throttle store failed: {e}");
            true
        }
    }
}

/// SimpleCaptcha::isBadLoginTriggered: `bad_login_attempts` failed logins from `ip` (300 s).
pub async fn ip_triggered(services: &Services, ip: &str) -> bool {
    let config = &services.config.captcha;
    config.triggers(CaptchaTrigger::BadLogin)
        && reached(services, &bad_login_ip_key(ip), config.bad_login_attempts).await
}

/// SimpleCaptcha::isBadLoginPerUserTriggered: `bad_login_per_user_attempts` failed logins
/// as `canonical_name` (600 s).
pub async fn user_triggered(services: &Services, canonical_name: &str) -> bool {
    let config = &services.config.captcha;
    config.triggers(CaptchaTrigger::BadLoginPerUser)
        && reached(
            services,
            &bad_login_user_key(canonical_name),
            config.bad_login_per_user_attempts,
        )
        .await
}

/// CaptchaPreAuthenticationProvider::getAuthenticationRequests for a login: whether the
/// login form (or `amirequestsfor=login`) carries a captcha, and so whether a login reads
/// its answer. The name being logged in is not known yet: the IP's count, the session's
/// per-user flag ([`crate::session::SessionData::login_captcha_per_user`]) and the count of
/// the name the `{prefix}UserName` cookie suggests ([`suggested_login_name`]) decide. A
/// login for a triggered name on a client that none of these mark is not asked, does not
/// read a captcha answer, fails, and raises the flag (recorded on the reference wiki).
pub async fn login_asks_captcha(
    services: &Services,
    ip: &str,
    session_flag: bool,
    suggested_name: Option<&str>,
) -> bool {
    if ip_triggered(services, ip).await || session_flag {
        return true;
    }
    match suggested_name {
        Some(name) => user_triggered(services, name).await,
        None => false,
    }
}

/// [`login_asks_captcha`] for a request (the API's or a page's): its IP, its session's
/// per-user flag, and the name its `{prefix}UserName` cookie suggests.
pub async fn request_asks_captcha(
    services: &Services,
    req: &crate::request::ApiRequest<'_>,
    session_flag: bool,
) -> bool {
    let cookie = format!("{}UserName", services.config.cookie_prefix());
    let suggested = suggested_login_name(req.cookie(&cookie));
    let ip = req.client_ip.to_string();
    login_asks_captcha(services, &ip, session_flag, suggested.as_deref()).await
}

/// CookieSessionProvider::suggestLoginUsername from the value of the `{prefix}UserName`
/// cookie: its canonical name; nothing for no cookie, for `deleted` (what PHP sends to
/// delete a cookie, ignored by getCookie), or for a name that is not valid. ConfirmEdit
/// tests the name for PHP truth, so `"0"` suggests nothing either.
pub fn suggested_login_name(cookie: Option<&str>) -> Option<String> {
    let raw = cookie.filter(|v| *v != "deleted")?;
    crate::user::name::canonical(raw).filter(|n| n != "0")
}

/// CaptchaPreAuthenticationProvider::postAuthentication after a login `FAIL`
/// (increaseBadLoginCounter): one more for the IP, and for the user when the name is valid.
pub async fn count_failed_login(services: &Services, ip: &str, canonical_name: Option<&str>) {
    let config = &services.config.captcha;
    let store = services.sessions.as_ref();
    let mut keys = Vec::new();
    if config.triggers(CaptchaTrigger::BadLogin) {
        keys.push((bad_login_ip_key(ip), BAD_LOGIN_SECS));
    }
    if let Some(name) = canonical_name.filter(|_| config.triggers(CaptchaTrigger::BadLoginPerUser))
    {
        keys.push((bad_login_user_key(name), BAD_LOGIN_PER_USER_SECS));
    }
    for (key, ttl) in keys {
        if let Err(e) = store.throttle_hit(&key, ttl).await {
            tracing::error!("throttle store failed: {e}");
        }
    }
}

/// postAuthentication after a login `PASS` (resetBadLoginCounter): the user's count goes;
/// the IP's stays.
pub async fn reset_user_count(services: &Services, canonical_name: &str) {
    if services
        .config
        .captcha
        .triggers(CaptchaTrigger::BadLoginPerUser)
    {
        if let Err(e) = services
            .sessions
            .throttle_clear(&bad_login_user_key(canonical_name))
            .await
        {
            tracing::error!("throttle store failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CaptchaQuestion;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn questy(questions: &[(&str, &[&str])]) -> CaptchaConfig {
        CaptchaConfig {
            kind: CaptchaKind::Questy,
            questions: questions
                .iter()
                .map(|(q, a)| CaptchaQuestion {
                    question: q.to_string(),
                    answers: a.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
            ..CaptchaConfig::default()
        }
    }

    fn simple() -> CaptchaConfig {
        CaptchaConfig {
            kind: CaptchaKind::Simple,
            ..CaptchaConfig::default()
        }
    }

    fn france() -> Captcha {
        Captcha {
            question: "What is the capital of France?".into(),
            answer: Answer::Words(vec!["Paris".into()]),
        }
    }

    /// CookieSessionProvider::suggestLoginUsername as ConfirmEdit tests it (the reference
    /// wiki: `bob_` suggests Bob; `deleted`, an invalid name and an empty value nothing).
    #[test]
    fn the_username_cookie_suggests_its_canonical_name() {
        assert_eq!(suggested_login_name(Some("Bob")).as_deref(), Some("Bob"));
        assert_eq!(suggested_login_name(Some("bob_")).as_deref(), Some("Bob"));
        assert_eq!(
            suggested_login_name(Some("john_ smith")).as_deref(),
            Some("John smith")
        );
        for none in [None, Some(""), Some("deleted"), Some("Bob#x"), Some("0")] {
            assert_eq!(suggested_login_name(none), None, "{none:?}");
        }
    }

    #[test]
    fn no_captcha_is_asked_by_default() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(generate(&CaptchaConfig::default(), &mut rng), None);
        assert_eq!(metadata(CaptchaKind::None), None);
    }

    /// The reference wiki's answers (conformance/extensions/golden/captcha-createaccount-*).
    #[test]
    fn questy_answers_ignore_ascii_case_but_not_spaces() {
        let c = france();
        assert!(c.matches("Paris"));
        assert!(c.matches("pARIS"));
        assert!(!c.matches(" Paris"));
        assert!(!c.matches("Paris "));
        assert!(!c.matches("London"));
        assert!(!c.matches(""));
        assert_eq!(c.info(), "What is the capital of France?");
    }

    #[test]
    fn questy_lowercases_ascii_only_as_php_8_2() {
        let c = Captcha {
            question: "Ville?".into(),
            answer: Answer::Words(vec!["ÉVRY".into()]),
        };
        assert!(
            c.matches("Évry"),
            "É is left alone on both sides, VRY lowered"
        );
        assert!(!c.matches("évry"));
    }

    #[test]
    fn questy_accepts_any_of_a_list_and_numeric_strings_loosely() {
        let c = Captcha {
            question: "Two plus two?".into(),
            answer: Answer::Words(vec!["4".into(), "four".into()]),
        };
        for good in ["4", "FOUR", "4.0", "4.", " 4", "4 ", "+4", "04", "0.4e1"] {
            assert!(c.matches(good), "{good:?}");
        }
        for bad in ["4x", "0x4", "44", "fourth", ".", ""] {
            assert!(!c.matches(bad), "{bad:?}");
        }
    }

    #[test]
    fn simple_answers_compare_as_php_int_against_string() {
        let c = Captcha {
            question: "25+5".into(),
            answer: Answer::Number(30),
        };
        for good in ["30", "30.0", " 30", "30 ", "\t30\n", "3e1", "+30", "030"] {
            assert!(c.matches(good), "{good:?}");
        }
        for bad in ["0x1e", "30abc", "", "30.5", "-30", "1e400", "thirty"] {
            assert!(!c.matches(bad), "{bad:?}");
        }
        assert_eq!(c.info(), "25+5 =");
        let zero = Captcha {
            question: "3\u{2212}3".into(),
            answer: Answer::Number(0),
        };
        assert!(zero.matches("-0"));
        assert!(!zero.matches(""), "PHP 8: \"\" != 0");
    }

    #[test]
    fn php_loose_string_equality() {
        assert!(php_loose_str_eq("1e1", "10"));
        assert!(php_loose_str_eq("10", "010"));
        assert!(php_loose_str_eq(" 1", "1"));
        assert!(!php_loose_str_eq("abc", "ABC"));
        assert!(
            !php_loose_str_eq("1e400", "1e500"),
            "both INF: compared as bytes"
        );
        assert!(php_loose_str_eq("1e400", "1e400"));
        assert!(!php_loose_str_eq(".", "0"));
        assert!(php_loose_str_eq(".5", "0.5"));
    }

    #[test]
    fn simple_captchas_are_sums_and_differences_in_range() {
        let mut rng = StdRng::seed_from_u64(7);
        let (mut plus, mut minus) = (0, 0);
        for _ in 0..500 {
            let c = generate(&simple(), &mut rng).unwrap();
            let Answer::Number(n) = c.answer else {
                panic!("{c:?}")
            };
            let (a, b, sum) = if let Some((a, b)) = c.question.split_once('+') {
                plus += 1;
                (a, b, true)
            } else {
                let (a, b) = c.question.split_once('\u{2212}').unwrap();
                minus += 1;
                (a, b, false)
            };
            let (a, b): (i64, i64) = (a.parse().unwrap(), b.parse().unwrap());
            assert!((0..=100).contains(&a) && (0..=10).contains(&b), "{c:?}");
            assert_eq!(n, if sum { a + b } else { a - b });
            assert!(c.matches(&n.to_string()));
        }
        assert!(plus > 0 && minus > 0);
        assert_eq!(
            metadata(CaptchaKind::Simple),
            Some(("simple", "text/plain"))
        );
    }

    #[test]
    fn questy_picks_among_the_configured_questions_by_the_random_source() {
        let config = questy(&[("First?", &["a"]), ("Second?", &["b", "c"])]);
        let mut seen = std::collections::BTreeSet::new();
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..64 {
            seen.insert(generate(&config, &mut rng).unwrap().question);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["First?", "Second?"]);
        // The same seed, the same questions: tests can rely on it.
        let a: Vec<_> = (0..8)
            .map(|_| generate(&config, &mut StdRng::seed_from_u64(9)).unwrap())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(
            metadata(CaptchaKind::Questy),
            Some(("question", "text/html"))
        );
        assert_eq!(generate(&questy(&[]), &mut rng), None);
    }

    #[test]
    fn ids_are_decimal_like_php_random_int_and_keys_prefixed() {
        let mut rng = StdRng::seed_from_u64(5);
        let id = new_id(&mut rng);
        assert!(id.parse::<i64>().unwrap() >= 0, "{id}");
        assert_ne!(new_id(&mut rng), id);
        assert_eq!(session_key("123"), "captcha123");
    }

    #[test]
    fn labels_follow_the_kind_and_action() {
        use CaptchaAction::*;
        for (kind, action, key) in [
            (
                CaptchaKind::Questy,
                CreateAccount,
                "questycaptcha-createaccount",
            ),
            (CaptchaKind::Questy, BadLogin, "questycaptcha-badlogin"),
            (CaptchaKind::Simple, CreateAccount, "captcha-createaccount"),
            (CaptchaKind::Simple, BadLogin, "captcha-badlogin"),
        ] {
            assert_eq!(info_label_key(kind, action), key);
        }
    }

    #[test]
    fn captchas_survive_the_session_as_json() {
        for c in [
            france(),
            Captcha {
                question: "1+2".into(),
                answer: Answer::Number(3),
            },
        ] {
            let text = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Captcha>(&text).unwrap(), c);
        }
    }
}
