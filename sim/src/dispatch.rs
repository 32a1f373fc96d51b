//! What each event does when its time comes.

use orrery_engine::action::Action;
use orrery_engine::infra::Decision;
use orrery_engine::model::{PowerState, VmState};
use orrery_engine::view::VmId;
use orrery_engine::workload::Demand;

use super::event::Event;
use super::Simulator;

impl Simulator {
    /// Adds the trace's VMs arriving now, and schedules the next arrival.
    fn pull_trace(&mut self) {
        let now = self.view.now;
        while let Some(feed) = &mut self.trace {
            match feed.next_arrival() {
                None => return,
                Some(t) if t > now => {
                    self.queue.push(t, Event::TraceArrive);
                    return;
                }
                Some(_) => {}
            }
            match feed.take(&self.vm_type_specs) {
                Ok(Some(plan)) => {
                    self.add_vm(plan);
                }
                Ok(None) => return,
                Err(e) => {
                    self.trace_error = Some(format!("reading the trace during the run: {e}"));
                    self.trace = None;
                }
            }
        }
    }

    /// Handles one event at the current time.
    pub(crate) fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive(v) => {
                self.record.arrival();
                self.view.vms[v].state = VmState::Pending;
                self.pending.push(v);
                self.log("arrival", Some(v), None, String::new());
                if !self.admit_arrival(v) {
                    return;
                }
                // A VM already running somewhere (a snapshot's) starts there, if it can.
                if let Some(h) = self.vms[v].start_on.take() {
                    if self.view.hosts[h].power == PowerState::On {
                        let _ = self.execute(Action::Deploy { vm: v, host: h });
                    }
                }
            }
            Event::Deployed(v) => {
                if self.view.vms[v].state == VmState::Deploying
                    && self.vms[v].deploy_due == Some(self.view.now)
                {
                    self.vms[v].deploy_due = None;
                    self.view.vms[v].state = VmState::Running;
                    let h = self.view.vms[v].host.expect("deploying VMs have a host");
                    self.vm_up(v, h);
                    self.view.vms[v].demand = self.vms[v].demand.at(self.view.now);
                    self.log("deployed", Some(v), Some(h), String::new());
                    if !self.quirks().update_grid {
                        self.recompute(h);
                    }
                }
            }
            Event::TraceArrive => self.pull_trace(),
            Event::Expire(v) => {
                if self.view.vms[v].state.is_placed() || self.view.vms[v].state == VmState::Pending
                {
                    self.stop_vm(v, "lifetime over");
                } else {
                    self.expire_lost(v);
                }
                // A trace VM's samples go with it: a run holds the VMs present, not the trace.
                if matches!(self.vms[v].demand, Demand::Samples { .. }) {
                    self.vms[v].demand = Demand::Constant(0.0);
                }
            }
            Event::MigrationDone { vm, to, .. } => {
                if !self.ha.cancelled(vm, to) {
                    self.finish_migration(vm, to, None)
                }
            }
            Event::MigrationStep { vm, ticket } => {
                if self.precopy.as_mut().is_some_and(|p| p.fire(vm, ticket)) {
                    self.resync_migrations(|_| {});
                }
            }
            Event::Booted(h) => {
                if self.hosts[h].power_due.take() != Some(self.view.now) {
                    return; // the host failed while booting
                }
                self.view.hosts[h].power = PowerState::On;
                self.recompute(h);
                self.log("host-on", None, Some(h), String::new());
                for v in std::mem::take(&mut self.hosts[h].waiting_vms) {
                    self.boot_vm(v);
                }
                for action in std::mem::take(&mut self.hosts[h].waiting) {
                    if let Err(e) = self.execute(action.clone()) {
                        self.log("action-refused", None, Some(h), format!("{action}: {e}"));
                    }
                }
            }
            Event::PoweredOff(h) => {
                if self.hosts[h].power_due.take() != Some(self.view.now) {
                    return; // the host failed while shutting down
                }
                self.view.hosts[h].power = PowerState::Off;
                self.recompute(h);
                self.log("host-off", None, Some(h), String::new());
            }
            Event::Update => {
                self.update_all(true);
                // Deferred requests get another chance now that the cluster has changed.
                self.deferred
                    .retain(|&v| self.view.vms[v].state != VmState::Stopped);
                let retry: Vec<VmId> = self
                    .deferred
                    .iter()
                    .copied()
                    .filter(|&v| self.view.vms[v].state == VmState::Pending)
                    .filter(|v| !self.pending.contains(v))
                    .collect();
                self.pending.extend(retry);
                for h in 0..self.view.hosts.len() {
                    self.maybe_power_off(h);
                }
                self.record_interval();
                self.queue
                    .push(self.view.now + self.update_interval, Event::Update);
            }
            Event::Reallocate => {
                self.queue
                    .push(self.view.now + self.realloc_interval, Event::Reallocate);
                self.decisions.push(Decision::Reallocate);
            }
            Event::HostFail(h) => self.fail_host(h),
            Event::HostRepair(h) => self.repair_host(h),
            Event::Crash { vm, life } => self.crash_vm(vm, life),
            Event::Detect(v) => self.detect(v),
            Event::ServiceSubmit(s) => self.submit_service(s),
            Event::ServiceTick(s) => self.service_tick(s),
            Event::AutoscalerTick => self.autoscaler_tick(),
            Event::ServiceLease(s) => self.lease_expired(s),
            Event::ServiceEnd(s) => self.undeploy(s),
            Event::CooldownOver {
                service,
                role,
                until,
            } => self.cooldown_over(service, role, until),
        }
    }
}
