//! The datacenter model: host and VM types, power, CPU sharing, lifecycle states.

pub mod cpu;
pub mod failures;
pub mod groups;
pub mod power;
pub mod precopy;
pub mod queueing;
pub mod service;
pub mod service_load;
pub mod spec;
pub mod state;
pub mod thermal;

pub use groups::{Role, RolePolicy, VmGroup};
pub use power::PowerModel;
pub use service::{RolePhase, RoleView, ServiceId, ServiceSlot, ServiceState, ServiceView};
pub use service_load::{service_load, RoleDemand, RoleLoad, ServiceLoad, VmCapacity, VmLoad};
pub use spec::{GroupRole, HostType, MigrationModel, Overcommit, VmConstraints, VmType};
pub use state::{PowerState, VmState};
