//! The service manager's elasticity: every role's rules from the scenario, applied to the
//! metrics monitoring delivered.
//!
//! A role scales horizontally by OneFlow rules ([`OneFlowScaler`]: `elasticity_policies`,
//! `scheduled_policies`, with the role's `min_vms`, `max_vms` and `cooldown`) or by target
//! tracking (`target_tracking`, bounded by the role's `min_vms` and `max_vms`: [`RatioScaler`],
//! or [`HpaScaler`] with `mode = "hpa"`), not both; and optionally vertically (`vertical`, a
//! [`VerticalRule`]).
//!
//! At each delivery ([`Elasticity::scale`]), for every live service and every role with rules:
//!
//! * when the role has left [`RolePhase::Scaling`] since the scaler decided, the scaler is told
//!   when scaling finished: [`RoleView::phase_since`] if the role is cooling down, else that
//!   time less the cooldown (the cooldown is over);
//! * rules are evaluated only while the role is [`RolePhase::Running`] (OneFlow evaluates
//!   nothing while a role deploys, scales or cools down), on the delivered metrics of the
//!   role's running VMs; each scaler keeps its own period bookkeeping;
//! * with `autoscaler = "oneflow"` ([`Autoscaler::OneFlow`]) a service's OneFlow rules are
//!   evaluated only at the ticks of OneFlow's loop and only while the whole service is
//!   [`ServiceState::Running`]; once one of its roles scales, the others' rules are evaluated
//!   but refused at that tick ([`ServiceGate`]); OneFlow has neither target tracking nor
//!   vertical rules, so such a service may not use them;
//! * a decision that differs from the role's cardinality becomes [`Action::ScaleRole`], with
//!   the cooldown of the rule that fired (else the role's, else OneFlow's 300 s; 0 for target
//!   tracking, which stabilises through its windows). A scale-out is clamped to what the
//!   tenant's quota and vDC allocation still allow ([`Ledger::headroom`]), charged as it is
//!   decided so that later roles see it;
//! * when no horizontal action is taken, the vertical rule resizes the role's running VMs
//!   (growth within the quota), at most once per role cooldown.

use std::collections::BTreeMap;
use std::path::Path;

use orrery_engine::model::{RolePhase, RoleView, ServiceState, ServiceView, VmState};
use orrery_engine::policy::{Elasticity, PolicyConfig, StandaloneServices};
use orrery_engine::rng::Rng;
use orrery_engine::scenario::{Autoscaler, Scenario, ServiceRoleSection, ServiceSection};
use orrery_engine::time::{Millis, SECOND};
use orrery_engine::{Action, ClusterView, InputError};
use serde::de::DeserializeOwned;

use super::hpa::{HpaHistory, HpaRule, HpaScaler, Mode, RatioScaler, RoleSample, TargetTracking};
use super::oneflow::{
    ElasticityPolicy, OneFlowScaler, Outcome, Phase, RoleElasticity, ScheduledPolicy, ServiceGate,
    DEFAULT_COOLDOWN_S,
};
use super::oneflow_state::OneFlowState;
use super::schedule::{parse_start_time, Epoch};
use super::vertical::{resize, VerticalRule, VmSize};
use super::RoleMetrics;
use crate::tenancy::ledger::{size_of, vm_type_size, Ledger, Tenants};
use crate::tenancy::Resources;

/// How a role scales horizontally.
enum Horizontal {
    OneFlow(OneFlowScaler),
    TargetTracking(RatioScaler),
    Hpa(Box<HpaScaler>),
}

/// One role's rules and what the manager remembers about it.
struct RoleRules {
    horizontal: Option<Horizontal>,
    vertical: Option<VerticalRule>,
    /// Seconds between two resizes (the role's cooldown, else OneFlow's default).
    resize_pause: Millis,
    last_resize: Option<Millis>,
}

/// One service's autoscaler and its roles' rules, by role name.
struct ServiceRules {
    autoscaler: Autoscaler,
    roles: BTreeMap<String, RoleRules>,
}

/// Elasticity for a scenario's services (see the module docs).
pub struct ServiceElasticity {
    tenants: Tenants,
    /// By service name.
    rules: BTreeMap<String, ServiceRules>,
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
        Self::new(
            scenario,
            &scenario.spec.services,
            Tenants::from_scenario(scenario)?,
            epoch(scenario)?,
        )
    }

    /// The rules of every role of services described without a scenario (a live config's, a
    /// decide state's: no organisations, so scale-outs are bounded by the roles' `max_vms`
    /// alone).
    pub fn from_standalone(
        config: &dyn PolicyConfig,
        services: StandaloneServices<'_>,
    ) -> Result<ServiceElasticity, InputError> {
        Self::new(
            config,
            services.sections,
            Tenants::none(),
            Epoch {
                unix_at_zero: services.epoch_unix_s,
            },
        )
    }

    fn new(
        config: &dyn PolicyConfig,
        services: &[ServiceSection],
        tenants: Tenants,
        epoch: Epoch,
    ) -> Result<ServiceElasticity, InputError> {
        let mut rules = BTreeMap::new();
        for (s, svc) in services.iter().enumerate() {
            let mut roles = BTreeMap::new();
            for (r, role) in svc.roles.iter().enumerate() {
                let at = format!("services[{s}].roles[{r}]");
                let rules = role_rules(config, &at, role, epoch, svc.autoscaler)?;
                roles.insert(role.name.clone(), rules);
            }
            let autoscaler = svc.autoscaler;
            rules.insert(svc.name.clone(), ServiceRules { autoscaler, roles });
        }
        Ok(ServiceElasticity { tenants, rules })
    }

    /// Whether any role has a rule (without one, elasticity has nothing to do).
    pub fn has_rules(&self) -> bool {
        self.rules
            .values()
            .flat_map(|s| s.roles.values())
            .any(|r| r.horizontal.is_some() || r.vertical.is_some())
    }
}

/// `value` as a `T`, with errors located under `key`.
fn parse_json<T: DeserializeOwned>(
    config: &dyn PolicyConfig,
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
        config
            .error_at(&key, e.inner().to_string())
            .hint("see scenarios/README.md for the rule keys")
    })
}

/// Moves an error from `OneFlowScaler` or `TargetTracking` (keyed within the role) to the
/// role's place in the scenario.
fn relocate(config: &dyn PolicyConfig, at: &str, e: InputError) -> InputError {
    let key = match &e.key {
        Some(k) => format!("{at}.{k}"),
        None => at.to_owned(),
    };
    let mut located = config.error_at(&key, e.message);
    if e.hint.is_some() {
        located.hint = e.hint;
    }
    located
}

fn role_rules(
    config: &dyn PolicyConfig,
    at: &str,
    role: &ServiceRoleSection,
    epoch: Epoch,
    autoscaler: Autoscaler,
) -> Result<RoleRules, InputError> {
    if autoscaler == Autoscaler::OneFlow {
        let orrery_only = [
            ("target_tracking", role.target_tracking.is_some()),
            ("vertical", role.vertical.is_some()),
        ];
        if let Some((key, _)) = orrery_only.iter().find(|(_, set)| *set) {
            return Err(config
                .error_at(
                    &format!("{at}.{key}"),
                    format!("OneFlow's autoscaler has no `{key}`"),
                )
                .hint("use OneFlow rules, or orrery's autoscaler (`autoscaler = \"orrery\"`)"));
        }
    }
    let oneflow = !(role.elasticity_policies.is_empty() && role.scheduled_policies.is_empty());
    if oneflow && role.target_tracking.is_some() {
        return Err(config
            .error_at(
                &format!("{at}.target_tracking"),
                "a role scales by OneFlow rules or by target tracking, not both".into(),
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
                .push(parse_json::<ElasticityPolicy>(config, &key, p)?);
        }
        for (i, p) in role.scheduled_policies.iter().enumerate() {
            let key = format!("{at}.scheduled_policies[{i}]");
            spec.scheduled_policies
                .push(parse_json::<ScheduledPolicy>(config, &key, p)?);
        }
        let scaler = OneFlowScaler::new(spec, epoch, autoscaler, config.file())
            .map_err(|e| relocate(config, at, e))?;
        Some(Horizontal::OneFlow(scaler))
    } else if let Some(tt) = &role.target_tracking {
        let key = format!("{at}.target_tracking");
        let mut tt = tt.clone();
        if let Some(obj) = tt.as_object_mut() {
            for bound in ["min_vms", "max_vms"] {
                if obj.contains_key(bound) {
                    return Err(config
                        .error_at(&format!("{key}.{bound}"), "the role's bounds apply".into())
                        .hint(format!(
                            "set `{bound}` on the role, not in `target_tracking`"
                        )));
                }
            }
            obj.insert("min_vms".into(), role.min().into());
            obj.insert("max_vms".into(), role.max().into());
        }
        let mode = Mode::take(&mut tt).map_err(|message| {
            config
                .error_at(&format!("{key}.mode"), message)
                .hint("`ratio` (the default) or `hpa` (the Kubernetes controller)")
        })?;
        let located = |e: InputError| {
            // The bounds are the role's own keys.
            let on_role = matches!(e.key.as_deref(), Some("min_vms" | "max_vms"));
            relocate(config, if on_role { at } else { &key }, e)
        };
        Some(match mode {
            Mode::Ratio => {
                let rule: TargetTracking = parse_json(config, &key, &tt)?;
                rule.validate(config.file()).map_err(located)?;
                Horizontal::TargetTracking(RatioScaler::new(rule))
            }
            Mode::Hpa => {
                let rule: HpaRule = parse_json(config, &key, &tt)?;
                rule.validate(config.file()).map_err(located)?;
                Horizontal::Hpa(Box::new(HpaScaler::new(rule)))
            }
        })
    } else {
        None
    };
    let vertical = match &role.vertical {
        Some(v) => {
            let key = format!("{at}.vertical");
            let rule: VerticalRule = parse_json(config, &key, v)?;
            check_vertical(config, &key, role, &rule)?;
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
    config: &dyn PolicyConfig,
    key: &str,
    role: &ServiceRoleSection,
    rule: &VerticalRule,
) -> Result<(), InputError> {
    for (name, target) in [
        ("target_cpu", rule.target_cpu),
        ("target_memory", rule.target_memory),
    ] {
        if !(target.is_finite() && target > 0.0) {
            return Err(config
                .error_at(
                    &format!("{key}.{name}"),
                    format!("{target} is not a positive percentage"),
                )
                .hint("e.g. 60 keeps the VMs at 60 % utilisation"));
        }
    }
    if !(0.0..1.0).contains(&rule.tolerance) {
        return Err(config
            .error_at(
                &format!("{key}.tolerance"),
                format!("{} is not in [0, 1)", rule.tolerance),
            )
            .hint("0.1 ignores deviations of up to 10 %"));
    }
    let types = config.vm_types();
    let ty = types.iter().find(|t| t.name == role.vm_type);
    if let Some(ty) = ty {
        if rule.min.vcpus == 0
            || rule.min.vcpus > ty.max_vcpus
            || rule.min.memory_mb as f64 > ty.max_memory_mb
        {
            return Err(config
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

    /// The cardinality and cooldown (seconds) the rules ask for, if they change it, in a
    /// service that allows what `service` says, and why.
    fn decide(
        &mut self,
        view: &ClusterView,
        svc: &ServiceView,
        role: &RoleView,
        metrics: &RoleMetrics,
        service: ServiceGate,
    ) -> Option<(u32, u64, String)> {
        let decision = match self {
            Horizontal::OneFlow(scaler) => {
                match scaler.evaluate(view.now, role.cardinality, metrics, service) {
                    Outcome::Scale(d) => d,
                    _ => return None,
                }
            }
            Horizontal::TargetTracking(scaler) => {
                scaler.evaluate(view.now, role.cardinality, metrics)?
            }
            Horizontal::Hpa(scaler) => {
                scaler.evaluate(view.now, &RoleSample::from_view(view, svc, role))?
            }
        };
        (decision.to != role.cardinality).then(|| {
            let reason = format!("{} ({})", decision.reason, decision.rule);
            (decision.to, decision.cooldown / SECOND, reason)
        })
    }

    /// What the scaler carries to its next evaluation, as JSON (`None`: a ratio scaler's,
    /// which is not resumable).
    fn history(&self) -> Option<serde_json::Value> {
        let value = match self {
            Horizontal::OneFlow(scaler) => serde_json::to_value(scaler.state()),
            Horizontal::Hpa(scaler) => serde_json::to_value(scaler.history()),
            Horizontal::TargetTracking(_) => return None,
        };
        // Both are plain structures of numbers and lists.
        Some(value.expect("a scaler's state serialises"))
    }

    /// Resumes the scaler from `history` ([`Horizontal::history`]'s form); errors say what
    /// is wrong in words.
    fn resume(&mut self, history: &serde_json::Value, file: &Path) -> Result<(), String> {
        match self {
            Horizontal::OneFlow(scaler) => {
                let state: OneFlowState =
                    serde_path_to_error::deserialize(history).map_err(|e| e.to_string())?;
                scaler.restore(state, file).map_err(|e| {
                    let key = e.key.map(|k| format!("{k}: ")).unwrap_or_default();
                    format!("{key}{}", e.message)
                })
            }
            Horizontal::Hpa(scaler) => {
                let past: HpaHistory =
                    serde_path_to_error::deserialize(history).map_err(|e| e.to_string())?;
                **scaler = HpaScaler::resume(scaler.rule().clone(), past);
                Ok(())
            }
            Horizontal::TargetTracking(_) => Err(
                "target tracking in ratio mode keeps no resumable history (mode = \"hpa\" does)"
                    .into(),
            ),
        }
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
        if self
            .last_resize
            .is_some_and(|t| view.now < t + self.resize_pause)
        {
            return Vec::new();
        }
        let ty = &view.vm_types[role.vm_type];
        let max = VmSize {
            vcpus: ty.max_vcpus,
            memory_mb: ty.max_memory_mb.floor() as u64,
        };
        let mut plan = Vec::new();
        for &v in role
            .vms
            .iter()
            .filter(|&&v| view.vms[v].state == VmState::Running)
        {
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

impl ServiceElasticity {
    /// The actions the rules ask for on `view`, each with why (the rule that fired and what
    /// it saw; `None` for a resize).
    pub fn decide(&mut self, view: &ClusterView) -> Vec<(Action, Option<String>)> {
        let mut ledger = self.tenants.ledger(view);
        let mut plan = Vec::new();
        for (service, svc) in view.services.iter().enumerate() {
            let Some(ServiceRules { autoscaler, roles }) = self.rules.get_mut(&svc.name) else {
                continue;
            };
            // OneFlow's loop passes its ticks by every service, evaluating RUNNING ones only.
            let oneflow = *autoscaler == Autoscaler::OneFlow;
            let mut gate = match svc.state {
                ServiceState::Running => ServiceGate::Open,
                _ if oneflow => ServiceGate::Closed,
                state if state.is_live() => ServiceGate::Open,
                _ => continue,
            };
            for (r, role) in svc.roles.iter().enumerate() {
                let Some(rules) = roles.get_mut(&role.name) else {
                    continue;
                };
                if let Some(h) = rules.horizontal.as_mut() {
                    h.observe(role);
                }
                if !oneflow && role.phase != RolePhase::Running {
                    continue;
                }
                let metrics = role_metrics(view, role);
                let decided = rules
                    .horizontal
                    .as_mut()
                    .and_then(|h| h.decide(view, svc, role, &metrics, gate));
                if let Some((mut to, cooldown_s, mut reason)) = decided {
                    if to > role.cardinality {
                        let unit = vm_type_size(view, role.vm_type);
                        let room = ledger.headroom(svc, unit, to - role.cardinality);
                        ledger.charge(svc, unit.times(room));
                        if room < to - role.cardinality {
                            reason += &format!(
                                "; {} of {} more VMs within the tenant's quota",
                                room,
                                to - role.cardinality
                            );
                        }
                        to = role.cardinality + room;
                    }
                    if to != role.cardinality {
                        let action = Action::ScaleRole {
                            service,
                            role: r,
                            cardinality: to,
                            cooldown_s,
                        };
                        plan.push((action, Some(reason)));
                        if oneflow {
                            gate = ServiceGate::Scaling;
                        }
                    }
                    continue;
                }
                let resizes = rules.resizes(view, svc, role, &metrics, &mut ledger);
                plan.extend(resizes.into_iter().map(|a| (a, None)));
            }
        }
        plan
    }

    /// What role `role` of service `service` carries to its next evaluation, as JSON: a
    /// OneFlow scaler's `OneFlowState`, an `hpa` scaler's `HpaHistory` (`None`: no such role,
    /// no horizontal rule, or ratio target tracking, which is not resumable).
    pub fn history(&self, service: &str, role: &str) -> Option<serde_json::Value> {
        self.rules
            .get(service)?
            .roles
            .get(role)?
            .horizontal
            .as_ref()?
            .history()
    }

    /// Resumes role `role` of service `service` from `history` (the form
    /// [`ServiceElasticity::history`] gives), as if its scaler had lived through it; `file`
    /// names the source in errors. The error says what is wrong in words.
    pub fn resume(
        &mut self,
        service: &str,
        role: &str,
        history: &serde_json::Value,
        file: &Path,
    ) -> Result<(), String> {
        let rules = self
            .rules
            .get_mut(service)
            .and_then(|s| s.roles.get_mut(role))
            .ok_or_else(|| format!("no role `{role}` in a service `{service}`"))?;
        match rules.horizontal.as_mut() {
            Some(h) => h.resume(history, file),
            None => Err("the role has no horizontal rule to resume".into()),
        }
    }
}

impl Elasticity for ServiceElasticity {
    fn scale(&mut self, view: &ClusterView, _rng: &mut Rng) -> Vec<Action> {
        self.decide(view).into_iter().map(|(a, _)| a).collect()
    }
}

#[cfg(test)]
mod tests {
    use orrery_engine::model::{ServiceSlot, ServiceState};
    use orrery_engine::rng::RngStreams;
    use orrery_engine::VmId;

    use super::*;
    use crate::service_fixtures::{add_service, add_vm, deliver, parse, set_phase, text, view};

    const S: Millis = SECOND;
    const WEB: usize = 0;

    /// The text of a scenario with service `app` of `acme` whose role `web` (VM type web) has
    /// `role`'s keys; `orgs` comes before it, `top` at the top.
    fn one_role_text(top: &str, orgs: &str, role: &str) -> String {
        text(
            top,
            &format!(
                r#"
{orgs}
[[services]]
name = "app"
tenant = "acme"

[[services.roles]]
name = "web"
vm_type = "web"
{role}
"#
            ),
        )
    }

    fn one_role(orgs: &str, role: &str) -> Scenario {
        parse(&one_role_text("", orgs, role))
    }

    const ACME: &str = "[[organisations]]\nname = \"acme\"\n";

    /// The view of `s` with `app` running and its role at `cardinality` running VMs,
    /// alternately on both hosts.
    fn running(s: &Scenario, cardinality: u32) -> (ClusterView, Vec<VmId>) {
        let mut v = view(s);
        let app = add_service(
            &mut v,
            "app",
            "acme",
            None,
            ServiceState::Running,
            &[("web", WEB, cardinality)],
        );
        let slot = Some(ServiceSlot {
            service: app,
            role: 0,
        });
        let vms = (0..cardinality as usize)
            .map(|i| add_vm(&mut v, WEB, i % 2, slot))
            .collect();
        (v, vms)
    }

    fn all(v: &mut ClusterView, vms: &[VmId], metrics: &[(&str, f64)]) {
        for &vm in vms {
            deliver(v, vm, metrics);
        }
    }

    fn scale(e: &mut ServiceElasticity, v: &mut ClusterView, at: Millis) -> Vec<Action> {
        v.now = at;
        e.scale(v, &mut RngStreams::new(0).stream("elasticity", 0))
    }

    fn to(cardinality: u32, cooldown_s: u64) -> Vec<Action> {
        vec![Action::ScaleRole {
            service: 0,
            role: 0,
            cardinality,
            cooldown_s,
        }]
    }

    #[test]
    fn oneflow_change_fires_after_period_number_and_waits_out_scaling_and_cooldown() {
        let s = one_role(
            ACME,
            r#"cardinality = 2
min_vms = 1
max_vms = 4
elasticity_policies = [{ type = "CHANGE", adjust = 1, expression = "CPU > 80", period = 60, period_number = 2, cooldown = 120 }]"#,
        );
        let mut e = ServiceElasticity::from_scenario(&s).unwrap();
        let (mut v, vms) = running(&s, 2);
        all(&mut v, &vms, &[("CPU", 90.0)]);
        // True at 0 (1 of 2); 30 s is within the period; true again at 60: fires.
        assert_eq!(scale(&mut e, &mut v, 0), vec![]);
        assert_eq!(scale(&mut e, &mut v, 30 * S), vec![]);
        assert_eq!(scale(&mut e, &mut v, 60 * S), to(3, 120));
        // The role scales from 60 s to 100 s, then cools down until 220 s: nothing is
        // evaluated, however hot.
        v.services[0].roles[0].cardinality = 3;
        let third = add_vm(
            &mut v,
            WEB,
            0,
            Some(ServiceSlot {
                service: 0,
                role: 0,
            }),
        );
        set_phase(&mut v, 0, 0, RolePhase::Scaling, 60 * S);
        assert_eq!(scale(&mut e, &mut v, 90 * S), vec![]);
        set_phase(&mut v, 0, 0, RolePhase::Cooldown, 100 * S);
        all(&mut v, &[vms[0], vms[1], third], &[("CPU", 95.0)]);
        for t in [120, 180] {
            assert_eq!(scale(&mut e, &mut v, t * S), vec![]);
        }
        // Running again from 220 s: the count starts afresh, two true periods fire again.
        set_phase(&mut v, 0, 0, RolePhase::Running, 220 * S);
        assert_eq!(scale(&mut e, &mut v, 240 * S), vec![]);
        assert_eq!(scale(&mut e, &mut v, 270 * S), vec![]);
        assert_eq!(scale(&mut e, &mut v, 300 * S), to(4, 120));
    }

    #[test]
    fn a_metric_no_running_vm_delivers_makes_the_comparison_false() {
        let s = one_role(
            ACME,
            r#"cardinality = 3
min_vms = 1
max_vms = 4
cooldown = 30
elasticity_policies = [{ type = "CHANGE", adjust = -1, expression = "RT < 0.1" }]"#,
        );
        let mut e = ServiceElasticity::from_scenario(&s).unwrap();
        let (mut v, vms) = running(&s, 3);
        all(&mut v, &vms, &[("CPU", 10.0)]);
        // No RT at all: false (not RT = 0).
        assert_eq!(scale(&mut e, &mut v, 0), vec![]);
        // Only a VM that is not running reports RT: still false.
        deliver(&mut v, vms[2], &[("RT", 0.05)]);
        v.vms[vms[2]].state = VmState::Suspended;
        assert_eq!(scale(&mut e, &mut v, 10 * S), vec![]);
        // A running VM reports it: the mean over the reporting VMs is 0.05 < 0.1.
        v.vms[vms[2]].state = VmState::Running;
        assert_eq!(scale(&mut e, &mut v, 20 * S), to(2, 30));
    }

    #[test]
    fn target_tracking_ceils_the_ratio_and_stabilises_scale_down() {
        let s = one_role(
            ACME,
            r#"cardinality = 4
min_vms = 1
max_vms = 10
target_tracking = { metrics = [{ metric = "CPU_UTILIZATION", target = 60 }] }"#,
        );
        let mut e = ServiceElasticity::from_scenario(&s).unwrap();
        let (mut v, mut vms) = running(&s, 4);
        // 4 × 90 / 60 = 6, no cooldown.
        all(&mut v, &vms, &[("CPU_UTILIZATION", 90.0)]);
        assert_eq!(scale(&mut e, &mut v, 0), to(6, 0));
        v.services[0].roles[0].cardinality = 6;
        let slot = Some(ServiceSlot {
            service: 0,
            role: 0,
        });
        vms.extend((0..2).map(|_| add_vm(&mut v, WEB, 1, slot)));
        // 65 / 60 is within the 0.1 tolerance.
        all(&mut v, &vms, &[("CPU_UTILIZATION", 65.0)]);
        assert_eq!(scale(&mut e, &mut v, 30 * S), vec![]);
        // 6 × 20 / 60 = 2, held at 6 while the proposals of 0 s and 30 s (6) are within the
        // 300 s window; at 330 s only proposals after 30 s count.
        all(&mut v, &vms, &[("CPU_UTILIZATION", 20.0)]);
        assert_eq!(scale(&mut e, &mut v, 60 * S), vec![]);
        assert_eq!(scale(&mut e, &mut v, 329 * S), vec![]);
        assert_eq!(scale(&mut e, &mut v, 330 * S), to(2, 0));
    }

    #[test]
    fn vertical_rule_resizes_running_vms_within_the_type_maximum() {
        let s = one_role(
            ACME,
            r#"cooldown = 60
vertical = { target_cpu = 50, target_memory = 70, min = { vcpus = 1, memory_mb = 1024 } }"#,
        );
        let mut e = ServiceElasticity::from_scenario(&s).unwrap();
        let (mut v, vms) = running(&s, 1);
        // 2 × 90 / 50 = 3.6 → 4 vCPUs (the type's maximum); no memory metric: unchanged.
        all(&mut v, &vms, &[("CPU_UTILIZATION", 90.0)]);
        let grow = vec![Action::Resize {
            vm: vms[0],
            vcpus: Some(4),
            memory_mb: None,
        }];
        assert_eq!(scale(&mut e, &mut v, 0), grow);
        // Not again within the role's cooldown of 60 s.
        assert_eq!(scale(&mut e, &mut v, 59 * S), vec![]);
        // 2 × 200 / 50 = 8, capped at 4.
        all(&mut v, &vms, &[("CPU_UTILIZATION", 200.0)]);
        assert_eq!(scale(&mut e, &mut v, 60 * S), grow);
    }

    #[test]
    fn scale_out_is_clamped_to_the_quota() {
        // Quota 8 vCPUs; 2 web VMs use 4; the rule asks for 5 VMs: only 2 more fit.
        let s = one_role(
            "[[organisations]]\nname = \"acme\"\nquota = { vcpus = 8 }\n",
            r#"cardinality = 2
max_vms = 6
elasticity_policies = [{ type = "CARDINALITY", adjust = 5, expression = "CPU > 80" }]"#,
        );
        let mut e = ServiceElasticity::from_scenario(&s).unwrap();
        let (mut v, vms) = running(&s, 2);
        all(&mut v, &vms, &[("CPU", 90.0)]);
        assert_eq!(scale(&mut e, &mut v, 0), to(4, 300));
        // At the quota nothing is asked for.
        let (mut v, vms) = running(&s, 4);
        all(&mut v, &vms, &[("CPU", 90.0)]);
        let mut e = ServiceElasticity::from_scenario(&s).unwrap();
        assert_eq!(scale(&mut e, &mut v, 0), vec![]);
    }

    fn err(top: &str, role: &str) -> InputError {
        ServiceElasticity::from_scenario(&parse(&one_role_text(top, ACME, role)))
            .err()
            .expect("a bad rule")
    }

    #[test]
    fn bad_rules_are_located_errors() {
        let role = r#"max_vms = 3
elasticity_policies = [{ type = "CHANGE", adjust = 1, expression = "CPU >> 80" }]"#;
        let e = err("", role);
        assert_eq!(
            e.key.as_deref(),
            Some("services[0].roles[0].elasticity_policies[0].expression")
        );
        assert!(e.message.starts_with("column 6: expected a number"), "{e}");
        // Located at the expression's value in the file.
        let text = one_role_text("", ACME, role);
        let line = text.lines().position(|l| l.contains("CPU >> 80")).unwrap();
        let column = text.lines().nth(line).unwrap().find("\"CPU >> 80").unwrap();
        assert_eq!(
            (e.line, e.column),
            (Some(line + 1), Some(column + 1)),
            "{e}"
        );
        let e = err(
            "",
            r#"elasticity_policies = [{ type = "GROW", adjust = 1, expression = "CPU > 80" }]"#,
        );
        assert_eq!(
            e.key.as_deref(),
            Some("services[0].roles[0].elasticity_policies[0].type")
        );
        let e = err(
            "",
            r#"elasticity_policies = [{ type = "CHANGE", adjust = 1, expression = "CPU > 80" }]
target_tracking = { metrics = [{ metric = "CPU_UTILIZATION", target = 60 }] }"#,
        );
        assert_eq!(
            e.key.as_deref(),
            Some("services[0].roles[0].target_tracking")
        );
        assert!(e.hint.unwrap().starts_with("pick one"));
        let e = err(
            "",
            r#"target_tracking = { metrics = [{ metric = "CPU_UTILIZATION", target = 0 }] }"#,
        );
        assert_eq!(
            e.key.as_deref(),
            Some("services[0].roles[0].target_tracking.metrics[0].target")
        );
        let e = err("epoch = \"2024-13-01 00:00:00\"", "");
        assert_eq!((e.key.as_deref(), e.line), (Some("epoch"), Some(1)));
    }

    #[test]
    fn epoch_reads_seconds_and_dates() {
        let at = |top: &str| epoch(&parse(&text(top, ""))).unwrap().unix_at_zero;
        assert_eq!(at(""), 0);
        assert_eq!(at("epoch = 1704067200"), 1_704_067_200);
        assert_eq!(at("epoch = \"2024-01-01 00:00:00\""), 1_704_067_200);
    }
}
