//! The `mwauth` binary's parts: configuration, the transport in layers (`listener` accepts →
//! `conn`, the plain fast path, or `fallback`, hyper → `adapter`, the routing table and the
//! core's request and response), `serve` and the admin commands. A library so that tests
//! can run the real server in-process on loopback.

pub mod adapter;
pub mod body_budget;
pub mod check;
pub mod cli;
pub mod config;
mod conn;
mod fallback;
pub mod import;
pub mod listener;
pub mod log;
mod metered;
pub mod metrics;
pub mod serve;
pub mod upstream;
pub mod workers;

use std::path::PathBuf;

/// Resolved settings: the configuration file (or defaults) and the data directory.
pub struct Settings {
    pub file: config::FileConfig,
    pub data_dir: PathBuf,
}
