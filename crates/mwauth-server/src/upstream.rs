//! mwauth in front of a PHP MediaWiki (`upstream = "http://host:port"`): the requests it
//! answers completely itself are answered here as without an upstream; every other request
//! goes to the wiki unchanged and the wiki's answer comes back unchanged, both bodies
//! streamed. [`passes`] is the one place that decides which is which.
//!
//! The pass-through runs on the hyper path ([`crate::fallback`]): [`crate::conn`] hands a
//! connection over at its first request that passes. A body over `max_body_bytes` is not
//! read to decide: such a request is never one mwauth answers (it would refuse it, 413),
//! so it is passed, its body streamed as it arrives.

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::http::uri::{Authority, PathAndQuery};
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use mwauth::request::ApiResponse;
use mwauth::request::Pairs;
use mwauth::web::{self, Target};
use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a pooled connection to the upstream may stay idle before it is closed here:
/// below Apache's default `KeepAliveTimeout` (5 s), so that the pool does not hand out a
/// connection the upstream is closing at that moment.
const POOL_IDLE: Duration = Duration::from_secs(4);

/// The upstream wiki and the pool of connections to it.
pub struct Upstream {
    client: Client<HttpConnector, ToUpstream>,
    authority: Authority,
    /// `upstream_timeout`: the longest wait for the upstream, for its answer's head while the
    /// request's body is not moving, then for each piece of its answer's body.
    pub timeout: Duration,
    /// `native_pages`: serve mwauth's own Special:UserLogin and the others.
    pub native_pages: bool,
}

impl Upstream {
    /// `url` is `http://host:port` (a trailing `/` allowed); paths are passed as requested,
    /// so it has no path of its own.
    pub fn new(url: &str, timeout: Duration, native_pages: bool) -> anyhow::Result<Upstream> {
        let authority = parse_url(url)?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(connector);
        Ok(Upstream {
            client,
            authority,
            timeout,
            native_pages,
        })
    }

    /// The upstream's address, as `http://host:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.authority)
    }

    /// A GET of `path_and_query` on the upstream, read whole, within `timeout`: its status,
    /// headers and body (for `mwauth check-config`).
    pub async fn get(&self, path_and_query: &str) -> Result<(u16, HeaderMap, Bytes), String> {
        let uri = format!("http://{}{path_and_query}", self.authority);
        let req = Request::get(uri)
            .body(ToUpstream::whole(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let read = async {
            let res = self.client.request(req).await.map_err(|e| e.to_string())?;
            let (parts, body) = res.into_parts();
            let body = http_body_util::BodyExt::collect(body)
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((parts.status.as_u16(), parts.headers, body))
        };
        match tokio::time::timeout(self.timeout, read).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no answer within {} seconds",
                self.timeout.as_secs()
            )),
        }
    }

    /// Sends a request to the upstream and returns its answer, or the status to answer
    /// instead: 502 when it cannot be reached or breaks off, 504 when it does not answer
    /// within `timeout` (counted from the last piece of the request's body sent).
    pub async fn forward(
        &self,
        parts: Parts,
        mut body: ToUpstream,
        peer: SocketAddr,
        https: bool,
        keep: Box<dyn Any + Send + Sync>,
    ) -> Result<Response<FromUpstream>, u16> {
        let path = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let uri = Uri::builder()
            .scheme("http")
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .map_err(|_| 502u16)?;
        let progress = Arc::new(Progress {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        });
        body.progress = Some(progress.clone());
        let mut req = Request::new(body);
        *req.method_mut() = parts.method;
        *req.uri_mut() = uri;
        *req.headers_mut() = request_headers(parts.headers, peer, https);
        let sent = self.client.request(req);
        tokio::pin!(sent);
        let answer = loop {
            let due = progress.due(self.timeout);
            match tokio::time::timeout_at(due.into(), &mut sent).await {
                Ok(answer) => break answer,
                // The request's body is still arriving: wait on.
                Err(_) if progress.due(self.timeout) > Instant::now() => {}
                Err(_) => return Err(504),
            }
        };
        let res = match answer {
            Ok(res) => res,
            Err(e) => {
                tracing::warn!("upstream {}: {e}", self.authority);
                return Err(502);
            }
        };
        let (mut parts, inner) = res.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let body = FromUpstream {
            inner,
            timeout: self.timeout,
            stall: None,
            _keep: keep,
        };
        Ok(Response::from_parts(parts, body))
    }
}

/// The authority of an `upstream` setting (see [`Upstream::new`]).
pub(crate) fn parse_url(url: &str) -> anyhow::Result<Authority> {
    let uri: Uri = url
        .parse()
        .map_err(|e| anyhow::anyhow!("upstream: \"{url}\" is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        anyhow::bail!(
            "upstream: \"{url}\" must start with http:// (mwauth speaks plain HTTP to the wiki; \
             keep it on the same host or a private network)"
        );
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        anyhow::bail!("upstream: \"{url}\" must be http://host:port, without a path");
    }
    match uri.authority() {
        Some(a) if !a.as_str().contains('@') => Ok(a.clone()),
        _ => anyhow::bail!("upstream: \"{url}\" must be http://host:port"),
    }
}

/// Whether a request goes to the upstream wiki instead of being answered here. Called only
/// with an upstream configured, with the request's path and its parameters: the query
/// string's and, for a POST, its form body's (a parameter's value is the body's over the
/// query string's, the last of a repeated name, as PHP's `$_GET + $_POST` merge gives it).
///
/// Answered here:
/// - api.php (`/w/api.php`, `/api.php`) with `action` login, clientlogin, createaccount,
///   logout or checktoken; and action=query whose only module parameter is `meta` naming
///   only tokens, userinfo and authmanagerinfo (none of `prop`, `list`, `generator`,
///   `titles`, `pageids`, `revids`, `export`) and no `uiprop` the wiki's own tables answer
///   (`hasmsg`, `options`, `unreadcount`, `latestcontrib`, `*`). meta=siteinfo passes: mwauth's is a copy
///   of a default wiki's, the wiki's own names its extensions, namespaces and statistics.
///   So do action=help, action=paraminfo and a request without an action (help): the
///   wiki has more modules than mwauth.
/// - With `native_pages`: index.php (`/w/index.php`, `/index.php`, a title in the path:
///   `/wiki/T`, `/w/index.php/T`, `/index.php/T`) for the special pages mwauth serves
///   (UserLogin, CreateAccount, UserLogout, BotPasswords and their aliases; the `title`
///   parameter over the path's title). Special:OATHManage is always the wiki's.
/// - `/healthz` and mwauth's own stylesheet and script.
///
/// Everything else passes: any other action or query, the wiki's own special pages (by
/// default), any other page, load.php, rest.php, images, any other path.
pub fn passes(native_pages: bool, path: &str, query: &Pairs<'_>, body: &Pairs<'_>) -> bool {
    let get = |name: &str| -> Option<&str> {
        body.iter()
            .rev()
            .find(|(k, _)| k == name)
            .or_else(|| query.iter().rev().find(|(k, _)| k == name))
            .map(|(_, v)| v.as_ref())
    };
    match path {
        "/w/api.php" | "/api.php" => match get("action").unwrap_or("help") {
            "login" | "clientlogin" | "createaccount" | "logout" | "checktoken" => false,
            "query" => {
                const OTHER: [&str; 7] = [
                    "prop",
                    "list",
                    "generator",
                    "titles",
                    "pageids",
                    "revids",
                    "export",
                ];
                // userinfo's properties read from the wiki's own tables, which mwauth does
                // not read (ApiQueryUserInfo: user_newtalk, user_properties, the watchlist,
                // the user's last revision): only the wiki answers them as it would.
                const WIKI_USERINFO: [&str; 5] =
                    ["hasmsg", "options", "unreadcount", "latestcontrib", "*"];
                OTHER.iter().any(|p| get(p).is_some_and(|v| !v.is_empty()))
                    || split_multi(get("meta").unwrap_or(""))
                        .any(|m| !matches!(m, "tokens" | "userinfo" | "authmanagerinfo"))
                    || split_multi(get("uiprop").unwrap_or("")).any(|p| WIKI_USERINFO.contains(&p))
            }
            _ => true,
        },
        "/healthz" | "/w/mwauth.css" | "/w/mwauth.js" | "/mwauth.css" | "/mwauth.js" => false,
        _ => {
            if !native_pages {
                return true;
            }
            let title = if matches!(path, "/w/index.php" | "/index.php") {
                get("title").map(Cow::Borrowed)
            } else {
                match web::path_title(path) {
                    Some(t) if !t.is_empty() => {
                        Some(get("title").map_or(Cow::Owned(t), Cow::Borrowed))
                    }
                    _ => return true,
                }
            };
            // Special:OATHManage stays the wiki's: in front of a wiki, OATHAuth is the
            // wiki's own (writing the same oathauth_users), on or off.
            !matches!(
                web::resolve(title.as_deref().unwrap_or("")),
                Target::Special(sp, _) if sp != web::Special::OATHManage
            )
        }
    }
}

/// A multi-value parameter's values: separated by `|`, or by U+001F when it starts with one.
fn split_multi(v: &str) -> impl Iterator<Item = &str> {
    let (v, sep) = match v.strip_prefix('\u{1f}') {
        Some(rest) => (rest, '\u{1f}'),
        None => (v, '|'),
    };
    v.split(sep).filter(|m| !m.is_empty())
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), and `Expect`,
/// which the hyper server has answered already.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "expect"
    )
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Those the `Connection` header names go too.
    let named: Vec<HeaderName> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    let hop: Vec<HeaderName> = headers
        .keys()
        .filter(|n| is_hop_by_hop(n))
        .cloned()
        .collect();
    for name in hop {
        headers.remove(name);
    }
}

/// The client's headers as the upstream gets them: unchanged but for the hop-by-hop ones,
/// with the peer's address appended to `X-Forwarded-For` (one line, the earlier ones
/// joined as PHP joins them) and `X-Forwarded-Proto` set to what mwauth believes
/// (`https` only from a trusted proxy that said so).
fn request_headers(mut headers: HeaderMap, peer: SocketAddr, https: bool) -> HeaderMap {
    strip_hop_by_hop(&mut headers);
    let mut chain: Vec<String> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    chain.push(peer.ip().to_canonical().to_string());
    headers.remove("x-forwarded-for");
    if let Ok(v) = HeaderValue::from_str(&chain.join(", ")) {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert(
        "x-forwarded-proto",
        HeaderValue::from_static(if https { "https" } else { "http" }),
    );
    headers
}

/// 502 or 504, when the upstream failed.
pub(crate) fn failure(status: u16) -> ApiResponse {
    let text: &'static str = if status == 504 {
        "The wiki did not answer in time.\n"
    } else {
        "The wiki could not be reached.\n"
    };
    ApiResponse {
        status,
        headers: vec![(
            Cow::Borrowed("Content-Type"),
            Cow::Borrowed("text/plain; charset=utf-8"),
        )],
        body: text.as_bytes().to_vec(),
        ran: Default::default(),
    }
}

/// When the request's body last moved, for the wait on the upstream's answer.
struct Progress {
    start: Instant,
    last_ms: AtomicU64,
}

impl Progress {
    /// When the wait ends if the body does not move again.
    fn due(&self, timeout: Duration) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + timeout
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }
}

/// A request's body on its way to the upstream: what was read already (all of it, or the
/// part read before it turned out larger than `max_body_bytes`), then the rest as the
/// client sends it.
pub struct ToUpstream {
    read: Option<Bytes>,
    rest: Option<Incoming>,
    progress: Option<Arc<Progress>>,
}

impl ToUpstream {
    /// A body read whole.
    pub fn whole(body: Bytes) -> ToUpstream {
        ToUpstream {
            read: Some(body),
            rest: None,
            progress: None,
        }
    }

    /// `read`, then the rest of `rest`.
    pub fn streamed(read: Bytes, rest: Incoming) -> ToUpstream {
        ToUpstream {
            read: Some(read),
            rest: Some(rest),
            progress: None,
        }
    }

    fn touch(&self) {
        if let Some(p) = &self.progress {
            p.touch();
        }
    }
}

impl Body for ToUpstream {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(read) = this.read.take().filter(|b| !b.is_empty()) {
            this.touch();
            return Poll::Ready(Some(Ok(Frame::data(read))));
        }
        let Some(rest) = this.rest.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(rest).poll_frame(cx);
        if let Poll::Ready(Some(Ok(_))) = &polled {
            this.touch();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.read.as_ref().is_none_or(Bytes::is_empty)
            && self.rest.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let read = self.read.as_ref().map_or(0, |b| b.len() as u64);
        let Some(rest) = &self.rest else {
            return SizeHint::with_exact(read);
        };
        let hint = rest.size_hint();
        let mut out = SizeHint::new();
        if let Some(upper) = hint.upper() {
            out.set_upper(upper.saturating_add(read));
        }
        out.set_lower(hint.lower().saturating_add(read));
        out
    }
}

/// The upstream's answer's body on its way to the client, piece by piece. A piece that
/// does not come within `timeout` ends it with an error (the client sees the answer cut
/// off, as from a proxy whose backend died). `_keep` lives as long as the body: the
/// connection's watchdog counts the request as running until it is sent.
pub struct FromUpstream {
    inner: Incoming,
    timeout: Duration,
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
    _keep: Box<dyn Any + Send + Sync>,
}

impl Body for FromUpstream {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(stall) = &mut this.stall {
                    stall
                        .as_mut()
                        .reset(tokio::time::Instant::now() + this.timeout);
                }
                Poll::Ready(frame.map(|f| f.map_err(BoxError::from)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let stall = this
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match stall.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err("the upstream stopped sending".into())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mwauth::request::parse_form_text;

    fn passes_q(path: &str, query: &str, body: &str) -> bool {
        passes(false, path, &parse_form_text(query), &parse_form_text(body))
    }

    #[test]
    fn the_rules() {
        let api = "/w/api.php";
        for q in [
            "action=query&meta=tokens",
            "action=query&meta=tokens|userinfo&type=csrf",
            "action=query&meta=userinfo&uiprop=groups|rights|editcount|email|realname",
            "action=query&meta=%1Ftokens%1Fauthmanagerinfo",
            "action=login",
            "action=clientlogin",
            "action=createaccount",
            "action=logout",
            "action=checktoken",
            "action=query",
        ] {
            assert!(!passes_q(api, q, ""), "{q}");
            assert!(!passes_q("/api.php", q, ""), "{q}");
        }
        for q in [
            "",
            "action=help",
            "action=paraminfo&modules=login",
            "action=edit",
            "action=query&meta=siteinfo",
            "action=query&meta=tokens|siteinfo",
            "action=query&meta=tokens&list=allpages",
            "action=query&meta=userinfo&titles=Main_Page",
            "action=query&meta=userinfo&generator=allpages",
            "action=query&meta=userinfo&uiprop=groups|options",
            "action=query&meta=userinfo&uiprop=hasmsg",
            "action=query&meta=userinfo&uiprop=unreadcount",
            "action=query&meta=userinfo&uiprop=latestcontrib",
            "action=query&meta=userinfo&uiprop=*",
            "action=query&prop=info&pageids=1",
        ] {
            assert!(passes_q(api, q, ""), "{q}");
        }
        // The body's parameters over the query string's; the last of a repeated name.
        assert!(passes_q(api, "action=query&meta=tokens", "action=edit"));
        assert!(!passes_q(api, "action=edit", "action=logout"));
        assert!(!passes_q(api, "action=edit&action=login", ""));
        assert!(passes_q(api, "", "action=query&meta=tokens&list=allusers"));
        for path in ["/w/load.php", "/w/rest.php/v1/page/X", "/", "/images/a.png"] {
            assert!(passes_q(path, "", ""), "{path}");
        }
        assert!(!passes_q("/healthz", "", ""));
    }

    #[test]
    fn special_pages_pass_unless_native_pages() {
        let pages = |native: bool, path: &str, query: &str| {
            passes(native, path, &parse_form_text(query), &Vec::new())
        };
        for (path, query) in [
            ("/w/index.php", "title=Special:UserLogin"),
            ("/w/index.php", "title=special:userlogout&returnto=X"),
            ("/index.php", "title=Special:CreateAccount"),
            ("/wiki/Special:BotPasswords/bot", ""),
            ("/w/index.php/Special:Login", ""),
        ] {
            assert!(pages(false, path, query), "{path}?{query}");
            assert!(!pages(true, path, query), "{path}?{query}");
        }
        for (path, query) in [
            ("/w/index.php", "title=Main_Page"),
            ("/w/index.php", ""),
            ("/wiki/Main_Page", ""),
            ("/w/index.php", "title=Special:Preferences"),
            ("/wiki/Special:UserLogin", "title=Special:Preferences"),
            ("/w/index.php", "title=Special:OATHManage"),
            ("/wiki/Special:Manage_Two-factor_authentication", ""),
        ] {
            assert!(pages(true, path, query), "{path}?{query}");
        }
    }

    #[test]
    fn upstream_urls() {
        assert!(parse_url("http://127.0.0.1:8186").is_ok());
        assert!(parse_url("http://wiki.internal:80/").is_ok());
        assert!(parse_url("https://wiki").is_err());
        assert!(parse_url("http://wiki/w").is_err());
        assert!(parse_url("http://u:p@wiki").is_err());
        assert!(parse_url("wiki:80").is_err());
    }

    #[test]
    fn forwarded_headers() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("10.0.0.2, 10.0.0.3"),
        );
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.append("cookie", HeaderValue::from_static("a=b"));
        h.append("cookie", HeaderValue::from_static("c=d"));
        let out = request_headers(h, "[::ffff:192.0.2.7]:5".parse().unwrap(), false);
        assert_eq!(
            out.get("x-forwarded-for").unwrap(),
            "10.0.0.1, 10.0.0.2, 10.0.0.3, 192.0.2.7"
        );
        assert_eq!(out.get("x-forwarded-proto").unwrap(), "http");
        assert!(out.get("connection").is_none() && out.get("x-private").is_none());
        assert_eq!(out.get_all("cookie").iter().count(), 2);
    }
}
