//! The pass-through measurement against an in-process mwauth in front of a small hyper
//! server: it measures what it says (both sides answered, alike, every time).

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use mwauth_bench::passthrough::measure;
use mwauth_server::config::FileConfig;
use mwauth_server::serve::spawn;
use mwauth_server::Settings;
use std::convert::Infallible;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sides_are_measured() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let wiki = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let answer = service_fn(|_| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"static"))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), answer)
                    .await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        file: FileConfig {
            upstream: Some(format!("http://{wiki}")),
            ..FileConfig::default()
        },
        data_dir: dir.path().to_path_buf(),
    };
    let server = spawn(&settings).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let r = measure(wiki, server.addr, "/w/COPYING", 200, 20, deadline)
        .await
        .unwrap();
    assert_eq!(r.mismatches, 0);
    assert_eq!((r.direct.0.len(), r.through.0.len()), (200, 200));
    assert!(r.through.quantile(0.5) > std::time::Duration::ZERO);
    assert!(r.render().starts_with("| `/w/COPYING` | 200 |"));
    server.stop().await;
}
