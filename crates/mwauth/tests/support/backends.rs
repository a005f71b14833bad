//! The machine's own database servers for tests, and clean-up after a test that made tables
//! there. Shared by the library's tests (tests/support) and the server's (tests/common,
//! which includes this file by path): one place for the URLs and their variables.
//!
//! MariaDB 127.0.0.1:3306 root and PostgreSQL 127.0.0.1:5432 postgres, database `test` on
//! both, Redis 127.0.0.1:6379; override with MWAUTH_TEST_MYSQL, MWAUTH_TEST_POSTGRES,
//! MWAUTH_TEST_REDIS.

use mwauth::session::random_hex;
use std::future::Future;

pub fn mysql_url() -> String {
    std::env::var("MWAUTH_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

pub fn postgres_url() -> String {
    std::env::var("MWAUTH_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn redis_url() -> String {
    std::env::var("MWAUTH_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A fresh table prefix such as `t3f9a1c2e_`.
pub fn prefix() -> String {
    format!("t{}_", random_hex(8))
}

/// Runs `body` to the end even when it panics, then `cleanup`, then re-raises the panic.
pub async fn with_cleanup<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()>,
{
    let result = tokio::spawn(body).await;
    cleanup.await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
