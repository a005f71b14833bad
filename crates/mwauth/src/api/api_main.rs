//! ApiMain: one request from parameters to bytes, in MediaWiki 1.39's order of checks:
//! CORS (`origin`), then format, requested fields, `action`, `assert`/`assertuser`, the
//! module's token (`missingparam`, `mustpostparams`, `badtoken`), `writeapi`, `maxlag`,
//! `mustbeposted`, the module itself, and finally the "Unrecognized parameter" warning.

use super::cache::cache_control;
use super::context::Context;
use super::cors::handle_cors;
use super::error::{error_result, ApiError, ApiMessage, ErrorFormat, ERRORFORMAT_NAMES};
use super::format::{Format, HtmlOf};
use super::modules;
use super::params::Params;
use super::params_spec::{Module, ParamType, FORMATS, MAIN};
use super::respond::{docref, read_format_params, render, respond, Output};
use super::result::Obj;
use super::user_param::user_param;
use crate::auth::request_session::{EntryPoint, RequestSession};
use crate::i18n::{self, Lang, Param};
use crate::request::{ApiRequest, ApiResponse, Header, Ran};
use crate::{time, Services};

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
    let mut out = Output::new(fmt);
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
        None if store_failed => Err(ApiError::internal()),
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

async fn run(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    add_requested_fields(ctx)?;
    ctx.warn_badutf8("main");
    // Without an action, ApiMain runs its default one: the help page of the main module.
    let action = ctx.params.get("action").unwrap_or("help").to_string();
    let tree = ctx.modules();
    let Some(module) = tree.action(&action) else {
        let names: Vec<&str> = tree.actions.iter().map(|m| m.name).collect();
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
    extract_params(ctx, module)?;
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

/// ApiBase::extractRequestParams as setupModule runs it before the token check, for what
/// shows before the module runs: a `user` parameter's validation and the warning about a
/// deprecated parameter that was given, in the order the module declares them.
fn extract_params(ctx: &mut Context<'_>, module: &Module) -> Result<(), ApiError> {
    // Each parameter is read in turn, its warnings given; the first failure is thrown after.
    let mut failure = None;
    for spec in module.params {
        if matches!(spec.ty, ParamType::User(_)) && failure.is_none() {
            failure = user_param(ctx, module, spec.name).err();
        }
        if !spec.deprecated {
            continue;
        }
        // Only now the prefixed name: building it for every parameter of every request
        // allocated on the hot path (userinfo's `ui…`).
        let name = module.param_name(spec.name);
        if let Some(value) = ctx.params.peek(&name) {
            // ApiParamValidatorCallbacks: ParamValidator's `param-deprecated`, as a
            // deprecation of the feature `action=<module>&<param>`.
            let msg = ApiMessage::new("deprecation", "paramvalidator-param-deprecated", &[])
                .with_params(vec![
                    Param::Plaintext(name.to_string()),
                    Param::Plaintext(value.to_string()),
                ])
                .with_data(Obj::new().with("feature", format!("action={}&{name}", module.name)));
            ctx.deprecation(module.path, msg);
        }
    }
    failure.map_or(Ok(()), Err)
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
    let mut out = Output::new(format);
    out.formatversion = formatversion;
    out.ascii = formatversion == 1;
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
