//! The HTTP adapter: bytes and headers in, an ApiRequest to the core (api.php, or the pages
//! of mwauth::web), bytes and headers out.

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use mwauth::api::{self, ApiRequest};
use mwauth::session::cookie::parse_cookie_header;
use mwauth::web;
use mwauth::Services;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub max_body_bytes: usize,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/w/api.php", any(api_php))
        .route("/api.php", any(api_php))
        .route("/healthz", any(|| async { "ok\n" }))
        // The pages people use (mwauth::web): index.php with ?title=, or the title in the
        // path (/wiki/TITLE, /w/index.php/TITLE), and their stylesheet and script.
        .route("/w/index.php", any(index_php))
        .route("/index.php", any(index_php))
        .route("/w/index.php/{*title}", any(index_php))
        .route("/index.php/{*title}", any(index_php))
        .route("/wiki/{*title}", any(index_php))
        .route("/w/mwauth.css", get(web_asset))
        .route("/w/mwauth.js", get(web_asset))
        .route("/mwauth.css", get(web_asset))
        .route("/mwauth.js", get(web_asset))
        .with_state(Arc::new(state))
}

/// index.php: Special:UserLogin, UserLogout, CreateAccount, BotPasswords (mwauth::web).
async fn index_php(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, state.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return too_large(&state, &parts.uri, &parts.headers),
    };
    let web_req = build_request(
        &state,
        peer,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
    )
    .await;
    let path_title = web::path_title(parts.uri.path());
    let res = web::execute(&state.services, &web_req, path_title.as_deref()).await;
    tracing::info!(
        method = %parts.method,
        path = parts.uri.path(),
        status = res.status,
        client = %web_req.client_ip,
        micros = started.elapsed().as_micros() as u64,
        "page"
    );
    to_http(res)
}

async fn web_asset(method: Method, uri: Uri) -> Response {
    match web::assets::serve(uri.path(), method.as_str()) {
        Some(res) => to_http(res),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn api_php(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let body = match to_bytes(body, state.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return too_large(&state, &parts.uri, &parts.headers),
    };
    let api_req = build_request(
        &state,
        peer,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
    )
    .await;
    let action = api_req
        .query
        .iter()
        .chain(api_req.body.iter())
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone());
    let client = api_req.client_ip;
    let res = api::execute(&state.services, &api_req).await;
    tracing::info!(
        method = %method,
        path = parts.uri.path(),
        action = action.as_deref().unwrap_or("-"),
        status = res.status,
        client = %client,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    to_http(res)
}

/// A body over `max_body_bytes`: refused with a MediaWiki-shaped error (HTTP 413) in the
/// format the query string asks for, without reading the rest.
fn too_large(state: &AppState, uri: &Uri, headers: &HeaderMap) -> Response {
    let mut req = ApiRequest::new("POST");
    if let Some(q) = uri.query() {
        req.query = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
    }
    req.host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let limit = state.max_body_bytes.to_string();
    to_http(api::main::refuse(
        &state.services,
        &req,
        "toobig",
        "mwauth-toobig",
        &[&limit],
        413,
    ))
}

async fn build_request(
    state: &AppState,
    peer: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiRequest {
    let mut req = ApiRequest::new(method.as_str());
    if let Some(q) = uri.query() {
        req.query = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
    }
    for (name, value) in headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            parse_cookie_header(&v, &mut req.cookies);
        }
        req.headers.push((name.as_str().to_string(), v));
    }
    let ctype = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if method == Method::POST {
        if ctype.starts_with("application/x-www-form-urlencoded") {
            req.body = form_urlencoded::parse(body).into_owned().collect();
        } else if ctype.starts_with("multipart/form-data") {
            req.body = parse_multipart(&ctype, body).await;
        }
    }
    (req.client_ip, req.https) =
        client_address(&state.services.config.trusted_proxies, peer.ip(), headers);
    req.host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    req
}

/// The client's address and whether it came over https, as WebRequest::getIP walks
/// `X-Forwarded-For`: from the peer towards the client, follow each address a trusted proxy
/// reports, and stop at the first hop that is not a trusted proxy. Repeated header lines
/// count as one comma-separated list (as PHP joins them), so a client cannot put its own
/// line first and have it read as the proxy's. `X-Forwarded-Proto` is believed only from a
/// trusted proxy (MediaWiki believes it from anyone), its last value being the proxy's.
fn client_address(trusted: &[String], peer: IpAddr, headers: &HeaderMap) -> (IpAddr, bool) {
    let is_trusted = |ip: IpAddr| {
        trusted
            .iter()
            .any(|p| p.trim().parse::<IpAddr>().ok().map(|t| t.to_canonical()) == Some(ip))
    };
    let list = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .collect()
    };
    let peer = peer.to_canonical();
    if !is_trusted(peer) {
        return (peer, false);
    }
    let mut ip = peer;
    for hop in list("x-forwarded-for").iter().rev() {
        if !is_trusted(ip) {
            break;
        }
        match hop.parse::<IpAddr>() {
            Ok(next) => ip = next.to_canonical(),
            // "unknown" or garbage: the chain cannot be followed further.
            Err(_) => break,
        }
    }
    let https = list("x-forwarded-proto").last().map(String::as_str) == Some("https");
    (ip, https)
}

/// Form fields of a multipart body; file parts are read as text like any other field.
/// A broken body yields the fields read so far, as PHP does.
async fn parse_multipart(ctype: &str, body: &[u8]) -> Vec<(String, String)> {
    let Ok(boundary) = multer::parse_boundary(ctype) else {
        return Vec::new();
    };
    let stream = futures_util::stream::once({
        let b = bytes::Bytes::copy_from_slice(body);
        async move { Ok::<_, std::io::Error>(b) }
    });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut out = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        match field.bytes().await {
            Ok(b) => out.push((name, String::from_utf8_lossy(&b).into_owned())),
            Err(_) => break,
        }
    }
    out
}

fn to_http(res: api::ApiResponse) -> Response {
    let mut builder =
        Response::builder().status(StatusCode::from_u16(res.status).unwrap_or(StatusCode::OK));
    if let Some(h) = builder.headers_mut() {
        for (k, v) in &res.headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v))
            {
                h.append(name, value);
            }
        }
        h.insert(
            "x-request-id",
            HeaderValue::from_str(&mwauth::session::random_hex(24))
                .unwrap_or(HeaderValue::from_static("-")),
        );
    }
    builder
        .body(Body::from(res.body))
        .unwrap_or_else(|_| (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response())
}
