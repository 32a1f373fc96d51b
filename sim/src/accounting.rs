//! The simulator's books: each VM's ledger account, and who decides the actions being
//! applied.

use orrery_engine::infra::Decision;
use orrery_engine::metrics::accounting::Account;
use orrery_engine::scenario::{Scenario, VmTypeSection};
use orrery_engine::time::Millis;

use super::build::VmPlan;

/// The actor of power changes the simulator makes on its own (idle hosts powered off).
pub(super) const POWER_MANAGER: &str = "power-manager";

/// The ledger account of VM `plan`, of type `t`, in a run that ends at `horizon`.
pub(super) fn account(t: &VmTypeSection, plan: &VmPlan, horizon: Millis) -> Account {
    Account {
        name: plan.view.name.clone(),
        tenant: plan.tenant.clone(),
        vm_type: t.name.clone(),
        vcpus: t.vcpus,
        memory_mb: t.memory_mb,
        price: t.price,
        period: t.billing_period,
        arrival: plan.arrival,
        end: plan.end.map_or(horizon, |e| e.min(horizon)),
    }
}

/// Who decides: the policies by name, and which of them the actions being applied come from.
pub(super) struct Actors {
    placement: String,
    reallocation: String,
    /// The decision the actions being applied answer.
    current: DecisionKind,
}

#[derive(Clone, Copy)]
enum DecisionKind {
    Placement,
    Reallocation,
    Admission,
    Elasticity,
}

impl Actors {
    /// The actors of `scenario`'s policies.
    pub(super) fn new(scenario: &Scenario) -> Self {
        let p = &scenario.spec.policies;
        Actors {
            placement: p.placement.clone(),
            reallocation: p.reallocation.clone(),
            current: DecisionKind::Placement,
        }
    }

    /// The actions applied next answer `decision`.
    pub(super) fn answering(&mut self, decision: &Decision) {
        self.current = match decision {
            Decision::Place(_) => DecisionKind::Placement,
            Decision::Reallocate => DecisionKind::Reallocation,
            Decision::Admit(_) => DecisionKind::Admission,
            Decision::Scale => DecisionKind::Elasticity,
        };
    }

    pub(super) fn current(&self) -> &str {
        match self.current {
            DecisionKind::Placement => &self.placement,
            DecisionKind::Reallocation => &self.reallocation,
            DecisionKind::Admission => "admission",
            DecisionKind::Elasticity => "elasticity",
        }
    }
}
