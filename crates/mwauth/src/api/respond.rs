//! ApiMain's output half: the printer's own parameters, the result or the error printed in
//! the chosen format, the help page ApiFormatRaw prints as it is, and the headers of the
//! answer (ApiMain::sendCacheHeaders and the printer's). `main` decides what ran; this file
//! says how it is answered.

use super::cache::PRIVATE_NO_CACHE;
use super::context::{Context, HelpOutput};
use super::error::{add_warning_in, error_result_in, ApiError, ApiMessage};
use super::format::json::JsonStyle;
use super::format::{self, Format, HtmlOf};
use super::params::Params;
use super::result::Obj;
use crate::i18n::{self, escape_html, Lang, Quotes};
use crate::request::{ApiRequest, ApiResponse, Header};
use crate::{time, Services};
use std::borrow::Cow;

/// How the answer is printed: the printer ApiMain chose and its parameters, and the cache
/// headers decided once the module has run.
pub(super) struct Output {
    pub(super) format: Format,
    pub(super) formatversion: u8,
    pub(super) ascii: bool,
    pub(super) callback: Option<String>,
    /// The printer's own parameters are invalid: MediaWiki notices only when it prints, so
    /// the module runs first (see `respond`).
    pub(super) printer_failure: Option<ApiError>,
    /// ApiMain's cache mode is `public` (see `modules::query::is_public`).
    pub(super) public_cache: bool,
    /// Cache-Control and, for a public answer, Expires (ApiMain::sendCacheHeaders).
    pub(super) cache_control: (Cow<'static, str>, Option<String>),
}

impl Output {
    /// The printer `format` at its default parameters, answering privately.
    pub(super) fn new(format: Format) -> Output {
        Output {
            format,
            formatversion: 1,
            ascii: false,
            callback: None,
            printer_failure: None,
            public_cache: false,
            cache_control: (PRIVATE_NO_CACHE.into(), None),
        }
    }
}

/// The format module's own parameters (ApiFormatJson and ApiFormatPhp: formatversion;
/// ApiFormatJson: utf8, ascii, callback). ApiFormatXml has none of them.
pub(super) fn read_format_params(params: &mut Params<'_>, out: &mut Output, printer: &str) {
    if !matches!(
        out.format,
        Format::Json | Format::Php | Format::Html(HtmlOf::Json | HtmlOf::Raw | HtmlOf::Php)
    ) {
        return;
    }
    match params.get("formatversion") {
        None | Some("1") => out.formatversion = 1,
        Some("2") | Some("latest") => out.formatversion = 2,
        Some(v) => {
            let v = v.to_string();
            let e =
                ApiError::bad_enum("formatversion", &v, &["1", "2", "latest"]).in_module(printer);
            out.printer_failure = Some(e);
        }
    }
    if matches!(out.format, Format::Json | Format::Html(HtmlOf::Json)) {
        let utf8 = params.flag("utf8");
        let ascii = params.flag("ascii");
        out.ascii = if out.formatversion == 1 { !utf8 } else { ascii };
        if let Some(cb) = params.get("callback") {
            // ApiFormatJson keeps only characters safe in a JavaScript identifier path.
            let clean: String = cb
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "[].'\"_".contains(*c))
                .collect();
            out.callback = Some(clean);
        }
    }
}

/// The `docref` of an error, in the error formatter's language.
pub(super) fn docref(services: &Services, req: &ApiRequest, lang: &Lang) -> String {
    let link = api_url(services, req);
    let text = format!(
        "{} {}",
        lang.text("api-usage-docref", &[i18n::Param::Plain(link)]),
        lang.text("api-usage-mailinglist-ref", &[])
    );
    // PHP's trim().
    text.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
        .to_string()
}

/// wfExpandUrl(wfScript('api')).
pub fn api_url(services: &Services, req: &ApiRequest) -> String {
    let config = &services.config;
    let server = if config.server.is_empty() {
        format!(
            "{}://{}",
            if req.https { "https" } else { "http" },
            req.host
        )
    } else {
        config.server.trim_end_matches('/').to_string()
    };
    format!("{server}{}/api.php", config.script_path)
}

pub(super) fn respond(
    services: &Services,
    mut ctx: Context<'_>,
    outcome: Result<(), ApiError>,
    mut out: Output,
    extra: Vec<Header>,
    set_cookies: Vec<String>,
) -> ApiResponse {
    let req = ctx.req;
    let mut status = 200;
    let mut error_code = None;
    // ApiMain::handleException: a printer that fails on its parameters fails again when
    // printing the error (its own, or the module's), so MediaWiki adds two warnings and
    // prints with a printer left at its default parameters.
    let printer_failure = out.printer_failure.take();
    let outcome = match (&printer_failure, outcome) {
        (Some(pf), Ok(())) => Err(pf.clone()),
        (_, outcome) => outcome,
    };
    if printer_failure.is_some() {
        out.formatversion = 1;
        out.ascii = true;
        out.callback = None;
    }
    let help = if outcome.is_ok() {
        ctx.help_output.take()
    } else {
        None
    };
    if let Some(h) = help.as_ref().filter(|h| !h.wrapped) {
        return help_page(ctx, h, extra, set_cookies);
    }
    let result = match outcome {
        Ok(()) => std::mem::take(&mut ctx.result),
        Err(e) => {
            // Errors ApiMain raises itself belong to the main module.
            let e = e.in_module("main");
            status = e.status;
            error_code = Some(e.msg.code.clone());
            let links = ctx.article_path();
            let docref = docref(services, req, &ctx.errorlang);
            let (fmt, lang) = (ctx.errorformat, &ctx.errorlang);
            let mut r = error_result_in(&mut ctx.result, fmt, lang, &e, &docref, &links);
            if let Some(pf) = &printer_failure {
                let failed =
                    ApiMessage::new("errorprinterfailed", "apiwarn-errorprinterfailed", &[]);
                let printer = pf.module.as_deref().unwrap_or("main");
                add_warning_in(&mut r, fmt, lang, "main", &failed, &links);
                add_warning_in(&mut r, fmt, lang, printer, &pf.msg, &links);
            }
            if let Some(id) = ctx.params.peek("requestid") {
                r.set("requestid", id);
            }
            if ctx.params.peek("curtimestamp").is_some() {
                r.set("curtimestamp", time::ts_iso(ctx.now));
            }
            if ctx.params.peek("responselanginfo").is_some() {
                r.set("uselang", ctx.uselang.code());
                r.set("errorlang", ctx.errorlang.code());
            }
            r
        }
    };
    let body = render(&result, &out, services);
    let mut headers: Vec<Header> = Vec::with_capacity(8 + extra.len() + set_cookies.len());
    headers.push(("X-Content-Type-Options".into(), "nosniff".into()));
    if help.is_some() {
        // ApiHelp renders through OutputPage, whose headers go out with the result.
        headers.extend(output_page_headers());
    }
    if let Some(code) = error_code {
        headers.push(("MediaWiki-API-Error".into(), code.into()));
    }
    headers.push((
        "Content-Type".into(),
        out.format.content_type(out.callback.is_some()).into(),
    ));
    headers.push(("X-Frame-Options".into(), "DENY".into()));
    match out.format.content_disposition() {
        Some(f) => headers.push(("Content-Disposition".into(), f.into())),
        None => {
            headers.push((
                "Content-Disposition".into(),
                "inline; filename=api-result.html".into(),
            ));
            if !out.public_cache && help.is_none() {
                headers.push(("Vary".into(), "Accept-Encoding, Cookie".into()));
            }
        }
    }
    if out.public_cache {
        // ApiMain::sendCacheHeaders sends OutputPage's Vary header for every cache mode but
        // `private`; without `maxage`/`smaxage` the Cache-Control stays private.
        headers.push((
            "Vary".into(),
            "Accept-Encoding, Treat-as-Untrusted, Cookie".into(),
        ));
    }
    let (cache_control, expires) = std::mem::take(&mut out.cache_control);
    if let Some(e) = expires {
        headers.push(("Expires".into(), e.into()));
    }
    headers.push(("Cache-Control".into(), cache_control));
    headers.extend(extra);
    headers.append(&mut ctx.headers);
    for c in set_cookies {
        headers.push(("Set-Cookie".into(), c.into()));
    }
    ApiResponse {
        status,
        headers,
        body: if req.method == "HEAD" {
            Vec::new()
        } else {
            body
        },
        ran: ctx.ran,
    }
}

pub(super) fn render(result: &Obj, out: &Output, services: &Services) -> Vec<u8> {
    let style = JsonStyle {
        formatversion: out.formatversion,
        ascii: out.ascii,
        pretty: false,
    };
    match out.format {
        Format::Json => {
            let json = format::json::write(result, style);
            match &out.callback {
                Some(cb) => format!("/**/{cb}({json})").into_bytes(),
                None => json.into_bytes(),
            }
        }
        Format::Xml => format::xml::write(result).into_bytes(),
        Format::Php => format::php::write(result, out.formatversion).into_bytes(),
        Format::None => Vec::new(),
        Format::Html(of) => {
            let text = match of {
                HtmlOf::Json | HtmlOf::Raw => format::json::write(
                    result,
                    JsonStyle {
                        pretty: true,
                        ..style
                    },
                ),
                HtmlOf::Xml => format::xml::write(result),
                HtmlOf::Php => format::php::write(result, out.formatversion),
            };
            html_page(
                &services.config.sitename,
                "MediaWiki API result",
                &format!(
                    "<pre class=\"api-pretty-content\">{}</pre>",
                    escape_html(&text, Quotes::Double)
                ),
            )
            .into_bytes()
        }
    }
}

fn html_page(sitename: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"UTF-8\"/>\n<title>{} - {}</title>\n</head>\n<body>\n{}\n</body>\n</html>\n",
        escape_html(title, Quotes::Double),
        escape_html(sitename, Quotes::Double),
        body
    )
}

/// The headers OutputPage::output sends, which ApiHelp's answers carry.
fn output_page_headers() -> Vec<Header> {
    vec![
        ("Content-language".into(), "en".into()),
        ("Vary".into(), "Accept-Encoding, Cookie".into()),
        ("Expires".into(), "Thu, 01 Jan 1970 00:00:00 GMT".into()),
    ]
}

/// action=help without `wrap` (also api.php without an action): ApiFormatRaw prints the help
/// page as it is, with the warnings in an HTML comment on top.
fn help_page(
    ctx: Context<'_>,
    help: &HelpOutput,
    extra: Vec<Header>,
    set_cookies: Vec<String>,
) -> ApiResponse {
    let req = ctx.req;
    let mut html = String::new();
    if let Some(w) = ctx.result.get("warnings") {
        let shown = Obj::new().with("warnings", w.clone());
        let json = format::json::write(
            &shown,
            JsonStyle {
                formatversion: 2,
                ascii: false,
                pretty: true,
            },
        )
        .replace('<', "\\u003C")
        .replace('>', "\\u003E")
        .replace("--", "-\\u002D");
        html.push_str(&format!("<!-- API warnings and errors:\n{json}\n-->\n"));
    }
    html.push_str(&help.html);
    let mut headers: Vec<Header> = vec![("X-Content-Type-Options".into(), "nosniff".into())];
    headers.extend(output_page_headers());
    headers.extend([
        ("Content-Type".into(), "text/html; charset=utf-8".into()),
        ("X-Frame-Options".into(), "DENY".into()),
        (
            "Content-Disposition".into(),
            "inline; filename=api-help.html".into(),
        ),
        (
            "Cache-Control".into(),
            "private, must-revalidate, max-age=0".into(),
        ),
    ]);
    headers.extend(extra);
    for c in set_cookies {
        headers.push(("Set-Cookie".into(), c.into()));
    }
    ApiResponse {
        status: 200,
        headers,
        body: if req.method == "HEAD" {
            Vec::new()
        } else {
            html.into_bytes()
        },
        ran: ctx.ran,
    }
}
