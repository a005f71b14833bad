//! Set-Cookie lines exactly as MediaWiki's WebResponse::setCookie writes them:
//! `NAME=VALUE; expires=…; Max-Age=N; path=/; secure; HttpOnly; SameSite=…`.

use super::Provider;
use crate::config::Config;
use std::borrow::Cow;

/// One cookie to set or clear.
#[derive(Debug, Clone, PartialEq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// Lifetime in seconds; `None` makes a browser-session cookie. `Some(0)` with the value
    /// `deleted` clears the cookie.
    pub max_age: Option<i64>,
    pub secure: bool,
    pub samesite: Option<String>,
}

impl SetCookie {
    pub fn header_value(&self, now: i64) -> String {
        // Appended piece by piece: `format!` was most of the cost of a login or logout
        // answer's cookies (bench/REPORT.md).
        let mut s = String::with_capacity(160);
        s.push_str(&self.name);
        s.push('=');
        encode_value(&self.value, &mut s);
        match self.max_age {
            Some(0) => s.push_str("; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0"),
            Some(age) => {
                let when = std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs((now + age).max(0) as u64);
                s.push_str("; expires=");
                s.push_str(&httpdate::fmt_http_date(when));
                s.push_str("; Max-Age=");
                s.push_str(itoa::Buffer::new().format(age));
            }
            None => {}
        }
        s.push_str("; path=/");
        if self.secure {
            s.push_str("; secure");
        }
        s.push_str("; HttpOnly");
        if let Some(ss) = &self.samesite {
            s.push_str("; SameSite=");
            s.push_str(ss);
        }
        s
    }
}

/// The session cookies of one wiki as CookieSessionProvider and BotPasswordSessionProvider
/// name and write them (`$wgCookiePrefix`, `$wgCookieSecure`, `$wgCookieSameSite` and the
/// expiries), for one request (`https` decides `secure` when the configuration leaves it open).
pub struct SessionCookies<'c> {
    config: &'c Config,
    secure: bool,
}

impl<'c> SessionCookies<'c> {
    pub fn new(config: &'c Config, https: bool) -> SessionCookies<'c> {
        SessionCookies {
            config,
            secure: config.cookie_secure.unwrap_or(https),
        }
    }

    /// `{prefix}_session` or `{prefix}_BPsession`.
    pub fn session_name(&self, provider: Provider) -> String {
        self.prefixed(session_suffix(provider))
    }

    /// The value of the cookie `{prefix}{suffix}` the client sent, found without building
    /// its name.
    pub fn sent<'a>(&self, sent: &'a [SentCookie<'a>], suffix: &str) -> Option<&'a str> {
        let prefix = self.config.cookie_prefix();
        sent.iter()
            .find(|(k, _)| {
                k.len() == prefix.len() + suffix.len()
                    && k.starts_with(prefix)
                    && k.ends_with(suffix)
            })
            .map(|(_, v)| v.as_ref())
    }

    /// The session id cookie of `provider`'s session `id` (no expiry: it lives as long as
    /// the browser).
    pub fn session_id(&self, provider: Provider, id: &str) -> SetCookie {
        self.make(self.session_name(provider), id.to_string(), None)
    }

    /// CookieSessionProvider::persistSession's user cookies (cookieDataToExport): `UserID`
    /// and `UserName` for `$wgCookieExpiration`; with `remember`, those and `Token` for
    /// `$wgExtendedLoginCookieExpiration`, and without it `Token` cleared (a deletion
    /// [`drop_needless_deletions`] drops when the client holds no `Token`).
    pub fn user(&self, id: u32, name: &str, token: &str, remember: bool) -> [SetCookie; 3] {
        let age = if remember {
            self.config.remember_expiry
        } else {
            self.config.cookie_expiry
        } as i64;
        let token = if remember {
            self.make(self.prefixed("Token"), token.to_string(), Some(age))
        } else {
            self.clear(self.prefixed("Token"))
        };
        [
            self.make(self.prefixed("UserID"), id.to_string(), Some(age)),
            self.make(self.prefixed("UserName"), name.to_string(), Some(age)),
            token,
        ]
    }

    /// `NAME=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly`.
    pub fn clear(&self, name: String) -> SetCookie {
        self.make(name, "deleted".into(), Some(0))
    }

    /// What ending `provider`'s session clears: for a bot-password session its own cookie;
    /// for a normal one (CookieSessionProvider::unpersistSession) the session cookie,
    /// `UserID` and `Token`, but not `UserName`.
    pub fn logout(&self, provider: Provider) -> Vec<SetCookie> {
        match provider {
            Provider::BotPassword => vec![self.clear(self.session_name(provider))],
            Provider::Cookie => vec![
                self.clear(self.session_name(provider)),
                self.clear(self.prefixed("UserID")),
                self.clear(self.prefixed("Token")),
            ],
        }
    }

    fn prefixed(&self, suffix: &str) -> String {
        let prefix = self.config.cookie_prefix();
        let mut name = String::with_capacity(prefix.len() + suffix.len());
        name.push_str(prefix);
        name.push_str(suffix);
        name
    }

    fn make(&self, name: String, value: String, max_age: Option<i64>) -> SetCookie {
        SetCookie {
            name,
            value,
            max_age,
            secure: self.secure,
            samesite: self.config.cookie_samesite.clone(),
        }
    }
}

/// What follows the cookie prefix in the name of each provider's session cookie.
pub fn session_suffix(provider: Provider) -> &'static str {
    match provider {
        Provider::Cookie => "_session",
        Provider::BotPassword => "_BPsession",
    }
}

/// A cookie the client sent: name and value, borrowed from its header where possible.
pub type SentCookie<'a> = (Cow<'a, str>, Cow<'a, str>);

/// WebResponse::setCookie never deletes a cookie the client did not send (nor one this
/// response did not set first): logging out without a `Token` cookie clears no `Token`. A
/// cookie set twice in one response (a fresh session id replaced by a login's) is sent once,
/// with its last value.
pub fn drop_needless_deletions(cookies: &mut Vec<SetCookie>, sent: &[SentCookie<'_>]) {
    let mut seen: Vec<String> = Vec::new();
    for i in (0..cookies.len()).rev() {
        if seen.contains(&cookies[i].name) {
            cookies.remove(i);
        } else {
            seen.push(cookies[i].name.clone());
        }
    }
    let mut set_here: Vec<String> = Vec::new();
    cookies.retain(|c| {
        if c.max_age == Some(0) {
            let keep = sent.iter().any(|(n, _)| *n == c.name) || set_here.contains(&c.name);
            set_here.retain(|n| *n != c.name);
            keep
        } else {
            set_here.push(c.name.clone());
            true
        }
    });
}

/// PHP's setcookie() urlencodes the value (rawurlencode-like, spaces as `%20`).
fn encode_value(v: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// Parses a Cookie request header into (name, value) pairs, percent-decoding values as PHP
/// does for `$_COOKIE`.
/// Names and values are borrowed from `header` unless a value had to be decoded. The header
/// is walked byte by byte: a string search per `;`, `=` and `%` cost more than the rest of
/// the parse for the few short cookies a client sends.
pub fn parse_cookie_header<'h>(header: &'h str, out: &mut Vec<(Cow<'h, str>, Cow<'h, str>)>) {
    let bytes = header.as_bytes();
    let mut start = 0;
    for i in 0..=bytes.len() {
        if i == bytes.len() || bytes[i] == b';' {
            cookie_pair(&header[start..i], out);
            start = i + 1;
        }
    }
}

fn cookie_pair<'h>(part: &'h str, out: &mut Vec<(Cow<'h, str>, Cow<'h, str>)>) {
    let part = part.trim();
    let Some(equals) = part.bytes().position(|b| b == b'=') else {
        return;
    };
    let (name, value) = (&part[..equals], &part[equals + 1..]);
    // PHP splits the header on `;` only and percent-decodes each value, leaving `+` as it
    // is (a `&` inside a value is part of it).
    let value = if value.bytes().any(|b| b == b'%') {
        Cow::Owned(
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned(),
        )
    } else {
        Cow::Borrowed(value)
    };
    out.push((Cow::Borrowed(name.trim()), value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn cleared_cookie_is_written_as_mediawiki_writes_it() {
        let c = SetCookie {
            name: "w_session".into(),
            value: "deleted".into(),
            max_age: Some(0),
            secure: false,
            samesite: None,
        };
        assert_eq!(
            c.header_value(1_700_000_000),
            "w_session=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly"
        );
    }

    #[test]
    fn long_lived_cookie_has_expires_and_max_age() {
        let c = SetCookie {
            name: "wUserName".into(),
            value: "Ali ce".into(),
            max_age: Some(15552000),
            secure: true,
            samesite: Some("Lax".into()),
        };
        assert_eq!(
            c.header_value(1_700_000_000),
            "wUserName=Ali%20ce; expires=Sun, 12 May 2024 22:13:20 GMT; Max-Age=15552000; path=/; secure; HttpOnly; SameSite=Lax"
        );
    }

    /// The byte walk reads headers as the plain reading does: split at `;`, trim, split at
    /// the first `=`, trim the name, percent-decode a value with a `%`.
    #[test]
    fn the_byte_walk_reads_as_splitting_does() {
        let plain = |header: &str| -> Vec<(String, String)> {
            header
                .split(';')
                .map(str::trim)
                .filter_map(|part| part.split_once('='))
                .map(|(n, v)| {
                    let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                    (n.trim().to_string(), v.into_owned())
                })
                .collect()
        };
        for header in [
            "",
            ";;",
            "a=1",
            " a = 1 ; b==2;c;=d; e=%41%zz%;f=x+y",
            "\u{a0}n\u{3000}=v\u{a0}; \tm\t=\u{e9}",
            "w_session=abc;w_BPsession=; wUserName=Al%C3%A9",
        ] {
            let mut walked = Vec::new();
            parse_cookie_header(header, &mut walked);
            let walked: Vec<(String, String)> = walked
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(walked, plain(header), "{header:?}");
        }
    }

    #[test]
    fn parses_cookie_header() {
        let mut v = Vec::new();
        parse_cookie_header("a=1; w_session=abc; n=Ali%20ce; p=a+b", &mut v);
        assert_eq!(v[2], ("n".into(), "Ali ce".into()));
        assert_eq!(v[3].1, "a+b");
        // Nothing decoded: borrowed from the header, not copied.
        assert!(matches!(
            v[1],
            (Cow::Borrowed("w_session"), Cow::Borrowed("abc"))
        ));
        assert!(matches!(v[2].1, Cow::Owned(_)));
    }
}
