//! What clientlogin, createaccount and meta=authmanagerinfo share (ApiAuthManagerHelper):
//! the message formats of their answers and the description of the authentication requests
//! a password-only wiki offers.

use crate::api::context::Context;
use crate::api::error::{ApiError, ApiMessage};
use crate::api::messages;
use crate::api::result::{List, Obj, Value};

/// `loginmessageformat` / `createmessageformat` / `amimessageformat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFormat {
    Html,
    Wikitext,
    Raw,
    None,
}

pub const MESSAGE_FORMATS: &[&str] = &["html", "wikitext", "raw", "none"];

pub fn message_format(ctx: &mut Context<'_>, param: &str) -> Result<MessageFormat, ApiError> {
    Ok(
        match ctx
            .single_enum(param, MESSAGE_FORMATS, Some("wikitext"))?
            .as_deref()
        {
            Some("html") => MessageFormat::Html,
            Some("raw") => MessageFormat::Raw,
            Some("none") => MessageFormat::None,
            _ => MessageFormat::Wikitext,
        },
    )
}

/// A message of an AuthenticationResponse: key, parameters, and the text MediaWiki would
/// render (wikitext keeps its line breaks; `html` is the parsed form without the outer
/// paragraph, identical for these one-line messages).
#[derive(Debug, Clone)]
pub struct AuthMessage {
    pub key: &'static str,
    pub params: Vec<String>,
    /// Overrides the catalogue text (for messages built here, e.g. group lists).
    pub text: Option<String>,
}

impl AuthMessage {
    pub fn new(key: &'static str, params: Vec<String>) -> AuthMessage {
        AuthMessage {
            key,
            params,
            text: None,
        }
    }

    fn wikitext(&self) -> String {
        match &self.text {
            Some(t) => t.clone(),
            None => messages::fill(messages::raw(self.key).unwrap_or(self.key), &self.params),
        }
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
pub fn put_message(obj: &mut Obj, key: &str, msg: &AuthMessage, format: MessageFormat) {
    match format {
        MessageFormat::None => {}
        MessageFormat::Wikitext | MessageFormat::Html => obj.set(key, msg.wikitext()),
        MessageFormat::Raw => {
            let params = List::of_strings("param", msg.params.clone());
            obj.set(key, Obj::new().with("key", msg.key).with("params", params));
        }
    }
}

/// A FAIL answer: status, message, messagecode, canpreservestate.
pub fn fail(msg: &AuthMessage, format: MessageFormat) -> Obj {
    let mut res = Obj::new().with("status", "FAIL");
    put_message(&mut res, "message", msg, format);
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
        let list = format!("<var>{prefix}continue</var> and <var>{prefix}returnurl</var>");
        return Err(ApiError::new(
            "missingparam",
            "apierror-missingparam-at-least-one-of",
            &[&list, "2"],
        ));
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
                &[&name, url],
            )));
        }
    }
    Ok((cont, returnurl))
}

/// One field of an authentication request (AuthenticationRequest::getFieldInfo).
struct Field {
    name: &'static str,
    kind: &'static str,
    label: &'static str,
    help: &'static str,
    optional: bool,
    sensitive: bool,
}

const USERNAME: Field = Field {
    name: "username",
    kind: "string",
    label: "Username",
    help: "Username for authentication.",
    optional: false,
    sensitive: false,
};
const PASSWORD: Field = Field {
    name: "password",
    kind: "password",
    label: "Password",
    help: "Password for authentication.",
    optional: false,
    sensitive: true,
};
const RETYPE: Field = Field {
    name: "retype",
    kind: "password",
    label: "Retype password:",
    help: "Password again to confirm.",
    optional: false,
    sensitive: true,
};
const REMEMBER: Field = Field {
    name: "rememberMe",
    kind: "checkbox",
    label: "Keep me logged in",
    help: "Whether the password should be remembered for longer than the length of the session.",
    optional: true,
    sensitive: false,
};
const EMAIL: Field = Field {
    name: "email",
    kind: "string",
    label: "Email",
    help: "Email address",
    optional: true,
    sensitive: false,
};
const REALNAME: Field = Field {
    name: "realname",
    kind: "string",
    label: "Real name",
    help: "Real name of the user",
    optional: true,
    sensitive: false,
};

struct Request {
    id: &'static str,
    required: &'static str,
    provider: &'static str,
    /// `None`: the account is the current user's name (password requests).
    account: Option<&'static str>,
    fields: &'static [Field],
}

const LOGIN_REQUESTS: &[Request] = &[
    Request {
        id: "MediaWiki\\Auth\\PasswordAuthenticationRequest",
        required: "primary-required",
        provider: "Password-based authentication",
        account: None,
        fields: &[USERNAME, PASSWORD],
    },
    Request {
        id: "MediaWiki\\Auth\\RememberMeAuthenticationRequest",
        required: "optional",
        provider: "MediaWiki\\Auth\\RememberMeAuthenticationRequest",
        account: Some("MediaWiki\\Auth\\RememberMeAuthenticationRequest"),
        fields: &[REMEMBER],
    },
];

const CREATE_REQUESTS: &[Request] = &[
    Request {
        id: "MediaWiki\\Auth\\PasswordAuthenticationRequest",
        required: "primary-required",
        provider: "Password-based authentication",
        account: Some(""),
        fields: &[USERNAME, PASSWORD, RETYPE],
    },
    Request {
        id: "MediaWiki\\Auth\\UsernameAuthenticationRequest",
        required: "required",
        provider: "MediaWiki\\Auth\\UsernameAuthenticationRequest",
        account: Some("MediaWiki\\Auth\\UsernameAuthenticationRequest"),
        fields: &[USERNAME],
    },
    Request {
        id: "MediaWiki\\Auth\\UserDataAuthenticationRequest",
        required: "required",
        provider: "MediaWiki\\Auth\\UserDataAuthenticationRequest",
        account: Some("MediaWiki\\Auth\\UserDataAuthenticationRequest"),
        fields: &[EMAIL, REALNAME],
    },
];

fn format_fields<'f>(fields: impl Iterator<Item = &'f Field>) -> Obj {
    let mut out = Obj::new();
    for f in fields {
        if out.get(f.name).is_some() {
            continue;
        }
        let info = Obj::new()
            .with("type", f.kind)
            .with("label", f.label)
            .with("help", f.help)
            .with("optional", f.optional)
            .with("sensitive", f.sensitive);
        out.set(f.name, info);
    }
    out
}

/// ApiAuthManagerHelper::formatRequests for `login` or `create`.
pub fn format_requests(
    action: &str,
    current_user: &str,
    merge_fields: bool,
    format: MessageFormat,
) -> Obj {
    let reqs = if action == "create" {
        CREATE_REQUESTS
    } else {
        LOGIN_REQUESTS
    };
    let mut list = List::new("request");
    for r in reqs {
        let mut info = Obj::new()
            .with("id", r.id)
            .with("metadata", Obj::new())
            .with("required", r.required);
        put_message(
            &mut info,
            "provider",
            &AuthMessage {
                key: "",
                params: vec![],
                text: Some(r.provider.into()),
            },
            format,
        );
        let account = r
            .account
            .map(str::to_string)
            .unwrap_or_else(|| current_user.to_string());
        put_message(
            &mut info,
            "account",
            &AuthMessage {
                key: "",
                params: vec![],
                text: Some(account),
            },
            format,
        );
        if !merge_fields {
            info.set("fields", format_fields(r.fields.iter()));
        }
        list.push(Value::Obj(info));
    }
    let mut out = Obj::new().with("requests", list);
    if merge_fields {
        out.set(
            "fields",
            format_fields(reqs.iter().flat_map(|r| r.fields.iter())),
        );
    }
    out
}
