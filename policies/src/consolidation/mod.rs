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

pub use detector::{Detector, Fit};
use scratch::Scratch;
pub use selection::Selection;

/// Dynamic consolidation: the reallocation policy, and PABFD for initial placement.
#[derive(Debug, Clone, Copy)]
pub struct Consolidation {
    /// Overload detector.
    pub detector: Detector,
    /// VM selection policy.
    pub selection: Selection,
}

struct Ctx<'a> {
    quirks: Quirks,
    fit: Fit,
    detector: Detector,
    /// Each host's power now, as PABFD charges it.
    power_now: Vec<f64>,
    /// Per-host constants PABFD reads for every candidate, laid out flat for its inner loop.
    hosts: Vec<HostFacts<'a>>,
}

/// What PABFD needs to know of a host that does not change during a plan.
struct HostFacts<'a> {
    usable: bool,
    core_mips: f64,
    capacity: f64,
    memory: f64,
    power: &'a orrery_engine::model::PowerModel,
}

impl Consolidation {
    fn ctx<'a>(&self, view: &'a ClusterView) -> Ctx<'a> {
        let quirks = view.quirks;
        let power_now = (0..view.hosts.len())
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
        let hosts = (0..view.hosts.len())
            .map(|h| HostFacts {
                usable: matches!(
                    view.hosts[h].power,
                    PowerState::On | PowerState::Booting | PowerState::Off
                ),
                core_mips: view.host_type(h).core_mips,
                capacity: view.capacity_mips(h),
                memory: view.reservable_memory_mb(h) + 1e-9,
                power: &view.host_type(h).power,
            })
            .collect();
        Ctx {
            hosts,
            quirks,
            fit: if quirks.ols_regression {
                Fit::CloudSim
            } else {
                Fit::Paper
            },
            detector: self.detector,
            power_now,
        }
    }
}

impl Ctx<'_> {
    fn overloaded(&self, s: &Scratch, h: HostId, extra: Option<VmId>) -> bool {
        self.detector.overloaded(s, h, extra, self.fit)
    }

    /// PABFD: the host whose power rises least when it takes VM `v`, among suitable hosts that
    /// the detector would not call overloaded afterwards. Ties go to the lowest host id.
    fn find_host(&self, s: &Scratch, v: VmId, excluded: &[bool]) -> Option<HostId> {
        let ask = s.ask(v);
        let mut best: Option<(f64, HostId)> = None;
        for (h, (&skip, facts)) in excluded.iter().zip(&self.hosts).enumerate() {
            let host = &s.hosts[h];
            // CloudSim's isSuitableForVm: each vCPU fits a core, the MIPS and memory fit.
            let suitable = facts.core_mips >= ask.per_vcpu
                && host.available >= ask.mips
                && host.memory_used + ask.memory <= facts.memory;
            if skip || !facts.usable || !suitable {
                continue;
            }
            let u = (host.planned_mips + ask.mips) / facts.capacity;
            if u > 1.0 {
                continue; // beyond the power model (CloudSim would abort the run)
            }
            let diff = facts.power.power(u) - self.power_now[h];
            // Only a host that would win needs the (costlier) overload check.
            if best.is_some_and(|(d, _)| diff >= d) {
                continue;
            }
            if host.planned_mips != 0.0 && self.overloaded(s, h, Some(v)) {
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
        let mut s = Scratch::new(view, !ctx.quirks.memory_at_creation_only);
        let none = vec![false; view.hosts.len()];
        let mut plan = Vec::with_capacity(pending.len());
        for &v in pending {
            s.mark_new(v);
            match ctx.find_host(&s, v, &none) {
                Some(h) => {
                    s.commit_new(h, v);
                    plan.push(Action::Deploy { vm: v, host: h });
                }
                None => plan.push(Action::Reject {
                    vm: v,
                    reason: "no suitable host (PABFD)".into(),
                }),
            }
        }
        plan
    }
}

impl Reallocation for Consolidation {
    fn reallocate(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action> {
        let ctx = self.ctx(view);
        let n = view.hosts.len();
        let mut s = Scratch::new(view, !ctx.quirks.memory_at_creation_only);

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
            if let Some(h) = ctx.find_host(&s, v, &is_over) {
                s.create(h, v);
                migrations.push((v, h));
            }
        }

        // 4. Underload phase: drain the least-used hosts while all of their VMs find room.
        let switched_off: Vec<bool> = (0..n).map(|h| view.utilisation(h) == 0.0).collect();
        let mut skip_search: Vec<bool> = (0..n).map(|h| is_over[h] || switched_off[h]).collect();
        let mut skip_place = skip_search.clone();
        if !ctx.quirks.underload_keeps_destinations {
            // CloudSim passes an empty map here, so its overload destinations stay candidates.
            for &(_, h) in &migrations {
                skip_search[h] = true;
            }
        }
        let mut searched = skip_search.iter().filter(|&&x| x).count();
        while searched < n {
            let Some(u) = least_used(&s, &skip_search) else {
                break;
            };
            skip_search[u] = true;
            skip_place[u] = true;
            searched += 1;
            let mut vms: Vec<VmId> = s.hosts[u]
                .vms
                .iter()
                .copied()
                .filter(|&v| !view.vms[v].in_migration)
                .collect();
            if vms.is_empty() {
                continue;
            }
            sort_by_demand(&s, &mut vms);
            let mut placed: Vec<(VmId, HostId)> = Vec::with_capacity(vms.len());
            for &v in &vms {
                match ctx.find_host(&s, v, &skip_place) {
                    Some(h) => {
                        s.create(h, v);
                        placed.push((v, h));
                    }
                    None => {
                        for &(pv, ph) in &placed {
                            s.destroy(ph, pv);
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
        plan
    }
}

/// The host with the lowest utilisation in (0, 1) that is not skipped and has a VM that is not
/// migrating (and none migrating in) — CloudSim's `getUnderUtilizedHost`.
fn least_used(s: &Scratch, skip: &[bool]) -> Option<HostId> {
    let view = s.view;
    let mut best = (1.0, None);
    for (h, _) in skip.iter().enumerate().filter(|(_, &s)| !s) {
        let u = view.utilisation(h);
        if u > 0.0 && u < best.0 && !all_out_or_any_in(s, h) {
            best = (u, Some(h));
        }
    }
    best.1
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
