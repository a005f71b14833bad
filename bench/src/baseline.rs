//! The baseline: a bare hyper HTTP/1.1 handler answering a fixed token JSON, on the same
//! tokio runtime shape as `mwauth serve` (multi-threaded, one worker per core). Whatever
//! mwauth does beyond it — parameters, session lookup, token HMAC, formatting, logging,
//! cookies — is what the ratios measure.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::net::TcpListener;

/// What MediaWiki answers an anonymous `meta=tokens` (the JSON text of `+\`).
pub const BODY: &str = r#"{"batchcomplete":"","query":{"tokens":{"csrftoken":"+\\"}}}"#;

async fn answer(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut res = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    res.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Ok(res)
}

/// Serves until the task is dropped.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
