//! orrery's engine: the deterministic discrete-event core, the datacenter model, scenario files,
//! the cluster view policies read, the actions they return and the control loop that runs them.

pub mod action;
pub mod config;
pub mod control;
pub mod error;
pub mod ids;
pub mod infra;
pub mod input;
pub mod metrics;
pub mod model;
pub mod monitoring;
pub mod num;
pub mod output;
pub mod policy;
pub mod queue;
pub mod rng;
pub mod scenario;
pub mod state_file;
pub mod tables;
pub mod time;
pub mod view;
pub mod workload;

pub use action::{Action, ActionResult};
pub use error::{InputError, RunError};
pub use infra::{Decision, InfraError, Infrastructure};
pub use view::{ClusterView, Compat, HostId, HostView, VmId, VmSize, VmView};
