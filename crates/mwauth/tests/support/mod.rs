//! What the library's test files share: the machine's own database servers and clean-up
//! after a test that made tables there ([`backends`]), a wiki whose stores are opened the way
//! the server opens them (`store::url::open`), and a client's cookie jar. A test works under
//! its own random table prefix or key namespace, so tests run concurrently.

// Each test file uses a part of this module.
#![allow(dead_code, unused_imports)]

mod backends;
pub use backends::*;

use mwauth::hash_pool::HashPool;
use mwauth::request::{ApiRequest, ApiResponse, Pairs};
use mwauth::store::url::{self, SessionsUrl, StoreOptions, UsersUrl};
use mwauth::{Config, Services};
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

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
