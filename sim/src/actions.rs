//! Carrying out a policy's actions: each is checked against the current state and accepted
//! (its effects scheduled as events) or refused with the reason.

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::model::{PowerState, VmState};
use orrery_engine::view::{HostId, VmId};

use super::event::Event;
use super::Simulator;

impl Simulator {
    fn check_host(&self, h: HostId) -> Result<(), String> {
        if h >= self.view.hosts.len() {
            return Err(format!("no host {h}"));
        }
        match self.view.hosts[h].power {
            PowerState::Failed => Err("host has failed".into()),
            PowerState::ShuttingDown => Err("host is shutting down".into()),
            _ => Ok(()),
        }
    }

    fn check_memory(&self, v: VmId, h: HostId) -> Result<(), String> {
        if self.quirks().memory_at_creation_only {
            return Ok(()); // CloudSim requests no memory after creation
        }
        let need = self.view.hosts[h].reserved_memory_mb + self.view.vm_memory_mb(v);
        if need > self.view.reservable_memory_mb(h) + 1e-9 {
            return Err(format!("not enough memory on host {h}"));
        }
        Ok(())
    }

    /// Defers `action` until host `h` has booted (powering it on if it is off).
    fn after_boot(&mut self, h: HostId, action: Action) -> bool {
        match self.view.hosts[h].power {
            PowerState::Off => {
                self.hosts[h].waiting.push(action);
                self.power_on(h);
                true
            }
            PowerState::Booting => {
                self.hosts[h].waiting.push(action);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn execute(&mut self, action: Action) -> ActionResult {
        let now = self.view.now;
        match action {
            Action::Deploy { vm, host } => {
                self.check_host(host)?;
                let state = self.view.vms.get(vm).ok_or("no such VM")?.state;
                if state != VmState::Pending {
                    return Err(format!("VM is {state:?}, not pending"));
                }
                self.check_memory(vm, host)?;
                self.pending.retain(|&p| p != vm);
                self.vms[vm].deferred = None;
                self.deferred.remove(&vm);
                self.view.vms[vm].state = VmState::Deploying;
                self.view.vms[vm].host = Some(host);
                self.attach(vm, host);
                self.log("deploy", Some(vm), Some(host), String::new());
                match self.view.hosts[host].power {
                    // CloudSim creates VMs at once and samples them at the next update.
                    PowerState::On if self.quirks().update_grid => {
                        self.view.vms[vm].state = VmState::Running;
                        self.vm_up(vm, host);
                    }
                    PowerState::On => self.boot_vm(vm),
                    power => {
                        self.hosts[host].waiting_vms.push(vm);
                        if power == PowerState::Off {
                            self.power_on(host);
                        }
                    }
                }
                Ok(())
            }
            Action::Reject { vm, reason } => {
                let state = self.view.vms.get(vm).ok_or("no such VM")?.state;
                if state != VmState::Pending {
                    return Err(format!("VM is {state:?}, not pending"));
                }
                self.pending.retain(|&p| p != vm);
                self.view.vms[vm].state = VmState::Failed;
                self.ledger.rejected(vm);
                self.record.rejection();
                self.log("rejected", Some(vm), None, reason);
                Ok(())
            }
            Action::Defer { vm, reason } => {
                let state = self.view.vms.get(vm).ok_or("no such VM")?.state;
                if state != VmState::Pending {
                    return Err(format!("VM is {state:?}, not pending"));
                }
                self.pending.retain(|&p| p != vm);
                if self.vms[vm].deferred.as_deref() != Some(reason.as_str()) {
                    self.log("deferred", Some(vm), None, reason.clone());
                    self.vms[vm].deferred = Some(reason);
                    self.deferred.insert(vm);
                }
                Ok(())
            }
            Action::Migrate { vm, to } => {
                self.check_host(to)?;
                let v = self.view.vms.get(vm).ok_or("no such VM")?;
                let from = v.host.ok_or("VM is not on a host")?;
                if !matches!(v.state, VmState::Running | VmState::Migrating) {
                    return Err(format!("VM is {:?}, not running", v.state));
                }
                if from == to {
                    return Err("VM is already on that host".into());
                }
                // One pre-copy transfer per VM, whatever the quirk.
                if v.in_migration
                    && (self.precopy.is_some() || !self.quirks().underload_keeps_destinations)
                {
                    return Err("VM is already migrating".into());
                }
                if self.view.hosts[to].incoming.contains(&vm) {
                    return Err("VM is already migrating to that host".into());
                }
                self.check_memory(vm, to)?;
                if self.after_boot(to, Action::Migrate { vm, to }) {
                    return Ok(());
                }
                self.view.vms[vm].in_migration = true;
                self.view.vms[vm].state = VmState::Migrating;
                self.vms[vm].migration_started = Some(now);
                self.attach(vm, to);
                self.view.hosts[to].incoming.push(vm);
                let memory_mb = self.view.vm_memory_mb(vm);
                self.record.migration_started(if self.precopy.is_none() {
                    memory_mb
                } else {
                    0.0
                });
                if self.precopy.is_none() {
                    let duration = self
                        .view
                        .migration
                        .duration(memory_mb, self.view.host_type(to).nic_mbps);
                    let secs = self.now_secs + memory_mb / self.view.migration_rate_mbs(to);
                    self.queue.push(
                        now + duration,
                        Event::MigrationDone {
                            vm,
                            to,
                            secs_bits: secs.to_bits(),
                        },
                    );
                }
                self.log(
                    "migration-start",
                    Some(vm),
                    Some(to),
                    format!("from {from}"),
                );
                self.recompute(to);
                self.recompute(from);
                let dirty_rate_mbs = self.view.vm_type(vm).dirty_rate_mbs;
                self.resync_migrations(|p| p.start(vm, from, to, memory_mb, dirty_rate_mbs));
                Ok(())
            }
            Action::Suspend { vm } => {
                let v = self.view.vms.get(vm).ok_or("no such VM")?;
                if v.state != VmState::Running {
                    return Err(format!("VM is {:?}, not running", v.state));
                }
                let h = v.host.expect("running VMs have a host");
                self.view.vms[vm].state = VmState::Suspended;
                self.view.vms[vm].demand = 0.0;
                self.log("suspended", Some(vm), Some(h), String::new());
                self.recompute(h);
                Ok(())
            }
            Action::Resume { vm } => {
                let v = self.view.vms.get(vm).ok_or("no such VM")?;
                if v.state != VmState::Suspended {
                    return Err(format!("VM is {:?}, not suspended", v.state));
                }
                let h = v.host.expect("suspended VMs have a host");
                self.view.vms[vm].state = VmState::Running;
                self.view.vms[vm].demand = self.vms[vm].demand.at(now);
                self.log("resumed", Some(vm), Some(h), String::new());
                self.recompute(h);
                Ok(())
            }
            Action::Shutdown { vm } => {
                let v = self.view.vms.get(vm).ok_or("no such VM")?;
                if !(v.state.is_placed() || v.state == VmState::Pending) {
                    return Err(format!("VM is {:?}", v.state));
                }
                self.stop_vm(vm, "shut down by policy");
                Ok(())
            }
            Action::Resize {
                vm,
                vcpus,
                memory_mb,
            } => self.resize(vm, vcpus, memory_mb),
            Action::PowerOn { host } => {
                self.check_host(host)?;
                match self.view.hosts[host].power {
                    PowerState::Off => {
                        self.power_on(host);
                        Ok(())
                    }
                    PowerState::On | PowerState::Booting => Ok(()),
                    s => Err(format!("host is {s:?}")),
                }
            }
            Action::PowerOff { host } => {
                self.check_host(host)?;
                let h = &self.view.hosts[host];
                if h.power == PowerState::Off {
                    return Ok(());
                }
                if h.power != PowerState::On {
                    return Err(format!("host is {:?}", h.power));
                }
                let staying = h
                    .vms
                    .iter()
                    .any(|&v| h.incoming.contains(&v) || !self.view.vms[v].in_migration);
                if staying {
                    return Err("host still runs VMs that are not migrating away".into());
                }
                self.hosts[host].off_requested = true;
                self.maybe_power_off(host);
                Ok(())
            }
            Action::AdmitService { service } => self.admit_service(service),
            Action::RejectService { service, reason } => self.reject_service(service, reason),
            Action::ScaleRole {
                service,
                role,
                cardinality,
                cooldown_s,
            } => self.scale_role(service, role, cardinality, cooldown_s),
        }
    }

    /// Gives a running or suspended VM new vCPUs and/or memory: within its type's maxima, and
    /// growing only into what its host has free.
    fn resize(&mut self, vm: VmId, vcpus: Option<u32>, memory_mb: Option<f64>) -> ActionResult {
        let new = self.view.check_resize(vm, vcpus, memory_mb)?;
        let h = self.view.vms[vm].host.expect("resizable VMs have a host");
        self.view.set_size(vm, new);
        self.log(
            "resized",
            Some(vm),
            Some(h),
            format!("{} vCPUs, {} MB", new.vcpus, new.memory_mb),
        );
        self.recompute(h);
        Ok(())
    }
}
