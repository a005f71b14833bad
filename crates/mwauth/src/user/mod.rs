//! Users as MediaWiki sees them: names, passwords, groups and rights, bot passwords.

pub mod botpassword;
pub mod name;
pub mod oath;
pub mod password;
pub mod policy;
pub mod rights;

/// A row of MediaWiki's `user` table, as much of it as mwauth uses.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: u32,
    pub name: String,
    /// `user_password`: a MediaWiki password hash (`:pbkdf2:…`), or empty for none.
    pub password: String,
    /// `user_token`: the secret behind the remember-me cookie.
    pub token: String,
    /// `user_registration`, 14 digits, or empty when unknown.
    pub registration: String,
    pub editcount: u64,
    /// Explicit groups (`user_groups`) that have not expired, by name: MediaWiki 1.39's
    /// UserGroupManager::getUserGroupMemberships `ksort`s them.
    pub groups: Vec<String>,
}

/// A row of MediaWiki's `bot_passwords` table.
#[derive(Debug, Clone, PartialEq)]
pub struct BotPasswordRecord {
    pub user_id: u32,
    pub app_id: String,
    pub password: String,
    pub token: String,
    /// `bp_restrictions`: MWRestrictions JSON, e.g. `{"IPAddresses":["0.0.0.0/0","::/0"]}`.
    pub restrictions: String,
    /// `bp_grants`: JSON list of grant names.
    pub grants: Vec<String>,
}
