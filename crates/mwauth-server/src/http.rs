//! The HTTP adapter: bytes and headers in, an ApiRequest to the core (api.php, or the pages
//! of mwauth::web), bytes and headers out. HTTP/1.1 with keep-alive: plain requests are read
//! and answered by [`crate::conn`], anything else by hyper; both come to [`respond`], whose
//! match is the whole routing table.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use mwauth::api::{self, ApiRequest, ApiResponse};
use mwauth::session::cookie::parse_cookie_header;
use mwauth::user::botpassword::in_cidr;
use mwauth::web;
use mwauth::Services;
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

pub struct AppState {
    pub services: Services,
    pub max_body_bytes: usize,
    /// Room for the large bodies read at once (see [`crate::body_budget`]).
    pub body_budget: crate::body_budget::BodyBudget,
    /// See [`watch_idle`].
    pub idle_timeout: Duration,
    /// Threads that serve connections (see [`crate::workers`]); 0: two per core.
    pub workers: usize,
}

impl AppState {
    pub fn new(services: Services, file: &crate::config::FileConfig) -> AppState {
        AppState {
            services,
            max_body_bytes: file.max_body_bytes,
            body_budget: crate::body_budget::BodyBudget::for_max_body(file.max_body_bytes),
            // A zero period would make the watchdog's interval panic; `config::check`
            // refuses 0 in a file, this covers settings made in code.
            idle_timeout: Duration::from_millis(file.idle_timeout_ms.max(1)),
            workers: file.workers,
        }
    }
}

type HttpResponse = Response<Full<Bytes>>;

/// Accepts connections until `shutdown` completes, then lets open requests finish (at most
/// 10 seconds) and returns: idle connections are closed at once, a connection answering a
/// request once it has sent the answer.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    // Every connection's task holds a sender; `recv` returns None once all have ended.
    let (alive, mut ended) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Taken off this runtime's poller, to be registered with the one of the worker that
        // serves it (crate::workers), which then waits for its readiness itself.
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot hand over a connection from {peer}: {e}");
                continue;
            }
        };
        let state = state.clone();
        let stopping = stopping.clone();
        let alive = alive.clone();
        crate::workers::serve(state.workers, async move {
            match tokio::net::TcpStream::from_std(stream) {
                Ok(stream) => crate::conn::serve(stream, peer, state, stopping).await,
                Err(e) => tracing::warn!("cannot serve a connection from {peer}: {e}"),
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive);
    let _ = tokio::time::timeout(Duration::from_secs(10), ended.recv()).await;
    Ok(())
}

/// Serves the rest of a connection with hyper: everything [`crate::conn`] does not read
/// itself. `io` yields the connection's bytes from the start of the first request hyper is
/// to read.
pub(crate) async fn serve_with_hyper<I>(
    io: I,
    peer: SocketAddr,
    state: Arc<AppState>,
    stopping: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let idle_timeout = state.idle_timeout;
    let activity = Arc::new(Activity::default());
    let seen = activity.clone();
    let service = service_fn(move |req| {
        let running = Running::begin(&seen);
        let state = state.clone();
        async move {
            let res = from_hyper(&state, peer, req).await;
            drop(running);
            Ok::<_, Infallible>(res)
        }
    });
    // Header names as MediaWiki (and the other path) spells them: Content-Type, Set-Cookie.
    // A client that shuts down its sending side after its request (`shutdown(SHUT_WR)`, as
    // some scripts do) still gets its answer, as from conn.rs and from Apache: by default
    // hyper takes the end of the input for the client gone and drops the request.
    let conn = http1::Builder::new()
        .title_case_headers(true)
        .half_close(true)
        .serve_connection(TokioIo::new(io), service);
    watch_idle(conn, activity, idle_timeout, stopping).await;
}

/// What a connection's watchdog looks at: requests begun on it, and those not answered yet.
#[derive(Default)]
struct Activity {
    begun: AtomicU64,
    running: AtomicU64,
}

/// One request being served; counted until dropped (answered, or its connection gone).
struct Running(Arc<Activity>);

impl Running {
    fn begin(activity: &Arc<Activity>) -> Running {
        activity.begun.fetch_add(1, Ordering::Relaxed);
        activity.running.fetch_add(1, Ordering::Relaxed);
        Running(activity.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one hyper connection until it ends, or until it has been idle for a whole
/// `idle_timeout`: no request begun and none being answered (checked once per
/// `idle_timeout`, so it is closed between one and two times that after it fell idle). A
/// client that opens a connection and sends nothing, dribbles its headers, or leaves a
/// keep-alive connection idle does not hold a task and a socket for ever; a request that
/// takes long (a login waiting for a hashing thread) is not cut off. One timer per
/// connection rather than hyper's header_read_timeout, which re-arms a timer for every
/// request. A body that does not arrive within `idle_timeout` is refused in `read_body`.
/// When the server stops, the connection ends after the request it is answering.
async fn watch_idle<I, S>(
    conn: http1::Connection<I, S>,
    activity: Arc<Activity>,
    idle_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<Incoming, ResBody = Full<Bytes>>,
{
    tokio::pin!(conn);
    let mut tick =
        tokio::time::interval_at(tokio::time::Instant::now() + idle_timeout, idle_timeout);
    let mut seen = 0;
    let mut stopped = *stopping.borrow();
    if stopped {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = tick.tick() => {
                let begun = activity.begun.load(Ordering::Relaxed);
                if begun == seen && activity.running.load(Ordering::Relaxed) == 0 {
                    return;
                }
                seen = begun;
            }
            changed = stopping.changed(), if !stopped => {
                stopped = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A request's head, as either connection path read it.
pub struct Head<'a> {
    pub method: &'a str,
    /// The path of the request target, without its query string.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a [httparse::Header<'a>],
}

impl Head<'_> {
    /// Every value of a header, in order.
    fn values<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h [u8]> + 'h {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

/// Answers one request whose body has been read: the routing table.
pub async fn respond(
    state: &AppState,
    peer: SocketAddr,
    head: &Head<'_>,
    body: &[u8],
) -> ApiResponse {
    let path = head.path;
    match path {
        "/w/api.php" | "/api.php" => api_php(state, peer, head, body).await,
        "/healthz" => plain(200, "ok\n"),
        // The pages people use (mwauth::web): index.php with ?title=, or the title in the
        // path (/wiki/TITLE, /w/index.php/TITLE), and their stylesheet and script.
        "/w/index.php" | "/index.php" => index_php(state, peer, head, body).await,
        _ if ["/w/index.php/", "/index.php/", "/wiki/"]
            .iter()
            .any(|p| path.len() > p.len() && path.starts_with(p)) =>
        {
            index_php(state, peer, head, body).await
        }
        "/w/mwauth.css" | "/w/mwauth.js" | "/mwauth.css" | "/mwauth.js" => web_asset(head),
        _ => plain(404, ""),
    }
}

fn plain(status: u16, text: &'static str) -> ApiResponse {
    let mut headers = Vec::new();
    if !text.is_empty() {
        headers.push((
            Cow::Borrowed("Content-Type"),
            Cow::Borrowed("text/plain; charset=utf-8"),
        ));
    }
    ApiResponse {
        status,
        headers,
        body: text.as_bytes().to_vec(),
    }
}

/// What a web server's request timeout answers to a body that does not arrive; the
/// connection is closed after it.
pub(crate) fn request_timeout() -> ApiResponse {
    let mut res = plain(408, "");
    res.headers
        .push((Cow::Borrowed("Connection"), Cow::Borrowed("close")));
    res
}

/// Why a request's body was not read.
enum Unread {
    /// Over `max_body_bytes`, declared or sent.
    TooLarge(Box<hyper::http::request::Parts>),
    /// Not all there within `idle_timeout` (a client dribbling it).
    TooSlow,
    /// No room in the body budget now.
    Busy,
}

/// The request body, at most `max_body_bytes` (a larger declared or actual length is
/// refused without reading the rest), within `idle_timeout`.
async fn read_body(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<(hyper::http::request::Parts, Bytes), Unread> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes as u64) {
        return Err(Unread::TooLarge(Box::new(parts)));
    }
    // A GET (or any request without a body) needs no collecting.
    if hyper::body::Body::is_end_stream(&body) {
        return Ok((parts, Bytes::new()));
    }
    // A large body waits for nothing: without room in the budget it is not read (503).
    let size = declared.map_or(state.max_body_bytes, |n| n as usize);
    let Some(_permit) = state.body_budget.take(size) else {
        return Err(Unread::Busy);
    };
    let collect = Limited::new(body, state.max_body_bytes).collect();
    match tokio::time::timeout(state.idle_timeout, collect).await {
        Ok(Ok(collected)) => Ok((parts, collected.to_bytes())),
        Ok(Err(_)) => Err(Unread::TooLarge(Box::new(parts))),
        Err(_) => Err(Unread::TooSlow),
    }
}

/// A request hyper read: its body, then [`respond`].
async fn from_hyper(state: &AppState, peer: SocketAddr, req: Request<Incoming>) -> HttpResponse {
    let (parts, body) = match read_body(state, req).await {
        Ok(read) => read,
        Err(Unread::TooLarge(parts)) => {
            let host = parts.headers.get("host").and_then(|v| v.to_str().ok());
            return to_http(too_large(state, parts.uri.query(), host));
        }
        Err(Unread::TooSlow) => return to_http(request_timeout()),
        Err(Unread::Busy) => return to_http(crate::body_budget::overloaded()),
    };
    let headers: Vec<httparse::Header<'_>> = parts
        .headers
        .iter()
        .map(|(name, value)| httparse::Header {
            name: name.as_str(),
            value: value.as_bytes(),
        })
        .collect();
    let head = Head {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &headers,
    };
    to_http(respond(state, peer, &head, &body).await)
}

/// index.php: Special:UserLogin, UserLogout, CreateAccount, BotPasswords (mwauth::web).
async fn index_php(
    state: &AppState,
    peer: SocketAddr,
    head: &Head<'_>,
    body: &[u8],
) -> ApiResponse {
    let started = Instant::now();
    let web_req = build_request(state, peer, head, body).await;
    let path_title = web::path_title(head.path);
    let res = web::execute(&state.services, &web_req, path_title.as_deref()).await;
    log_request("page", head, None, &res, &web_req, started);
    res
}

/// The request's log line (see [`crate::log::request`]), when `info` is on.
fn log_request(
    what: &str,
    head: &Head<'_>,
    action: Option<&str>,
    res: &ApiResponse,
    req: &ApiRequest<'_>,
    started: Instant,
) {
    if tracing::enabled!(tracing::Level::INFO) {
        crate::log::request(&crate::log::RequestLine {
            what,
            method: head.method,
            path: head.path,
            action,
            status: res.status,
            client: req.client_ip,
            micros: started.elapsed().as_micros() as u64,
        });
    }
}

fn web_asset(head: &Head<'_>) -> ApiResponse {
    if head.method != "GET" && head.method != "HEAD" {
        return plain(405, "");
    }
    match web::assets::serve(head.path, head.method) {
        Some(res) => res,
        None => plain(404, ""),
    }
}

async fn api_php(state: &AppState, peer: SocketAddr, head: &Head<'_>, body: &[u8]) -> ApiResponse {
    let started = Instant::now();
    let api_req = build_request(state, peer, head, body).await;
    let res = api::execute(&state.services, &api_req).await;
    log_request(
        "request",
        head,
        Some(request_action(&api_req)),
        &res,
        &api_req,
        started,
    );
    res
}

/// The `action` the core ran, for the log line: as `Params` reads it (`$_POST + $_GET`), the
/// body's value wins over the query string's, and the last of a repeated name counts.
fn request_action<'r>(req: &'r ApiRequest<'_>) -> &'r str {
    last_action(&req.body)
        .or_else(|| last_action(&req.query))
        .unwrap_or("-")
}

fn last_action<'p>(pairs: &'p [(Cow<'_, str>, Cow<'_, str>)]) -> Option<&'p str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_ref())
}

/// A body over `max_body_bytes`: refused with a MediaWiki-shaped error (HTTP 413) in the
/// format the query string asks for, without reading the rest.
fn too_large(state: &AppState, query: Option<&str>, host: Option<&str>) -> ApiResponse {
    let mut req = ApiRequest::new("POST");
    if let Some(q) = query {
        req.query = api::request::parse_form_text(q);
    }
    req.host = Cow::Borrowed(host.unwrap_or("localhost"));
    let limit = state.max_body_bytes.to_string();
    api::main::refuse(
        &state.services,
        &req,
        "toobig",
        "mwauth-toobig",
        &[&limit],
        413,
    )
}

async fn build_request<'b>(
    state: &AppState,
    peer: SocketAddr,
    head: &Head<'b>,
    body: &'b [u8],
) -> ApiRequest<'b> {
    let mut req = ApiRequest::new(head.method);
    if let Some(q) = head.query {
        req.query = api::request::parse_form_text(q);
    }
    let mut ctype = "";
    let mut host = None;
    for h in head.headers {
        if h.name.eq_ignore_ascii_case("cookie") {
            // Parsed into `cookies`; the core never reads the raw header. Checked as UTF-8
            // first: the lossy conversion walks the bytes more slowly when there is nothing
            // to replace, which is almost always.
            match std::str::from_utf8(h.value) {
                Ok(text) => parse_cookie_header(text, &mut req.cookies),
                Err(_) => {
                    let text = String::from_utf8_lossy(h.value);
                    let mut pairs = Vec::new();
                    parse_cookie_header(&text, &mut pairs);
                    req.cookies.extend(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned()))),
                    );
                }
            }
        } else if h.name.eq_ignore_ascii_case("host") {
            host = host.or(std::str::from_utf8(h.value).ok());
        } else if h.name.eq_ignore_ascii_case("content-type") {
            if ctype.is_empty() {
                ctype = std::str::from_utf8(h.value).unwrap_or("");
            }
        } else if let Some(name) = api::request::HEADERS_READ
            .iter()
            .find(|n| h.name.eq_ignore_ascii_case(n))
        {
            req.headers.push((name, String::from_utf8_lossy(h.value)));
        }
    }
    if head.method == "POST" {
        let ctype = ctype.to_ascii_lowercase();
        if ctype.starts_with("application/x-www-form-urlencoded") {
            req.body = api::request::parse_form(body);
        } else if ctype.starts_with("multipart/form-data") {
            req.body = parse_multipart(&ctype, body)
                .await
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                .collect();
        }
    }
    if let Some(host) = host {
        req.host = Cow::Borrowed(host);
    }
    (req.client_ip, req.https) =
        client_address(&state.services.config.trusted_proxies, peer.ip(), head);
    req
}

/// The client's address and whether it came over https, as WebRequest::getIP walks
/// `X-Forwarded-For`: from the peer towards the client, follow each address a trusted proxy
/// reports, and stop at the first hop that is not a trusted proxy. Repeated header lines
/// count as one comma-separated list (as PHP joins them), so a client cannot put its own
/// line first and have it read as the proxy's. `X-Forwarded-Proto` is believed only from a
/// trusted proxy (MediaWiki believes it from anyone), its last value being the proxy's.
fn client_address(trusted: &[String], peer: IpAddr, head: &Head<'_>) -> (IpAddr, bool) {
    // Each entry is one address or a CIDR range (checked when the configuration is read).
    let is_trusted = |ip: IpAddr| trusted.iter().any(|p| in_cidr(ip, p.trim()));
    let list = |name: &str| -> Vec<String> {
        head.values(name)
            .filter_map(|v| std::str::from_utf8(v).ok())
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

fn to_http(res: ApiResponse) -> HttpResponse {
    let mut out = Response::new(Full::new(Bytes::from(res.body)));
    *out.status_mut() = StatusCode::from_u16(res.status).unwrap_or(StatusCode::OK);
    let headers = out.headers_mut();
    for (k, v) in res.headers {
        let Ok(name) = HeaderName::from_bytes(k.as_bytes()) else {
            continue;
        };
        if let Ok(value) = HeaderValue::from_str(&v) {
            headers.append(name, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log names the action the core ran: the body's over the query string's, the last
    /// of a repeated name.
    #[test]
    fn the_logged_action_is_the_one_the_core_runs() {
        let pairs = |p: &[(&'static str, &'static str)]| -> api::request::Pairs<'static> {
            p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
        };
        let mut req = ApiRequest::new("POST");
        assert_eq!(request_action(&req), "-");
        req.query = pairs(&[("action", "query"), ("action", "help")]);
        assert_eq!(request_action(&req), "help");
        req.body = pairs(&[("action", "login"), ("lgname", "x"), ("action", "logout")]);
        assert_eq!(request_action(&req), "logout");
        let sent = b"action=logout&token=%2B%5C";
        let mut posted = ApiRequest::new("POST");
        posted.query = pairs(&[("action", "query")]);
        posted.body = api::request::parse_form(sent);
        assert_eq!(request_action(&posted), "logout");
    }
}
