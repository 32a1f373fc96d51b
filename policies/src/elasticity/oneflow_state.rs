//! What a OneFlow scaler carries from one evaluation to the next: the role's place in the
//! scaling cycle and the bookkeeping OneFlow writes into a service's document (`last_eval`,
//! `true_evals`, the role's `cooldown`), plus the last tick of its autoscaler's loop.
//!
//! [`OneFlowState`] is that state as data: [`super::oneflow::OneFlowScaler::state`] records
//! it and [`super::oneflow::OneFlowScaler::resume`] continues from it, so that a decision
//! made offline (`orrery decide`) is the one a scaler that lived through the same history
//! would make. Times are integer milliseconds of the run's clock.

use orrery_engine::time::Millis;
use serde::{Deserialize, Serialize};

/// Where a role is in OneFlow's scaling cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Phase {
    /// Rules are evaluated.
    #[default]
    Running,
    /// VMs are being added or removed; the cooldown that follows is held here.
    Scaling {
        /// Cooldown to start once the scaling has finished, ms.
        #[serde(rename = "cooldown_ms")]
        cooldown: Millis,
    },
    /// No evaluation before `until`.
    Cooldown {
        /// End of the cooldown, ms.
        #[serde(rename = "until_ms")]
        until: Millis,
    },
}

/// The run-time state OneFlow keeps in each elasticity policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyState {
    /// Time of the last evaluation (`last_eval`), ms; `None` before the first.
    #[serde(
        default,
        rename = "last_eval_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_eval: Option<Millis>,
    /// Consecutive true evaluations (`true_evals`), capped at `period_number`.
    #[serde(default)]
    pub true_evals: u32,
}

/// Everything a [`super::oneflow::OneFlowScaler`] remembers, to record and resume it.
///
/// In JSON: `{"phase": {"cooldown": {"until_ms": 450000}}, "last_tick_ms": 360000,
/// "elasticity_policies": [{"last_eval_ms": 270000, "true_evals": 1}],
/// "scheduled_policies": [270000]}`; every key may be left out (a scaler that has not
/// evaluated yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneFlowState {
    /// Scaling, cooling down (until when) or running.
    #[serde(default)]
    pub phase: Phase,
    /// The last tick of OneFlow's autoscaler loop this scaler saw, evaluated or skipped, ms
    /// (`autoscaler = "oneflow"`; `None` before the first and in orrery's mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tick_ms: Option<Millis>,
    /// The role's cooldown as OneFlow last rewrote it (the cooldown of the rule that fired
    /// last), ms; `None`: the role's `cooldown` as written, else OneFlow's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_cooldown_ms: Option<Millis>,
    /// One entry per `elasticity_policies` entry, in order (empty: none evaluated yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elasticity_policies: Vec<PolicyState>,
    /// The last evaluation of each `scheduled_policies` entry, ms, in order (empty: none
    /// evaluated yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled_policies: Vec<Option<Millis>>,
}
