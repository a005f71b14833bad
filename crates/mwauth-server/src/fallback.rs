//! The hyper path: a connection's requests from the first one [`crate::conn`] does not read
//! itself (HEAD, OPTIONS, a chunked body, `Expect`, HTTP/1.0, a head that does not parse…)
//! to its end. hyper reads the heads and bodies; [`crate::adapter::respond`] answers, or,
//! with an upstream, the request passes to it ([`crate::upstream`]).

use crate::adapter::{self, AppState, Head};
use crate::upstream::{FromUpstream, ToUpstream};
use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use mwauth::request::ApiResponse;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// An answer made here, or one streamed from the upstream.
type ResBody = Either<Full<Bytes>, FromUpstream>;
type HttpResponse = Response<ResBody>;

/// Serves the rest of a connection with hyper: everything [`crate::conn`] does not read
/// itself. `io` yields the connection's bytes from the start of the first request hyper is
/// to read.
pub(crate) async fn serve<I>(
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
            let res = from_hyper(&state, peer, req, running).await;
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
    S: hyper::service::HttpService<Incoming, ResBody = ResBody>,
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

/// Why a request's body was not read.
enum Unread {
    /// Over `max_body_bytes`, declared or sent: its head, and the body as it goes on
    /// (what was read of it first, then the rest).
    TooLarge(Box<hyper::http::request::Parts>, ToUpstream),
    /// Not all there within `idle_timeout` (a client dribbling it).
    TooSlow,
    /// Not readable: a chunked body that breaks its framing (a size that is not hex, a chunk
    /// longer or shorter than its size), or a connection lost mid-body.
    Malformed,
    /// No room in the body budget now.
    Busy,
}

/// The request body, at most `max_body_bytes` (a larger declared or actual length is
/// refused without reading the rest), within `idle_timeout`.
async fn read_body(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<(hyper::http::request::Parts, Bytes), Unread> {
    let (parts, mut body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes as u64) {
        return Err(Unread::TooLarge(
            Box::new(parts),
            ToUpstream::streamed(Bytes::new(), body),
        ));
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
    let due = tokio::time::Instant::now() + state.idle_timeout;
    let mut read: Vec<u8> = Vec::new();
    loop {
        match tokio::time::timeout_at(due, body.frame()).await {
            Ok(None) => return Ok((parts, Bytes::from(read))),
            Ok(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                read.extend_from_slice(&data);
                if read.len() > state.max_body_bytes {
                    let read = Bytes::from(read);
                    let rest = ToUpstream::streamed(read, body);
                    return Err(Unread::TooLarge(Box::new(parts), rest));
                }
            }
            Ok(Some(Err(_))) => return Err(Unread::Malformed),
            Err(_) => return Err(Unread::TooSlow),
        }
    }
}

/// A request hyper read: its body, then [`adapter::respond`], or the upstream. `running`
/// counts the request for the connection's watchdog until its answer is sent.
async fn from_hyper(
    state: &AppState,
    peer: SocketAddr,
    req: Request<Incoming>,
    running: Running,
) -> HttpResponse {
    let res = match read_body(state, req).await {
        Ok((parts, body)) => {
            let headers = header_lines(&parts);
            let head = head_of(&parts, &headers);
            if adapter::passes(state, &head, &body).await {
                let https = adapter::came_over_https(state, peer, &head);
                drop(headers);
                return pass(state, parts, ToUpstream::whole(body), peer, https, running).await;
            }
            adapter::respond(state, peer, &head, &body).await
        }
        Err(Unread::TooLarge(parts, rest)) if state.upstream.is_some() => {
            let headers = header_lines(&parts);
            let https = adapter::came_over_https(state, peer, &head_of(&parts, &headers));
            drop(headers);
            return pass(state, *parts, rest, peer, https, running).await;
        }
        Err(Unread::TooLarge(parts, _)) => {
            let host = parts.headers.get("host").and_then(|v| v.to_str().ok());
            adapter::too_large(state, parts.uri.query(), host)
        }
        Err(Unread::TooSlow) => adapter::request_timeout(),
        Err(Unread::Malformed) => adapter::bad_request(),
        Err(Unread::Busy) => crate::body_budget::overloaded(),
    };
    drop(running);
    adapter::count_response(state, &res);
    to_http(res)
}

/// A request passed to the upstream: its answer, or 502/504 (see `Upstream::forward`).
async fn pass(
    state: &AppState,
    parts: hyper::http::request::Parts,
    body: ToUpstream,
    peer: SocketAddr,
    https: bool,
    running: Running,
) -> HttpResponse {
    let Some(up) = &state.upstream else {
        return to_http(crate::upstream::failure(502));
    };
    let started = std::time::Instant::now();
    let (method, path) = (parts.method.clone(), parts.uri.path().to_string());
    let res = match up
        .forward(parts, body, peer, https, Box::new(running))
        .await
    {
        Ok(res) => res.map(Either::Right),
        Err(status) => to_http(crate::upstream::failure(status)),
    };
    let status = res.status().as_u16();
    if let Some(m) = &state.metrics {
        m.passed(status, started.elapsed());
    }
    if tracing::enabled!(tracing::Level::INFO) {
        crate::log::request(&crate::log::RequestLine {
            what: "upstream",
            method: method.as_str(),
            path: &path,
            action: None,
            status,
            client: peer.ip(),
            micros: started.elapsed().as_micros() as u64,
        });
    }
    res
}

/// A request's header lines as [`Head`] holds them.
fn header_lines(parts: &hyper::http::request::Parts) -> Vec<httparse::Header<'_>> {
    parts
        .headers
        .iter()
        .map(|(name, value)| httparse::Header {
            name: name.as_str(),
            value: value.as_bytes(),
        })
        .collect()
}

/// A request whose head hyper read, as [`adapter::respond`] takes it.
fn head_of<'a>(
    parts: &'a hyper::http::request::Parts,
    headers: &'a [httparse::Header<'a>],
) -> Head<'a> {
    Head {
        method: parts.method.as_str(),
        minor: u8::from(parts.version != hyper::Version::HTTP_10),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers,
    }
}

fn to_http(res: ApiResponse) -> HttpResponse {
    let mut out = Response::new(Either::Left(Full::new(Bytes::from(res.body))));
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
