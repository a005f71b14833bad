//! Output formats: the same result tree written as MediaWiki's formatters write it.

pub mod json;
pub mod php;
pub mod xml;

use crate::api::result::{Obj, Value};

/// A format's wire properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
    Php,
    None,
    /// `jsonfm`, `xmlfm`, `phpfm`, `rawfm`: the result pretty-printed inside an HTML page.
    Html(HtmlOf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlOf {
    Json,
    Xml,
    Php,
    Raw,
}

pub const FORMAT_NAMES: &[&str] = &[
    "json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml", "xmlfm",
];

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "json" => Format::Json,
            "jsonfm" => Format::Html(HtmlOf::Json),
            "xml" => Format::Xml,
            "xmlfm" => Format::Html(HtmlOf::Xml),
            "php" => Format::Php,
            "phpfm" => Format::Html(HtmlOf::Php),
            "rawfm" => Format::Html(HtmlOf::Raw),
            "none" => Format::None,
            _ => return None,
        })
    }

    pub fn content_type(self, callback: bool) -> &'static str {
        match self {
            Format::Json if callback => "text/javascript; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
            Format::Php => "application/vnd.php.serialized; charset=utf-8",
            Format::None => "text/plain; charset=utf-8",
            Format::Html(_) => "text/html; charset=UTF-8",
        }
    }

    /// ApiFormatBase::getFilename: the `Content-Disposition` filename MediaWiki sends.
    /// The Content-Disposition of the format's answers, when it is not shown as HTML.
    pub fn content_disposition(self) -> Option<&'static str> {
        match self {
            Format::Json => Some("inline; filename=api-result.json"),
            Format::Xml => Some("inline; filename=api-result.xml"),
            Format::Php => Some("inline; filename=api-result.php"),
            Format::None => Some("inline; filename=api-result.txt"),
            Format::Html(_) => None,
        }
    }
}

/// An object's members as the JSON and PHP printers write them, each with whether it is a
/// META_BC_BOOLS key. In formatversion 1 (`bc`) ApiResult's BC transformations apply: false
/// booleans are left out (but for META_BC_BOOLS keys) and the content member moves to the end
/// under `*`.
pub(crate) fn members(o: &Obj, bc: bool) -> Vec<(&str, &Value, bool)> {
    let mut items: Vec<(&str, &Value, bool)> = Vec::with_capacity(o.entries.len() + 1);
    let mut content: Option<&Value> = None;
    for (k, v) in &o.entries {
        if bc && o.content.as_deref() == Some(k.as_str()) {
            content = Some(v);
            continue;
        }
        let keep = bc && o.bc_bools.keeps(k);
        if bc && !keep && matches!(v, Value::Bool(false)) {
            continue;
        }
        items.push((k, v, keep));
    }
    if let Some(c) = content {
        items.push(("*", c, false));
    }
    items
}
