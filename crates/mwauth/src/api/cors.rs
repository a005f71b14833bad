//! ApiMain::handleCORS: the `origin` parameter against the Origin header,
//! $wgCrossSiteAJAXdomains (and its exceptions) and $wgAllowedCorsHeaders.

use crate::request::{ApiRequest, ApiResponse, Header, Ran};

/// ApiMain::handleCORS. Returns a finished response when the request must be refused.
pub(super) fn handle_cors(
    config: &crate::Config,
    req: &ApiRequest,
    headers: &mut Vec<Header>,
) -> Option<ApiResponse> {
    let origin_param = req
        .body
        .iter()
        .chain(req.query.iter())
        .find(|(k, _)| k == "origin")
        .map(|(_, v)| v.as_ref())?;
    let (matched, allow_origin, allow_credentials, timing) = if origin_param == "*" {
        (true, "*".to_string(), "false", None)
    } else {
        let header = req.header("origin").map(str::trim).unwrap_or("");
        let origins: Vec<&str> = header.split_whitespace().collect();
        if !origins.contains(&origin_param) {
            return Some(ApiResponse {
                status: 403,
                headers: vec![
                    ("X-Content-Type-Options".into(), "nosniff".into()),
                    ("Cache-Control".into(), "no-cache".into()),
                    ("Content-Type".into(), "text/html; charset=UTF-8".into()),
                ],
                body: b"'origin' parameter does not match Origin header\n".to_vec(),
                ran: Ran::default(),
            });
        }
        // Origin::match: every origin in the header must be allowed and none excepted.
        let allowed = origins.iter().all(|o| {
            matches_any(o, &config.cross_site_ajax_domains)
                && !matches_any(o, &config.cross_site_ajax_domain_exceptions)
        });
        (
            allowed,
            header.to_string(),
            "true",
            Some(header.to_string()),
        )
    };
    if !matched {
        headers.push(("MediaWiki-CORS-Rejection".into(), "Origin mismatch".into()));
        return None;
    }
    let preflight =
        req.method == "OPTIONS" && req.header("access-control-request-method").is_some();
    if preflight {
        if let Some(requested) = req.header("access-control-request-headers") {
            if !headers_allowed(requested, &config.allowed_cors_headers) {
                headers.push((
                    "MediaWiki-CORS-Rejection".into(),
                    "Unsupported header requested in preflight".into(),
                ));
                return None;
            }
            headers.push((
                "Access-Control-Allow-Headers".into(),
                requested.to_string().into(),
            ));
        }
        headers.push((
            "Access-Control-Allow-Methods".into(),
            "POST, GET, HEAD".into(),
        ));
    }
    headers.push(("Access-Control-Allow-Origin".into(), allow_origin.into()));
    headers.push((
        "Access-Control-Allow-Credentials".into(),
        allow_credentials.into(),
    ));
    if let Some(t) = timing {
        headers.push(("Timing-Allow-Origin".into(), t.into()));
    }
    if !preflight {
        headers.push((
            "Access-Control-Expose-Headers".into(),
            "MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed".into(),
        ));
    }
    None
}

/// MediaWiki\Utils\Origin: a pattern of $wgCrossSiteAJAXdomains matches the host of an
/// origin URL, `*` and `?` as wildcards (e.g. `*.example.org`).
fn matches_any(origin: &str, patterns: &[String]) -> bool {
    let host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let host = host.split(['/', ':']).next().unwrap_or("");
    patterns
        .iter()
        .any(|p| wildcard(p.as_bytes(), host.as_bytes()))
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => wildcard(&p[1..], s) || (!s.is_empty() && wildcard(p, &s[1..])),
        (Some(b'?'), Some(_)) => wildcard(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => wildcard(&p[1..], &s[1..]),
        _ => false,
    }
}

/// ApiMain::matchRequestedHeaders: every requested header must be allowed (any case).
fn headers_allowed(requested: &str, allowed: &[String]) -> bool {
    requested.trim().is_empty()
        || requested
            .split(',')
            .all(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns_match_hosts() {
        let p = vec!["*.example.org".to_string(), "wiki.test".to_string()];
        assert!(matches_any("https://a.example.org", &p));
        assert!(matches_any("http://wiki.test:8080", &p));
        assert!(!matches_any("https://example.org.evil", &p));
        assert!(!matches_any("https://evil.test", &p));
    }

    #[test]
    fn preflight_headers() {
        let allowed = vec!["Api-User-Agent".to_string(), "Content-Type".to_string()];
        assert!(headers_allowed("api-user-agent, content-type", &allowed));
        assert!(!headers_allowed("X-Evil", &allowed));
        assert!(headers_allowed(" ", &allowed));
    }
}
