//! The `[limits]` table: what a run may cost (checked in `scenario/limits.rs`).

use serde::Deserialize;

use crate::error::InputError;

/// The `[limits]` table: the most a run may hold and do. The defaults admit a 1-million-host,
/// 10-million-VM datacenter; raise them in the file or with `--set limits.max_vms=…` when the
/// machine can take more.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Hosts in all.
    pub max_hosts: u64,
    /// VM requests in all (generators, trace files, service roles at their largest).
    pub max_vms: u64,
    /// Steps of simulated work: every monitoring update and reallocation round visits every
    /// host and VM, every failure, crash and service tick is an event.
    pub max_steps: u64,
    /// Demand samples held in memory (random-walk paths, on/off toggles, VM histories).
    pub max_samples: u64,
    /// Runs of a sweep (grid points × replicas).
    pub max_sweep_runs: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_hosts: 1_000_000,
            max_vms: 10_000_000,
            max_steps: 10_000_000_000,
            max_samples: 1_000_000_000,
            max_sweep_runs: 100_000,
        }
    }
}

impl LimitsSection {
    /// An error at `at` (made by `error`) when `n` `what` exceed `limit`, the limit `key`,
    /// saying how to raise it.
    pub fn check(
        &self,
        what: &str,
        n: u128,
        limit: u64,
        key: &str,
        at: &str,
        error: &dyn Fn(&str, String) -> InputError,
    ) -> Result<(), InputError> {
        if n <= u128::from(limit) {
            return Ok(());
        }
        let shown = if n >= 1_000_000_000_000_000_000_000_000 {
            "more than 10^36".to_string()
        } else {
            n.to_string()
        };
        Err(error(
            at,
            format!("the run would hold {shown} {what}, over the limit of {limit}"),
        )
        .hint(format!(
            "if the machine can take it, raise the limit: [limits] {key} = N in the file, or \
             --set limits.{key}=N"
        )))
    }
}
