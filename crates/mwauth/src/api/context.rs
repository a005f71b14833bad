//! The state of one API request as modules see it: parameters, session, user, the result
//! being built, and the cookies to send.

use super::error::{add_warning_in, ApiError, ApiMessage, ErrorFormat};
use super::params::{split_multi_iter, Params, MULTI_LIMIT};
use crate::i18n::{Lang, Param};

/// ParamValidator's `PARAM_ISMULTI_LIMIT2`: the limit for users with `apihighlimits`.
const MULTI_LIMIT_HIGH: usize = 500;
use super::result::Obj;
use crate::auth::sessions;
use crate::request::ApiRequest;
use crate::session::{token, Session, SetCookie};
use crate::user::{rights, UserRecord};
use crate::Services;

pub struct Context<'a> {
    pub services: &'a Services,
    pub req: &'a ApiRequest<'a>,
    pub params: Params<'a>,
    pub session: Session,
    pub user: Option<std::sync::Arc<UserRecord>>,
    pub result: Obj,
    pub errorformat: ErrorFormat,
    /// The user language (`uselang`), of messages modules put in their results.
    pub uselang: Lang<'a>,
    /// The error formatter's language (`errorlang`; English for `errorformat=bc`).
    pub errorlang: Lang<'a>,
    pub formatversion: u8,
    /// False for JSONP (`callback`), `origin=*` and `Treat-as-Untrusted` requests: they run as
    /// anonymous and may not obtain tokens or log in.
    pub same_origin: bool,
    pub now: i64,
    /// Cookies to send, in order.
    pub cookies: Vec<SetCookie>,
    /// Store the current session (and send its cookie if the client lacks it) at the end.
    pub persist: bool,
    /// The help page action=help made, which ApiMain prints (see `main::respond`).
    pub help_output: Option<super::modules::help::HelpOutput>,
    /// Response headers the pipeline adds (e.g. `Retry-After` on `maxlag`).
    pub headers: Vec<crate::request::Header>,
}

impl<'a> Context<'a> {
    pub fn warn(&mut self, module_path: &str, msg: ApiMessage) {
        let article_path = self.article_path();
        add_warning_in(
            &mut self.result,
            self.errorformat,
            &self.errorlang,
            module_path,
            &msg,
            &article_path,
        );
    }

    /// `$wgArticlePath` without its `$1` (MediaWiki's default, `{$wgScript}/$1`), for the
    /// links of `errorformat=html` messages.
    pub fn article_path(&self) -> String {
        article_path(&self.services.config)
    }

    /// ApiBase::addDeprecation: the module's warning, then the main-module warning pointing
    /// at the announcement list.
    pub fn deprecation(&mut self, module_path: &str, msg: ApiMessage) {
        self.warn(module_path, msg);
        self.warn(
            "main",
            ApiMessage::new("deprecation-help", "api-usage-mailinglist-ref", &[]),
        );
    }

    pub fn is_anon(&self) -> bool {
        self.user.is_none()
    }

    pub fn user_id(&self) -> u32 {
        self.user.as_ref().map_or(0, |u| u.id)
    }

    /// The user's name, or the client's IP address for anonymous users.
    pub fn user_name(&self) -> String {
        match &self.user {
            Some(u) => u.name.clone(),
            None => self.req.client_ip.to_string(),
        }
    }

    /// UserGroupManager::getUserEffectiveGroups: the explicit groups in the order the
    /// database lists them (by name), then the implicit ones. Rights follow this order.
    pub fn groups(&self) -> Vec<String> {
        match &self.user {
            Some(u) => {
                let mut groups = u.groups.clone();
                groups.sort();
                groups.dedup();
                for g in rights::effective_groups(u.id, &[]) {
                    if !groups.contains(&g) {
                        groups.push(g);
                    }
                }
                groups
            }
            None => rights::effective_groups(0, &[]),
        }
    }

    /// The user's rights, limited by the bot password's grants in a bot-password session.
    pub fn rights(&self) -> Vec<String> {
        let grants = self.session.data.bot.as_ref().map(|b| b.grants.as_slice());
        rights::rights(&self.groups(), grants)
    }

    pub fn has_right(&self, right: &str) -> bool {
        self.rights().iter().any(|r| r == right)
    }

    /// ApiQueryTokens::getToken. Login and create-account tokens live in their own session
    /// secrets and persist the session (even an anonymous one); every other type is the
    /// user's edit token, which for an anonymous user is the constant `+\`.
    pub fn token(&mut self, kind: &str) -> String {
        let Some((key, salt)) = token_salt(kind) else {
            return String::new();
        };
        if key != "default" {
            self.persist = true;
        } else if self.is_anon() {
            return token::ANON_TOKEN.to_string();
        }
        let (secret, _) = self.session.token_secret(key);
        secret.token_at(salt, self.now)
    }

    /// Token::match against this session's token of `kind`.
    pub fn check_token(&mut self, kind: &str, given: &str, max_age: Option<i64>) -> bool {
        let Some((key, salt)) = token_salt(kind) else {
            return false;
        };
        if key == "default" && self.is_anon() {
            return token::constant_time_eq(token::ANON_TOKEN, given);
        }
        if !self.session.has_secret(key) {
            return false;
        }
        let (secret, _) = self.session.token_secret(key);
        secret.matches(salt, given, max_age, self.now)
    }

    /// ApiBase::requirePostedParameters: refuse the listed names if they came in the query
    /// string.
    pub fn require_posted(&self, names: &[&str]) -> Result<(), ApiError> {
        let found: Vec<String> = names
            .iter()
            .filter(|n| self.params.in_query(n))
            .map(|n| n.to_string())
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        // implode( ', ', … ) and count(): a string and an integer, whatever the language.
        let count = found.len() as i64;
        let list = found.join(", ");
        Err(ApiError::from_msg(
            ApiMessage::new("mustpostparams", "apierror-mustpostparams", &[])
                .with_params(vec![Param::Plain(list), Param::Int(count)]),
        ))
    }

    /// A multi-value enum parameter: unknown values are dropped with a warning, duplicates
    /// are dropped silently.
    /// ApiBase: each parameter read since the last call whose value WebRequest had to clean
    /// (invalid UTF-8, C0 controls, not NFC) gets MediaWiki's `badutf8` warning from
    /// `module_path`, the module that read it.
    pub fn warn_badutf8(&mut self, module_path: &str) {
        for name in self.params.take_badutf8() {
            self.warn(
                module_path,
                ApiMessage::new("badutf8", "apiwarn-badutf8", &[&name]),
            );
        }
    }

    /// A multi-value enum parameter: the allowed values given, in the order given, each
    /// once (borrowed from `allowed`: no allocation per value); unknown ones are warned about.
    pub fn multi_enum<'v>(
        &mut self,
        module_path: &str,
        name: &str,
        allowed: &[&'v str],
        default: &[&'v str],
    ) -> Result<Vec<&'v str>, ApiError> {
        let Some(raw) = self.params.get(name).map(str::to_string) else {
            return Ok(default.to_vec());
        };
        // MediaWiki warns about a cleaned value as it reads it, before judging the values.
        self.warn_badutf8(module_path);
        let count = split_multi_iter(&raw).count();
        if count > MULTI_LIMIT {
            return Err(ApiError::from_msg(
                ApiMessage::new("toomanyvalues", "paramvalidator-toomanyvalues", &[])
                    .plaintext()
                    .with_data(
                        Obj::new()
                            .with("limit", MULTI_LIMIT as i64)
                            .with("lowlimit", MULTI_LIMIT as i64)
                            .with("highlimit", MULTI_LIMIT_HIGH as i64),
                    )
                    .with_params(vec![
                        Param::Plaintext(name.to_string()),
                        Param::Num(MULTI_LIMIT as i64),
                    ]),
            ));
        }
        let mut good: Vec<&'v str> = Vec::with_capacity(count);
        let mut bad: Vec<String> = Vec::new();
        for v in split_multi_iter(&raw) {
            match allowed.iter().find(|a| **a == v) {
                Some(a) => {
                    if !good.contains(a) {
                        good.push(a);
                    }
                }
                // ParamValidator reports every unrecognized value, repeats included.
                None => bad.push(v.to_string()),
            }
        }
        if !bad.is_empty() {
            let data = Obj::new().with("values", super::result::List::of_strings("v", bad.clone()));
            let items = bad.iter().map(|v| Param::Plaintext(v.clone())).collect();
            let msg = ApiMessage::new(
                "unrecognizedvalues",
                "paramvalidator-unrecognizedvalues",
                &[],
            )
            .plaintext()
            .with_params(vec![
                Param::Plaintext(name.to_string()),
                Param::Plaintext(raw.clone()),
                Param::list(items),
                Param::Num(bad.len() as i64),
            ])
            .with_data(data);
            self.warn(module_path, msg);
        }
        Ok(good)
    }

    /// [`Context::multi_enum`] of a parameter with ParamValidator's PARAM_ALL: the value `*`
    /// alone stands for every allowed value.
    pub fn multi_enum_all<'v>(
        &mut self,
        module_path: &str,
        name: &str,
        allowed: &[&'v str],
        default: &[&'v str],
    ) -> Result<Vec<&'v str>, ApiError> {
        let all = self
            .params
            .peek(name)
            .is_some_and(|v| split_multi_iter(v).eq(["*"]));
        if all {
            self.params.get(name);
            self.warn_badutf8(module_path);
            return Ok(allowed.to_vec());
        }
        self.multi_enum(module_path, name, allowed, default)
    }

    /// A single-value enum parameter: an unknown value is an error.
    pub fn single_enum(
        &mut self,
        name: &str,
        allowed: &[&str],
        default: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        match self.params.get(name).map(str::to_string) {
            None => Ok(default.map(str::to_string)),
            Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
            Some(v) if v.starts_with('\u{1f}') => Err(ApiError::new(
                "badvalue",
                "apierror-badvalue-notmultivalue",
                &[],
            )),
            Some(v) => Err(ApiError::bad_enum(name, &v, allowed)),
        }
    }

    /// An integer parameter; MediaWiki clamps out-of-range values with a warning, and refuses
    /// what is not an integer.
    pub fn integer(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.params.get(name).map(str::to_string) else {
            return Ok(None);
        };
        let t = v.trim();
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        // IntegerDef refuses what is not an integer, and an integer PHP cannot hold.
        let parsed = t.parse::<i64>().ok();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || parsed.is_none() {
            return Err(ApiError::from_msg(
                ApiMessage::new("badinteger", "paramvalidator-badinteger", &[name, &v]).plaintext(),
            ));
        }
        Ok(parsed)
    }

    /// Stores the current session now (if it must be) and sends its cookie if the client does
    /// not have it yet. Called before a login replaces the session, and at the end.
    pub async fn flush_session(&mut self) {
        if !(self.persist || self.session.persisted) {
            return;
        }
        // SessionBackend::renew: an idle session is written back once half its lifetime is
        // used, so active clients stay logged in and idle ones expire.
        let half_life = (self.services.config.session_expiry / 2) as i64;
        let stale = self.session.expires - self.now < half_life;
        if self.session.dirty || !self.session.persisted || stale {
            sessions::save(self.services, &self.session, self.now).await;
            self.session.dirty = false;
        }
        if !self.session.persisted {
            self.cookies.push(sessions::id_cookie(
                &self.services.config,
                &self.session,
                self.req.https,
            ));
            self.session.persisted = true;
        }
    }
}

/// `$wgArticlePath` without its `$1`: `{$wgScriptPath}/index.php/`.
pub fn article_path(config: &crate::Config) -> String {
    format!("{}/index.php/", config.script_path)
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

/// Token types in the order MediaWiki lists them (ksort).
pub const TOKEN_TYPES: &[&str] = &[
    "createaccount",
    "csrf",
    "login",
    "patrol",
    "rollback",
    "userrights",
    "watch",
];
