//! ApiRequest and ApiResponse: what the Action API core takes and gives, free of any HTTP
//! framework's types.

use std::net::IpAddr;

#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// Query-string pairs, in order.
    pub query: Vec<(String, String)>,
    /// Body pairs (urlencoded or multipart form fields), in order.
    pub body: Vec<(String, String)>,
    /// Header names in lower case. The HTTP adapter leaves out `Cookie`: it is read into
    /// `cookies` (PHP's `$_COOKIE`), which is all the core reads of it.
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

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    /// Headers in the order MediaWiki sends them; `Set-Cookie` may repeat.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}
