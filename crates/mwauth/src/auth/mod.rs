//! The login and session engine shared by the API, the web pages and the CLI: password and
//! bot-password login with MediaWiki's throttles, and loading and saving sessions.

pub mod account;
pub mod login;
pub mod sessions;
pub mod throttle;
pub mod web_session;

use std::sync::Arc;
use tokio::sync::Semaphore;

/// A bounded pool for password hashing. PBKDF2 with 30000 rounds takes milliseconds of CPU;
/// running it on the async workers would stall token and logout requests during a burst of
/// logins, so it runs on tokio's blocking threads, at most `limit` at a time.
#[derive(Clone)]
pub struct HashPool {
    permits: Arc<Semaphore>,
}

impl HashPool {
    pub fn new(limit: usize) -> HashPool {
        HashPool {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// Runs `f` on the pool; `None` if the task could not run (it panicked or the pool is
    /// shut down), which callers treat as a failed verification.
    pub async fn run<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let _permit = self.permits.acquire().await.ok()?;
        tokio::task::spawn_blocking(f).await.ok()
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
