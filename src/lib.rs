//! The `orrery` library behind the CLI: load a scenario, build its cloud OS and simulator, and
//! run it; the sweep, bench and validation drivers; and the CLI itself ([`cli::main`]).

pub mod bench;
pub mod cli;
pub mod decide;
pub mod error;
pub mod extend;
pub mod kind;
pub mod progress;
pub mod runs;
pub mod sweep;
#[cfg(feature = "live")]
pub mod twin;
pub mod validation;

pub use error::Error;
#[cfg(feature = "live")]
pub use runs::live;
pub use runs::{check, compare, load_scenario, run, DEFAULT_SCENARIO};
