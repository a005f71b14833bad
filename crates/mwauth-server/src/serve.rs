//! `mwauth serve`: open the stores, listen, log one line per request, stop cleanly on
//! SIGINT or SIGTERM.

use crate::metered::{MeteredSessions, MeteredUsers};
use crate::metrics::{self, Metrics};
use crate::{adapter, config, listener, Settings};
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
    if settings.file.wiki.oath.enabled {
        stores
            .users
            .create_oath_table()
            .await
            .context("cannot create the oathauth_users table ([oath] enabled)")?;
    }
    let services = Services {
        config: Arc::new(config::wiki_settings(settings)),
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
    let (services, metrics) = with_metrics(services, &settings);
    let metrics_task = match (settings.file.metrics_listen, &metrics) {
        (Some(addr), Some(m)) => {
            let task = serve_metrics(addr, m.clone(), &services).await?;
            tracing::info!("metrics on http://{addr}/metrics");
            Some(task)
        }
        _ => None,
    };
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
    let app = Arc::new(adapter::AppState::new(services, &settings.file, metrics)?);
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
    listener::serve(listener, app, shutdown_signal()).await?;
    if let Some(task) = metrics_task {
        task.abort();
    }
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
    /// Where `/metrics` is served, when the settings ask for it.
    pub metrics_addr: Option<SocketAddr>,
    pub services: Services,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    metrics_task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(t) = self.metrics_task.take() {
            t.abort();
        }
    }
}

/// With `metrics_listen` set: the metrics, and the services over metered stores.
fn with_metrics(services: Services, settings: &Settings) -> (Services, Option<Arc<Metrics>>) {
    if settings.file.metrics_listen.is_none() {
        return (services, None);
    }
    let metrics = Arc::new(Metrics::new());
    let services = Services {
        users: Arc::new(MeteredUsers {
            inner: services.users,
            meter: metrics.users.clone(),
        }),
        sessions: Arc::new(MeteredSessions {
            inner: services.sessions,
            meter: metrics.sessions.clone(),
        }),
        ..services
    };
    (services, Some(metrics))
}

/// Binds `addr` and serves `/metrics` there, in a task of its own.
async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    services: &Services,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for metrics"))?;
    Ok(tokio::spawn(metrics::serve(
        listener,
        metrics,
        services.clone(),
    )))
}

impl Spawned {
    pub fn api_url(&self) -> String {
        format!("http://{}/w/api.php", self.addr)
    }

    /// Stops accepting, finishes open requests, and waits for the server to end.
    pub async fn stop(mut self) {
        if let Some(t) = self.metrics_task.take() {
            t.abort();
        }
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
    let (services, metrics) = with_metrics(services, settings);
    let (metrics_addr, metrics_task) = match (settings.file.metrics_listen, &metrics) {
        (Some(addr), Some(m)) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let addr = listener.local_addr()?;
            let task = metrics::serve(listener, m.clone(), services.clone());
            (Some(addr), Some(tokio::spawn(task)))
        }
        _ => (None, None),
    };
    let app = Arc::new(adapter::AppState::new(
        services.clone(),
        &settings.file,
        metrics,
    )?);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = listener::serve(listener, app, async {
            let _ = rx.await;
        })
        .await;
    });
    Ok(Spawned {
        addr,
        metrics_addr,
        metrics_task,
        services,
        stop: Some(tx),
        task: Some(task),
    })
}
