//! mwauth-bench: a load generator for MediaWiki's Action API authentication surface (mwauth or
//! any api.php on loopback), the baseline it is measured against, and the report it writes.
//!
//! The binary (`src/main.rs`) runs everything: `mwauth-bench run` starts the release `mwauth`
//! and the baseline as child processes, runs each scenario, and writes `bench/REPORT.md`. The
//! library is what the smoke test drives against an in-process server.

pub mod baseline;
pub mod client;
pub mod front_door;
pub mod machine;
pub mod passthrough;
pub mod plan;
pub mod process;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod vu;
