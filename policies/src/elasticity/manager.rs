//! The service manager's elasticity: every role's rules from the scenario, applied to the
//! metrics monitoring delivered.
//!
//! A role scales horizontally by OneFlow rules ([`OneFlowScaler`]: `elasticity_policies`,
//! `scheduled_policies`, with the role's `min_vms`, `max_vms` and `cooldown`) or by target
//! tracking ([`HpaScaler`]: `target_tracking`, bounded by the role's `min_vms` and `max_vms`),
//! not both; and optionally vertically (`vertical`, a [`VerticalRule`]).
//!
//! At each delivery ([`Elasticity::scale`]), for every live service and every role with rules:
//!
//! * when the role has left [`RolePhase::Scaling`] since the scaler decided, the scaler is told
//!   when scaling finished: [`RoleView::phase_since`] if the role is cooling down, else that
//!   time less the cooldown (the cooldown is over);
//! * rules are evaluated only while the role is [`RolePhase::Running`] (OneFlow evaluates
//!   nothing while a role deploys, scales or cools down), on the delivered metrics of the
//!   role's running VMs; each scaler keeps its own period bookkeeping;
//! * a decision that differs from the role's cardinality becomes [`Action::ScaleRole`], with
//!   the cooldown of the rule that fired (else the role's, else OneFlow's 300 s; 0 for target
//!   tracking, which stabilises through its windows). A scale-out is clamped to what the
//!   tenant's quota and vDC allocation still allow ([`Ledger::headroom`]), charged as it is
//!   decided so that later roles see it;
//! * when no horizontal action is taken, the vertical rule resizes the role's running VMs
//!   (growth within the quota), at most once per role cooldown.

use std::collections::BTreeMap;

use orrery_engine::model::{RolePhase, RoleView, ServiceView, VmState};
use orrery_engine::policy::Elasticity;
use orrery_engine::rng::Rng;
use orrery_engine::scenario::{Scenario, ServiceRoleSection};
use orrery_engine::time::{Millis, SECOND};
use orrery_engine::{Action, ClusterView, InputError};
use serde::de::DeserializeOwned;

use super::hpa::{HpaScaler, TargetTracking};
use super::oneflow::{
    ElasticityPolicy, OneFlowScaler, Outcome, Phase, RoleElasticity, ScheduledPolicy,
    DEFAULT_COOLDOWN_S,
};
use super::schedule::{parse_start_time, Epoch};
use super::vertical::{resize, VerticalRule, VmSize};
use super::RoleMetrics;
use crate::tenancy::ledger::{size_of, vm_type_size, Ledger, Tenants};
use crate::tenancy::Resources;

/// How a role scales horizontally.
enum Horizontal {
    OneFlow(OneFlowScaler),
    TargetTracking(HpaScaler),
}

/// One role's rules and what the manager remembers about it.
struct RoleRules {
    horizontal: Option<Horizontal>,
    vertical: Option<VerticalRule>,
    /// Seconds between two resizes (the role's cooldown, else OneFlow's default).
    resize_pause: Millis,
    last_resize: Option<Millis>,
}

/// Elasticity for a scenario's services (see the module docs).
pub struct ServiceElasticity {
    tenants: Tenants,
    /// By service name, then role name.
    rules: BTreeMap<String, BTreeMap<String, RoleRules>>,
}

/// The scenario's `epoch`: Unix seconds or a UTC date and time; 0 when absent.
pub fn epoch(scenario: &Scenario) -> Result<Epoch, InputError> {
    let bad = |message: String| {
        scenario
            .error_at("epoch", message)
            .hint("write Unix seconds (1704067200) or \"2024-01-01 00:00:00\" (UTC)")
    };
    let unix_at_zero = match &scenario.spec.epoch {
        None => 0,
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| bad(format!("{n} is not whole seconds")))?,
        Some(serde_json::Value::String(s)) => {
            parse_start_time(s).map_err(|e| bad(format!("column {}: {}", e.column, e.message)))?
        }
        Some(other) => return Err(bad(format!("{other} is not a time"))),
    };
    Ok(Epoch { unix_at_zero })
}

impl ServiceElasticity {
    /// The rules of every role of `scenario`'s services, parsed; errors name the key
    /// (`services[0].roles[1].elasticity_policies[0].expression`).
    pub fn from_scenario(scenario: &Scenario) -> Result<ServiceElasticity, InputError> {
        let epoch = epoch(scenario)?;
        let mut rules = BTreeMap::new();
        for (s, svc) in scenario.spec.services.iter().enumerate() {
            let mut roles = BTreeMap::new();
            for (r, role) in svc.roles.iter().enumerate() {
                let at = format!("services[{s}].roles[{r}]");
                roles.insert(role.name.clone(), role_rules(scenario, &at, role, epoch)?);
            }
            rules.insert(svc.name.clone(), roles);
        }
        Ok(ServiceElasticity {
            tenants: Tenants::from_scenario(scenario)?,
            rules,
        })
    }

    /// Whether any role has a rule (without one, elasticity has nothing to do).
    pub fn has_rules(&self) -> bool {
        self.rules
            .values()
            .flat_map(BTreeMap::values)
            .any(|r| r.horizontal.is_some() || r.vertical.is_some())
    }
}

/// `value` as a `T`, with errors located under `key`.
fn parse_json<T: DeserializeOwned>(
    scenario: &Scenario,
    key: &str,
    value: &serde_json::Value,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let key = if path == "." {
            key.to_owned()
        } else {
            format!("{key}.{path}")
        };
        scenario
            .error_at(&key, e.inner().to_string())
            .hint("see scenarios/README.md for the rule keys")
    })
}

/// Moves an error from `OneFlowScaler` or `TargetTracking` (keyed within the role) to the
/// role's place in the scenario.
fn relocate(scenario: &Scenario, at: &str, e: InputError) -> InputError {
    let key = match &e.key {
        Some(k) => format!("{at}.{k}"),
        None => at.to_owned(),
    };
    let mut located = scenario.error_at(&key, e.message);
    located.hint = e.hint;
    located
}

fn role_rules(
    scenario: &Scenario,
    at: &str,
    role: &ServiceRoleSection,
    epoch: Epoch,
) -> Result<RoleRules, InputError> {
    let oneflow = !(role.elasticity_policies.is_empty() && role.scheduled_policies.is_empty());
    if oneflow && role.target_tracking.is_some() {
        return Err(scenario
            .error_at(
                &format!("{at}.target_tracking"),
                "a role scales by OneFlow rules or by target tracking, not both",
            )
            .hint("pick one: remove `target_tracking` or the OneFlow policies"));
    }
    let horizontal = if oneflow {
        let mut spec = RoleElasticity {
            min_vms: Some(role.min()),
            max_vms: Some(role.max()),
            cooldown: role.cooldown,
            ..RoleElasticity::default()
        };
        for (i, p) in role.elasticity_policies.iter().enumerate() {
            let key = format!("{at}.elasticity_policies[{i}]");
            spec.elasticity_policies
                .push(parse_json::<ElasticityPolicy>(scenario, &key, p)?);
        }
        for (i, p) in role.scheduled_policies.iter().enumerate() {
            let key = format!("{at}.scheduled_policies[{i}]");
            spec.scheduled_policies
                .push(parse_json::<ScheduledPolicy>(scenario, &key, p)?);
        }
        let scaler = OneFlowScaler::new(spec, epoch, &scenario.file)
            .map_err(|e| relocate(scenario, at, e))?;
        Some(Horizontal::OneFlow(scaler))
    } else if let Some(tt) = &role.target_tracking {
        let key = format!("{at}.target_tracking");
        let mut tt = tt.clone();
        if let Some(obj) = tt.as_object_mut() {
            for bound in ["min_vms", "max_vms"] {
                if obj.contains_key(bound) {
                    return Err(scenario
                        .error_at(&format!("{key}.{bound}"), "the role's bounds apply")
                        .hint(format!("set `{bound}` on the role, not in `target_tracking`")));
                }
            }
            obj.insert("min_vms".into(), role.min().into());
            obj.insert("max_vms".into(), role.max().into());
        }
        let rule: TargetTracking = parse_json(scenario, &key, &tt)?;
        rule.validate(&scenario.file).map_err(|e| {
            // The bounds are the role's own keys.
            let on_role = matches!(e.key.as_deref(), Some("min_vms" | "max_vms"));
            relocate(scenario, if on_role { at } else { &key }, e)
        })?;
        Some(Horizontal::TargetTracking(HpaScaler::new(rule)))
    } else {
        None
    };
    let vertical = match &role.vertical {
        Some(v) => {
            let key = format!("{at}.vertical");
            let rule: VerticalRule = parse_json(scenario, &key, v)?;
            check_vertical(scenario, &key, role, &rule)?;
            Some(rule)
        }
        None => None,
    };
    Ok(RoleRules {
        horizontal,
        vertical,
        resize_pause: role.cooldown.unwrap_or(DEFAULT_COOLDOWN_S) * SECOND,
        last_resize: None,
    })
}

fn check_vertical(
    scenario: &Scenario,
    key: &str,
    role: &ServiceRoleSection,
    rule: &VerticalRule,
) -> Result<(), InputError> {
    for (name, target) in [
        ("target_cpu", rule.target_cpu),
        ("target_memory", rule.target_memory),
    ] {
        if !(target.is_finite() && target > 0.0) {
            return Err(scenario
                .error_at(&format!("{key}.{name}"), format!("{target} is not a positive percentage"))
                .hint("e.g. 60 keeps the VMs at 60 % utilisation"));
        }
    }
    if !(0.0..1.0).contains(&rule.tolerance) {
        return Err(scenario
            .error_at(&format!("{key}.tolerance"), format!("{} is not in [0, 1)", rule.tolerance))
            .hint("0.1 ignores deviations of up to 10 %"));
    }
    let types = scenario.vm_types();
    let ty = scenario.vm_type_index(&role.vm_type).map(|t| &types[t]);
    if let Some(ty) = ty {
        if rule.min.vcpus == 0
            || rule.min.vcpus > ty.max_vcpus
            || rule.min.memory_mb as f64 > ty.max_memory_mb
        {
            return Err(scenario
                .error_at(
                    &format!("{key}.min"),
                    format!(
                        "the least size must be at least 1 vCPU and within the VM type's \
                         maximum ({} vCPUs, {} MB)",
                        ty.max_vcpus, ty.max_memory_mb
                    ),
                )
                .hint("raise the VM type's `max_vcpus` / `max_memory_mb` or lower `min`"));
        }
    }
    Ok(())
}

/// The delivered metrics of `role`'s running VMs.
fn role_metrics(view: &ClusterView, role: &RoleView) -> RoleMetrics {
    RoleMetrics::from_vms(
        role.vms
            .iter()
            .filter(|&&v| view.vms[v].state == VmState::Running)
            .map(|&v| view.vms[v].metrics.iter().map(|(k, x)| (k, *x))),
    )
}

impl Horizontal {
    /// Tells the scaler that scaling finished once the role has left `Scaling`.
    fn observe(&mut self, role: &RoleView) {
        let Horizontal::OneFlow(scaler) = self else {
            return;
        };
        if let Phase::Scaling { cooldown } = scaler.phase() {
            match role.phase {
                RolePhase::Cooldown => scaler.scaling_finished(role.phase_since),
                RolePhase::Running => {
                    scaler.scaling_finished(role.phase_since.saturating_sub(cooldown))
                }
                _ => {}
            }
        }
    }

    /// The cardinality and cooldown (seconds) the rules ask for, if they change it.
    fn decide(&mut self, now: Millis, role: &RoleView, metrics: &RoleMetrics) -> Option<(u32, u64)> {
        let decision = match self {
            Horizontal::OneFlow(scaler) => match scaler.evaluate(now, role.cardinality, metrics) {
                Outcome::Scale(d) => d,
                _ => return None,
            },
            Horizontal::TargetTracking(scaler) => scaler.evaluate(now, role.cardinality, metrics)?,
        };
        (decision.to != role.cardinality).then_some((decision.to, decision.cooldown / SECOND))
    }
}

impl RoleRules {
    /// `Resize` actions for `role`'s running VMs, growth charged to `ledger` if it fits.
    fn resizes(
        &mut self,
        view: &ClusterView,
        svc: &ServiceView,
        role: &RoleView,
        metrics: &RoleMetrics,
        ledger: &mut Ledger,
    ) -> Vec<Action> {
        let Some(rule) = &self.vertical else {
            return Vec::new();
        };
        if self.last_resize.is_some_and(|t| view.now < t + self.resize_pause) {
            return Vec::new();
        }
        let ty = &view.vm_types[role.vm_type];
        let max = VmSize {
            vcpus: ty.max_vcpus,
            memory_mb: ty.max_memory_mb.floor() as u64,
        };
        let mut plan = Vec::new();
        for &v in role.vms.iter().filter(|&&v| view.vms[v].state == VmState::Running) {
            let now = size_of(view, v);
            let current = VmSize {
                vcpus: now.vcpus,
                memory_mb: now.memory_mb,
            };
            let Some(new) = resize(rule, current, max, metrics) else {
                continue;
            };
            let growth = Resources {
                vms: 0,
                vcpus: new.vcpus.saturating_sub(current.vcpus),
                memory_mb: new.memory_mb.saturating_sub(current.memory_mb),
            };
            if ledger.check(svc, growth).is_err() {
                continue;
            }
            ledger.charge(svc, growth);
            plan.push(Action::Resize {
                vm: v,
                vcpus: (new.vcpus != current.vcpus).then_some(new.vcpus),
                memory_mb: (new.memory_mb != current.memory_mb).then_some(new.memory_mb as f64),
            });
        }
        if !plan.is_empty() {
            self.last_resize = Some(view.now);
        }
        plan
    }
}

impl Elasticity for ServiceElasticity {
    fn scale(&mut self, view: &ClusterView, _rng: &mut Rng) -> Vec<Action> {
        let mut ledger = self.tenants.ledger(view);
        let mut plan = Vec::new();
        for (service, svc) in view.services.iter().enumerate() {
            if !svc.state.is_live() {
                continue;
            }
            let Some(roles) = self.rules.get_mut(&svc.name) else {
                continue;
            };
            for (r, role) in svc.roles.iter().enumerate() {
                let Some(rules) = roles.get_mut(&role.name) else {
                    continue;
                };
                if let Some(h) = rules.horizontal.as_mut() {
                    h.observe(role);
                }
                if role.phase != RolePhase::Running {
                    continue;
                }
                let metrics = role_metrics(view, role);
                let decided = rules
                    .horizontal
                    .as_mut()
                    .and_then(|h| h.decide(view.now, role, &metrics));
                if let Some((mut to, cooldown_s)) = decided {
                    if to > role.cardinality {
                        let unit = vm_type_size(view, role.vm_type);
                        let room = ledger.headroom(svc, unit, to - role.cardinality);
                        ledger.charge(svc, unit.times(room));
                        to = role.cardinality + room;
                    }
                    if to != role.cardinality {
                        plan.push(Action::ScaleRole {
                            service,
                            role: r,
                            cardinality: to,
                            cooldown_s,
                        });
                    }
                    continue;
                }
                plan.extend(rules.resizes(view, svc, role, &metrics, &mut ledger));
            }
        }
        plan
    }
}
