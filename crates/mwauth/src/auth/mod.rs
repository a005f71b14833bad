//! The login and session engine shared by the API, the web pages and the CLI: password and
//! bot-password login with MediaWiki's throttles, and the session of a request
//! ([`request_session::RequestSession`]).

pub mod account;
pub mod captcha;
pub mod login;
pub mod request_session;
pub mod throttle;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The password hashing threads. PBKDF2 with 30000 rounds takes milliseconds of CPU; on the
/// async workers it would stall every other request during a burst of logins. So hashes run
/// on threads of their own, one per core, at the lowest scheduling priority (SCHED_IDLE on
/// Linux): they use whatever CPU the requests leave and give it back the moment a token or
/// logout request needs it. With nothing else to do they hash at full speed.
#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    /// Jobs sent and not yet taken by a thread (see [`HashPool::queued`]).
    queued: Arc<std::sync::atomic::AtomicUsize>,
}

impl HashPool {
    pub fn new(threads: usize) -> HashPool {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
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
                            // its caller sees the dropped answer as a failed verification.
                            Ok(job) => {
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
            queued: Arc::default(),
        }
    }

    /// Runs `f` on the pool; `None` if the task could not run (it panicked or the pool is
    /// shut down), which callers treat as a failed verification.
    pub async fn run<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let (tx, rx) = oneshot::channel();
        let queued = self.queued.clone();
        queued.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move || {
            queued.fetch_sub(1, Ordering::Relaxed);
            let _ = tx.send(f());
        });
        // A job the pool refused never runs to count itself out.
        if self.jobs.send(job).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        rx.await.ok()
    }

    /// Hashes waiting for a thread (for the server's metrics).
    pub fn queued(&self) -> usize {
        self.queued.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn verify(&self, stored: &str, password: &str) -> bool {
        let (stored, password) = (stored.to_string(), password.to_string());
        self.run(move || crate::user::password::verify(&stored, &password))
            .await
            .unwrap_or(false)
    }

    pub async fn hash(&self, password: &str) -> Option<String> {
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
