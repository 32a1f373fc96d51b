//! Services (vApps): groups of VMs in roles (tiers) with deployment dependencies, a lifecycle
//! and elasticity, as policies see them.
//!
//! The infrastructure owns the mechanism (creating a role's VMs, tracking the lifecycle, the
//! request-level load); admission and elasticity policies read a [`ServiceView`] and answer
//! with [`crate::Action::AdmitService`], [`crate::Action::RejectService`] and
//! [`crate::Action::ScaleRole`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::VmId;
use crate::time::Millis;

/// Index of a service in [`crate::ClusterView::services`].
pub type ServiceId = usize;

/// Where a VM belongs in a service: the service and the index of its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ServiceSlot {
    /// The service.
    pub service: ServiceId,
    /// Index into [`ServiceView::roles`].
    pub role: usize,
}

/// A service's lifecycle, after OneFlow's service states (plus vCloud's suspension on lease
/// expiry and admission control's verdicts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceState {
    /// Not submitted yet.
    Future,
    /// Submitted, waiting for admission control.
    Pending,
    /// Refused by admission control (final).
    Rejected,
    /// Admitted; roles are being deployed in dependency order.
    Deploying,
    /// Every role runs its cardinality.
    Running,
    /// A role is adding or removing VMs.
    Scaling,
    /// A role finished scaling and waits out its cooldown.
    Cooldown,
    /// A role runs fewer VMs than its cardinality (a crash, a failed host) and is not scaling.
    Warning,
    /// Its runtime lease expired: its VMs are suspended.
    Suspended,
    /// Its VMs are being shut down.
    Undeploying,
    /// Every VM has stopped (final).
    Done,
}

impl ServiceState {
    /// The name used in outputs (`running`, `cooldown`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ServiceState::Future => "future",
            ServiceState::Pending => "pending",
            ServiceState::Rejected => "rejected",
            ServiceState::Deploying => "deploying",
            ServiceState::Running => "running",
            ServiceState::Scaling => "scaling",
            ServiceState::Cooldown => "cooldown",
            ServiceState::Warning => "warning",
            ServiceState::Suspended => "suspended",
            ServiceState::Undeploying => "undeploying",
            ServiceState::Done => "done",
        }
    }

    /// Whether the service has been admitted and not finished: it runs (or is deploying) VMs
    /// and its roles may be scaled.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            ServiceState::Deploying
                | ServiceState::Running
                | ServiceState::Scaling
                | ServiceState::Cooldown
                | ServiceState::Warning
        )
    }
}

impl ServiceState {
    /// A running service's state from its roles' phases, as OneFlow derives it: deploying
    /// while a role waits or deploys, then scaling or cooling down while a role does.
    pub fn of_phases(phases: impl IntoIterator<Item = RolePhase> + Clone) -> ServiceState {
        let any = |p: RolePhase| phases.clone().into_iter().any(|x| x == p);
        if any(RolePhase::Waiting) || any(RolePhase::Deploying) {
            ServiceState::Deploying
        } else if any(RolePhase::Scaling) {
            ServiceState::Scaling
        } else if any(RolePhase::Cooldown) {
            ServiceState::Cooldown
        } else {
            ServiceState::Running
        }
    }
}

/// A role's own phase in the scaling cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RolePhase {
    /// Waiting for the roles it depends on to run.
    Waiting,
    /// Its first VMs are being deployed.
    Deploying,
    /// Runs its cardinality.
    Running,
    /// VMs are being added or removed to reach a new cardinality.
    Scaling,
    /// Scaling finished at [`RoleView::phase_since`]; no rule fires until the cooldown ends.
    Cooldown,
}

/// One role (tier) of a service as policies see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleView {
    /// Role name (unique in its service).
    pub name: String,
    /// Index into [`crate::ClusterView::vm_types`]: the template its VMs are made from.
    pub vm_type: usize,
    /// The number of VMs the role should run (its cardinality).
    pub cardinality: u32,
    /// Least cardinality elasticity may set.
    pub min_vms: u32,
    /// Greatest cardinality elasticity may set.
    pub max_vms: u32,
    /// Roles (indices in the same service) that must run before this one deploys.
    pub depends_on: Vec<usize>,
    /// Its VMs that have not stopped or failed for good, oldest first.
    pub vms: Vec<VmId>,
    /// Its phase in the scaling cycle.
    pub phase: RolePhase,
    /// When the role entered `phase`.
    pub phase_since: Millis,
    /// When the cooldown under way ends (meaningful in [`RolePhase::Cooldown`]).
    pub cooldown_until: Millis,
}

/// One service as policies see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceView {
    /// Service name.
    pub name: String,
    /// The organisation that owns it.
    pub tenant: String,
    /// The member of the organisation who submitted it.
    pub user: String,
    /// The tenant's virtual datacenter it draws from (`None`: the organisation's default).
    pub vdc: Option<String>,
    /// Lifecycle state.
    pub state: ServiceState,
    /// When it was (or will be) submitted.
    pub submitted: Millis,
    /// Roles, in file order.
    pub roles: Vec<RoleView>,
    /// Application KPIs as monitoring last delivered them (`RESPONSE_TIME`, `THROUGHPUT`, ...).
    pub kpis: BTreeMap<String, f64>,
    /// Why admission control rejected it.
    pub rejection: Option<String>,
}

impl ServiceView {
    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.name == name)
    }
}
