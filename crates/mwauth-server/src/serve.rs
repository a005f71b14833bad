//! `mwauth serve`: open the stores, listen, log one line per request, stop cleanly on
//! SIGINT or SIGTERM.

use crate::{config, http, Settings};
use anyhow::Context as _;
use mwauth::hash_pool::HashPool;
use mwauth::store::url::{SessionsUrl, UsersUrl};
use mwauth::Services;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The backends a server was opened with, for its start-up line.
#[derive(Debug, Clone)]
pub struct Backends {
    pub users: UsersUrl,
    pub sessions: SessionsUrl,
}

/// Opens the configured stores (creating missing tables) and the services over them.
pub async fn open_services(settings: &Settings) -> anyhow::Result<(Services, Backends)> {
    let (users, sessions) = config::backends(settings)?;
    let sqlite_files = [
        match &users {
            UsersUrl::Sqlite(p) => Some(p),
            _ => None,
        },
        match &sessions {
            SessionsUrl::Sqlite(p) => Some(p),
            _ => None,
        },
    ];
    for path in sqlite_files.into_iter().flatten() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        }
    }
    let stores = mwauth::store::url::open(&users, &sessions, &config::store_options(settings))
        .await
        .with_context(|| {
            format!(
                "cannot open the stores (users: {}, sessions: {})",
                users.display(),
                sessions.display()
            )
        })?;
    let services = Services {
        config: Arc::new(settings.file.wiki.clone()),
        users: stores.users,
        sessions: stores.sessions,
        hasher: HashPool::default(),
    };
    Ok((services, Backends { users, sessions }))
}

pub async fn run(settings: Settings, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MWAUTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(crate::log::StderrLines::start())
        .event_format(crate::log::LineFormat)
        .init();
    let addr = listen
        .or(settings.file.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let (services, backends) = open_services(&settings).await?;
    let purge_store = services.sessions.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = purge_store.purge_expired().await {
                tracing::warn!("purging expired sessions failed: {e}");
            }
        }
    });
    let app = Arc::new(http::AppState::new(services, &settings.file));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(
        "mwauth listening on http://{}/w/api.php (wiki id {}, users {}, sessions {})",
        listener.local_addr()?,
        settings.file.wiki.wiki_id,
        backends.users.display(),
        backends.sessions.display()
    );
    http::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("mwauth stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// A server on an ephemeral loopback port, for tests and benchmarks. Dropping the returned
/// handle's sender stops it.
pub struct Spawned {
    pub addr: SocketAddr,
    pub services: Services,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spawned {
    pub fn api_url(&self) -> String {
        format!("http://{}/w/api.php", self.addr)
    }

    /// Stops accepting, finishes open requests, and waits for the server to end.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

pub async fn spawn(settings: &Settings) -> anyhow::Result<Spawned> {
    let (services, _) = open_services(settings).await?;
    let app = Arc::new(http::AppState::new(services.clone(), &settings.file));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = http::serve(listener, app, async {
            let _ = rx.await;
        })
        .await;
    });
    Ok(Spawned {
        addr,
        services,
        stop: Some(tx),
        task: Some(task),
    })
}
