//! The `Infrastructure` trait: what the control loop needs from a datacenter, simulated or real.

use crate::action::{Action, ActionResult};
use crate::model::ServiceId;
use crate::view::{ClusterView, VmId};

/// Why the cloud OS must decide now.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// These VM requests are waiting for placement.
    Place(Vec<VmId>),
    /// The reallocation interval has elapsed.
    Reallocate,
    /// These services are waiting for admission control.
    Admit(Vec<ServiceId>),
    /// Monitoring delivered new metric values: elasticity rules may act on them.
    Scale,
}

/// A failure of the infrastructure itself (not of a single action).
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// A host could not be reached.
    #[error("host {host} is unreachable: {detail}")]
    Unreachable {
        /// The host's name.
        host: String,
        /// What went wrong.
        detail: String,
    },
    /// Any other backend failure.
    #[error("{0}")]
    Backend(String),
}

/// A datacenter the cloud OS can observe and act on: the simulator or real hosts.
///
/// Simulated backends advance simulated time inside [`Infrastructure::next_decision`]; live
/// backends wait on the wall clock. Actions are accepted or refused at once; their completion
/// (a finished boot or migration) is reflected in later views.
pub trait Infrastructure {
    /// The current view of the cluster.
    fn view(&self) -> &ClusterView;
    /// Runs until the cloud OS has something to decide; `None` when the run is over.
    fn next_decision(&mut self) -> Result<Option<Decision>, InfraError>;
    /// Carries out a plan, one result per action in order.
    fn apply(&mut self, plan: Vec<Action>) -> Vec<ActionResult>;
}
