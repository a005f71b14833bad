//! MediaWiki's Action API (`api.php`): the request pipeline, results, errors, formats and
//! the modules mwauth serves.

pub mod api_main;
mod cache;
pub mod context;
mod cors;
pub mod error;
pub mod format;
pub mod modules;
pub mod params;
pub mod params_spec;
pub mod respond;
pub mod result;
pub mod user_param;

pub use api_main::execute;
