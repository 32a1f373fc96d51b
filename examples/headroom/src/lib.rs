//! An example orrery extension: two policies, registered by name with typed parameters.
//!
//! - `headroom-best-fit` (placement): each VM goes to the powered-on host it fills most (best
//!   fit by reservable CPU) while leaving `headroom` of the host's capacity unreserved; when
//!   none can take it, an off host is powered on (if `wake`), else the VM is deferred.
//! - `shed-hottest` (reallocation): every round, each host above `threshold` CPU utilisation
//!   hands its least-demanding VM to the least-utilised host that stays at or below
//!   `threshold` with it, at most `max_moves` migrations a round.
//! - `weighted` (federation router): among the clouds that can serve a request, the one with
//!   the least `cost_weight` × cost + (1 − `cost_weight`) × finish time, each relative to the
//!   largest among them (ties: cost, finish, energy, name — so weights 1 and 0 are exactly the
//!   broker's `cheapest` and `fastest` goals).

use orrery::extend::*;

/// The extensions this crate adds, for [`orrery::cli::main_with`].
pub fn extensions() -> Vec<Registration> {
    vec![
        RouterExtension::new(
            "weighted",
            "the feasible cloud with the least weighted sum of relative cost and finish time",
            |p| {
                Ok(Weighted {
                    cost_weight: p.float("cost_weight"),
                })
            },
        )
        .param(ParamSpec::float(
            "cost_weight",
            0.5,
            0.0,
            1.0,
            "weight of cost against finish time (1: cheapest, 0: fastest)",
        ))
        .into(),
        Extension::placement(
            "headroom-best-fit",
            "best fit by reservable CPU, keeping a fraction of each host free",
            |cx| {
                Ok(HeadroomBestFit {
                    headroom: cx.params.float("headroom"),
                    wake: cx.params.boolean("wake"),
                })
            },
        )
        .param(ParamSpec::float(
            "headroom",
            0.1,
            0.0,
            0.9,
            "fraction of a host's CPU capacity placement leaves unreserved",
        ))
        .param(ParamSpec::boolean(
            "wake",
            true,
            "power on an off host when no powered-on host can take a VM",
        ))
        .into(),
        Extension::reallocation(
            "shed-hottest",
            "move the lightest VM off each host above a utilisation threshold",
            |cx| {
                Ok(ShedHottest {
                    threshold: cx.params.float("threshold"),
                    max_moves: usize::try_from(cx.params.integer("max_moves"))
                        .map_err(|e| e.to_string())?,
                })
            },
        )
        .param(ParamSpec::float(
            "threshold",
            0.8,
            0.05,
            1.0,
            "CPU utilisation above which a host sheds a VM",
        ))
        .param(ParamSpec::integer(
            "max_moves",
            10,
            1,
            10_000,
            "most migrations one round starts",
        ))
        .into(),
    ]
}

/// Best fit by reservable CPU, keeping `headroom` of each host's capacity free.
#[derive(Debug, Clone)]
pub struct HeadroomBestFit {
    /// Fraction of capacity left unreserved.
    pub headroom: f64,
    /// Whether to power on an off host when nothing fits.
    pub wake: bool,
}

impl Placement for HeadroomBestFit {
    fn place(&mut self, view: &ClusterView, pending: &[VmId], _rng: &mut Rng) -> Vec<Action> {
        // What this call has already promised each host (the view changes only once the
        // plan is applied).
        let mut cpu: Vec<f64> = (0..view.hosts.len())
            .map(|h| view.reservable_mips(h) - view.hosts[h].reserved_mips)
            .collect();
        let mut memory: Vec<f64> = (0..view.hosts.len())
            .map(|h| view.reservable_memory_mb(h) - view.hosts[h].reserved_memory_mb)
            .collect();
        let mut waking = vec![false; view.hosts.len()];
        let mut plan = Vec::new();
        for &vm in pending {
            let (mips, mb) = (view.vm_mips(vm), view.vm_memory_mb(vm));
            let left = |h: HostId| cpu[h] - mips - self.headroom * view.capacity_mips(h);
            let usable = |h: HostId| view.hosts[h].power == PowerState::On || waking[h];
            let best = (0..view.hosts.len())
                .filter(|&h| usable(h) && left(h) >= 0.0 && memory[h] >= mb)
                .min_by(|&a, &b| left(a).total_cmp(&left(b)).then(a.cmp(&b)));
            let host = best.or_else(|| {
                let off = (0..view.hosts.len()).find(|&h| {
                    view.hosts[h].power == PowerState::Off
                        && !waking[h]
                        && left(h) >= 0.0
                        && memory[h] >= mb
                })?;
                self.wake.then_some(off)
            });
            match host {
                Some(h) => {
                    if view.hosts[h].power == PowerState::Off && !waking[h] {
                        waking[h] = true;
                        plan.push(Action::PowerOn { host: h });
                    }
                    cpu[h] -= mips;
                    memory[h] -= mb;
                    plan.push(Action::Deploy { vm, host: h });
                }
                None => plan.push(Action::Defer {
                    vm,
                    reason: format!("no host keeps {:.0} % headroom", self.headroom * 100.0),
                }),
            }
        }
        plan
    }
}

/// Moves the least-demanding VM off each host above `threshold` utilisation.
#[derive(Debug, Clone)]
pub struct ShedHottest {
    /// Utilisation above which a host sheds.
    pub threshold: f64,
    /// Most migrations a round.
    pub max_moves: usize,
}

impl Reallocation for ShedHottest {
    fn reallocate(&mut self, view: &ClusterView, _rng: &mut Rng) -> Vec<Action> {
        let n = view.hosts.len();
        // Busy MIPS per host as the round plans it (moves shift demand between hosts).
        let mut busy: Vec<f64> = (0..n).map(|h| view.hosts[h].busy_mips).collect();
        let util = |busy: &[f64], h: HostId| busy[h] / view.capacity_mips(h);
        let mut plan = Vec::new();
        for h in 0..n {
            if plan.len() >= self.max_moves {
                break;
            }
            if view.hosts[h].power != PowerState::On || util(&busy, h) <= self.threshold {
                continue;
            }
            let Some(vm) = view.hosts[h]
                .vms
                .iter()
                .copied()
                .filter(|&v| !view.vms[v].in_migration)
                .min_by(|&a, &b| {
                    view.vms[a]
                        .demand
                        .total_cmp(&view.vms[b].demand)
                        .then(a.cmp(&b))
                })
            else {
                continue;
            };
            let mips = view.requested_mips(vm);
            let fits = |d: HostId| {
                let host = &view.hosts[d];
                d != h
                    && host.power == PowerState::On
                    && view.reservable_mips(d) - host.reserved_mips >= view.vm_mips(vm)
                    && view.reservable_memory_mb(d) - host.reserved_memory_mb
                        >= view.vm_memory_mb(vm)
                    && (busy[d] + mips) / view.capacity_mips(d) <= self.threshold
            };
            let target = (0..n)
                .filter(|&d| fits(d))
                .min_by(|&a, &b| util(&busy, a).total_cmp(&util(&busy, b)).then(a.cmp(&b)));
            if let Some(d) = target {
                busy[h] -= mips;
                busy[d] += mips;
                plan.push(Action::Migrate { vm, to: d });
            }
        }
        plan
    }
}

/// A federation router weighing relative cost against relative finish time.
#[derive(Debug, Clone)]
pub struct Weighted {
    /// Weight of cost (1 − it: of finish time).
    pub cost_weight: f64,
}

impl Router for Weighted {
    fn choose(&mut self, feasible: &[Estimate], _: &BrokerRequest, _: u64) -> Option<usize> {
        let max = |f: fn(&Estimate) -> f64| feasible.iter().map(f).fold(0.0, f64::max);
        let (cost, finish) = (max(|e| e.cost), max(|e| e.finish as f64));
        let relative = |x: f64, max: f64| if max > 0.0 { x / max } else { 0.0 };
        let score = |e: &Estimate| {
            self.cost_weight * relative(e.cost, cost)
                + (1.0 - self.cost_weight) * relative(e.finish as f64, finish)
        };
        (0..feasible.len()).min_by(|&a, &b| {
            let (x, y) = (&feasible[a], &feasible[b]);
            score(x)
                .total_cmp(&score(y))
                .then(x.cost.total_cmp(&y.cost))
                .then(x.finish.cmp(&y.finish))
                .then(x.energy.total_cmp(&y.energy))
                .then_with(|| x.cloud.cmp(&y.cloud))
        })
    }
}
