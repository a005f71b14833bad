//! A cookie jar that reqwest fills and that can be kept in a file between processes.
//!
//! The rules (domain, path, expiry, deletion by an expired `Set-Cookie`) are
//! [`cookie_store`]'s, the crate behind reqwest's own `cookies` feature; this file only adds
//! what reqwest's jar lacks: saving and loading.

use crate::error::{Error, Result};
use reqwest::header::HeaderValue;
use reqwest::Url;
use std::io::Write as _;
use std::path::Path;
use std::sync::RwLock;

/// The cookies of one [`Client`](crate::Client), shareable and persistable.
///
/// MediaWiki's session cookies (`…_session`, `…_BPsession`) carry no expiry: a browser drops
/// them when it closes. [`CookieJar::save`] keeps them anyway, because for a command-line
/// tool the "browser session" is the series of invocations sharing one file; the server's
/// own session lifetime still applies.
#[derive(Debug, Default)]
pub struct CookieJar {
    store: RwLock<cookie_store::CookieStore>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// The jar saved at `path`; an empty jar when the file does not exist or holds nothing
    /// but white space (what `touch` or `mktemp` leaves). Expired cookies are dropped.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new()),
            Err(e) => return Err(jar_error(path, e)),
        };
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        Self::from_json(&text).map_err(|e| jar_error(path, e))
    }

    /// Parses the format [`CookieJar::to_json`] writes: a JSON array of cookies.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let cookies: Vec<cookie_store::Cookie<'static>> = serde_json::from_str(text)?;
        let store = cookie_store::CookieStore::from_cookies(
            cookies.into_iter().map(Ok::<_, std::convert::Infallible>),
            false,
        )
        .unwrap_or_else(|never| match never {});
        Ok(Self {
            store: RwLock::new(store),
        })
    }

    /// Every unexpired cookie, session cookies included, as a JSON array.
    pub fn to_json(&self) -> String {
        let store = self.read();
        let cookies: Vec<_> = store.iter_unexpired().collect();
        serde_json::to_string_pretty(&cookies).expect("cookies serialize")
    }

    /// Writes the jar to `path`, readable and writable by the owner only (0600), replacing
    /// the file atomically; a missing parent directory is created (0700).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = self.to_json();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| jar_error(dir, e))?;
        }
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = Path::new(&tmp_name);
        let written = write_private(tmp, json.as_bytes()).and_then(|()| std::fs::rename(tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(tmp);
            return Err(jar_error(path, e));
        }
        Ok(())
    }

    /// The names and values of the cookies that would be sent to `url`.
    pub fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        self.read()
            .get_request_values(url)
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.store
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, cookie_store::CookieStore> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl reqwest::cookie::CookieStore for CookieJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let cookies = headers.filter_map(|h| {
            let text = std::str::from_utf8(h.as_bytes()).ok()?;
            cookie_store::RawCookie::parse(text)
                .ok()
                .map(|c| c.into_owned())
        });
        self.store
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .store_response_cookies(cookies, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let header = self
            .read()
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if header.is_empty() {
            return None;
        }
        HeaderValue::from_str(&header).ok()
    }
}

fn jar_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::CookieJar {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Session cookies are credentials: the file is created 0600, never widened afterwards.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::cookie::CookieStore as _;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:8180/w/api.php").unwrap()
    }

    fn set(jar: &CookieJar, line: &str) {
        let header = HeaderValue::from_str(line).unwrap();
        jar.set_cookies(&mut std::iter::once(&header), &url());
    }

    #[test]
    fn session_cookies_survive_a_save_and_load() {
        let jar = CookieJar::new();
        set(&jar, "wiki_BPsession=abc; path=/; HttpOnly");
        let again = CookieJar::from_json(&jar.to_json()).unwrap();
        assert_eq!(
            again.cookies_for(&url()),
            vec![("wiki_BPsession".to_string(), "abc".to_string())]
        );
    }

    #[test]
    fn a_cookie_deleted_by_the_server_is_not_saved() {
        let jar = CookieJar::new();
        set(&jar, "wiki_session=abc; path=/; HttpOnly");
        set(
            &jar,
            "wiki_session=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/",
        );
        assert!(jar.cookies_for(&url()).is_empty());
        assert_eq!(jar.to_json(), "[]");
    }

    #[cfg(unix)]
    #[test]
    fn saved_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/cookies.json");
        let jar = CookieJar::new();
        set(&jar, "wiki_session=abc; path=/");
        jar.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert_eq!(CookieJar::load(&path).unwrap().cookies_for(&url()).len(), 1);
    }

    #[test]
    fn missing_file_loads_as_an_empty_jar() {
        let dir = tempfile::tempdir().unwrap();
        let jar = CookieJar::load(&dir.path().join("none.json")).unwrap();
        assert_eq!(jar.to_json(), "[]");
    }

    #[test]
    fn empty_or_blank_file_loads_as_an_empty_jar() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [("empty", ""), ("blank", " \n\t\n")] {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let jar = CookieJar::load(&path).unwrap();
            assert_eq!(jar.to_json(), "[]", "{name}");
            // and it is written back as a real jar
            set(&jar, "wiki_session=abc; path=/");
            jar.save(&path).unwrap();
            assert_eq!(CookieJar::load(&path).unwrap().cookies_for(&url()).len(), 1);
        }
    }

    #[test]
    fn a_file_that_is_not_a_jar_is_still_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk");
        std::fs::write(&path, "{not json").unwrap();
        assert!(CookieJar::load(&path).is_err());
    }
}
