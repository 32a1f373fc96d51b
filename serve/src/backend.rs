//! What the API needs of the cloud behind it: the [`Backend`] trait. [`crate::simulated`]
//! implements it over a running simulation; a live backend (admission, placement and the
//! libvirt driver of `orrery live`) would implement the same trait, and the whole API layer
//! (ids, tags, filters, quotas, signatures, audit) would serve it unchanged.

/// A VM the backend runs, as the backend numbers it (a simulator's VM id).
pub type VmRef = usize;

/// A VM type offered as an EC2 instance type.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceTypeSpec {
    /// The type's name (the `InstanceType`).
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// MIPS of one vCPU (reported as the sustained clock speed, GHz = MIPS / 1000).
    pub mips: f64,
    /// Its image name (empty when the type names none).
    pub image: String,
}

/// Where a VM is in its life, in the terms EC2 reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Requested, placed or booting.
    Pending,
    /// Running (possibly live-migrating).
    Running,
    /// Stopped by a StopInstances (in the simulator: suspended on its host).
    Stopped,
    /// Gone: terminated, ended, or lost to a failure or a refused placement.
    Terminated,
}

/// What the backend knows of one VM now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmStatus {
    /// Its phase.
    pub phase: Phase,
    /// The host it is on, when it is placed.
    pub host: Option<String>,
    /// Whether it ended by failing (a refused placement, a host failure, a crash) rather than
    /// by being stopped.
    pub failed: bool,
}

/// A cloud the API can drive.
pub trait Backend: Send {
    /// A name for this backend's run (scenario and seed): ids are derived from it and the
    /// backend's VM numbers, so the same run and the same requests give the same ids.
    fn identity(&self) -> String;

    /// The VM types it offers, in a fixed order (indices are [`Backend::launch`]'s types).
    fn instance_types(&self) -> &[InstanceTypeSpec];

    /// Its current time, milliseconds since it started.
    fn now_ms(&self) -> i64;

    /// When it stops taking requests (a simulation's end), milliseconds; `None`: never.
    fn horizon_ms(&self) -> Option<i64>;

    /// Requests `count` VMs of type `type_index` for `organisation` and lets its cloud OS
    /// decide their placement; returns them in order.
    fn launch(
        &mut self,
        type_index: usize,
        organisation: &str,
        count: u32,
    ) -> Result<Vec<VmRef>, String>;

    /// The VM's status now.
    fn status(&self, vm: VmRef) -> VmStatus;

    /// Stops a running VM.
    fn stop(&mut self, vm: VmRef) -> Result<(), String>;

    /// Starts a stopped VM again.
    fn start(&mut self, vm: VmRef) -> Result<(), String>;

    /// Terminates a VM for good.
    fn terminate(&mut self, vm: VmRef) -> Result<(), String>;

    /// Moves its clock forward to `t_ms` (no earlier than now), its cloud OS deciding on the
    /// way; returns the time reached (the horizon at most). A backend whose clock is the wall
    /// clock refuses.
    fn advance_to(&mut self, t_ms: i64) -> Result<i64, String>;
}
