//! mwauth: MediaWiki 1.39's Action API authentication surface (tokens, login, logout,
//! userinfo, checktoken) and the account pages people use ([`web`]: Special:UserLogin,
//! UserLogout, CreateAccount, BotPasswords) as a library. The HTTP server and the admin CLI
//! live in `mwauth-server`; everything a client can observe is decided here.
//!
//! Data flow: [`request::ApiRequest`] → [`api::execute`] → [`request::ApiResponse`]. The core never
//! sees HTTP-framework types, so every behaviour is testable without a socket.

pub mod api;
pub mod auth;
pub mod config;
pub mod hash_pool;
pub mod i18n;
pub mod request;
pub mod session;
pub mod store;
pub mod time;
pub mod user;
pub mod web;

pub use config::Config;

use std::sync::Arc;

/// Everything a request needs: configuration and the two stores.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub users: Arc<dyn store::UserStore>,
    pub sessions: Arc<dyn store::SessionStore>,
    pub hasher: hash_pool::HashPool,
}
