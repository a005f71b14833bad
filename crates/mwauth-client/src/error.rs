//! The one error type of the crate.

use std::path::PathBuf;

/// Everything a call can fail with.
///
/// MediaWiki answers most failures with HTTP 200 and a body `{"error":{"code","info",…}}`;
/// those become [`Error::Api`], with MediaWiki's code and text untouched, so that a caller can
/// match on the code (`badtoken`, `mustpostparams`, `maxlag`, …) exactly as the API
/// documentation names it. `action=login` reports failures in its result instead
/// (`{"login":{"result":"Failed","reason":…}}`): those become [`Error::LoginFailed`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered `{"error":{"code":…,"info":…}}`.
    #[error("{code}: {info}")]
    Api {
        /// MediaWiki's error code, e.g. `badtoken`.
        code: String,
        /// MediaWiki's error text, e.g. `Invalid CSRF token.`.
        info: String,
    },
    /// `action=login` answered a result other than `Success` (`Failed`, `Aborted`,
    /// `WrongToken`, `NeedToken`, …).
    #[error("login failed ({result}): {reason}")]
    LoginFailed {
        /// MediaWiki's `login.result`, e.g. `Failed`.
        result: String,
        /// MediaWiki's `login.reason`, e.g. `Incorrect username or password entered. Please
        /// try again.`; empty when the answer has none.
        reason: String,
    },
    /// A non-JSON answer with an HTTP error status (after any retries), e.g. a 503 from a
    /// proxy in front of the wiki.
    #[error("HTTP {status}: {body}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The start of the response body, for diagnosis.
        body: String,
    },
    /// The answer was not what the API documents for this request.
    #[error("unexpected API response: {0}")]
    UnexpectedResponse(String),
    /// The API URL cannot be used (not a URL, or `https` in this TLS-free build).
    #[error("invalid API URL: {0}")]
    InvalidUrl(String),
    /// Connecting, sending or reading failed.
    #[error("HTTP transport: {0}")]
    Transport(#[from] reqwest::Error),
    /// Reading or writing a cookie file failed.
    #[error("cookie jar {}: {message}", path.display())]
    CookieJar {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// MediaWiki's error code for [`Error::Api`], the login `result` for
    /// [`Error::LoginFailed`]; `None` for failures that did not come from the API.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            Error::LoginFailed { result, .. } => Some(result),
            _ => None,
        }
    }

    /// MediaWiki's error text for [`Error::Api`], the login `reason` for
    /// [`Error::LoginFailed`].
    pub fn info(&self) -> Option<&str> {
        match self {
            Error::Api { info, .. } => Some(info),
            Error::LoginFailed { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
