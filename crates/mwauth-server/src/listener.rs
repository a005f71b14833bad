//! The listening socket: accepts connections and hands each to a worker thread
//! ([`crate::workers`]), where [`crate::conn`] serves it; on shutdown, lets open requests
//! finish.

use crate::adapter::AppState;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// Accepts connections until `shutdown` completes, then lets open requests finish (at most
/// 10 seconds) and returns: idle connections are closed at once, a connection answering a
/// request once it has sent the answer.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    // Every connection's task holds a sender; `recv` returns None once all have ended.
    let (alive, mut ended) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Taken off this runtime's poller, to be registered with the one of the worker that
        // serves it (crate::workers), which then waits for its readiness itself.
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot hand over a connection from {peer}: {e}");
                continue;
            }
        };
        let state = state.clone();
        let stopping = stopping.clone();
        let alive = alive.clone();
        crate::workers::serve(state.workers, async move {
            match tokio::net::TcpStream::from_std(stream) {
                Ok(stream) => crate::conn::serve(stream, peer, state, stopping).await,
                Err(e) => tracing::warn!("cannot serve a connection from {peer}: {e}"),
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive);
    let _ = tokio::time::timeout(Duration::from_secs(10), ended.recv()).await;
    Ok(())
}
