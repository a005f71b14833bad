//! The languages of mwauth's messages and their catalogue (moved here from `api/`, which
//! the account pages use too).

mod catalogue;
mod language;

pub use catalogue::*;
pub use language::*;
