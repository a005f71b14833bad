//! One client connection. The requests every client sends — HTTP/1.1 keep-alive GET or
//! POST, with a `Content-Length` body or none — are parsed (httparse), answered and written
//! here: pipelined requests are answered in one write, and a request costs one read and one
//! write. The first request that is anything else (HEAD, OPTIONS, a chunked body, `Expect`,
//! `Upgrade`, `Connection: close`, HTTP/1.0, a body over 64 KiB (it needs room in the
//! [`crate::body_budget`]), a head that does not parse) and the rest of the connection go to
//! hyper, which reads the same bytes from the start of that request: its answers to all of
//! those (413, 503, 400, 431, `100 Continue`, the end of the connection) are what they always
//! were.
//!
//! With an `upstream`, the first request that passes to it (crate::upstream::passes) goes
//! to hyper in the same way, with the rest of the connection.
//!
//! Why not hyper for everything: building its header maps and reading them back, its
//! service future and its buffers were about a quarter of the server's CPU for a logged-in
//! `meta=tokens` (bench/REPORT.md, item 19).

use crate::adapter::{self, AppState, Head};
use crate::body_budget::UNCOUNTED_BODY_BYTES;
use mwauth::request::ApiResponse;
use std::borrow::Cow;
use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, Interest, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// Most header lines a request served here may have; one with more goes to hyper (which
/// takes up to 100).
const MAX_HEADERS: usize = 64;
/// Longest request head read here; a longer one goes to hyper (which refuses it: 431).
const MAX_HEAD: usize = 16 * 1024;
/// Room made in the read buffer before each read.
const READ_SIZE: usize = 8 * 1024;

/// What the bytes at the start of the read buffer are.
enum Next<'b> {
    /// A whole request served here: its head, its head's and its body's lengths.
    Serve {
        head: Head<'b>,
        head_len: usize,
        body_len: usize,
    },
    /// The start of one: more bytes are needed, of its head or (`head_read`) of its body.
    Partial { head_read: bool },
    /// Something for hyper.
    Hyper,
}

/// Why the requests read so far stopped being answered.
enum Stop {
    /// All served; what is left is the start of the next request, if anything.
    NeedMore,
    /// The last answer closes the connection.
    Close,
    /// The next request goes to hyper.
    Hyper,
}

/// Serves the connection until the client closes it, it falls idle, the server stops, or
/// a request goes to hyper (which then serves the rest).
pub async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    state: Arc<AppState>,
    stopping: watch::Receiver<bool>,
) {
    let idle_timeout = state.idle_timeout;
    // One wait for the server's stop for the connection's life: a new `changed()` future
    // for every read registered and dropped a waiter each time.
    let mut stop_seen = stopping.clone();
    let stop = async move {
        let _ = stop_seen.wait_for(|stopped| *stopped).await;
    };
    tokio::pin!(stop);
    let mut stopped = *stopping.borrow();
    let mut input: Vec<u8> = Vec::with_capacity(READ_SIZE);
    let mut output: Vec<u8> = Vec::with_capacity(1024);
    // The idle watchdog: one timer for the connection's life (see crate::fallback::watch_idle). A
    // request counts as begun once its head is read; a body must then arrive within
    // `idle_timeout` (`body_due`), or it is answered 408 and the connection closed.
    let mut tick = tokio::time::interval_at(Instant::now() + idle_timeout, idle_timeout);
    // The timer is not polled while a request is answered: ticks missed meanwhile come as
    // one, then a whole interval later (a burst would close the connection at once after
    // an answer that took two intervals).
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut begun: u64 = 0;
    let mut seen: u64 = 0;
    let mut body_due: Option<Instant> = None;
    loop {
        // Answer every whole request read so far.
        let mut used = 0;
        let ended = loop {
            let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let (head, head_len, body_len) =
                match parse(&input[used..], &mut lines, state.max_body_bytes) {
                    Next::Serve {
                        head,
                        head_len,
                        body_len,
                    } => (head, head_len, body_len),
                    Next::Partial { head_read } => {
                        if head_read && body_due.is_none() {
                            begun += 1;
                            body_due = Some(Instant::now() + idle_timeout);
                        }
                        break Stop::NeedMore;
                    }
                    Next::Hyper => break Stop::Hyper,
                };
            // With an upstream, a request that passes goes to hyper with the rest of the
            // connection: the pass-through streams on that path (crate::upstream).
            if state.upstream.is_some() {
                let body = &input[used + head_len..used + head_len + body_len];
                if adapter::passes(&state, &head, body).await {
                    break Stop::Hyper;
                }
            }
            if body_due.take().is_none() {
                begun += 1;
            }
            let body = &input[used + head_len..used + head_len + body_len];
            let res = adapter::respond(&state, peer, &head, body).await;
            adapter::count_response(&state, &res);
            used += head_len + body_len;
            if write_response(&mut output, &res) {
                break Stop::Close;
            }
        };
        if !output.is_empty() {
            if !write_out(&mut stream, &output, &mut tick).await {
                return;
            }
            output.clear();
        }
        if let Stop::Close = ended {
            let _ = stream.shutdown().await;
            return;
        }
        input.drain(..used);
        if let Stop::Hyper = ended {
            let io = Rewind {
                unread: input,
                at: 0,
                inner: stream,
            };
            crate::fallback::serve(io, peer, state, stopping).await;
            return;
        }
        // Stopping: a connection with no request under way ends now.
        if stopped && input.is_empty() {
            return;
        }
        if input.capacity() - input.len() < READ_SIZE / 2 {
            input.reserve(READ_SIZE);
        }
        tokio::select! {
            // The read first: the other branches fire a few times in a connection's life.
            biased;
            read = read_some(&stream, &mut input) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = tick.tick() => {
                if body_due.is_none() && begun == seen {
                    return;
                }
                seen = begun;
            }
            _ = sleep_until(body_due) => {
                let mut output = Vec::new();
                let res = adapter::request_timeout();
                adapter::count_response(&state, &res);
                write_response(&mut output, &res);
                if write_out(&mut stream, &output, &mut tick).await {
                    let _ = stream.shutdown().await;
                }
                return;
            }
            _ = &mut stop, if !stopped => {
                stopped = true;
                if input.is_empty() {
                    return;
                }
            }
        }
    }
}

/// Writes `bytes`; false when the connection failed, or when a client that does not read
/// its answers kept the write from finishing for two ticks of the idle watchdog (between one
/// and two `idle_timeout`s): it would otherwise hold the task and the socket for ever, as a
/// hyper connection's watchdog would not let it.
async fn write_out(stream: &mut TcpStream, bytes: &[u8], tick: &mut tokio::time::Interval) -> bool {
    let write = stream.write_all(bytes);
    tokio::pin!(write);
    let mut ticks = 0;
    loop {
        tokio::select! {
            biased;
            written = &mut write => return written.is_ok(),
            _ = tick.tick() => {
                ticks += 1;
                if ticks == 2 {
                    return false;
                }
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Reads what the socket has into the spare room of `input`. After a read that did not
/// fill the room, the socket is known to be drained, so its readiness is cleared there and
/// then: the next wait goes straight to the poller instead of first trying a read that
/// would only say "nothing yet" (one system call less per request). The readiness cleared
/// is the one seen before the read, so data that arrived after it is never missed.
async fn read_some(stream: &TcpStream, input: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        stream.readable().await?;
        let room = input.capacity() - input.len();
        let mut got = None;
        let result = stream.try_io(Interest::READABLE, || {
            let n = stream.try_read_buf(input)?;
            got = Some(n);
            if n > 0 && n < room {
                Err(io::ErrorKind::WouldBlock.into())
            } else {
                Ok(n)
            }
        });
        match (result, got) {
            (_, Some(n)) => return Ok(n),
            (Err(e), None) if e.kind() == io::ErrorKind::WouldBlock => continue,
            (Err(e), None) => return Err(e),
            (Ok(n), None) => return Ok(n),
        }
    }
}

/// Reads the request at the start of `buf`: whether it is one to serve here, and its head.
fn parse<'b>(
    buf: &'b [u8],
    lines: &'b mut [httparse::Header<'b>; MAX_HEADERS],
    max_body: usize,
) -> Next<'b> {
    if buf.is_empty() {
        return Next::Partial { head_read: false };
    }
    let mut req = httparse::Request::new(lines);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => {
            return Next::Partial { head_read: false }
        }
        _ => return Next::Hyper,
    };
    let (Some(method), Some(target), Some(1)) = (req.method, req.path, req.version) else {
        return Next::Hyper;
    };
    if (method != "GET" && method != "POST") || !target.starts_with('/') {
        return Next::Hyper;
    }
    let mut body_len = None;
    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            match (body_len, decimal(h.value)) {
                (None, Some(n)) if n <= max_body.min(UNCOUNTED_BODY_BYTES) => body_len = Some(n),
                // Repeated, not a number, over the limit (hyper answers 413), or large
                // enough to need room in the body budget (crate::body_budget).
                _ => return Next::Hyper,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"expect")
            || name.eq_ignore_ascii_case(b"upgrade")
            || (name.eq_ignore_ascii_case(b"connection")
                && !h.value.eq_ignore_ascii_case(b"keep-alive"))
        {
            return Next::Hyper;
        }
    }
    let body_len = body_len.unwrap_or(0);
    if buf.len() - head_len < body_len {
        return Next::Partial { head_read: true };
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let head = Head {
        method,
        minor: 1,
        path,
        query,
        headers: req.headers,
    };
    Next::Serve {
        head,
        head_len,
        body_len,
    }
}

/// A `Content-Length` value: digits only, as hyper reads it.
fn decimal(v: &[u8]) -> Option<usize> {
    if v.is_empty() || v.len() > 15 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
}

/// Appends the answer as hyper would write it (its header names as MediaWiki spells them,
/// then `Content-Length` and `Date`); returns whether the connection is to close after
/// it. A header line hyper would refuse (a name that is not a token, a control character
/// in a value) is left out, as `crate::fallback::to_http` leaves it out.
fn write_response(out: &mut Vec<u8>, res: &ApiResponse) -> bool {
    if res.status == 200 {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    } else {
        let status = hyper::StatusCode::from_u16(res.status).unwrap_or(hyper::StatusCode::OK);
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(status.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(status.canonical_reason().unwrap_or("<none>").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let mut close = false;
    for (name, value) in &res.headers {
        // Fixed texts are written as they are; made ones (cookies, lengths) are checked.
        let fixed = matches!(name, Cow::Borrowed(_)) && matches!(value, Cow::Borrowed(_));
        debug_assert!(!fixed || (is_token(name) && is_field_value(value)));
        let valid = fixed || (is_token(name) && is_field_value(value));
        if !valid {
            continue;
        }
        if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            close = true;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(itoa::Buffer::new().format(res.body.len()).as_bytes());
    out.extend_from_slice(b"\r\nDate: ");
    with_date(|date| out.extend_from_slice(date));
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&res.body);
    close
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What `HeaderValue::from_str` takes: any byte from space up but DEL (so UTF-8 too), and tabs.
fn is_field_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (b >= 0x20 && b != 0x7f) || b == b'\t')
}

thread_local! {
    /// This second's `Date` value, made once a second per thread (as hyper keeps it).
    static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

fn with_date(f: impl FnOnce(&[u8])) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with(|cell| {
        let mut date = cell.borrow_mut();
        if date.0 != secs {
            *date = (secs, httpdate::fmt_http_date(now));
        }
        f(date.1.as_bytes());
    });
}

/// The connection handed to hyper: the bytes read but not served come first.
struct Rewind {
    unread: Vec<u8>,
    at: usize,
    inner: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at < this.unread.len() {
            let n = (this.unread.len() - this.at).min(buf.remaining());
            buf.put_slice(&this.unread[this.at..this.at + n]);
            this.at += n;
            if this.at == this.unread.len() {
                this.unread = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the bytes, `parse` neither panics nor claims more bytes than it was given,
    /// and it serves a request only when its whole body is there: valid requests cut at
    /// every length, then a few thousand mutations of them (a small xorshift generator,
    /// the same every run).
    #[test]
    fn parse_never_panics_nor_reads_past_what_it_has() {
        let valid: [&[u8]; 4] = [
            b"GET /w/api.php?action=query&meta=tokens HTTP/1.1\r\nHost: x\r\nCookie: a=b\r\n\r\n",
            b"POST /w/api.php HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\naction=help",
            b"POST /w/api.php HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n",
        ];
        let check = |buf: &[u8]| {
            let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
            if let Next::Serve {
                head_len, body_len, ..
            } = parse(buf, &mut lines, 100)
            {
                assert!(head_len + body_len <= buf.len(), "{buf:?}");
            }
        };
        for request in valid {
            for cut in 0..=request.len() {
                check(&request[..cut]);
            }
        }
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let interesting = b"\r\n:; 0123456789-abcxyzABC/?%\x00\xff\t";
        for round in 0..20_000 {
            let mut buf = valid[round % valid.len()].to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (buf.len() + 1);
                let byte = interesting[(next() as usize) % interesting.len()];
                match next() % 3 {
                    0 if at < buf.len() => buf[at] = byte,
                    1 => buf.insert(at, byte),
                    _ if at < buf.len() => {
                        buf.remove(at);
                    }
                    _ => {}
                }
            }
            check(&buf);
            check(&buf[..(next() as usize) % (buf.len() + 1)]);
        }
    }

    /// A made header whose name or value could end the line early is left out, as hyper
    /// leaves it out; the status line, the fixed headers, the length and the body stay.
    #[test]
    fn a_header_that_would_split_the_answer_is_left_out() {
        let res = ApiResponse {
            status: 404,
            headers: vec![
                (Cow::Borrowed("Content-Type"), Cow::Borrowed("text/plain")),
                (
                    Cow::Borrowed("Set-Cookie"),
                    Cow::Owned("a=b\r\nX-Injected: 1".to_string()),
                ),
                (Cow::Owned("Bad Name".to_string()), Cow::Borrowed("x")),
                (Cow::Borrowed("Set-Cookie"), Cow::Owned("c=d".to_string())),
            ],
            body: b"nope".to_vec(),
            ran: Default::default(),
        };
        let mut out = Vec::new();
        assert!(!write_response(&mut out, &res));
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let lines: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(
            lines[..4],
            [
                "HTTP/1.1 404 Not Found",
                "Content-Type: text/plain",
                "Set-Cookie: c=d",
                "Content-Length: 4"
            ]
        );
        assert!(lines[4].starts_with("Date: ") && lines[4].ends_with(" GMT"));
        assert_eq!(lines.len(), 5);
        assert_eq!(body, "nope");
    }
}
