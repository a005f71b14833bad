//! Output formats: the same result tree written as MediaWiki's formatters write it.

pub mod json;
pub mod php;
pub mod xml;

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
