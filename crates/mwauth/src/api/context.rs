//! The state of one API request as modules see it: parameters, session, user, the result
//! being built, and the cookies to send.

use super::error::{add_warning_in, ApiError, ApiMessage, ErrorFormat};
use super::params::Params;
use super::result::Obj;
pub use crate::auth::request_session::token_salt;
use crate::auth::request_session::RequestSession;
use crate::i18n::{Lang, Param};
use crate::request::ApiRequest;
use crate::session::SetCookie;
use crate::user::{rights, UserRecord};
use crate::Services;
use md5::{Digest, Md5};

pub struct Context<'a> {
    pub services: &'a Services,
    pub req: &'a ApiRequest<'a>,
    pub params: Params<'a>,
    /// The session, its user and the cookies to send.
    pub session: RequestSession<'a>,
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
    /// The help page action=help made, which ApiMain prints (see `respond::respond`).
    pub help_output: Option<HelpOutput>,
    /// Response headers the pipeline adds (e.g. `Retry-After` on `maxlag`).
    pub headers: Vec<crate::request::Header>,
    /// The module that ran and a login's result, handed on in the response.
    pub ran: crate::request::Ran,
}

/// What the help module leaves for ApiMain to print.
#[derive(Debug, Clone)]
pub struct HelpOutput {
    /// The whole HTML page.
    pub html: String,
    /// `wrap`: the page is in the result; otherwise ApiFormatRaw prints it as it is.
    pub wrapped: bool,
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
        self.session.is_anon()
    }

    pub fn user(&self) -> Option<&std::sync::Arc<UserRecord>> {
        self.session.user()
    }

    pub fn user_id(&self) -> u32 {
        self.user().map_or(0, |u| u.id)
    }

    /// The user's name, or the client's IP address for anonymous users.
    pub fn user_name(&self) -> String {
        match self.user() {
            Some(u) => u.name.clone(),
            None => self.req.client_ip.to_string(),
        }
    }

    /// UserGroupManager::getUserEffectiveGroups: the explicit groups in the order the
    /// database lists them (by name), then the implicit ones. Rights follow this order.
    pub fn groups(&self) -> Vec<String> {
        match self.user() {
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
        let grants = self.session.session().data.bot.as_ref();
        let grants = grants.map(|b| b.grants.as_slice());
        let ext = rights::RightsConfig::of(&self.services.config);
        rights::rights(&self.groups(), grants, ext)
    }

    pub fn has_right(&self, right: &str) -> bool {
        self.rights().iter().any(|r| r == right)
    }

    /// ApiQueryTokens::getToken (see [`RequestSession::token`]).
    pub fn token(&mut self, kind: &str) -> String {
        self.session.token(kind)
    }

    /// Token::match against this session's token of `kind`.
    pub fn check_token(&self, kind: &str, given: &str, max_age: Option<i64>) -> bool {
        self.session.check_token(kind, given, max_age)
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

    /// ChronologyProtector after a database write: `cpPosIndex=<write index>@<time>#<client
    /// id>` for 10 seconds, and for a POST also `UseDC=master` and `UseCDNCache=false`
    /// (MediaWiki::preOutputCommit). The write index counts this client's writes (kept 60
    /// seconds, as MediaWiki keeps positions); the client id is the MD5 of its IP and
    /// User-Agent.
    pub async fn chronology_cookies(&mut self) {
        let agent = self.req.header("user-agent").unwrap_or("");
        let client_id = hex::encode(Md5::digest(
            format!("{}\n{agent}", self.req.client_ip).as_bytes(),
        ));
        let index = self
            .services
            .sessions
            .throttle_hit(&format!("ChronologyProtector:{client_id}:v3"), 60)
            .await
            .unwrap_or(1);
        let make = |name: &str, value: String| SetCookie {
            name: name.into(),
            value,
            max_age: Some(10),
            secure: false,
            samesite: None,
        };
        self.session.add_cookie(make(
            "cpPosIndex",
            format!("{index}@{}#{client_id}", self.now),
        ));
        if self.req.was_posted() {
            self.session.add_cookie(make("UseDC", "master".into()));
            self.session.add_cookie(make("UseCDNCache", "false".into()));
        }
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
}

/// `$wgArticlePath` without its `$1`: `{$wgScriptPath}/index.php/`.
pub fn article_path(config: &crate::Config) -> String {
    format!("{}/index.php/", config.script_path)
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
