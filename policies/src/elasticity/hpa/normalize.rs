//! From the metrics' proposal to the count the controller sets (`horizontal.go`): the
//! stabilisation over past recommendations, the rate limits of `behavior` over past scale
//! events, the fixed rules without `behavior`, and `[minReplicas, maxReplicas]`; each step
//! names the condition that bounded it, as the controller's `AbleToScale` and
//! `ScalingLimited` conditions do.

use orrery_engine::time::Millis;

use super::history::{after, before, HpaHistory};
use super::spec::{Directions, PolicyType, Rules, SelectPolicy};

/// The reason of the condition that bounded a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Condition {
    /// Nothing bounded it.
    DesiredWithinRange,
    /// Held up by lower recent recommendations.
    ScaleUpStabilized,
    /// Held down by higher recent recommendations.
    ScaleDownStabilized,
    /// Growth limited by the scale-up rate.
    ScaleUpLimit,
    /// Shrinking limited by the scale-down rate.
    ScaleDownLimit,
    /// Above `maxReplicas`.
    TooManyReplicas,
    /// Below `minReplicas`.
    TooFewReplicas,
}

impl Condition {
    /// The controller's reason.
    pub fn reason(self) -> &'static str {
        match self {
            Condition::DesiredWithinRange => "DesiredWithinRange",
            Condition::ScaleUpStabilized => "ScaleUpStabilized",
            Condition::ScaleDownStabilized => "ScaleDownStabilized",
            Condition::ScaleUpLimit => "ScaleUpLimit",
            Condition::ScaleDownLimit => "ScaleDownLimit",
            Condition::TooManyReplicas => "TooManyReplicas",
            Condition::TooFewReplicas => "TooFewReplicas",
        }
    }

    /// The controller's message.
    pub fn message(self) -> &'static str {
        match self {
            Condition::DesiredWithinRange => "the desired count is within the acceptable range",
            Condition::ScaleUpStabilized => {
                "recent recommendations were lower than current one, applying the lowest recent \
                 recommendation"
            }
            Condition::ScaleDownStabilized => {
                "recent recommendations were higher than current one, applying the highest \
                 recent recommendation"
            }
            Condition::ScaleUpLimit => {
                "the desired replica count is increasing faster than the maximum scale rate"
            }
            Condition::ScaleDownLimit => {
                "the desired replica count is decreasing faster than the maximum scale rate"
            }
            Condition::TooManyReplicas => {
                "the desired replica count is more than the maximum replica count"
            }
            Condition::TooFewReplicas => {
                "the desired replica count is less than the minimum replica count"
            }
        }
    }
}

/// The count to set and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Normalized {
    /// The recommendation after stabilisation.
    pub stabilized: i64,
    /// What stabilisation did (`DesiredWithinRange` when it changed nothing).
    pub stabilization: Condition,
    /// The count to set.
    pub replicas: i64,
    /// What bounded it after stabilisation (`ScalingLimited`).
    pub limit: Condition,
}

impl Normalized {
    /// The condition that bounded the result: the limit if one applied, else the
    /// stabilisation.
    pub fn bound(&self) -> Condition {
        if self.replicas != self.stabilized {
            self.limit
        } else {
            self.stabilization
        }
    }
}

/// The bounds and the count a normalisation works on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counts {
    pub current: i64,
    pub desired: i64,
    pub min: i64,
    pub max: i64,
}

/// Without `behavior` (`normalizeDesiredReplicas`): the highest recommendation of the last
/// `window`, then at most max(2 × current, 4) and within the bounds.
pub(super) fn without_behavior(
    history: &mut HpaHistory,
    now: Millis,
    window: Millis,
    c: Counts,
) -> Normalized {
    let stabilized = stabilize(history, now, window, c.desired);
    let stabilization = if stabilized != c.desired {
        Condition::ScaleDownStabilized
    } else {
        Condition::DesiredWithinRange
    };
    let (replicas, limit) = convert_with_rules(c.current, stabilized, c.min, c.max);
    Normalized {
        stabilized,
        stabilization,
        replicas,
        limit,
    }
}

/// With `behavior` (`normalizeDesiredReplicasWithBehaviors`): stabilised over each
/// direction's window, then limited by the policies' rates and the bounds.
pub(super) fn with_behavior(
    history: &mut HpaHistory,
    now: Millis,
    rules: &Directions,
    c: Counts,
) -> Normalized {
    let (stabilized, reason) = stabilize_with_behaviors(history, now, rules, c);
    let stabilization = if stabilized != c.desired {
        reason
    } else {
        Condition::DesiredWithinRange
    };
    let (replicas, limit) = convert_with_behavior_rate(
        history,
        now,
        rules,
        Counts {
            desired: stabilized,
            ..c
        },
    );
    Normalized {
        stabilized,
        stabilization,
        replicas,
        limit,
    }
}

/// `stabilizeRecommendation`: records `desired` and returns the highest recommendation not
/// older than `window` (those at exactly `now − window` count), `desired` included.
fn stabilize(history: &mut HpaHistory, now: Millis, window: Millis, desired: i64) -> i64 {
    let mut highest = desired;
    let mut reuse = None;
    for (i, &(t, r)) in history.recommendations.iter().enumerate() {
        if before(t, now, window) {
            reuse = Some(i);
        } else {
            highest = highest.max(i64::from(r));
        }
    }
    history.record(now, count(desired), reuse);
    highest
}

/// `stabilizeRecommendationWithBehaviors`: the current count raised to the least
/// recommendation of the scale-up window and lowered to the greatest of the scale-down
/// window (recommendations strictly newer than the cut-off, `desired` included); records
/// `desired`.
fn stabilize_with_behaviors(
    history: &mut HpaHistory,
    now: Millis,
    rules: &Directions,
    c: Counts,
) -> (i64, Condition) {
    let (mut up, mut down) = (c.desired, c.desired);
    let mut reuse = None;
    for (i, &(t, r)) in history.recommendations.iter().enumerate() {
        let r = i64::from(r);
        if after(t, now, rules.up.window) {
            up = up.min(r);
        }
        if after(t, now, rules.down.window) {
            down = down.max(r);
        }
        if before(t, now, rules.up.window) && before(t, now, rules.down.window) {
            reuse = Some(i);
        }
    }
    let recommendation = c.current.max(up).min(down);
    history.record(now, count(c.desired), reuse);
    let reason = if c.desired >= c.current {
        Condition::ScaleUpStabilized
    } else {
        Condition::ScaleDownStabilized
    };
    (recommendation, reason)
}

/// `convertDesiredReplicasWithRules`: at most max(2 × current, 4) and within the bounds.
fn convert_with_rules(current: i64, desired: i64, min: i64, max: i64) -> (i64, Condition) {
    let scale_up_limit = (2.0 * current as f64).max(4.0) as i64;
    let (allowed, limit) = if max > scale_up_limit {
        (scale_up_limit, Condition::ScaleUpLimit)
    } else {
        (max, Condition::TooManyReplicas)
    };
    if desired < min {
        (min, Condition::TooFewReplicas)
    } else if desired > allowed {
        (allowed, limit)
    } else {
        (desired, Condition::DesiredWithinRange)
    }
}

/// `convertDesiredReplicasWithBehaviorRate`: within the policies' rates (never past the
/// current count the wrong way) and the bounds.
fn convert_with_behavior_rate(
    history: &HpaHistory,
    now: Millis,
    rules: &Directions,
    c: Counts,
) -> (i64, Condition) {
    if c.desired > c.current {
        let limit = scale_up_limit(history, now, &rules.up, c.current).max(c.current);
        let (allowed, condition) = if c.max > limit {
            (limit, Condition::ScaleUpLimit)
        } else {
            (c.max, Condition::TooManyReplicas)
        };
        if c.desired > allowed {
            return (allowed, condition);
        }
    } else if c.desired < c.current {
        let limit = scale_down_limit(history, now, &rules.down, c.current).min(c.current);
        let (allowed, condition) = if c.min < limit {
            (limit, Condition::ScaleDownLimit)
        } else {
            (c.min, Condition::TooFewReplicas)
        };
        if c.desired < allowed {
            return (allowed, condition);
        }
    }
    (c.desired, Condition::DesiredWithinRange)
}

/// The count each policy started its period from: the current count less what scaled up
/// and plus what scaled down within the period.
fn period_start(history: &HpaHistory, now: Millis, period_s: u32, current: i64) -> i64 {
    current - history.changed_within(true, now, period_s)
        + history.changed_within(false, now, period_s)
}

/// `calculateScaleUpLimitWithScalingRules`: the most VMs the scale-up policies allow.
pub(super) fn scale_up_limit(
    history: &HpaHistory,
    now: Millis,
    rules: &Rules,
    current: i64,
) -> i64 {
    let proposals = rules.policies.iter().map(|p| {
        let start = period_start(history, now, p.period_seconds, current);
        match p.kind {
            PolicyType::Pods => start + i64::from(p.value),
            // Rounded up, or a small percentage would never add a VM.
            PolicyType::Percent => {
                (start as f64 * (1.0 + f64::from(p.value) / 100.0)).ceil() as i64
            }
        }
    });
    match rules.select {
        SelectPolicy::Disabled => current,
        SelectPolicy::Min => proposals.fold(i64::from(i32::MAX), i64::min),
        SelectPolicy::Max => proposals.fold(i64::from(i32::MIN), i64::max),
    }
}

/// `calculateScaleDownLimitWithBehaviors`: the fewest VMs the scale-down policies allow.
pub(super) fn scale_down_limit(
    history: &HpaHistory,
    now: Millis,
    rules: &Rules,
    current: i64,
) -> i64 {
    let proposals = rules.policies.iter().map(|p| {
        let start = period_start(history, now, p.period_seconds, current);
        match p.kind {
            PolicyType::Pods => start - i64::from(p.value),
            // Truncated toward zero, as Go converts a float to an integer.
            PolicyType::Percent => (start as f64 * (1.0 - f64::from(p.value) / 100.0)) as i64,
        }
    });
    match rules.select {
        SelectPolicy::Disabled => current,
        // The smallest change is the highest count.
        SelectPolicy::Min => proposals.fold(i64::from(i32::MIN), i64::max),
        SelectPolicy::Max => proposals.fold(i64::from(i32::MAX), i64::min),
    }
}

/// A count as stored: within `0..=i32::MAX`, as the controller's `int32`.
pub(super) fn count(x: i64) -> u32 {
    x.clamp(0, i64::from(i32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use orrery_engine::time::SECOND;

    use super::*;
    use crate::elasticity::hpa::spec::ScalingPolicy;

    const S: Millis = SECOND;
    const NOW: Millis = 10_000 * S;

    /// Kubernetes' `generateScalingRules`: a Pods and/or a Percent policy (0 leaves it out),
    /// `Max`, and a window.
    fn rules(pods: u32, pods_s: u32, percent: u32, percent_s: u32, window_s: u64) -> Rules {
        let mut policies = Vec::new();
        if pods != 0 {
            policies.push(ScalingPolicy {
                kind: PolicyType::Pods,
                value: pods,
                period_seconds: pods_s,
            });
        }
        if percent != 0 {
            policies.push(ScalingPolicy {
                kind: PolicyType::Percent,
                value: percent,
                period_seconds: percent_s,
            });
        }
        Rules {
            window: window_s * S,
            select: SelectPolicy::Max,
            policies,
        }
    }

    /// The API server's default rules (an empty `behavior`), scale-down window 300 s.
    fn defaults() -> Directions {
        Directions {
            up: rules(4, 15, 100, 15, 0),
            down: rules(0, 0, 100, 15, 300),
        }
    }

    /// Kubernetes' `generateEventsUniformDistribution`: `changes` spread over the last
    /// `period_s` seconds, each in the middle of its share (as `(time, before, after)` from 0).
    fn spread(changes: &[u32], period_s: u64) -> Vec<(Millis, u32, u32)> {
        let segment = period_s as f64 / changes.len() as f64;
        changes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let ago = period_s as f64 - segment * (i + 1) as f64 + segment / 2.0;
                (NOW - (ago * 1000.0) as Millis, 0, c)
            })
            .collect()
    }

    /// One `TestScalingWithRules` case: `(current, desired, min, max)` and the events up
    /// and down, with `up`/`down` replacing the default rules; the result and its reason.
    fn rate(
        counts: (i64, i64, i64, i64),
        up: Option<Rules>,
        down: Option<Rules>,
        events: (&[u32], &[u32]),
    ) -> (i64, &'static str) {
        let d = defaults();
        let directions = Directions {
            up: up.unwrap_or(d.up),
            down: down.unwrap_or(d.down),
        };
        let history = HpaHistory {
            recommendations: Vec::new(),
            scale_up_events: if events.0.is_empty() {
                Vec::new()
            } else {
                spread(events.0, 120)
            },
            scale_down_events: if events.1.is_empty() {
                Vec::new()
            } else {
                spread(events.1, 120)
            },
        };
        let (current, desired, min, max) = counts;
        let c = Counts {
            current,
            desired,
            min,
            max,
        };
        let (n, condition) = convert_with_behavior_rate(&history, NOW, &directions, c);
        (n, condition.reason())
    }

    /// Cases of Kubernetes' `TestScalingWithRules` (horizontal_test.go), restated.
    #[test]
    fn rate_limits_match_the_controllers_table() {
        let none: (&[u32], &[u32]) = (&[], &[]);
        // Within the range, below minReplicas, above maxReplicas.
        assert_eq!(
            rate((5, 7, 3, 8), None, None, none),
            (7, "DesiredWithinRange")
        );
        assert_eq!(rate((3, 1, 2, 8), None, None, none), (2, "TooFewReplicas"));
        assert_eq!(
            rate((20, 1000, 1, 10), None, None, none),
            (10, "TooManyReplicas")
        );
        // The default behavior: 10 VMs wanting 50 get 20 (100 % beats 4 VMs).
        assert_eq!(
            rate((10, 50, 1, 1000), None, None, none),
            (20, "ScaleUpLimit")
        );
        // 1 % per 60 s of 3 VMs: ceil(3.03) = 4.
        let up = Some(rules(0, 0, 1, 60, 0));
        assert_eq!(
            rate((3, 1000, 1, 2000), up, None, none),
            (4, "ScaleUpLimit")
        );
        // Pods 100 beats Percent 100 (110 > 20); Pods 2 loses to it (20).
        let up = Some(rules(100, 60, 100, 60, 0));
        assert_eq!(
            rate((10, 500, 1, 1000), up, None, none),
            (110, "ScaleUpLimit")
        );
        let up = Some(rules(2, 60, 100, 60, 0));
        assert_eq!(
            rate((10, 500, 1, 1000), up, None, none),
            (20, "ScaleUpLimit")
        );
        let up = Some(rules(30, 60, 0, 0, 0));
        assert_eq!(
            rate((10, 50, 1, 1000), up, None, none),
            (40, "ScaleUpLimit")
        );
        let up = Some(rules(0, 0, 200, 60, 0));
        assert_eq!(
            rate((10, 50, 1, 1000), up, None, none),
            (30, "ScaleUpLimit")
        );
        // Scale-down: Pods 20 beats 1 % (80), Pods 2 does not (98).
        let down = Some(rules(20, 60, 1, 60, 300));
        assert_eq!(
            rate((100, 2, 1, 1000), None, down, none),
            (80, "ScaleDownLimit")
        );
        let down = Some(rules(2, 60, 1, 60, 300));
        assert_eq!(
            rate((100, 2, 1, 1000), None, down, none),
            (98, "ScaleDownLimit")
        );
        let down = Some(rules(0, 0, 100, 60, 300));
        assert_eq!(
            rate((10, 2, 5, 1000), None, down, none),
            (5, "TooFewReplicas")
        );
        let down = Some(rules(0, 0, 50, 60, 300));
        assert_eq!(
            rate((10, 5, 1, 1000), None, down, none),
            (5, "DesiredWithinRange")
        );
        // Past events: 1 + 5 + 9 = 15 added in the last 120 s, so the period started at 85.
        let ups: (&[u32], &[u32]) = (&[1, 5, 9], &[]);
        let up = Some(rules(300, 60, 0, 0, 0));
        assert_eq!(
            rate((100, 500, 1, 200), up, None, ups),
            (200, "TooManyReplicas")
        );
        let up = Some(rules(5, 120, 0, 0, 0));
        assert_eq!(
            rate((100, 500, 1, 1000), up, None, ups),
            (100, "ScaleUpLimit")
        );
        let up = Some(rules(150, 120, 0, 0, 0));
        assert_eq!(
            rate((100, 500, 1, 1000), up, None, ups),
            (235, "ScaleUpLimit")
        );
        let up = Some(rules(0, 0, 200, 120, 0));
        assert_eq!(
            rate((100, 500, 1, 1000), up, None, ups),
            (255, "ScaleUpLimit")
        );
        // 4 up and 2 down within 300 s: the period started at 6 − 4 + 2 = 4; 300 % → 16.
        let up = Some(rules(0, 0, 300, 300, 0));
        assert_eq!(
            rate((6, 24, 1, 1000), up, None, (&[4], &[2])),
            (16, "ScaleUpLimit")
        );
        // Scale-down after removals of 1 + 5 + 9: 5 per 120 s from 115 leaves 110 > 100.
        let downs: (&[u32], &[u32]) = (&[], &[1, 5, 9]);
        let down = Some(rules(5, 120, 0, 0, 300));
        assert_eq!(
            rate((100, 2, 1, 1000), None, down, downs),
            (100, "ScaleDownLimit")
        );
        let down = Some(rules(0, 0, 50, 120, 300));
        let downs2: (&[u32], &[u32]) = (&[], &[2, 4, 6]);
        assert_eq!(
            rate((100, 0, 1, 1000), None, down, downs2),
            (56, "ScaleDownLimit")
        );
        // 2 up and 4 down within 180 s: started at 10 − 2 + 4 = 12; 50 % → 6.
        let down = Some(rules(0, 0, 50, 180, 0));
        assert_eq!(
            rate((10, 1, 1, 1000), None, down, (&[2], &[4])),
            (6, "ScaleDownLimit")
        );
        // Removals of 30 in the period: 10 % of 130 leaves 117, held at the current 100.
        let down = Some(rules(0, 0, 10, 120, 300));
        let thirty: (&[u32], &[u32]) = (&[], &[10, 10, 10]);
        assert_eq!(
            rate((100, 0, 1, 1000), None, down, thirty),
            (100, "ScaleDownLimit")
        );
        let down = Some(rules(0, 0, 1000, 120, 300));
        assert_eq!(
            rate((10, 5, 1, 1000), None, down, thirty),
            (5, "DesiredWithinRange")
        );
    }

    #[test]
    fn select_policy_picks_the_largest_smallest_or_no_change() {
        let history = HpaHistory::default();
        let mut r = rules(4, 60, 50, 60, 0);
        // 10 VMs: Pods allows 14, Percent 15.
        assert_eq!(scale_up_limit(&history, NOW, &r, 10), 15);
        r.select = SelectPolicy::Min;
        assert_eq!(scale_up_limit(&history, NOW, &r, 10), 14);
        r.select = SelectPolicy::Disabled;
        assert_eq!(scale_up_limit(&history, NOW, &r, 10), 10);
        // Down from 10: Pods allows 6, Percent 5; Min picks the smaller change.
        let mut r = rules(4, 60, 50, 60, 0);
        assert_eq!(scale_down_limit(&history, NOW, &r, 10), 5);
        r.select = SelectPolicy::Min;
        assert_eq!(scale_down_limit(&history, NOW, &r, 10), 6);
        r.select = SelectPolicy::Disabled;
        assert_eq!(scale_down_limit(&history, NOW, &r, 10), 10);
        // 50 × (1 + 10/100) in floating point is 55.00000000000001: rounded up to 56, as in
        // Go, though 10 % of 50 is 5.
        let r = rules(0, 0, 10, 60, 0);
        assert_eq!(scale_up_limit(&history, NOW, &r, 50), 56);
    }

    /// Cases of Kubernetes' `TestNormalizeDesiredReplicasWithBehavior` and
    /// `TestNormalizeDesiredReplicas`, restated: `(replicas, minutes ago)`.
    #[test]
    fn stabilisation_matches_the_controllers_table() {
        let recs = |r: &[(u32, u64)]| HpaHistory {
            recommendations: r.iter().map(|&(n, m)| (NOW - m * 60 * S, n)).collect(),
            ..HpaHistory::default()
        };
        let windows = |up_s: u64, down_s: u64| Directions {
            up: rules(4, 15, 0, 0, up_s),
            down: rules(0, 0, 100, 15, down_s),
        };
        let with = |r: &[(u32, u64)], dirs: Directions, current, desired| {
            let mut h = recs(r);
            let c = Counts {
                current,
                desired,
                min: 1,
                max: 1000,
            };
            let (n, _) = stabilize_with_behaviors(&mut h, NOW, &dirs, c);
            (n, h.recommendations.len())
        };
        assert_eq!(with(&[], windows(0, 0), 100, 5), (5, 1));
        assert_eq!(with(&[(4, 2), (5, 1)], windows(0, 180), 100, 3), (5, 3));
        assert_eq!(with(&[(4, 2), (5, 1)], windows(300, 0), 1, 7), (4, 3));
        assert_eq!(with(&[(1, 2), (2, 1)], windows(300, 0), 100, 3), (3, 3));
        assert_eq!(with(&[(4, 2), (5, 1)], windows(0, 300), 1, 3), (3, 3));
        // Recommendations outside both windows give their slot.
        assert_eq!(with(&[(10, 10), (9, 9)], windows(0, 0), 100, 3), (3, 2));
        assert_eq!(
            with(&[(10, 10), (4, 1), (5, 2), (9, 9)], windows(0, 180), 100, 3),
            (5, 4)
        );
        assert_eq!(
            with(
                &[(10, 100), (6, 1), (5, 2), (9, 3)],
                windows(300, 300),
                1,
                100
            ),
            (5, 4)
        );
        // Up and down windows together never move against the proposal.
        assert_eq!(with(&[(2, 100), (3, 3)], windows(300, 300), 2, 1), (2, 2));
        assert_eq!(with(&[(2, 100), (1, 3)], windows(300, 300), 2, 3), (2, 2));
        // Without behavior: the highest of the last 5 minutes, an old slot reused.
        let without = |r: &[(u32, u64)], desired| {
            let mut h = recs(r);
            (
                stabilize(&mut h, NOW, 300 * S, desired),
                h.recommendations.len(),
            )
        };
        assert_eq!(without(&[], 5), (5, 1));
        assert_eq!(without(&[(4, 2), (5, 1)], 3), (5, 3));
        assert_eq!(without(&[(1, 2), (2, 1)], 3), (3, 3));
        assert_eq!(without(&[(10, 10), (9, 9)], 3), (3, 2));
        assert_eq!(without(&[(10, 10), (4, 1), (5, 2), (9, 9)], 3), (5, 4));
        // A recommendation exactly at the window's edge still counts without behavior (not
        // before the cut-off) and no longer with it (not after).
        assert_eq!(without(&[(9, 5)], 3), (9, 2));
        assert_eq!(with(&[(9, 5)], windows(0, 300), 10, 3), (3, 2));
    }

    #[test]
    fn without_behavior_the_fixed_rules_apply() {
        // max(2 × 10, 4) = 20; max(2 × 1, 4) = 4; maxReplicas below the limit binds instead.
        assert_eq!(
            convert_with_rules(10, 50, 1, 1000),
            (20, Condition::ScaleUpLimit)
        );
        assert_eq!(
            convert_with_rules(1, 50, 1, 1000),
            (4, Condition::ScaleUpLimit)
        );
        assert_eq!(
            convert_with_rules(10, 50, 1, 15),
            (15, Condition::TooManyReplicas)
        );
        assert_eq!(
            convert_with_rules(10, 1, 2, 15),
            (2, Condition::TooFewReplicas)
        );
        // Stabilisation can raise the count without behavior: a higher recommendation of the
        // window wins even above the current count.
        let mut h = HpaHistory {
            recommendations: vec![(NOW - 100 * S, 8)],
            ..HpaHistory::default()
        };
        let c = Counts {
            current: 5,
            desired: 6,
            min: 1,
            max: 10,
        };
        let n = without_behavior(&mut h, NOW, 300 * S, c);
        assert_eq!((n.replicas, n.bound()), (8, Condition::ScaleDownStabilized));
    }
}
