//! Dynamic VM consolidation (Beloglazov & Buyya, CCPE 2012) as CloudSim 3.0.3 implements it:
//! overload detection, VM selection, power-aware best-fit decreasing placement (PABFD) and the
//! underload phase that drains the least-used hosts.
//!
//! With `compat = "cloudsim-3.0.3"` every step follows CloudSim's code, quirks included; with
//! `compat = "none"` the corrected semantics apply (documented in docs/validation.md):
//! LR/LRR fit the paper's LOESS, waking a sleeping host costs its idle power, the overload
//! phase's destinations are excluded from the underload search, and memory binds.

pub mod detector;
pub mod scratch;
pub mod selection;

use orrery_engine::action::Action;
use orrery_engine::model::PowerState;
use orrery_engine::policy::{Placement, Reallocation};
use orrery_engine::rng::Rng;
use orrery_engine::view::{ClusterView, HostId, Quirks, VmId};

use crate::constraints::{Constraints, Requirements};
use crate::governor::Governor;
use crate::placement::unplaced;
pub use detector::{Detector, Fit};
use scratch::Scratch;
pub use selection::Selection;

/// Dynamic consolidation: the reallocation policy, and PABFD for initial placement.
#[derive(Debug, Clone)]
pub struct Consolidation {
    /// Overload detector.
    pub detector: Detector,
    /// VM selection policy.
    pub selection: Selection,
    /// Requirement expressions every placement honours (with the other constraints).
    pub requirements: Requirements,
    /// Migration budget and cooldown of the reallocation rounds.
    pub governor: Governor,
    /// Carbon-aware: the detector's parameter follows the grid's intensity.
    pub carbon: Option<CarbonAware>,
    /// The hosts' scheduler map sizes, which outlive each plan (see [`Scratch::with_tables`]).
    tables: Vec<u32>,
}

/// The detector's parameter as a function of the grid's carbon intensity (gCO2/kWh):
/// `at_low` at or below `low`, `at_high` at or above `high`, linear in between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarbonAware {
    /// Intensity at and below which `at_low` applies.
    pub low: f64,
    /// Intensity at and above which `at_high` applies (above `low`).
    pub high: f64,
    /// The parameter when the grid is clean.
    pub at_low: f64,
    /// The parameter when the grid is dirty.
    pub at_high: f64,
}

impl CarbonAware {
    /// The parameter at intensity `g`.
    pub fn parameter(&self, g: f64) -> f64 {
        let x = ((g - self.low) / (self.high - self.low)).clamp(0.0, 1.0);
        self.at_low + (self.at_high - self.at_low) * x
    }
}

struct Ctx<'a> {
    quirks: Quirks,
    fit: Fit,
    detector: Detector,
    /// Each host's power now, as PABFD charges it.
    power_now: Vec<f64>,
    /// Per-host constants PABFD reads for every candidate, laid out flat for its inner loop.
    hosts: Vec<HostFacts<'a>>,
    /// Number of distinct [`HostFacts::class`] values.
    classes: usize,
}

/// What PABFD needs to know of a host that does not change during a plan.
struct HostFacts<'a> {
    usable: bool,
    core_mips: f64,
    capacity: f64,
    memory: f64,
    power: &'a orrery_engine::model::PowerModel,
    /// Hosts of one class (same type, power state as PABFD sees it and power now) are
    /// interchangeable while empty: only the first empty one of a class can win.
    class: usize,
}

impl Consolidation {
    /// Consolidation with this detector and VM selection.
    /// Without requirement expressions, budget or cooldown.
    pub fn new(detector: Detector, selection: Selection) -> Self {
        Consolidation {
            detector,
            selection,
            requirements: Requirements::default(),
            governor: Governor::default(),
            carbon: None,
            tables: Vec::new(),
        }
    }

    fn ctx<'a>(&self, view: &'a ClusterView) -> Ctx<'a> {
        let quirks = view.quirks;
        let power_now: Vec<f64> = (0..view.hosts.len())
            .map(|h| {
                // CloudSim charges an idle or sleeping host its idle power (so waking one looks
                // free); corrected semantics charge a host that is off (or, when idle hosts count
                // as off, idle) nothing.
                let asleep = !view.hosts[h].power.is_up()
                    || (quirks.energy_window && view.utilisation(h) == 0.0);
                if !quirks.free_wakeup && asleep {
                    0.0
                } else {
                    view.host_type(h).power.power(view.utilisation(h))
                }
            })
            .collect();
        let mut class_of = std::collections::BTreeMap::new();
        let hosts = (0..view.hosts.len())
            .map(|h| {
                let usable = matches!(
                    view.hosts[h].power,
                    PowerState::On | PowerState::Booting | PowerState::Off
                );
                let key = (view.hosts[h].host_type, usable, power_now[h].to_bits());
                let next = class_of.len();
                HostFacts {
                    usable,
                    core_mips: view.host_type(h).core_mips,
                    capacity: view.capacity_mips(h),
                    memory: view.reservable_memory_mb(h) + 1e-9,
                    power: &view.host_type(h).power,
                    class: *class_of.entry(key).or_insert(next),
                }
            })
            .collect();
        Ctx {
            hosts,
            classes: class_of.len(),
            quirks,
            fit: if quirks.ols_regression {
                Fit::CloudSim
            } else {
                Fit::Paper
            },
            detector: match (self.carbon, view.carbon_intensity) {
                (Some(c), Some(g)) => self.detector.with_parameter(c.parameter(g)),
                _ => self.detector,
            },
            power_now,
        }
    }
}

impl Ctx<'_> {
    fn overloaded(&self, s: &Scratch, h: HostId, extra: Option<VmId>) -> bool {
        self.detector.overloaded(s, h, extra, self.fit)
    }

    /// PABFD: the host whose power rises least when it takes VM `v`, among the hosts not
    /// `excluded` (in ascending id order) that are suitable and that the detector would not call
    /// overloaded afterwards. Ties go to the lowest host id. Like CloudSim, it leaves behind the side
    /// effects of an overload check on every suitable host in use ([`Scratch::check_overload`]).
    fn find_host(
        &self,
        s: &mut Scratch,
        c: &Constraints,
        v: VmId,
        excluded: &[bool],
    ) -> Option<HostId> {
        let ask = s.ask(v);
        let mut best: Option<(f64, HostId)> = None;
        let mut class_seen = vec![false; self.classes];
        let trivial = c.trivial(v);
        for h in (0..excluded.len()).filter(|&h| !excluded[h]) {
            let facts = &self.hosts[h];
            let host = &s.hosts[h];
            if !trivial && c.check(h, v).is_err() {
                continue;
            }
            if trivial && host.vms.is_empty() {
                // An empty host ties with the empty hosts of its class before it.
                if class_seen[facts.class] {
                    continue;
                }
                class_seen[facts.class] = true;
            }
            // CloudSim's isSuitableForVm: each vCPU fits a core, the MIPS and memory fit.
            let suitable = facts.core_mips >= ask.per_vcpu
                && host.available >= ask.mips
                && host.memory_used + ask.memory <= facts.memory;
            if !facts.usable || !suitable {
                continue;
            }
            let planned = host.planned_mips;
            if planned != 0.0 {
                s.check_overload(h);
            }
            let u = (planned + ask.mips) / facts.capacity;
            if u > 1.0 {
                continue; // beyond the power model (CloudSim would abort the run)
            }
            let diff = facts.power.power(u) - self.power_now[h];
            // Only a host that would win needs the (costlier) overload check.
            if best.is_some_and(|(d, _)| diff >= d) {
                continue;
            }
            if planned != 0.0 && self.overloaded(s, h, Some(v)) {
                continue;
            }
            best = Some((diff, h));
        }
        best.map(|(_, h)| h)
    }
}

/// Stable sort of VMs by current demand in MIPS, highest first.
fn sort_by_demand(s: &Scratch, vms: &mut [VmId]) {
    vms.sort_by(|&a, &b| s.requested(b).total_cmp(&s.requested(a)));
}

impl Placement for Consolidation {
    fn place(&mut self, view: &ClusterView, pending: &[VmId], _rng: &mut Rng) -> Vec<Action> {
        let ctx = self.ctx(view);
        let mut s = Scratch::new(view, !ctx.quirks.memory_at_creation_only)
            .with_tables(std::mem::take(&mut self.tables));
        let mut c = Constraints::new(view, &self.requirements);
        let none = vec![false; view.hosts.len()];
        let mut plan = Vec::with_capacity(pending.len());
        for &v in pending {
            s.mark_new(v);
            match ctx.find_host(&mut s, &c, v, &none) {
                Some(h) => {
                    s.commit_new(h, v);
                    c.place(v, h);
                    plan.push(Action::Deploy { vm: v, host: h });
                }
                None => plan.push(unplaced(&c, view, v, "no suitable host (PABFD)")),
            }
        }
        self.tables = s.take_tables();
        plan
    }
}

impl Reallocation for Consolidation {
    fn reallocate(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action> {
        self.governor.start_round();
        let ctx = self.ctx(view);
        let n = view.hosts.len();
        let mut s = Scratch::new(view, !ctx.quirks.memory_at_creation_only)
            .with_tables(std::mem::take(&mut self.tables));
        let mut c = Constraints::new(view, &self.requirements);
        for v in self.governor.cooling() {
            s.pin(v);
        }

        // 1. Overloaded hosts, in id order.
        let over: Vec<HostId> = (0..n).filter(|&h| ctx.overloaded(&s, h, None)).collect();
        let mut is_over = vec![false; n];
        for &h in &over {
            is_over[h] = true;
        }

        // 2. Select VMs off each overloaded host until it is no longer overloaded.
        let mut chosen = Vec::new();
        for &h in &over {
            while let Some(v) = self.selection.pick(&s, h, rng) {
                chosen.push(v);
                s.destroy(h, v);
                if !ctx.overloaded(&s, h, None) {
                    break;
                }
            }
        }

        // 3. Place them (PABFD over the hosts that are not overloaded), highest demand first.
        sort_by_demand(&s, &mut chosen);
        let mut migrations: Vec<(VmId, HostId)> = Vec::new();
        for v in chosen {
            if !self.governor.has_budget(migrations.len()) {
                break; // the most demanding VMs go first; the rest wait for the next round
            }
            if let Some(h) = ctx.find_host(&mut s, &c, v, &is_over) {
                s.create(h, v);
                let from = view.vms[v].host.expect("selected VMs run on a host");
                c.unplace(v, from);
                c.place(v, h);
                migrations.push((v, h));
            }
        }

        // 4. Underload phase: drain the least-used hosts while all of their VMs find room.
        let switched_off: Vec<bool> = (0..n).map(|h| view.utilisation(h) == 0.0).collect();
        let mut skip_search: Vec<bool> = (0..n).map(|h| is_over[h] || switched_off[h]).collect();
        // Hosts the underload phase may not place on: overloaded, switched off, or a host it
        // has already searched.
        let mut not_destination = skip_search.clone();
        if !ctx.quirks.underload_keeps_destinations {
            // CloudSim passes an empty map here, so its overload destinations stay candidates.
            for &(_, h) in &migrations {
                skip_search[h] = true;
            }
        }
        let mut searched = skip_search.iter().filter(|&&x| x).count();
        let mut by_use = ByUtilisation::new(view);
        while searched < n && self.governor.has_budget(migrations.len()) {
            let Some(u) = by_use.least_used(&s, &skip_search) else {
                break;
            };
            skip_search[u] = true;
            not_destination[u] = true;
            searched += 1;
            let mut vms: Vec<VmId> = s.hosts[u]
                .vms
                .iter()
                .copied()
                .filter(|&v| !view.vms[v].in_migration)
                .collect();
            // A host with a VM that must stay (deploying, or in its cooldown) cannot be emptied.
            if vms.is_empty() || !vms.iter().all(|&v| s.movable(v)) {
                continue;
            }
            if !self.governor.has_budget(migrations.len() + vms.len() - 1) {
                continue; // draining this host would exceed the budget
            }
            sort_by_demand(&s, &mut vms);
            let mut placed: Vec<(VmId, HostId)> = Vec::with_capacity(vms.len());
            for &v in &vms {
                match ctx.find_host(&mut s, &c, v, &not_destination) {
                    Some(h) => {
                        s.create(h, v);
                        c.unplace(v, u);
                        c.place(v, h);
                        placed.push((v, h));
                    }
                    None => {
                        for &(pv, ph) in &placed {
                            s.destroy(ph, pv);
                            c.unplace(pv, ph);
                            c.place(pv, u);
                        }
                        placed.clear();
                        break;
                    }
                }
            }
            for &(_, h) in &placed {
                if !skip_search[h] {
                    skip_search[h] = true;
                    searched += 1;
                }
            }
            migrations.extend(placed);
        }
        self.tables = s.take_tables();

        let mut plan: Vec<Action> = migrations
            .into_iter()
            .map(|(vm, to)| Action::Migrate { vm, to })
            .collect();
        if !ctx.quirks.energy_window {
            // Idle hosts draw power: hosts the plan empties are powered off once drained.
            let mut leaving = vec![0usize; n];
            let mut moved = vec![false; view.vms.len()];
            for a in &plan {
                if let Action::Migrate { vm, .. } = a {
                    if let (Some(h), false) = (view.vms[*vm].host, moved[*vm]) {
                        moved[*vm] = true;
                        leaving[h] += 1;
                    }
                }
            }
            let emptied =
                (0..n).filter(|&h| leaving[h] > 0 && leaving[h] == view.hosts[h].vms.len());
            plan.extend(
                emptied
                    .map(|host| Action::PowerOff { host })
                    .collect::<Vec<_>>(),
            );
        }
        self.governor.filter(view, plan)
    }
}

/// Hosts with a utilisation in (0, 1), least used first (ties by id), for the underload search.
struct ByUtilisation {
    order: Vec<HostId>,
    /// Every host before it has been searched or skipped (skips are never taken back).
    cursor: usize,
}

impl ByUtilisation {
    fn new(view: &ClusterView) -> Self {
        let mut order: Vec<HostId> = (0..view.hosts.len())
            .filter(|&h| {
                let u = view.utilisation(h);
                u > 0.0 && u < 1.0
            })
            .collect();
        order.sort_by(|&a, &b| view.utilisation(a).total_cmp(&view.utilisation(b)));
        ByUtilisation { order, cursor: 0 }
    }

    /// The least-used host that is not skipped and has a VM that is not migrating (and none
    /// migrating in) — CloudSim's `getUnderUtilizedHost`.
    fn least_used(&mut self, s: &Scratch, skip: &[bool]) -> Option<HostId> {
        while self.order.get(self.cursor).is_some_and(|&h| skip[h]) {
            self.cursor += 1;
        }
        self.order[self.cursor..]
            .iter()
            .copied()
            .find(|&h| !skip[h] && !all_out_or_any_in(s, h))
    }
}

/// CloudSim's `areAllVmsMigratingOutOrAnyVmMigratingIn`, walking the host's list in order.
fn all_out_or_any_in(s: &Scratch, h: HostId) -> bool {
    let view = s.view;
    for &v in &s.hosts[h].vms {
        if !view.vms[v].in_migration {
            return false;
        }
        if view.hosts[h].incoming.contains(&v) {
            return true;
        }
    }
    true
}

#[cfg(test)]
mod tests;
