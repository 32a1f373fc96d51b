//! Elasticity rules for services: the decision part, pure and clock-free.
//!
//! What is built here:
//!
//! * [`expr`]: OneFlow's elasticity expression language (`CPU > 80 && RT >= 0.5`).
//! * [`oneflow`]: OneFlow's rules as OneFlow writes them (`elasticity_policies`,
//!   `scheduled_policies`, `min_vms`, `max_vms`, `cooldown`), its cardinality arithmetic
//!   (CHANGE, CARDINALITY, PERCENTAGE_CHANGE with `min_adjust_step`, clamping) and
//!   [`oneflow::OneFlowScaler`], the per-role state machine (period, `period_number`,
//!   cooldown) that turns delivered metrics into scaling decisions, at every delivery
//!   (orrery's autoscaler) or at the ticks of OneFlow's own loop (`autoscaler = "oneflow"`).
//! * [`oneflow_state`]: what a OneFlow scaler carries between evaluations, to record and
//!   resume it.
//! * [`schedule`]: the 5-field cron `recurrence` and `start_time` of scheduled rules.
//! * [`hpa`]: target tracking as the Kubernetes HorizontalPodAutoscaler does it: the `ratio`
//!   mode ([`hpa::RatioScaler`]: ratio, tolerance, stabilisation windows, min/max, with
//!   conversion to and from an `autoscaling/v2` object) and the `hpa` mode
//!   ([`hpa::HpaScaler`]: the v1.34 controller, `behavior` and all, resumable from an
//!   [`hpa::HpaHistory`]).
//! * [`vertical`]: resizing the vCPUs and memory of a role's VMs within their maximum.
//! * [`manager`]: [`manager::ServiceElasticity`], the service manager's elasticity policy:
//!   every role's rules from a scenario, applied at each monitoring delivery or, for a
//!   service with `autoscaler = "oneflow"`, at each tick of OneFlow's loop.
//!
//! Times are [`Millis`] of simulated time: nothing here reads a clock. Inputs are the metric
//! values a monitoring layer has *delivered* ([`RoleMetrics`]); outputs are [`Decision`]s: the
//! desired cardinality, the rule that fired and why.
//!
//! The simulator owns the mechanism: deploying or terminating VMs to reach the decided
//! cardinality and the roles' phases, from which [`manager`] reports when scaling finished
//! ([`oneflow::OneFlowScaler::scaling_finished`]).

use std::collections::BTreeMap;
use std::fmt;

use orrery_engine::time::Millis;

pub mod expr;
pub mod hpa;
pub mod manager;
pub mod oneflow;
#[cfg(test)]
mod oneflow_mode_tests;
pub mod oneflow_state;
pub mod schedule;
pub mod vertical;

/// The delivered metric values of one role's **running** VMs: one map per VM, metric name
/// (upper-cased) to value. VMs that are not running are left out by the caller, as OneFlow
/// only reads VMs in ACTIVE/RUNNING.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleMetrics {
    vms: Vec<BTreeMap<String, f64>>,
}

impl RoleMetrics {
    /// Metrics from one iterator of `(name, value)` pairs per running VM; names are
    /// upper-cased, non-finite values are dropped (a VM that reports NaN reports nothing).
    pub fn from_vms<I, P, S>(vms: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: IntoIterator<Item = (S, f64)>,
        S: AsRef<str>,
    {
        let vms = vms
            .into_iter()
            .map(|vm| {
                vm.into_iter()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(k, v)| (k.as_ref().to_ascii_uppercase(), v))
                    .collect()
            })
            .collect();
        RoleMetrics { vms }
    }

    /// How many running VMs there are.
    pub fn running(&self) -> usize {
        self.vms.len()
    }

    /// How many running VMs report metric `name` (case-insensitive).
    pub fn reporting(&self, name: &str) -> usize {
        let name = name.to_ascii_uppercase();
        self.vms.iter().filter(|vm| vm.contains_key(&name)).count()
    }

    /// The mean of metric `name` (case-insensitive) over the running VMs that report it;
    /// `None` if none does.
    pub fn mean(&self, name: &str) -> Option<f64> {
        let name = name.to_ascii_uppercase();
        let (sum, n) = self
            .vms
            .iter()
            .filter_map(|vm| vm.get(&name))
            .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        (n > 0).then(|| sum / n as f64)
    }
}

/// Which rule produced a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRef {
    /// OneFlow `elasticity_policies[i]`.
    Elasticity(usize),
    /// OneFlow `scheduled_policies[i]`.
    Scheduled(usize),
    /// OneFlow's implicit rule: a role below `min_vms` scales up to it, with no cooldown.
    MinVms,
    /// Target tracking (HPA) on the named metric.
    TargetTracking(String),
    /// The Kubernetes HPA controller (`target_tracking` with `mode = "hpa"`).
    Hpa {
        /// The controller's description of the metric whose proposal won (empty when the
        /// count was outside its bounds).
        metric: String,
        /// The reason of the condition that bounded the result, as the controller names it:
        /// `ScaleUpLimit`, `ScaleDownLimit`, `TooManyReplicas`, `TooFewReplicas`,
        /// `ScaleUpStabilized`, `ScaleDownStabilized` or `DesiredWithinRange`.
        limit: &'static str,
    },
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleRef::Elasticity(i) => write!(f, "elasticity_policies[{i}]"),
            RuleRef::Scheduled(i) => write!(f, "scheduled_policies[{i}]"),
            RuleRef::MinVms => write!(f, "min_vms"),
            RuleRef::TargetTracking(m) => write!(f, "target tracking on {m}"),
            RuleRef::Hpa { metric, limit } if metric.is_empty() => write!(f, "HPA ({limit})"),
            RuleRef::Hpa { metric, limit } => write!(f, "HPA on {metric} ({limit})"),
        }
    }
}

/// A decision to change a role's cardinality.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// When it was taken.
    pub at: Millis,
    /// The cardinality before.
    pub from: u32,
    /// The desired cardinality.
    pub to: u32,
    /// The rule that fired.
    pub rule: RuleRef,
    /// Why, in words: the evaluated expression, the schedule, the metric ratio.
    pub reason: String,
    /// The cooldown that follows once the scaling has finished (0 for target tracking, which
    /// stabilises through its windows instead).
    pub cooldown: Millis,
}
