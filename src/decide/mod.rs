//! `orrery decide`: one decision of the configured policies, offline, on a cluster described
//! by a state file ([`orrery_engine::state_file`]). Each decision (placement of the pending
//! VMs, a reallocation round, the services' elasticity) is made on the state as given,
//! independently of the others, by the same policies `run` and `live` build; the answer names
//! hosts, VMs and roles ([`Decisions`]), in a versioned JSON format documented in
//! docs/decide.md.

use std::collections::BTreeMap;

use orrery_engine::action::Action;
use orrery_engine::control::LoopStats;
use orrery_engine::error::InputError;
use orrery_engine::infra::Decision;
use orrery_engine::model::VmState;
use orrery_engine::policy::{PolicyConfig, StandaloneServices};
use orrery_engine::view::ClusterView;
use orrery_policies::elasticity::manager::ServiceElasticity;
use orrery_policies::registry;
use serde::Serialize;

use orrery_engine::state_file::State;

/// The `format` of every answer.
pub const FORMAT: &str = "orrery-decisions/1";

/// Which decisions to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Where the pending VMs go.
    Placement,
    /// One round of the reallocation policy.
    Reallocation,
    /// The services' roles' cardinalities.
    Elasticity,
}

impl Kind {
    /// Every kind, in the order a control-loop round makes them.
    pub const ALL: [Kind; 3] = [Kind::Elasticity, Kind::Placement, Kind::Reallocation];

    fn name(self) -> &'static str {
        match self {
            Kind::Placement => "placement",
            Kind::Reallocation => "reallocation",
            Kind::Elasticity => "elasticity",
        }
    }
}

/// The answer: each decision made, with its actions by name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decisions {
    /// `orrery-decisions/1`.
    pub format: &'static str,
    /// The moment decided at, seconds.
    pub now_s: f64,
    /// One entry per decision made, in the order asked.
    pub decisions: Vec<Made>,
    /// What each role's scaler carries to its next evaluation, by service and role, in the
    /// state file's `[roles.SERVICE.ROLE]` form: put it back in the state to decide again later.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, BTreeMap<String, RoleHistory>>,
}

/// A role's scaler state after the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleHistory {
    /// As the state file's `history` key takes it.
    pub history: serde_json::Value,
}

/// One decision and what it asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Made {
    /// `placement`, `reallocation` or `elasticity`.
    pub decision: &'static str,
    /// The policy that made it (for elasticity: the roles' rules, or the extension named).
    pub policy: String,
    /// Its actions, in order.
    pub actions: Vec<Step>,
    /// Why nothing was decided, when nothing could be (no pending VM, no reallocation policy,
    /// no rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// One action, by names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The action's kind (`deploy`, `migrate`, `power-off`, `scale-role`, …).
    pub kind: &'static str,
    /// The VM it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm: Option<String>,
    /// The VM's host now (a migration's source, a shutdown's host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The host it names (a deploy's or migration's destination, a power action's host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The service a role action concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The role it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A role's cardinality before the action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_vms: Option<u32>,
    /// A role's new cardinality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_vms: Option<u32>,
    /// Seconds a scaled role cools down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_s: Option<u64>,
    /// A resize's vCPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    /// A resize's memory, MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<f64>,
    /// Why (a rejection's or deferral's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Makes the decisions `kinds` asks for on `state`.
pub fn decide(state: &State, kinds: &[Kind]) -> Result<Decisions, InputError> {
    let view = state.view();
    let mut os = registry::cloud_os(state, state.spec.seed)?;
    let p = &state.spec.policies;
    // The roles' own rules are decided here rather than through the cloud OS: their scalers
    // resume from the state's histories, and each scaling comes back with its reason.
    let mut rules = match (&p.elasticity, state.standalone_services()) {
        (None, Some(services)) => Some(resumed(state, services)?),
        _ => None,
    };
    let mut decisions = Vec::new();
    for &kind in kinds {
        if let (Kind::Elasticity, Some(e)) = (kind, rules.as_mut()) {
            let decided = e.decide(&view);
            decisions.push(Made {
                decision: kind.name(),
                policy: "the roles' rules".into(),
                actions: decided
                    .iter()
                    .map(|(a, why)| Step {
                        reason: why.clone(),
                        ..step(&view, a)
                    })
                    .collect(),
                skipped: (!e.has_rules()).then(|| "no role has a rule".into()),
            });
            continue;
        }
        let mut stats = LoopStats::default();
        let (policy, decision, skipped) = match kind {
            Kind::Placement => {
                let pending: Vec<usize> = (0..view.vms.len())
                    .filter(|&v| view.vms[v].state == VmState::Pending)
                    .collect();
                let none = pending.is_empty().then(|| "no VM is pending".to_string());
                (p.placement.clone(), Decision::Place(pending), none)
            }
            Kind::Reallocation => (
                p.reallocation.clone(),
                Decision::Reallocate,
                (p.reallocation == "none").then(|| "no reallocation policy".to_string()),
            ),
            Kind::Elasticity => (
                p.elasticity
                    .clone()
                    .unwrap_or_else(|| "the roles' rules".into()),
                Decision::Scale,
                None,
            ),
        };
        let (actions, skipped) = match skipped {
            Some(why) => (Vec::new(), Some(why)),
            None => match os.decide(decision, &view, &mut stats) {
                Some(plan) => (plan, None),
                None if view.services.is_empty() => (Vec::new(), Some("no service".into())),
                None => (Vec::new(), Some("no role has a rule".into())),
            },
        };
        decisions.push(Made {
            decision: kind.name(),
            policy,
            actions: actions.iter().map(|a| step(&view, a)).collect(),
            skipped,
        });
    }
    let mut roles: BTreeMap<String, BTreeMap<String, RoleHistory>> = BTreeMap::new();
    if let Some(e) = &rules {
        for svc in &state.spec.services {
            for role in &svc.roles {
                if let Some(history) = e.history(&svc.name, &role.name) {
                    roles
                        .entry(svc.name.clone())
                        .or_default()
                        .insert(role.name.clone(), RoleHistory { history });
                }
            }
        }
    }
    Ok(Decisions {
        format: FORMAT,
        now_s: state.spec.now_s,
        decisions,
        roles,
    })
}

/// The roles' rules of `state`'s services, each scaler resumed from the history the state
/// gives it.
fn resumed(
    state: &State,
    services: StandaloneServices<'_>,
) -> Result<ServiceElasticity, InputError> {
    let mut e = ServiceElasticity::from_standalone(state, services)?;
    for (svc, roles) in &state.spec.roles {
        for (role, record) in roles {
            if let Some(history) = &record.history {
                e.resume(svc, role, history, state.source.path())
                    .map_err(|m| {
                        state
                            .error_at(&format!("roles.{svc}.{role}.history"), m)
                            .hint("give the history a previous answer returned for this role")
                    })?;
            }
        }
    }
    Ok(e)
}

/// `action` by names, on `view`.
fn step(view: &ClusterView, action: &Action) -> Step {
    let vm = |v: usize| view.vms.get(v).map(|x| x.name.clone());
    let host = |h: usize| view.hosts.get(h).map(|x| x.name.clone());
    let at = |v: usize| view.vms.get(v).and_then(|x| x.host).and_then(host);
    let mut s = Step {
        kind: action.kind(),
        vm: None,
        from: None,
        host: None,
        service: None,
        role: None,
        from_vms: None,
        to_vms: None,
        cooldown_s: None,
        vcpus: None,
        memory_mb: None,
        reason: None,
    };
    match action {
        Action::Deploy { vm: v, host: h } => {
            s.vm = vm(*v);
            s.host = host(*h);
        }
        Action::Reject { vm: v, reason } | Action::Defer { vm: v, reason } => {
            s.vm = vm(*v);
            s.reason = Some(reason.clone());
        }
        Action::Migrate { vm: v, to } => {
            s.vm = vm(*v);
            s.from = at(*v);
            s.host = host(*to);
        }
        Action::Suspend { vm: v } | Action::Resume { vm: v } | Action::Shutdown { vm: v } => {
            s.vm = vm(*v);
            s.from = at(*v);
        }
        Action::Resize {
            vm: v,
            vcpus,
            memory_mb,
        } => {
            s.vm = vm(*v);
            s.from = at(*v);
            s.vcpus = *vcpus;
            s.memory_mb = *memory_mb;
        }
        Action::PowerOn { host: h } | Action::PowerOff { host: h } => s.host = host(*h),
        Action::AdmitService { service } => {
            s.service = view.services.get(*service).map(|x| x.name.clone());
        }
        Action::RejectService { service, reason } => {
            s.service = view.services.get(*service).map(|x| x.name.clone());
            s.reason = Some(reason.clone());
        }
        Action::ScaleRole {
            service,
            role,
            cardinality,
            cooldown_s,
        } => {
            let svc = view.services.get(*service);
            let r = svc.and_then(|x| x.roles.get(*role));
            s.service = svc.map(|x| x.name.clone());
            s.role = r.map(|x| x.name.clone());
            s.from_vms = r.map(|x| x.cardinality);
            s.to_vms = Some(*cardinality);
            s.cooldown_s = Some(*cooldown_s);
        }
    }
    s
}
