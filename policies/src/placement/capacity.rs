//! Capacity filtering shared by every reservation-based placement policy.

use orrery_engine::model::PowerState;
use orrery_engine::view::{ClusterView, HostId, VmId};

/// Free capacity of every host, updated as a policy places a batch of VMs.
#[derive(Debug, Clone)]
pub struct Reservations {
    /// Free reservable MIPS per host.
    pub cpu: Vec<f64>,
    /// Free reservable memory per host, in MB.
    pub memory: Vec<f64>,
    /// VMs per host.
    pub vms: Vec<usize>,
    /// Whether the host is up (on or booting) — placements prefer those to waking a host.
    pub up: Vec<bool>,
    /// Whether the host can take VMs at all (not failed or shutting down).
    pub usable: Vec<bool>,
}

impl Reservations {
    /// Free capacity as the view reports it.
    pub fn from_view(view: &ClusterView) -> Self {
        let n = view.hosts.len();
        let mut r = Reservations {
            cpu: Vec::with_capacity(n),
            memory: Vec::with_capacity(n),
            vms: Vec::with_capacity(n),
            up: Vec::with_capacity(n),
            usable: Vec::with_capacity(n),
        };
        for (h, host) in view.hosts.iter().enumerate() {
            r.cpu.push(view.reservable_mips(h) - host.reserved_mips);
            r.memory
                .push(view.reservable_memory_mb(h) - host.reserved_memory_mb);
            r.vms.push(host.vms.len());
            r.up.push(host.power.is_up());
            r.usable.push(usable(host.power));
        }
        r
    }

    /// Whether VM `v` fits on host `h`: the host is usable, each vCPU fits on one core, and
    /// the VM's nominal CPU and memory fit in what is free.
    pub fn fits(&self, view: &ClusterView, h: HostId, v: VmId) -> bool {
        self.usable[h] && fits_free(view, h, v, self.cpu[h], self.memory[h])
    }

    /// Records VM `v` as placed on host `h`.
    pub fn take(&mut self, view: &ClusterView, h: HostId, v: VmId) {
        self.cpu[h] -= view.vm_mips(v);
        self.memory[h] -= view.vm_memory_mb(v);
        self.vms[h] += 1;
        self.up[h] = true;
    }
}

/// Whether a host in state `power` can take VMs at all (it is not failed or shutting down).
pub fn usable(power: PowerState) -> bool {
    matches!(
        power,
        PowerState::On | PowerState::Booting | PowerState::Off
    )
}

/// Whether VM `v` fits on host `h` with `cpu` MIPS and `memory` MB of reservable capacity
/// free: each vCPU fits on one core, and the VM's nominal CPU and memory fit in what is free.
pub fn fits_free(view: &ClusterView, h: HostId, v: VmId, cpu: f64, memory: f64) -> bool {
    view.vm_type(v).mips <= view.host_type(h).core_mips
        && view.vm_mips(v) <= cpu + 1e-9
        && view.vm_memory_mb(v) <= memory + 1e-9
}
