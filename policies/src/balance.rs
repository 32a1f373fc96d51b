//! The balance reallocations of the cloud OS's policy families (Moreno-Vozmediano et al. 2012,
//! Table 1): workload balance, CPU balance and thermal balance.
//!
//! Each moves VMs one at a time on a tentative copy of the allocation, honouring every
//! constraint, within the governor's budget and cooldown, and with hysteresis between its
//! trigger and its target: a policy acts only above its trigger, moves VMs until the host is at
//! or below its target, and never makes a destination exceed the target. Only running VMs move,
//! and only to hosts that are on.

use std::collections::BTreeSet;

use orrery_engine::action::Action;
use orrery_engine::model::{PowerState, VmState};
use orrery_engine::policy::Reallocation;
use orrery_engine::rng::Rng;
use orrery_engine::scenario::BalanceSection;
use orrery_engine::view::{ClusterView, HostId, VmId};

use crate::constraints::{Constraints, Requirements};
use crate::governor::Governor;

/// Which balance criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceKind {
    /// Even out host load: act while max − min requested utilisation exceeds the spread trigger.
    Workload,
    /// Relieve CPU saturation: move VMs off hosts above the CPU trigger to less-loaded hosts.
    Cpu,
    /// Relieve overheating: move VMs off hosts above the temperature trigger to cooler hosts.
    Thermal,
}

/// A balance reallocation policy.
#[derive(Debug, Clone)]
pub struct Balance {
    /// The criterion.
    pub kind: BalanceKind,
    /// Triggers and targets (`[policies.balance]`).
    pub params: BalanceSection,
    /// Requirement expressions every move honours.
    pub requirements: Requirements,
    /// Budget and cooldown.
    pub governor: Governor,
    /// Workload balance: the spread trigger fired and the target is not reached yet.
    engaged: bool,
}

impl Balance {
    /// A balance policy of `kind`.
    pub fn new(
        kind: BalanceKind,
        params: BalanceSection,
        requirements: Requirements,
        governor: Governor,
    ) -> Self {
        Balance {
            kind,
            params,
            requirements,
            governor,
            engaged: false,
        }
    }
}

/// The tentative allocation a balance round plans on.
struct Tentative<'a> {
    view: &'a ClusterView,
    /// Requested MIPS per host (VMs migrating in count in full: they will run there).
    load: Vec<f64>,
    /// Memory reserved per host, in MB.
    memory: Vec<f64>,
    /// Nominal MIPS reserved per host.
    reserved: Vec<f64>,
    /// VMs a round may move, per host.
    movable: Vec<Vec<VmId>>,
    constraints: Constraints<'a>,
    moves: Vec<(VmId, HostId)>,
    /// Every host type's power curve is valid, hence never decreases with utilisation.
    power_never_decreases: bool,
}

impl<'a> Tentative<'a> {
    fn new(view: &'a ClusterView, requirements: &'a Requirements, governor: &Governor) -> Self {
        let n = view.hosts.len();
        let mut load = vec![0.0; n];
        let mut movable = vec![Vec::new(); n];
        for (h, host) in view.hosts.iter().enumerate() {
            for &v in &host.vms {
                let vm = &view.vms[v];
                if vm.in_migration && !host.incoming.contains(&v) {
                    continue; // counted on its destination
                }
                load[h] += view.requested_mips(v);
                if vm.state == VmState::Running && !vm.in_migration && governor.may_move(v) {
                    movable[h].push(v);
                }
            }
        }
        Tentative {
            view,
            load,
            memory: view.hosts.iter().map(|h| h.reserved_memory_mb).collect(),
            reserved: view.hosts.iter().map(|h| h.reserved_mips).collect(),
            movable,
            constraints: Constraints::new(view, requirements),
            moves: Vec::new(),
            power_never_decreases: view.host_types.iter().all(|ty| ty.power.validate().is_ok()),
        }
    }

    fn util(&self, h: HostId) -> f64 {
        self.load[h] / self.view.capacity_mips(h)
    }

    fn up(&self, h: HostId) -> bool {
        self.view.hosts[h].power == PowerState::On
    }

    /// Whether VM `v` may go to host `h`: it is on, the VM's reservations fit (as placement
    /// requires) and its constraints allow it.
    fn allowed(&self, v: VmId, h: HostId) -> bool {
        let view = self.view;
        self.up(h)
            && view.vms[v].host != Some(h)
            && self.memory[h] + view.vm_memory_mb(v) <= view.reservable_memory_mb(h) + 1e-9
            && self.reserved[h] + view.vm_mips(v) <= view.reservable_mips(h) + 1e-9
            && view.vm_type(v).mips <= view.host_type(h).core_mips
            && (self.constraints.trivial(v) || self.constraints.check(h, v).is_ok())
    }

    fn apply(&mut self, v: VmId, from: HostId, to: HostId) {
        let d = self.view.requested_mips(v);
        let m = self.view.vm_memory_mb(v);
        self.load[from] -= d;
        self.load[to] += d;
        let r = self.view.vm_mips(v);
        self.memory[from] -= m;
        self.memory[to] += m;
        self.reserved[from] -= r;
        self.reserved[to] += r;
        self.movable[from].retain(|&x| x != v);
        self.constraints.unplace(v, from);
        self.constraints.place(v, to);
        self.moves.push((v, to));
    }
}

/// Sort key of a finite metric (utilisation or °C + 273.15, both non-negative).
fn key(x: f64) -> u64 {
    x.max(0.0).to_bits()
}

impl Balance {
    fn metric(&self, t: &Tentative, h: HostId, u: f64) -> f64 {
        match self.kind {
            BalanceKind::Thermal => t.view.steady_temperature_c(h, u) + 273.15,
            _ => u,
        }
    }

    fn trigger_and_target(&self) -> (f64, f64) {
        let p = &self.params;
        match self.kind {
            BalanceKind::Workload => (p.spread, p.spread_target),
            BalanceKind::Cpu => (p.cpu, p.cpu_target),
            BalanceKind::Thermal => (p.temperature_c + 273.15, p.temperature_target_c + 273.15),
        }
    }

    /// Hosts that are on, keyed by their metric (lowest first).
    fn order(&self, t: &Tentative) -> BTreeSet<(u64, HostId)> {
        (0..t.view.hosts.len())
            .filter(|&h| t.up(h))
            .map(|h| (key(self.metric(t, h, t.util(h))), h))
            .collect()
    }

    /// The best destination for VM `v` off `from`: the lowest-metric allowed host whose metric
    /// after the move stays at or below `limit`.
    ///
    /// A host's metric only grows when it takes a VM (utilisation, and temperature through a
    /// power curve that never decreases — checked, since the walk relies on it), so the walk
    /// stops at the first host whose metric is already past `limit` (by more than rounding),
    /// instead of visiting every host when no host can take the VM.
    fn destination(
        &self,
        t: &Tentative,
        order: &BTreeSet<(u64, HostId)>,
        v: VmId,
        limit: f64,
    ) -> Option<HostId> {
        let d = t.view.requested_mips(v);
        let stop = if self.kind != BalanceKind::Thermal || t.power_never_decreases {
            (key(limit + 1e-9 * limit.abs()), HostId::MAX)
        } else {
            (u64::MAX, HostId::MAX)
        };
        order
            .range(..=stop)
            .map(|&(_, h)| h)
            .filter(|&h| {
                let after = (t.load[h] + d) / t.view.capacity_mips(h);
                self.metric(t, h, after) <= limit
            })
            .find(|&h| t.allowed(v, h))
    }

    /// CPU and thermal balance: shed VMs from hosts above the trigger, hottest first.
    fn shed(&mut self, t: &mut Tentative) {
        let (trigger, target) = self.trigger_and_target();
        let mut order = self.order(t);
        let mut sources: Vec<HostId> = order
            .iter()
            .rev()
            .map(|&(_, h)| h)
            .filter(|&h| self.is_source(t, h, trigger, target))
            .collect();
        sources.reverse(); // popped from the end: highest metric first
        while let Some(&s) = sources.last() {
            if !self.governor.has_budget(t.moves.len()) {
                break;
            }
            if self.metric(t, s, t.util(s)) <= target {
                sources.pop();
                continue;
            }
            // Prefer the smallest VM whose departure reaches the target, else the largest.
            let mut vms = t.movable[s].clone();
            vms.sort_by(|&a, &b| {
                t.view
                    .requested_mips(a)
                    .total_cmp(&t.view.requested_mips(b))
                    .then(a.cmp(&b))
            });
            let reaches = |v: VmId| {
                let u = (t.load[s] - t.view.requested_mips(v)) / t.view.capacity_mips(s);
                self.metric(t, s, u) <= target
            };
            let first = vms.iter().position(|&v| reaches(v)).unwrap_or(vms.len());
            let preference = vms[first..].iter().chain(vms[..first].iter().rev());
            let choice = preference
                .filter(|&&v| t.view.requested_mips(v) > 0.0)
                .find_map(|&v| self.destination(t, &order, v, target).map(|d| (v, d)));
            let Some((v, d)) = choice else {
                sources.pop(); // nothing can leave this host: leave it
                continue;
            };
            for h in [s, d] {
                order.remove(&(key(self.metric(t, h, t.util(h))), h));
            }
            t.apply(v, s, d);
            for h in [s, d] {
                order.insert((key(self.metric(t, h, t.util(h))), h));
            }
        }
    }

    /// Whether host `h` should shed load: above the trigger (thermal: its measured temperature,
    /// while the load it carries would keep it above the target).
    fn is_source(&self, t: &Tentative, h: HostId, trigger: f64, target: f64) -> bool {
        let now = self.metric(t, h, t.util(h));
        match self.kind {
            BalanceKind::Thermal => {
                t.view.hosts[h].temperature_c + 273.15 > trigger && now > target
            }
            _ => now > trigger,
        }
    }

    /// Workload balance: move a VM from the most to the least loaded host while the spread is
    /// above the target (once it has exceeded the trigger).
    fn even_out(&mut self, t: &mut Tentative) {
        let (trigger, target) = self.trigger_and_target();
        let mut order = self.order(t);
        let spread = |order: &BTreeSet<(u64, HostId)>| match (order.first(), order.last()) {
            (Some(&(lo, _)), Some(&(hi, _))) => f64::from_bits(hi) - f64::from_bits(lo),
            _ => 0.0,
        };
        if spread(&order) > trigger {
            self.engaged = true;
        }
        while self.engaged && self.governor.has_budget(t.moves.len()) {
            if spread(&order) <= target {
                self.engaged = false;
                break;
            }
            let &(_, hi) = order.last().expect("spread > 0 needs hosts");
            let u_hi = t.util(hi);
            // The move that lowers the pair's maximum the most.
            let mut best: Option<(f64, VmId, HostId)> = None;
            for &v in &t.movable[hi] {
                let d = t.view.requested_mips(v);
                if d <= 0.0 {
                    continue;
                }
                let Some(dst) = order
                    .iter()
                    .map(|&(_, h)| h)
                    .find(|&h| h != hi && t.allowed(v, h))
                else {
                    continue;
                };
                let peak = ((t.load[hi] - d) / t.view.capacity_mips(hi))
                    .max((t.load[dst] + d) / t.view.capacity_mips(dst));
                if peak < u_hi && best.is_none_or(|(p, _, _)| peak < p) {
                    best = Some((peak, v, dst));
                }
            }
            let Some((_, v, dst)) = best else {
                break; // no move helps
            };
            for h in [hi, dst] {
                order.remove(&(key(t.util(h)), h));
            }
            t.apply(v, hi, dst);
            for h in [hi, dst] {
                order.insert((key(t.util(h)), h));
            }
        }
    }
}

impl Reallocation for Balance {
    fn reallocate(&mut self, view: &ClusterView, _rng: &mut Rng) -> Vec<Action> {
        self.governor.start_round();
        // Lent to the tentative allocation for the round (the planning methods borrow `self`).
        let requirements = std::mem::take(&mut self.requirements);
        let mut t = Tentative::new(view, &requirements, &self.governor);
        match self.kind {
            BalanceKind::Workload => self.even_out(&mut t),
            BalanceKind::Cpu | BalanceKind::Thermal => self.shed(&mut t),
        }
        let plan: Vec<Action> = t
            .moves
            .iter()
            .map(|&(vm, to)| Action::Migrate { vm, to })
            .collect();
        drop(t);
        self.requirements = requirements;
        self.governor.record(&plan);
        plan
    }
}

#[cfg(test)]
mod tests;
