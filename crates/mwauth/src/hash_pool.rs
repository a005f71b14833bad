//! The password hashing threads: a bounded pool, below everything that hashes (`user/`'s
//! formats run on it; `auth/`, the web pages and the CLI hand it their work).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs that may wait for a hashing thread, per thread, unless configured otherwise. A
/// PBKDF2 verification takes some 30 ms of one core, so a full queue is about two seconds
/// of work: a client that waits longer is better told to come back.
pub const DEFAULT_QUEUE_PER_THREAD: usize = 64;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Every thread is busy and the queue is full: the job was refused at once. Logins
    /// answer it as MediaWiki's login throttle does.
    #[error("the password hashing queue is full")]
    Full,
    /// The job panicked (it should not) or the pool has shut down.
    #[error("the password hashing job failed")]
    Failed,
}

/// The password hashing threads. PBKDF2 with 30000 rounds takes milliseconds of CPU; on the
/// async workers it would stall every other request during a burst of logins. So hashes run
/// on threads of their own, one per core, at the lowest scheduling priority (SCHED_IDLE on
/// Linux): they use whatever CPU the requests leave and give it back the moment a token or
/// logout request needs it. With nothing else to do they hash at full speed.
///
/// The queue in front of them is bounded: during a flood of logins a job that would wait
/// past the queue's depth is refused at once ([`PoolError::Full`]) instead of holding its
/// request, and its memory, for as long as the flood lasts.
#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::SyncSender<Job>,
    /// Jobs sent and not yet taken by a thread.
    queued: Arc<AtomicUsize>,
    /// Jobs taken by a thread since the pool started.
    taken: Arc<AtomicU64>,
}

impl HashPool {
    /// `threads` threads, each with [`DEFAULT_QUEUE_PER_THREAD`] places in the queue.
    pub fn new(threads: usize) -> HashPool {
        let threads = threads.max(1);
        HashPool::with_queue(threads, threads * DEFAULT_QUEUE_PER_THREAD)
    }

    /// `threads` threads and at most `queue` jobs waiting for them (at least 1 of each).
    pub fn with_queue(threads: usize, queue: usize) -> HashPool {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let queued = Arc::new(AtomicUsize::new(0));
        let taken = Arc::new(AtomicU64::new(0));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let queued = queued.clone();
            let taken = taken.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("mwauth-hash-{i}"))
                .spawn(move || {
                    lower_own_priority();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(e) => e.into_inner().recv(),
                        };
                        match job {
                            // A panicking hash (it should not) must not take the thread along;
                            // its caller sees the dropped answer as a failed job.
                            Ok(job) => {
                                queued.fetch_sub(1, Ordering::Relaxed);
                                taken.fetch_add(1, Ordering::Relaxed);
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a hashing thread: {e}");
            }
        }
        HashPool {
            jobs: tx,
            queued,
            taken,
        }
    }

    /// Jobs waiting for a thread now (for /metrics).
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Jobs a thread has taken since the pool started: counted before the job runs, so a
    /// request that awaited its hash sees it counted. Tests compare the hashing work of two
    /// requests with it instead of their time, which a loaded machine distorts.
    pub fn jobs_taken(&self) -> u64 {
        self.taken.load(Ordering::Relaxed)
    }

    /// Runs `f` on the pool, or refuses it at once when the queue is full.
    pub async fn run<F, R>(&self, f: F) -> Result<R, PoolError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        // Counted before it is sent, so a thread never takes a job not yet counted.
        self.queued.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.jobs.try_send(job) {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(match e {
                mpsc::TrySendError::Full(_) => PoolError::Full,
                mpsc::TrySendError::Disconnected(_) => PoolError::Failed,
            });
        }
        rx.await.map_err(|_| PoolError::Failed)
    }

    /// Whether `password` matches `stored`; a job that failed is a mismatch, a full queue
    /// is [`PoolError::Full`].
    pub async fn verify(&self, stored: &str, password: &str) -> Result<bool, PoolError> {
        let (stored, password) = (stored.to_string(), password.to_string());
        match self
            .run(move || crate::user::password::verify(&stored, &password))
            .await
        {
            Err(PoolError::Full) => Err(PoolError::Full),
            result => Ok(result.unwrap_or(false)),
        }
    }

    /// A new hash of `password` in the default format.
    pub async fn hash(&self, password: &str) -> Result<String, PoolError> {
        let password = password.to_string();
        self.run(move || crate::user::password::hash(&password))
            .await
    }
}

impl Default for HashPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        HashPool::new(cores)
    }
}

/// Puts the calling thread at the lowest priority the OS offers without privileges.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_setscheduler with pid 0 changes only the calling thread, and the
        // parameter is a plain struct that outlives the call.
        let param = libc::sched_param { sched_priority: 0 };
        let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0;
        if !done {
            // SAFETY: as above; with who = 0, setpriority applies to the calling thread.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, 19);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Occupies the pool's one thread until the returned sender is dropped or sent to,
    /// and returns once the thread has taken the job (so the queue is empty again).
    pub(crate) async fn occupy(pool: &HashPool) -> std::sync::mpsc::Sender<()> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = oneshot::channel::<()>();
        let p = pool.clone();
        tokio::spawn(async move {
            let _ = p
                .run(move || {
                    let _ = started_tx.send(());
                    let _ = wait.recv();
                })
                .await;
        });
        started.await.expect("the hashing thread takes the job");
        release
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_drains() {
        let pool = HashPool::with_queue(1, 1);
        let release = occupy(&pool).await;
        assert_eq!(pool.queued(), 0);
        // One job waits in the queue; the next one is refused without waiting.
        let waiting = {
            let p = pool.clone();
            tokio::spawn(async move { p.run(|| 7).await })
        };
        while pool.queued() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.queued(), 1);
        assert_eq!(pool.run(|| 8).await, Err(PoolError::Full));
        assert_eq!(pool.hash("x").await, Err(PoolError::Full));
        assert_eq!(pool.verify(":B:salt:hash", "x").await, Err(PoolError::Full));
        drop(release);
        assert_eq!(waiting.await.unwrap(), Ok(7));
        assert_eq!(pool.queued(), 0);
        assert_eq!(pool.run(|| 9).await, Ok(9));
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone() {
        let pool = HashPool::with_queue(1, 1);
        let r: Result<(), PoolError> = pool.run(|| panic!("boom")).await;
        assert_eq!(r, Err(PoolError::Failed));
        assert_eq!(pool.verify("not a hash", "x").await, Ok(false));
        assert_eq!(pool.run(|| 1).await, Ok(1));
    }
}
