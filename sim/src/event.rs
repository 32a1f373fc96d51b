//! The simulator's events and what each one does when its time comes.

use orrery_engine::model::ServiceId;
use orrery_engine::time::Millis;
use orrery_engine::view::{HostId, VmId};

/// Something that happens at a simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Arrive(VmId),
    /// The next VM requests of the scenario's trace arrive (read from the file now).
    TraceArrive,
    Deployed(VmId),
    Expire(VmId),
    /// `secs_bits`: the completion time in seconds as CloudSim's floating-point clock has it
    /// (start + duration), kept so trace demand is sampled at the very same instant.
    MigrationDone {
        vm: VmId,
        to: HostId,
        secs_bits: u64,
    },
    /// A pre-copy migration reaches a phase boundary; stale unless `ticket` is the VM's latest.
    MigrationStep {
        vm: VmId,
        ticket: u64,
    },
    Booted(HostId),
    PoweredOff(HostId),
    Update,
    Reallocate,
    /// A host breaks.
    HostFail(HostId),
    /// A failed host is repaired.
    HostRepair(HostId),
    /// A VM crashes; stale unless `life` is the VM's current one (`None`: from a trace).
    Crash {
        vm: VmId,
        life: Option<u32>,
    },
    /// The VM manager notices that a VM is lost.
    Detect(VmId),
    /// A service is submitted.
    ServiceSubmit(ServiceId),
    /// A service's measurement interval ends.
    ServiceTick(ServiceId),
    /// A service's runtime lease expires.
    ServiceLease(ServiceId),
    /// A service's lifetime is over.
    ServiceEnd(ServiceId),
    /// A tick of the autoscaler's own loop (`autoscaler = "oneflow"`).
    AutoscalerTick,
    /// A role's cooldown ends; stale unless the role still cools down until `until`.
    CooldownOver {
        service: ServiceId,
        role: usize,
        until: Millis,
    },
}
