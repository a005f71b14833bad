//! The admin commands. Each checks everything before writing anything; a refusal is one
//! line on stderr and exit status 1.

use crate::serve::open_services;
use crate::Settings;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use mwauth::auth::account::new_user_token;
use mwauth::auth::bot_passwords::{self, Settings as BotSettings};
use mwauth::auth::{account, login::Refusal};
use mwauth::user::{botpassword, name, policy};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Create {
        name: String,
        #[arg(long)]
        password: String,
        /// Comma-separated groups, e.g. sysop,bureaucrat.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
    },
    /// List accounts.
    List,
    /// Set an account's password (ends its sessions and remember-me cookies).
    SetPassword {
        name: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Subcommand)]
pub enum BotCommand {
    /// Create a bot password; prints the login name USER@BOTNAME and the password.
    Create {
        user: String,
        botname: String,
        /// At least 32 characters of 0-9 and a-w; generated when not given.
        #[arg(long)]
        password: Option<String>,
        /// Comma-separated grants.
        #[arg(long, value_delimiter = ',', default_value = "basic")]
        grants: Vec<String>,
    },
    /// List a user's bot passwords.
    List { user: String },
    /// Delete a bot password (ends its sessions).
    Delete { user: String, botname: String },
    /// Invalidate all of a user's bot passwords (as invalidateBotPasswords.php): each must be
    /// reset before it logs in again, and its sessions end at their next request.
    Invalidate { user: String },
}

fn user_name(raw: &str) -> anyhow::Result<String> {
    name::canonical(raw).ok_or_else(|| anyhow!("invalid user name \"{raw}\""))
}

/// The admin commands change users and bot passwords only; sessions end through the tokens
/// they hold (user_token, bp_token). So the session store is not opened: a running server
/// owns the embedded default's sessions, and reading them all here would be wasted work.
/// Beside a PHP wiki (`session_format = "php"`) it is, to drop PHP's cached copy of a user
/// row whose token changed (SessionStore::user_changed).
async fn open_users(mut settings: Settings) -> anyhow::Result<mwauth::Services> {
    if settings.file.session_format == mwauth::config::SessionFormat::Native {
        settings.file.sessions = Some("memory".to_string());
    }
    Ok(open_services(&settings).await?.0)
}

pub async fn user(settings: Settings, cmd: UserCommand) -> anyhow::Result<()> {
    let services = open_users(settings).await?;
    let users = services.users.clone();
    match cmd {
        UserCommand::Create {
            name: raw,
            password: pw,
            groups,
        } => {
            let user = account::create_by_operator(&services, &raw, &pw, &groups)
                .await
                .map_err(|r| refused(&services, &r))?;
            println!("created user \"{}\" (id {})", user.name, user.id);
        }
        UserCommand::List => {
            for u in users.list_users().await? {
                let reg = mwauth::time::mw_to_iso(&u.registration).unwrap_or_default();
                println!("{}\t{}\t{}\t{}", u.id, u.name, u.groups.join(","), reg);
            }
        }
        UserCommand::SetPassword {
            name: raw,
            password: pw,
        } => {
            let name = user_name(&raw)?;
            let user = users
                .user_by_name(&name)
                .await?
                .ok_or_else(|| anyhow!("no such user \"{name}\""))?;
            policy::check(&user.name, &pw, &user.groups)
                .map_err(|e| anyhow!("password refused: {e}"))?;
            let hash = services
                .hasher
                .hash(&pw)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            // A new user_token too: the user's sessions and remember-me cookies end.
            users
                .set_password(user.id, &hash, Some(&new_user_token()))
                .await?;
            // User::invalidateCache: a PHP wiki sharing the sessions drops its cached row.
            services.sessions.user_changed(user.id).await?;
            println!("password of \"{}\" changed", user.name);
        }
    }
    Ok(())
}

/// The refusals' English texts, as `Status::getMessage()->text()` lists several.
fn refused(services: &mwauth::Services, refusals: &[Refusal]) -> anyhow::Error {
    let sitename = &services.config.sitename;
    match refusals {
        [one] => anyhow!("{}", one.text(sitename)),
        many => anyhow!(
            "{}",
            many.iter()
                .map(|r| format!("* {}", r.text(sitename)))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

pub async fn botpassword(settings: Settings, cmd: BotCommand) -> anyhow::Result<()> {
    let services = open_users(settings).await?;
    let users = services.users.clone();
    match cmd {
        BotCommand::Create {
            user,
            botname,
            password: given,
            grants,
        } => {
            let name = user_name(&user)?;
            let user = users
                .user_by_name(&name)
                .await?
                .ok_or_else(|| anyhow!("no such user \"{name}\""))?;
            let app_id = botname.trim();
            let settings = BotSettings {
                grants: &grants,
                restrictions: botpassword::DEFAULT_RESTRICTIONS,
            };
            let pw = bot_passwords::create(&services, &user, app_id, settings, given)
                .await
                .map_err(|r| refused(&services, &[r]))?;
            println!("login name: {}@{app_id}", user.name);
            println!("password:   {pw}");
        }
        BotCommand::List { user } => {
            let name = user_name(&user)?;
            let user = users
                .user_by_name(&name)
                .await?
                .ok_or_else(|| anyhow!("no such user \"{name}\""))?;
            for bp in users.list_bot_passwords(user.id).await? {
                println!("{}@{}\t{}", user.name, bp.app_id, bp.grants.join(","));
            }
        }
        BotCommand::Delete { user, botname } => {
            let name = user_name(&user)?;
            let user = users
                .user_by_name(&name)
                .await?
                .ok_or_else(|| anyhow!("no such user \"{name}\""))?;
            let deleted = bot_passwords::delete(&services, &user, botname.trim())
                .await
                .map_err(|r| refused(&services, &[r]))?;
            if !deleted {
                bail!(
                    "\"{}\" has no bot password \"{}\"",
                    user.name,
                    botname.trim()
                );
            }
            println!("deleted bot password {}@{}", user.name, botname.trim());
        }
        BotCommand::Invalidate { user } => {
            let name = user_name(&user)?;
            let user = users
                .user_by_name(&name)
                .await?
                .ok_or_else(|| anyhow!("no such user \"{name}\""))?;
            let count = bot_passwords::invalidate_all(&services, &user).await?;
            if count > 0 {
                println!("Bot passwords invalidated for {}", user.name);
            } else {
                println!("No bot passwords invalidated for {}", user.name);
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum OathCommand {
    /// Whether a user has two-factor authentication (a TOTP key in `oathauth_users`);
    /// prints nothing secret.
    Status { user: String },
    /// Remove a user's two-factor authentication (as OATHAuth's
    /// disableOATHAuthForUser.php): the key goes and the user's sessions end.
    Disable { user: String },
}

pub async fn oath(settings: Settings, cmd: OathCommand) -> anyhow::Result<()> {
    let services = open_users(settings).await?;
    let users = services.users.clone();
    let on = services.config.oath.enabled;
    let raw = match &cmd {
        OathCommand::Status { user } | OathCommand::Disable { user } => user,
    };
    let name = user_name(raw)?;
    let user = users
        .user_by_name(&name)
        .await?
        .ok_or_else(|| anyhow!("User {name} doesn't exist!"))?;
    let row = users.oath_user(user.id).await.map_err(|e| {
        anyhow!("cannot read oathauth_users ({e}); is [oath] enabled on this wiki?")
    })?;
    match cmd {
        OathCommand::Status { .. } => match row {
            Some(row) => {
                let asked = if on {
                    ""
                } else {
                    " (not asked at login: [oath] is off)"
                };
                println!(
                    "{} (id {}): two-factor authentication enabled ({}){asked}",
                    user.name, user.id, row.module
                );
            }
            None => println!(
                "{} (id {}): two-factor authentication not enabled",
                user.name, user.id
            ),
        },
        OathCommand::Disable { .. } => {
            if row.is_none() || !users.delete_oath_user(user.id).await? {
                bail!("User {} doesn't have OATHAuth enabled!", user.name);
            }
            // SessionManager::invalidateSessionsForUser: a new user_token ends every session
            // and remember-me cookie, so whoever asked for this must log in again.
            users.set_user_token(user.id, &new_user_token()).await?;
            services.sessions.user_changed(user.id).await?;
            println!("OATHAuth disabled for {}.", user.name);
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print mwauth's TOML for standing beside a MediaWiki (session_format = "php"), from
    /// the JSON of `php maintenance/getConfiguration.php --format json` (a file, or - for
    /// stdin). Each value names the $wg setting it came from.
    FromMediawiki {
        #[arg(default_value = "-")]
        file: String,
    },
}

pub fn config(cmd: &ConfigCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigCommand::FromMediawiki { file } => {
            let json = crate::import::read_input(file)?;
            print!("{}", crate::import::from_mediawiki(&json)?);
        }
    }
    Ok(())
}
