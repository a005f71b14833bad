//! The HTTP adapter, under both connection paths ([`crate::conn`], the plain fast path, and
//! [`crate::fallback`], hyper): a request's head and body in, an ApiRequest to the core
//! (api.php, or the pages of mwauth::web), an ApiResponse out. [`respond`]'s match is the
//! whole routing table; the request's log line is written here.

use crate::metrics::Metrics;
use crate::upstream::{self, Upstream};
use mwauth::api;
use mwauth::request::{ApiRequest, ApiResponse};
use mwauth::session::cookie::parse_cookie_header;
use mwauth::user::botpassword::in_cidr;
use mwauth::web;
use mwauth::Services;
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct AppState {
    pub services: Services,
    pub max_body_bytes: usize,
    /// Room for the large bodies read at once (see [`crate::body_budget`]).
    pub body_budget: crate::body_budget::BodyBudget,
    /// How long a connection may stay idle, and a body take to arrive (see
    /// `crate::fallback::watch_idle` and `crate::conn::serve`).
    pub idle_timeout: Duration,
    /// Threads that serve connections (see [`crate::workers`]); 0: two per core.
    pub workers: usize,
    /// Counted when `metrics_listen` is set.
    pub metrics: Option<Arc<Metrics>>,
    /// The wiki mwauth is in front of, when `upstream` is set.
    pub upstream: Option<Upstream>,
}

impl AppState {
    pub fn new(
        services: Services,
        file: &crate::config::FileConfig,
        metrics: Option<Arc<Metrics>>,
    ) -> anyhow::Result<AppState> {
        let upstream = match &file.upstream {
            Some(url) => Some(Upstream::new(
                url,
                Duration::from_secs(file.upstream_timeout.max(1)),
                file.native_pages,
            )?),
            None => None,
        };
        Ok(AppState {
            services,
            max_body_bytes: file.max_body_bytes,
            body_budget: crate::body_budget::BodyBudget::for_max_body(file.max_body_bytes),
            // A zero period would make the watchdog's interval panic; `config::check`
            // refuses 0 in a file, this covers settings made in code.
            idle_timeout: Duration::from_millis(file.idle_timeout_ms.max(1)),
            workers: file.workers,
            metrics,
            upstream,
        })
    }
}

/// Counts an answer about to be written, when metrics are on.
pub(crate) fn count_response(state: &AppState, res: &ApiResponse) {
    if let Some(m) = &state.metrics {
        m.response(res.status);
    }
}

/// A request's head, as either connection path read it.
pub struct Head<'a> {
    /// As sent: methods are case-sensitive (see `build_request` on `post`).
    pub method: &'a str,
    /// HTTP/1.`minor`: 0 or 1.
    pub minor: u8,
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

    /// RFC 9112 §3.2: an HTTP/1.1 request has exactly one `Host` line, an HTTP/1.0 one at
    /// most one; a server answers any other 400 (as Apache in front of MediaWiki does),
    /// rather than pick one for `server` and the docrefs. An empty value is valid.
    fn host_lines_valid(&self) -> bool {
        let mut lines = 0;
        for h in self.headers {
            if h.name.eq_ignore_ascii_case("host") {
                lines += 1;
            }
        }
        lines == 1 || (lines == 0 && self.minor == 0)
    }
}

/// With an upstream: whether this request goes there ([`upstream::passes`] over its
/// parameters: the query string's, and a POST's form body's).
pub(crate) async fn passes(state: &AppState, head: &Head<'_>, body: &[u8]) -> bool {
    let Some(up) = &state.upstream else {
        return false;
    };
    let query = head
        .query
        .map(mwauth::request::parse_form_text)
        .unwrap_or_default();
    let mut form = Vec::new();
    if head.method == "POST" && !body.is_empty() {
        let ctype = head
            .values("content-type")
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or("");
        if media_type_is(ctype, "application/x-www-form-urlencoded") {
            form = mwauth::request::parse_form(body);
        } else if media_type_is(ctype, "multipart/form-data") {
            form = parse_multipart(ctype, body)
                .await
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                .collect();
        }
    }
    upstream::passes(up.native_pages, head.path, &query, &form)
}

/// Whether the client came over https, as [`client_address`] decides it (for the
/// upstream's `X-Forwarded-Proto`).
pub(crate) fn came_over_https(state: &AppState, peer: SocketAddr, head: &Head<'_>) -> bool {
    client_address(&state.services.config.trusted_proxies, peer.ip(), head).1
}

/// Answers one request whose body has been read: the routing table.
pub async fn respond(
    state: &AppState,
    peer: SocketAddr,
    head: &Head<'_>,
    body: &[u8],
) -> ApiResponse {
    if !head.host_lines_valid() {
        return bad_request();
    }
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
        ran: Default::default(),
    }
}

/// What a web server's request timeout answers to a body that does not arrive; the
/// connection is closed after it.
pub(crate) fn request_timeout() -> ApiResponse {
    closing(408)
}

/// A request the HTTP layer cannot take (a `Host` line missing or repeated, a chunked body
/// that breaks its framing): 400, nothing for the core, and the connection closed after it,
/// since what follows on it cannot be trusted to start a request. Apache answers these with
/// its 400 page before MediaWiki runs; like hyper's own 400 for a head that does not parse,
/// this one has no body.
pub(crate) fn bad_request() -> ApiResponse {
    closing(400)
}

fn closing(status: u16) -> ApiResponse {
    let mut res = plain(status, "");
    res.headers
        .push((Cow::Borrowed("Connection"), Cow::Borrowed("close")));
    res
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
    if let Some(m) = &state.metrics {
        m.page(started.elapsed());
    }
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
    if let Some(m) = &state.metrics {
        m.api(&res, started.elapsed());
    }
    log_request(
        "request",
        head,
        Some(res.ran.action.unwrap_or("-")),
        &res,
        &api_req,
        started,
    );
    res
}

/// A body over `max_body_bytes`: refused with a MediaWiki-shaped error (HTTP 413) in the
/// format the query string asks for, without reading the rest.
pub(crate) fn too_large(state: &AppState, query: Option<&str>, host: Option<&str>) -> ApiResponse {
    let mut req = ApiRequest::new("POST");
    if let Some(q) = query {
        req.query = mwauth::request::parse_form_text(q);
    }
    req.host = Cow::Borrowed(host.unwrap_or("localhost"));
    let limit = state.max_body_bytes.to_string();
    api::api_main::refuse(
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
        req.query = mwauth::request::parse_form_text(q);
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
        } else if let Some(name) = mwauth::request::HEADERS_READ
            .iter()
            .find(|n| h.name.eq_ignore_ascii_case(n))
        {
            req.headers.push((name, String::from_utf8_lossy(h.value)));
        }
    }
    // PHP reads a body into $_POST only for the method spelt `POST` (SAPI's strcmp): a
    // `post` reaches MediaWiki with its body unread and REQUEST_METHOD `post`, which ApiMain
    // refuses as `invalidmethod` and the pages take for a GET (checked on Apache + mod_php).
    if head.method == "POST" {
        if media_type_is(ctype, "application/x-www-form-urlencoded") {
            req.body = mwauth::request::parse_form(body);
        } else if media_type_is(ctype, "multipart/form-data") {
            req.body = parse_multipart(ctype, body)
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

/// Whether a `Content-Type` names the media type `name`, as PHP's SAPI decides which body
/// reader to run: the text before the first `;`, `,` or space, in any case. Parameters are
/// left as sent: a multipart boundary is case-sensitive (`----WebKitFormBoundary7MA4…`).
fn media_type_is(ctype: &str, name: &str) -> bool {
    ctype
        .split([';', ',', ' '])
        .next()
        .is_some_and(|t| t.eq_ignore_ascii_case(name))
}

/// Form fields of a multipart body; file parts are read as text like any other field.
/// A broken body yields the fields read so far, as PHP does. The boundary parameter's name
/// is read in any case, its value as sent.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The action the log line and the metrics name is the module the core ran: the body's
    /// `action` over the query string's, the last of a repeated name, `help` without one, and
    /// none for an unknown one (a client's text never becomes a log field or a label).
    #[tokio::test]
    async fn the_action_reported_is_the_module_the_core_ran() {
        let dir = tempfile::tempdir().unwrap();
        let settings = crate::Settings {
            file: crate::config::FileConfig::default(),
            data_dir: dir.path().to_path_buf(),
        };
        let (services, _) = crate::serve::open_services(&settings).await.unwrap();
        let ran = |query: &'static str, body: &'static [u8]| {
            let services = services.clone();
            async move {
                let mut req = ApiRequest::new("POST");
                req.query = mwauth::request::parse_form_text(query);
                req.body = mwauth::request::parse_form(body);
                api::execute(&services, &req).await.ran.action
            }
        };
        assert_eq!(ran("", b"").await, Some("help"));
        assert_eq!(ran("action=query&action=help", b"").await, Some("help"));
        let posted = b"action=login&lgname=x&action=logout&token=%2B%5C";
        assert_eq!(ran("action=query", posted).await, Some("logout"));
        assert_eq!(ran("action=no%20such%0Aaction", b"").await, None);
    }
}
