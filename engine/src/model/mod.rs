//! The datacenter model: host and VM types, power, CPU sharing, lifecycle states.

pub mod cpu;
pub mod power;
pub mod spec;
pub mod state;

pub use power::PowerModel;
pub use spec::{HostType, MigrationModel, Overcommit, VmType};
pub use state::{PowerState, VmState};
