//! Live mode: the same [`Infrastructure`] the simulator implements, over real hosts through
//! libvirt. Each round observes every host (node resources, orrery's domains, CPU-time deltas),
//! hands the view to the same policies, prints the plan, and, with `apply`, carries it out
//! through a write-ahead journal, within per-interval limits. orrery manages only domains that
//! carry its metadata tag (those it defined, or that an operator tagged); it never touches
//! others. At start-up, actions a crash interrupted are reconciled with what the hosts report.
//! docs/live.md describes the config file and how to run it against a real cluster.

pub mod apply;
pub mod burst;
pub mod calibrate;
pub mod clock;
pub mod config;
pub mod connection;
pub mod history;
pub mod hypervisor;
pub mod journal;
pub mod metrics;
pub mod observe;
pub mod owner;
pub mod plan;
pub mod reconcile;
pub mod redact;
pub mod requests;
pub mod retry;
pub mod services;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::infra::{Decision, InfraError, Infrastructure};
use orrery_engine::model::{PowerState, VmState, VmType};
use orrery_engine::policy::PolicyConfig;
use orrery_engine::view::ClusterView;

use apply::Executor;
use burst::{Bursting, Home};
use clock::Clock;
use config::LiveConfig;
use hypervisor::{Calls, Hypervisor};
use journal::{Actor, Journal, JournalError, Planned, Record, Stamp};
use metrics::{Metrics, RoundMetrics};
use observe::{observe, Context, Memory};
use plan::{Observed, ObservedHost, ObservedVm, PlanFile, Step};
use reconcile::describe;
use redact::Redactor;
use services::Services;

pub use connection::Libvirt;

/// How the loop runs.
#[derive(Clone, Default)]
pub struct LiveOptions {
    /// Carry plans out (without it, plans are only printed: a dry run).
    pub apply: bool,
    /// Stop after this many rounds (`--once` is 1; `None` runs until stopped).
    pub rounds: Option<u64>,
    /// Time between rounds (`None`: the config's `interval_s`).
    pub interval: Option<Duration>,
    /// Abort the process right after the first intent is journaled (crash tests only).
    pub crash_after_intent: bool,
    /// Write the plan of the (dry) run's rounds to this file (`orrery live plan --out`).
    pub plan_out: Option<PathBuf>,
    /// Set by SIGTERM or SIGINT: finish the action in flight, begin no other, stop.
    pub stop: Arc<AtomicBool>,
    /// Where rounds and actions are counted (the Prometheus endpoint).
    pub metrics: Option<Metrics>,
    /// Observe once and wait this long before the first round, so that its utilisation is
    /// measured (a first observation has no CPU-time delta and reads every VM as idle).
    pub warmup: Option<Duration>,
}

/// What a step of a plan came to.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Carried out.
    Done,
    /// Not attempted: a precondition no longer held, a limit was reached, the plan was
    /// cancelled or the loop was stopping (a dry run's steps are all this).
    Skipped(String),
    /// Attempted and failed; what it had done was undone.
    Failed(String),
}

/// How applying a plan file went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Steps carried out.
    pub done: usize,
    /// Steps not attempted.
    pub skipped: usize,
    /// Steps that failed.
    pub failed: usize,
}

/// The live datacenter: hosts behind a [`Hypervisor`], observed and acted on each round.
pub struct Live<H: Hypervisor> {
    config: LiveConfig,
    hv: H,
    clock: Box<dyn Clock>,
    out: Box<dyn Write>,
    opts: LiveOptions,
    journal: Journal,
    vm_types: Vec<VmType>,
    memory: Memory,
    view: ClusterView,
    free_mb: Vec<Option<f64>>,
    powered_off: BTreeSet<String>,
    rejected: BTreeSet<String>,
    decisions: VecDeque<(Decision, &'static str)>,
    rounds: u64,
    stale: bool,
    last_realloc: Option<Duration>,
    round_actions: usize,
    round_migrations: usize,
    /// When the current round started (for its duration).
    round_started: Duration,
    /// Hosts that did not answer at this round's observation.
    unreachable: Vec<String>,
    /// What the plan being applied decides: placement, reallocation or drain.
    deciding: &'static str,
    /// Hosts in maintenance (from the operators' requests): drained, then held.
    maintenance: BTreeSet<String>,
    /// The view as observed, while a drain decision sees the drained VMs as pending.
    drained_from: Option<ClusterView>,
    /// When each VM last arrived on its host, ms since the Unix epoch.
    arrivals: BTreeMap<String, u64>,
    /// VMs deployed or moved this round (never moved again in it).
    arrived_this_round: BTreeSet<String>,
    /// The steps planned this run, and the decisions that are not steps (for a plan file).
    steps: Vec<Step>,
    notes: Vec<String>,
    /// The cluster as the first round observed it (for a plan file).
    observed: Option<Observed>,
    /// Hides the hosts' credentials in every line printed.
    redactor: Redactor,
    /// What the last action, a live migration, measured.
    measured: Option<hypervisor::MigrationFacts>,
    /// The services' roles: cardinalities and phases.
    services: Services,
    /// The public cloud VMs burst to, when the config has one (and the run applies).
    bursting: Option<Bursting>,
    /// VMs placement deferred this round (the burst rule's candidates).
    deferred: BTreeSet<String>,
}

impl<H: Hypervisor> Live<H> {
    /// Opens the journal and, with `apply`, reconciles the actions a crash interrupted (a dry
    /// run only reads the journal and reports them).
    pub fn new(
        config: LiveConfig,
        hv: H,
        clock: Box<dyn Clock>,
        out: Box<dyn Write>,
        opts: LiveOptions,
    ) -> Result<Self, JournalError> {
        let mut opts = opts;
        opts.interval = opts
            .interval
            .or(Some(Duration::from_secs_f64(config.spec.interval_s)));
        let path = config.journal_path();
        let journal = if opts.apply {
            Journal::open(&path)?
        } else {
            Journal::read_only(&path)?
        };
        let vm_types = PolicyConfig::vm_types(&config);
        // Credentials in a host URI or in the burst endpoint's URL are never printed.
        let mut uris = config.uris();
        uris.extend(config.spec.burst.iter().map(|b| b.endpoint.clone()));
        let redactor = Redactor::new(&uris);
        // Hosts orrery powered off: off, not lost, and their size known from before.
        let mut memory = Memory::new(config.spec.history_len);
        let mut powered_off = BTreeSet::new();
        for (host, node) in journal.powered_off() {
            if let (Some(h), Some(n)) = (config.host_names().iter().position(|x| *x == host), node)
            {
                memory.remember_node(h, n);
            }
            powered_off.insert(host);
        }
        let services = Services::new(&config, &journal.cardinalities());
        let mut live = Live {
            redactor,
            measured: None,
            services,
            memory,
            view: ClusterView::new(Default::default(), Vec::new(), Vec::new()),
            free_mb: Vec::new(),
            powered_off,
            config,
            hv,
            clock,
            out,
            opts,
            journal,
            vm_types,
            rejected: BTreeSet::new(),
            decisions: VecDeque::new(),
            rounds: 0,
            stale: true,
            last_realloc: None,
            round_actions: 0,
            round_migrations: 0,
            round_started: Duration::ZERO,
            unreachable: Vec::new(),
            deciding: "",
            maintenance: BTreeSet::new(),
            drained_from: None,
            arrivals: BTreeMap::new(),
            arrived_this_round: BTreeSet::new(),
            steps: Vec::new(),
            notes: Vec::new(),
            observed: None,
            bursting: None,
            deferred: BTreeSet::new(),
        };
        live.arrivals = live.journal.arrivals();
        if live.opts.apply {
            match Bursting::new(&live.config, live.journal.records()) {
                Ok(b) => live.bursting = b,
                Err(e) => live.say(&format!("warning: bursting is off: {e}")),
            }
            live.reconcile_open()?;
        } else {
            let lines: Vec<String> = live
                .journal
                .open_intents()
                .iter()
                .map(|(seq, a)| {
                    format!(
                        "interrupted #{seq} ({}): reconciled on the next run with --apply",
                        describe(a)
                    )
                })
                .collect();
            for line in lines {
                live.say(&line);
            }
        }
        Ok(live)
    }

    /// Settles every intent without an outcome from what the hosts report now (see
    /// [`reconcile`]): at start-up, the actions a crash interrupted; at later rounds, those a
    /// host left unsettled by not answering (a migration whose cancel had not ended).
    fn reconcile_open(&mut self) -> Result<(), JournalError> {
        let lines = reconcile::reconcile(
            &mut self.hv,
            &self.config,
            &mut *self.clock,
            &mut self.journal,
        )?;
        for line in lines {
            self.say(&line);
        }
        Ok(())
    }

    /// The hypervisor (to inspect hosts after a run).
    pub fn hypervisor(&mut self) -> &mut H {
        &mut self.hv
    }

    /// The journal's records.
    pub fn journal(&self) -> &[Record] {
        self.journal.records()
    }

    fn interval(&self) -> Duration {
        self.opts.interval.expect("set in new")
    }

    fn say(&mut self, line: &str) {
        // A closed output (`| head`) must not stop the loop.
        let _ = writeln!(self.out, "{}", self.redactor.redact(line));
    }

    /// Gives back the hypervisor (to inspect or reuse the hosts after a run).
    pub fn into_hypervisor(self) -> H {
        self.hv
    }

    /// Observes every host now and replaces the view; returns hosts that did not answer.
    /// Hosts in maintenance show as failed to the policies: they take no VM.
    pub fn observe(&mut self) -> Vec<String> {
        let cx = Context {
            config: &self.config,
            vm_types: &self.vm_types,
            powered_off: &self.powered_off,
            rejected: &self.rejected,
            uuids: self.journal.uuids(),
            interval: self.interval(),
        };
        let o = observe(&mut self.hv, &cx, &mut self.memory, &mut *self.clock);
        self.view = o.view;
        self.services.complete(&self.config, &mut self.view);
        self.free_mb = o.free_mb;
        self.stale = false;
        for w in o.warnings {
            self.say(&format!("warning: {w}"));
        }
        // A tagged domain seen for the first time is that VM from now on (a dry run only
        // reads the journal: it adopts nothing).
        if self.opts.apply {
            let at_ms = self.clock.unix_ms();
            for (vm, uuid) in o.adopted {
                if let Err(e) = self.journal.adopt(&vm, &uuid, at_ms) {
                    self.say(&format!("warning: {e}"));
                }
            }
        }
        self.read_requests();
        for host in &mut self.view.hosts {
            if self.maintenance.contains(&host.name) && host.power == PowerState::On {
                host.power = PowerState::Failed;
            }
        }
        o.unreachable
    }

    /// Takes in the operators' maintenance requests (a bad requests file is a warning: the
    /// last good state holds).
    fn read_requests(&mut self) {
        match requests::read(&self.config.journal_path()) {
            Ok(reqs) => {
                let now = requests::maintenance(&reqs);
                let names = self.config.host_names();
                let mut lines: Vec<String> = now
                    .difference(&self.maintenance)
                    .filter(|h| names.contains(h))
                    .map(|h| format!("{h} is in maintenance: drained, then held"))
                    .collect();
                lines.extend(
                    self.maintenance
                        .difference(&now)
                        .map(|h| format!("{h} is out of maintenance")),
                );
                self.maintenance = now;
                for l in lines {
                    self.say(&l);
                }
            }
            Err(e) => self.say(&format!("warning: {e}")),
        }
    }

    /// Whether host `h` is in maintenance.
    fn in_maintenance(&self, h: usize) -> bool {
        self.view
            .hosts
            .get(h)
            .is_some_and(|x| self.maintenance.contains(&x.name))
    }

    /// The cluster as last observed, with each VM's utilisation history (for a plan file and
    /// the simulation twin).
    pub fn observed(&self) -> Observed {
        let v = &self.view;
        let hosts = v
            .hosts
            .iter()
            .enumerate()
            .map(|(h, host)| {
                let ty = v.host_type(h);
                ObservedHost {
                    name: host.name.clone(),
                    power: self.power_word(h).into(),
                    cpus: ty.cores,
                    core_mips: ty.core_mips,
                    memory_mb: ty.memory_mb,
                    reserved_memory_mb: host.reserved_memory_mb,
                    cpu_utilisation: if ty.total_mips() > 0.0 {
                        v.utilisation(h)
                    } else {
                        0.0
                    },
                    vms: host.vms.iter().map(|&i| v.vms[i].name.clone()).collect(),
                }
            })
            .collect();
        let vms = v
            .vms
            .iter()
            .enumerate()
            .map(|(i, vm)| ObservedVm {
                name: vm.name.clone(),
                template: v.vm_type(i).name.clone(),
                state: format!("{:?}", vm.state).to_lowercase(),
                host: vm.host.map(|h| v.hosts[h].name.clone()),
                utilisation: vm.demand,
                history: vm.history.iter().copied().collect(),
            })
            .collect();
        Observed {
            hosts,
            vms,
            sample_interval_s: self.interval().as_secs_f64(),
        }
    }

    /// Host `h`'s power as printed: maintenance shows as such, not as failed.
    fn power_word(&self, h: usize) -> &'static str {
        if self.in_maintenance(h) {
            return "maintenance";
        }
        match self.view.hosts[h].power {
            PowerState::On => "on",
            PowerState::Off => "off",
            PowerState::Booting => "booting",
            PowerState::ShuttingDown => "shutting-down",
            PowerState::Failed => "failed",
        }
    }

    /// One line per host: power, size, and its VMs with state and utilisation.
    fn print_cluster(&mut self) {
        let v = &self.view;
        let mut lines = vec![format!(
            "observed {} at {:.1} s: {} hosts, {} VMs",
            self.config.name,
            v.now as f64 / 1000.0,
            v.hosts.len(),
            v.vms.len()
        )];
        for (h, host) in v.hosts.iter().enumerate() {
            let ty = v.host_type(h);
            let vms: Vec<String> = host
                .vms
                .iter()
                .map(|&i| {
                    let vm = &v.vms[i];
                    format!("{} {:?} {:.0}%", vm.name, vm.state, vm.demand * 100.0)
                })
                .collect();
            let free = self.free_mb[h].map_or(String::new(), |f| format!(", {f:.0} free"));
            lines.push(format!(
                "  {:<12} {:<7} {} CPUs × {:.0} MIPS, {:.0} MB ({:.0} reserved{free}), CPU {:.0}%: {}",
                host.name,
                if self.in_maintenance(h) {
                    "Maintenance".to_string()
                } else {
                    format!("{:?}", host.power)
                },
                ty.cores,
                ty.core_mips,
                ty.memory_mb,
                host.reserved_memory_mb,
                if ty.total_mips() > 0.0 {
                    v.utilisation(h) * 100.0
                } else {
                    0.0
                },
                if vms.is_empty() {
                    "-".into()
                } else {
                    vms.join(", ")
                }
            ));
        }
        let pending: Vec<&str> = v
            .vms
            .iter()
            .filter(|vm| vm.state == VmState::Pending)
            .map(|vm| vm.name.as_str())
            .collect();
        if !pending.is_empty() {
            lines.push(format!("  pending: {}", pending.join(", ")));
        }
        for svc in &v.services {
            for role in &svc.roles {
                let running = role
                    .vms
                    .iter()
                    .filter(|&&i| v.vms[i].state == VmState::Running)
                    .count();
                lines.push(format!(
                    "  service {}/{}: {running} of {} VMs running, {:?}",
                    svc.name, role.name, role.cardinality, role.phase
                ));
            }
        }
        for l in lines {
            self.say(&l);
        }
    }

    /// Starts a round: observes, prints, and queues the decisions due: elasticity of the
    /// services' roles, placement of pending VMs, reallocation when its interval has passed,
    /// and the drain of hosts in maintenance.
    fn start_round(&mut self) {
        self.rounds += 1;
        self.round_actions = 0;
        self.round_migrations = 0;
        self.round_started = self.clock.now();
        self.arrived_this_round.clear();
        // Start-up settled the journal; an intent left open since is settled when its hosts
        // answer again.
        if self.opts.apply && self.rounds > 1 && !self.journal.open_intents().is_empty() {
            if let Err(e) = self.reconcile_open() {
                self.say(&format!("warning: {e}"));
            }
        }
        if let (1, Some(d)) = (self.rounds, self.opts.warmup) {
            self.observe();
            self.say(&format!(
                "measuring utilisation over {:.0} s before deciding",
                d.as_secs_f64()
            ));
            self.pause(d);
        }
        let unreachable = self.observe();
        self.print_cluster();
        if self.observed.is_none() {
            self.observed = Some(self.observed());
        }
        if !self.services.is_empty() {
            self.decisions.push_back((Decision::Scale, "elasticity"));
        }
        // The VMs are listed when the decision comes up: elasticity may add some.
        self.decisions
            .push_back((Decision::Place(Vec::new()), "placement"));
        self.unreachable = unreachable;
        let p = &self.config.spec.policies;
        if p.reallocation != "none" {
            let now = self.clock.now();
            let every = Duration::from_secs_f64(p.reallocation_interval_s);
            if self.last_realloc.is_none_or(|t| now - t >= every) {
                self.last_realloc = Some(now);
                self.decisions
                    .push_back((Decision::Reallocate, "reallocation"));
            }
        }
        if !self.draining().is_empty() {
            // The VMs are listed when the decision comes up, from the view as it is then.
            self.decisions
                .push_back((Decision::Place(Vec::new()), "drain"));
        }
    }

    /// The pending VMs, unless a host did not answer this round (a VM not seen anywhere may
    /// run there): then they are held, and said so.
    fn pending(&mut self) -> Vec<usize> {
        let pending: Vec<usize> = (0..self.view.vms.len())
            .filter(|&v| self.view.vms[v].state == VmState::Pending)
            .collect();
        if pending.is_empty() || self.unreachable.is_empty() {
            return pending;
        }
        let line = format!(
            "holding {} pending VMs: {} did not answer",
            pending.len(),
            self.unreachable.join(", ")
        );
        self.say(&line);
        Vec::new()
    }

    /// VMs on hosts in maintenance, to be moved off.
    fn draining(&self) -> Vec<usize> {
        (0..self.view.vms.len())
            .filter(|&i| {
                self.view.vms[i]
                    .host
                    .is_some_and(|h| self.in_maintenance(h))
            })
            .collect()
    }

    /// Readies a drain decision: the view shows the VMs on hosts in maintenance as pending, so
    /// the placement policy chooses where each goes (the observed view is put back before the
    /// plan is applied, its deploys read as moves).
    fn begin_drain(&mut self) -> Vec<usize> {
        let vms = self.draining();
        self.drained_from = Some(self.view.clone());
        let v = &mut self.view;
        for &vm in &vms {
            detach(v, vm);
            v.vms[vm].state = VmState::Pending;
        }
        vms
    }

    /// Why reallocation may not move `vm` now: it arrived this round, or less than
    /// `min_residence_s` ago.
    fn resident(&self, vm: usize) -> Result<(), String> {
        let name = &self.view.vms[vm].name;
        if self.arrived_this_round.contains(name) {
            return Err(format!(
                "{name} was deployed or moved this round: not moved again before the next"
            ));
        }
        let min_s = self.config.spec.min_residence_s;
        if let Some(&at) = self.arrivals.get(name) {
            let age_s = self.clock.unix_ms().saturating_sub(at) as f64 / 1000.0;
            if age_s < min_s {
                return Err(format!(
                    "{name} arrived on its host {age_s:.0} s ago, less than min_residence_s = \
                     {min_s}"
                ));
            }
        }
        Ok(())
    }

    /// A policy's action as a step of the plan, or why it is not one.
    fn step_of(&self, action: &Action) -> Result<Step, String> {
        if let (Action::Migrate { vm, .. }, "reallocation") = (action, self.deciding) {
            self.resident(*vm)?;
        }
        let planned = self.planned(action, true)?;
        let reason = match self.deciding {
            "placement" => format!("placement by {}", self.config.spec.policies.placement),
            "reallocation" => format!("reallocation by {}", self.config.spec.policies.reallocation),
            "drain" => match &planned {
                Planned::Migrate { from, .. } => format!("drain of {from} (maintenance)"),
                _ => "drain (maintenance)".into(),
            },
            other => other.to_string(),
        };
        Ok(Step {
            decision: self.deciding.to_string(),
            reason,
            action: planned,
        })
    }

    /// The action a step names, on the view as it is now, if its preconditions hold: the VM
    /// is where the step saw it (pending for a deploy) and exists, as do the hosts.
    fn resolve(&self, planned: &Planned) -> Result<Action, String> {
        let v = &self.view;
        let vm_id = |name: &str| {
            v.vms
                .iter()
                .position(|x| x.name == name)
                .ok_or_else(|| format!("{name} is not one of this config's VMs now"))
        };
        let host_id = |name: &str| {
            v.hosts
                .iter()
                .position(|x| x.name == name)
                .ok_or_else(|| format!("{name} is not one of this config's hosts"))
        };
        let at = |name: &str, host: &str| {
            let i = vm_id(name)?;
            match v.vms[i].host {
                Some(h) if v.hosts[h].name == host => Ok(i),
                Some(h) => Err(format!(
                    "{name} is on {} now, the plan saw it on {host}",
                    v.hosts[h].name
                )),
                None => Err(format!(
                    "{name} is {} and on no host now, the plan saw it on {host}",
                    format!("{:?}", v.vms[i].state).to_lowercase()
                )),
            }
        };
        Ok(match planned {
            Planned::Deploy { vm, host, .. } => {
                let i = vm_id(vm)?;
                if v.vms[i].state != VmState::Pending {
                    let on = v.vms[i]
                        .host
                        .map_or(String::new(), |h| format!(" on {}", v.hosts[h].name));
                    return Err(format!(
                        "{vm} is {}{on} now, the plan saw it pending",
                        format!("{:?}", v.vms[i].state).to_lowercase()
                    ));
                }
                Action::Deploy {
                    vm: i,
                    host: host_id(host)?,
                }
            }
            Planned::Migrate { vm, from, to } => Action::Migrate {
                vm: at(vm, from)?,
                to: host_id(to)?,
            },
            Planned::Suspend { vm, host } => Action::Suspend { vm: at(vm, host)? },
            Planned::Resume { vm, host } => Action::Resume { vm: at(vm, host)? },
            Planned::Shutdown { vm, host } => Action::Shutdown { vm: at(vm, host)? },
            Planned::Resize {
                vm,
                host,
                vcpus,
                memory_mb,
            } => Action::Resize {
                vm: at(vm, host)?,
                vcpus: Some(*vcpus),
                memory_mb: Some(*memory_mb),
            },
            Planned::PowerOn { host } => Action::PowerOn {
                host: host_id(host)?,
            },
            Planned::PowerOff { host, .. } => Action::PowerOff {
                host: host_id(host)?,
            },
        })
    }

    /// Carries out one step after checking, on the view as it is now, that its preconditions
    /// still hold: journals the intent (stamped with `stamp`), acts, journals the outcome and
    /// shows it in the view.
    fn run_step(&mut self, step: &Step, stamp: &Stamp) -> StepOutcome {
        if self.stopping() {
            return StepOutcome::Skipped("not begun: stopping".into());
        }
        let action = match self.resolve(&step.action) {
            Ok(a) => a,
            Err(e) => return StepOutcome::Skipped(e),
        };
        // As in simulation, a VM sent to a host orrery powered off wakes it first.
        let target = match action {
            Action::Deploy { host, .. } => Some(host),
            Action::Migrate { to, .. } => Some(to),
            _ => None,
        };
        if let Some(h) = target.filter(|&h| {
            self.view.hosts[h].power == PowerState::Off
                && self.powered_off.contains(&self.view.hosts[h].name)
                && !self.in_maintenance(h)
        }) {
            if let Err(e) = self.wake(h, stamp) {
                return StepOutcome::Failed(e);
            }
        }
        let mut planned = match self.planned(&action, false) {
            Ok(p) => p,
            Err(e) => return StepOutcome::Skipped(e),
        };
        // A deploy keeps the UUID the plan gave it (what was reviewed is what runs).
        if let (
            Planned::Deploy { uuid, .. },
            Planned::Deploy {
                uuid: Some(reviewed),
                ..
            },
        ) = (&mut planned, &step.action)
        {
            *uuid = Some(reviewed.clone());
        }
        let limits = &self.config.spec.limits;
        if limits.max_actions > 0 && self.round_actions >= limits.max_actions {
            return StepOutcome::Skipped(format!(
                "over the limit of {} actions per interval",
                limits.max_actions
            ));
        }
        let migration = matches!(action, Action::Migrate { .. });
        if migration && limits.max_migrations > 0 && self.round_migrations >= limits.max_migrations
        {
            return StepOutcome::Skipped(format!(
                "over the limit of {} migrations per interval",
                limits.max_migrations
            ));
        }
        self.round_actions += 1;
        self.round_migrations += migration as usize;
        let mut stamp = stamp.clone();
        stamp.at_ms = self.clock.unix_ms();
        let seq = match self.journal.intent(planned.clone(), &stamp) {
            Ok(seq) => seq,
            Err(e) => return StepOutcome::Skipped(e.to_string()),
        };
        if self.opts.crash_after_intent {
            std::process::abort();
        }
        let mut exec = Executor {
            hv: &mut self.hv,
            config: &self.config,
            uuids: self.journal.uuids(),
            clock: &mut *self.clock,
            measured: None,
        };
        let result = exec.execute(&planned);
        let migration = exec.measured;
        let at_ms = exec.clock.unix_ms();
        let record = match &result {
            Ok(()) => Some(Record::Done {
                seq,
                migration,
                at_ms,
            }),
            // What a failed action left is settled at once, so the hosts stay consistent; if
            // that fails too, the intent stays open for the next start's reconciliation.
            Err(error) => {
                reconcile::settle(&mut exec, &planned)
                    .ok()
                    .map(|outcome| Record::Failed {
                        seq,
                        error: format!("{error} ({outcome})"),
                        at_ms,
                    })
            }
        };
        self.stale = true;
        if let Some(record) = record {
            if let Err(e) = self.journal.append(record) {
                return StepOutcome::Failed(e.to_string());
            }
        }
        match &planned {
            Planned::PowerOff { host, .. } if result.is_ok() => {
                self.powered_off.insert(host.clone());
            }
            Planned::PowerOn { host } if result.is_ok() => {
                self.powered_off.remove(host);
            }
            _ => {}
        }
        self.measured = migration;
        match result {
            Ok(()) => {
                self.record(&action);
                StepOutcome::Done
            }
            Err(e) => StepOutcome::Failed(e),
        }
    }

    /// Powers host `h` on (a journaled action of its own) and waits until it answers, at most
    /// the config's `power_on_timeout_s`.
    fn wake(&mut self, h: usize, stamp: &Stamp) -> Result<(), String> {
        let name = self.view.hosts[h].name.clone();
        self.say(&format!(
            "  power on {name} first: the next action needs it"
        ));
        let step = Step {
            decision: self.deciding.to_string(),
            reason: format!("{name} is needed by the next action"),
            action: Planned::PowerOn { host: name.clone() },
        };
        match self.run_step(&step, stamp) {
            StepOutcome::Done => {}
            StepOutcome::Skipped(e) | StepOutcome::Failed(e) => return Err(e),
        }
        self.count("power-on", "done");
        self.say(&format!("  done: power on {name}"));
        let limit = Duration::from_secs_f64(self.config.spec.power_on_timeout_s);
        let start = self.clock.now();
        loop {
            match self.hv.node(h) {
                Ok(_) => return Ok(()),
                Err(e) if self.clock.now() - start >= limit => {
                    return Err(format!(
                        "{name} was powered on but did not answer within {} s: {e}",
                        limit.as_secs_f64()
                    ))
                }
                Err(_) => self.clock.sleep(Duration::from_secs(1)),
            }
        }
    }

    /// Whether a signal asked the loop to stop.
    fn stopping(&self) -> bool {
        self.opts.stop.load(Ordering::SeqCst)
    }

    /// Waits `d`, or less if a signal asks the loop to stop.
    fn pause(&mut self, d: Duration) {
        let slice = Duration::from_millis(200);
        let end = self.clock.now() + d;
        while !self.stopping() {
            let now = self.clock.now();
            if now >= end {
                break;
            }
            self.clock.sleep(slice.min(end - now));
        }
    }

    /// Counts an action's outcome in the metrics.
    fn count(&self, kind: &str, outcome: &str) {
        if let Some(m) = &self.opts.metrics {
            m.action(kind, outcome);
        }
    }

    /// Whether VM `vm` bursts when no home host has room: the config has a `[burst]` section
    /// that maps its template to an instance type.
    fn bursts(&self, vm: usize) -> bool {
        let template = &self.view.vm_types[self.view.vms[vm].vm_type].name;
        self.config
            .spec
            .burst
            .as_ref()
            .is_some_and(|b| b.instance_types.contains_key(template))
    }

    /// The burst rule's round: VMs deferred this round burst, bursts whose VM runs at home
    /// or is no longer managed (or is stopped or failed) end (see [`burst`]).
    fn burst_round(&mut self) {
        let deferred = std::mem::take(&mut self.deferred);
        let Some(mut b) = self.bursting.take() else {
            if let (Some(section), false) = (&self.config.spec.burst, deferred.is_empty()) {
                let vms: Vec<&str> = deferred.iter().map(String::as_str).collect();
                let line = format!(
                    "burst to {} (dry run, or bursting is off): {}",
                    section.cloud,
                    vms.join(", ")
                );
                self.say(&line);
            }
            return;
        };
        if self.stale {
            self.observe();
        }
        let at_home: BTreeSet<String> = self
            .view
            .vms
            .iter()
            .filter(|v| v.host.is_some())
            .map(|v| v.name.clone())
            .collect();
        // The VMs the loop manages now (the config's and its services'), but those stopped
        // or failed.
        let wanted: BTreeMap<String, String> = self
            .view
            .vms
            .iter()
            .filter(|v| !matches!(v.state, VmState::Stopped | VmState::Failed))
            .map(|v| (v.name.clone(), self.view.vm_types[v.vm_type].name.clone()))
            .collect();
        let home = Home {
            deferred: &deferred,
            at_home: &at_home,
            wanted: &wanted,
        };
        let lines = b.round(self.clock.unix_ms(), home, &mut self.journal);
        self.bursting = Some(b);
        for l in lines {
            self.say(&l);
        }
    }

    /// Ends a round: the burst rule's round, then its figures to the metrics.
    fn end_round(&mut self) {
        self.burst_round();
        let Some(m) = &self.opts.metrics else {
            return;
        };
        let v = &self.view;
        let mut r = RoundMetrics {
            unreachable: self.unreachable.clone(),
            duration: self.clock.now().saturating_sub(self.round_started),
            ended_unix_s: self.clock.unix_ms() as f64 / 1000.0,
            ..RoundMetrics::default()
        };
        for h in 0..v.hosts.len() {
            match self.power_word(h) {
                "maintenance" => r.hosts_maintenance += 1,
                "off" => r.hosts_off += 1,
                "failed" => r.hosts_failed += 1,
                _ => r.hosts_on += 1,
            }
        }
        for vm in &v.vms {
            match vm.state {
                VmState::Pending => r.vms_pending += 1,
                VmState::Suspended => r.vms_suspended += 1,
                VmState::Stopped => r.vms_stopped += 1,
                VmState::Failed => r.vms_failed += 1,
                _ => r.vms_running += 1,
            }
        }
        m.round(&r);
    }

    /// Writes the plan file a dry run was asked for, with the steps planned.
    fn write_plan(&mut self) -> Result<(), InfraError> {
        let Some(path) = self.opts.plan_out.clone() else {
            return Ok(());
        };
        let plan = PlanFile {
            format: plan::FORMAT.into(),
            id: uuid::Uuid::new_v4().to_string(),
            config_name: self.config.name.clone(),
            config: std::path::absolute(self.config.source.path())
                .unwrap_or_else(|_| self.config.source.path().to_path_buf()),
            created_ms: self.clock.unix_ms(),
            observed: self.observed.clone().unwrap_or_default(),
            steps: std::mem::take(&mut self.steps),
            notes: std::mem::take(&mut self.notes),
        };
        plan.write(&path)
            .map_err(|e| InfraError::Backend(e.to_string()))?;
        self.say(&format!(
            "plan {} ({} actions) written to {}: review it, then `orrery live apply {}`",
            plan.id,
            plan.steps.len(),
            path.display(),
            path.display()
        ));
        Ok(())
    }

    /// Applies plan file `plan` exactly: once (the journal records it), unless cancelled, each
    /// step after checking its preconditions on the cluster as it is now; the steps whose
    /// preconditions no longer hold are skipped and reported. Needs `apply`.
    pub fn apply_plan(&mut self, plan: &PlanFile) -> Result<ApplyReport, JournalError> {
        let fail = |message: String| JournalError {
            path: self.config.journal_path(),
            message,
        };
        if !self.opts.apply {
            return Err(fail("a plan is applied only with apply".into()));
        }
        if plan.config_name != self.config.name {
            return Err(fail(format!(
                "plan {} was made for config `{}`, not `{}`",
                plan.id, plan.config_name, self.config.name
            )));
        }
        if let Some(status) = self.journal.plan_status(&plan.id) {
            return Err(fail(format!(
                "plan {} was already {status}: a plan is applied at most once (make a new one \
                 with `orrery live plan`)",
                plan.id
            )));
        }
        let at_ms = self.clock.unix_ms();
        let journal_path = self.config.journal_path();
        if requests::cancelled(&requests::read(&journal_path)?, &plan.id) {
            self.journal.numbered(|seq| Record::PlanCancelled {
                seq,
                plan: plan.id.clone(),
                at_ms,
            })?;
            return Err(fail(format!("plan {} was cancelled", plan.id)));
        }
        self.journal.numbered(|seq| Record::PlanApplied {
            seq,
            plan: plan.id.clone(),
            at_ms,
        })?;
        self.rounds += 1;
        self.round_started = self.clock.now();
        self.unreachable = self.observe();
        self.print_cluster();
        self.say(&format!(
            "applying plan {} ({} actions)",
            plan.id,
            plan.steps.len()
        ));
        let mut report = ApplyReport::default();
        let mut cancelled = false;
        for step in &plan.steps {
            let text = step.action.to_string();
            if !cancelled && requests::cancelled(&requests::read(&journal_path)?, &plan.id) {
                cancelled = true;
                let at_ms = self.clock.unix_ms();
                self.journal.numbered(|seq| Record::PlanCancelled {
                    seq,
                    plan: plan.id.clone(),
                    at_ms,
                })?;
                self.say("  the plan was cancelled: no further action begins");
            }
            if self.stale {
                self.observe();
            }
            self.deciding = "plan";
            let stamp = Stamp {
                at_ms: 0,
                actor: Actor::Operator,
                reason: step.reason.clone(),
                plan: Some(plan.id.clone()),
            };
            let outcome = if cancelled {
                StepOutcome::Skipped("the plan was cancelled".into())
            } else {
                self.run_step(step, &stamp)
            };
            self.count(step.action.kind(), outcome.word());
            match &outcome {
                StepOutcome::Done => {
                    report.done += 1;
                    let measured = self.measured_text();
                    self.say(&format!("  done: {text}{measured}"));
                }
                StepOutcome::Failed(e) => {
                    report.failed += 1;
                    self.say(&format!("  failed: {text}: {e}"));
                }
                StepOutcome::Skipped(why) => {
                    report.skipped += 1;
                    self.say(&format!("  skipped: {text}: {why}"));
                    let at_ms = self.clock.unix_ms();
                    self.journal.numbered(|seq| Record::Skipped {
                        seq,
                        action: step.action.clone(),
                        at_ms,
                        actor: Actor::Operator,
                        plan: Some(plan.id.clone()),
                        why: why.clone(),
                    })?;
                }
            }
        }
        if self.stale {
            self.observe();
            self.say("after the plan:");
            self.print_cluster();
        }
        self.end_round();
        Ok(report)
    }

    /// What the last step, a live migration, measured, as printed after `done:`.
    fn measured_text(&mut self) -> String {
        self.measured
            .take()
            .map_or(String::new(), |m| format!(" ({m})"))
    }

    /// Keeps `line` for the plan file's notes (when one is written).
    fn note(&mut self, line: String) {
        if self.opts.plan_out.is_some() {
            self.notes.push(line);
        }
    }

    /// One action of a policy's plan in the loop: planned as a step, then (with `apply`)
    /// carried out as a plan file's step is; a dry run shows it in the view instead.
    fn loop_step(&mut self, action: &Action) -> StepOutcome {
        match action {
            Action::ScaleRole {
                service,
                role,
                cardinality,
                cooldown_s,
            } => return self.scale_role(*service, *role, *cardinality, *cooldown_s),
            Action::Reject { vm, reason } => {
                let Some(name) = self.view.vms.get(*vm).map(|x| x.name.clone()) else {
                    return StepOutcome::Skipped("no such VM".into());
                };
                let why = if self.config.role_of(&name).is_some() {
                    Some("a role's VM is offered again")
                } else if self.bursts(*vm) {
                    Some("it bursts to the cloud, and is offered again")
                } else {
                    None
                };
                if let Some(why) = why {
                    // A role keeps its cardinality, and a site that bursts keeps its VMs: the
                    // VM waits for room, as a deferral.
                    self.note(format!("defer {name}: {reason} ({why})"));
                    return if self.opts.apply {
                        StepOutcome::Done
                    } else {
                        StepOutcome::Skipped("dry run: not applied".into())
                    };
                }
                self.note(format!("reject {name}: {reason}"));
                if self.opts.apply {
                    self.rejected.insert(name);
                    self.view.vms[*vm].state = VmState::Failed;
                    return StepOutcome::Done;
                }
                return StepOutcome::Skipped("dry run: not applied".into());
            }
            Action::Defer { vm, reason } => {
                let name = self.view.vms.get(*vm).map_or("?", |x| x.name.as_str());
                self.note(format!("defer {name}: {reason}"));
                // Nothing to carry out: the VM stays pending.
                return if self.opts.apply {
                    StepOutcome::Done
                } else {
                    StepOutcome::Skipped("dry run: not applied".into())
                };
            }
            _ => {}
        }
        let step = match self.step_of(action) {
            Ok(step) => step,
            Err(e) => {
                self.note(format!("not planned: {}: {e}", self.render(action)));
                return StepOutcome::Skipped(e);
            }
        };
        if !self.opts.apply {
            // What the rest of the plan is decided and checked against.
            if let Some(h) = match *action {
                Action::Deploy { host, .. } | Action::Migrate { to: host, .. } => Some(host),
                _ => None,
            } {
                self.view.hosts[h].power = PowerState::On;
            }
            self.record(action);
            if self.opts.plan_out.is_some() {
                self.steps.push(step);
            }
            return StepOutcome::Skipped("dry run: not applied".into());
        }
        let stamp = Stamp {
            at_ms: 0,
            actor: Actor::Policy,
            reason: step.reason.clone(),
            plan: None,
        };
        self.run_step(&step, &stamp)
    }

    /// Sets a role's cardinality (journaled, so a restart keeps it): the next decision sees
    /// the VMs it lacks as pending, and the newest above it are shut down after this plan.
    fn scale_role(&mut self, service: usize, role: usize, to: u32, cooldown_s: u64) -> StepOutcome {
        let Some(r) = self
            .view
            .services
            .get(service)
            .and_then(|s| s.roles.get(role))
        else {
            return StepOutcome::Skipped("no such service role".into());
        };
        let (name, role_name, from) = (
            self.view.services[service].name.clone(),
            r.name.clone(),
            r.cardinality,
        );
        let cpu: Vec<f64> = r
            .vms
            .iter()
            .filter_map(|&v| self.view.vms[v].metrics.get("CPU").copied())
            .collect();
        let reason = if cpu.is_empty() {
            format!("elasticity rules of {name}/{role_name}")
        } else {
            format!(
                "elasticity rules of {name}/{role_name} (mean CPU {:.0} % over {} running VMs)",
                cpu.iter().sum::<f64>() / cpu.len() as f64,
                cpu.len()
            )
        };
        self.note(format!(
            "scale {name}/{role_name} from {from} to {to} VMs: {reason}"
        ));
        if !self.opts.apply {
            return StepOutcome::Skipped("dry run: not applied".into());
        }
        let at_ms = self.clock.unix_ms();
        if let Err(e) = self.journal.numbered(|seq| Record::Scaled {
            seq,
            service: name,
            role: role_name,
            from,
            to,
            cooldown_s,
            at_ms,
            reason,
        }) {
            return StepOutcome::Failed(e.to_string());
        }
        self.services
            .scale(service, role, to, cooldown_s, self.view.now);
        self.stale = true;
        StepOutcome::Done
    }

    /// The journaled form of `action` on the current view, or why it is refused here. With
    /// `wakeable`, a host orrery powered off counts as a destination (the step powers it on
    /// first).
    fn planned(&self, action: &Action, wakeable: bool) -> Result<Planned, String> {
        let v = &self.view;
        let up = |h: usize| match v.hosts.get(h) {
            Some(x) if self.maintenance.contains(&x.name) => {
                Err(format!("{} is in maintenance", x.name))
            }
            Some(x) if x.power == PowerState::On => Ok(()),
            Some(x) if wakeable && self.powered_off.contains(&x.name) => Ok(()),
            Some(_) => Err("host is not on".to_string()),
            None => Err("no such host".to_string()),
        };
        let vm_name = |vm: usize| v.vms.get(vm).map(|x| x.name.clone()).ok_or("no such VM");
        let host_name = |h: usize| v.hosts.get(h).map(|x| x.name.clone()).ok_or("no such host");
        let on_host = |vm: usize| {
            v.vms
                .get(vm)
                .and_then(|x| x.host)
                .ok_or("VM is not on a host")
        };
        let fits = |vm: usize, h: usize| {
            let need = v.hosts[h].reserved_memory_mb + v.vm_memory_mb(vm);
            if need > v.reservable_memory_mb(h) + 1e-9 {
                Err(format!("not enough memory on {}", v.hosts[h].name))
            } else {
                Ok(())
            }
        };
        Ok(match *action {
            Action::AdmitService { .. } | Action::RejectService { .. } => {
                return Err("live services are deployed as configured: no admission".into())
            }
            Action::ScaleRole { .. } => {
                return Err("a role is scaled by the loop, not as an action on a host".into())
            }
            Action::Deploy { vm, host } => {
                if v.vms.get(vm).map(|x| x.state) != Some(VmState::Pending) {
                    return Err("VM is not pending".into());
                }
                up(host)?;
                fits(vm, host)?;
                Planned::Deploy {
                    vm: vm_name(vm)?,
                    host: host_name(host)?,
                    template: v.vm_type(vm).name.clone(),
                    uuid: Some(uuid::Uuid::new_v4().to_string()),
                }
            }
            Action::Migrate { vm, to } => {
                let from = on_host(vm)?;
                if v.vms[vm].state != VmState::Running {
                    return Err(format!("VM is {:?}, not running", v.vms[vm].state));
                }
                if from == to {
                    return Err("VM is already on that host".into());
                }
                up(to).map_err(|e| e.replace("host is", "destination host is"))?;
                fits(vm, to)?;
                Planned::Migrate {
                    vm: vm_name(vm)?,
                    from: host_name(from)?,
                    to: host_name(to)?,
                }
            }
            Action::Suspend { vm } => Planned::Suspend {
                vm: vm_name(vm)?,
                host: host_name(on_host(vm)?)?,
            },
            Action::Resume { vm } => Planned::Resume {
                vm: vm_name(vm)?,
                host: host_name(on_host(vm)?)?,
            },
            Action::Shutdown { vm } => Planned::Shutdown {
                vm: vm_name(vm)?,
                host: host_name(on_host(vm)?)?,
            },
            Action::Resize {
                vm,
                vcpus,
                memory_mb,
            } => {
                let size = v.check_resize(vm, vcpus, memory_mb)?;
                Planned::Resize {
                    vm: vm_name(vm)?,
                    host: host_name(on_host(vm)?)?,
                    vcpus: size.vcpus,
                    memory_mb: size.memory_mb,
                }
            }
            Action::PowerOn { host } | Action::PowerOff { host } if self.in_maintenance(host) => {
                return Err(format!(
                    "{} is in maintenance: held as it is",
                    host_name(host)?
                ))
            }
            Action::PowerOn { host } => {
                if v.hosts.get(host).is_some_and(|h| h.power == PowerState::On) {
                    return Err("host is already on".into());
                }
                Planned::PowerOn {
                    host: host_name(host)?,
                }
            }
            Action::PowerOff { host } => {
                if v.hosts.get(host).is_some_and(|h| !h.vms.is_empty()) {
                    return Err("host still runs VMs".into());
                }
                Planned::PowerOff {
                    host: host_name(host)?,
                    node: self.memory.node(host),
                }
            }
            Action::Reject { .. } | Action::Defer { .. } => {
                return Err("not an action on a host".into())
            }
        })
    }

    /// Shows a completed action in the view, so the rest of the plan is checked against the
    /// cluster as it now is (the next decision observes the hosts afresh anyway).
    fn record(&mut self, action: &Action) {
        if let Action::Deploy { vm, .. } | Action::Migrate { vm, .. } = *action {
            if let Some(x) = self.view.vms.get(vm) {
                self.arrived_this_round.insert(x.name.clone());
                self.arrivals.insert(x.name.clone(), self.clock.unix_ms());
            }
        }
        let v = &mut self.view;
        match *action {
            Action::Deploy { vm, host } => {
                attach(v, vm, host);
                v.vms[vm].state = VmState::Running;
            }
            Action::Migrate { vm, to } => {
                detach(v, vm);
                attach(v, vm, to);
            }
            Action::Suspend { vm } => v.vms[vm].state = VmState::Suspended,
            Action::Resume { vm } => v.vms[vm].state = VmState::Running,
            Action::Shutdown { vm } => {
                detach(v, vm);
                v.vms[vm].state = VmState::Stopped;
            }
            Action::Resize {
                vm,
                vcpus,
                memory_mb,
            } => {
                if let Ok(size) = v.check_resize(vm, vcpus, memory_mb) {
                    v.set_size(vm, size);
                }
            }
            Action::PowerOn { host } => v.hosts[host].power = PowerState::On,
            Action::PowerOff { host } => v.hosts[host].power = PowerState::Off,
            Action::Reject { .. }
            | Action::Defer { .. }
            | Action::AdmitService { .. }
            | Action::RejectService { .. }
            | Action::ScaleRole { .. } => {}
        }
    }

    /// Carries out one action of a plan the loop made: prints and counts its outcome.
    fn carry_out(&mut self, a: &Action) -> ActionResult {
        let rendered = self.render(a);
        let outcome = self.loop_step(a);
        if let Some(kind) = kind_of(a) {
            if self.opts.apply {
                let word = match &outcome {
                    // In the loop a step whose precondition fails is the policy's plan
                    // refused, not a reviewed plan's step skipped.
                    StepOutcome::Skipped(_) => "refused",
                    o => o.word(),
                };
                self.count(kind, word);
            }
        }
        match &outcome {
            StepOutcome::Done if self.opts.apply => {
                let measured = self.measured_text();
                self.say(&format!("  done: {rendered}{measured}"))
            }
            StepOutcome::Done => {}
            StepOutcome::Skipped(e) | StepOutcome::Failed(e) if self.opts.apply => {
                self.say(&format!("  refused: {rendered}: {e}"))
            }
            StepOutcome::Skipped(e) | StepOutcome::Failed(e) => {
                if !e.starts_with("dry run") {
                    self.say(&format!("  not planned: {rendered}: {e}"));
                }
            }
        }
        match outcome {
            StepOutcome::Done => Ok(()),
            StepOutcome::Skipped(e) | StepOutcome::Failed(e) => Err(e),
        }
    }

    /// How an action reads in the log: with names, not ids.
    fn render(&self, action: &Action) -> String {
        let v = &self.view;
        let vm = |i: usize| v.vms.get(i).map_or("?", |x| x.name.as_str());
        let host = |i: usize| v.hosts.get(i).map_or("?", |x| x.name.as_str());
        let at = |i: usize| v.vms.get(i).and_then(|x| x.host).map_or("?", host);
        match action {
            Action::Reject { vm: i, reason } => format!("reject {} ({reason})", vm(*i)),
            Action::Defer { vm: i, reason } => format!("defer {} ({reason})", vm(*i)),
            Action::Deploy { vm: i, host: h } => format!("deploy {} on {}", vm(*i), host(*h)),
            Action::Migrate { vm: i, to } => {
                format!("migrate {} from {} to {}", vm(*i), at(*i), host(*to))
            }
            Action::Suspend { vm: i } => format!("suspend {} on {}", vm(*i), at(*i)),
            Action::Resume { vm: i } => format!("resume {} on {}", vm(*i), at(*i)),
            Action::Shutdown { vm: i } => format!("shut down {} on {}", vm(*i), at(*i)),
            Action::Resize {
                vm: i,
                vcpus,
                memory_mb,
            } => {
                let mut s = format!("resize {} on {} to", vm(*i), at(*i));
                if let Some(n) = vcpus {
                    s += &format!(" {n} vCPUs");
                }
                if let Some(m) = memory_mb {
                    s += &format!(" {m} MB");
                }
                s
            }
            Action::PowerOn { host: h } => format!("power on {}", host(*h)),
            Action::PowerOff { host: h } => format!("power off {}", host(*h)),
            Action::ScaleRole {
                service,
                role,
                cardinality,
                ..
            } => match v.services.get(*service) {
                Some(svc) => format!(
                    "scale {}/{} to {cardinality} VMs",
                    svc.name,
                    svc.roles.get(*role).map_or("?", |r| r.name.as_str())
                ),
                None => action.to_string(),
            },
            Action::AdmitService { .. } | Action::RejectService { .. } => action.to_string(),
        }
    }
}

impl<H: Hypervisor> Infrastructure for Live<H> {
    fn view(&self) -> &ClusterView {
        &self.view
    }

    fn next_decision(&mut self) -> Result<Option<Decision>, InfraError> {
        loop {
            if let Some((d, deciding)) = self.decisions.pop_front() {
                if self.stopping() {
                    self.decisions.clear();
                    continue;
                }
                if self.stale {
                    self.observe();
                }
                self.deciding = deciding;
                let d = match (d, deciding) {
                    (_, "placement") => {
                        let pending = self.pending();
                        if pending.is_empty() {
                            continue;
                        }
                        Decision::Place(pending)
                    }
                    (_, "drain") => {
                        let vms = self.begin_drain();
                        if vms.is_empty() {
                            self.drained_from = None;
                            continue;
                        }
                        Decision::Place(vms)
                    }
                    (d, _) => d,
                };
                return Ok(Some(d));
            }
            if self.rounds > 0 {
                self.end_round();
                let last = self.opts.rounds.is_some_and(|n| self.rounds >= n);
                if last || self.stopping() {
                    if self.stopping() {
                        self.say("stopping on a signal: the action in flight was finished");
                    }
                    if self.stale && self.opts.apply {
                        self.observe();
                        self.say("after the last round:");
                        self.print_cluster();
                    }
                    self.write_plan()?;
                    return Ok(None);
                }
                self.pause(self.interval());
                if self.stopping() {
                    continue;
                }
            }
            self.start_round();
        }
    }

    fn apply(&mut self, plan: Vec<Action>) -> Vec<ActionResult> {
        // A drain decided on a view with the drained VMs pending: the observed view comes
        // back, and each deploy is a move off the host in maintenance.
        let plan: Vec<Action> = match self.drained_from.take() {
            Some(view) => {
                self.view = view;
                plan.into_iter()
                    .map(|a| match a {
                        Action::Deploy { vm, host } => Action::Migrate { vm, to: host },
                        other => other,
                    })
                    .collect()
            }
            None => plan,
        };
        let mode = if self.opts.apply { "" } else { ", dry run" };
        // Elasticity decides every round: only a plan that does something is worth a line.
        if !(plan.is_empty() && self.deciding == "elasticity") {
            let mut lines = vec![format!(
                "{} plan ({} actions{mode}):",
                self.deciding,
                plan.len()
            )];
            lines.extend(plan.iter().map(|a| format!("  {}", self.render(a))));
            for l in lines {
                self.say(&l);
            }
        }
        if self.deciding == "placement" {
            for a in &plan {
                if let Action::Defer { vm, .. } | Action::Reject { vm, .. } = a {
                    if let Some(v) = self.view.vms.get(*vm) {
                        self.deferred.insert(v.name.clone());
                    }
                }
            }
        }
        let mut results: Vec<ActionResult> = plan.iter().map(|a| self.carry_out(a)).collect();
        // A role scaled in sheds its newest VMs (and any a failed shutdown left).
        if self.deciding == "elasticity" && self.opts.apply {
            let surplus = self.services.surplus(&self.view);
            if !surplus.is_empty() {
                self.say(&format!("scale-in ({} shutdowns):", surplus.len()));
            }
            for vm in surplus {
                let shutdown = Action::Shutdown { vm };
                self.say(&format!("  {}", self.render(&shutdown)));
                results.push(self.carry_out(&shutdown));
            }
            results.truncate(plan.len());
        }
        results
    }
}

/// The kind of `action` for the metrics, when it acts on a host or scales a role (`None`: a
/// rejection, a deferral or an admission).
fn kind_of(action: &Action) -> Option<&'static str> {
    match action {
        Action::Reject { .. }
        | Action::Defer { .. }
        | Action::AdmitService { .. }
        | Action::RejectService { .. } => None,
        counted => Some(counted.kind()),
    }
}

impl StepOutcome {
    /// The outcome in one word, as counted: `done`, `skipped` or `failed`.
    pub fn word(&self) -> &'static str {
        match self {
            StepOutcome::Done => "done",
            StepOutcome::Skipped(_) => "skipped",
            StepOutcome::Failed(_) => "failed",
        }
    }
}

/// Takes VM `vm` off its host in `v` (its reservations with it).
fn detach(v: &mut ClusterView, vm: usize) {
    if let Some(h) = v.vms[vm].host.take() {
        let (mips, mb) = (v.vm_mips(vm), v.vm_memory_mb(vm));
        let host = &mut v.hosts[h];
        host.vms.retain(|&x| x != vm);
        host.reserved_mips -= mips;
        host.reserved_memory_mb -= mb;
    }
}

/// Puts VM `vm` on host `h` in `v` (its reservations with it).
fn attach(v: &mut ClusterView, vm: usize, h: usize) {
    let (mips, mb) = (v.vm_mips(vm), v.vm_memory_mb(vm));
    v.vms[vm].host = Some(h);
    let host = &mut v.hosts[h];
    host.vms.push(vm);
    host.reserved_mips += mips;
    host.reserved_memory_mb += mb;
}
