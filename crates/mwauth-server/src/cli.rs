//! The admin commands. Each checks everything before writing anything; a refusal is one
//! line on stderr and exit status 1.

use crate::serve::open_services;
use crate::Settings;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use mwauth::auth::account::new_user_token;
use mwauth::store::StoreError;
use mwauth::user::{botpassword, name, policy, rights, BotPasswordRecord};

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
async fn open_users(mut settings: Settings) -> anyhow::Result<mwauth::Services> {
    settings.file.sessions = Some("memory".to_string());
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
            let name = user_name(&raw)?;
            if !name::is_creatable(&name) {
                bail!("invalid user name \"{raw}\": names may not contain @ : > =");
            }
            if let Some(g) = groups.iter().find(|g| !rights::is_known_group(g)) {
                bail!("unknown group \"{g}\"");
            }
            policy::check(&name, &pw, &groups).map_err(|e| anyhow!("password refused: {e}"))?;
            if users.user_by_name(&name).await?.is_some() {
                bail!("user \"{name}\" already exists");
            }
            let hash = services
                .hasher
                .hash(&pw)
                .await
                .ok_or_else(|| anyhow!("hashing failed"))?;
            let id = users
                .create_user(&name, &hash, &new_user_token(), &groups)
                .await
                .map_err(conflict)?;
            println!("created user \"{name}\" (id {id})");
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
                .ok_or_else(|| anyhow!("hashing failed"))?;
            // A new user_token too: the user's sessions and remember-me cookies end.
            users
                .set_password(user.id, &hash, Some(&new_user_token()))
                .await?;
            println!("password of \"{}\" changed", user.name);
        }
    }
    Ok(())
}

fn conflict(e: StoreError) -> anyhow::Error {
    anyhow!("{e}")
}

/// BotPassword::APPID_MAXLENGTH.
const APPID_MAXLENGTH: usize = 32;

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
            let app_id = botname.trim().to_string();
            if app_id.is_empty()
                || app_id.len() > APPID_MAXLENGTH
                || app_id.contains(botpassword::SEPARATOR)
            {
                bail!("invalid bot name \"{botname}\": 1 to {APPID_MAXLENGTH} bytes, without @");
            }
            if let Some(g) = grants.iter().find(|g| !rights::is_known_grant(g)) {
                bail!("unknown grant \"{g}\"");
            }
            let pw = match given {
                Some(p) => {
                    if botpassword::canonicalize_login_data("x@y", &p).is_none() {
                        bail!("bot passwords must be at least 32 characters of 0-9 and a-w");
                    }
                    p
                }
                None => botpassword::generate_password(),
            };
            if users.bot_password(user.id, &app_id).await?.is_some() {
                bail!(
                    "bot password \"{app_id}\" of \"{}\" already exists",
                    user.name
                );
            }
            let hash = services
                .hasher
                .hash(&pw)
                .await
                .ok_or_else(|| anyhow!("hashing failed"))?;
            let record = BotPasswordRecord {
                user_id: user.id,
                app_id: app_id.clone(),
                password: hash,
                token: mwauth::session::random_hex(32),
                restrictions: botpassword::DEFAULT_RESTRICTIONS.to_string(),
                grants,
            };
            users.create_bot_password(&record).await.map_err(conflict)?;
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
            if !users.delete_bot_password(user.id, botname.trim()).await? {
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
            let mut count = 0;
            for bp in users.list_bot_passwords(user.id).await? {
                // PasswordFactory::newInvalidPassword, and a new bp_token so that the
                // sessions made with the old one end too.
                let token = mwauth::session::random_hex(32);
                if users
                    .update_bot_password(
                        user.id,
                        &bp.app_id,
                        &bp.grants,
                        &bp.restrictions,
                        &token,
                        Some(":null:"),
                    )
                    .await?
                {
                    count += 1;
                }
            }
            if count > 0 {
                println!("Bot passwords invalidated for {}", user.name);
            } else {
                println!("No bot passwords invalidated for {}", user.name);
            }
        }
    }
    Ok(())
}
