//! Errors and warnings, and how each `errorformat` writes them (ApiErrorFormatter and its
//! BackCompat variant).

use super::result::{List, Obj, ObjKind, Value};
use crate::i18n::{self, Lang, ListType, Param};

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
    /// The parameters with their kinds (numbers, durations, lists…), when they are more
    /// than the plain or plaintext strings of `params` (see [`ApiMessage::with_params`]).
    pub typed_params: Option<Vec<Param>>,
}

impl ApiMessage {
    pub fn new(code: &str, key: &'static str, params: &[&str]) -> ApiMessage {
        ApiMessage {
            code: code.to_string(),
            key,
            params: params.iter().map(|s| s.to_string()).collect(),
            plaintext_params: false,
            data: None,
            typed_params: None,
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

    /// Sets the parameters with their kinds; `params` keeps their English text.
    pub fn with_params(mut self, params: Vec<Param>) -> Self {
        self.params = params.iter().map(Param::english).collect();
        self.typed_params = Some(params);
        self
    }

    /// The parameters as Message would hold them. Durations that arrive already written
    /// in English (the login and account-creation throttles) become durations again.
    pub fn i18n_params(&self) -> Vec<Param> {
        if let Some(p) = &self.typed_params {
            return p.clone();
        }
        self.params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if duration_param(self.key) == Some(i) {
                    if let Some(s) = i18n::parse_english_duration(p) {
                        return Param::Duration(s);
                    }
                }
                if self.plaintext_params {
                    Param::Plaintext(p.clone())
                } else {
                    Param::Plain(p.clone())
                }
            })
            .collect()
    }

    /// Message::text() in `lang`.
    pub fn wikitext_in(&self, lang: &Lang) -> String {
        lang.text(self.key, &self.i18n_params())
    }

    /// ApiErrorFormatter::stripMarkup of the text in `lang`.
    pub fn text_in(&self, lang: &Lang) -> String {
        i18n::strip_markup(&self.wikitext_in(lang))
    }

    /// Message::parse() in `lang`.
    pub fn html_in(&self, lang: &Lang, article_path: &str) -> String {
        lang.html(self.key, &self.i18n_params(), &|w| html_of(w, article_path))
    }

    pub fn wikitext(&self) -> String {
        self.wikitext_in(&Lang::en())
    }

    pub fn text(&self) -> String {
        self.text_in(&Lang::en())
    }
}

/// The parameter of a message that MediaWiki adds with `durationParams()`.
fn duration_param(key: &str) -> Option<usize> {
    match key {
        "login-throttled" => Some(0),
        "acct_creation_throttle_hit" => Some(1),
        _ => None,
    }
}

/// ApiErrorFormatter::formatRawMessage's parameters: plain ones as they are, the others as
/// `{"plaintext": …}`, `{"num": …}`, `{"duration": …}` or `{"list": …, "type": "comma"}`.
pub fn raw_params(params: &[Param]) -> List {
    let mut list = List::new("param");
    for p in params {
        list.push(raw_param(p));
    }
    list
}

fn raw_param(p: &Param) -> Value {
    match p {
        Param::Plain(s) => Value::Str(s.clone()),
        Param::Int(n) => Value::Int(*n),
        Param::Plaintext(s) => Value::Obj(Obj::new().with("plaintext", s.as_str())),
        Param::Num(n) => Value::Obj(Obj::new().with("num", *n)),
        Param::Duration(s) => Value::Obj(Obj::new().with("duration", *s as i64)),
        Param::Message(key) => Value::Obj(
            Obj::new().with(
                "message",
                Obj::new()
                    .with("key", *key)
                    .with("params", List::new("param")),
            ),
        ),
        Param::List(kind, items) => {
            // A PHP array: a JSON list when its keys are 0…n-1, an object otherwise.
            let mut arr = Obj::new();
            arr.kind = ObjKind::Untyped;
            for (k, item) in items {
                arr.set(&k.to_string(), raw_param(item));
            }
            Value::Obj(Obj::new().with("list", arr).with("type", kind.name()))
        }
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
    /// ApiBase::requireAtLeastOneParameter: none of `names` was given
    /// (`missingparam`, "At least one of the parameters … is required").
    pub fn at_least_one_of(names: &[&str]) -> ApiError {
        let items = names
            .iter()
            .map(|n| Param::Plain(format!("<var>{n}</var>")))
            .enumerate()
            .collect();
        let count = Param::Int(names.len() as i64);
        ApiError::from_msg(
            ApiMessage::new("missingparam", "apierror-missingparam-at-least-one-of", &[])
                .with_params(vec![Param::List(ListType::Text, items), count]),
        )
    }

    /// What ApiMain answers when an exception that is not an API error escapes (here: a store
    /// that cannot be reached): `internal_api_error_<class>` with the class in `errorclass`, and
    /// "[request id] Caught exception of type …" ($wgShowExceptionDetails is off by default).
    pub(crate) fn internal() -> ApiError {
        const CLASS: &str = "Wikimedia\\Rdbms\\DBConnectionError";
        let id = crate::session::random_hex(24);
        let data = Obj::new().with("errorclass", CLASS);
        ApiError::from_msg(
            ApiMessage::new(
                "internal_api_error_DBConnectionError",
                "apierror-exceptioncaughttype",
                &[&id, CLASS],
            )
            .with_data(data),
        )
    }

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

    /// ApiBase::checkUserRightsAny's refusal: `apierror-permissiondenied` with the
    /// `action-*` message of the first right asked for.
    pub fn permission_denied(action_key: &'static str) -> ApiError {
        ApiError::from_msg(
            ApiMessage::new("permissiondenied", "apierror-permissiondenied", &[])
                .with_params(vec![Param::Message(action_key)]),
        )
    }

    pub fn missing_param(name: &str) -> ApiError {
        ApiError::from_msg(
            ApiMessage::new("missingparam", "paramvalidator-missingparam", &[name]).plaintext(),
        )
    }

    pub fn bad_token() -> ApiError {
        ApiError::new("badtoken", "apierror-badtoken", &[])
    }

    /// ParamValidator's `badvalue` for a single-value enum parameter: the name and the value
    /// as plaintext, then the allowed values (in MediaWiki's order) as a text list and their
    /// number, which only `qqx` and `raw` show.
    pub fn bad_enum(name: &str, value: &str, allowed: &[&str]) -> ApiError {
        let values = allowed
            .iter()
            .map(|v| Param::Plaintext(v.to_string()))
            .enumerate()
            .collect();
        ApiError::from_msg(
            ApiMessage::new("badvalue", "paramvalidator-badvalue-enumnotmulti", &[])
                .plaintext()
                .with_params(vec![
                    Param::Plaintext(name.to_string()),
                    Param::Plaintext(value.to_string()),
                    Param::List(i18n::ListType::Text, values),
                    Param::Num(allowed.len() as i64),
                ]),
        )
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

/// ApiErrorFormatter::formatMessageInternal: one error or warning as an object, in the
/// formatter's language. `article_path` is `$wgArticlePath` without its `$1`, for links in
/// `html`.
fn format_message(fmt: ErrorFormat, lang: &Lang, msg: &ApiMessage, article_path: &str) -> Obj {
    let mut o = Obj::new().with("code", msg.code.as_str());
    match fmt {
        ErrorFormat::PlainText => o.set_content("text", msg.text_in(lang)),
        ErrorFormat::WikiText => o.set_content("text", msg.wikitext_in(lang)),
        ErrorFormat::Html => o.set_content("html", msg.html_in(lang, article_path)),
        ErrorFormat::Raw => {
            o.set("key", msg.key);
            o.set("params", raw_params(&msg.i18n_params()));
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
pub fn format_message_value(fmt: ErrorFormat, msg: &ApiMessage, article_path: &str) -> Value {
    format_message_value_in(fmt, &Lang::en(), msg, article_path)
}

/// [`format_message_value`] in the error formatter's language (BackCompat: English).
pub fn format_message_value_in(
    fmt: ErrorFormat,
    lang: &Lang,
    msg: &ApiMessage,
    article_path: &str,
) -> Value {
    match fmt {
        ErrorFormat::Bc => Value::Str(msg.text()),
        _ => Value::Obj(format_message(fmt, lang, msg, article_path)),
    }
}

/// Message::parse for the short one-line messages the API uses, which are HTML already but
/// for two kinds of links: `[[Target]]`/`[[Target|text]]` (special pages exist; any other
/// page does not, as mwauth has no pages: a red link) and free external URLs. Line breaks
/// stay (one paragraph, its `<p>` stripped).
pub(crate) fn html_of(wikitext: &str, article_path: &str) -> String {
    let mut out = String::new();
    let mut rest = wikitext;
    while let Some(i) = rest.find("[[") {
        out.push_str(&free_links(&rest[..i]));
        let after = &rest[i + 2..];
        match after.find("]]") {
            Some(j) => {
                let inner = &after[..j];
                let (target, text) = inner.split_once('|').unwrap_or((inner, inner));
                let target = target.trim().replace('_', " ");
                let url_title = url_encode_title(&target.replace(' ', "_"));
                let title = i18n::escape_html(&target, i18n::Quotes::Double);
                if target.starts_with("Special:") {
                    out.push_str(&format!(
                        "<a href=\"{article_path}{url_title}\" title=\"{title}\">{text}</a>"
                    ));
                } else {
                    // $wgScript, and the red-link-title message of the content language.
                    let script = article_path.trim_end_matches('/');
                    out.push_str(&format!(
                        "<a href=\"{script}?title={url_title}&amp;action=edit&amp;redlink=1\" class=\"new\" title=\"{title} (page does not exist)\">{text}</a>"
                    ));
                }
                rest = &after[j + 2..];
            }
            None => {
                out.push_str("[[");
                rest = after;
            }
        }
    }
    out.push_str(&free_links(rest));
    out
}

/// wfUrlencode: what a title keeps unencoded in a URL path.
fn url_encode_title(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.;:@$!*(),/~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parser::handleMagicLinks for http(s) URLs: the URL ends at a space, at one of `[]<>"`,
/// or at an escaped `<`/`>` (`&lt;`, `&gt;`), and does not take trailing punctuation.
fn free_links(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let start = ["https://", "http://"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        let Some(i) = start else {
            break;
        };
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let mut end = tail
            .find(|c: char| c.is_whitespace() || "[]<>\"".contains(c))
            .unwrap_or(tail.len());
        for entity in ["&lt;", "&gt;"] {
            if let Some(e) = tail[..end].find(entity) {
                end = end.min(e);
            }
        }
        let mut url = &tail[..end];
        let trimmed = url.trim_end_matches([',', ';', '.', ':', '!', '?']);
        url = if trimmed.ends_with(')') && !trimmed.contains('(') {
            trimmed.trim_end_matches(')')
        } else {
            trimmed
        };
        out.push_str(&format!(
            "<a rel=\"nofollow\" class=\"external free\" href=\"{url}\">{url}</a>"
        ));
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    out
}

/// ApiErrorFormatter(_BackCompat)::addWarning, in English.
pub fn add_warning(
    root: &mut Obj,
    fmt: ErrorFormat,
    module_path: &str,
    msg: &ApiMessage,
    article_path: &str,
) {
    add_warning_in(root, fmt, &Lang::en(), module_path, msg, article_path);
}

/// ApiErrorFormatter(_BackCompat)::addWarning, in the error formatter's language
/// (BackCompat: English).
pub fn add_warning_in(
    root: &mut Obj,
    fmt: ErrorFormat,
    lang: &Lang,
    module_path: &str,
    msg: &ApiMessage,
    article_path: &str,
) {
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
    let mut value = format_message(fmt, lang, msg, article_path);
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
/// far and carries the error and its docref (English).
pub fn error_result(
    old: &mut Obj,
    fmt: ErrorFormat,
    err: &ApiError,
    docref: &str,
    article_path: &str,
) -> Obj {
    error_result_in(old, fmt, &Lang::en(), err, docref, article_path)
}

/// [`error_result`] in the error formatter's language (BackCompat: English).
pub fn error_result_in(
    old: &mut Obj,
    fmt: ErrorFormat,
    lang: &Lang,
    err: &ApiError,
    docref: &str,
    article_path: &str,
) -> Obj {
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
        let mut value = format_message(fmt, lang, &err.msg, article_path);
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
        add_warning(&mut root, ErrorFormat::Bc, "query+tokens", &m, "");
        add_warning(&mut root, ErrorFormat::Bc, "query+tokens", &m, "");
        add_warning(
            &mut root,
            ErrorFormat::Bc,
            "query+tokens",
            &ApiMessage::new("y", "apierror-badtoken", &[]),
            "",
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
        let r = error_result(&mut old, ErrorFormat::Raw, &err, "See x.", "");
        assert_eq!(
            write(&r, FV2),
            r#"{"errors":[{"code":"missingparam","key":"paramvalidator-missingparam","params":[{"plaintext":"token"}],"module":"logout"}],"docref":"See x."}"#
        );
    }
}
