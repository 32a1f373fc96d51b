//! A VM's way through the simulator once placed: its boot, its stop, and the completion of
//! its migrations (simple or pre-copy).

use orrery_engine::model::VmState;
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::{HostId, VmId};

use super::event::Event;
use super::migration::{Change, Migrations};
use super::Simulator;

impl Simulator {
    /// Starts VM `v`'s boot on its host, which is up: it runs after the VM boot delay.
    pub(crate) fn boot_vm(&mut self, v: VmId) {
        let at = self.view.now + self.vm_boot;
        self.vms[v].deploy_due = Some(at);
        self.queue.push(at, Event::Deployed(v));
    }

    pub(crate) fn stop_vm(&mut self, v: VmId, why: &str) {
        let resident = self.view.vms[v].host;
        let hosts = self.unplace(v);
        self.view.vms[v].state = VmState::Stopped;
        self.ledger.ended(v, self.view.now);
        self.log("stopped", Some(v), resident, why.into());
        for h in hosts {
            self.recompute(h);
            self.maybe_power_off(h);
        }
        if self.precopy.as_ref().is_some_and(|p| p.contains(v)) {
            self.resync_migrations(|p| p.remove(v));
        }
    }

    /// Takes VM `v` off its host and every host it is migrating to (leaving its state to the
    /// caller); returns those hosts, its own first.
    pub(crate) fn unplace(&mut self, v: VmId) -> Vec<HostId> {
        let mut hosts: Vec<HostId> = self.view.vms[v].host.into_iter().collect();
        // Only a VM in migration is incoming anywhere, except under CloudSim's quirk that
        // keeps a VM incoming on every destination it was sent to after the first arrives.
        if self.view.vms[v].in_migration || self.quirks().underload_keeps_destinations {
            hosts.extend(
                (0..self.view.hosts.len()).filter(|&h| self.view.hosts[h].incoming.contains(&v)),
            );
        }
        self.pending.retain(|&p| p != v);
        for &h in &hosts {
            self.detach(v, h);
        }
        let vm = &mut self.view.vms[v];
        vm.in_migration = false;
        vm.demand = 0.0;
        hosts
    }

    /// Advances the pre-copy migrations to now, applies `edit` to the set, then shares the links
    /// anew and acts on what that settles: VMs entering stop-and-copy are re-shared as paused on
    /// their source, finished migrations complete.
    pub(crate) fn resync_migrations(&mut self, edit: impl FnOnce(&mut Migrations)) {
        let Some(p) = self.precopy.as_mut() else {
            return;
        };
        let now = self.view.now;
        p.advance(now);
        edit(p);
        let view = &self.view;
        let changes = p.settle(now, |h| view.migration_rate_mbs(h), &mut self.queue);
        for change in changes {
            match change {
                Change::Paused { from } => self.recompute(from),
                Change::Done { vm, migration } => {
                    let downtime = now - migration.paused_at.unwrap_or(now);
                    let t = &migration.transfer;
                    let outcome = (downtime, t.data_sent_mb(), t.rounds());
                    self.finish_migration(vm, migration.to, Some(outcome));
                }
            }
        }
    }

    /// Completes the migration of `v` to `to`; `precopy` gives a pre-copy migration's downtime,
    /// data sent (MB) and pre-copy rounds.
    pub(crate) fn finish_migration(
        &mut self,
        v: VmId,
        to: HostId,
        precopy: Option<(Millis, f64, u32)>,
    ) {
        if !self.view.hosts[to].incoming.contains(&v) {
            return; // the VM stopped while migrating
        }
        if self.quirks().update_grid && self.view.now > self.last_update {
            self.update_all(false);
            if !self.view.hosts[to].incoming.contains(&v) {
                return;
            }
        }
        let from = self.view.vms[v].host;
        if let Some(from) = from {
            self.detach(v, from);
        }
        self.detach(v, to);
        self.attach(v, to);
        let vm = &mut self.view.vms[v];
        vm.host = Some(to);
        vm.in_migration = false;
        vm.state = VmState::Running;
        self.ledger.moved(v, to, self.view.now);
        let started = self.vms[v].migration_started.take();
        let duration = started.map(|start| self.view.now - start);
        self.record_migration(v, from, to, started, precopy, "done");
        self.record
            .migration_done(duration, precopy.map(|(downtime, _, _)| downtime));
        let mut detail = from.map(|f| format!("from {f}")).unwrap_or_default();
        if let Some((downtime, data_mb, rounds)) = precopy {
            detail += &format!(
                "; {} s, downtime {} s, {data_mb} MB, {rounds} rounds",
                to_secs(duration.unwrap_or(0)),
                to_secs(downtime),
            );
        }
        self.log("migration-done", Some(v), Some(to), detail);
        let more_now = matches!(self.queue.peek(), Some((t, Event::MigrationDone { .. })) if t == self.view.now);
        if self.quirks().update_grid {
            if !more_now {
                self.update_all(false);
            }
        } else {
            self.recompute(to);
            if let Some(from) = from {
                self.recompute(from);
                self.maybe_power_off(from);
            }
        }
    }
}
