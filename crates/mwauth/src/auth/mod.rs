//! The login and session engine shared by the API, the web pages and the CLI: password and
//! bot-password login with MediaWiki's throttles, and the session of a request
//! ([`request_session::RequestSession`]).

pub mod account;
pub mod bot_passwords;
pub mod captcha;
pub mod login;
pub mod refusal;
pub mod request_session;
pub mod second_factor;
pub mod throttle;
