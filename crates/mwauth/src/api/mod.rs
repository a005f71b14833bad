//! MediaWiki's Action API (`api.php`): the request pipeline, results, errors, formats and
//! the modules mwauth serves.

mod cache;
pub mod context;
mod cors;
pub mod error;
pub mod format;
pub mod i18n;
pub mod main;
pub mod messages;
pub mod modules;
pub mod params;
pub mod params_spec;
pub mod request;
pub mod result;

pub use main::execute;
pub use request::{ApiRequest, ApiResponse, LoginResult, Ran};
