//! A minimal HTTP/1.1 keep-alive client over one TcpStream: what the scenarios need and no
//! more (GET and form POST, `Content-Length`, chunked and read-to-close bodies, `Set-Cookie`,
//! `Connection: close`). Hand-written rather than hyper's client so that the load generator,
//! which shares the machine's two cores with the server, spends as little as possible per
//! request: one write and usually one read, buffers reused.

use anyhow::{bail, Context as _};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Where requests go: a loopback address and the api.php path.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// The `Host` header.
    pub host: String,
    /// Path of api.php, e.g. `/w/api.php`.
    pub path: String,
}

impl Endpoint {
    /// Parses `http://HOST[:PORT]/PATH`. Only loopback targets are accepted: this tool floods
    /// what it points at, and nothing of ours lives anywhere else.
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("{url}: only http:// URLs are supported");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let with_port = if authority.rsplit_once(':').is_some_and(|(_, p)| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !authority.ends_with(']')
        }) {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addrs: Vec<SocketAddr> = with_port
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {authority}"))?
            .collect();
        if addrs.is_empty() {
            bail!("{authority} resolves to no address");
        }
        if let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            bail!(
                "refusing non-loopback target {url} ({}): only 127.0.0.0/8 and ::1 may be loaded",
                a.ip()
            );
        }
        let addr = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .copied()
            .unwrap_or(addrs[0]);
        Ok(Endpoint {
            addr,
            host: authority.to_string(),
            path: path.split('?').next().unwrap_or("/").to_string(),
        })
    }

    pub fn from_addr(addr: SocketAddr, path: &str) -> anyhow::Result<Endpoint> {
        if !addr.ip().is_loopback() {
            bail!("refusing non-loopback target {addr}");
        }
        Ok(Endpoint {
            addr,
            host: addr.to_string(),
            path: path.to_string(),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}{}", self.host, self.path)
    }
}

/// One response: status, body, and the `Set-Cookie` lines when the caller asked for them.
#[derive(Debug, Default)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub set_cookies: Vec<String>,
}

impl Response {
    pub fn body_contains(&self, needle: &str) -> bool {
        contains(&self.body, needle.as_bytes())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    // memmem rather than comparing every window: the load generator checks every answer,
    // and a naive search cost it more per request for a real body than the baseline's
    // whole answer.
    memchr::memmem::find(hay, needle).is_some()
}

/// Cookies of one virtual user, sent back as a browser would (names are not interpreted, so
/// any wiki's cookie prefix works).
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Applies one `Set-Cookie` line: a cleared cookie (`Max-Age=0` or the value `deleted`)
    /// is removed, any other replaces the one of the same name.
    pub fn store(&mut self, line: &str) {
        let mut parts = line.split(';');
        let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        let cleared =
            value == "deleted" || parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
        self.cookies.retain(|(n, _)| n != name);
        if !cleared {
            self.cookies.push((name.to_string(), value.to_string()));
        }
    }

    pub fn store_all(&mut self, lines: &[String]) {
        for l in lines {
            self.store(l);
        }
    }

    /// Keeps only the cookies whose name passes `keep`.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.cookies.retain(|(n, _)| keep(n));
    }

    fn write_header(&self, out: &mut Vec<u8>) {
        if self.cookies.is_empty() {
            return;
        }
        out.extend_from_slice(b"Cookie: ");
        for (i, (n, v)) in self.cookies.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(n.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// One keep-alive connection; reconnects by itself when the server closes it.
pub struct Conn {
    ep: Arc<Endpoint>,
    /// Loopback source address to bind (IPv4 targets only).
    source: Option<Ipv4Addr>,
    stream: Option<TcpStream>,
    rbuf: Vec<u8>,
    rlen: usize,
    wbuf: Vec<u8>,
    /// Requests answered on the current stream.
    served: u64,
    /// Connections opened after the first.
    pub reconnects: u64,
    opened: bool,
}

const READ_CHUNK: usize = 16 * 1024;

impl Conn {
    pub fn new(ep: Arc<Endpoint>, source: Option<Ipv4Addr>) -> Conn {
        Conn {
            ep,
            source,
            stream: None,
            rbuf: vec![0; READ_CHUNK],
            rlen: 0,
            wbuf: Vec::with_capacity(1024),
            served: 0,
            reconnects: 0,
            opened: false,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.ep
    }

    /// `GET path?query`.
    pub async fn get(&mut self, query: &str, jar: Option<&CookieJar>) -> io::Result<Response> {
        self.request("GET", query, None, jar).await
    }

    /// `POST path?query` with a form body.
    pub async fn post(
        &mut self,
        query: &str,
        form: &str,
        jar: Option<&CookieJar>,
    ) -> io::Result<Response> {
        self.request("POST", query, Some(form.as_bytes()), jar)
            .await
    }

    pub async fn request(
        &mut self,
        method: &str,
        query: &str,
        body: Option<&[u8]>,
        jar: Option<&CookieJar>,
    ) -> io::Result<Response> {
        self.build(method, query, body, jar);
        let want_cookies = jar.is_some();
        for attempt in 0..2 {
            if self.stream.is_none() {
                let s = self.connect().await?;
                s.set_nodelay(true)?;
                self.stream = Some(s);
                if self.opened {
                    self.reconnects += 1;
                }
                self.opened = true;
                self.served = 0;
                self.rlen = 0;
            }
            let reused = self.served > 0;
            match self.round_trip(want_cookies).await {
                Ok((resp, close)) => {
                    self.served += 1;
                    if close {
                        self.stream = None;
                    }
                    return Ok(resp);
                }
                // A keep-alive connection the server closed while idle: the request was not
                // read, so sending it again on a new connection is safe.
                Err(e) if reused && attempt == 0 && is_stale(&e) => {
                    self.stream = None;
                }
                Err(e) => {
                    self.stream = None;
                    return Err(e);
                }
            }
        }
        Err(io::Error::other("unreachable retry"))
    }

    async fn connect(&self) -> io::Result<TcpStream> {
        match (self.source, self.ep.addr) {
            (Some(src), SocketAddr::V4(_)) => {
                let sock = TcpSocket::new_v4()?;
                sock.bind(SocketAddr::from((src, 0)))?;
                sock.connect(self.ep.addr).await
            }
            _ => TcpStream::connect(self.ep.addr).await,
        }
    }

    fn build(&mut self, method: &str, query: &str, body: Option<&[u8]>, jar: Option<&CookieJar>) {
        let w = &mut self.wbuf;
        w.clear();
        w.extend_from_slice(method.as_bytes());
        w.push(b' ');
        w.extend_from_slice(self.ep.path.as_bytes());
        if !query.is_empty() {
            w.push(b'?');
            w.extend_from_slice(query.as_bytes());
        }
        w.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        w.extend_from_slice(self.ep.host.as_bytes());
        w.extend_from_slice(b"\r\nUser-Agent: mwauth-bench\r\n");
        if let Some(j) = jar {
            j.write_header(w);
        }
        if let Some(b) = body {
            w.extend_from_slice(b"Content-Type: application/x-www-form-urlencoded\r\n");
            w.extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
            w.extend_from_slice(b);
        } else {
            w.extend_from_slice(b"\r\n");
        }
    }

    async fn fill(&mut self) -> io::Result<usize> {
        if self.rlen == self.rbuf.len() {
            self.rbuf.resize(self.rbuf.len() * 2, 0);
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::other("no connection"))?;
        let n = stream.read(&mut self.rbuf[self.rlen..]).await?;
        self.rlen += n;
        Ok(n)
    }

    /// Reads until at least `n` bytes are buffered.
    async fn fill_to(&mut self, n: usize) -> io::Result<()> {
        while self.rlen < n {
            if self.rbuf.len() < n {
                self.rbuf.resize(n.next_power_of_two(), 0);
            }
            if self.fill().await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed mid-response",
                ));
            }
        }
        Ok(())
    }

    async fn round_trip(&mut self, want_cookies: bool) -> io::Result<(Response, bool)> {
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::other("no connection"))?;
        stream.write_all(&self.wbuf).await?;
        self.rlen = 0;
        let head = loop {
            if let Some(h) = parse_head(&self.rbuf[..self.rlen], want_cookies)? {
                break h;
            }
            if self.fill().await? == 0 {
                let kind = if self.rlen == 0 {
                    io::ErrorKind::ConnectionAborted
                } else {
                    io::ErrorKind::UnexpectedEof
                };
                return Err(io::Error::new(
                    kind,
                    "connection closed before the response",
                ));
            }
        };
        let mut resp = Response {
            status: head.status,
            body: Vec::new(),
            set_cookies: head.set_cookies,
        };
        let mut close = head.close;
        if head.chunked {
            resp.body = self.read_chunked(head.len).await?;
        } else if let Some(n) = head.content_length {
            self.fill_to(head.len + n).await?;
            resp.body = self.rbuf[head.len..head.len + n].to_vec();
        } else if head.status == 204 || head.status == 304 {
        } else {
            while self.fill().await? > 0 {}
            resp.body = self.rbuf[head.len..self.rlen].to_vec();
            close = true;
        }
        Ok((resp, close))
    }

    async fn read_chunked(&mut self, mut pos: usize) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find_crlf(&self.rbuf[pos..self.rlen]) {
                    break pos + i;
                }
                if self.fill().await? == 0 {
                    return Err(eof());
                }
            };
            let line = std::str::from_utf8(&self.rbuf[pos..line_end]).unwrap_or("");
            let size_hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            pos = line_end + 2;
            if size == 0 {
                // Trailers (none expected), then the empty line.
                loop {
                    let end = loop {
                        if let Some(i) = find_crlf(&self.rbuf[pos..self.rlen]) {
                            break pos + i;
                        }
                        if self.fill().await? == 0 {
                            return Err(eof());
                        }
                    };
                    let empty = end == pos;
                    pos = end + 2;
                    if empty {
                        return Ok(body);
                    }
                }
            }
            self.fill_to(pos + size + 2).await?;
            body.extend_from_slice(&self.rbuf[pos..pos + size]);
            pos += size + 2;
        }
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed mid-body")
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

fn is_stale(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
    )
}

struct Head {
    len: usize,
    status: u16,
    content_length: Option<usize>,
    chunked: bool,
    close: bool,
    set_cookies: Vec<String>,
}

fn parse_head(buf: &[u8], want_cookies: bool) -> io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; 48];
    let mut r = httparse::Response::new(&mut headers);
    let len = match r.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
    };
    let mut head = Head {
        len,
        status: r.code.unwrap_or(0),
        content_length: None,
        chunked: false,
        close: r.version == Some(0),
        set_cookies: Vec::new(),
    };
    for h in r.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok());
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = contains(&h.value.to_ascii_lowercase(), b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = h.value.to_ascii_lowercase();
            if contains(&v, b"close") {
                head.close = true;
            } else if contains(&v, b"keep-alive") {
                head.close = false;
            }
        } else if want_cookies && name.eq_ignore_ascii_case("set-cookie") {
            head.set_cookies
                .push(String::from_utf8_lossy(h.value).into_owned());
        }
    }
    Ok(Some(head))
}

/// The string value of `"key":"…"` in a JSON body (JSON escapes undone), e.g. a token.
pub fn json_string(body: &[u8], key: &str) -> Option<String> {
    let pat = format!("\"{key}\":\"");
    let start = body.windows(pat.len()).position(|w| w == pat.as_bytes())? + pat.len();
    let mut out = Vec::new();
    let mut i = start;
    while i < body.len() {
        match body[i] {
            b'"' => return String::from_utf8(out).ok(),
            b'\\' if i + 1 < body.len() => {
                out.push(match body[i + 1] {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    c => c,
                });
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}

/// `application/x-www-form-urlencoded` pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_loopback_targets() {
        assert!(Endpoint::parse("http://127.0.0.1:8280/w/api.php").is_ok());
        assert!(Endpoint::parse("http://localhost:8080/w/api.php").is_ok());
        assert!(Endpoint::parse("http://[::1]:8080/api.php").is_ok());
        assert!(Endpoint::parse("http://10.0.0.1:8080/w/api.php").is_err());
        assert!(Endpoint::parse("http://192.168.1.2/w/api.php").is_err());
        assert!(Endpoint::parse("https://127.0.0.1/w/api.php").is_err());
        let ep = Endpoint::parse("http://127.0.0.1:8280/w/api.php?x=1").unwrap();
        assert_eq!((ep.addr.port(), ep.path.as_str()), (8280, "/w/api.php"));
    }

    #[test]
    fn jar_replaces_and_clears_cookies() {
        let mut jar = CookieJar::default();
        jar.store("w_session=abc; path=/; HttpOnly");
        jar.store("wUserID=3; expires=Mon, 24 May 2027 21:44:47 GMT; Max-Age=15552000; path=/");
        jar.store("w_session=def; path=/");
        assert_eq!(jar.get("w_session"), Some("def"));
        jar.store("wUserID=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/");
        assert_eq!(jar.get("wUserID"), None);
        let mut out = Vec::new();
        jar.write_header(&mut out);
        assert_eq!(out, b"Cookie: w_session=def\r\n");
    }

    #[test]
    fn reads_tokens_from_json() {
        let body = br#"{"batchcomplete":"","query":{"tokens":{"logintoken":"8afb+\\"}}}"#;
        assert_eq!(json_string(body, "logintoken").as_deref(), Some("8afb+\\"));
        assert_eq!(json_string(body, "csrftoken"), None);
        assert_eq!(form(&[("token", "ab+\\")]), "token=ab%2B%5C");
    }
}
