//! Lifecycle states of hosts and VMs.

use serde::Serialize;

/// A host's power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerState {
    /// Powered on and able to run VMs.
    On,
    /// Powered off: draws nothing, runs nothing.
    Off,
    /// Powering on; ready when the boot delay has passed.
    Booting,
    /// Powering off; off when the shutdown delay has passed.
    ShuttingDown,
    /// Broken: runs nothing until repaired.
    Failed,
}

impl PowerState {
    /// Whether the host is on or on its way on (a placement target).
    pub fn is_up(self) -> bool {
        matches!(self, PowerState::On | PowerState::Booting)
    }
}

/// A VM's lifecycle state: pending → deploying → running ⇄ suspended; migrating; stopped; failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VmState {
    /// Not yet arrived.
    Future,
    /// Arrived, waiting for placement.
    Pending,
    /// Placed; booting on its host (or waiting for the host to boot).
    Deploying,
    /// Running on its host.
    Running,
    /// Running and live-migrating to another host.
    Migrating,
    /// Suspended (memory kept on its host, no CPU).
    Suspended,
    /// Finished or removed.
    Stopped,
    /// Rejected by placement or lost to a failure.
    Failed,
}

impl VmState {
    /// Whether the VM occupies a host (its memory is reserved there).
    pub fn is_placed(self) -> bool {
        matches!(
            self,
            VmState::Deploying | VmState::Running | VmState::Migrating | VmState::Suspended
        )
    }

    /// Whether the VM consumes CPU.
    pub fn is_active(self) -> bool {
        matches!(self, VmState::Running | VmState::Migrating)
    }
}
