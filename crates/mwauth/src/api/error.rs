//! Errors and warnings, and how each `errorformat` writes them (ApiErrorFormatter and its
//! BackCompat variant).

use super::messages;
use super::result::{List, Obj, Value};

/// A message the API reports: a code clients switch on, and a message key with parameters
/// that gives the English text.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiMessage {
    pub code: String,
    pub key: &'static str,
    pub params: Vec<String>,
    /// ParamValidator's messages wrap their parameters as `{"plaintext": …}` in `raw` format.
    pub plaintext_params: bool,
    pub data: Option<Obj>,
}

impl ApiMessage {
    pub fn new(code: &str, key: &'static str, params: &[&str]) -> ApiMessage {
        ApiMessage {
            code: code.to_string(),
            key,
            params: params.iter().map(|s| s.to_string()).collect(),
            plaintext_params: false,
            data: None,
        }
    }

    /// ApiMessage::create for a bare message key: the code is the key without its
    /// `apierror-`/`apiwarn-` prefix, or the old code ApiMessageTrait maps the key to.
    pub fn from_key(key: &'static str, params: &[&str]) -> ApiMessage {
        let code = match key {
            "noname" => "invaliduser",
            "nosuchusershort" => "nosuchuser",
            _ => key
                .strip_prefix("apierror-")
                .or_else(|| key.strip_prefix("apiwarn-"))
                .unwrap_or(key),
        };
        let code: String = code
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        ApiMessage::new(&code, key, params)
    }

    pub fn plaintext(mut self) -> Self {
        self.plaintext_params = true;
        self
    }

    pub fn with_data(mut self, data: Obj) -> Self {
        self.data = Some(data);
        self
    }

    pub fn wikitext(&self) -> String {
        messages::fill(messages::raw(self.key).unwrap_or(self.key), &self.params)
    }

    pub fn text(&self) -> String {
        messages::strip_markup(&self.wikitext())
    }
}

/// An error that ends the request: the module path it belongs to and the HTTP status
/// (MediaWiki answers API errors with 200 unless it says otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub msg: Box<ApiMessage>,
    pub module: Option<String>,
    pub status: u16,
}

impl ApiError {
    pub fn new(code: &str, key: &'static str, params: &[&str]) -> ApiError {
        ApiError::from_msg(ApiMessage::new(code, key, params))
    }

    pub fn from_msg(msg: ApiMessage) -> ApiError {
        ApiError {
            msg: Box::new(msg),
            module: None,
            status: 200,
        }
    }

    pub fn in_module(mut self, path: &str) -> Self {
        if self.module.is_none() {
            self.module = Some(path.to_string());
        }
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn missing_param(name: &str) -> ApiError {
        ApiError::from_msg(
            ApiMessage::new("missingparam", "paramvalidator-missingparam", &[name]).plaintext(),
        )
    }

    pub fn bad_token() -> ApiError {
        ApiError::new("badtoken", "apierror-badtoken", &[])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    Bc,
    PlainText,
    WikiText,
    Html,
    Raw,
    None,
}

pub const ERRORFORMAT_NAMES: &[&str] = &["bc", "html", "none", "plaintext", "raw", "wikitext"];

impl ErrorFormat {
    pub fn parse(s: &str) -> Option<ErrorFormat> {
        Some(match s {
            "bc" => ErrorFormat::Bc,
            "plaintext" => ErrorFormat::PlainText,
            "wikitext" => ErrorFormat::WikiText,
            "html" => ErrorFormat::Html,
            "raw" => ErrorFormat::Raw,
            "none" => ErrorFormat::None,
            _ => return None,
        })
    }
}

/// ApiErrorFormatter::formatMessageInternal: one error or warning as an object.
fn format_message(fmt: ErrorFormat, msg: &ApiMessage) -> Obj {
    let mut o = Obj::new().with("code", msg.code.as_str());
    match fmt {
        ErrorFormat::PlainText => o.set_content("text", msg.text()),
        ErrorFormat::WikiText => o.set_content("text", msg.wikitext()),
        ErrorFormat::Html => o.set_content("html", html_of(&msg.wikitext())),
        ErrorFormat::Raw => {
            o.set("key", msg.key);
            let mut params = List::new("param");
            for p in &msg.params {
                if msg.plaintext_params {
                    params.push(Obj::new().with("plaintext", p.as_str()));
                } else {
                    params.push(p.as_str());
                }
            }
            o.set("params", params);
        }
        ErrorFormat::Bc | ErrorFormat::None => {}
    }
    if let Some(data) = &msg.data {
        o.set("data", data.clone());
    }
    o
}

/// ApiErrorFormatter::formatMessage, for a message a module puts in its own result (such as
/// ApiLogin's `reason`): the plain text in BackCompat mode, otherwise the object an error or
/// warning would be, without its module.
pub fn format_message_value(fmt: ErrorFormat, msg: &ApiMessage) -> Value {
    match fmt {
        ErrorFormat::Bc => Value::Str(msg.text()),
        _ => Value::Obj(format_message(fmt, msg)),
    }
}

/// Message::parse for the short one-line messages the API uses: wikitext links are shown as
/// their text; everything else is already HTML.
fn html_of(wikitext: &str) -> String {
    let mut out = String::new();
    let mut rest = wikitext;
    while let Some(i) = rest.find("[[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find("]]") {
            Some(j) => {
                let inner = &after[..j];
                out.push_str(inner.rsplit('|').next().unwrap_or(inner));
                rest = &after[j + 2..];
            }
            None => {
                out.push_str("[[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace('\n', " ")
}

/// ApiErrorFormatter(_BackCompat)::addWarning.
pub fn add_warning(root: &mut Obj, fmt: ErrorFormat, module_path: &str, msg: &ApiMessage) {
    if fmt == ErrorFormat::Bc {
        // BackCompat: one text per module, later warnings appended after a newline, and
        // a repeated warning is not added twice.
        let module = module_path.rsplit('+').next().unwrap_or(module_path);
        let text = msg.text();
        let warnings = root.obj_mut("warnings", true);
        let per_module = warnings.obj_mut(module, true);
        let value = match per_module.get("warnings") {
            Some(Value::Str(old)) => {
                if old.split('\n').any(|line| line == text) {
                    return;
                }
                format!("{old}\n{text}")
            }
            _ => text,
        };
        per_module.set_content("warnings", value);
        return;
    }
    let mut value = format_message(fmt, msg);
    value.set("module", module_path);
    if !matches!(root.get("warnings"), Some(Value::List(_))) {
        root.set_on_top("warnings", List::new("warning"));
    }
    if let Some(Value::List(list)) = root.get_mut("warnings") {
        if !list.items.iter().any(|v| v == &Value::Obj(value.clone())) {
            list.push(value);
        }
    }
}

/// ApiMain::substituteResultWithError: a fresh result that keeps the warnings gathered so
/// far and carries the error and its docref.
pub fn error_result(old: &mut Obj, fmt: ErrorFormat, err: &ApiError, docref: &str) -> Obj {
    let mut root = Obj::new();
    if let Some(w) = old.remove("warnings") {
        root.set("warnings", w);
    }
    if fmt == ErrorFormat::Bc {
        let mut e = Obj::new()
            .with("code", err.msg.code.as_str())
            .with("info", err.msg.text());
        if let Some(data) = &err.msg.data {
            for (k, v) in &data.entries {
                e.set(k, v.clone());
            }
        }
        e.set_content("docref", docref);
        root.set_on_top("error", e);
    } else {
        let mut value = format_message(fmt, &err.msg);
        if let Some(m) = &err.module {
            value.set("module", m.as_str());
        }
        let mut list = List::new("error");
        list.push(value);
        root.set_on_top("errors", list);
        root.set_content("docref", docref);
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::format::json::{write, JsonStyle};

    const FV1: JsonStyle = JsonStyle {
        formatversion: 1,
        ascii: true,
        pretty: false,
    };
    const FV2: JsonStyle = JsonStyle {
        formatversion: 2,
        ascii: false,
        pretty: false,
    };

    #[test]
    fn bc_warnings_join_per_module_and_skip_repeats() {
        let mut root = Obj::new();
        let m = ApiMessage::new("x", "apiwarn-tokens-origin", &[]);
        add_warning(&mut root, ErrorFormat::Bc, "query+tokens", &m);
        add_warning(&mut root, ErrorFormat::Bc, "query+tokens", &m);
        add_warning(
            &mut root,
            ErrorFormat::Bc,
            "query+tokens",
            &ApiMessage::new("y", "apierror-badtoken", &[]),
        );
        assert_eq!(
            write(&root, FV1),
            r#"{"warnings":{"tokens":{"*":"Tokens may not be obtained when the same-origin policy is not applied.\nInvalid CSRF token."}}}"#
        );
    }

    #[test]
    fn raw_error_keeps_key_and_plaintext_params() {
        let mut old = Obj::new();
        let err = ApiError::missing_param("token").in_module("logout");
        let r = error_result(&mut old, ErrorFormat::Raw, &err, "See x.");
        assert_eq!(
            write(&r, FV2),
            r#"{"errors":[{"code":"missingparam","key":"paramvalidator-missingparam","params":[{"plaintext":"token"}],"module":"logout"}],"docref":"See x."}"#
        );
    }
}
