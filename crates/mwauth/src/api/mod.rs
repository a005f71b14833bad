//! MediaWiki's Action API (`api.php`): the request pipeline, results, errors, formats and
//! the modules mwauth serves.

mod cache;
pub mod context;
mod cors;
pub mod error;
pub mod format;
pub mod main;
pub mod modules;
pub mod params;
pub mod params_spec;
pub mod respond;
pub mod result;

pub use main::execute;
