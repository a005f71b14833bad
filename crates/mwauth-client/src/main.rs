//! `mwauth-client`: log in, ask who you are, get a token and log out from a shell, the session
//! kept in a cookie file between invocations.
//!
//! ```text
//! mwauth-client --api http://127.0.0.1:8080/w/api.php login Alice@testbot PASSWORD
//! mwauth-client --api http://127.0.0.1:8080/w/api.php whoami        # Alice
//! mwauth-client --api http://127.0.0.1:8080/w/api.php token         # a csrf token
//! mwauth-client --api http://127.0.0.1:8080/w/api.php logout
//! ```
//!
//! Errors go to stderr as `mwauth-client: CODE: TEXT` (MediaWiki's code and text), exit 1.

use clap::{Parser, Subcommand};
use mwauth_client::{Client, CookieJar};
use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "mwauth-client",
    version,
    about = "MediaWiki Action API login from the shell"
)]
struct Cli {
    /// The wiki's api.php URL, e.g. http://127.0.0.1:8080/w/api.php.
    #[arg(long, env = "MWAUTH_CLIENT_API")]
    api: String,
    /// Where the session's cookies are kept between invocations (mode 0600).
    /// [default: $XDG_CACHE_HOME/mwauth-client/cookies.json or
    /// ~/.cache/mwauth-client/cookies.json]
    #[arg(long, env = "MWAUTH_CLIENT_COOKIE_JAR")]
    cookie_jar: Option<PathBuf>,
    /// Your contact (URL or email) for the User-Agent header, as Wikimedia's policy asks.
    #[arg(long, env = "MWAUTH_CLIENT_CONTACT", conflicts_with = "user_agent")]
    contact: Option<String>,
    /// The whole User-Agent header.
    #[arg(long, env = "MWAUTH_CLIENT_USER_AGENT")]
    user_agent: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in with a bot password (action=login). Prints the account name and id.
    Login {
        /// The bot password's user name, `Name@botname`.
        user: String,
        /// The bot password; read from the first line of stdin when omitted (keeps it out of
        /// the process list and shell history).
        password: Option<String>,
    },
    /// Print the session's user name, or the IP address for an anonymous session.
    Whoami,
    /// Print a token of this session (meta=tokens).
    Token {
        /// csrf, login, watch, patrol, rollback, userrights, createaccount, …
        #[arg(default_value = "csrf")]
        kind: String,
    },
    /// End the session (POST action=logout with the csrf token).
    Logout,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mwauth-client: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn run(cli: Cli) -> CliResult {
    let jar_path = match cli.cookie_jar {
        Some(p) => p,
        None => default_cookie_jar()
            .ok_or("neither XDG_CACHE_HOME nor HOME is set; use --cookie-jar FILE")?,
    };
    let jar = Arc::new(CookieJar::load(&jar_path)?);
    let mut builder = Client::builder(&cli.api).cookie_jar(jar.clone());
    if let Some(contact) = &cli.contact {
        builder = builder.contact(contact);
    }
    if let Some(ua) = cli.user_agent {
        builder = builder.user_agent(ua);
    }
    let client = builder.build()?;
    let outcome = execute(&client, cli.command).await;
    // Saved even after a failure: the server may have changed the session (a new
    // anonymous session for the login token, cookies cleared by a refused request).
    let saved = jar.save(&jar_path);
    outcome?;
    Ok(saved?)
}

async fn execute(client: &Client, command: Command) -> CliResult {
    match command {
        Command::Login { user, password } => {
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            let me = client.login(&user, &password).await?;
            println!("Logged in as {} (user id {}).", me.name, me.user_id);
        }
        Command::Whoami => println!("{}", client.userinfo().await?.name),
        Command::Token { kind } => println!("{}", client.token(&kind).await?),
        Command::Logout => {
            client.logout().await?;
            println!("Logged out.");
        }
    }
    Ok(())
}

fn read_password() -> std::io::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// XDG Base Directory: `$XDG_CACHE_HOME` when set to an absolute path, else `~/.cache`.
fn default_cookie_jar() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("mwauth-client").join("cookies.json"))
}
