//! The `[failures]` section: how the VM manager reacts to host failures and VM crashes.

use std::path::PathBuf;

use serde::Deserialize;

/// Failure detection and restarts; the failures themselves come from host groups' `mtbf_s` /
/// `mttr_s`, VM types' `crash_rate_per_day` and the optional `trace`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FailuresSection {
    /// Seconds from a host failure or VM crash until the VM manager notices it.
    pub detection_s: f64,
    /// Whether the VM manager restarts lost VMs (re-placing them through placement).
    pub restart: bool,
    /// Most restarts of one VM (no limit when absent).
    pub max_restarts: Option<u32>,
    /// A failure trace (CSV `time_s,target,event`), relative to the scenario file.
    pub trace: Option<PathBuf>,
}

impl Default for FailuresSection {
    fn default() -> Self {
        FailuresSection {
            detection_s: 0.0,
            restart: true,
            max_restarts: None,
            trace: None,
        }
    }
}
