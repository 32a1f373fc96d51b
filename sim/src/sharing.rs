//! Sharing each host's CPU among its VMs, metering its energy and SLA, and advancing the
//! thermal model: what a monitoring update (or any change on a host) recomputes.

use orrery_engine::model::cpu::{Claim, Role, ShareRule};
use orrery_engine::model::{PowerState, VmState};
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::{HostId, VmId};

use super::Simulator;

impl Simulator {
    /// Advances the thermal model to `t` with each host's power held since the last step, and
    /// shows the new temperatures in the view.
    pub(crate) fn advance_thermal(&mut self, t: Millis) {
        let Some(model) = self.thermal.as_mut() else {
            return;
        };
        if t <= self.thermal_t {
            return;
        }
        self.host_watts.clear();
        self.host_watts
            .extend(self.hosts.iter().map(|h| h.meter.watts()));
        model.step(to_secs(t - self.thermal_t), &self.host_watts);
        self.thermal_t = t;
        for (host, (&temp, &inlet)) in self
            .view
            .hosts
            .iter_mut()
            .zip(model.temperature_c().iter().zip(model.inlet_c()))
        {
            host.temperature_c = temp;
            host.inlet_c = inlet;
        }
    }

    /// Power (W) and utilisation of host `h` in its current state.
    pub(crate) fn host_power(&self, h: HostId) -> (f64, f64) {
        let host = &self.view.hosts[h];
        let ty = self.view.host_type(h);
        let u = self.view.utilisation(h);
        match host.power {
            PowerState::On if self.non_power_aware => (ty.power.max_power(), 1.0),
            PowerState::On => (ty.power.power(u), u),
            PowerState::ShuttingDown if ty.shutdown_delay > 0 => {
                (ty.shutdown_energy_j / to_secs(ty.shutdown_delay), 0.0)
            }
            PowerState::Booting if ty.boot_delay > 0 => {
                (ty.boot_energy_j / to_secs(ty.boot_delay), 0.0)
            }
            PowerState::ShuttingDown
            | PowerState::Booting
            | PowerState::Off
            | PowerState::Failed => (0.0, 0.0),
        }
    }

    /// Re-shares host `h`'s CPU at the current time from its VMs' current demand, meters energy
    /// up to now and records the SLA state.
    pub(crate) fn recompute(&mut self, h: HostId) {
        let now = self.view.now;
        let ty = self.view.host_type(h);
        let m = self.view.migration;
        let rule = ShareRule {
            core_mips: ty.core_mips,
            capacity: ty.total_mips(),
            source_degradation: m.source_degradation,
            destination_fraction: m.destination_fraction,
            floor_when_oversubscribed: self.quirks().floor_allocations,
            fit_in_order: self.quirks().allocation_order,
        };
        let host = &self.view.hosts[h];
        if host.vms.is_empty() {
            // Nothing to share: the common case of an idle or switched-off host.
            let sim = &self.hosts[h];
            if sim.idle_as == Some(host.power) && sim.meter.adds_nothing(self.rule) {
                return; // the same zero state again: the SLA and energy records are unchanged
            }
            let power = host.power;
            let host = &mut self.view.hosts[h];
            host.busy_mips = 0.0;
            host.requested_mips = 0.0;
            let active = !self.view.quirks.energy_window
                && !matches!(host.power, PowerState::Off | PowerState::Failed);
            self.hosts[h].sla.record(now, 0.0, 0.0, active);
            let (w, u) = self.host_power(h);
            self.hosts[h].meter.advance(self.rule, now, w, u);
            self.hosts[h].idle_as = Some(power);
            return;
        }
        self.hosts[h].idle_as = None;
        let mut claims = std::mem::take(&mut self.claims);
        claims.clear();
        claims.extend(host.vms.iter().map(|&v| {
            let vm = &self.view.vms[v];
            let requested = if vm.state.is_active() {
                vm.demand * self.view.vm_mips(v)
            } else {
                0.0
            };
            let role = if host.incoming.contains(&v) {
                Role::MigratingIn
            } else if vm.in_migration {
                Role::MigratingOut
            } else {
                Role::Resident
            };
            Claim {
                requested,
                vcpus: self.view.vm_vcpus(v),
                role,
            }
        }));
        let mut allocated = std::mem::take(&mut self.allocated);
        let (busy_mips, _) = rule.share_into(&claims, &mut allocated);
        let mut requested = 0.0;
        for (i, c) in claims.iter().enumerate() {
            let v = self.view.hosts[h].vms[i];
            if c.role == Role::MigratingIn {
                // CloudSim counts an arriving VM at its full demand; it really needs only the overhead.
                requested += if self.quirks().incoming_full_demand {
                    c.requested
                } else {
                    c.requested * m.destination_fraction
                };
            } else {
                requested += c.requested;
                let migrating = c.role == Role::MigratingOut;
                // A VM paused for stop-and-copy executes nothing.
                let paused = migrating && self.precopy.as_ref().is_some_and(|p| p.paused(v));
                self.vms[v].sla.record(
                    now,
                    if paused { 0.0 } else { allocated[i] },
                    c.requested,
                    migrating,
                );
            }
        }
        let host = &mut self.view.hosts[h];
        host.busy_mips = if host.power == PowerState::On {
            busy_mips
        } else {
            0.0
        };
        self.claims = claims;
        self.allocated = allocated;
        host.requested_mips = requested;
        let busy = host.busy_mips;
        // CloudSim calls a host active when it executes anything; orrery when it is powered.
        let powered = !matches!(host.power, PowerState::Off | PowerState::Failed);
        let active = if self.view.quirks.energy_window {
            busy > 0.0
        } else {
            powered
        };
        self.hosts[h].sla.record(now, busy, requested, active);
        let (w, u) = self.host_power(h);
        self.hosts[h].meter.advance(self.rule, now, w, u);
    }

    /// Samples every VM's demand and re-shares every host.
    pub(crate) fn update_all(&mut self, periodic: bool) {
        let now = self.view.now;
        // Every active VM is on its host's list (a migrating one on its destination's too, so
        // it is taken at its own host only): walking the hosts costs what runs, not every VM
        // the run has seen (a month-long trace has far more).
        for h in 0..self.view.hosts.len() {
            for k in 0..self.view.hosts[h].vms.len() {
                let v = self.view.hosts[h].vms[k];
                let vm = &mut self.view.vms[v];
                if vm.state.is_active() && vm.host == Some(h) {
                    vm.demand = self.vms[v].demand.at_secs(self.now_secs);
                    if periodic {
                        vm.history.push_front(vm.demand);
                        vm.history.truncate(self.history_len);
                    }
                }
            }
        }
        for h in 0..self.view.hosts.len() {
            self.recompute(h);
        }
        self.last_update = now;
        if self.quirks().remove_idle_vms {
            self.remove_idle_vms();
        }
    }

    /// CloudSim treats a VM whose demand is zero at an update as finished and removes it.
    pub(crate) fn remove_idle_vms(&mut self) {
        for h in 0..self.view.hosts.len() {
            let idle: Vec<VmId> = self.view.hosts[h]
                .vms
                .iter()
                .copied()
                .filter(|&v| {
                    let vm = &self.view.vms[v];
                    !vm.in_migration && vm.state == VmState::Running && vm.demand == 0.0
                })
                .collect();
            for v in idle {
                self.detach(v, h);
                self.view.vms[v].state = VmState::Stopped;
                self.ledger.ended(v, self.view.now);
                self.log(
                    "removed",
                    Some(v),
                    Some(h),
                    "zero demand (cloudsim-3.0.3)".into(),
                );
            }
        }
    }

    /// Takes VM `v` off host `h`'s lists and reservations.
    pub(crate) fn detach(&mut self, v: VmId, h: HostId) {
        let (mips, memory) = (self.view.vm_mips(v), self.view.vm_memory_mb(v));
        let host = &mut self.view.hosts[h];
        if let Some(i) = host.vms.iter().position(|&x| x == v) {
            host.vms.remove(i);
            host.reserved_mips -= mips;
            host.reserved_memory_mb -= memory;
        }
        host.incoming.retain(|&x| x != v);
        if self.view.vms[v].host == Some(h) {
            self.view.vms[v].host = None;
        }
    }

    /// Puts VM `v` on host `h` (at the end of its list).
    pub(crate) fn attach(&mut self, v: VmId, h: HostId) {
        let (mips, mem) = (self.view.vm_mips(v), self.view.vm_memory_mb(v));
        let host = &mut self.view.hosts[h];
        host.vms.push(v);
        host.reserved_mips += mips;
        host.reserved_memory_mb += mem;
    }
}
