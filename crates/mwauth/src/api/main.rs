//! ApiMain: one request from parameters to bytes, in MediaWiki 1.39's order of checks:
//! CORS (`origin`), then format, requested fields, `action`, `assert`/`assertuser`, the
//! module's token (`missingparam`, `mustpostparams`, `badtoken`), `writeapi`, `maxlag`,
//! `mustbeposted`, the module itself, and finally the "Unrecognized parameter" warning.

use super::cache::{cache_control, PRIVATE_NO_CACHE};
use super::context::Context;
use super::cors::handle_cors;
use super::error::{
    add_warning_in, error_result, error_result_in, ApiError, ApiMessage, ErrorFormat,
    ERRORFORMAT_NAMES,
};
use super::format::json::JsonStyle;
use super::format::{self, Format, HtmlOf};
use super::modules;
use super::params::Params;
use super::params_spec::{Module, FORMATS, MAIN};
use super::result::Obj;
use crate::auth::request_session::{EntryPoint, RequestSession};
use crate::i18n::{self, escape_html, Lang, Quotes};
use crate::request::{ApiRequest, ApiResponse, Header, Ran};
use crate::{time, Services};
use std::borrow::Cow;

struct Output {
    format: Format,
    formatversion: u8,
    ascii: bool,
    callback: Option<String>,
    /// The printer's own parameters are invalid: MediaWiki notices only when it prints, so
    /// the module runs first (see `respond`).
    printer_failure: Option<ApiError>,
    /// ApiMain's cache mode is `public` (see `modules::query::is_public`).
    public_cache: bool,
    /// Cache-Control and, for a public answer, Expires (ApiMain::sendCacheHeaders).
    cache_control: (Cow<'static, str>, Option<String>),
}

pub async fn execute(services: &Services, req: &ApiRequest<'_>) -> ApiResponse {
    let mut params = Params::from_request(req);
    for spec in MAIN.params {
        params.mark_used("", spec.name);
    }
    let callback = params.peek("callback").map(str::to_string);
    let same_origin = callback.is_none()
        && params.peek("origin") != Some("*")
        && req.header("treat-as-untrusted").is_none();

    let mut extra_headers: Vec<Header> = Vec::new();
    if !same_origin {
        extra_headers.push(("MediaWiki-Login-Suppressed".into(), "true".into()));
    }
    if let Some(early) = handle_cors(&services.config, req, &mut extra_headers) {
        return early;
    }
    if req.method == "OPTIONS" {
        let mut headers: Vec<Header> = vec![("X-Content-Type-Options".into(), "nosniff".into())];
        headers.push(("Content-Type".into(), "text/html; charset=UTF-8".into()));
        headers.extend(extra_headers);
        return ApiResponse {
            status: 200,
            headers,
            body: Vec::new(),
            ran: Ran::default(),
        };
    }

    // The printer is chosen before anything can fail, so errors come out in the asked format.
    let format_name = params.get("format").unwrap_or("jsonfm").to_string();
    let (fmt, bad_format) = match Format::parse(&format_name) {
        Some(f) => (f, false),
        None => (Format::Html(HtmlOf::Json), true),
    };
    let mut out = Output {
        format: fmt,
        formatversion: 1,
        ascii: false,
        callback: None,
        printer_failure: None,
        public_cache: false,
        cache_control: (PRIVATE_NO_CACHE.into(), None),
    };
    let mut early_error: Option<ApiError> = None;
    if bad_format {
        // The format is an enum parameter: an unknown one fails validation, and the error
        // is shown by the default printer, jsonfm.
        let formats: Vec<&str> = FORMATS.iter().map(|m| m.name).collect();
        early_error = Some(bad_enum("format", &format_name, &formats));
    }
    read_format_params(&mut params, &mut out, &format_name);
    // The printer's own parameters count as used, as its extractRequestParams makes them.
    if let Some(printer) = FORMATS.iter().find(|m| m.name == format_name) {
        for spec in printer.params {
            params.mark_used("", spec.name);
        }
    }
    let errorformat = match params.get("errorformat") {
        None => ErrorFormat::Bc,
        Some(v) => ErrorFormat::parse(v).unwrap_or_else(|| {
            let v = v.to_string();
            early_error.get_or_insert(bad_enum("errorformat", &v, ERRORFORMAT_NAMES));
            ErrorFormat::Bc
        }),
    };
    // ApiMain::__construct: the user language, and the error formatter's (see `i18n`).
    let sitename = services.config.sitename.as_str();
    let uselang_code = i18n::user_language(params.peek("uselang"));
    let errorlang = match errorformat {
        ErrorFormat::Bc => Lang::new(i18n::CONTENT_LANGUAGE, sitename),
        _ => Lang::new(
            i18n::error_language(params.peek("errorlang"), &uselang_code),
            sitename,
        ),
    };
    let uselang = Lang::new(uselang_code, sitename);

    let now = time::now();
    let (ip, https) = (req.client_ip, req.https);
    let session = if same_origin {
        RequestSession::load(services, &req.cookies, ip, https, now, EntryPoint::Api).await
    } else {
        // ApiMain strips the user's credentials when the same-origin policy is not applied.
        RequestSession::anonymous(services, https, now)
    };
    let store_failed = session.load_failed();
    let mut ctx = Context {
        services,
        req,
        params,
        session,
        result: Obj::new(),
        errorformat,
        uselang,
        errorlang,
        formatversion: out.formatversion,
        same_origin,
        now,
        help_output: None,
        headers: Vec::new(),
        ran: Ran::default(),
    };
    let outcome = match early_error {
        Some(e) => Err(e),
        None if store_failed => Err(internal_error()),
        None => run(&mut ctx).await,
    };
    out.public_cache = outcome.is_ok()
        && ctx.params.peek("action") == Some("query")
        && modules::query::is_public(&ctx);
    out.cache_control = cache_control(&ctx, outcome.is_ok(), out.public_cache);
    let set_cookies = ctx.session.finish(&req.cookies).await;
    respond(services, ctx, outcome, out, extra_headers, set_cookies)
}

fn bad_enum(name: &str, value: &str, allowed: &[&str]) -> ApiError {
    ApiError::bad_enum(name, value, allowed)
}

/// The format module's own parameters (ApiFormatJson and ApiFormatPhp: formatversion;
/// ApiFormatJson: utf8, ascii, callback). ApiFormatXml has none of them.
fn read_format_params(params: &mut Params<'_>, out: &mut Output, printer: &str) {
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
            let e = bad_enum("formatversion", &v, &["1", "2", "latest"]).in_module(printer);
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

async fn run(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    add_requested_fields(ctx)?;
    ctx.warn_badutf8("main");
    // Without an action, ApiMain runs its default one: the help page of the main module.
    let action = ctx.params.get("action").unwrap_or("help").to_string();
    let Some(module) = modules::action(&action) else {
        let names: Vec<&str> = modules::ACTIONS.iter().map(|m| m.name).collect();
        return Err(bad_enum("action", &action, &names));
    };
    ctx.ran.action = Some(module.name);
    check_asserts(ctx)?;
    setup_module(ctx, module).map_err(|e| e.in_module(module.name))?;
    if module.flags.write && !ctx.has_right("writeapi") {
        return Err(ApiError::new(
            "writeapidenied",
            "apierror-writeapidenied",
            &[],
        ));
    }
    if let Some(max_lag) = ctx.integer("maxlag")? {
        check_max_lag(ctx, max_lag)?;
    }
    if !["GET", "HEAD", "POST", "OPTIONS"].contains(&&*ctx.req.method) {
        return Err(ApiError::new("invalidmethod", "apierror-invalidmethod", &[]).status(405));
    }
    if module.flags.must_be_posted && !ctx.req.was_posted() {
        return Err(ApiError::new(
            "mustbeposted",
            "apierror-mustbeposted",
            &[module.name],
        ));
    }
    modules::run(ctx, module)
        .await
        .map_err(|e| e.in_module(module.name))?;
    ctx.warn_badutf8(module.name);
    report_unused_params(ctx);
    Ok(())
}

/// ApiMain::setupModule: the token check of modules that need one.
fn setup_module(ctx: &mut Context<'_>, module: &Module) -> Result<(), ApiError> {
    let Some(kind) = module.token else {
        return Ok(());
    };
    let name = module.param_name("token");
    let token = ctx
        .params
        .get(&name)
        .map(str::to_string)
        .ok_or_else(|| ApiError::missing_param(&name))?;
    ctx.require_posted(&[&name])?;
    if !ctx.check_token(kind, &token, None) {
        return Err(ApiError::bad_token());
    }
    Ok(())
}

fn add_requested_fields(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    if let Some(id) = ctx.params.get("requestid").map(str::to_string) {
        ctx.result.set("requestid", id);
    }
    if ctx.params.flag("curtimestamp") {
        ctx.result.set("curtimestamp", time::ts_iso(ctx.now));
    }
    if ctx.params.flag("responselanginfo") {
        // The codes of the user language and of the error formatter's.
        let uselang = ctx.uselang.code().to_string();
        let errorlang = ctx.errorlang.code().to_string();
        ctx.result.set("uselang", uselang);
        ctx.result.set("errorlang", errorlang);
    }
    Ok(())
}

/// ApiMain::checkAsserts.
fn check_asserts(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    if let Some(name) = ctx.params.get("assertuser").map(str::to_string) {
        let wanted = crate::user::name::canonical(&name).unwrap_or(name.clone());
        if ctx.is_anon() || ctx.user_name() != wanted {
            return Err(ApiError::new(
                "assertnameduserfailed",
                "apierror-assertnameduserfailed",
                &[&name],
            ));
        }
    }
    match ctx
        .single_enum("assert", &["anon", "user", "bot"], None)?
        .as_deref()
    {
        Some("user") if ctx.is_anon() => Err(ApiError::new(
            "assertuserfailed",
            "apierror-assertuserfailed",
            &[],
        )),
        Some("anon") if !ctx.is_anon() => Err(ApiError::new(
            "assertanonfailed",
            "apierror-assertanonfailed",
            &[],
        )),
        Some("bot") if !ctx.has_right("bot") => Err(ApiError::new(
            "assertbotfailed",
            "apierror-assertbotfailed",
            &[],
        )),
        _ => Ok(()),
    }
}

fn report_unused_params(ctx: &mut Context<'_>) {
    let unused = ctx.params.unused_indexed();
    if unused.is_empty() {
        return;
    }
    // Message::listParam( array_map( 'wfEscapeWikiText', array_diff( … ) ), 'comma' ).
    let count = unused.len() as i64;
    let items = unused
        .into_iter()
        .map(|(i, name)| (i, i18n::Param::Plain(i18n::escape_wikitext(&name))))
        .collect();
    ctx.warn(
        "main",
        ApiMessage::new("unrecognizedparams", "apierror-unrecognizedparams", &[]).with_params(
            vec![
                i18n::Param::List(i18n::ListType::Comma, items),
                i18n::Param::Int(count),
            ],
        ),
    );
}

/// The `docref` of an error, in the error formatter's language.
fn docref(services: &Services, req: &ApiRequest, lang: &Lang) -> String {
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

fn respond(
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

fn render(result: &Obj, out: &Output, services: &Services) -> Vec<u8> {
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
    help: &modules::help::HelpOutput,
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

/// An error for a request the HTTP layer refused before the API could read it (a body over
/// the size limit, an unreadable body), in MediaWiki's error shape and in the format the
/// query string asks for. MediaWiki has no such answer of its own (PHP drops what it cannot
/// read), so the code is mwauth's and the status says what went wrong.
pub fn refuse(
    services: &Services,
    req: &ApiRequest,
    code: &str,
    key: &'static str,
    params: &[&str],
    status: u16,
) -> ApiResponse {
    let mut query = Params::from_request(req);
    let format = query
        .get("format")
        .and_then(Format::parse)
        .filter(|f| *f != Format::None)
        .unwrap_or(Format::Json);
    let formatversion = if matches!(query.get("formatversion"), Some("2") | Some("latest")) {
        2
    } else {
        1
    };
    let out = Output {
        format,
        formatversion,
        ascii: formatversion == 1,
        callback: None,
        printer_failure: None,
        public_cache: false,
        cache_control: (PRIVATE_NO_CACHE.into(), None),
    };
    let err = ApiError::new(code, key, params).status(status);
    let links = super::context::article_path(&services.config);
    let result = error_result(
        &mut Obj::new(),
        ErrorFormat::Bc,
        &err,
        &docref(services, req, &Lang::en()),
        &links,
    );
    ApiResponse {
        status,
        headers: vec![
            ("X-Content-Type-Options".into(), "nosniff".into()),
            ("MediaWiki-API-Error".into(), code.to_string().into()),
            ("Content-Type".into(), out.format.content_type(false).into()),
            ("X-Frame-Options".into(), "DENY".into()),
            (
                "Cache-Control".into(),
                "private, must-revalidate, max-age=0".into(),
            ),
        ],
        body: render(&result, &out, services),
        ran: Ran::default(),
    }
}

/// What ApiMain answers when an exception that is not an API error escapes (here: a store
/// that cannot be reached): `internal_api_error_<class>` with the class in `errorclass`, and
/// "[request id] Caught exception of type …" ($wgShowExceptionDetails is off by default).
pub(crate) fn internal_error() -> ApiError {
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

/// ApiMain::checkMaxLag. mwauth's stores report no replication lag of their own, so the lag
/// is `Config::maxlag_lag` (0 by default: `maxlag` never refuses), which lets clients' maxlag
/// handling be tested against mwauth.
fn check_max_lag(ctx: &mut Context<'_>, max_lag: i64) -> Result<(), ApiError> {
    let config = &ctx.services.config;
    let lag = config.maxlag_lag as i64;
    if lag <= max_lag {
        return Ok(());
    }
    ctx.headers
        .push(("Retry-After".into(), max_lag.max(5).to_string().into()));
    ctx.headers
        .push(("X-Database-Lag".into(), lag.to_string().into()));
    let data = Obj::new()
        .with("host", config.maxlag_host.as_str())
        .with("lag", lag)
        .with("type", "db");
    Err(ApiError::from_msg(
        ApiMessage::new("maxlag", "apierror-maxlag-generic", &[&lag.to_string()]).with_data(data),
    ))
}
