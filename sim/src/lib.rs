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
mod build;
mod failures;
mod migration;
mod services;

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::error::InputError;
use orrery_engine::infra::{Decision, InfraError, Infrastructure};
use orrery_engine::metrics::accounting::{AuditRow, Ledger};
use orrery_engine::metrics::{
    mean_secs, EnergyMeter, EnergyRule, EventRow, HostSla, IntervalRow, RunResult, Summary,
    TemperatureRow, VmSla,
};
use orrery_engine::model::cpu::{Claim, Role, ShareRule};
use orrery_engine::model::precopy::PrecopyParams;
use orrery_engine::model::thermal::ThermalModel;
use orrery_engine::model::{PowerState, ServiceId, VmState};
use orrery_engine::queue::EventQueue;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::{EnergyAccounting, MigrationKind, Scenario, VmTypeSection};
use orrery_engine::time::{from_secs, to_secs, Millis};
use orrery_engine::view::{ClusterView, HostId, Quirks, VmId};
use orrery_engine::workload::Demand;

use accounting::Actors;
pub use build::VmPlan;
use failures::Ha;
use migration::{Change, Migrations};
use services::Services;

/// CloudSim's first update comes 0.1 s after each interval boundary (its start-up latencies).
const CLOUDSIM_OFFSET: Millis = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Arrive(VmId),
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
    /// A role's cooldown ends; stale unless the role still cools down until `until`.
    CooldownOver {
        service: ServiceId,
        role: usize,
        until: Millis,
    },
}

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
    log_events: bool,
    events: Vec<EventRow>,
    intervals: Vec<IntervalRow>,
    temperatures: Vec<TemperatureRow>,
    migrations: u64,
    migrations_in_interval: u64,
    migration_times: Vec<Millis>,
    /// Downtime of each completed pre-copy migration.
    migration_downtimes: Vec<Millis>,
    /// Memory of the migrations started under the simple model, in MB (pre-copy counts the
    /// data actually sent in `precopy`).
    migration_data_mb: f64,
    /// Pre-copy migrations in flight (`None` under the simple model).
    precopy: Option<Migrations>,
    rejected: u64,
    arrived: u64,
    done: bool,
    /// Failures and the VM manager's restarts.
    ha: Ha,
    /// Usage, billing and availability.
    ledger: Ledger,
    /// Every action taken.
    audit: Vec<AuditRow>,
    actors: Actors,
    streams: RngStreams,
    /// The scenario's VM types (for the books and crash rates of VMs submitted later).
    vm_type_specs: Vec<VmTypeSection>,
    /// Services, their load and monitoring.
    services: Services,
    /// `next_decision` returns `None` before any event after this time, without ending the
    /// run (see [`Simulator::pause_at`]).
    pause: Option<Millis>,
}

impl Simulator {
    /// Checks what building the datacenter would check without reading any trace: the host
    /// layout, VM-group host names and the thermal model.
    pub fn check_layout(scenario: &Scenario) -> Result<(), InputError> {
        let hosts = build::hosts(scenario);
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        scenario.vm_groups(&names)?;
        build::thermal(scenario, &hosts)?;
        Ok(())
    }

    /// Builds the datacenter and its workload from `scenario`, with the scenario's seed
    /// replaced by `seed` when given.
    pub fn new(scenario: &Scenario, seed: Option<u64>) -> Result<Simulator, InputError> {
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
            decisions: Vec::new(),
            last_update: 0,
            now_secs: 0.0,
            claims: Vec::new(),
            allocated: Vec::new(),
            thermal,
            thermal_t: 0,
            host_watts: Vec::new(),
            log_events: spec.output.events,
            events: Vec::new(),
            intervals: Vec::new(),
            temperatures: Vec::new(),
            migrations: 0,
            migrations_in_interval: 0,
            migration_times: Vec::new(),
            migration_downtimes: Vec::new(),
            migration_data_mb: 0.0,
            precopy,
            rejected: 0,
            arrived: 0,
            done: false,
            ha,
            ledger: Ledger::new(Vec::new()),
            audit: Vec::new(),
            actors: Actors::new(scenario),
            streams,
            vm_type_specs: spec.vm_types.clone(),
            services,
            pause: None,
        };
        for plan in plans {
            sim.add_vm(plan);
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

    fn log(&mut self, kind: &'static str, vm: Option<VmId>, host: Option<HostId>, detail: String) {
        if self.log_events {
            self.events.push(EventRow {
                time_s: to_secs(self.view.now),
                kind,
                vm,
                host,
                detail,
            });
        }
    }

    /// Advances the thermal model to `t` with each host's power held since the last step, and
    /// shows the new temperatures in the view.
    fn advance_thermal(&mut self, t: Millis) {
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
    fn host_power(&self, h: HostId) -> (f64, f64) {
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
    fn recompute(&mut self, h: HostId) {
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
    fn update_all(&mut self, periodic: bool) {
        let now = self.view.now;
        for v in 0..self.view.vms.len() {
            let vm = &mut self.view.vms[v];
            if vm.state.is_active() {
                vm.demand = self.vms[v].demand.at_secs(self.now_secs);
                if periodic {
                    vm.history.push_front(vm.demand);
                    vm.history.truncate(self.history_len);
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
    fn remove_idle_vms(&mut self) {
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
    fn detach(&mut self, v: VmId, h: HostId) {
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
    fn attach(&mut self, v: VmId, h: HostId) {
        let (mips, mem) = (self.view.vm_mips(v), self.view.vm_memory_mb(v));
        let host = &mut self.view.hosts[h];
        host.vms.push(v);
        host.reserved_mips += mips;
        host.reserved_memory_mb += mem;
    }

    fn record_interval(&mut self) {
        let (mut active, mut power, mut util, mut joules) = (0u64, 0.0, 0.0, 0.0);
        let (mut requested, mut busy) = (0.0, 0.0);
        for h in 0..self.view.hosts.len() {
            let w = self.hosts[h].meter.watts();
            joules += self.hosts[h].meter.joules;
            requested += self.view.hosts[h].requested_mips;
            busy += self.view.hosts[h].busy_mips;
            let drawing = if self.rule == EnergyRule::CloudSimTrapezoid {
                self.view.hosts[h].busy_mips > 0.0
            } else {
                w > 0.0
            };
            if drawing {
                active += 1;
                power += w;
                util += self.view.utilisation(h);
            }
        }
        let running = self.view.vms.iter().filter(|v| v.state.is_active()).count() as u64;
        let thermal = self.thermal.as_ref().map(|t| {
            let on: Vec<f64> = (0..self.view.hosts.len())
                .filter(|&h| self.view.hosts[h].power.is_up())
                .map(|h| t.temperature_c()[h])
                .collect();
            let mean = (!on.is_empty()).then(|| on.iter().sum::<f64>() / on.len() as f64);
            let max = t
                .temperature_c()
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            (max, mean, t)
        });
        let time_s = to_secs(self.view.now);
        if let Some((_, _, t)) = &thermal {
            let rows = t.temperature_c().iter().enumerate();
            self.temperatures
                .extend(rows.map(|(host, &temperature_c)| TemperatureRow {
                    time_s,
                    host,
                    temperature_c,
                }));
        }
        self.intervals.push(IntervalRow {
            time_s,
            active_hosts: active,
            power_w: power,
            energy_kwh: joules / 3.6e6,
            cpu_util_mean: if active > 0 {
                util / active as f64
            } else {
                0.0
            },
            vms_running: running,
            migrations: std::mem::take(&mut self.migrations_in_interval),
            cpu_shortfall_ratio: if requested > 0.0 {
                ((requested - busy) / requested).max(0.0)
            } else {
                0.0
            },
            max_temperature_c: thermal.as_ref().map(|t| t.0),
            mean_temperature_c: thermal.as_ref().and_then(|t| t.1),
            cooling_power_w: thermal.as_ref().map_or(0.0, |t| t.2.cooling_power_w()),
            cooling_energy_kwh: thermal
                .as_ref()
                .map_or(0.0, |t| t.2.cooling_energy_j() / 3.6e6),
            hot_spots: thermal.as_ref().map_or(0, |t| t.2.hot_spots() as u64),
            time_above_redline_s: thermal
                .as_ref()
                .map_or(0.0, |t| t.2.seconds_above_redline().iter().sum()),
        });
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive(v) => {
                self.arrived += 1;
                self.view.vms[v].state = VmState::Pending;
                self.pending.push(v);
                self.log("arrival", Some(v), None, String::new());
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
            Event::Expire(v) => {
                if self.view.vms[v].state.is_placed() || self.view.vms[v].state == VmState::Pending
                {
                    self.stop_vm(v, "lifetime over");
                } else {
                    self.expire_lost(v);
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
                let retry: Vec<VmId> = (0..self.vms.len())
                    .filter(|&v| {
                        self.vms[v].deferred.is_some() && self.view.vms[v].state == VmState::Pending
                    })
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
            Event::ServiceLease(s) => self.lease_expired(s),
            Event::ServiceEnd(s) => self.undeploy(s),
            Event::CooldownOver {
                service,
                role,
                until,
            } => self.cooldown_over(service, role, until),
        }
    }

    /// Starts VM `v`'s boot on its host, which is up: it runs after the VM boot delay.
    fn boot_vm(&mut self, v: VmId) {
        let at = self.view.now + self.vm_boot;
        self.vms[v].deploy_due = Some(at);
        self.queue.push(at, Event::Deployed(v));
    }

    fn stop_vm(&mut self, v: VmId, why: &str) {
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
    fn unplace(&mut self, v: VmId) -> Vec<HostId> {
        let mut hosts: Vec<HostId> = self.view.vms[v].host.into_iter().collect();
        hosts.extend(
            (0..self.view.hosts.len()).filter(|&h| self.view.hosts[h].incoming.contains(&v)),
        );
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
    fn resync_migrations(&mut self, edit: impl FnOnce(&mut Migrations)) {
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
    fn finish_migration(&mut self, v: VmId, to: HostId, precopy: Option<(Millis, f64, u32)>) {
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
        let duration = self.vms[v].migration_started.take().map(|start| {
            let d = self.view.now - start;
            self.migration_times.push(d);
            d
        });
        let mut detail = from.map(|f| format!("from {f}")).unwrap_or_default();
        if let Some((downtime, data_mb, rounds)) = precopy {
            self.migration_downtimes.push(downtime);
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

    /// Powers host `h` off if that was asked for (or idle hosts are powered off) and it is empty.
    fn maybe_power_off(&mut self, h: HostId) {
        let host = &self.view.hosts[h];
        let wanted =
            self.hosts[h].off_requested || (self.power_off_idle && !self.quirks().energy_window);
        if wanted
            && host.vms.is_empty()
            && host.power == PowerState::On
            && self.hosts[h].waiting.is_empty()
            && self.hosts[h].waiting_vms.is_empty()
        {
            if !std::mem::take(&mut self.hosts[h].off_requested) {
                let result = Ok("idle".into());
                self.audit(
                    accounting::POWER_MANAGER,
                    "power-off",
                    None,
                    Some(h),
                    result,
                );
            }
            self.power_off(h);
        }
    }

    fn power_off(&mut self, h: HostId) {
        let delay = self.view.host_type(h).shutdown_delay;
        let energy = self.view.host_type(h).shutdown_energy_j;
        self.view.hosts[h].power = PowerState::ShuttingDown;
        self.log("host-off-requested", None, Some(h), String::new());
        if delay == 0 {
            self.hosts[h].meter.joules += energy;
            self.view.hosts[h].power = PowerState::Off;
            self.recompute(h);
            self.log("host-off", None, Some(h), String::new());
        } else {
            self.recompute(h);
            self.hosts[h].power_due = Some(self.view.now + delay);
            self.queue.push(self.view.now + delay, Event::PoweredOff(h));
        }
    }

    fn power_on(&mut self, h: HostId) {
        let delay = self.view.host_type(h).boot_delay;
        let energy = self.view.host_type(h).boot_energy_j;
        self.view.hosts[h].power = PowerState::Booting;
        self.log("host-boot", None, Some(h), String::new());
        self.hosts[h].power_due = Some(self.view.now + delay);
        if delay == 0 {
            self.hosts[h].meter.joules += energy;
            self.handle(Event::Booted(h));
        } else {
            self.recompute(h);
            self.queue.push(self.view.now + delay, Event::Booted(h));
        }
    }

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

    fn execute(&mut self, action: Action) -> ActionResult {
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
                self.rejected += 1;
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
                self.migrations += 1;
                self.migrations_in_interval += 1;
                let memory_mb = self.view.vm_memory_mb(vm);
                if self.precopy.is_none() {
                    let duration = self
                        .view
                        .migration
                        .duration(memory_mb, self.view.host_type(to).nic_mbps);
                    self.migration_data_mb += memory_mb;
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

    /// Ends the run: closes the meters and computes the summary.
    pub fn finish(mut self) -> RunResult {
        if !self.done {
            self.advance_thermal(self.end);
            self.view.now = self.end;
            self.close();
        }
        // Pre-copy data, including what migrations still in flight sent up to the end.
        if let Some(p) = self.precopy.as_mut() {
            p.advance(self.end);
            self.migration_data_mb += p.data_sent_mb();
        }
        let mut joules = 0.0;
        let mut powered: Millis = 0;
        let (mut active, mut saturated) = (0, 0);
        let mut shutdown_times = Vec::new();
        for h in &mut self.hosts {
            h.sla.finish();
            joules += h.meter.joules;
            powered += h.meter.powered;
            active += h.sla.active;
            saturated += h.sla.saturated;
            shutdown_times.extend_from_slice(&h.sla.times_before_shutdown);
        }
        let (mut req, mut alloc, mut mig) = (0.0, 0.0, 0.0);
        for v in &mut self.vms {
            v.sla.finish();
            req += v.sla.requested;
            alloc += v.sla.allocated;
            mig += v.sla.migration_shortfall;
        }
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let energy_kwh = joules / 3.6e6;
        let cooling_kwh = self
            .thermal
            .as_ref()
            .map_or(0.0, |t| t.cooling_energy_j() / 3.6e6);
        let slatah = ratio(saturated as f64, active as f64);
        let pdm = ratio(mig, req);
        let services = self.finish_services();
        let accounts = self.ledger.finish(self.end);
        let summary = Summary {
            scenario: self.scenario.clone(),
            seed: self.seed,
            compat: match self.view.compat {
                orrery_engine::view::Compat::None => "none".into(),
                orrery_engine::view::Compat::CloudSim303 => "cloudsim-3.0.3".into(),
            },
            duration_s: to_secs(self.end),
            energy_kwh,
            vm_migrations: self.migrations,
            vms_total: self.arrived,
            vms_rejected: self.rejected,
            vms_pending: self
                .view
                .vms
                .iter()
                .filter(|v| v.state == VmState::Pending)
                .count() as u64,
            hosts_total: self.view.hosts.len() as u64,
            mean_active_hosts: ratio(powered as f64, self.end as f64),
            cpu_shortfall_ratio: ratio(req - alloc, req),
            slatah,
            pdm,
            slav: slatah * pdm,
            esv: energy_kwh * slatah * pdm,
            host_shutdowns: shutdown_times.len() as u64,
            mean_migration_time_s: mean_secs(&self.migration_times),
            mean_time_before_host_shutdown_s: mean_secs(&shutdown_times),
            mean_migration_downtime_s: mean_secs(&self.migration_downtimes),
            migration_data_gb: self.migration_data_mb / 1024.0,
            max_host_temperature_c: self.thermal.as_ref().map(|t| t.max_temperature_c()),
            cooling_energy_kwh: cooling_kwh,
            total_energy_kwh: energy_kwh + cooling_kwh,
            time_above_redline_s: self
                .thermal
                .as_ref()
                .map_or(0.0, |t| t.seconds_above_redline().iter().sum()),
            availability_mean: accounts.availability_mean,
            availability_min: accounts.availability_min,
            host_failures: self.ha.host_failures,
            vm_crashes: self.ha.vm_crashes,
            vm_restarts: self.ha.vm_restarts,
            cost_total: accounts.cost_total,
            services_total: services.total,
            services_rejected: services.rejected,
            service_availability_mean: services.availability_mean,
            service_availability_min: services.availability_min,
            requests_total: services.requests_total,
            requests_dropped_ratio: services.dropped_ratio,
            response_time_mean_s: services.response_mean_s,
            scaling_actions: services.scaling_actions,
        };
        RunResult {
            summary,
            intervals: self.intervals,
            temperatures: self.temperatures,
            events: self.events,
            usage: accounts.usage,
            billing: accounts.billing,
            audit: self.audit,
            services: services.rows,
            roles: services.role_rows,
        }
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
