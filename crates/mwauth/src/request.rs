//! ApiRequest and ApiResponse: what the Action API core takes and gives, free of any HTTP
//! framework's types.

use std::borrow::Cow;
use std::net::IpAddr;

/// Every request header the core looks at (lower case). The HTTP adapter copies these and no
/// others into [`ApiRequest::headers`]; [`ApiRequest::header`] asks for no other name.
pub const HEADERS_READ: &[&str] = &[
    "user-agent",
    "treat-as-untrusted",
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "accept-language",
];

/// Name and value pairs, borrowed from the bytes the request came in where nothing had to
/// be decoded (most of them: copying every pair was a tenth of a request's instructions).
pub type Pairs<'r> = Vec<(Cow<'r, str>, Cow<'r, str>)>;

/// `application/x-www-form-urlencoded` pairs as `form_urlencoded::parse` reads them, but
/// borrowed from `input` when a pair has nothing to decode (no `%`, no `+`): nearly every
/// pair a client sends. Decoding each into two new strings was the largest part of reading
/// a request, so the input is walked once, byte by byte, with no search per pair.
pub fn parse_form(input: &[u8]) -> Pairs<'_> {
    let Ok(text) = std::str::from_utf8(input) else {
        // Invalid UTF-8 is replaced as form_urlencoded replaces it: leave it all to it.
        return form_urlencoded::parse(input).collect();
    };
    parse_form_text(text)
}

/// [`parse_form`] of text already known to be UTF-8 (a query string).
pub fn parse_form_text(text: &str) -> Pairs<'_> {
    let bytes = text.as_bytes();
    let mut pairs = Vec::new();
    let (mut start, mut equals, mut escaped) = (0, None, false);
    for i in 0..=bytes.len() {
        match bytes.get(i).copied().unwrap_or(b'&') {
            b'&' => {
                if i > start {
                    pairs.push(form_pair(text, start, equals, i, escaped));
                }
                (start, equals, escaped) = (i + 1, None, false);
            }
            b'=' if equals.is_none() => equals = Some(i),
            b'%' | b'+' => escaped = true,
            _ => {}
        }
    }
    pairs
}

/// The pair `text[start..end]`, its first `=` at `equals`.
fn form_pair(
    text: &str,
    start: usize,
    equals: Option<usize>,
    end: usize,
    escaped: bool,
) -> (Cow<'_, str>, Cow<'_, str>) {
    if escaped {
        // A non-empty pair always yields one.
        let decoded = form_urlencoded::parse(&text.as_bytes()[start..end]).next();
        return decoded.unwrap_or((Cow::Borrowed(""), Cow::Borrowed("")));
    }
    match equals {
        Some(at) => (
            Cow::Borrowed(&text[start..at]),
            Cow::Borrowed(&text[at + 1..end]),
        ),
        None => (Cow::Borrowed(&text[start..end]), Cow::Borrowed("")),
    }
}

/// Owned copies of `pairs`, for what keeps them past the request (forms a page restores).
pub fn owned_pairs(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A request as the core sees it, borrowing from the HTTP adapter's buffers for `'r`.
#[derive(Debug, Clone)]
pub struct ApiRequest<'r> {
    /// Upper-case HTTP method.
    pub method: Cow<'static, str>,
    /// Query-string pairs, in order.
    pub query: Pairs<'r>,
    /// Body pairs (urlencoded or multipart form fields), in order.
    pub body: Pairs<'r>,
    /// Header names in lower case. The HTTP adapter passes on only the headers the core
    /// reads ([`HEADERS_READ`]); `Cookie` is read into `cookies` (PHP's `$_COOKIE`).
    pub headers: Vec<(&'static str, Cow<'r, str>)>,
    pub cookies: Pairs<'r>,
    pub client_ip: IpAddr,
    /// True when the client reached us over https (directly or via a trusted proxy).
    pub https: bool,
    /// `Host` header, for URLs when `$wgServer` is not configured.
    pub host: Cow<'r, str>,
}

impl<'r> ApiRequest<'r> {
    pub fn new(method: &str) -> ApiRequest<'r> {
        // As sent: PHP's REQUEST_METHOD keeps the client's spelling and MediaWiki compares
        // it case-sensitively, so a `post` is not posted (ApiMain: `invalidmethod`).
        let method = match method {
            "GET" => Cow::Borrowed("GET"),
            "POST" => Cow::Borrowed("POST"),
            other => Cow::Owned(other.to_string()),
        };
        ApiRequest {
            method,
            query: Vec::new(),
            body: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            client_ip: IpAddr::from([127, 0, 0, 1]),
            https: false,
            host: Cow::Borrowed("localhost"),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        debug_assert!(
            HEADERS_READ.contains(&name),
            "header {name:?} is read but not in HEADERS_READ: the HTTP adapter would drop it"
        );
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        // PHP's $_COOKIE keeps the first of two cookies with the same name.
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    pub fn was_posted(&self) -> bool {
        self.method == "POST"
    }
}

/// A response header: name and value, most of them fixed texts that need no allocation.
pub type Header = (Cow<'static, str>, Cow<'static, str>);

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    /// Headers in the order MediaWiki sends them; `Set-Cookie` may repeat.
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
    /// What the core did, for the server's log line and metrics; never sent.
    pub ran: Ran,
}

/// What the core did with a request, as it decided it (the HTTP layer does not work it out
/// again from the raw parameters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ran {
    /// The API module that ran, by its `action` name; None when none was chosen (an unknown
    /// action, a request refused before dispatch, a page).
    pub action: Option<&'static str>,
    /// What a login attempt through action=login or action=clientlogin came to.
    pub login: Option<LoginResult>,
}

/// A login attempt's end, as action=login names it (clientlogin's `PASS` is `Success`,
/// its `FAIL` is `Failed`); a refusal by the login throttle is told apart from `Failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginResult {
    Success,
    Failed,
    Throttled,
    Aborted,
    NeedToken,
    WrongToken,
}

impl LoginResult {
    pub const ALL: [LoginResult; 6] = [
        LoginResult::Success,
        LoginResult::Failed,
        LoginResult::Throttled,
        LoginResult::Aborted,
        LoginResult::NeedToken,
        LoginResult::WrongToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LoginResult::Success => "Success",
            LoginResult::Failed => "Failed",
            LoginResult::Throttled => "Throttled",
            LoginResult::Aborted => "Aborted",
            LoginResult::NeedToken => "NeedToken",
            LoginResult::WrongToken => "WrongToken",
        }
    }
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_ref())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowing parser reads every input as form_urlencoded does, and borrows exactly
    /// the pairs with nothing to decode.
    #[test]
    fn forms_are_read_as_form_urlencoded_reads_them() {
        let inputs: &[&[u8]] = &[
            b"",
            b"&&",
            b"action=query&meta=tokens&format=json",
            b"a=1&&b=&=c&d&e==f&a=2",
            b"token=%2B%5C&name=Al+ice&x=%zz&y=%&z=%4",
            b"t=caf\xc3\xa9&u=\xff\xfe&v=%C3%A9&w=%FF",
            b"k%3Dv=1&sp ace=2&semi;colon=3",
        ];
        for &input in inputs {
            let ours: Vec<(String, String)> = parse_form(input)
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let theirs: Vec<(String, String)> =
                form_urlencoded::parse(input).into_owned().collect();
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(input));
        }
        let read = parse_form(b"action=query&token=%2B%5C&n=a+b");
        assert!(matches!(
            read[0],
            (Cow::Borrowed("action"), Cow::Borrowed("query"))
        ));
        assert!(matches!(read[1].1, Cow::Owned(_)));
        assert!(matches!(read[2].1, Cow::Owned(_)));
    }
}
