//! orrery's federation runtime: several clouds, each its own cloud OS or a public cloud,
//! joined by WAN links and coupled relationships, run in lock-step in simulated time under one
//! of four architectures (bursting, broker, aggregated, multitier; seed 000), with the
//! cross-site migration protocol of seed 002 and the brokering of seeds 001 and 004.
//!
//! * [`spec`]: the federation file and its checks.
//! * [`coupling`]: coupling levels, what a remote view holds and which actions are allowed.
//! * [`policy`]: the pure decision code: the cross-site protocol's state machines, brokers and
//!   the meta-broker's ranking.
//! * [`site`] and [`public`]: private sites (a simulator and its cloud OS) and public clouds.
//! * [`runtime`]: the event loop; [`arch`]: the architectures' routing rules;
//!   [`metabroker`]: the broker ranking clouds by probed health.
//! * [`saas`]: appliances offered at several sites, each site's cloud broker, and service
//!   calls forwarded between sites (the SaaS layer).
//! * [`output`]: summary, per-interval rows, the event log and the calls.

pub mod arch;
pub mod coupling;
pub mod demand;
pub mod metabroker;
pub mod output;
pub mod policy;
pub mod public;
pub mod runtime;
pub mod saas;
pub mod site;
pub mod spec;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;
use orrery_engine::infra::InfraError;

pub use output::{Outcome, Summary};
pub use runtime::Runtime;
pub use spec::Federation;

/// Why a federation run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input: the federation file or a site's scenario.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A site's infrastructure failed during the run.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Loads the federation file at `path` and runs it.
pub fn run(path: &Path) -> Result<Outcome, RunError> {
    let fed = Federation::load(path)?;
    Ok(Runtime::new(fed)?.run()?)
}

/// Runs each federation file (all loaded first, so a bad one stops everything before any
/// run) and returns their summaries in the order given.
pub fn compare(paths: &[PathBuf]) -> Result<Vec<Summary>, RunError> {
    let feds = paths
        .iter()
        .map(|p| Federation::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    feds.into_iter()
        .map(|f| Ok(Runtime::new(f)?.run()?.summary))
        .collect()
}

/// The comparison table of `summaries`: one row per run.
pub fn comparison_table(summaries: &[Summary]) -> String {
    let mut out = format!(
        "{:<14} {:<11} {:>8} {:>7} {:>8} {:>6} {:>8} {:>9} {:>9} {:>10} {:>9} {:>9} {:>6} {:>8} {:>9}\n",
        "federation",
        "arch",
        "requests",
        "served",
        "rejected",
        "burst",
        "forward",
        "deadline",
        "cost",
        "traffic_gb",
        "protocol",
        "shortfall",
        "calls",
        "call_fwd",
        "call_miss"
    );
    for s in summaries {
        let shortfall = s.sla_shortfall.values().copied().fold(0.0, f64::max);
        out += &format!(
            "{:<14} {:<11} {:>8} {:>7} {:>8} {:>6} {:>8} {:>9} {:>9.2} {:>10.2} {:>9} {:>9.4} {:>6} {:>8} {:>9}\n",
            s.name,
            s.architecture,
            s.requests,
            s.served,
            s.rejected,
            s.burst,
            s.forwarded,
            s.deadline_misses,
            s.cost_total,
            s.cross_site_traffic_gb,
            s.protocol_messages.values().sum::<u64>(),
            shortfall,
            s.calls.calls,
            s.calls.forwarded,
            s.calls.deadline_misses
        );
    }
    out
}
