//! The simulator's books: the usage ledger of every VM and the audit log of every action, with
//! who took it.

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::infra::Decision;
use orrery_engine::metrics::accounting::Account;
use orrery_engine::scenario::{Scenario, VmTypeSection};
use orrery_engine::time::Millis;
use orrery_engine::view::{HostId, VmId};

use super::build::VmPlan;
use super::Simulator;

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

    fn current(&self) -> &str {
        match self.current {
            DecisionKind::Placement => &self.placement,
            DecisionKind::Reallocation => &self.reallocation,
            DecisionKind::Admission => "admission",
            DecisionKind::Elasticity => "elasticity",
        }
    }
}

impl Simulator {
    /// Records that `actor` took `action` on `vm` / `host`: `Ok(detail)` or `Err(why refused)`.
    pub(super) fn audit(
        &mut self,
        actor: &str,
        action: &'static str,
        vm: Option<VmId>,
        host: Option<HostId>,
        result: Result<String, String>,
    ) {
        self.record
            .audit(self.view.now, actor, action, vm, host, result);
    }

    /// Records a policy's action and the answer it got.
    pub(super) fn audit_action(&mut self, action: &Action, result: &ActionResult) {
        let (kind, vm, host, reason) = match action {
            Action::Deploy { vm, host } => ("deploy", Some(*vm), Some(*host), None),
            Action::Reject { vm, reason } => ("reject", Some(*vm), None, Some(reason.clone())),
            Action::Defer { vm, reason } => ("defer", Some(*vm), None, Some(reason.clone())),
            Action::Migrate { vm, to } => ("migrate", Some(*vm), Some(*to), None),
            Action::Suspend { vm } => ("suspend", Some(*vm), None, None),
            Action::Resume { vm } => ("resume", Some(*vm), None, None),
            Action::Shutdown { vm } => ("shutdown", Some(*vm), None, None),
            Action::Resize { vm, .. } => ("resize", Some(*vm), None, Some(action.to_string())),
            Action::PowerOn { host } => ("power-on", None, Some(*host), None),
            Action::PowerOff { host } => ("power-off", None, Some(*host), None),
            Action::AdmitService { .. } => ("admit-service", None, None, Some(action.to_string())),
            Action::RejectService { .. } => {
                ("reject-service", None, None, Some(action.to_string()))
            }
            Action::ScaleRole { .. } => ("scale-role", None, None, Some(action.to_string())),
        };
        let result = match result {
            Ok(()) => Ok(reason.unwrap_or_default()),
            Err(e) => Err(e.clone()),
        };
        let actor = self.actors.current().to_string();
        self.audit(&actor, kind, vm, host, result);
    }
}
