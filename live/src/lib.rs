//! Live mode: the same [`Infrastructure`] the simulator implements, over real hosts through
//! libvirt. Each round observes every host (node resources, orrery's domains, CPU-time deltas),
//! hands the view to the same policies, prints the plan, and, with `apply`, carries it out
//! through a write-ahead journal, within per-interval limits. orrery manages only domains that
//! carry its metadata tag (those it defined, or that an operator tagged); it never touches
//! others. At start-up, actions a crash interrupted are reconciled with what the hosts report.
//! docs/live.md describes the config file and how to run it against a real cluster.

pub mod apply;
pub mod clock;
pub mod config;
pub mod connection;
pub mod hypervisor;
pub mod journal;
pub mod observe;
pub mod owner;
pub mod reconcile;
pub mod redact;
pub mod retry;

use std::collections::{BTreeSet, VecDeque};
use std::io::Write;
use std::time::Duration;

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::infra::{Decision, InfraError, Infrastructure};
use orrery_engine::model::{PowerState, VmState, VmType};
use orrery_engine::policy::PolicyConfig;
use orrery_engine::view::ClusterView;

use apply::Executor;
use clock::Clock;
use config::LiveConfig;
use hypervisor::{Calls, Hypervisor};
use journal::{Journal, JournalError, Planned, Record};
use observe::{observe, Context, Memory};
use reconcile::describe;
use redact::Redactor;

pub use connection::Libvirt;

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Carry plans out (without it, plans are only printed: a dry run).
    pub apply: bool,
    /// Stop after this many rounds (`--once` is 1; `None` runs until stopped).
    pub rounds: Option<u64>,
    /// Time between rounds (`None`: the config's `interval_s`).
    pub interval: Option<Duration>,
    /// Abort the process right after the first intent is journaled (crash tests only).
    pub crash_after_intent: bool,
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
    decisions: VecDeque<Decision>,
    rounds: u64,
    stale: bool,
    last_realloc: Option<Duration>,
    round_actions: usize,
    round_migrations: usize,
    /// What the plan being applied decides: placement or reallocation.
    deciding: &'static str,
    /// Hides the hosts' credentials in every line printed.
    redactor: Redactor,
    /// What the last action, a live migration, measured.
    measured: Option<hypervisor::MigrationFacts>,
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
        let redactor = Redactor::new(&config.uris());
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
        let mut live = Live {
            redactor,
            measured: None,
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
            deciding: "",
        };
        let lines = if live.opts.apply {
            reconcile::reconcile(
                &mut live.hv,
                &live.config,
                &mut *live.clock,
                &mut live.journal,
            )?
        } else {
            live.journal
                .open_intents()
                .iter()
                .map(|(seq, a)| {
                    format!(
                        "interrupted #{seq} ({}): reconciled on the next run with --apply",
                        describe(a)
                    )
                })
                .collect()
        };
        for line in lines {
            live.say(&line);
        }
        Ok(live)
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
        self.free_mb = o.free_mb;
        self.stale = false;
        for w in o.warnings {
            self.say(&format!("warning: {w}"));
        }
        // A tagged domain seen for the first time is that VM from now on (a dry run only
        // reads the journal: it adopts nothing).
        if self.opts.apply {
            for (vm, uuid) in o.adopted {
                if let Err(e) = self.journal.adopt(&vm, &uuid) {
                    self.say(&format!("warning: {e}"));
                }
            }
        }
        o.unreachable
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
                format!("{:?}", host.power),
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
        for l in lines {
            self.say(&l);
        }
    }

    /// Starts a round: observes, prints, and queues the decisions due.
    fn start_round(&mut self) {
        self.rounds += 1;
        self.round_actions = 0;
        self.round_migrations = 0;
        let unreachable = self.observe();
        self.print_cluster();
        let pending: Vec<usize> = (0..self.view.vms.len())
            .filter(|&v| self.view.vms[v].state == VmState::Pending)
            .collect();
        if !pending.is_empty() {
            if unreachable.is_empty() {
                self.decisions.push_back(Decision::Place(pending));
            } else {
                // A VM not seen anywhere may run on a host that does not answer.
                self.say(&format!(
                    "holding {} pending VMs: {} did not answer",
                    pending.len(),
                    unreachable.join(", ")
                ));
            }
        }
        let p = &self.config.spec.policies;
        if p.reallocation != "none" {
            let now = self.clock.now();
            let every = Duration::from_secs_f64(p.reallocation_interval_s);
            if self.last_realloc.is_none_or(|t| now - t >= every) {
                self.last_realloc = Some(now);
                self.decisions.push_back(Decision::Reallocate);
            }
        }
    }

    /// The journaled form of `action` on the current view, or why it is refused here.
    fn planned(&self, action: &Action) -> Result<Planned, String> {
        let v = &self.view;
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
            Action::AdmitService { .. }
            | Action::RejectService { .. }
            | Action::ScaleRole { .. } => {
                return Err("services are not managed in live mode (simulation only)".into())
            }
            Action::Deploy { vm, host } => {
                if v.vms.get(vm).map(|x| x.state) != Some(VmState::Pending) {
                    return Err("VM is not pending".into());
                }
                if v.hosts.get(host).map(|h| h.power) != Some(PowerState::On) {
                    return Err("host is not on".into());
                }
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
                if v.hosts.get(to).map(|h| h.power) != Some(PowerState::On) {
                    return Err("destination host is not on".into());
                }
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
            Action::PowerOn { host } => Planned::PowerOn {
                host: host_name(host)?,
            },
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

    /// Carries out one action (after the plan was printed).
    fn execute(&mut self, action: &Action) -> ActionResult {
        match action {
            Action::Reject { vm, .. } => {
                let name = self.view.vms.get(*vm).ok_or("no such VM")?.name.clone();
                if self.opts.apply {
                    self.rejected.insert(name);
                    self.view.vms[*vm].state = VmState::Failed;
                }
                return self.dry_run();
            }
            Action::Defer { .. } => return self.dry_run(),
            _ => {}
        }
        // As in simulation, a VM sent to a host orrery powered off wakes it first.
        let target = match *action {
            Action::Deploy { host, .. } => Some(host),
            Action::Migrate { to, .. } => Some(to),
            _ => None,
        };
        if self.opts.apply
            && target
                .is_some_and(|h| self.view.hosts.get(h).map(|x| x.power) == Some(PowerState::Off))
        {
            self.wake(target.expect("checked above"))?;
        }
        let planned = self.planned(action)?;
        self.dry_run()?;
        let limits = &self.config.spec.limits;
        if limits.max_actions > 0 && self.round_actions >= limits.max_actions {
            return Err(format!(
                "over the limit of {} actions per interval",
                limits.max_actions
            ));
        }
        let migration = matches!(action, Action::Migrate { .. });
        if migration && limits.max_migrations > 0 && self.round_migrations >= limits.max_migrations
        {
            return Err(format!(
                "over the limit of {} migrations per interval",
                limits.max_migrations
            ));
        }
        self.round_actions += 1;
        self.round_migrations += migration as usize;
        let seq = self
            .journal
            .intent(planned.clone())
            .map_err(|e| e.to_string())?;
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
        self.stale = true;
        let record = match &result {
            Ok(()) => Some(Record::Done { seq, migration }),
            // What a failed action left is settled at once, so the hosts stay consistent; if
            // that fails too, the intent stays open for the next start's reconciliation.
            Err(error) => {
                reconcile::settle(&mut exec, &planned)
                    .ok()
                    .map(|outcome| Record::Failed {
                        seq,
                        error: format!("{error} ({outcome})"),
                    })
            }
        };
        if let Some(record) = record {
            self.journal.append(record).map_err(|e| e.to_string())?;
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
        if result.is_ok() {
            self.record(action);
        }
        self.measured = migration;
        result
    }

    /// Powers host `h` on (a journaled action of its own) and waits until it answers, at most
    /// the config's `power_on_timeout_s`.
    fn wake(&mut self, h: usize) -> ActionResult {
        let name = self.view.hosts[h].name.clone();
        self.say(&format!(
            "  power on {name} first: the next action needs it"
        ));
        self.execute(&Action::PowerOn { host: h })?;
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

    /// Shows a completed action in the view, so the rest of the plan is checked against the
    /// cluster as it now is (the next decision observes the hosts afresh anyway).
    fn record(&mut self, action: &Action) {
        let v = &mut self.view;
        let detach = |v: &mut ClusterView, vm: usize| {
            if let Some(h) = v.vms[vm].host.take() {
                let (mips, mb) = (v.vm_mips(vm), v.vm_memory_mb(vm));
                let host = &mut v.hosts[h];
                host.vms.retain(|&x| x != vm);
                host.reserved_mips -= mips;
                host.reserved_memory_mb -= mb;
            }
        };
        let attach = |v: &mut ClusterView, vm: usize, h: usize| {
            let (mips, mb) = (v.vm_mips(vm), v.vm_memory_mb(vm));
            v.vms[vm].host = Some(h);
            let host = &mut v.hosts[h];
            host.vms.push(vm);
            host.reserved_mips += mips;
            host.reserved_memory_mb += mb;
        };
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

    fn dry_run(&self) -> ActionResult {
        if self.opts.apply {
            Ok(())
        } else {
            Err("dry run: not applied".into())
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
            Action::AdmitService { .. }
            | Action::RejectService { .. }
            | Action::ScaleRole { .. } => action.to_string(),
        }
    }
}

impl<H: Hypervisor> Infrastructure for Live<H> {
    fn view(&self) -> &ClusterView {
        &self.view
    }

    fn next_decision(&mut self) -> Result<Option<Decision>, InfraError> {
        loop {
            if let Some(d) = self.decisions.pop_front() {
                if self.stale {
                    self.observe();
                }
                self.deciding = match d {
                    Decision::Place(_) => "placement",
                    Decision::Reallocate => "reallocation",
                    Decision::Admit(_) => "admission",
                    Decision::Scale => "elasticity",
                };
                return Ok(Some(d));
            }
            if self.rounds > 0 {
                if self.opts.rounds.is_some_and(|n| self.rounds >= n) {
                    if self.stale {
                        self.observe();
                        self.say("after the last round:");
                        self.print_cluster();
                    }
                    return Ok(None);
                }
                self.clock.sleep(self.interval());
            }
            self.start_round();
        }
    }

    fn apply(&mut self, plan: Vec<Action>) -> Vec<ActionResult> {
        let mode = if self.opts.apply { "" } else { ", dry run" };
        let mut lines = vec![format!(
            "{} plan ({} actions{mode}):",
            self.deciding,
            plan.len()
        )];
        lines.extend(plan.iter().map(|a| format!("  {}", self.render(a))));
        for l in lines {
            self.say(&l);
        }
        let mut results = Vec::with_capacity(plan.len());
        for a in &plan {
            let rendered = self.render(a);
            let r = self.execute(a);
            match &r {
                Ok(()) if self.opts.apply => {
                    let measured = self.measured.take().map_or(String::new(), |m| {
                        format!(
                            " ({:.1} s, downtime {} ms, {:.1} MiB in {} rounds)",
                            m.elapsed_ms as f64 / 1000.0,
                            m.downtime_ms,
                            m.data_bytes as f64 / 1_048_576.0,
                            m.rounds
                        )
                    });
                    self.say(&format!("  done: {rendered}{measured}"))
                }
                Ok(()) => {}
                Err(e) if self.opts.apply => self.say(&format!("  refused: {rendered}: {e}")),
                Err(_) => {}
            }
            results.push(r);
        }
        results
    }
}
