//! The `mwauth` binary's parts: configuration, the HTTP adapter, `serve` and the admin
//! commands. A library so that tests can run the real server in-process on loopback.

pub mod body_budget;
pub mod check;
pub mod cli;
pub mod config;
mod conn;
pub mod http;
pub mod log;
pub mod serve;
pub mod workers;

use std::path::PathBuf;

/// Resolved settings: the configuration file (or defaults) and the data directory.
pub struct Settings {
    pub file: config::FileConfig,
    pub data_dir: PathBuf,
}
