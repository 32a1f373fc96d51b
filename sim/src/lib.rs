//! The simulated datacenter: a discrete-event [`Infrastructure`] driven by simulated time.
//!
//! Monitoring updates sample every VM's demand, share each host's CPU (proportionally when it
//! is oversubscribed) and meter energy and SLA; actions take modelled time (VM boot, host boot
//! and shutdown, live migration) and complete as events. With `compat = "cloudsim-3.0.3"` the
//! same mechanism follows CloudSim 3.0.3's semantics: updates at 300.1 s + k·300 s and at every
//! migration completion, trapezoid energy that skips idle starts, VMs removed the first time
//! their demand is zero, and incoming VMs counted at full demand in the host SLA.
//!
//! Live migration follows `migration.model`: `"simple"` (the default, and CloudSim's) takes
//! memory / link rate; `"pre-copy"` (not with CloudSim compatibility) runs iterative pre-copy
//! rounds with the links shared among concurrent migrations (module `migration`), and pauses the
//! VM during stop-and-copy: it is then allocated nothing on its source, which its SLA (and PDM)
//! charges, while the source host's CPU share and power stay as for any VM migrating out.

mod accounting;
mod actions;
mod audit;
mod build;
mod carbon;
mod dispatch;
mod event;
mod failures;
mod ha;
mod lifecycle;
mod migration;
mod power;
mod quota;
mod record;
mod results;
mod services;
mod sharing;
mod trace;

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::error::InputError;
use orrery_engine::infra::{Decision, InfraError, Infrastructure};
use orrery_engine::metrics::accounting::Ledger;
use orrery_engine::metrics::{EnergyMeter, EnergyRule, HostSla, VmSla};
use orrery_engine::model::cpu::Claim;
use orrery_engine::model::precopy::PrecopyParams;
use orrery_engine::model::thermal::ThermalModel;
use orrery_engine::model::PowerState;
use orrery_engine::queue::EventQueue;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::{EnergyAccounting, MigrationKind, Scenario, VmTypeSection};
use orrery_engine::time::{from_secs, to_secs, Millis};
use orrery_engine::view::{ClusterView, Quirks, VmId};
use orrery_engine::workload::Demand;
use orrery_policies::tenancy::ledger::Tenants;

use accounting::Actors;
pub use build::VmPlan;
use event::Event;
use ha::Ha;
use migration::Migrations;
use record::Recorder;
use services::state::Services;
pub use trace::START_HOST;

/// CloudSim's first update comes 0.1 s after each interval boundary (its start-up latencies).
const CLOUDSIM_OFFSET: Millis = 100;

/// Per-host simulation state that policies do not see.
#[derive(Debug, Default)]
struct HostSim {
    meter: EnergyMeter,
    sla: HostSla,
    /// Actions waiting for the host to finish booting.
    waiting: Vec<Action>,
    /// VMs placed here that start booting when the host is up.
    waiting_vms: Vec<VmId>,
    /// Power off once the VMs migrating away have left.
    off_requested: bool,
    /// Set while the host is empty and its last recompute found it so in this power state:
    /// recomputing again changes nothing when its meter adds no energy (skipped: updates at
    /// every migration completion would otherwise revisit every idle host).
    idle_as: Option<PowerState>,
    /// When the boot or shutdown under way completes (an earlier one a failure cut short
    /// completes nothing).
    power_due: Option<Millis>,
}

/// Per-VM simulation state that policies do not see.
struct VmSim {
    demand: Demand,
    sla: VmSla,
    migration_started: Option<Millis>,
    /// Why placement last deferred the VM (while it stays pending).
    deferred: Option<String>,
    /// When its boot completes (a boot a failure cut short completes nothing).
    deploy_due: Option<Millis>,
    /// The host it already runs on when it arrives ([`VmPlan::host`]).
    start_on: Option<orrery_engine::view::HostId>,
    /// Its tenant ([`VmPlan::tenant`]), whose quota it is admitted against.
    tenant: String,
}

/// A simulated datacenter built from a scenario.
pub struct Simulator {
    view: ClusterView,
    hosts: Vec<HostSim>,
    vms: Vec<VmSim>,
    queue: EventQueue<Event>,
    scenario: String,
    seed: u64,
    end: Millis,
    update_interval: Millis,
    realloc_interval: Millis,
    history_len: usize,
    vm_boot: Millis,
    rule: EnergyRule,
    non_power_aware: bool,
    power_off_idle: bool,
    pending: Vec<VmId>,
    /// VMs placement has deferred (their `deferred` is set), in id order: retried at updates.
    deferred: std::collections::BTreeSet<VmId>,
    decisions: Vec<Decision>,
    last_update: Millis,
    /// The current time in seconds as a floating-point clock would have it (see `MigrationDone`).
    now_secs: f64,
    /// Scratch buffers for sharing a host's CPU (reused: this is the hottest loop).
    claims: Vec<Claim>,
    allocated: Vec<f64>,
    /// Host temperatures and cooling, when the scenario has a `[thermal]` section.
    thermal: Option<ThermalModel>,
    /// Time the thermal model has been advanced to.
    thermal_t: Millis,
    /// Scratch buffer: each host's power for a thermal step.
    host_watts: Vec<f64>,
    /// The run's output rows and summary figures.
    record: Recorder,
    /// Pre-copy migrations in flight (`None` under the simple model).
    precopy: Option<Migrations>,
    done: bool,
    /// Failures and the VM manager's restarts.
    ha: Ha,
    /// Usage, billing and availability.
    ledger: Ledger,
    /// The organisations and their quotas, which plain VMs are admitted against at arrival.
    tenants: Tenants,
    actors: Actors,
    streams: RngStreams,
    /// The scenario's VM types (for the books and crash rates of VMs submitted later).
    vm_type_specs: Vec<VmTypeSection>,
    /// Services, their load and monitoring.
    services: Services,
    /// `next_decision` returns `None` before any event after this time, without ending the
    /// run (see [`Simulator::pause_at`]).
    pause: Option<Millis>,
    /// The scenario's trace, read as its VMs arrive.
    trace: Option<trace::TraceFeed>,
    /// Why reading the trace failed during the run (the run then fails).
    trace_error: Option<String>,
    /// Emissions, when the scenario names a carbon-intensity series.
    carbon: Option<carbon::Carbon>,
}

impl Simulator {
    /// Checks what building the datacenter would check without reading any trace: the host
    /// layout, VM-group host names and the thermal model.
    pub fn check_layout(scenario: &Scenario) -> Result<(), InputError> {
        let hosts = build::hosts(scenario);
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        scenario.vm_groups(&names)?;
        build::thermal(scenario, &hosts)?;
        trace::check_import(scenario)?;
        carbon::check(scenario).map(|_| ())
    }

    /// Builds the datacenter and its workload from `scenario`, with the scenario's seed
    /// replaced by `seed` when given.
    pub fn new(scenario: &Scenario, seed: Option<u64>) -> Result<Simulator, InputError> {
        let (with_trace, feed) = match trace::prepare(scenario)? {
            Some(p) => (Some(p.scenario), Some(p.feed)),
            None => (None, None),
        };
        let scenario = with_trace.as_ref().unwrap_or(scenario);
        let carbon = carbon::Carbon::new(scenario, feed.as_ref().and_then(|f| f.start_unix_ms()))?;
        let spec = &scenario.spec;
        let seed = seed.unwrap_or(spec.seed);
        let streams = RngStreams::new(seed);
        let compat = spec.compat;
        let quirks = spec.quirks.apply(compat);
        let hosts = build::hosts(scenario);
        let host_names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        let vm_groups = scenario.vm_groups(&host_names)?;
        let plans = build::vms(scenario, &streams)?;
        let update_interval = from_secs(spec.datacenter.update_interval_s);
        let realloc_interval = from_secs(spec.policies.reallocation_interval_s);
        let end = from_secs(spec.duration_s);
        let offset = if quirks.update_grid {
            CLOUDSIM_OFFSET
        } else {
            0
        };
        let non_power_aware = spec.datacenter.energy == EnergyAccounting::NonPowerAware;
        let m = &spec.migration;
        let precopy = match m.model {
            MigrationKind::Simple => None,
            MigrationKind::PreCopy if compat.cloudsim() => {
                return Err(scenario
                    .error_at(
                        "migration.model",
                        "the pre-copy model is not available with compat = \"cloudsim-3.0.3\"",
                    )
                    .hint("CloudSim migrates with the simple model: drop migration.model"))
            }
            MigrationKind::PreCopy => Some(Migrations::new(PrecopyParams {
                dirty_rate_mbs: 0.0,
                stop_threshold_mb: m.stop_threshold_mb,
                max_rounds: m.max_rounds,
                resume_overhead_s: m.resume_overhead_s,
                wws_mb: None,
            })),
        };

        let mut queue = EventQueue::new();
        let ha = Ha::new(
            scenario,
            &streams,
            &hosts.iter().map(|h| h.host_type).collect::<Vec<_>>(),
            &host_names,
            &plans
                .iter()
                .map(|p| p.view.name.clone())
                .collect::<Vec<_>>(),
            &mut queue,
        )?;
        let (services, service_views) = Services::new(scenario, &streams, &mut queue)?;
        queue.push(offset + update_interval, Event::Update);
        if spec.policies.reallocation != "none" {
            queue.push(offset + realloc_interval, Event::Reallocate);
        }

        let thermal = build::thermal(scenario, &hosts)?;
        let mut hosts = hosts;
        if let Some(t) = &thermal {
            for (h, host) in hosts.iter_mut().enumerate() {
                host.inlet_c = t.inlet_c()[h];
                host.temperature_c = t.temperature_c()[h];
            }
        }
        let view = ClusterView {
            now: 0,
            compat,
            quirks,
            host_types: scenario.host_types(),
            vm_types: scenario.vm_types(),
            overcommit: scenario.overcommit(),
            migration: scenario.migration(),
            update_interval,
            vm_groups,
            redline_c: spec.thermal.as_ref().map(|t| t.redline_c),
            hosts,
            vms: Vec::with_capacity(plans.len()),
            services: service_views,
            carbon_intensity: carbon.as_ref().map(|c| c.intensity(0)),
        };
        let mut sim = Simulator {
            hosts: (0..view.hosts.len()).map(|_| HostSim::default()).collect(),
            view,
            vms: Vec::with_capacity(plans.len()),
            queue,
            scenario: scenario.name.clone(),
            seed,
            end,
            update_interval,
            realloc_interval,
            history_len: spec.datacenter.history_len,
            vm_boot: from_secs(spec.workload.vm_boot_s),
            rule: if quirks.energy_window && !non_power_aware {
                EnergyRule::CloudSimTrapezoid
            } else {
                EnergyRule::Hold
            },
            non_power_aware,
            power_off_idle: spec.policies.power_off_idle,
            pending: Vec::new(),
            deferred: std::collections::BTreeSet::new(),
            decisions: Vec::new(),
            last_update: 0,
            now_secs: 0.0,
            claims: Vec::new(),
            allocated: Vec::new(),
            thermal,
            thermal_t: 0,
            host_watts: Vec::new(),
            record: Recorder::new(spec.output.events),
            precopy,
            done: false,
            ha,
            ledger: Ledger::new(Vec::new()),
            tenants: Tenants::from_scenario(scenario)?,
            actors: Actors::new(scenario),
            streams,
            vm_type_specs: spec.vm_types.clone(),
            services,
            pause: None,
            trace: feed,
            trace_error: None,
            carbon,
        };
        for plan in plans {
            sim.add_vm(plan);
        }
        if let Some(t) = sim.trace.as_ref().and_then(trace::TraceFeed::next_arrival) {
            sim.queue.push(t, Event::TraceArrive);
        }
        for h in 0..sim.view.hosts.len() {
            let (w, u) = sim.host_power(h);
            sim.hosts[h].meter.set_point(0, w, u);
            if !quirks.energy_window {
                sim.hosts[h].sla = HostSla::new(sim.view.hosts[h].power != PowerState::Off);
            }
        }
        Ok(sim)
    }

    /// Adds VM `plan` (the next id): it arrives at its arrival time, and ends at its end.
    fn add_vm(&mut self, plan: VmPlan) -> VmId {
        let id = self.view.vms.len();
        let t = &self.vm_type_specs[plan.view.vm_type];
        self.ledger.add(accounting::account(t, &plan, self.end));
        self.ha.add_vm(id, t.crash_rate_per_day, &self.streams);
        self.queue.push(plan.arrival, Event::Arrive(id));
        let start_on = plan
            .host
            .as_deref()
            .and_then(|name| self.view.hosts.iter().position(|h| h.name == name));
        if let Some(e) = plan.end {
            self.queue.push(e, Event::Expire(id));
        }
        self.view.vms.push(plan.view);
        self.vms.push(VmSim {
            demand: plan.demand,
            sla: VmSla::default(),
            migration_started: None,
            deferred: None,
            deploy_due: None,
            start_on,
            tenant: plan.tenant,
        });
        id
    }

    /// Submits a VM request while the simulation runs (a federation layer forwarding work
    /// here, say); it arrives at `plan.arrival`, which must not be in the past.
    pub fn submit(&mut self, plan: VmPlan) -> Result<VmId, String> {
        if plan.arrival < self.view.now {
            return Err(format!(
                "arrival at {} s is before the current time {} s",
                to_secs(plan.arrival),
                to_secs(self.view.now)
            ));
        }
        if plan.view.vm_type >= self.view.vm_types.len() {
            return Err(format!("no VM type {}", plan.view.vm_type));
        }
        if self.done {
            return Err("the run is over".into());
        }
        Ok(self.add_vm(plan))
    }

    /// Holds VM `vm`'s CPU demand at `level` (a fraction of its vCPUs) from now on, in place of
    /// its demand curve: a federation layer's worker VM going busy or idle, say.
    pub fn set_demand(&mut self, vm: VmId, level: f64) -> Result<(), String> {
        if vm >= self.vms.len() {
            return Err(format!("no VM {vm}"));
        }
        if !(0.0..=1.0).contains(&level) {
            return Err(format!("demand {level} is not between 0 and 1"));
        }
        self.hold_demand(vm, level);
        if let Some(h) = self.view.vms[vm].host {
            self.recompute(h);
        }
        Ok(())
    }

    /// Replaces VM `v`'s demand curve by the constant `level` (seen at once if it runs); the
    /// caller re-shares its host.
    fn hold_demand(&mut self, v: VmId, level: f64) {
        self.vms[v].demand = Demand::Constant(level);
        if self.view.vms[v].state.is_active() {
            self.view.vms[v].demand = level;
        }
    }

    /// Makes [`Infrastructure::next_decision`] return `None` before handling any event later
    /// than `t` (events at `t` are handled), without ending the run: a caller stepping several
    /// simulators in lock-step runs each up to the same time. `None` runs to the end.
    pub fn pause_at(&mut self, t: Option<Millis>) {
        self.pause = t;
    }

    /// Whether the run has ended.
    pub fn is_finished(&self) -> bool {
        self.done
    }

    /// When the run ends.
    pub fn end(&self) -> Millis {
        self.end
    }

    /// The time of the next event still to handle, if any before the end.
    pub fn next_event_time(&mut self) -> Option<Millis> {
        self.queue.peek_time().filter(|&t| t <= self.end)
    }

    fn quirks(&self) -> Quirks {
        self.view.quirks
    }

    /// Meters everything up to the end of the run (CloudSim stops metering at its last update).
    fn close(&mut self) {
        self.done = true;
        if !self.quirks().energy_window {
            for h in 0..self.view.hosts.len() {
                self.recompute(h);
            }
        }
    }
}

impl Infrastructure for Simulator {
    fn view(&self) -> &ClusterView {
        &self.view
    }

    fn next_decision(&mut self) -> Result<Option<Decision>, InfraError> {
        loop {
            if let Some(e) = self.trace_error.take() {
                return Err(InfraError::Backend(e));
            }
            if !self.decisions.is_empty() {
                let decision = self.decisions.remove(0);
                self.actors.answering(&decision);
                return Ok(Some(decision));
            }
            if self.done {
                return Ok(None);
            }
            // Events at the end time still happen (the last update records its interval).
            let next = self.queue.peek_time().filter(|&t| t <= self.end);
            if let (Some(t), Some(pause)) = (next, self.pause) {
                if t > pause {
                    if self.view.now < pause {
                        self.advance_thermal(pause);
                        self.view.now = pause;
                        self.now_secs = to_secs(pause);
                    }
                    return Ok(None);
                }
            }
            let Some((t, event)) = next.and_then(|_| self.queue.pop()) else {
                self.advance_thermal(self.end);
                self.view.now = self.end;
                self.close();
                return Ok(None);
            };
            self.advance_thermal(t);
            self.view.now = t;
            if let Some(c) = &self.carbon {
                self.view.carbon_intensity = Some(c.intensity(t));
            }
            self.now_secs = match event {
                Event::MigrationDone { secs_bits, .. } => f64::from_bits(secs_bits),
                _ => to_secs(t),
            };
            self.handle(event);
            if self.services.any() {
                self.refresh_services();
            }
            #[cfg(test)]
            self.assert_consistent();
            let more_now = self.queue.peek_time() == Some(t);
            if !self.services.pending.is_empty() && !more_now {
                let batch = std::mem::take(&mut self.services.pending);
                self.decisions.insert(0, Decision::Admit(batch));
            }
            if !self.pending.is_empty() && (!more_now || !self.decisions.is_empty()) {
                let batch = std::mem::take(&mut self.pending);
                self.decisions.insert(0, Decision::Place(batch));
            }
        }
    }

    fn apply(&mut self, plan: Vec<Action>) -> Vec<ActionResult> {
        plan.into_iter()
            .map(|action| {
                let result = self.execute(action.clone());
                if let Err(e) = &result {
                    self.log("action-refused", None, None, format!("{action}: {e}"));
                }
                self.audit_action(&action, &result);
                result
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
