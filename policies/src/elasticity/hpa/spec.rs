//! The `hpa` mode's rule: the `spec` of an `autoscaling/v2` HorizontalPodAutoscaler written
//! with Kubernetes' field names (`metrics`, `behavior`), the role's bounds and the
//! controller's flags. It is checked as the API server validates an HPA
//! (`ValidateHorizontalPodAutoscalerSpec`) and completed with its defaults
//! (`SetDefaults_HorizontalPodAutoscaler`, `GenerateHPAScaleUpRules`,
//! `GenerateHPAScaleDownRules`) and the controller's (`maybeInitScaleDownStabilizationWindow`,
//! `tolerancesForHpa`).

use std::path::Path;

use orrery_engine::time::{Millis, SECOND};
use orrery_engine::InputError;
use serde::{Deserialize, Serialize};

use super::consts::{
    CPU_UTILIZATION, DEFAULT_CPU_INITIALIZATION_S, DEFAULT_SCALE_DOWN_WINDOW_S, DEFAULT_TOLERANCE,
    MEMORY_UTILIZATION,
};
use super::quantity::Quantity;

/// A `target_tracking` table with `mode = "hpa"` (the manager takes `mode` out first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaRule {
    /// `spec.metrics`; none means `cpu` at 80 % utilisation, as the API server defaults it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricSpec>,
    /// `spec.behavior`. Absent, the controller applies its fixed rules instead: at most
    /// max(2 × current, 4) VMs per evaluation and the flag's scale-down window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<Behavior>,
    /// `spec.minReplicas` (in a scenario, the role's `min_vms`).
    #[serde(default = "one")]
    pub min_vms: u32,
    /// `spec.maxReplicas` (in a scenario, the role's `max_vms`).
    pub max_vms: u32,
    /// `--horizontal-pod-autoscaler-tolerance`: the tolerance of a direction whose
    /// `behavior` sets none.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-downscale-stabilization`, seconds: the scale-down window
    /// without `behavior`, and the default of `scaleDown.stabilizationWindowSeconds`.
    #[serde(default = "default_down_window")]
    pub downscale_stabilization_s: u64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`, seconds: a VM running for
    /// less is still initialising for `cpu` metrics.
    #[serde(default = "default_cpu_init")]
    pub cpu_initialization_period_s: u64,
}

fn one() -> u32 {
    1
}
fn default_tolerance() -> f64 {
    DEFAULT_TOLERANCE
}
fn default_down_window() -> u64 {
    DEFAULT_SCALE_DOWN_WINDOW_S
}
fn default_cpu_init() -> u64 {
    DEFAULT_CPU_INITIALIZATION_S
}

/// One entry of `spec.metrics` (`MetricSpec`): its `type` and the matching source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// `Resource`, `Pods`, `Object` or `External`.
    #[serde(rename = "type")]
    pub kind: SourceType,
    /// For `Resource`: the VMs' `cpu` or `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceSource>,
    /// For `Pods`: a metric each VM delivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<MetricSource>,
    /// For `Object`: a KPI of the role's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<MetricSource>,
    /// For `External`: a KPI of the role's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<MetricSource>,
}

/// A metric source type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceType {
    /// The VMs' resource use (`CPU_UTILIZATION`, `MEMORY_UTILIZATION`).
    Resource,
    /// A metric of each VM.
    Pods,
    /// A metric describing one object: here a KPI of the service.
    Object,
    /// A metric from outside the cluster: here a KPI of the service.
    External,
}

/// A `Resource` metric: which resource and its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSource {
    /// `cpu` or `memory`.
    pub name: ResourceName,
    /// `Utilization` (percent of the VM's size) or `AverageValue` (cores, MB).
    pub target: MetricTarget,
}

/// A resource of a VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceName {
    /// vCPUs; usage in cores from `CPU_UTILIZATION`.
    Cpu,
    /// Memory; usage in MB from `MEMORY_UTILIZATION`.
    Memory,
}

impl ResourceName {
    /// The VM metric (percent of the VM's size) the usage is read from.
    pub fn metric(self) -> &'static str {
        match self {
            ResourceName::Cpu => CPU_UTILIZATION,
            ResourceName::Memory => MEMORY_UTILIZATION,
        }
    }
}

/// A `Pods`, `Object` or `External` metric: its name and target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSource {
    /// The metric (`MetricIdentifier`); names are matched case-insensitively.
    pub metric: MetricIdentifier,
    /// Its target.
    pub target: MetricTarget,
}

/// A metric's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricIdentifier {
    /// The name (`REQUESTS`, `THROUGHPUT`, …).
    pub name: String,
}

/// A target (`MetricTarget`): its type and the one value that type takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricTarget {
    /// `Utilization`, `Value` or `AverageValue`.
    #[serde(rename = "type")]
    pub kind: TargetType,
    /// For `Value`: the metric's total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Quantity>,
    /// For `AverageValue`: the value per VM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_value: Option<Quantity>,
    /// For `Utilization`: whole percent of the VMs' size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_utilization: Option<i32>,
}

/// A target type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetType {
    /// Percent of the VMs' size (`Resource` only).
    Utilization,
    /// The metric's value (`Object`, `External`).
    Value,
    /// The value per VM.
    AverageValue,
}

/// `spec.behavior`: the scaling rules of each direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Behavior {
    /// Rules for scaling up; absent fields take the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up: Option<ScalingRules>,
    /// Rules for scaling down; absent fields take the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<ScalingRules>,
}

/// One direction's rules (`HPAScalingRules`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingRules {
    /// Seconds of past recommendations to stabilise over (0..=3600; up 0, down the flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stabilization_window_seconds: Option<u32>,
    /// Which policy's limit applies (default `Max`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_policy: Option<SelectPolicy>,
    /// The rate limits (default up: 4 VMs or 100 % per 15 s; down: 100 % per 15 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<ScalingPolicy>>,
    /// This direction's tolerance (KEP-4951; default the flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<Quantity>,
}

/// How the policies' limits combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// A rate limit (`HPAScalingPolicy`): at most `value` VMs or percent per `periodSeconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingPolicy {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: PolicyType,
    /// VMs or percent (> 0).
    pub value: u32,
    /// The period the change is counted over, seconds (1..=1800).
    pub period_seconds: u32,
}

/// A rate limit's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyType {
    /// A number of VMs.
    Pods,
    /// Percent of the count at the period's start.
    Percent,
}

/// The rule as the controller uses it: checked, defaults filled in, times in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Resolved {
    pub metrics: Vec<Metric>,
    /// The scaling rules up and down; `None` without `behavior`.
    pub behavior: Option<Directions>,
    pub tolerances: Tolerances,
    pub min: i64,
    pub max: i64,
    pub downscale_window: Millis,
    pub cpu_initialization: Millis,
}

/// Both directions' rules, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Directions {
    pub up: Rules,
    pub down: Rules,
}

/// One direction's rules, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rules {
    pub window: Millis,
    pub select: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
}

impl Rules {
    /// The longest policy period, seconds (`getLongestPolicyPeriod`).
    pub fn longest_period_s(&self) -> u32 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
    }
}

/// The usage ratios within which nothing changes: `[1 − down, 1 + up]` (`Tolerances`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Tolerances {
    pub down: f64,
    pub up: f64,
}

impl Tolerances {
    /// Whether `ratio` is within them (`isWithin`).
    pub fn within(self, ratio: f64) -> bool {
        (1.0 - self.down) <= ratio && ratio <= (1.0 + self.up)
    }
}

/// One checked metric: where its value comes from and its target (milli-units, or whole
/// percent); metric names upper-cased.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Metric {
    /// A resource's utilisation with an `averageUtilization` target.
    Utilization(ResourceName, i32),
    /// A resource's use per VM with an `averageValue` target.
    ResourceAverage(ResourceName, i64),
    /// A VM metric with an `averageValue` target.
    Pods(String, i64),
    /// A service KPI (`Object` or `External`) with a `value` target, or an `averageValue`
    /// target when `per_vm`.
    Kpi {
        kind: SourceType,
        name: String,
        per_vm: bool,
        target: i64,
    },
}

impl Metric {
    /// The controller's description of the metric (`metricNameProposal`).
    pub fn describe(&self) -> String {
        let resource = |r: &ResourceName| match r {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
        };
        match self {
            Metric::Utilization(r, _) => {
                format!(
                    "{} resource utilization (percentage of request)",
                    resource(r)
                )
            }
            Metric::ResourceAverage(r, _) => format!("{} resource", resource(r)),
            Metric::Pods(n, _) => format!("pods metric {n}"),
            Metric::Kpi { kind, name, .. } => {
                let kind = if *kind == SourceType::Object {
                    "object"
                } else {
                    "external"
                };
                format!("{kind} metric {name}")
            }
        }
    }
}

/// A problem in a rule: the key (within the table) and what is wrong.
type Problem = (String, String);

impl HpaRule {
    /// Checks the rule as the API server checks an HPA: `1 ≤ min_vms ≤ max_vms`, each metric
    /// of one source with a target its type takes (positive), windows within an hour,
    /// policies non-empty with positive values and periods of at most 1800 s, tolerances
    /// of at least 0. Errors name the key within the table.
    pub fn validate(&self, file: &Path) -> Result<(), InputError> {
        self.resolve()
            .map(|_| ())
            .map_err(|(key, message)| InputError::file(file, message).key(key))
    }

    /// The rule as the controller uses it, or its first problem.
    pub(super) fn resolve(&self) -> Result<Resolved, Problem> {
        if self.min_vms == 0 {
            return Err(("min_vms".into(), "minReplicas must be at least 1".into()));
        }
        if self.max_vms < self.min_vms {
            let msg = format!(
                "maxReplicas {} must be at least minReplicas {}",
                self.max_vms, self.min_vms
            );
            return Err(("max_vms".into(), msg));
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            let msg = format!("tolerance {} must be at least 0", self.tolerance);
            return Err(("tolerance".into(), msg));
        }
        let metrics = if self.metrics.is_empty() {
            vec![Metric::Utilization(ResourceName::Cpu, 80)]
        } else {
            let checked = self.metrics.iter().enumerate();
            checked
                .map(|(i, m)| m.check(&format!("metrics[{i}]")))
                .collect::<Result<_, _>>()?
        };
        let mut tolerances = Tolerances {
            down: self.tolerance,
            up: self.tolerance,
        };
        let behavior = match &self.behavior {
            None => None,
            Some(b) => {
                let policy = |kind, value| ScalingPolicy {
                    kind,
                    value,
                    period_seconds: 15,
                };
                let up = Defaults {
                    direction: "scaleUp",
                    window_s: 0,
                    policies: vec![
                        policy(PolicyType::Pods, 4),
                        policy(PolicyType::Percent, 100),
                    ],
                };
                let down = Defaults {
                    direction: "scaleDown",
                    window_s: self.downscale_stabilization_s,
                    policies: vec![policy(PolicyType::Percent, 100)],
                };
                Some(Directions {
                    up: up.apply(b.scale_up.as_ref(), &mut tolerances.up)?,
                    down: down.apply(b.scale_down.as_ref(), &mut tolerances.down)?,
                })
            }
        };
        Ok(Resolved {
            metrics,
            behavior,
            tolerances,
            min: i64::from(self.min_vms),
            max: i64::from(self.max_vms),
            downscale_window: self.downscale_stabilization_s * SECOND,
            cpu_initialization: self.cpu_initialization_period_s * SECOND,
        })
    }
}

/// One direction's defaults (`defaultHPAScale{Up,Down}Rules`, the window from the controller).
struct Defaults {
    direction: &'static str,
    window_s: u64,
    policies: Vec<ScalingPolicy>,
}

impl Defaults {
    /// `rules` over these defaults (`copyHPAScalingRules`), checked; a `tolerance` replaces
    /// the flag's in `tolerance`.
    fn apply(self, rules: Option<&ScalingRules>, tolerance: &mut f64) -> Result<Rules, Problem> {
        let key = format!("behavior.{}", self.direction);
        let none = ScalingRules::default();
        let rules = rules.unwrap_or(&none);
        let window_s = match rules.stabilization_window_seconds {
            Some(w) if w > 3600 => {
                let msg = format!("stabilizationWindowSeconds {w} must be at most 3600");
                return Err((format!("{key}.stabilizationWindowSeconds"), msg));
            }
            Some(w) => u64::from(w),
            None => self.window_s,
        };
        let policies = rules.policies.clone().unwrap_or(self.policies);
        if policies.is_empty() {
            let msg = "give at least one policy (or leave `policies` out for the defaults)";
            return Err((format!("{key}.policies"), msg.into()));
        }
        for (j, p) in policies.iter().enumerate() {
            let at = format!("{key}.policies[{j}]");
            if p.value == 0 {
                return Err((format!("{at}.value"), "value must be greater than 0".into()));
            }
            if !(1..=1800).contains(&p.period_seconds) {
                let msg = format!("periodSeconds {} must be in 1..=1800", p.period_seconds);
                return Err((format!("{at}.periodSeconds"), msg));
            }
        }
        if let Some(t) = &rules.tolerance {
            if t.as_f64() < 0.0 {
                let msg = format!("tolerance {t} must be at least 0");
                return Err((format!("{key}.tolerance"), msg));
            }
            *tolerance = t.as_f64();
        }
        Ok(Rules {
            window: window_s * SECOND,
            select: rules.select_policy.unwrap_or(SelectPolicy::Max),
            policies,
        })
    }
}

impl MetricSpec {
    /// The metric checked, or the problem at `key`.
    fn check(&self, key: &str) -> Result<Metric, Problem> {
        use TargetType::{AverageValue, Utilization, Value};
        let field = match self.kind {
            SourceType::Resource => "resource",
            SourceType::Pods => "pods",
            SourceType::Object => "object",
            SourceType::External => "external",
        };
        let given = [
            ("resource", self.resource.is_some()),
            ("pods", self.pods.is_some()),
            ("object", self.object.is_some()),
            ("external", self.external.is_some()),
        ];
        if let Some((other, _)) = given.iter().find(|(f, set)| *set && *f != field) {
            let msg = format!("a {:?} metric takes `{field}`, not `{other}`", self.kind);
            return Err((format!("{key}.{other}"), msg));
        }
        let named = |s: &Option<MetricSource>, allowed: &[TargetType]| {
            let Some(s) = s else {
                let msg = format!("a {:?} metric needs `{field}`", self.kind);
                return Err((format!("{key}.{field}"), msg));
            };
            let name = s.metric.name.trim().to_ascii_uppercase();
            if name.is_empty() {
                let msg = "the metric needs a name".to_string();
                return Err((format!("{key}.{field}.metric.name"), msg));
            }
            let target = s.target.check(&format!("{key}.{field}.target"), allowed)?;
            Ok((name, target))
        };
        Ok(match self.kind {
            SourceType::Resource => {
                let Some(r) = &self.resource else {
                    let msg = "a Resource metric needs `resource`".to_string();
                    return Err((format!("{key}.resource"), msg));
                };
                let at = format!("{key}.resource.target");
                match r.target.check(&at, &[Utilization, AverageValue])? {
                    (Utilization, u) => {
                        Metric::Utilization(r.name, i32::try_from(u).unwrap_or(i32::MAX))
                    }
                    (_, v) => Metric::ResourceAverage(r.name, v),
                }
            }
            SourceType::Pods => {
                let (name, (_, v)) = named(&self.pods, &[AverageValue])?;
                Metric::Pods(name, v)
            }
            kind => {
                let source = if kind == SourceType::Object {
                    &self.object
                } else {
                    &self.external
                };
                let (name, (target_kind, target)) = named(source, &[Value, AverageValue])?;
                Metric::Kpi {
                    kind,
                    name,
                    per_vm: target_kind == AverageValue,
                    target,
                }
            }
        })
    }
}

impl MetricTarget {
    /// The target checked: a type in `allowed`, its value set and positive (milli-units, or
    /// whole percent), no other value.
    fn check(&self, key: &str, allowed: &[TargetType]) -> Result<(TargetType, i64), Problem> {
        if !allowed.contains(&self.kind) {
            let names: Vec<String> = allowed.iter().map(|t| format!("{t:?}")).collect();
            let msg = format!(
                "this metric takes a {} target, not {:?}",
                names.join(" or "),
                self.kind
            );
            return Err((format!("{key}.type"), msg));
        }
        let (field, set) = match self.kind {
            TargetType::Utilization => ("averageUtilization", self.average_utilization.is_some()),
            TargetType::Value => ("value", self.value.is_some()),
            TargetType::AverageValue => ("averageValue", self.average_value.is_some()),
        };
        let others = [
            ("averageUtilization", self.average_utilization.is_some()),
            ("value", self.value.is_some()),
            ("averageValue", self.average_value.is_some()),
        ];
        if let Some((other, _)) = others.iter().find(|(f, s)| *s && *f != field) {
            let msg = format!("a {:?} target takes `{field}`, not `{other}`", self.kind);
            return Err((format!("{key}.{other}"), msg));
        }
        if !set {
            let msg = format!("a {:?} target needs `{field}`", self.kind);
            return Err((format!("{key}.{field}"), msg));
        }
        let value = match self.kind {
            TargetType::Utilization => i64::from(self.average_utilization.unwrap_or(0)),
            TargetType::Value => self.value.as_ref().map_or(0, Quantity::milli),
            TargetType::AverageValue => self.average_value.as_ref().map_or(0, Quantity::milli),
        };
        if value <= 0 {
            return Err((format!("{key}.{field}"), "must be positive".into()));
        }
        Ok((self.kind, value))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(v: serde_json::Value) -> HpaRule {
        serde_json::from_value(v).unwrap()
    }

    fn problem(v: serde_json::Value) -> Problem {
        rule(v).resolve().unwrap_err()
    }

    #[test]
    fn defaults_are_the_api_servers() {
        // No metrics: cpu at 80 %; no behavior: none, and the flags' defaults.
        let r = rule(json!({"max_vms": 10})).resolve().unwrap();
        assert_eq!(r.metrics, [Metric::Utilization(ResourceName::Cpu, 80)]);
        assert_eq!((r.behavior, r.min, r.max), (None, 1, 10));
        assert_eq!(r.tolerances, Tolerances { down: 0.1, up: 0.1 });
        assert_eq!(
            (r.downscale_window, r.cpu_initialization),
            (300_000, 300_000)
        );
        // An empty behavior takes every default: up 4 VMs or 100 % per 15 s, no window; down
        // 100 % per 15 s over the flag's window.
        let r = rule(json!({"max_vms": 10, "behavior": {}, "downscale_stabilization_s": 60}))
            .resolve()
            .unwrap();
        let b = r.behavior.unwrap();
        let p = |kind, value| ScalingPolicy {
            kind,
            value,
            period_seconds: 15,
        };
        assert_eq!(
            b.up,
            Rules {
                window: 0,
                select: SelectPolicy::Max,
                policies: vec![p(PolicyType::Pods, 4), p(PolicyType::Percent, 100)]
            }
        );
        assert_eq!(
            b.down,
            Rules {
                window: 60_000,
                select: SelectPolicy::Max,
                policies: vec![p(PolicyType::Percent, 100)]
            }
        );
        // Per-direction tolerances replace the flag's, each on its own.
        let r = rule(json!({"max_vms": 10, "tolerance": 0.2,
            "behavior": {"scaleUp": {"tolerance": "0.05"}}}))
        .resolve()
        .unwrap();
        assert_eq!(
            r.tolerances,
            Tolerances {
                down: 0.2,
                up: 0.05
            }
        );
    }

    #[test]
    fn metrics_read_kubernetes_field_names() {
        let r = rule(json!({"max_vms": 4, "metrics": [
            {"type": "Resource", "resource": {"name": "memory",
                "target": {"type": "AverageValue", "averageValue": "512"}}},
            {"type": "Pods", "pods": {"metric": {"name": "requests"},
                "target": {"type": "AverageValue", "averageValue": "500m"}}},
            {"type": "Object", "object": {"metric": {"name": "throughput"},
                "target": {"type": "Value", "value": 100}}},
            {"type": "External", "external": {"metric": {"name": "drop_rate"},
                "target": {"type": "AverageValue", "averageValue": 0.25}}},
        ]}))
        .resolve()
        .unwrap();
        let kpi = |kind, name: &str, per_vm, target| Metric::Kpi {
            kind,
            name: name.into(),
            per_vm,
            target,
        };
        assert_eq!(
            r.metrics,
            [
                Metric::ResourceAverage(ResourceName::Memory, 512_000),
                Metric::Pods("REQUESTS".into(), 500),
                kpi(SourceType::Object, "THROUGHPUT", false, 100_000),
                kpi(SourceType::External, "DROP_RATE", true, 250),
            ]
        );
        let names: Vec<String> = r.metrics.iter().map(Metric::describe).collect();
        assert_eq!(
            names,
            [
                "memory resource",
                "pods metric REQUESTS",
                "object metric THROUGHPUT",
                "external metric DROP_RATE"
            ]
        );
    }

    #[test]
    fn bad_rules_name_their_key() {
        let key = |v| problem(v).0;
        assert_eq!(key(json!({"max_vms": 4, "min_vms": 0})), "min_vms");
        assert_eq!(key(json!({"max_vms": 2, "min_vms": 3})), "max_vms");
        assert_eq!(
            key(
                json!({"max_vms": 4, "metrics": [{"type": "Pods", "pods": {"metric": {"name": "x"},
                "target": {"type": "Value", "value": 1}}}]})
            ),
            "metrics[0].pods.target.type"
        );
        assert_eq!(
            key(
                json!({"max_vms": 4, "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 0}}}]})
            ),
            "metrics[0].resource.target.averageUtilization"
        );
        assert_eq!(
            key(
                json!({"max_vms": 4, "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 60, "value": 1}}}]})
            ),
            "metrics[0].resource.target.value"
        );
        assert_eq!(
            key(
                json!({"max_vms": 4, "metrics": [{"type": "Object", "external": {"metric": {"name": "x"},
                "target": {"type": "Value", "value": 1}}}]})
            ),
            "metrics[0].external"
        );
        assert_eq!(
            key(json!({"max_vms": 4, "behavior": {"scaleDown": {"policies": []}}})),
            "behavior.scaleDown.policies"
        );
        assert_eq!(
            key(json!({"max_vms": 4, "behavior": {"scaleUp": {"policies":
                [{"type": "Pods", "value": 1, "periodSeconds": 1801}]}}})),
            "behavior.scaleUp.policies[0].periodSeconds"
        );
        assert_eq!(
            key(
                json!({"max_vms": 4, "behavior": {"scaleUp": {"stabilizationWindowSeconds": 3601}}})
            ),
            "behavior.scaleUp.stabilizationWindowSeconds"
        );
        assert_eq!(
            key(json!({"max_vms": 4, "behavior": {"scaleDown": {"tolerance": "-0.1"}}})),
            "behavior.scaleDown.tolerance"
        );
        // A rule round-trips through serde unchanged.
        let r = rule(
            json!({"max_vms": 4, "behavior": {"scaleUp": {"selectPolicy": "Disabled"}},
            "metrics": [{"type": "Pods", "pods": {"metric": {"name": "RPS"},
                "target": {"type": "AverageValue", "averageValue": "1.5k"}}}]}),
        );
        let back: HpaRule = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert!(r.validate(Path::new("t.toml")).is_ok());
    }
}
