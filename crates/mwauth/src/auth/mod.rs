//! The login and session engine shared by the API, the web pages and the CLI: password and
//! bot-password login with MediaWiki's throttles, and loading and saving sessions.

pub mod account;
pub mod bot_passwords;
pub mod login;
pub mod sessions;
pub mod throttle;
pub mod web_session;
