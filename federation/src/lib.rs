//! orrery's federation runtime: several clouds, each its own cloud OS or a public cloud,
//! joined by WAN links and coupled relationships, run in lock-step in simulated time under one
//! of four architectures (bursting, broker, aggregated, multitier; seed 000), with the
//! cross-site migration protocol of seed 002 and the brokering of seeds 001 and 004.
//!
//! * [`spec`]: the federation file and its checks; [`demand`]: the VM requests it draws.
//! * [`coupling`]: coupling levels, what a remote view holds and which actions are allowed.
//! * [`policy`]: the pure decision code: the cross-site protocol's state machines, brokers,
//!   the meta-broker's ranking and the architectures' routing rules. It never sees the
//!   runtime.
//! * [`site`] and [`public`]: private sites (a simulator and its cloud OS) and public clouds.
//! * [`runtime`]: the event loop, coordinating three parts that own their state:
//!   * [`world`]: what every layer shares: the clock, the event queue, the clouds, the WAN,
//!     the coupling checks, monitoring and the run's record;
//!   * [`requests`]: the VM requests, routed by the architectures and moved between sites
//!     (the protocol's agents and the meta-broker's probes among its state);
//!   * [`saas`]: appliances offered at several sites, each site's cloud broker, and service
//!     calls forwarded between sites (the SaaS layer).
//! * [`output`]: summary, per-interval rows, the event log and the calls.
//! * [`ids`]: sites, requests, desks, workers and calls are indexed by types of their own.

pub mod coupling;
pub mod demand;
pub mod ids;
pub mod output;
pub mod policy;
pub mod public;
pub mod requests;
pub mod runtime;
pub mod saas;
pub mod site;
pub mod spec;
pub mod world;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use output::{Outcome, Summary};
pub use runtime::Runtime;
pub use spec::Federation;

pub use orrery_engine::error::RunError;

/// Loads the federation file at `path` with `--set KEY=VALUE` overrides and runs it.
pub fn run(path: &Path, sets: &[String]) -> Result<Outcome, RunError> {
    let fed = Federation::load(path, sets)?;
    Ok(Runtime::new(fed)?.run()?)
}

/// Runs each federation file with `--set KEY=VALUE` overrides (all loaded first, so a bad one
/// stops everything before any run) and returns their summaries in the order given.
pub fn compare(paths: &[PathBuf], sets: &[String]) -> Result<Vec<Summary>, RunError> {
    let feds = paths
        .iter()
        .map(|p| Federation::load(p, sets))
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
