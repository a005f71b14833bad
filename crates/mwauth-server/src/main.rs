//! `mwauth`: serve the Action API, and administer accounts and bot passwords.

use clap::{Parser, Subcommand};
use mwauth_server::{check, cli, config, serve, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mwauth",
    version,
    about = "A MediaWiki-compatible login, token and session server"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "MWAUTH_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the SQLite file (created on first start).
    #[arg(long, global = true, env = "MWAUTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Wiki id ($wgDBname); the cookie prefix derives from it.
    #[arg(long, global = true, env = "MWAUTH_WIKI_ID")]
    wiki_id: Option<String>,
    /// Users backend: sqlite:PATH, mysql://USER:PASS@HOST:PORT/DB or postgres://… (default:
    /// the data directory's SQLite file).
    #[arg(long, global = true, env = "MWAUTH_USERS", value_name = "URL")]
    users: Option<String>,
    /// Sessions backend: memory, sqlite:PATH or redis://HOST:PORT[/DB] (default: the data
    /// directory's SQLite file).
    #[arg(long, global = true, env = "MWAUTH_SESSIONS", value_name = "URL")]
    sessions: Option<String>,
    /// Table prefix ($wgDBprefix).
    #[arg(
        long,
        global = true,
        env = "MWAUTH_TABLE_PREFIX",
        value_name = "PREFIX"
    )]
    table_prefix: Option<String>,
    /// Session records: native (mwauth's) or php (MediaWiki's, shared with a PHP wiki).
    #[arg(
        long,
        global = true,
        env = "MWAUTH_SESSION_FORMAT",
        value_name = "FORMAT",
        value_parser = ["native", "php"]
    )]
    session_format: Option<String>,
    /// The MediaWiki to pass every request mwauth does not serve to: http://HOST:PORT.
    #[arg(long, global = true, env = "MWAUTH_UPSTREAM", value_name = "URL")]
    upstream: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /w/api.php and /api.php.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "MWAUTH_LISTEN")]
        listen: Option<SocketAddr>,
        /// Address to serve Prometheus metrics on (GET /metrics); default: no metrics.
        #[arg(long, env = "MWAUTH_METRICS_LISTEN", value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: cli::UserCommand,
    },
    /// Manage bot passwords.
    Botpassword {
        #[command(subcommand)]
        command: cli::BotCommand,
    },
    /// Two-factor authentication (OATHAuth) of accounts.
    Oath {
        #[command(subcommand)]
        command: cli::OathCommand,
    },
    /// Write a configuration file.
    Config {
        #[command(subcommand)]
        command: cli::ConfigCommand,
    },
    /// Connect to the configured users and sessions backends and report what they hold
    /// (changes nothing; exit status 1 when one fails).
    CheckConfig,
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut file = config::load(cli.config.as_deref())?;
    if let Some(id) = &cli.wiki_id {
        file.wiki.wiki_id = id.clone();
    }
    if let Some(u) = &cli.users {
        file.users = Some(u.clone());
    }
    if let Some(s) = &cli.sessions {
        file.sessions = Some(s.clone());
    }
    if let Some(p) = &cli.table_prefix {
        file.table_prefix = p.clone();
    }
    if let Some(f) = &cli.session_format {
        file.session_format = if f == "php" {
            mwauth::config::SessionFormat::Php
        } else {
            mwauth::config::SessionFormat::Native
        };
    }
    if let Some(u) = &cli.upstream {
        file.upstream = Some(u.clone());
        config::check(&file)?;
    }
    let data_dir = cli
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("./mwauth-data"));
    Ok(Settings { file, data_dir })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mwauth: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        // Reads no configuration: it writes one.
        if let Command::Config { command } = &cli.command {
            return cli::config(command);
        }
        let settings = settings(&cli)?;
        match cli.command {
            Command::Serve {
                listen,
                metrics_listen,
            } => {
                let mut settings = settings;
                if metrics_listen.is_some() {
                    settings.file.metrics_listen = metrics_listen;
                }
                serve::run(settings, listen).await
            }
            Command::User { command } => cli::user(settings, command).await,
            Command::Botpassword { command } => cli::botpassword(settings, command).await,
            Command::Oath { command } => cli::oath(settings, command).await,
            Command::CheckConfig => check::run(settings, cli.config.as_deref()).await,
            Command::Config { .. } => unreachable!("answered above"),
        }
    });
    mwauth_server::log::drain();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mwauth: {e:#}");
            ExitCode::FAILURE
        }
    }
}
