//! What the library's test files share: the machine's own database servers, clean-up after a
//! test that made tables there, and a wiki whose stores are opened the way the server opens
//! them (`store::url::open`).
//!
//! The servers are on loopback: MariaDB 127.0.0.1:3306 root and PostgreSQL 127.0.0.1:5432
//! postgres, database `test` on both, Redis 127.0.0.1:6379; override with
//! MWAUTH_TEST_MYSQL, MWAUTH_TEST_POSTGRES, MWAUTH_TEST_REDIS. A test works under its own
//! random table prefix or key namespace, so tests run concurrently.

// Each test file uses a part of this module.
#![allow(dead_code)]

use mwauth::api::request::Pairs;
use mwauth::api::{ApiRequest, ApiResponse};
use mwauth::auth::HashPool;
use mwauth::session::random_hex;
use mwauth::store::url::{self, SessionsUrl, StoreOptions, UsersUrl};
use mwauth::{Config, Services};
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

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

/// A wiki in a new directory, on the server's default backend: users and sessions in one
/// SQLite file, with the server's store options.
pub struct Wiki {
    pub services: Services,
    dir: tempfile::TempDir,
}

impl Wiki {
    pub async fn open(config: Config, hasher: HashPool) -> Wiki {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("w.sqlite");
        let stores = url::open(
            &UsersUrl::Sqlite(file.clone()),
            &SessionsUrl::Sqlite(file),
            &StoreOptions::default(),
        )
        .await
        .expect("open the stores");
        let services = Services {
            config: std::sync::Arc::new(config),
            users: stores.users,
            sessions: stores.sessions,
            hasher,
        };
        Wiki { services, dir }
    }

    /// The wiki's database file.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("w.sqlite")
    }
}

/// A client's cookie jar, as a browser or `requests.Session` keeps one: the cookies the
/// Set-Cookie lines of each answer set, less those they expire (`Max-Age=0`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Jar(pub Vec<(String, String)>);

impl Jar {
    /// Takes in the Set-Cookie lines of `res`.
    pub fn keep(&mut self, res: &ApiResponse) {
        for line in res.set_cookies() {
            let (pair, attrs) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').expect("a Set-Cookie name=value");
            self.0.retain(|(n, _)| n != name);
            if !attrs.contains("Max-Age=0") {
                self.0.push((name.to_string(), value.to_string()));
            }
        }
    }

    /// The value of the cookie `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A request as this jar's client sends it: `query` in the URL, `body` as a form.
    pub fn request(
        &self,
        method: &str,
        query: &[(&str, &str)],
        body: &[(&str, &str)],
    ) -> ApiRequest<'static> {
        let own = |v: &[(&str, &str)]| -> Pairs<'static> {
            v.iter()
                .map(|(k, v)| (k.to_string().into(), v.to_string().into()))
                .collect()
        };
        let mut req = ApiRequest::new(method);
        req.query = own(query);
        req.body = own(body);
        req.cookies = self
            .0
            .iter()
            .map(|(k, v)| (k.clone().into(), v.clone().into()))
            .collect();
        req
    }
}

impl Deref for Jar {
    type Target = Vec<(String, String)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Jar {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(String, String)> for Jar {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Jar {
        Jar(iter.into_iter().collect())
    }
}

impl IntoIterator for Jar {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
