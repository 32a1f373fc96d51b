//! Limits every reallocation policy obeys: a migration budget per round and a cooldown that
//! keeps a migrated VM in place for some rounds (hysteresis in time, so no VM ping-pongs).

use std::collections::BTreeMap;

use orrery_engine::action::Action;
use orrery_engine::view::{ClusterView, VmId};

/// The budget and cooldown of one reallocation policy, and the rounds it has run.
#[derive(Debug, Clone, Default)]
pub struct Governor {
    /// Most migrations per round (0: no limit).
    pub budget: usize,
    /// Rounds a migrated VM stays put.
    pub cooldown_rounds: u32,
    round: u64,
    moved_in_round: BTreeMap<VmId, u64>,
}

impl Governor {
    /// A governor with this budget (0: none) and cooldown.
    pub fn new(budget: usize, cooldown_rounds: u32) -> Self {
        Governor {
            budget,
            cooldown_rounds,
            ..Governor::default()
        }
    }

    /// Starts a round, forgetting the VMs whose cooldown is over.
    pub fn start_round(&mut self) {
        self.round += 1;
        let (round, cooldown) = (self.round, u64::from(self.cooldown_rounds));
        self.moved_in_round.retain(|_, r| round - *r <= cooldown);
    }

    /// The VMs that may not move this round (still cooling down), in id order.
    pub fn cooling(&self) -> impl Iterator<Item = VmId> + '_ {
        self.moved_in_round
            .iter()
            .filter(|(_, &r)| self.round - r <= u64::from(self.cooldown_rounds))
            .map(|(&v, _)| v)
    }

    /// Whether VM `v` may move this round (its cooldown is over).
    pub fn may_move(&self, v: VmId) -> bool {
        self.moved_in_round
            .get(&v)
            .is_none_or(|&r| self.round - r > u64::from(self.cooldown_rounds))
    }

    /// Whether `planned` migrations leave room in the budget for one more.
    pub fn has_budget(&self, planned: usize) -> bool {
        self.budget == 0 || planned < self.budget
    }

    /// Keeps the migrations of `plan` that respect the cooldown and the budget, in order, and
    /// records them; drops a host's `PowerOff` when one of the migrations draining it is
    /// dropped.
    pub fn filter(&mut self, view: &ClusterView, plan: Vec<Action>) -> Vec<Action> {
        let mut kept = Vec::with_capacity(plan.len());
        let mut dropped_from = Vec::new();
        let mut migrations = 0;
        for a in plan {
            match a {
                Action::Migrate { vm, .. } => {
                    if self.may_move(vm) && self.has_budget(migrations) {
                        migrations += 1;
                        kept.push(a);
                    } else if let Some(h) = view.vms[vm].host {
                        dropped_from.push(h);
                    }
                }
                Action::PowerOff { host } if dropped_from.contains(&host) => {}
                other => kept.push(other),
            }
        }
        self.record(&kept);
        kept
    }

    /// Records the migrations of a plan as made this round.
    pub fn record(&mut self, plan: &[Action]) {
        for a in plan {
            if let Action::Migrate { vm, .. } = a {
                self.moved_in_round.insert(*vm, self.round);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
    use orrery_engine::view::{Compat, HostView, VmView};

    fn view() -> ClusterView {
        let power = PowerModel::Linear {
            idle_w: 1.0,
            max_w: 2.0,
        };
        let mut v = ClusterView::new(
            Compat::None,
            vec![HostType::new("h", 4, 1000.0, 8000.0, power)],
            vec![VmType::new("v", 1, 100.0, 100.0)],
        );
        for h in 0..2 {
            v.hosts
                .push(HostView::new(format!("h{h}"), 0, PowerState::On));
        }
        for i in 0..3 {
            let mut vm = VmView::new(format!("v{i}"), 0, 0);
            vm.state = VmState::Running;
            vm.host = Some(0);
            v.hosts[0].vms.push(i);
            v.vms.push(vm);
        }
        v
    }

    #[test]
    fn budget_cuts_the_plan_and_keeps_the_host_on() {
        let view = view();
        let mut g = Governor::new(2, 0);
        g.start_round();
        let plan = (0..3)
            .map(|vm| Action::Migrate { vm, to: 1 })
            .chain([Action::PowerOff { host: 0 }])
            .collect();
        let kept = g.filter(&view, plan);
        assert_eq!(
            kept,
            vec![
                Action::Migrate { vm: 0, to: 1 },
                Action::Migrate { vm: 1, to: 1 }
            ]
        );
    }

    #[test]
    fn cooldown_holds_a_vm_for_the_given_rounds() {
        let view = view();
        let mut g = Governor::new(0, 2);
        let move0 = || vec![Action::Migrate { vm: 0, to: 1 }];
        g.start_round();
        assert_eq!(g.filter(&view, move0()).len(), 1);
        for _ in 0..2 {
            g.start_round();
            assert!(g.filter(&view, move0()).is_empty(), "round {}", g.round);
        }
        g.start_round();
        assert_eq!(
            g.filter(&view, move0()).len(),
            1,
            "free again after 2 rounds"
        );
    }
}
