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

#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// Query-string pairs, in order.
    pub query: Vec<(String, String)>,
    /// Body pairs (urlencoded or multipart form fields), in order.
    pub body: Vec<(String, String)>,
    /// Header names in lower case. The HTTP adapter passes on only the headers the core
    /// reads ([`HEADERS_READ`]); `Cookie` is read into `cookies` (PHP's `$_COOKIE`).
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    pub client_ip: IpAddr,
    /// True when the client reached us over https (directly or via a trusted proxy).
    pub https: bool,
    /// `Host` header, for URLs when `$wgServer` is not configured.
    pub host: String,
}

impl ApiRequest {
    pub fn new(method: &str) -> ApiRequest {
        ApiRequest {
            method: method.to_ascii_uppercase(),
            query: Vec::new(),
            body: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            client_ip: IpAddr::from([127, 0, 0, 1]),
            https: false,
            host: "localhost".into(),
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
            .map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        // PHP's $_COOKIE keeps the first of two cookies with the same name.
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
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
