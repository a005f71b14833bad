//! Log lines leave the request path: a line is appended to one shared buffer (a lock held
//! for a copy of a hundred bytes, no allocation, no wake-up), and a thread writes whatever
//! has gathered to stderr every few milliseconds in one write, so a slow terminal or pipe
//! never holds a request up. When more than [`MAX_PENDING`] bytes wait, further lines are
//! counted and dropped (the count is written once the writer catches up) instead of
//! blocking the server or growing without bound.
//!
//! The per-request line ([`request`]) is formatted here directly: through tracing's event
//! machinery it cost about a fifth of a logged-in `meta=tokens` request (measured with
//! `mwauth-bench`, `MWAUTH_LOG=info` against `warn`); other events go through tracing and
//! [`LineFormat`] and end in the same buffer.

use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Most bytes waiting for the writer thread.
const MAX_PENDING: usize = 4 << 20;

/// How often the writer thread looks for new lines.
const POLL: Duration = Duration::from_millis(5);

/// Lines handed over and not yet written.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Held by whoever writes to stderr, from taking the pending lines to writing them, so that
/// the writer thread and [`drain`] never write batches out of order.
static WRITING: Mutex<()> = Mutex::new(());
/// Lines dropped because too many bytes were waiting.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Whether the writer thread runs; without it, lines are written directly.
static WRITER: AtomicBool = AtomicBool::new(false);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain bytes: a panic while holding the lock cannot leave them torn.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the writer thread (once; later calls do nothing).
pub fn start_writer() {
    if WRITER.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("mwauth-log".into())
        .spawn(|| {
            let mut spare = Vec::new();
            loop {
                // Polling instead of waiting on a condition: waking a waiting thread would cost
                // a context switch per request; a look every few milliseconds costs nothing
                // under load and little when idle.
                std::thread::sleep(POLL);
                write_pending(&mut spare);
            }
        });
    if let Err(e) = spawned {
        WRITER.store(false, Ordering::Release);
        eprintln!("mwauth: cannot start the log thread: {e}");
    }
}

/// Hands one line (with its newline) to the writer.
pub fn push(line: &[u8]) {
    if !WRITER.load(Ordering::Acquire) {
        let _ = std::io::stderr().write_all(line);
        return;
    }
    let mut pending = lock(&PENDING);
    if pending.len() + line.len() > MAX_PENDING {
        drop(pending);
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    pending.extend_from_slice(line);
}

/// Writes every line handed over so far; `spare` is an empty buffer to swap in (its
/// capacity is reused).
fn write_pending(spare: &mut Vec<u8>) {
    let _writing = lock(&WRITING);
    std::mem::swap(&mut *lock(&PENDING), spare);
    let lost = DROPPED.swap(0, Ordering::Relaxed);
    if spare.is_empty() && lost == 0 {
        return;
    }
    // Not `stderr().lock()` held for ever: the handle locks only while it writes a batch,
    // so `eprintln!` elsewhere (an error at exit, a panic message) is never blocked.
    let mut err = std::io::stderr();
    let _ = err.write_all(spare);
    if lost > 0 {
        let _ = writeln!(err, "mwauth: {lost} log lines dropped (stderr too slow)");
    }
    spare.clear();
}

/// Waits until the writer thread has written every line handed over so far, at most a
/// second: call before the process exits. It never writes itself, so a stderr that blocks
/// (a pipe nobody reads) cannot keep the process from exiting.
pub fn drain() {
    if !WRITER.load(Ordering::Acquire) {
        return;
    }
    let until = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        // Nothing waiting, nothing being written (the writer holds WRITING from taking the
        // lines until they are out), no drop count to report.
        let done = lock(&PENDING).is_empty()
            && DROPPED.load(Ordering::Relaxed) == 0
            && WRITING.try_lock().is_ok();
        if done || std::time::Instant::now() >= until {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One answered request, as its log line tells it.
pub struct RequestLine<'a> {
    /// `request` (api.php), `page` (index.php) or `upstream` (passed to the wiki).
    pub what: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    /// The API module that ran (api.php only; `-` when none did), as the core reports it.
    pub action: Option<&'a str>,
    pub status: u16,
    pub client: IpAddr,
    pub micros: u64,
}

/// Logs one answered request:
/// `2026-11-26T00:25:47.694102Z  INFO request method=GET path=/w/api.php action=query
/// status=200 client=127.0.0.1 micros=85` (`page` and no `action` for index.php), the
/// layout of [`LineFormat`].
pub fn request(r: &RequestLine<'_>) {
    if !WRITER.load(Ordering::Acquire) {
        // Not `serve`'s logging (a test's or an embedder's subscriber): an ordinary event.
        tracing::info!(
            target: "mwauth_server::adapter",
            method = r.method,
            path = r.path,
            action = r.action,
            status = r.status,
            client = %r.client,
            micros = r.micros,
            "{}",
            r.what
        );
        return;
    }
    SCRATCH.with(|scratch| {
        let mut line = scratch.borrow_mut();
        line.clear();
        timestamp(&mut line);
        r.write_fields(&mut line);
        push(&line);
    });
}

impl RequestLine<'_> {
    /// What follows the date in the line.
    fn write_fields(&self, line: &mut Vec<u8>) {
        let RequestLine {
            what,
            method,
            path,
            action,
            status,
            client,
            micros,
        } = self;
        // Pieces appended one by one: `write!` with its formatting machinery was half of
        // this line's cost, on every request.
        for piece in ["  INFO ", what, " method=", method, " path=", path] {
            line.extend_from_slice(piece.as_bytes());
        }
        match action {
            // The action is the client's text: quoted and escaped when it holds a space or a
            // control character, so that no request can write a line of its own.
            Some(a) if a.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                let _ = write!(line, " action={a:?}");
            }
            Some(a) => {
                line.extend_from_slice(b" action=");
                line.extend_from_slice(a.as_bytes());
            }
            None => {}
        }
        line.extend_from_slice(b" status=");
        push_decimal(line, u64::from(*status), 1);
        line.extend_from_slice(b" client=");
        match client {
            // Four numbers, without Display's formatting machinery.
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        line.push(b'.');
                    }
                    push_decimal(line, u64::from(octet), 1);
                }
            }
            IpAddr::V6(_) => {
                let _ = write!(line, "{client}");
            }
        }
        line.extend_from_slice(b" micros=");
        push_decimal(line, *micros, 1);
        line.push(b'\n');
    }
}

/// `2026-11-26T00:25:47.694102Z`, the date part computed once a second per thread.
fn timestamp(out: &mut Vec<u8>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    SECOND.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs || cache.1.is_empty() {
            // ts_iso: 2026-11-26T00:25:47Z; the fraction goes before the Z.
            let iso = mwauth::time::ts_iso(secs);
            *cache = (secs, iso.trim_end_matches('Z').to_string());
        }
        out.extend_from_slice(cache.1.as_bytes());
    });
    out.push(b'.');
    push_decimal(out, u64::from(now.subsec_micros()), 6);
    out.push(b'Z');
}

/// `n` in decimal, zero-padded to at least `width` digits.
fn push_decimal(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    out.resize(out.len() + width.saturating_sub(digits.len()), b'0');
    out.extend_from_slice(digits.as_bytes());
}

thread_local! {
    static SECOND: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((0, String::new())) };
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The writer tracing gets: each event's line goes to [`push`] when tracing drops it.
#[derive(Clone, Copy)]
pub struct StderrLines;

impl StderrLines {
    /// Starts the writer thread.
    pub fn start() -> StderrLines {
        start_writer();
        StderrLines
    }
}

/// One event's line, handed over when tracing drops the writer.
pub struct Line {
    buf: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            push(&self.buf);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrLines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::with_capacity(256),
        }
    }
}

/// The line of other events, formatted by hand: tracing's default formatter costs several
/// microseconds an event (Debug formatting of every field, the date computed each time).
/// Same layout as that formatter: `2026-11-26T00:25:47.694102Z  INFO message field=value`.
pub struct LineFormat;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for LineFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut date = Vec::with_capacity(32);
        timestamp(&mut date);
        let level = *event.metadata().level();
        let pad = if level == tracing::Level::INFO || level == tracing::Level::WARN {
            " "
        } else {
            ""
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        write!(
            w,
            "{} {pad}{level} {}{}",
            String::from_utf8_lossy(&date),
            fields.message,
            fields.rest
        )?;
        writeln!(w)
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            use std::fmt::Write as _;
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        use std::fmt::Write as _;
        let _ = write!(self.rest, " {}={value}", field.name());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        use std::fmt::Write as _;
        let _ = write!(self.rest, " {}={value}", field.name());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_keep_the_layout_and_escape_the_clients_text() {
        let line = |what, method, path, action, status, micros| {
            let mut out = Vec::new();
            RequestLine {
                what,
                method,
                path,
                action,
                status,
                client: "127.0.0.2".parse().unwrap(),
                micros,
            }
            .write_fields(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            line("request", "GET", "/w/api.php", Some("query"), 200, 85),
            "  INFO request method=GET path=/w/api.php action=query status=200 client=127.0.0.2 micros=85\n"
        );
        let forged = "x\n2026-11-26T00:00:00.000000Z  INFO request method=POST";
        let text = line("request", "GET", "/w/api.php", Some(forged), 200, 1);
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.contains(r#"action="x\n2026"#), "{text}");
        assert!(line("page", "POST", "/w/index.php", None, 302, 7)
            .ends_with("path=/w/index.php status=302 client=127.0.0.2 micros=7\n"));
    }

    #[test]
    fn decimals_are_padded() {
        let mut out = Vec::new();
        for (n, width) in [(0, 1), (7, 1), (42, 6), (999_999, 6), (u64::MAX, 1)] {
            push_decimal(&mut out, n, width);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 7 000042 999999 18446744073709551615 "
        );
    }

    #[test]
    fn timestamps_have_microseconds() {
        let mut out = Vec::new();
        timestamp(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.len(), "2026-11-26T00:25:47.694102Z".len(), "{text}");
        assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
    }
}
