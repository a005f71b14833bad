//! What clientlogin, createaccount and meta=authmanagerinfo share (ApiAuthManagerHelper):
//! the message formats of their answers and the description of the authentication requests
//! a password-only wiki offers.

use crate::api::context::Context;
use crate::api::error::{html_of, raw_params, ApiError, ApiMessage};
use crate::api::params_spec::ParamSpec;
use crate::api::result::{List, Obj, Value};
use crate::auth::captcha::{self, Captcha, CaptchaAction};
use crate::config::CaptchaKind;
use crate::i18n::{self, Lang, Param};
use std::borrow::Cow;

/// `loginmessageformat` / `createmessageformat` / `amimessageformat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFormat {
    Html,
    Wikitext,
    Raw,
    None,
}

pub const MESSAGE_FORMATS: &[&str] = &["html", "wikitext", "raw", "none"];

/// How ApiAuthManagerHelper writes messages: the format asked for, in the user language
/// (`uselang`; Message::setContext( $module )).
#[derive(Debug, Clone)]
pub struct MessageFormatter {
    pub format: MessageFormat,
    pub lang: Lang<'static>,
    /// `$wgArticlePath` without its `$1`, for links in `html`.
    pub article_path: String,
}

pub fn message_format(ctx: &mut Context<'_>, param: &str) -> Result<MessageFormatter, ApiError> {
    let format = match ctx
        .single_enum(param, MESSAGE_FORMATS, Some("wikitext"))?
        .as_deref()
    {
        Some("html") => MessageFormat::Html,
        Some("raw") => MessageFormat::Raw,
        Some("none") => MessageFormat::None,
        _ => MessageFormat::Wikitext,
    };
    Ok(MessageFormatter {
        format,
        lang: ctx.uselang.clone().into_owned(),
        article_path: ctx.article_path(),
    })
}

/// A message of an AuthenticationResponse or of a request's description: a key and its
/// parameters, rendered in the user language. The key `$1` is a RawMessage of its one
/// parameter (an empty one is PHP's null).
#[derive(Debug, Clone)]
pub struct AuthMessage {
    pub key: &'static str,
    pub params: Vec<String>,
    /// Overrides the catalogue text (for messages built here, e.g. group lists).
    pub text: Option<String>,
    /// The parameters with their kinds, when they are more than plain strings.
    pub typed: Option<Vec<Param>>,
}

impl AuthMessage {
    pub fn new(key: &'static str, params: Vec<String>) -> AuthMessage {
        AuthMessage {
            key,
            params,
            text: None,
            typed: None,
        }
    }

    /// A message with typed parameters (e.g. `numParams()`).
    pub fn typed(key: &'static str, params: Vec<Param>) -> AuthMessage {
        AuthMessage {
            key,
            params: params.iter().map(Param::english).collect(),
            text: None,
            typed: Some(params),
        }
    }

    /// `new RawMessage( '$1', [ $value ] )`.
    fn raw_text(value: &str) -> AuthMessage {
        AuthMessage::new("$1", vec![value.to_string()])
    }

    /// `new RawMessage( '$1', [ null ] )`: "" as text, `null` in `raw`.
    fn raw_null() -> AuthMessage {
        AuthMessage::new("$1", vec![])
    }

    /// The parameters as MediaWiki's providers add them: integers for the lengths and
    /// counts, a duration for the throttles' waits.
    fn i18n_params(&self) -> Vec<Param> {
        if let Some(typed) = &self.typed {
            return typed.clone();
        }
        let ints: &[usize] = match self.key {
            "passwordtooshort" | "passwordtoolong" | "acct_creation_throttle_hit" => &[0],
            _ => &[],
        };
        let params: Vec<&str> = self.params.iter().map(String::as_str).collect();
        ApiMessage::new("", self.key, &params)
            .i18n_params()
            .into_iter()
            .enumerate()
            .map(|(i, p)| match p {
                Param::Plain(s) if ints.contains(&i) => match s.parse::<i64>() {
                    Ok(n) => Param::Int(n),
                    Err(_) => Param::Plain(s),
                },
                p => p,
            })
            .collect()
    }

    fn wikitext(&self, lang: &Lang) -> String {
        if let Some(t) = &self.text {
            return t.clone();
        }
        if self.key == "$1" {
            return self.params.first().cloned().unwrap_or_default();
        }
        lang.text(self.key, &self.i18n_params())
    }

    fn html(&self, f: &MessageFormatter) -> String {
        if self.text.is_some() || self.key == "$1" {
            return html_of(&self.wikitext(&f.lang), &f.article_path);
        }
        f.lang.html(self.key, &self.i18n_params(), &|w| {
            html_of(w, &f.article_path)
        })
    }

    /// ApiMessage's code for a message key (ApiMessageTrait::$messageMap).
    pub fn code(&self) -> &'static str {
        match self.key {
            "noname" => "invaliduser",
            "badaccess-groups" => "permissiondenied",
            k => k,
        }
    }
}

/// ApiAuthManagerHelper::formatMessage.
pub fn put_message(obj: &mut Obj, key: &str, msg: &AuthMessage, f: &MessageFormatter) {
    match f.format {
        MessageFormat::None => {}
        MessageFormat::Wikitext => obj.set(key, msg.wikitext(&f.lang)),
        MessageFormat::Html => obj.set(key, msg.html(f)),
        MessageFormat::Raw => {
            let params = if msg.key == "$1" {
                let mut list = List::new("");
                match msg.params.first() {
                    Some(text) => list.push(text.as_str()),
                    None => list.push(Value::Null),
                }
                list
            } else {
                raw_params(&msg.i18n_params())
            };
            // formatMessage names the indexed tag of a copy of the list, not of the list it
            // outputs: XML shows `_v` elements.
            let mut params = params;
            params.element = String::new();
            obj.set(key, Obj::new().with("key", msg.key).with("params", params));
        }
    }
}

/// A FAIL answer: status, message, messagecode, canpreservestate.
pub fn fail(msg: &AuthMessage, f: &MessageFormatter) -> Obj {
    let mut res = Obj::new().with("status", "FAIL");
    put_message(&mut res, "message", msg, f);
    res.set("messagecode", msg.code());
    res.set("canpreservestate", false);
    res
}

/// ApiBase::requireAtLeastOneParameter for the `continue`/`returnurl` pair.
pub fn require_continue_or_returnurl(
    ctx: &mut Context<'_>,
    prefix: &str,
) -> Result<(bool, Option<String>), ApiError> {
    let cont = ctx.params.flag(&format!("{prefix}continue"));
    let returnurl = ctx
        .params
        .get(&format!("{prefix}returnurl"))
        .map(str::to_string);
    if !cont && returnurl.is_none() {
        let names = [format!("{prefix}continue"), format!("{prefix}returnurl")];
        return Err(ApiError::at_least_one_of(&[&names[0], &names[1]]));
    }
    if let Some(url) = &returnurl {
        // wfParseUrl: the URL needs a scheme.
        let has_scheme = url.split_once("://").is_some_and(|(s, _)| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }) || url.starts_with("mailto:");
        if !has_scheme {
            let name = format!("{prefix}returnurl");
            return Err(ApiError::from_msg(ApiMessage::new(
                &format!("badurl_{name}"),
                "apierror-badurl",
                &[&name, &i18n::escape_wikitext(url)],
            )));
        }
    }
    Ok((cont, returnurl))
}

/// One field of an authentication request (AuthenticationRequest::getFieldInfo), with the
/// message keys of its label and help.
#[derive(Clone)]
struct Field {
    name: &'static str,
    kind: &'static str,
    /// The field's value, for the fields that carry one (a captcha's id and question).
    value: Option<String>,
    label: &'static str,
    help: &'static str,
    optional: bool,
    sensitive: bool,
}

const USERNAME: Field = Field {
    name: "username",
    kind: "string",
    value: None,
    label: "userlogin-yourname",
    help: "authmanager-username-help",
    optional: false,
    sensitive: false,
};
const PASSWORD: Field = Field {
    name: "password",
    kind: "password",
    value: None,
    label: "userlogin-yourpassword",
    help: "authmanager-password-help",
    optional: false,
    sensitive: true,
};
const RETYPE: Field = Field {
    name: "retype",
    kind: "password",
    value: None,
    label: "yourpasswordagain",
    help: "authmanager-retype-help",
    optional: false,
    sensitive: true,
};
/// PasswordAuthenticationRequest::getFieldInfo for ACTION_CHANGE: no username, and the
/// labels of a new password.
const NEW_PASSWORD: Field = Field {
    label: "newpassword",
    ..PASSWORD
};
const RETYPE_NEW: Field = Field {
    label: "retypenew",
    ..RETYPE
};
const MAIL_PASSWORD: Field = Field {
    name: "mailpassword",
    kind: "checkbox",
    value: None,
    label: "createaccountmail",
    help: "createaccountmail-help",
    optional: false,
    sensitive: false,
};
const REASON: Field = Field {
    name: "reason",
    kind: "string",
    value: None,
    label: "createacct-reason",
    help: "createacct-reason-help",
    optional: false,
    sensitive: false,
};
const REMEMBER: Field = Field {
    name: "rememberMe",
    kind: "checkbox",
    value: None,
    label: "userlogin-remembermypassword",
    help: "authmanager-userlogin-remembermypassword-help",
    optional: true,
    sensitive: false,
};
const EMAIL: Field = Field {
    name: "email",
    kind: "string",
    value: None,
    label: "authmanager-email-label",
    help: "authmanager-email-help",
    optional: true,
    sensitive: false,
};
const REALNAME: Field = Field {
    name: "realname",
    kind: "string",
    value: None,
    label: "authmanager-realname-label",
    help: "authmanager-realname-help",
    optional: true,
    sensitive: false,
};

struct Request {
    id: &'static str,
    /// `metadata`: a captcha's type and mime type; `{}` for the others.
    metadata: Option<(&'static str, &'static str)>,
    required: &'static str,
    /// A message key, or (for requests that do not describe themselves) the class name.
    provider: &'static str,
    account: Account,
    fields: Cow<'static, [Field]>,
}

/// A request's `account` (AuthenticationRequest::describeCredentials's `account`, a
/// RawMessage of the request's username or, for requests without one, its class).
#[derive(Clone, Copy)]
enum Account {
    /// The username AuthManager fills in: the current user's name, PHP's null for an
    /// anonymous user (fillRequests).
    Current,
    /// Always null: account creation's requests, whose username AuthManager leaves unset
    /// (getAuthenticationRequestsInternal, "Don't fill in the username below").
    Unset,
    /// A fixed text (the class name of a request that does not describe itself).
    Text(&'static str),
}

const LOGIN_REQUESTS: &[Request] = &[
    Request {
        id: "MediaWiki\\Auth\\PasswordAuthenticationRequest",
        metadata: None,
        required: "primary-required",
        provider: "authmanager-provider-password",
        account: Account::Current,
        fields: Cow::Borrowed(&[USERNAME, PASSWORD]),
    },
    Request {
        id: "MediaWiki\\Auth\\RememberMeAuthenticationRequest",
        metadata: None,
        required: "optional",
        provider: "MediaWiki\\Auth\\RememberMeAuthenticationRequest",
        account: Account::Text("MediaWiki\\Auth\\RememberMeAuthenticationRequest"),
        fields: Cow::Borrowed(&[REMEMBER]),
    },
];

const CREATE_PASSWORD: Request = Request {
    id: "MediaWiki\\Auth\\PasswordAuthenticationRequest",
    metadata: None,
    required: "primary-required",
    provider: "authmanager-provider-password",
    account: Account::Unset,
    fields: Cow::Borrowed(&[USERNAME, PASSWORD, RETYPE]),
};
const CREATE_USERNAME: Request = Request {
    id: "MediaWiki\\Auth\\UsernameAuthenticationRequest",
    metadata: None,
    required: "required",
    provider: "MediaWiki\\Auth\\UsernameAuthenticationRequest",
    account: Account::Text("MediaWiki\\Auth\\UsernameAuthenticationRequest"),
    fields: Cow::Borrowed(&[USERNAME]),
};
const CREATE_USER_DATA: Request = Request {
    id: "MediaWiki\\Auth\\UserDataAuthenticationRequest",
    metadata: None,
    required: "required",
    provider: "MediaWiki\\Auth\\UserDataAuthenticationRequest",
    account: Account::Text("MediaWiki\\Auth\\UserDataAuthenticationRequest"),
    fields: Cow::Borrowed(&[EMAIL, REALNAME]),
};
const CREATE_REQUESTS: &[Request] = &[CREATE_PASSWORD, CREATE_USERNAME, CREATE_USER_DATA];

/// TemporaryPasswordPrimaryAuthenticationProvider's request: for `remove`, and for `create`
/// by a logged-in user (an account for someone else, its password sent by email).
const TEMPORARY_PASSWORD: Request = Request {
    id: "MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest",
    metadata: None,
    required: "primary-required",
    provider: "authmanager-provider-temporarypassword",
    account: Account::Current,
    fields: Cow::Borrowed(&[MAIL_PASSWORD]),
};

/// What a password-only wiki offers for `change` (LocalPasswordPrimaryAuthenticationProvider;
/// the temporary password's request is filtered out by allowsAuthenticationDataChange) and
/// for `remove` (the temporary password's; the local password's is filtered out).
const CHANGE_REQUESTS: &[Request] = &[Request {
    id: "MediaWiki\\Auth\\PasswordAuthenticationRequest",
    metadata: None,
    required: "primary-required",
    provider: "authmanager-provider-password",
    account: Account::Current,
    fields: Cow::Borrowed(&[NEW_PASSWORD, RETYPE_NEW]),
}];
const REMOVE_REQUESTS: &[Request] = &[TEMPORARY_PASSWORD];

/// Account creation by a logged-in user: the temporary password's request first (primary
/// providers in their sort order), then the anonymous creation's, then
/// CreationReasonAuthenticationRequest; none of them with a username.
const CREATE_LOGGED_IN_REQUESTS: &[Request] = &[
    Request {
        account: Account::Unset,
        ..TEMPORARY_PASSWORD
    },
    CREATE_PASSWORD,
    CREATE_USERNAME,
    CREATE_USER_DATA,
    Request {
        id: "MediaWiki\\Auth\\CreationReasonAuthenticationRequest",
        metadata: None,
        required: "optional",
        provider: "MediaWiki\\Auth\\CreationReasonAuthenticationRequest",
        account: Account::Text("MediaWiki\\Auth\\CreationReasonAuthenticationRequest"),
        fields: Cow::Borrowed(&[REASON]),
    },
];

/// OATHAuth's TOTPAuthenticationRequest: the second step of a two-factor login. Its account
/// is the name of the user logging in.
const TOTP_REQUESTS: &[Request] = &[Request {
    id: "MediaWiki\\Extension\\OATHAuth\\Auth\\TOTPAuthenticationRequest",
    metadata: None,
    required: "required",
    provider: "oathauth-describe-provider",
    account: Account::Current,
    fields: Cow::Borrowed(&[Field {
        name: "OATHToken",
        kind: "string",
        value: None,
        label: "oathauth-auth-token-label",
        help: "oathauth-auth-token-help",
        optional: false,
        sensitive: false,
    }]),
}];

/// ApiAuthManagerHelper::formatFields. `remember_days` is the `rememberMe` label's
/// parameter (RememberMeAuthenticationRequest: the remember-me lifetime in days).
fn format_fields<'f>(
    fields: impl Iterator<Item = &'f Field>,
    fmt: &MessageFormatter,
    remember_days: i64,
) -> Obj {
    let mut out = Obj::new();
    for f in fields {
        if out.get(f.name).is_some() {
            continue;
        }
        // RememberMeAuthenticationRequest::getFieldInfo: no field when the session's provider
        // does not remember users (getRememberUserDuration null: bot-password sessions).
        if f.name == "rememberMe" && remember_days == 0 {
            continue;
        }
        let mut info = Obj::new().with("type", f.kind);
        if let Some(v) = &f.value {
            info.set("value", v.as_str());
        }
        let label = if f.name == "rememberMe" {
            AuthMessage::typed(f.label, vec![Param::Num(remember_days)])
        } else {
            AuthMessage::new(f.label, vec![])
        };
        put_message(&mut info, "label", &label, fmt);
        if f.name == "rememberMe" && fmt.format == MessageFormat::Raw {
            // The days are PHP's ceil() of a division: a float, `d:180;` in format=php.
            let num = Obj::new().with("num", Value::Float(remember_days as f64));
            let mut params = List::new("");
            params.push(Value::Obj(num));
            let raw = Obj::new().with("key", f.label).with("params", params);
            info.set("label", raw);
        }
        put_message(&mut info, "help", &AuthMessage::new(f.help, vec![]), fmt);
        info.set("optional", f.optional);
        info.set("sensitive", f.sensitive);
        out.set(f.name, info);
    }
    out
}

/// A captcha asked with a login or an account creation: ConfirmEdit's
/// CaptchaAuthenticationRequest, listed before the other requests.
pub struct CaptchaShown<'a> {
    pub id: &'a str,
    pub captcha: &'a Captcha,
    pub kind: CaptchaKind,
    pub action: CaptchaAction,
}

/// CaptchaAuthenticationRequest::getFieldInfo and describeCredentials.
fn captcha_request(c: &CaptchaShown) -> Request {
    let field = |name, kind, value: Option<String>, label, help| Field {
        name,
        kind,
        value,
        label,
        help,
        optional: false,
        sensitive: false,
    };
    Request {
        id: "CaptchaAuthenticationRequest",
        metadata: captcha::metadata(c.kind),
        required: "required",
        provider: "MediaWiki\\Extension\\ConfirmEdit\\Auth\\CaptchaAuthenticationRequest",
        account: Account::Text("CaptchaAuthenticationRequest"),
        fields: Cow::Owned(vec![
            field(
                "captchaId",
                "hidden",
                Some(c.id.to_string()),
                "captcha-id-label",
                "captcha-id-help",
            ),
            field(
                "captchaInfo",
                "null",
                Some(c.captcha.info()),
                captcha::info_label_key(c.kind, c.action),
                "captcha-info-help",
            ),
            field(
                "captchaWord",
                "string",
                None,
                "captcha-label",
                "captcha-help",
            ),
        ]),
    }
}

/// ApiAuthManagerHelper::formatRequests for `login`, `create`, `change`, `remove`, or
/// `totp` (the second step of a two-factor login, `current_user` being the user logging
/// in), with a captcha first when one is asked, or for no requests (any other `action`);
/// `current_user` is None for an anonymous user; `remember_seconds` is
/// `$wgExtendedLoginCookieExpiration` (0: the session's provider remembers no one).
pub fn format_requests(
    action: &str,
    current_user: Option<&str>,
    captcha: Option<&CaptchaShown>,
    merge_fields: bool,
    format: &MessageFormatter,
    remember_seconds: u64,
) -> Obj {
    let remember_days = remember_seconds.div_ceil(86_400) as i64;
    let fixed = match action {
        "create" if current_user.is_some() => CREATE_LOGGED_IN_REQUESTS,
        "create" => CREATE_REQUESTS,
        "change" => CHANGE_REQUESTS,
        "remove" => REMOVE_REQUESTS,
        "totp" => TOTP_REQUESTS,
        "login" => LOGIN_REQUESTS,
        // Anything else: none, but merged fields are still there, empty (formatRequests
        // sets `fields` whenever they are merged).
        _ => &[],
    };
    let asked = captcha.map(captcha_request);
    let reqs: Vec<&Request> = asked.iter().chain(fixed.iter()).collect();
    // formatRequests names no indexed tag: XML shows `_v` elements.
    let mut list = List::new("");
    for r in &reqs {
        let metadata = match r.metadata {
            Some((kind, mime)) => Obj::new().with("type", kind).with("mime", mime),
            None => Obj::new(),
        };
        let mut info = Obj::new()
            .with("id", r.id)
            .with("metadata", metadata)
            .with("required", r.required);
        let provider = if r.provider.contains('\\') {
            AuthMessage::raw_text(r.provider)
        } else {
            AuthMessage::new(r.provider, vec![])
        };
        put_message(&mut info, "provider", &provider, format);
        let account = match r.account {
            Account::Current => current_user,
            Account::Unset => None,
            Account::Text(text) => Some(text),
        };
        let account = match account {
            Some(name) => AuthMessage::raw_text(name),
            None => AuthMessage::raw_null(),
        };
        put_message(&mut info, "account", &account, format);
        if !merge_fields {
            info.set(
                "fields",
                format_fields(r.fields.iter(), format, remember_days),
            );
        }
        list.push(Value::Obj(info));
    }
    let mut out = Obj::new().with("requests", list);
    if merge_fields {
        out.set(
            "fields",
            format_fields(merged_fields(&reqs).iter(), format, remember_days),
        );
    }
    out
}

/// AuthenticationRequest::mergeFieldInfo: each field once, in the order of first mention;
/// optional when its request is, or when some primary-required request does not require it
/// (authentication can then go on without it), and optional in the merge only if optional
/// everywhere; sensitive if sensitive anywhere.
fn merged_fields(reqs: &[&Request]) -> Vec<Field> {
    let mut shared_primary: Option<Vec<&str>> = None;
    for r in reqs.iter().filter(|r| r.required == "primary-required") {
        let required = r.fields.iter().filter(|f| !f.optional).map(|f| f.name);
        shared_primary = Some(match shared_primary {
            None => required.collect(),
            Some(shared) => shared
                .into_iter()
                .filter(|name| required.clone().any(|n| n == *name))
                .collect(),
        });
    }
    let mut merged: Vec<Field> = Vec::new();
    for r in reqs {
        for f in r.fields.iter() {
            let optional = r.required == "optional"
                || (r.required == "primary-required"
                    && !shared_primary.as_ref().is_some_and(|s| s.contains(&f.name)))
                || f.optional;
            match merged.iter_mut().find(|m| m.name == f.name) {
                Some(m) => {
                    m.optional &= optional;
                    m.sensitive |= f.sensitive;
                }
                None => merged.push(Field {
                    optional,
                    ..f.clone()
                }),
            }
        }
    }
    merged
}

/// ApiAuthManagerHelper's parameters (clientlogin and createaccount, each with its own
/// prefix); ApiBase adds the token's after them.
pub const HELPER_PARAMS: &[ParamSpec] = &[
    ParamSpec::string("requests").multi(),
    ParamSpec::enumeration("messageformat", MESSAGE_FORMATS).default_str("wikitext"),
    ParamSpec::boolean("mergerequestfields"),
    ParamSpec::boolean("preservestate"),
    ParamSpec::string("returnurl"),
    ParamSpec::boolean("continue"),
];

/// A `UI` answer of clientlogin asking for the TOTP code of `user_name`'s login
/// (AuthenticationResponse::newUI with a TOTPAuthenticationRequest): status, the request
/// (its fields merged after it when asked), then the message and its code.
pub fn totp_ui(
    user_name: &str,
    msg: &AuthMessage,
    merge_fields: bool,
    format: &MessageFormatter,
    remember_seconds: u64,
) -> Obj {
    let mut res = Obj::new().with("status", "UI");
    let reqs = format_requests(
        "totp",
        Some(user_name),
        None,
        merge_fields,
        format,
        remember_seconds,
    );
    for (k, v) in reqs.entries {
        res.set(&k, v);
    }
    put_message(&mut res, "message", msg, format);
    res.set("messagecode", msg.code());
    res
}
