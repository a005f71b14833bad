//! The threads that serve connections: a fixed set of them (two per core unless `workers`
//! says otherwise), each running a single-threaded tokio runtime of its own, and each
//! accepted connection handed to the one with the fewest open connections for its whole life.
//!
//! Why not tokio's work-stealing runtime, which the rest of the server runs on: with it,
//! one thread waits in epoll for every socket and wakes the others through futexes to take
//! the ready connections off it, so a request often crossed threads twice. Per request that
//! was about 1 µs of kernel time (wake-ups, context switches) and 1 µs of user time, and
//! on a 2-core machine where the load generator runs too, the idle gaps between the
//! hand-overs cost a further tenth of the throughput (bench/REPORT.md, item 26). A thread
//! that owns its connections waits in epoll for them itself and answers each one where it
//! was read. What this gives up is stealing: a connection does not move when its thread is
//! busy. Connections are assigned by count, which balances them when clients are alike,
//! as keep-alive API clients are; password hashing, the one long piece of work, runs on
//! its own threads ([`mwauth::hash_pool::HashPool`]) and never holds a worker.
//!
//! Two per core rather than one: a worker the kernel puts aside for a time slice (a few
//! milliseconds) holds up every connection it owns, and when other processes share the
//! cores — the load generator in the benchmark, anything else on a real machine — one
//! worker per core settled into sharing a core with another worker or a busy process for
//! whole slices: with 2 workers on 2 cores, half of the benchmark's connections waited
//! 4 ms at a time (p99 4.2 ms, p50 0.15 ms), with 3 or 4 the p99 was 0.6–0.7 ms and the
//! throughput a fifth higher; 6 and 8 gave that p99 at a lower throughput. Idle workers
//! cost nothing but a thread each.
//!
//! The set is made once per process and lives as long as it: database connections opened
//! by a request are registered with the runtime of the worker that opened it and stay
//! usable from the others only while that runtime runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;

type Connection = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Worker {
    connections: mpsc::UnboundedSender<Connection>,
    open: Arc<AtomicUsize>,
}

pub struct Workers {
    workers: Vec<Worker>,
    /// Where the search for the least busy worker starts, so that ties go round.
    next: AtomicUsize,
}

static WORKERS: OnceLock<Option<Workers>> = OnceLock::new();

/// The process's workers, started by the first call with `count` threads (0: two per core).
/// None when not even one could be started (threads or runtimes refused by the system):
/// connections are then served on the caller's runtime, as they would be by tokio::spawn.
fn get(count: usize) -> Option<&'static Workers> {
    WORKERS.get_or_init(|| start(count)).as_ref()
}

fn start(count: usize) -> Option<Workers> {
    let count = if count == 0 {
        2 * std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        count
    };
    let mut workers = Vec::with_capacity(count);
    for i in 0..count {
        match start_one(i) {
            Ok(worker) => workers.push(worker),
            Err(e) => {
                tracing::warn!("cannot start connection worker {i}: {e}");
                break;
            }
        }
    }
    (!workers.is_empty()).then(|| Workers {
        workers,
        next: AtomicUsize::new(0),
    })
}

fn start_one(i: usize) -> std::io::Result<Worker> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (connections, mut incoming) = mpsc::unbounded_channel::<Connection>();
    std::thread::Builder::new()
        .name(format!("mwauth-http-{i}"))
        .spawn(move || {
            runtime.block_on(async move {
                while let Some(connection) = incoming.recv().await {
                    tokio::spawn(connection);
                }
            })
        })?;
    Ok(Worker {
        connections,
        open: Arc::new(AtomicUsize::new(0)),
    })
}

/// Counts a connection as open on its worker until it ends, however it ends (its task
/// finished, panicked, or dropped).
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Workers {
    /// Serves `connection` on the worker with the fewest open connections.
    pub fn serve(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.workers.len();
        // `start()` never makes a set without a worker; were one made, this runtime serves.
        let Some(worker) = (0..n)
            .map(|k| &self.workers[(start + k) % n])
            .min_by_key(|w| w.open.load(Ordering::Relaxed))
        else {
            tokio::spawn(connection);
            return;
        };
        worker.open.fetch_add(1, Ordering::Relaxed);
        let open = Open(worker.open.clone());
        let task = Box::pin(async move {
            let _open = open;
            connection.await;
        });
        // A worker's loop ends only with the process; should its thread have died anyway,
        // the connection is still served, here.
        if let Err(mpsc::error::SendError(task)) = worker.connections.send(task) {
            tokio::spawn(task);
        }
    }

    /// Open connections per worker.
    #[cfg(test)]
    fn open_connections(&self) -> Vec<usize> {
        self.workers
            .iter()
            .map(|w| w.open.load(Ordering::Relaxed))
            .collect()
    }
}

/// Serves `connection` on the process's workers, or on the caller's runtime without them.
pub fn serve(count: usize, connection: impl Future<Output = ()> + Send + 'static) {
    match get(count) {
        Some(workers) => workers.serve(connection),
        None => {
            tokio::spawn(connection);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    /// Connections go to the worker with the fewest open ones, each runs on a worker's own
    /// thread, and a connection that ends (or panics) no longer counts.
    #[tokio::test]
    async fn connections_go_to_the_least_busy_worker_and_run_on_its_thread() {
        let workers = start(2).expect("workers start");
        let mut ends = Vec::new();
        let (names_tx, mut names) = mpsc::unbounded_channel::<String>();
        for _ in 0..4 {
            let (end, ended) = oneshot::channel::<bool>();
            ends.push(end);
            let names_tx = names_tx.clone();
            workers.serve(async move {
                let name = std::thread::current().name().unwrap_or("").to_string();
                let _ = names_tx.send(name);
                if ended.await == Ok(true) {
                    panic!("a connection's task that panics");
                }
            });
        }
        assert_eq!(workers.open_connections(), vec![2, 2]);
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(names.recv().await.expect("each connection runs"));
        }
        seen.sort();
        assert_eq!(
            seen,
            [
                "mwauth-http-0",
                "mwauth-http-0",
                "mwauth-http-1",
                "mwauth-http-1"
            ]
        );
        // End two connections, one of them by panicking: both stop counting.
        let mut ends = ends.into_iter();
        let _ = ends.next().unwrap().send(false);
        let _ = ends.next().unwrap().send(true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while workers.open_connections().iter().sum::<usize>() != 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                workers.open_connections()
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The next two go where there is room, whichever worker that is.
        let before = workers.open_connections();
        for _ in 0..2 {
            workers.serve(std::future::pending::<()>());
        }
        let after = workers.open_connections();
        assert_eq!(after.iter().sum::<usize>(), 4);
        assert!(after.iter().all(|&n| n == 2), "{before:?} then {after:?}");
    }
}
