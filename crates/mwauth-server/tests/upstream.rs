//! mwauth in front of a wiki (`upstream`), over real loopback: a small HTTP server started
//! here stands for the wiki and echoes what it got (method, target, headers, the body's
//! length and hash) and answers big bodies chunked, with two `Set-Cookie` lines; a port
//! with nothing listening is a dead wiki, a listener that never answers a hung one.

mod common;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// FNV-1a over a body, as both ends compute it.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.update(bytes);
    h.0
}

/// The byte at offset `i` of the echo server's big bodies.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// `n` bytes of [`pattern`] in 64 KiB pieces, of unknown length (sent chunked).
struct Pattern {
    at: usize,
    n: usize,
}

impl Body for Pattern {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.at >= self.n {
            return Poll::Ready(None);
        }
        let end = (self.at + 65536).min(self.n);
        let piece: Vec<u8> = (self.at..end).map(pattern).collect();
        self.at = end;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(piece)))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::new()
    }
}

type EchoBody = http_body_util::Either<http_body_util::Full<Bytes>, Pattern>;

/// GET /big?n=N: N bytes of [`pattern`], chunked. Anything else: the request's headers, one
/// `name: value` line each, as the body; its method, target, body length and hash in
/// `X-Echo-*` headers. Always two `Set-Cookie` lines.
async fn echo(req: Request<Incoming>) -> Result<Response<EchoBody>, Infallible> {
    let (parts, mut body) = req.into_parts();
    let mut len = 0usize;
    let mut hash = Fnv::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            len += data.len();
            hash.update(&data);
        }
    }
    let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let body = match target.strip_prefix("/big?n=") {
        Some(n) => EchoBody::Right(Pattern {
            at: 0,
            n: n.parse().unwrap_or(0),
        }),
        None => {
            let mut lines = String::new();
            for (name, value) in &parts.headers {
                lines.push_str(&format!("{}: {}\n", name, value.to_str().unwrap_or("?")));
            }
            EchoBody::Left(http_body_util::Full::new(Bytes::from(lines)))
        }
    };
    let res = Response::builder()
        .status(if target.starts_with("/teapot") {
            418
        } else {
            200
        })
        .header("X-Echo-Method", parts.method.as_str())
        .header("X-Echo-Target", target)
        .header("X-Echo-Length", len.to_string())
        .header("X-Echo-Hash", hash.0.to_string())
        .header("Set-Cookie", "first=1; path=/")
        .header("Set-Cookie", "second=2; path=/; HttpOnly")
        .body(body)
        .unwrap();
    Ok(res)
}

/// The echo server, on a loopback port, for the test's life.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(echo))
                    .await;
            });
        }
    });
    addr
}

/// A wiki that accepts connections and never answers.
async fn hung_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A port nothing listens on.
async fn dead_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

const MAX_BODY: usize = 64 * 1024;

async fn mwauth_before(
    upstream: SocketAddr,
    change: impl FnOnce(&mut FileConfig),
) -> (Spawned, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut file = FileConfig::default();
    file.wiki.wiki_id = "oraclewiki".into();
    file.upstream = Some(format!("http://{upstream}"));
    file.max_body_bytes = MAX_BODY;
    change(&mut file);
    let settings = Settings {
        file,
        data_dir: dir.path().to_path_buf(),
    };
    let server = spawn(&settings).await.expect("server starts");
    (server, dir)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn header<'r>(res: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A native answer: the login token mwauth made, not the echo.
async fn assert_native_tokens(base: &str) {
    let res = client()
        .get(format!(
            "{base}/w/api.php?action=query&meta=tokens&type=login&format=json"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(header(&res, "x-echo-method").is_none());
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(
        v["query"]["tokens"]["logintoken"]
            .as_str()
            .is_some_and(|t| t.ends_with("+\\")),
        "{v}"
    );
}

#[tokio::test]
async fn what_mwauth_does_not_serve_reaches_the_wiki_unchanged() {
    let wiki = echo_server().await;
    let (server, _dir) = mwauth_before(wiki, |_| {}).await;
    let base = format!("http://{}", server.addr);
    let c = client();

    // A GET for load.php: method, target, headers and cookies as sent, X-Forwarded-* added;
    // the answer's status and both Set-Cookie lines as the wiki sent them.
    let res = c
        .get(format!("{base}/w/load.php?modules=startup&only=scripts"))
        .header("Cookie", "oraclewiki_session=abc; other=1")
        .header("X-Custom", "kept")
        .header("X-Forwarded-For", "198.51.100.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "x-echo-method"), Some("GET"));
    assert_eq!(
        header(&res, "x-echo-target"),
        Some("/w/load.php?modules=startup&only=scripts")
    );
    let cookies: Vec<&str> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["first=1; path=/", "second=2; path=/; HttpOnly"]);
    let seen = res.text().await.unwrap();
    for line in [
        "cookie: oraclewiki_session=abc; other=1",
        "x-custom: kept",
        "x-forwarded-for: 198.51.100.9, 127.0.0.1",
        "x-forwarded-proto: http",
        &format!("host: {}", server.addr),
    ] {
        assert!(seen.lines().any(|l| l == line), "{line} in\n{seen}");
    }

    // A status the wiki chose comes back as it is.
    let res = c.get(format!("{base}/teapot")).send().await.unwrap();
    assert_eq!(res.status(), 418);

    // What api.php passes, by its parameters: the query string's and the posted body's.
    for query in [
        "action=query&meta=siteinfo&list=allpages",
        "action=query&meta=tokens&list=allpages",
        "action=paraminfo&modules=edit",
        "",
    ] {
        let res = c
            .get(format!("{base}/w/api.php?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(header(&res, "x-echo-method"), Some("GET"), "{query}");
    }
    let form = "action=edit&title=Sandbox&text=hello&token=%2B%5C";
    let res = c
        .post(format!("{base}/w/api.php"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-echo-method"), Some("POST"));
    assert_eq!(
        header(&res, "x-echo-length"),
        Some(&*form.len().to_string())
    );
    assert_eq!(
        header(&res, "x-echo-hash"),
        Some(&*fnv(form.as_bytes()).to_string())
    );
    // The body's action wins over the query string's: this one is mwauth's.
    let res = c
        .post(format!("{base}/w/api.php?action=edit"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("action=query&meta=tokens&type=login&format=json")
        .send()
        .await
        .unwrap();
    assert!(header(&res, "x-echo-method").is_none());
    assert!(res.text().await.unwrap().contains("logintoken"));

    // The wiki's own special pages (no native_pages), index.php, rest.php.
    for path in [
        "/w/index.php?title=Special:UserLogin",
        "/wiki/Special:CreateAccount",
        "/w/index.php?title=Main_Page",
        "/w/rest.php/v1/page/Main_Page",
    ] {
        let res = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(header(&res, "x-echo-target"), Some(path), "{path}");
    }
    assert_native_tokens(&base).await;
    server.stop().await;
}

#[tokio::test]
async fn big_bodies_stream_both_ways() {
    let wiki = echo_server().await;
    let (server, _dir) = mwauth_before(wiki, |_| {}).await;
    let base = format!("http://{}", server.addr);
    let c = client();

    // An upload far over max_body_bytes, with its length declared: passed, not refused.
    let upload: Vec<u8> = (0..5_000_000).map(|i| (i * 7 % 256) as u8).collect();
    let res = c
        .post(format!("{base}/w/api.php?action=upload"))
        .header("Content-Type", "multipart/form-data; boundary=x")
        .body(upload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "x-echo-length"), Some("5000000"));
    assert_eq!(
        header(&res, "x-echo-hash"),
        Some(&*fnv(&upload).to_string())
    );

    // A download of 20 MB, chunked.
    let n = 20_000_000;
    let res = c.get(format!("{base}/big?n={n}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let got = res.bytes().await.unwrap();
    assert_eq!(got.len(), n);
    let expected: Vec<u8> = (0..n).map(pattern).collect();
    assert!(got[..] == expected[..], "the download differs");

    // A chunked upload over max_body_bytes: what was read to decide, then the rest.
    let body: Vec<u8> = (0..300_000).map(|i| b"abcdefghij"[i % 10]).collect();
    let mut raw = b"POST /w/api.php HTTP/1.1\r\nHost: wiki\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
        .to_vec();
    for piece in body.chunks(10_000) {
        raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&raw).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(answer.contains("x-echo-length: 300000\r\n"), "{answer}");
    assert!(
        answer.contains(&format!("x-echo-hash: {}\r\n", fnv(&body))),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_dead_wiki_is_502_and_mwauth_still_answers() {
    let (server, _dir) = mwauth_before(dead_port().await, |f| {
        f.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let base = format!("http://{}", server.addr);
    let started = Instant::now();
    let res = client()
        .get(format!("{base}/w/index.php?title=Main_Page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_native_tokens(&base).await;
    let metrics = client()
        .get(format!("http://{}/metrics", server.metrics_addr.unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "mwauth_upstream_responses_total{status=\"502\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l == "mwauth_upstream_duration_seconds_count 1"),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_hung_wiki_is_504_within_the_timeout_and_mwauth_still_answers() {
    let (server, _dir) = mwauth_before(hung_server().await, |f| f.upstream_timeout = 1).await;
    let base = format!("http://{}", server.addr);
    let started = Instant::now();
    let hung = tokio::spawn(
        client()
            .get(format!("{base}/w/api.php?action=query&list=allpages"))
            .send(),
    );
    // mwauth's own modules answer while that request waits.
    assert_native_tokens(&base).await;
    let res = hung.await.unwrap().unwrap();
    assert_eq!(res.status(), 504);
    assert!(started.elapsed() < Duration::from_secs(10));
    server.stop().await;
}

#[tokio::test]
async fn native_pages_keeps_mwauths_special_pages() {
    let wiki = echo_server().await;
    let (server, _dir) = mwauth_before(wiki, |f| f.native_pages = true).await;
    let base = format!("http://{}", server.addr);
    let res = client()
        .get(format!("{base}/w/index.php?title=Special:UserLogin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(header(&res, "x-echo-method").is_none());
    assert!(res.text().await.unwrap().contains("wpName"));
    let res = client()
        .get(format!("{base}/wiki/Main_Page"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-echo-target"), Some("/wiki/Main_Page"));
    server.stop().await;
}
