//! Why a login (or a step of one) was refused: a message key and its parameters, which the
//! API, the pages and the CLI each put in words of their own.

use crate::i18n::{Lang, Param, CONTENT_LANGUAGE};

/// The message key of a login the throttle refused.
pub const THROTTLED: &str = "login-throttled";

/// Why a login failed: a message key and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub key: &'static str,
    pub params: Vec<String>,
}

impl Refusal {
    pub fn new(key: &'static str) -> Refusal {
        Refusal {
            key,
            params: Vec::new(),
        }
    }

    pub(crate) fn throttled(wait: u64) -> Refusal {
        Refusal {
            key: THROTTLED,
            params: vec![Lang::en().format_duration(wait)],
        }
    }

    /// The password hashing queue is full ([`PoolError::Full`]): answered as MediaWiki's
    /// login throttle answers, so clients already know to wait and try again.
    pub(crate) fn busy() -> Refusal {
        Refusal::throttled(BUSY_RETRY_SECONDS)
    }

    /// The refusal's English text, for the account pages and the CLI (a refusal without a
    /// text in the catalogue says so plainly rather than showing a message key).
    pub fn text(&self, sitename: &str) -> String {
        let lang = Lang::new(CONTENT_LANGUAGE, sitename);
        if lang.fetch(self.key).is_none() {
            return format!("{sitename} could not complete this ({}).", self.key);
        }
        let params: Vec<Param> = self.params.iter().cloned().map(Param::Plain).collect();
        lang.text(self.key, &params)
    }
}

/// The wait a refusal for a full hashing queue asks for: the queue drains in well under
/// a second.
const BUSY_RETRY_SECONDS: u64 = 1;
