//! The general placement of real cloud OSes: filter hosts with requirement expressions
//! (OpenNebula's SCHED_REQUIREMENTS, plus every other constraint), score the survivors with a
//! rank expression (SCHED_RANK) plus Nova-style weighers, and take the highest score.

use orrery_engine::action::Action;
use orrery_engine::policy::Placement;
use orrery_engine::rng::Rng;
use orrery_engine::view::{ClusterView, HostId, VmId};

use super::capacity::Reservations;
use super::unplaced;
use crate::constraints::{Constraints, HostAttributes, Requirements};
use crate::expr::{weigh, Attributes, Rank, Value, Weigher};

/// Filter, then rank: the highest-scoring host that fits and satisfies the VM's constraints.
/// Hosts that are up win over hosts that would have to be woken; ties go to the lowest id.
#[derive(Debug, Clone)]
pub struct Ranked {
    requirements: Requirements,
    rank: Option<Rank>,
    weighers: Vec<Weigher>,
}

impl Ranked {
    /// A ranked placement. Without a rank expression or weighers every host scores 0 (first fit).
    pub fn new(requirements: Requirements, rank: Option<Rank>, weighers: Vec<Weigher>) -> Self {
        Ranked {
            requirements,
            rank,
            weighers,
        }
    }
}

/// A host's attributes with the free capacity and VM count of the batch being placed.
struct InBatch<'a> {
    host: HostAttributes<'a>,
    r: &'a Reservations,
}

impl Attributes for InBatch<'_> {
    fn get(&self, name: &str) -> Option<Value> {
        let h = self.host.host;
        match name {
            "FREE_CPU" => Some(Value::Num(self.r.cpu[h])),
            "FREE_MEM" => Some(Value::Num(self.r.memory[h])),
            "RUNNING_VMS" => Some(Value::Num(self.r.vms[h] as f64)),
            _ => self.host.get(name),
        }
    }
}

impl Placement for Ranked {
    fn place(&mut self, view: &ClusterView, pending: &[VmId], _rng: &mut Rng) -> Vec<Action> {
        let mut r = Reservations::from_view(view);
        let mut c = Constraints::new(view, &self.requirements);
        let mut plan = Vec::with_capacity(pending.len());
        for &v in pending {
            let trivial = c.trivial(v);
            let fits = |h: HostId| r.fits(view, h, v) && (trivial || c.check(h, v).is_ok());
            let mut candidates: Vec<HostId> = (0..view.hosts.len())
                .filter(|&h| r.up[h] && fits(h))
                .collect();
            if candidates.is_empty() {
                candidates = (0..view.hosts.len()).filter(|&h| fits(h)).collect();
            }
            let best = {
                let attrs: Vec<InBatch> = candidates
                    .iter()
                    .map(|&host| InBatch {
                        host: HostAttributes { view, host },
                        r: &r,
                    })
                    .collect();
                let dyn_attrs: Vec<&dyn Attributes> =
                    attrs.iter().map(|a| a as &dyn Attributes).collect();
                let mut scores = weigh(&self.weighers, &dyn_attrs);
                if let Some(rank) = &self.rank {
                    for (s, a) in scores.iter_mut().zip(&dyn_attrs) {
                        *s += rank.eval(*a);
                    }
                }
                // Highest score; ties keep the lowest id.
                candidates.iter().zip(&scores).fold(
                    None,
                    |best: Option<(HostId, f64)>, (&h, &s)| match best {
                        Some((_, b)) if b >= s => best,
                        _ => Some((h, s)),
                    },
                )
            };
            match best {
                Some((h, _)) => {
                    r.take(view, h, v);
                    c.place(v, h);
                    plan.push(Action::Deploy { vm: v, host: h });
                }
                None => plan.push(unplaced(&c, view, v, "no host has room")),
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
    use orrery_engine::rng::RngStreams;
    use orrery_engine::view::{Compat, HostView, VmView};

    /// Three hosts of 4 × 1000 MIPS: host 0 half reserved, host 1 empty, host 2 a quarter; inlet
    /// temperatures 25, 30, 20 °C.
    fn view() -> (ClusterView, Vec<VmId>) {
        let power = PowerModel::Linear {
            idle_w: 100.0,
            max_w: 200.0,
        };
        let mut v = ClusterView::new(
            Compat::None,
            vec![HostType::new("h", 4, 1000.0, 8000.0, power)],
            vec![VmType::new("v", 1, 1000.0, 1000.0)],
        );
        v.redline_c = Some(45.0);
        for (h, (reserved, inlet)) in [(2000.0, 25.0), (0.0, 30.0), (1000.0, 20.0)]
            .into_iter()
            .enumerate()
        {
            let mut host = HostView::new(format!("node{h}"), 0, PowerState::On);
            host.reserved_mips = reserved;
            host.inlet_c = inlet;
            v.hosts.push(host);
        }
        let mut vm = VmView::new("vm", 0, 0);
        vm.state = VmState::Pending;
        v.vms.push(vm.clone());
        v.vms.push(vm);
        (v, vec![0, 1])
    }

    fn place(rank: Option<&str>, weighers: Vec<Weigher>) -> Vec<Action> {
        let (view, vms) = view();
        let mut p = Ranked::new(
            Requirements::of(&view),
            rank.map(|r| Rank::parse(r).unwrap()),
            weighers,
        );
        p.place(&view, &vms, &mut RngStreams::new(1).stream("t", 0))
    }

    #[test]
    fn rank_expression_picks_the_highest_score_and_sees_the_batch() {
        // FREE_CPU: 2000, 4000, 3000 → host 1; then host 1 has 3000 and ties host 2: lowest id.
        assert_eq!(
            place(Some("FREE_CPU"), vec![]),
            vec![
                Action::Deploy { vm: 0, host: 1 },
                Action::Deploy { vm: 1, host: 1 }
            ]
        );
        // Coolest inlet first: -INLET_TEMPERATURE is highest on host 2.
        assert_eq!(
            place(Some("- INLET_TEMPERATURE"), vec![]),
            vec![
                Action::Deploy { vm: 0, host: 2 },
                Action::Deploy { vm: 1, host: 2 }
            ]
        );
    }

    #[test]
    fn weighers_normalise_and_sum() {
        // FREE_CPU normalised over 2000..4000: 0, 1, 0.5; inlet over 20..30 with −2: −1, −2, 0.
        // Sums: −1, −1, 0.5 → host 2.
        let w = vec![
            Weigher {
                attribute: "FREE_CPU".into(),
                multiplier: 1.0,
            },
            Weigher {
                attribute: "INLET_TEMPERATURE".into(),
                multiplier: -2.0,
            },
        ];
        assert_eq!(place(None, w)[0], Action::Deploy { vm: 0, host: 2 });
    }
}
