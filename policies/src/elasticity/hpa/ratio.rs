//! The `ratio` mode (the default): target tracking after the HPA's documented algorithm, and
//! conversion to and from an `autoscaling/v2` HorizontalPodAutoscaler object.
//!
//! Reproduced from the HPA algorithm documentation ("Algorithm details"):
//!
//! * Outside `[minReplicas, maxReplicas]` the role is brought to the nearer bound without
//!   reading metrics (as the controller does for a current count out of range).
//! * Per metric, `ratio = mean / target` over the running VMs that report it. Within the
//!   tolerance (`|1 − ratio| ≤ 0.1` by default) the proposal is the current count; otherwise
//!   it is `ceil(ratio × reporting VMs)`. Several metrics: the largest proposal wins. No
//!   metric reported: no decision.
//! * Stabilisation (`stabilizeRecommendationWithBehaviors`): every evaluation records its
//!   proposal. The scale-up limit is the *least* proposal recorded within the last
//!   `scaleUp.stabilizationWindowSeconds` (default 0), the scale-down limit the *greatest*
//!   within `scaleDown.stabilizationWindowSeconds` (default 300), both including the current
//!   proposal; samples count when strictly newer than `now − window`. The result is the
//!   current count raised to the scale-up limit or lowered to the scale-down limit.
//! * Last, the result is clamped to `[minReplicas, maxReplicas]`.
//!
//! Not in this mode (the `hpa` mode, [`super::HpaScaler`], has them all): the scaling-rate
//! `policies` of `behavior` (rejected on import), the controller's conservative treatment of
//! not-yet-ready VMs and VMs with missing metrics, and the integer rounding of resource
//! utilisation percentages.

use std::path::Path;

use orrery_engine::time::{Millis, SECOND};
use orrery_engine::InputError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::consts::{
    CPU_UTILIZATION, DEFAULT_SCALE_DOWN_WINDOW_S, DEFAULT_TOLERANCE, MEMORY_UTILIZATION,
};
use super::quantity::{parse_quantity, quantity};
use crate::elasticity::{Decision, RoleMetrics, RuleRef};

/// One tracked metric and the per-VM average it should be held at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricTarget {
    /// The metric name ([`CPU_UTILIZATION`], [`MEMORY_UTILIZATION`] or an application metric).
    pub metric: String,
    /// The target mean per running VM (percent for the utilisations).
    pub target: f64,
}

/// A target-tracking rule for one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetTracking {
    /// The tracked metrics (at least one).
    pub metrics: Vec<MetricTarget>,
    /// Least cardinality (`minReplicas`, default 1).
    #[serde(default = "one")]
    pub min_vms: u32,
    /// Greatest cardinality (`maxReplicas`).
    pub max_vms: u32,
    /// No change while `|1 − mean/target|` is at most this.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// Scale-down stabilisation window, seconds.
    #[serde(default = "default_down_window")]
    pub scale_down_window_s: u64,
    /// Scale-up stabilisation window, seconds.
    #[serde(default)]
    pub scale_up_window_s: u64,
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

impl TargetTracking {
    /// Checks the rule: at least one metric, positive finite targets, `min ≤ max`, `max ≥ 1`,
    /// a tolerance in `[0, 1)`.
    pub fn validate(&self, file: &Path) -> Result<(), InputError> {
        let bad = |key: &str, msg: String| Err(InputError::file(file, msg).key(key));
        if self.metrics.is_empty() {
            return bad(
                "metrics",
                "target tracking needs at least one metric".into(),
            );
        }
        for (i, m) in self.metrics.iter().enumerate() {
            if !(m.target.is_finite() && m.target > 0.0) {
                let msg = format!("target {} must be a positive number", m.target);
                return bad(&format!("metrics[{i}].target"), msg);
            }
        }
        if self.max_vms == 0 || self.min_vms > self.max_vms {
            let msg = format!(
                "need 1 ≤ max_vms and min_vms ≤ max_vms, found {} and {}",
                self.min_vms, self.max_vms
            );
            return bad("max_vms", msg);
        }
        if !(0.0..1.0).contains(&self.tolerance) {
            return bad(
                "tolerance",
                format!("tolerance {} must be in [0, 1)", self.tolerance),
            );
        }
        Ok(())
    }

    /// The rule as an `autoscaling/v2` HorizontalPodAutoscaler scaling the Deployment `name`.
    pub fn to_hpa(&self, name: &str) -> Value {
        let metrics: Vec<Value> = self
            .metrics
            .iter()
            .map(|m| match m.metric.as_str() {
                CPU_UTILIZATION | MEMORY_UTILIZATION => {
                    let resource = if m.metric == CPU_UTILIZATION { "cpu" } else { "memory" };
                    json!({"type": "Resource", "resource": {"name": resource,
                        "target": {"type": "Utilization", "averageUtilization": m.target.round() as i64}}})
                }
                other => json!({"type": "Pods", "pods": {"metric": {"name": other},
                    "target": {"type": "AverageValue", "averageValue": quantity(m.target)}}}),
            })
            .collect();
        let rules = |window: u64| {
            let mut r = json!({"stabilizationWindowSeconds": window});
            if self.tolerance != DEFAULT_TOLERANCE {
                r["tolerance"] = json!(self.tolerance);
            }
            r
        };
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": self.min_vms,
                "maxReplicas": self.max_vms,
                "metrics": metrics,
                "behavior": {
                    "scaleUp": rules(self.scale_up_window_s),
                    "scaleDown": rules(self.scale_down_window_s),
                },
            },
        })
    }

    /// Reads an `autoscaling/v2` HorizontalPodAutoscaler (its `spec`); unsupported parts
    /// (`Object`/`External`/`ContainerResource` metrics, `Value` targets, scaling-rate
    /// `policies`, different up and down tolerances) are errors naming their key.
    pub fn from_hpa(hpa: &Value, file: &Path) -> Result<Self, InputError> {
        let err = |key: &str, msg: &str| InputError::file(file, msg).key(key);
        let spec = hpa
            .get("spec")
            .ok_or_else(|| err("spec", "an HPA object needs a `spec`"))?;
        let uint = |v: Option<&Value>, key: &str| -> Result<Option<u64>, InputError> {
            v.map(|v| {
                v.as_u64()
                    .ok_or_else(|| err(key, "expected a whole number"))
            })
            .transpose()
        };
        let max_vms = uint(spec.get("maxReplicas"), "spec.maxReplicas")?
            .ok_or_else(|| err("spec.maxReplicas", "`maxReplicas` is required"))?;
        let min_vms = uint(spec.get("minReplicas"), "spec.minReplicas")?.unwrap_or(1);
        let mut metrics = Vec::new();
        let list = spec
            .get("metrics")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, m) in list.iter().enumerate() {
            let key = format!("spec.metrics[{i}]");
            let target = |t: Option<&Value>| t.cloned().unwrap_or(Value::Null);
            let parsed = match m.get("type").and_then(Value::as_str) {
                Some("Resource") => {
                    let r = &m["resource"];
                    let t = target(r.get("target"));
                    let name = match r.get("name").and_then(Value::as_str) {
                        Some("cpu") => CPU_UTILIZATION,
                        Some("memory") => MEMORY_UTILIZATION,
                        _ => {
                            return Err(err(
                                &key,
                                "only `cpu` and `memory` resources are supported",
                            ))
                        }
                    };
                    match (t.get("type").and_then(Value::as_str), t.get("averageUtilization").and_then(Value::as_f64)) {
                        (Some("Utilization"), Some(u)) => MetricTarget { metric: name.into(), target: u },
                        _ => return Err(err(&format!("{key}.resource.target"), "only `Utilization` targets with `averageUtilization` are supported for resources")),
                    }
                }
                Some("Pods") => {
                    let p = &m["pods"];
                    let name = p["metric"]["name"]
                        .as_str()
                        .ok_or_else(|| err(&key, "a Pods metric needs `metric.name`"))?;
                    let t = target(p.get("target"));
                    let value = match (t.get("type").and_then(Value::as_str), t.get("averageValue"))
                    {
                        (Some("AverageValue"), Some(v)) => parse_quantity(v),
                        _ => None,
                    };
                    let Some(value) = value else {
                        return Err(err(&format!("{key}.pods.target"), "expected an `AverageValue` target with a quantity such as \"100\" or \"500m\""));
                    };
                    MetricTarget {
                        metric: name.into(),
                        target: value,
                    }
                }
                _ => {
                    return Err(err(
                        &format!("{key}.type"),
                        "only `Resource` and `Pods` metrics are supported",
                    ))
                }
            };
            metrics.push(parsed);
        }
        let behavior = spec.get("behavior").cloned().unwrap_or(Value::Null);
        let mut windows = [0, DEFAULT_SCALE_DOWN_WINDOW_S];
        let mut tolerances = [DEFAULT_TOLERANCE; 2];
        for (i, dir) in ["scaleUp", "scaleDown"].into_iter().enumerate() {
            let Some(rules) = behavior.get(dir) else {
                continue;
            };
            let key = format!("spec.behavior.{dir}");
            if rules.get("policies").is_some() || rules.get("selectPolicy").is_some() {
                return Err(err(
                    &key,
                    "scaling-rate `policies` are not modelled in the ratio mode",
                )
                .hint("remove them, or use `mode = \"hpa\"`, which applies them"));
            }
            if let Some(w) = uint(rules.get("stabilizationWindowSeconds"), &key)? {
                windows[i] = w;
            }
            if let Some(t) = rules.get("tolerance") {
                tolerances[i] = t
                    .as_f64()
                    .or_else(|| parse_quantity(t))
                    .ok_or_else(|| err(&key, "bad tolerance"))?;
            }
        }
        if tolerances[0] != tolerances[1] {
            return Err(err(
                "spec.behavior",
                "different scale-up and scale-down tolerances are not modelled",
            ));
        }
        let tt = TargetTracking {
            metrics,
            min_vms: min_vms as u32,
            max_vms: max_vms as u32,
            tolerance: tolerances[0],
            scale_up_window_s: windows[0],
            scale_down_window_s: windows[1],
        };
        tt.validate(file)?;
        Ok(tt)
    }
}

/// One role's target tracking in the `ratio` mode and the proposals it has recorded.
pub struct RatioScaler {
    rule: TargetTracking,
    /// `(time, proposal)`, oldest first; pruned of samples outside both windows.
    history: Vec<(Millis, u32)>,
}

impl RatioScaler {
    /// A scaler for a validated rule ([`TargetTracking::validate`]).
    pub fn new(rule: TargetTracking) -> Self {
        RatioScaler {
            rule,
            history: Vec::new(),
        }
    }

    /// The rule.
    pub fn rule(&self) -> &TargetTracking {
        &self.rule
    }

    /// One evaluation at `now` for a role of `current` VMs whose running VMs delivered
    /// `metrics`: a decision if the cardinality should change.
    pub fn evaluate(
        &mut self,
        now: Millis,
        current: u32,
        metrics: &RoleMetrics,
    ) -> Option<Decision> {
        let r = &self.rule;
        let decide = |to: u32, rule: RuleRef, reason: String| {
            (to != current).then_some(Decision {
                at: now,
                from: current,
                to,
                rule,
                reason,
                cooldown: 0,
            })
        };
        if current > r.max_vms || current < r.min_vms {
            let to = current.clamp(r.min_vms, r.max_vms);
            let reason = format!("{current} VMs is outside [{}, {}]", r.min_vms, r.max_vms);
            return decide(
                to,
                RuleRef::TargetTracking(r.metrics[0].metric.clone()),
                reason,
            );
        }
        // The largest per-metric proposal.
        let mut best: Option<(u32, &MetricTarget, f64)> = None;
        for m in &r.metrics {
            let (Some(mean), n) = (metrics.mean(&m.metric), metrics.reporting(&m.metric)) else {
                continue;
            };
            let ratio = mean / m.target;
            let proposal = if (1.0 - ratio).abs() <= r.tolerance {
                current
            } else {
                (ratio * n as f64).ceil() as u32
            };
            if best.is_none_or(|(p, _, _)| proposal > p) {
                best = Some((proposal, m, ratio));
            }
        }
        let (proposal, m, ratio) = best?;
        // Stabilise against the recorded proposals.
        let up_cut = now.checked_sub(r.scale_up_window_s * SECOND);
        let down_cut = now.checked_sub(r.scale_down_window_s * SECOND);
        let newer = |t: Millis, cut: Option<Millis>| cut.is_none_or(|c| t > c);
        let (mut up, mut down) = (proposal, proposal);
        for &(t, p) in &self.history {
            if newer(t, up_cut) {
                up = up.min(p);
            }
            if newer(t, down_cut) {
                down = down.max(p);
            }
        }
        self.history
            .retain(|&(t, _)| newer(t, up_cut) || newer(t, down_cut));
        self.history.push((now, proposal));
        let stabilised = current.max(up).min(down);
        let to = stabilised.clamp(r.min_vms, r.max_vms);
        let reason = format!(
            "{} mean {:.2} / target {} = {ratio:.3}: proposal {proposal}, stabilised {stabilised}",
            m.metric,
            ratio * m.target,
            m.target
        );
        decide(to, RuleRef::TargetTracking(m.metric.clone()), reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = SECOND;

    fn rule() -> TargetTracking {
        TargetTracking {
            metrics: vec![MetricTarget {
                metric: CPU_UTILIZATION.into(),
                target: 60.0,
            }],
            min_vms: 2,
            max_vms: 10,
            tolerance: DEFAULT_TOLERANCE,
            scale_down_window_s: DEFAULT_SCALE_DOWN_WINDOW_S,
            scale_up_window_s: 0,
        }
    }

    /// `n` running VMs all at `cpu` percent.
    fn cpu(n: usize, x: f64) -> RoleMetrics {
        RoleMetrics::from_vms(vec![[(CPU_UTILIZATION, x)]; n])
    }

    #[test]
    fn desired_is_the_ceiling_of_current_times_the_ratio() {
        let mut s = RatioScaler::new(rule());
        // 4 × 90 / 60 = 6.
        let d = s.evaluate(0, 4, &cpu(4, 90.0)).unwrap();
        assert_eq!((d.from, d.to), (4, 6));
        // 4 × 66.6 / 60 = 4.44 → 5.
        let mut s = RatioScaler::new(rule());
        assert_eq!(s.evaluate(0, 4, &cpu(4, 66.6)).unwrap().to, 5);
        // Within ±10 %: 65 / 60 = 1.083 and 54 / 60 = 0.9 change nothing.
        let mut s = RatioScaler::new(rule());
        assert_eq!(s.evaluate(0, 4, &cpu(4, 65.0)), None);
        assert_eq!(s.evaluate(15 * S, 4, &cpu(4, 54.0)), None);
        // Clamped to max: 8 × 120 / 60 = 16 → 10.
        let mut s = RatioScaler::new(rule());
        assert_eq!(s.evaluate(0, 8, &cpu(8, 120.0)).unwrap().to, 10);
        // Out of range without metrics: brought to the bound.
        assert_eq!(
            s.evaluate(15 * S, 12, &RoleMetrics::default()).unwrap().to,
            10
        );
        assert_eq!(
            s.evaluate(30 * S, 1, &RoleMetrics::default()).unwrap().to,
            2
        );
        // No metric delivered: nothing to decide.
        assert_eq!(s.evaluate(45 * S, 4, &RoleMetrics::default()), None);
    }

    #[test]
    fn several_metrics_take_the_largest_proposal() {
        let mut r = rule();
        r.metrics.push(MetricTarget {
            metric: "RPS".into(),
            target: 100.0,
        });
        let mut s = RatioScaler::new(r);
        // CPU: 4 × 30/60 = 2; RPS: 4 × 250/100 = 10 → 10.
        let m = RoleMetrics::from_vms(vec![[(CPU_UTILIZATION, 30.0), ("RPS", 250.0)]; 4]);
        let d = s.evaluate(0, 4, &m).unwrap();
        assert_eq!((d.to, d.rule), (10, RuleRef::TargetTracking("RPS".into())));
    }

    #[test]
    fn scale_down_waits_for_the_stabilisation_window() {
        let mut s = RatioScaler::new(rule());
        // Evaluated every 15 s: a burst at 0 s proposes 6, then the load drops to 15 %
        // (proposal ceil(6 × 15/60) = ceil(1.5) = 2), but the 6 recorded at 0 s holds for 300 s.
        assert_eq!(s.evaluate(0, 4, &cpu(4, 90.0)).unwrap().to, 6);
        for t in (15..300).step_by(15) {
            assert_eq!(s.evaluate(t * S, 6, &cpu(6, 15.0)), None, "t = {t}");
        }
        // At 300 s the sample of 0 s is no longer newer than now − 300 s.
        let d = s.evaluate(300 * S, 6, &cpu(6, 15.0)).unwrap();
        assert_eq!(d.to, 2);
        assert_eq!(d.cooldown, 0);
    }

    #[test]
    fn scale_down_is_bounded_by_the_highest_recent_proposal() {
        let mut s = RatioScaler::new(rule());
        // 8 VMs: proposals 8 (60 %, within tolerance) at 0 s, 8 × 15/60 = 2 at 100 s,
        // 8 × 45/60 = 6 at 200 s; all held at 8 by the proposal of 0 s.
        assert_eq!(s.evaluate(0, 8, &cpu(8, 60.0)), None);
        assert_eq!(s.evaluate(100 * S, 8, &cpu(8, 15.0)), None);
        assert_eq!(s.evaluate(200 * S, 8, &cpu(8, 45.0)), None);
        // At 301 s the 8 has left the window: max{2, 6, 2} = 6.
        assert_eq!(s.evaluate(301 * S, 8, &cpu(8, 15.0)).unwrap().to, 6);
        // 6 VMs at 15 %: proposal ceil(1.5) = 2, still held at 6 by the sample of 200 s …
        assert_eq!(s.evaluate(350 * S, 6, &cpu(6, 15.0)), None);
        // … until it leaves the window after 500 s.
        assert_eq!(s.evaluate(501 * S, 6, &cpu(6, 15.0)).unwrap().to, 2);
    }

    #[test]
    fn scale_up_window_takes_the_least_recent_proposal() {
        let mut r = rule();
        r.scale_up_window_s = 60;
        let mut s = RatioScaler::new(r);
        assert_eq!(s.evaluate(0, 4, &cpu(4, 60.0)), None); // proposal 4
        assert_eq!(s.evaluate(30 * S, 4, &cpu(4, 90.0)), None); // 6, held to 4 by 0 s
        assert_eq!(s.evaluate(60 * S, 4, &cpu(4, 90.0)).unwrap().to, 6);
    }

    #[test]
    fn hpa_object_round_trip() {
        let mut r = rule();
        r.metrics.push(MetricTarget {
            metric: "requests_per_second".into(),
            target: 0.5,
        });
        r.scale_up_window_s = 30;
        let hpa = r.to_hpa("web");
        assert_eq!(
            hpa,
            json!({
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "web"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 2,
                    "maxReplicas": 10,
                    "metrics": [
                        {"type": "Resource", "resource": {"name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 60}}},
                        {"type": "Pods", "pods": {"metric": {"name": "requests_per_second"},
                            "target": {"type": "AverageValue", "averageValue": "500m"}}}
                    ],
                    "behavior": {
                        "scaleUp": {"stabilizationWindowSeconds": 30},
                        "scaleDown": {"stabilizationWindowSeconds": 300}
                    }
                }
            })
        );
        assert_eq!(
            TargetTracking::from_hpa(&hpa, Path::new("hpa.json")).unwrap(),
            r
        );
        // A minimal HPA takes the defaults.
        let minimal = json!({"spec": {"maxReplicas": 5, "metrics": [{"type": "Pods",
            "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "1.5k"}}}]}});
        let t = TargetTracking::from_hpa(&minimal, Path::new("hpa.json")).unwrap();
        assert_eq!(
            (
                t.min_vms,
                t.max_vms,
                t.scale_down_window_s,
                t.scale_up_window_s
            ),
            (1, 5, 300, 0)
        );
        assert_eq!((t.metrics[0].target, t.tolerance), (1500.0, 0.1));
        // A tolerance other than 0.1 goes both ways.
        let mut r = rule();
        r.tolerance = 0.05;
        let hpa = r.to_hpa("web");
        assert_eq!(
            hpa["spec"]["behavior"]["scaleDown"]["tolerance"],
            json!(0.05)
        );
        assert_eq!(TargetTracking::from_hpa(&hpa, Path::new("x")).unwrap(), r);
        // A native spec in JSON, with defaults.
        let t: TargetTracking = serde_json::from_value(json!({
            "metrics": [{"metric": "CPU_UTILIZATION", "target": 70}], "max_vms": 8
        }))
        .unwrap();
        assert_eq!(
            (t.min_vms, t.tolerance, t.scale_down_window_s),
            (1, 0.1, 300)
        );
    }

    #[test]
    fn unsupported_hpa_parts_are_named() {
        let mut hpa = rule().to_hpa("web");
        hpa["spec"]["behavior"]["scaleUp"]["policies"] =
            json!([{"type": "Pods", "value": 4, "periodSeconds": 15}]);
        let e = TargetTracking::from_hpa(&hpa, Path::new("hpa.json")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("spec.behavior.scaleUp"));
        let mut hpa = rule().to_hpa("web");
        hpa["spec"]["metrics"][0]["type"] = json!("External");
        let e = TargetTracking::from_hpa(&hpa, Path::new("hpa.json")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("spec.metrics[0].type"));
        let mut hpa = rule().to_hpa("web");
        hpa["spec"]["minReplicas"] = json!(20);
        assert_eq!(
            TargetTracking::from_hpa(&hpa, Path::new("h"))
                .unwrap_err()
                .key
                .as_deref(),
            Some("max_vms")
        );
    }
}
