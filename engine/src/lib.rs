//! orrery's engine: the deterministic discrete-event core, the datacenter model, scenario files,
//! the cluster view policies read, the actions they return and the control loop that runs them.

pub mod error;
pub mod rng;
pub mod time;
pub mod workload;
