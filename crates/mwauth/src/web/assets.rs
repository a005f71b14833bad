//! The pages' stylesheet and script, served from this site (the CSP allows nothing else).

use super::WebResponse;

pub const CSS: &str = include_str!("assets/mwauth.css");
pub const JS: &str = include_str!("assets/mwauth.js");

/// The asset a path names (`SCRIPT_PATH/mwauth.css`, `SCRIPT_PATH/mwauth.js`, or the same at
/// the site root), for GET and HEAD.
pub fn serve(path: &str, method: &str) -> Option<WebResponse> {
    let (content_type, body) = match path.rsplit('/').next()? {
        "mwauth.css" => ("text/css; charset=UTF-8", CSS),
        "mwauth.js" => ("text/javascript; charset=UTF-8", JS),
        _ => return None,
    };
    let headers = [
        ("Content-Type", content_type),
        ("X-Content-Type-Options", "nosniff"),
        // Pages link the assets with the version in the URL.
        ("Cache-Control", "public, max-age=86400"),
    ]
    .map(|(k, v)| (k.into(), v.into()))
    .into();
    Some(WebResponse {
        status: 200,
        headers,
        body: if method == "HEAD" {
            Vec::new()
        } else {
            body.as_bytes().to_vec()
        },
        ran: Default::default(),
    })
}
