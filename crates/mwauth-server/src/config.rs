//! Server configuration: built-in defaults, then an optional TOML file, then `MWAUTH_*`
//! environment variables and command-line flags (clap merges the last two).

use anyhow::Context as _;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    /// Maximum request body in bytes.
    pub max_body_bytes: usize,
    /// Settings that change what clients observe (see mwauth::Config).
    pub wiki: mwauth::Config,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            listen: None,
            data_dir: None,
            max_body_bytes: 8 * 1024 * 1024,
            wiki: mwauth::Config::default(),
        }
    }
}

pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// The data directory's SQLite file.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("mwauth.sqlite")
}
