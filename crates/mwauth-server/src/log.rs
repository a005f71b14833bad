//! Log lines leave the request path: a request formats its line and hands it to a thread
//! that writes to stderr in batches, so a slow terminal or pipe never holds a request up. When that
//! thread falls more than [`QUEUE`] lines behind, further lines are counted and dropped (the
//! count is written once it catches up) instead of blocking the server.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::Duration;

const QUEUE: usize = 65_536;

/// How often the writer thread looks for new lines.
const POLL: Duration = Duration::from_millis(5);

/// Lines handed to the writer thread and not yet written out.
static PENDING: AtomicU64 = AtomicU64::new(0);

/// Waits (at most a second) until every line handed over so far is written: call before the
/// process exits.
pub fn drain() {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while PENDING.load(Ordering::Acquire) > 0 && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[derive(Clone)]
pub struct StderrLines {
    lines: SyncSender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
}

impl StderrLines {
    /// Starts the writer thread.
    pub fn start() -> StderrLines {
        let (tx, rx) = sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        let spawned = std::thread::Builder::new()
            .name("mwauth-log".into())
            .spawn(move || write_lines(rx, counter));
        if let Err(e) = spawned {
            eprintln!("mwauth: cannot start the log thread: {e}");
        }
        StderrLines { lines: tx, dropped }
    }
}

fn write_lines(rx: Receiver<Vec<u8>>, dropped: Arc<AtomicU64>) {
    // Not `stderr().lock()` held for ever: the handle locks only while it writes a batch,
    // so `eprintln!` elsewhere (an error at exit, a panic message) is never blocked.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    loop {
        // The thread polls instead of waiting in `recv`: a receiver blocked in `recv` must be
        // woken by every sender, a context switch per request; polling every few milliseconds
        // costs nothing under load and little when idle.
        let mut written = 0;
        loop {
            match rx.try_recv() {
                Ok(line) => {
                    let _ = out.write_all(&line);
                    written += 1;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    let _ = out.flush();
                    PENDING.fetch_sub(written, Ordering::Release);
                    return;
                }
            }
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let _ = writeln!(out, "mwauth: {lost} log lines dropped (stderr too slow)");
        }
        if written > 0 || lost > 0 {
            let _ = out.flush();
            PENDING.fetch_sub(written, Ordering::Release);
        }
        std::thread::sleep(POLL);
    }
}

/// One event's line, sent when tracing drops the writer.
pub struct Line {
    buf: Vec<u8>,
    to: StderrLines,
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
        if self.buf.is_empty() {
            return;
        }
        PENDING.fetch_add(1, Ordering::AcqRel);
        match self.to.lines.try_send(std::mem::take(&mut self.buf)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                PENDING.fetch_sub(1, Ordering::AcqRel);
                self.to.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer thread is gone (it could not start): write directly.
            Err(TrySendError::Disconnected(line)) => {
                PENDING.fetch_sub(1, Ordering::AcqRel);
                let _ = std::io::stderr().write_all(&line);
            }
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrLines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::with_capacity(256),
            to: self.clone(),
        }
    }
}

/// The per-request line, formatted by hand: tracing's default formatter costs several
/// microseconds an event (Debug formatting of every field, the date computed each time),
/// more than answering a `meta=tokens` request does. Same layout as that formatter:
/// `2026-11-26T00:25:47.694102Z  INFO request method=GET path=/w/api.php …`.
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
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let secs = now.as_secs() as i64;
        let date = SECOND.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.0 != secs || cache.1.is_empty() {
                // ts_iso: 2026-11-26T00:25:47Z; the fraction goes before the Z.
                let iso = mwauth::time::ts_iso(secs);
                *cache = (secs, iso.trim_end_matches('Z').to_string());
            }
            cache.1.clone()
        });
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
            "{date}.{:06}Z {pad}{level} {}{}",
            now.subsec_micros(),
            fields.message,
            fields.rest
        )?;
        writeln!(w)
    }
}

thread_local! {
    static SECOND: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((0, String::new())) };
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
