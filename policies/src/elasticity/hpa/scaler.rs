//! [`HpaScaler`]: one role's Kubernetes HPA controller (`reconcileAutoscaler`), evaluated
//! at each delivery of metrics.

use std::cmp::Ordering;

use orrery_engine::time::Millis;

use super::calculator::propose;
use super::history::HpaHistory;
use super::normalize::{count, with_behavior, without_behavior, Condition, Counts, Normalized};
use super::sample::RoleSample;
use super::spec::{HpaRule, Resolved};
use crate::elasticity::{Decision, RuleRef};

/// One role's target tracking in the `hpa` mode and what the controller remembers of it.
#[derive(Debug, Clone)]
pub struct HpaScaler {
    rule: HpaRule,
    resolved: Resolved,
    history: HpaHistory,
}

impl HpaScaler {
    /// A scaler with no past for a rule that passed [`HpaRule::validate`].
    ///
    /// # Panics
    ///
    /// If the rule does not pass [`HpaRule::validate`].
    pub fn new(rule: HpaRule) -> Self {
        Self::resume(rule, HpaHistory::default())
    }

    /// A scaler that remembers `history` (as [`HpaScaler::history`] gave it, or as recorded
    /// elsewhere): it decides as the scaler that lived through that history would.
    ///
    /// # Panics
    ///
    /// If the rule does not pass [`HpaRule::validate`].
    pub fn resume(rule: HpaRule, history: HpaHistory) -> Self {
        let resolved = rule
            .resolve()
            .unwrap_or_else(|(key, message)| panic!("an invalid HPA rule: {key}: {message}"));
        HpaScaler {
            rule,
            resolved,
            history,
        }
    }

    /// The rule.
    pub fn rule(&self) -> &HpaRule {
        &self.rule
    }

    /// What it remembers: past recommendations and scale events.
    pub fn history(&self) -> &HpaHistory {
        &self.history
    }

    /// One evaluation at `now` of `role`: a decision if the cardinality should change, with
    /// the metric that proposed it and the condition that bounded it ([`RuleRef::Hpa`]).
    ///
    /// As `reconcileAutoscaler`: a count outside `[min_vms, max_vms]` is brought to the
    /// nearer bound; otherwise the metrics' largest proposal (none when metrics are
    /// invalid, see `computeReplicasForMetrics`) is stabilised and limited, by `behavior` or
    /// without it by the fixed rules. With a `behavior`, a change is recorded as a scale
    /// event.
    pub fn evaluate(&mut self, now: Millis, role: &RoleSample) -> Option<Decision> {
        let r = &self.resolved;
        let current = i64::from(role.cardinality);
        self.history.record_initial(now, role.cardinality);
        if current == 0 {
            return None; // "scaling is disabled since the replica count of the target is zero"
        }
        let bounded = |to, bound, why: &str| (to, String::new(), bound, why.to_string());
        let (to, metric, bound, reason) = if current > r.max {
            let why = "Current number of replicas above Spec.MaxReplicas";
            bounded(r.max, Condition::TooManyReplicas, why)
        } else if current < r.min {
            let why = "Current number of replicas below Spec.MinReplicas";
            bounded(r.min, Condition::TooFewReplicas, why)
        } else {
            let proposal = propose(r, now, role).ok()?;
            let desired = proposal.replicas.max(0);
            let counts = Counts {
                current,
                desired,
                min: r.min,
                max: r.max,
            };
            let n = match &r.behavior {
                None => without_behavior(&mut self.history, now, r.downscale_window, counts),
                Some(rules) => with_behavior(&mut self.history, now, rules, counts),
            };
            let reason = explain(&proposal.metric, current, desired, &n);
            (n.replicas, proposal.metric, n.bound(), reason)
        };
        if to == current {
            return None;
        }
        if let Some(rules) = &r.behavior {
            let direction = if to > current { &rules.up } else { &rules.down };
            let (from, to) = (role.cardinality, count(to));
            self.history
                .store_event(now, from, to, direction.longest_period_s());
        }
        Some(Decision {
            at: now,
            from: role.cardinality,
            to: count(to),
            rule: RuleRef::Hpa {
                metric,
                limit: bound.reason(),
            },
            reason,
            cooldown: 0,
        })
    }
}

/// The controller's rescale reason (`"… above target"`, `"All metrics below target"`) and
/// what stabilisation and the limits made of the proposal.
fn explain(metric: &str, current: i64, desired: i64, n: &Normalized) -> String {
    let mut reason = match desired.cmp(&current) {
        Ordering::Greater => format!("{metric} above target"),
        Ordering::Less => "All metrics below target".to_string(),
        Ordering::Equal => format!("{metric} at target"),
    };
    reason += &format!(": proposal {desired}");
    if n.stabilized != desired {
        let s = n.stabilization;
        reason += &format!(", stabilised to {} ({})", n.stabilized, s.reason());
    }
    if n.replicas != n.stabilized {
        let l = n.limit;
        reason += &format!(
            ", limited to {} ({}: {})",
            n.replicas,
            l.reason(),
            l.message()
        );
    }
    reason
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use orrery_engine::time::SECOND;
    use serde_json::{json, Value};

    use super::*;
    use crate::elasticity::hpa::sample::{VmPhase, VmSample};

    const S: Millis = SECOND;

    /// A rule for 1..=100 VMs on the Pods metric `RPS` at 10 per VM, and `extra` keys.
    fn rule(extra: Value) -> HpaRule {
        let mut r = json!({"max_vms": 100, "metrics": [{"type": "Pods", "pods": {
            "metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": 10}}}]});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(r).unwrap()
    }

    /// `n` running VMs, each delivering `rps`; `kpis` for the service.
    fn role(n: u32, rps: f64, kpis: &[(&str, f64)]) -> RoleSample {
        let vm = VmSample {
            phase: VmPhase::Running,
            running_since: Some(0),
            vcpus: 1,
            memory_mb: 1024.0,
            metrics: BTreeMap::from([("RPS".to_string(), rps)]),
        };
        RoleSample {
            cardinality: n,
            vms: vec![vm; n as usize],
            kpis: kpis.iter().map(|&(k, x)| (k.to_string(), x)).collect(),
        }
    }

    fn to(d: Option<Decision>) -> Option<(u32, String)> {
        d.map(|d| (d.to, d.rule.to_string()))
    }

    #[test]
    fn ten_vms_wanting_fifty_get_twenty() {
        // 50 per VM against 10: ceil(5 × 10) = 50; one step may at most double (100 % beats
        // 4 VMs), with or without a behavior.
        for extra in [json!({}), json!({"behavior": {}})] {
            let mut s = HpaScaler::new(rule(extra));
            let d = s.evaluate(0, &role(10, 50.0, &[])).unwrap();
            assert_eq!((d.from, d.to), (10, 20));
            assert_eq!(
                d.rule,
                RuleRef::Hpa {
                    metric: "pods metric RPS".into(),
                    limit: "ScaleUpLimit"
                }
            );
            assert!(
                d.reason
                    .starts_with("pods metric RPS above target: proposal 50"),
                "{}",
                d.reason
            );
            assert!(
                d.reason
                    .ends_with("increasing faster than the maximum scale rate)"),
                "{}",
                d.reason
            );
        }
    }

    #[test]
    fn default_behavior_counts_the_last_fifteen_seconds_the_fixed_rules_do_not() {
        // With the default behavior, the scale-up of 10 at 0 s still counts at 10 s: the period
        // started at 10 VMs, so 20 is the limit and nothing changes; at 15 s it no longer
        // counts (strictly newer than now − 15 s) and 20 may double to 40.
        let mut s = HpaScaler::new(rule(json!({"behavior": {}})));
        assert_eq!(s.evaluate(0, &role(10, 50.0, &[])).unwrap().to, 20);
        assert_eq!(s.evaluate(10 * S, &role(20, 50.0, &[])), None);
        assert_eq!(s.evaluate(15 * S, &role(20, 50.0, &[])).unwrap().to, 40);
        assert_eq!(s.history().scale_up_events, [(0, 10, 20), (15 * S, 20, 40)]);
        // The fixed rules look at the current count only: 20 doubles at once.
        let mut s = HpaScaler::new(rule(json!({})));
        assert_eq!(s.evaluate(0, &role(10, 50.0, &[])).unwrap().to, 20);
        assert_eq!(s.evaluate(10 * S, &role(20, 50.0, &[])).unwrap().to, 40);
        assert!(
            s.history().scale_up_events.is_empty(),
            "no events without behavior"
        );
    }

    #[test]
    fn scale_down_waits_for_the_window_whose_edge_differs_with_behavior() {
        // 10 VMs at target (recommendation 10), then at 20 % from 60 s (recommendation 2).
        // Without behavior, recommendations at exactly now − 300 s still count: held at 300 s,
        // down at 301 s. With one, only those strictly newer count: down at 300 s.
        for (extra, at) in [(json!({}), 301), (json!({"behavior": {}}), 300)] {
            let mut s = HpaScaler::new(rule(extra));
            assert_eq!(s.evaluate(0, &role(10, 10.0, &[])), None);
            for t in (60..at).step_by(60) {
                assert_eq!(s.evaluate(t * S, &role(10, 2.0, &[])), None, "t = {t}");
            }
            let d = s.evaluate(at * S, &role(10, 2.0, &[])).unwrap();
            assert_eq!(d.to, 2);
            assert_eq!(
                d.rule.to_string(),
                "HPA on pods metric RPS (DesiredWithinRange)"
            );
        }
        // While held, the decision names the stabilisation.
        let mut s = HpaScaler::new(rule(json!({"behavior": {"scaleDown": {"policies": [
            {"type": "Pods", "value": 1, "periodSeconds": 60}]}}})));
        s.evaluate(0, &role(10, 10.0, &[]));
        let d = s.evaluate(300 * S, &role(10, 2.0, &[])).unwrap();
        assert_eq!(
            (d.to, d.rule.to_string()),
            (9, "HPA on pods metric RPS (ScaleDownLimit)".into())
        );
    }

    #[test]
    fn up_stabilisation_takes_the_lowest_recent_recommendation() {
        let mut s = HpaScaler::new(rule(json!({"behavior": {"scaleUp":
            {"stabilizationWindowSeconds": 60}}})));
        // Recommendations 10 at 0 s, 12 at 30 s (held at 10 by the one of 0 s), 15 at 61 s:
        // the one of 0 s has left the window, the least left is 12.
        assert_eq!(s.evaluate(0, &role(10, 10.0, &[])), None);
        assert_eq!(s.evaluate(30 * S, &role(10, 12.0, &[])), None);
        let d = s.evaluate(61 * S, &role(10, 15.0, &[])).unwrap();
        let rule = "HPA on pods metric RPS (ScaleUpStabilized)";
        assert_eq!((d.to, d.rule.to_string()), (12, rule.into()));
        assert!(
            d.reason.contains("proposal 15, stabilised to 12"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn tolerances_apply_per_direction() {
        // 10.8 per VM against 10: 1.08. Within the default 0.1; above a scale-up tolerance of
        // 0.05: ceil(1.08 × 10) = 11.
        let mut s = HpaScaler::new(rule(json!({})));
        assert_eq!(s.evaluate(0, &role(10, 10.8, &[])), None);
        let up = json!({"behavior": {"scaleUp": {"tolerance": 0.05}}});
        let mut s = HpaScaler::new(rule(up.clone()));
        assert_eq!(to(s.evaluate(0, &role(10, 10.8, &[]))).unwrap().0, 11);
        // 9.3 per VM on 20 VMs: 0.93, within the scale-down tolerance of 0.1 that is left;
        // below one of 0.05 (and no window): ceil(0.93 × 20) = 19.
        let mut s = HpaScaler::new(rule(up));
        assert_eq!(s.evaluate(0, &role(20, 9.3, &[])), None);
        let down = json!({"behavior": {"scaleDown":
            {"tolerance": "50m", "stabilizationWindowSeconds": 0}}});
        let mut s = HpaScaler::new(rule(down));
        assert_eq!(to(s.evaluate(0, &role(20, 9.3, &[]))).unwrap().0, 19);
        // The flag sets both directions where behavior sets none.
        let mut s = HpaScaler::new(rule(json!({"tolerance": 0.05})));
        assert_eq!(to(s.evaluate(0, &role(10, 10.8, &[]))).unwrap().0, 11);
    }

    #[test]
    fn select_policy_disabled_stops_a_direction() {
        let mut s = HpaScaler::new(rule(
            json!({"behavior": {"scaleUp": {"selectPolicy": "Disabled"},
            "scaleDown": {"stabilizationWindowSeconds": 0}}}),
        ));
        assert_eq!(s.evaluate(0, &role(10, 50.0, &[])), None);
        assert_eq!(to(s.evaluate(15 * S, &role(10, 2.0, &[]))).unwrap().0, 2);
        // Min picks the smaller of Pods 4 and 100 %: 14.
        let mut s = HpaScaler::new(rule(
            json!({"behavior": {"scaleUp": {"selectPolicy": "Min"}}}),
        ));
        assert_eq!(to(s.evaluate(0, &role(10, 50.0, &[]))).unwrap().0, 14);
    }

    #[test]
    fn bounds_apply_before_metrics_and_after_limits() {
        let mut s = HpaScaler::new(rule(json!({"min_vms": 2, "max_vms": 10})));
        // Out of bounds, without reading metrics.
        let d = s.evaluate(0, &role(12, f64::NAN, &[])).unwrap();
        assert_eq!(
            (d.to, d.rule.to_string()),
            (10, "HPA (TooManyReplicas)".into())
        );
        assert_eq!(
            d.reason,
            "Current number of replicas above Spec.MaxReplicas"
        );
        let d = s.evaluate(15 * S, &role(1, 0.0, &[])).unwrap();
        assert_eq!(
            (d.to, d.rule.to_string()),
            (2, "HPA (TooFewReplicas)".into())
        );
        // Within: 8 VMs at 30 would want 24, capped at 10.
        let d = s.evaluate(30 * S, &role(8, 30.0, &[])).unwrap();
        assert_eq!(
            (d.to, d.rule.to_string()),
            (10, "HPA on pods metric RPS (TooManyReplicas)".into())
        );
    }

    #[test]
    fn the_largest_proposal_wins_and_invalid_metrics_block_a_scale_down() {
        let kpi = json!({"metrics": [
            {"type": "Pods", "pods": {"metric": {"name": "RPS"},
                "target": {"type": "AverageValue", "averageValue": 10}}},
            {"type": "Object", "object": {"metric": {"name": "THROUGHPUT"},
                "target": {"type": "Value", "value": 100}}}]});
        // RPS 20 on 4 VMs proposes 8; THROUGHPUT 300 against 100 proposes ceil(3 × 4) = 12.
        let mut s = HpaScaler::new(rule(kpi.clone()));
        let d = s
            .evaluate(0, &role(4, 20.0, &[("THROUGHPUT", 300.0)]))
            .unwrap();
        assert_eq!(
            (d.to, d.rule.to_string()),
            (8, "HPA on object metric THROUGHPUT (ScaleUpLimit)".into())
        );
        // Without THROUGHPUT, RPS alone may scale up (8 ≥ 4) …
        let mut s = HpaScaler::new(rule(kpi.clone()));
        assert_eq!(to(s.evaluate(0, &role(4, 20.0, &[]))).unwrap().0, 8);
        // … but not down: 4 VMs at RPS 2 propose 1 < 4 with a metric invalid.
        let mut s = HpaScaler::new(rule(
            json!({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}},
            "metrics": kpi["metrics"]}),
        ));
        assert_eq!(s.evaluate(0, &role(4, 2.0, &[])), None);
        // THROUGHPUT at target keeps 4, the larger proposal.
        assert_eq!(
            s.evaluate(15 * S, &role(4, 2.0, &[("THROUGHPUT", 100.0)])),
            None
        );
        assert_eq!(
            to(s.evaluate(30 * S, &role(4, 2.0, &[("THROUGHPUT", 10.0)])))
                .unwrap()
                .0,
            1
        );
    }

    #[test]
    fn a_resumed_scaler_decides_as_the_one_that_lived_through_its_history() {
        let extra = json!({"behavior": {"scaleUp": {"policies": [
            {"type": "Pods", "value": 3, "periodSeconds": 60}]},
            "scaleDown": {"stabilizationWindowSeconds": 120}}});
        // 10 → 13 at 0 s (3 VMs per 60 s); at 30 s the period is used up. Resumed at 45 s, the
        // scale-up of 0 s still counts (a fresh scaler would add 3 more).
        let past = [(0, 10, 25.0), (30, 13, 25.0)];
        let future = [
            (45, 13, 25.0),
            (60, 13, 25.0),
            (90, 16, 5.0),
            (200, 16, 5.0),
        ];
        let mut lived = HpaScaler::new(rule(extra.clone()));
        for (t, n, rps) in past {
            lived.evaluate(t * S, &role(n, rps, &[]));
        }
        let recorded = serde_json::to_string(lived.history()).unwrap();
        let mut resumed = HpaScaler::resume(
            rule(extra.clone()),
            serde_json::from_str(&recorded).unwrap(),
        );
        let mut fresh = HpaScaler::new(rule(extra));
        let mut differs = false;
        for (t, n, rps) in future {
            let input = role(n, rps, &[]);
            let d = lived.evaluate(t * S, &input);
            assert_eq!(resumed.evaluate(t * S, &input), d, "t = {t}");
            assert_eq!(resumed.history(), lived.history(), "t = {t}");
            differs |= fresh.evaluate(t * S, &input) != d;
        }
        assert!(differs, "the history changes some decision");
    }
}
