//! ApiMain: one request from parameters to bytes, in MediaWiki 1.39's order of checks:
//! CORS (`origin`), then format, requested fields, `action`, `assert`/`assertuser`, the
//! module's token (`missingparam`, `mustpostparams`, `badtoken`), `writeapi`, `maxlag`,
//! `mustbeposted`, the module itself, and finally the "Unrecognized parameter" warning.

use super::context::Context;
use super::error::{
    add_warning, error_result, ApiError, ApiMessage, ErrorFormat, ERRORFORMAT_NAMES,
};
use super::format::json::JsonStyle;
use super::format::{self, Format, HtmlOf};
use super::messages;
use super::modules::{self, ModuleInfo};
use super::params::Params;
use super::request::{ApiRequest, ApiResponse};
use super::result::Obj;
use crate::auth::sessions;
use crate::session::Session;
use crate::{time, Services};

/// Parameters ApiMain itself reads.
const MAIN_PARAMS: &[&str] = &[
    "action",
    "format",
    "maxlag",
    "smaxage",
    "maxage",
    "assert",
    "assertuser",
    "requestid",
    "servedby",
    "curtimestamp",
    "responselanginfo",
    "origin",
    "uselang",
    "variant",
    "errorformat",
    "errorlang",
    "errorsuselocal",
];

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
}

pub async fn execute(services: &Services, req: &ApiRequest) -> ApiResponse {
    let mut params = Params::from_request(req);
    for p in MAIN_PARAMS {
        params.get(p);
    }
    let callback = params.peek("callback").map(str::to_string);
    let same_origin = callback.is_none()
        && params.peek("origin") != Some("*")
        && req.header("treat-as-untrusted").is_none();

    let mut extra_headers: Vec<(String, String)> = Vec::new();
    if !same_origin {
        extra_headers.push(("MediaWiki-Login-Suppressed".into(), "true".into()));
    }
    if let Some(early) = handle_cors(req, &mut extra_headers) {
        return early;
    }
    if req.method == "OPTIONS" {
        let mut headers = vec![("X-Content-Type-Options".to_string(), "nosniff".to_string())];
        headers.push(("Content-Type".into(), "text/html; charset=UTF-8".into()));
        headers.extend(extra_headers);
        return ApiResponse {
            status: 200,
            headers,
            body: Vec::new(),
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
    };
    let mut early_error: Option<ApiError> = None;
    if bad_format {
        // The format is an enum parameter: an unknown one fails validation, and the error
        // is shown by the default printer, jsonfm.
        early_error = Some(bad_enum("format", &format_name, &[]));
    }
    read_format_params(&mut params, &mut out, &format_name);
    let errorformat = match params.get("errorformat") {
        None => ErrorFormat::Bc,
        Some(v) => ErrorFormat::parse(v).unwrap_or_else(|| {
            let v = v.to_string();
            early_error.get_or_insert(bad_enum("errorformat", &v, ERRORFORMAT_NAMES));
            ErrorFormat::Bc
        }),
    };

    let loaded = if same_origin {
        sessions::load_with(services, &req.cookies, req.client_ip, req.https).await
    } else {
        // ApiMain strips the user's credentials when the same-origin policy is not applied.
        sessions::Loaded {
            session: Session::new_anonymous(),
            user: None,
            force_persist: false,
            cookies: Vec::new(),
        }
    };
    let mut ctx = Context {
        services,
        req,
        params,
        session: loaded.session,
        user: loaded.user,
        result: Obj::new(),
        errorformat,
        formatversion: out.formatversion,
        same_origin,
        now: time::now(),
        cookies: loaded.cookies,
        persist: loaded.force_persist,
    };
    let outcome = match early_error {
        Some(e) => Err(e),
        None => run(&mut ctx).await,
    };
    out.public_cache = outcome.is_ok()
        && ctx.params.peek("action") == Some("query")
        && modules::query::is_public(&ctx);
    ctx.flush_session().await;
    respond(services, ctx, outcome, out, extra_headers)
}

fn bad_enum(name: &str, value: &str, _allowed: &[&str]) -> ApiError {
    ApiError::from_msg(
        ApiMessage::new(
            "badvalue",
            "paramvalidator-badvalue-enumnotmulti",
            &[name, value],
        )
        .plaintext(),
    )
}

/// The format module's own parameters (ApiFormatJson and ApiFormatPhp: formatversion;
/// ApiFormatJson: utf8, ascii, callback). ApiFormatXml has none of them.
fn read_format_params(params: &mut Params, out: &mut Output, printer: &str) {
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

/// ApiMain::handleCORS. Returns a finished response when the request must be refused.
fn handle_cors(req: &ApiRequest, headers: &mut Vec<(String, String)>) -> Option<ApiResponse> {
    let origin_param = req
        .body
        .iter()
        .chain(req.query.iter())
        .find(|(k, _)| k == "origin")
        .map(|(_, v)| v.as_str())?;
    if origin_param == "*" {
        headers.push(("Access-Control-Allow-Origin".into(), "*".into()));
        headers.push(("Access-Control-Allow-Credentials".into(), "false".into()));
        let preflight =
            req.method == "OPTIONS" && req.header("access-control-request-method").is_some();
        if preflight {
            headers.push((
                "Access-Control-Allow-Methods".into(),
                "POST, GET, HEAD".into(),
            ));
        } else {
            headers.push((
                "Access-Control-Expose-Headers".into(),
                "MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed"
                    .into(),
            ));
        }
        return None;
    }
    let origins: Vec<&str> = req
        .header("origin")
        .map(|h| h.split_whitespace().collect())
        .unwrap_or_default();
    if !origins.contains(&origin_param) {
        return Some(ApiResponse {
            status: 403,
            headers: vec![
                ("X-Content-Type-Options".into(), "nosniff".into()),
                ("Cache-Control".into(), "no-cache".into()),
                ("Content-Type".into(), "text/html; charset=UTF-8".into()),
            ],
            body: b"'origin' parameter does not match Origin header\n".to_vec(),
        });
    }
    // No origin is allowed by default ($wgCrossSiteAJAXdomains is empty).
    headers.push(("MediaWiki-CORS-Rejection".into(), "Origin mismatch".into()));
    headers.push(("Vary".into(), "Origin".into()));
    None
}

async fn run(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    add_requested_fields(ctx)?;
    let action = match ctx.params.get("action") {
        None => return Err(ApiError::new("help", "", &[])),
        Some(a) => a.to_string(),
    };
    let Some(module) = modules::info(&action) else {
        let names: Vec<&str> = modules::ACTIONS.iter().map(|m| m.name).collect();
        return Err(bad_enum("action", &action, &names));
    };
    check_asserts(ctx)?;
    setup_module(ctx, module).map_err(|e| e.in_module(module.name))?;
    if module.write_mode && !ctx.has_right("writeapi") {
        return Err(ApiError::new(
            "writeapidenied",
            "apierror-writeapidenied",
            &[],
        ));
    }
    if ctx.integer("maxlag")?.is_some() {
        // The lag of mwauth's stores is not measured; 0 never exceeds any maxlag.
    }
    if !["GET", "HEAD", "POST", "OPTIONS"].contains(&ctx.req.method.as_str()) {
        return Err(ApiError::new("invalidmethod", "apierror-invalidmethod", &[]).status(405));
    }
    if module.must_be_posted && !ctx.req.was_posted() {
        return Err(ApiError::new(
            "mustbeposted",
            "apierror-mustbeposted",
            &[module.name],
        ));
    }
    let result = match module.name {
        "checktoken" => modules::checktoken::execute(ctx).await,
        "clientlogin" => modules::clientlogin::execute(ctx).await,
        "createaccount" => modules::createaccount::execute(ctx).await,
        "login" => modules::login::execute(ctx).await,
        "logout" => modules::logout::execute(ctx).await,
        _ => modules::query::execute(ctx).await,
    };
    result.map_err(|e| e.in_module(module.name))?;
    report_unused_params(ctx);
    Ok(())
}

/// ApiMain::setupModule: the token check of modules that need one.
fn setup_module(ctx: &mut Context<'_>, module: &ModuleInfo) -> Result<(), ApiError> {
    let Some(kind) = module.needs_token else {
        return Ok(());
    };
    let name = module.token_param;
    let token = ctx
        .params
        .get(name)
        .map(str::to_string)
        .ok_or_else(|| ApiError::missing_param(name))?;
    ctx.require_posted(&[name])?;
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
        ctx.result.set("uselang", "en");
        ctx.result.set("errorlang", "en");
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
        .single_enum("assert", &["anon", "bot", "user"], None)?
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
    let unused = ctx.params.unused();
    if unused.is_empty() {
        return;
    }
    let list = messages::comma_list(&unused);
    let count = unused.len().to_string();
    ctx.warn(
        "main",
        ApiMessage::new(
            "unrecognizedparams",
            "apierror-unrecognizedparams",
            &[&list, &count],
        ),
    );
}

fn docref(services: &Services, req: &ApiRequest) -> String {
    let link = api_url(services, req);
    format!(
        "{} {}",
        messages::fill(
            messages::raw("api-usage-docref").unwrap_or_default(),
            &[link]
        ),
        messages::raw("api-usage-mailinglist-ref").unwrap_or_default()
    )
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
    extra: Vec<(String, String)>,
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
    let result = match outcome {
        Ok(()) => std::mem::take(&mut ctx.result),
        Err(e) if e.msg.code == "help" => return help_page(services, req, &ctx, extra),
        Err(e) => {
            // Errors ApiMain raises itself belong to the main module.
            let e = e.in_module("main");
            status = e.status;
            error_code = Some(e.msg.code.clone());
            let mut r = error_result(&mut ctx.result, ctx.errorformat, &e, &docref(services, req));
            if let Some(pf) = &printer_failure {
                let failed = ApiMessage::new("errorprinterfailed", "apiwarn-errorprinterfailed", &[]);
                add_warning(&mut r, ctx.errorformat, "main", &failed);
                add_warning(&mut r, ctx.errorformat, pf.module.as_deref().unwrap_or("main"), &pf.msg);
            }
            if let Some(id) = ctx.params.peek("requestid") {
                r.set("requestid", id);
            }
            if ctx.params.peek("curtimestamp").is_some() {
                r.set("curtimestamp", time::ts_iso(ctx.now));
            }
            r
        }
    };
    let body = render(&result, &out, services);
    let mut headers: Vec<(String, String)> =
        vec![("X-Content-Type-Options".into(), "nosniff".into())];
    if let Some(code) = error_code {
        headers.push(("MediaWiki-API-Error".into(), code));
    }
    headers.push((
        "Content-Type".into(),
        out.format.content_type(out.callback.is_some()).into(),
    ));
    headers.push(("X-Frame-Options".into(), "DENY".into()));
    match out.format.filename() {
        Some(f) => headers.push((
            "Content-Disposition".into(),
            format!("inline; filename={f}"),
        )),
        None => {
            headers.push((
                "Content-Disposition".into(),
                "inline; filename=api-result.html".into(),
            ));
            if !out.public_cache {
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
    headers.push((
        "Cache-Control".into(),
        "private, must-revalidate, max-age=0".into(),
    ));
    headers.extend(extra);
    sessions::drop_needless_deletions(&mut ctx.cookies, &req.cookies);
    for c in &ctx.cookies {
        headers.push(("Set-Cookie".into(), c.header_value(ctx.now)));
    }
    ApiResponse {
        status,
        headers,
        body: if req.method == "HEAD" {
            Vec::new()
        } else {
            body
        },
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
                    format::html_escape(&text)
                ),
            )
            .into_bytes()
        }
    }
}

fn html_page(sitename: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"UTF-8\"/>\n<title>{} - {}</title>\n</head>\n<body>\n{}\n</body>\n</html>\n",
        format::html_escape(title),
        format::html_escape(sitename),
        body
    )
}

/// api.php without an action: the help page.
fn help_page(
    services: &Services,
    req: &ApiRequest,
    ctx: &Context<'_>,
    extra: Vec<(String, String)>,
) -> ApiResponse {
    let actions: Vec<String> = modules::ACTIONS
        .iter()
        .map(|m| format!("<li><code>action={}</code></li>", m.name))
        .collect();
    let body = format!(
        "<h1>MediaWiki API help</h1>\n<p>This is the Action API of {} served by mwauth: login, logout, tokens and user information, as MediaWiki 1.39 answers them.</p>\n<ul>{}</ul>\n<p>Endpoint: <code>{}</code></p>",
        format::html_escape(&services.config.sitename),
        actions.join(""),
        format::html_escape(&api_url(services, req))
    );
    let mut headers = vec![
        ("X-Content-Type-Options".to_string(), "nosniff".to_string()),
        ("Content-Type".into(), "text/html; charset=utf-8".into()),
        ("X-Frame-Options".into(), "DENY".into()),
        ("Vary".into(), "Accept-Encoding, Cookie".into()),
        (
            "Cache-Control".into(),
            "private, must-revalidate, max-age=0".into(),
        ),
    ];
    headers.extend(extra);
    for c in &ctx.cookies {
        headers.push(("Set-Cookie".into(), c.header_value(ctx.now)));
    }
    let page = html_page(&services.config.sitename, "MediaWiki API help", &body);
    ApiResponse {
        status: 200,
        headers,
        body: if req.method == "HEAD" {
            Vec::new()
        } else {
            page.into_bytes()
        },
    }
}
