//! Host failures and repairs, VM crashes, and the VM manager that restarts the VMs they take
//! down.
//!
//! A failing host loses its VMs and draws nothing until repaired; it comes back powered off.
//! Migrations into it are aborted (the VM stays on its source); VMs migrating out of it are lost
//! with it. A crashed VM is lost from its host the same way. After `failures.detection_s` the
//! VM manager notices each lost VM and, when restarts are on and the VM has restarts left,
//! makes it pending again: the placement policy places it like a new request (anywhere,
//! including its former host when that is up) and it boots with the VM boot delay.

use orrery_engine::model::failures::exponential;
use orrery_engine::model::{PowerState, VmState};
use orrery_engine::time::to_secs;
use orrery_engine::view::{HostId, VmId};

use super::event::Event;
use super::Simulator;

/// The actor of restarts in the audit log.
const VM_MANAGER: &str = "vm-manager";

impl Simulator {
    /// VM `v` starts running on host `h`: the view records since when, its usage is metered
    /// and its next crash drawn.
    pub(super) fn vm_up(&mut self, v: VmId, h: HostId) {
        let now = self.view.now;
        self.view.vms[v].running_since = Some(now);
        self.ledger.up(v, h, now);
        let ha = &mut self.ha.vms[v];
        if let Some(crash) = ha.crash.as_mut() {
            let (rng, mean_s) = &mut **crash;
            let at = now.saturating_add(exponential(rng, *mean_s));
            if at <= self.end {
                let life = Some(ha.life);
                self.queue.push(at, Event::Crash { vm: v, life });
            }
        }
    }

    /// Host `h` breaks: migrations into it are aborted, its VMs are lost and it draws nothing.
    pub(super) fn fail_host(&mut self, h: HostId) {
        if self.view.hosts[h].power == PowerState::Failed {
            return; // two failure sources agree
        }
        self.ha.host_failures += 1;
        for v in self.view.hosts[h].incoming.clone() {
            self.abort_incoming(v, h);
        }
        let sim = &mut self.hosts[h];
        sim.waiting.clear();
        sim.waiting_vms.clear();
        sim.off_requested = false;
        sim.power_due = None;
        self.view.hosts[h].power = PowerState::Failed;
        self.log("host-failed", None, Some(h), String::new());
        let mut touched = Vec::new();
        for v in self.view.hosts[h].vms.clone() {
            touched.extend(self.lose_vm(v, "vm-lost", format!("host {h} failed")));
        }
        self.recompute(h);
        touched.sort_unstable();
        touched.dedup();
        for t in touched.into_iter().filter(|&t| t != h) {
            self.recompute(t);
        }
    }

    /// Failed host `h` is repaired and comes back powered off.
    pub(super) fn repair_host(&mut self, h: HostId) {
        if self.view.hosts[h].power != PowerState::Failed {
            return;
        }
        self.view.hosts[h].power = PowerState::Off;
        self.recompute(h);
        self.log("host-repaired", None, Some(h), String::new());
    }

    /// VM `v` crashes (`life`: the life its crash was drawn in; `None` from a trace, which
    /// crashes it whenever it is on a host).
    pub(super) fn crash_vm(&mut self, v: VmId, life: Option<u32>) {
        if life.is_some_and(|l| l != self.ha.vms[v].life) || !self.view.vms[v].state.is_placed() {
            return;
        }
        self.ha.vm_crashes += 1;
        for h in self.lose_vm(v, "vm-crashed", String::new()) {
            self.recompute(h);
            self.maybe_power_off(h);
        }
    }

    /// Takes VM `v` off every host it occupies as lost, logs `kind`, and schedules the VM
    /// manager's detection; returns the hosts it left.
    fn lose_vm(&mut self, v: VmId, kind: &'static str, detail: String) -> Vec<HostId> {
        let now = self.view.now;
        let host = self.view.vms[v].host;
        self.log(kind, Some(v), host, detail);
        let started = self.vms[v].migration_started;
        let touched = self.unplace(v);
        for &to in &touched {
            if Some(to) != host {
                self.record_migration(v, host, to, started, None, "lost");
                self.cancel_migration(v, to);
            }
        }
        self.view.vms[v].state = VmState::Failed;
        let sim = &mut self.vms[v];
        sim.migration_started = None;
        sim.deploy_due = None;
        self.ledger.down(v, now);
        let ha = &mut self.ha.vms[v];
        ha.life += 1;
        ha.down_since = Some(now);
        self.queue.push(now + self.ha.detection, Event::Detect(v));
        touched
    }

    /// Aborts the migration of VM `v` into host `to`: it stays on its source.
    fn abort_incoming(&mut self, v: VmId, to: HostId) {
        let source = self.view.vms[v].host;
        self.record_migration(
            v,
            source,
            to,
            self.vms[v].migration_started,
            None,
            "aborted",
        );
        self.detach(v, to);
        let still_moving = self.view.hosts.iter().any(|h| h.incoming.contains(&v));
        if !still_moving {
            let vm = &mut self.view.vms[v];
            vm.in_migration = false;
            vm.state = VmState::Running;
            self.vms[v].migration_started = None;
        }
        self.cancel_migration(v, to);
        self.log(
            "migration-aborted",
            Some(v),
            Some(to),
            format!("host {to} failed"),
        );
        if let Some(from) = self.view.vms[v].host {
            self.recompute(from);
        }
    }

    /// Forgets VM `v`'s migration to `to`: a pre-copy transfer leaves the links, a simple one's
    /// queued completion is marked stale.
    fn cancel_migration(&mut self, v: VmId, to: HostId) {
        match self.precopy.as_ref() {
            Some(p) if p.contains(v) => self.resync_migrations(|p| p.remove(v)),
            Some(_) => {}
            None => self.ha.cancelled.push((v, to)),
        }
    }

    /// The VM manager notices that VM `v` is lost and restarts it if it may.
    pub(super) fn detect(&mut self, v: VmId) {
        let Some(since) = self.ha.vms[v].down_since.take() else {
            return; // its lifetime ended while it was down
        };
        let detail = format!("down since {} s", to_secs(since));
        let ha = &mut self.ha.vms[v];
        let refused = if !self.ha.restart {
            Some("restarts are off".to_string())
        } else {
            self.ha
                .max_restarts
                .filter(|&m| ha.restarts >= m)
                .map(|m| format!("restarted {m} times already"))
        };
        if let Some(why) = refused {
            self.log("vm-abandoned", Some(v), None, why.clone());
            self.audit(VM_MANAGER, "restart", Some(v), None, Err(why));
            return;
        }
        ha.restarts += 1;
        self.ha.vm_restarts += 1;
        self.view.vms[v].state = VmState::Pending;
        self.pending.push(v);
        self.log("vm-restarted", Some(v), None, detail.clone());
        self.audit(VM_MANAGER, "restart", Some(v), None, Ok(detail));
    }

    /// Ends the requested lifetime of VM `v` if it is lost and not yet restarted; whether it was.
    pub(super) fn expire_lost(&mut self, v: VmId) -> bool {
        if self.ha.vms[v].down_since.take().is_none() {
            return false;
        }
        self.view.vms[v].state = VmState::Stopped;
        self.ledger.ended(v, self.view.now);
        self.log("stopped", Some(v), None, "lifetime over while down".into());
        true
    }
}

#[cfg(test)]
impl Simulator {
    /// Panics unless every VM is in exactly one place: future, pending, finished or failed
    /// (lost awaiting restart, abandoned or rejected) on no host, or placed on exactly one host
    /// (and, while it migrates, incoming on its destination); failed hosts hold nothing; and
    /// each host reserves exactly the memory of the VMs it holds.
    pub(super) fn assert_consistent(&self) {
        let now = to_secs(self.view.now);
        let many_targets = self.quirks().underload_keeps_destinations;
        for (v, vm) in self.view.vms.iter().enumerate() {
            let resident: Vec<HostId> = (0..self.view.hosts.len())
                .filter(|&h| {
                    let host = &self.view.hosts[h];
                    host.vms.iter().filter(|&&x| x == v).count() == 1 && !host.incoming.contains(&v)
                })
                .collect();
            let incoming = self
                .view
                .hosts
                .iter()
                .filter(|h| h.incoming.contains(&v))
                .count();
            let listed: usize = self
                .view
                .hosts
                .iter()
                .map(|h| h.vms.iter().filter(|&&x| x == v).count())
                .sum();
            assert_eq!(
                listed,
                resident.len() + incoming,
                "VM {v} listed twice on a host at {now} s"
            );
            if vm.state.is_placed() {
                assert_eq!(
                    resident,
                    vm.host.into_iter().collect::<Vec<_>>(),
                    "VM {v} ({:?}) at {now} s",
                    vm.state
                );
                let migrating = vm.state == VmState::Migrating;
                assert!(
                    incoming == usize::from(migrating)
                        || (many_targets && incoming >= usize::from(migrating)),
                    "VM {v} ({:?}) incoming on {incoming} hosts at {now} s",
                    vm.state
                );
            } else {
                assert!(
                    resident.is_empty() && incoming == 0 && vm.host.is_none(),
                    "VM {v} ({:?}) still on a host at {now} s",
                    vm.state
                );
            }
            if self.ha.awaiting_restart(v) {
                assert_eq!(
                    vm.state,
                    VmState::Failed,
                    "VM {v} awaiting restart at {now} s"
                );
            }
        }
        for (h, host) in self.view.hosts.iter().enumerate() {
            if host.power == PowerState::Failed {
                assert!(host.vms.is_empty(), "failed host {h} holds VMs at {now} s");
            }
            let memory: f64 = host.vms.iter().map(|&v| self.view.vm_memory_mb(v)).sum();
            assert!(
                (host.reserved_memory_mb - memory).abs() < 1e-6,
                "host {h} reserves {} MB for {memory} MB at {now} s",
                host.reserved_memory_mb
            );
            let mips: f64 = host.vms.iter().map(|&v| self.view.vm_mips(v)).sum();
            assert!(
                (host.reserved_mips - mips).abs() < 1e-6 * mips.max(1.0),
                "host {h} reserves {} MIPS for {mips} MIPS at {now} s",
                host.reserved_mips
            );
            let capacity = self.view.host_type(h).total_mips();
            assert!(
                host.busy_mips <= capacity * (1.0 + 1e-9),
                "host {h} executes {} MIPS of its {capacity} at {now} s",
                host.busy_mips
            );
        }
    }
}
