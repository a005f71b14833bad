//! A client for MediaWiki's Action API authentication surface: login tokens, bot-password
//! login (`action=login`), main-account login (`action=clientlogin`), tokens, `meta=userinfo`,
//! `action=checktoken` and `action=logout`; plus [`Client::get`] and [`Client::post`] for any
//! other action.
//!
//! It speaks to MediaWiki 1.39's `api.php` and to mwauth, which reproduces that surface.
//! Every request carries `format=json&formatversion=2`.
//!
//! # Example
//!
//! The API:Logout walk-through — login token, bot-password login, csrf token, POST logout —
//! is four calls, two of them inside [`Client::login`] and [`Client::logout`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), mwauth_client::Error> {
//! use mwauth_client::Client;
//!
//! let client = Client::new("http://127.0.0.1:8080/w/api.php")?;
//! let me = client.login("Alice@testbot", "alicebotpasswordalicebotpass0001").await?;
//! assert_eq!(me.name, "Alice");
//!
//! let csrf = client.token("csrf").await?;
//! assert!(client.userinfo().await?.id > 0);
//! let edit = client
//!     .post(&[("action", "edit"), ("title", "Sandbox"), ("appendtext", "x"), ("token", &csrf)])
//!     .await;
//!
//! client.logout().await?;
//! assert!(client.userinfo().await?.anon);
//! # let _ = edit;
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! MediaWiki's `{"error":{"code","info"}}` becomes [`Error::Api`] with both strings as the
//! wiki sent them, so callers match on the documented codes:
//!
//! ```no_run
//! # async fn demo(client: mwauth_client::Client) {
//! use mwauth_client::Error;
//!
//! match client.post(&[("action", "logout"), ("token", "+\\")]).await {
//!     Err(Error::Api { code, .. }) if code == "badtoken" => eprintln!("stale token"),
//!     other => println!("{other:?}"),
//! }
//! # }
//! ```
//!
//! A refused `action=login` is [`Error::LoginFailed`] with its `result` and `reason`.
//!
//! # Retries
//!
//! A `maxlag` error (after [`ClientBuilder::maxlag`]) and HTTP 503 are retried, by default
//! up to 3 times: after the `Retry-After` the answer gives, else 1 s, 2 s, 4 s. See
//! [`RetryPolicy`].
//!
//! # Sessions and cookies
//!
//! Each [`Client`] has its own [`CookieJar`]; clones share it. [`CookieJar::save`] and
//! [`CookieJar::load`] keep a session across processes (the `mwauth-client` command does so),
//! in a file created with mode 0600.
//!
//! # User-Agent
//!
//! Wikimedia's User-Agent policy asks every client to identify itself and give a contact.
//! The default is [`DEFAULT_USER_AGENT`]; set yours with [`ClientBuilder::contact`] (or the
//! whole header with [`ClientBuilder::user_agent`]) before talking to a public wiki.
//!
//! # Transport
//!
//! reqwest without default features: HTTP/1.1 only and **no TLS**, so `https` URLs are
//! refused with [`Error::InvalidUrl`]. mwauth and its tests run on loopback, and a TLS stack
//! (rustls with ring and webpki roots) would roughly double this crate's build time on a
//! small CI machine. Put a TLS-terminating proxy in between, or add `reqwest/rustls-tls` as a
//! feature when a use appears.

mod client;
mod clientlogin;
mod error;
mod jar;
mod retry;
mod session;

pub use client::{user_agent_with_contact, Client, ClientBuilder, DEFAULT_USER_AGENT};
pub use clientlogin::{AuthRequest, ClientLoginStatus};
pub use error::{Error, Result};
pub use jar::CookieJar;
pub use retry::RetryPolicy;
pub use session::{LoggedIn, TokenCheck, TokenValidity, UserInfo};
