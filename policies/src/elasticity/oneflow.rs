//! OpenNebula OneFlow's elasticity: rule specs as OneFlow writes them, its cardinality
//! arithmetic and the per-role state machine that applies the rules over time.
//!
//! Reproduced from OneFlow's Ruby (`src/flow/lib/models/role.rb` / `vmrole.rb`: `scale?`,
//! `scale_time?`, `scale_attributes?`, `calculate_new_cardinality`; `ServiceAutoScaler.rb`;
//! `LifeCycleManager#scale_action`) and the OneFlow elasticity documentation:
//!
//! * **Order.** At each evaluation the scheduled policies are tried first, then the
//!   elasticity policies in their order; the first that changes the cardinality wins and the
//!   ones after it are not evaluated (their period counters do not move). If none fires and
//!   the role is below `min_vms`, it scales up to `min_vms` with no cooldown.
//! * **Period.** An elasticity policy is evaluated at most once per `period` seconds: an
//!   evaluation earlier than `last_eval + period` is skipped. Evaluations happen at the calls
//!   (orrery's mode) or at the ticks of OneFlow's loop (oneflow mode, below), so the real
//!   cadence is the coarser of both.
//! * **period_number.** Each true evaluation adds one to a counter (capped at
//!   `period_number`), a false one resets it to 0; the policy fires when the counter reaches
//!   `period_number`, i.e. after `period_number` consecutive true evaluations (0 or absent
//!   fires on the first). The counters of every policy are cleared when the role starts
//!   scaling.
//! * **Cooldown.** While a role scales, and for `cooldown` seconds after the scaling has
//!   finished, no rule is evaluated. The cooldown is the firing policy's `cooldown`, else the
//!   role's, else OneFlow's default of 300 s.
//! * **Arithmetic** ([`new_cardinality`]): CHANGE adds `adjust`; CARDINALITY sets it;
//!   PERCENTAGE_CHANGE adds `cardinality × adjust / 100` truncated toward zero, at least 1 in
//!   magnitude and at least `min_adjust_step`, with the sign of the product (a zero product
//!   counts as negative, as in OneFlow). Then a positive `adjust` is clamped to
//!   `max(cardinality, max_vms)` (so a role without `max_vms` cannot grow), a negative one to
//!   `min_vms` (0 when absent).
//! * **Validation.** OneFlow's scale action then refuses a cardinality below `min_vms` or
//!   above `max_vms` (e.g. a CARDINALITY rule that names less than `min_vms`): that is
//!   [`Outcome::Rejected`], and the role stays as it was.
//! * **Scheduled policies.** The first evaluation only records its time (actions planned in
//!   the past are not run at start-up). Later, a `start_time` fires when it lies in
//!   `(previous evaluation, now]`, a `recurrence` when its next occurrence after the previous
//!   evaluation is at or before now. The new cardinality uses the same arithmetic.
//!
//! Two modes ([`Autoscaler`], a service's `autoscaler` key) share all of the above and differ
//! in what OneFlow's loop adds around it:
//!
//! * **orrery** evaluates at every call (each monitoring delivery) at the call's time; a role
//!   is held back by its own scaling and cooldown only.
//! * **oneflow** is `ServiceAutoScaler#start`: the rules are evaluated only at the ticks of a
//!   loop that runs every [`Autoscaler::ONEFLOW_INTERVAL`] (`:autoscaler_interval`, 90 s)
//!   from time 0, at the tick's time, on the latest delivered metrics. A call between two
//!   ticks does nothing ([`Outcome::Skipped`]); so `period` is quantised to ticks (a policy
//!   is evaluated at the first tick at or after `last_eval + period`, and `last_eval`
//!   becomes that tick) and `period_number` counts evaluated ticks. The caller says what the
//!   role's service allows ([`ServiceGate`]): a service that is not RUNNING is skipped
//!   whole, and once one role of it scales the others' firings are refused at that tick
//!   (`LifeCycleManager#scale_action` finds the service SCALING). The cooldown of every rule
//!   that fires, refused or not, becomes the role's cooldown (`update_role_policies`), which
//!   later rules without their own then use; the implicit `min_vms` rule sets it to 0.
//!
//! [`OneFlowScaler::state`] and [`OneFlowScaler::resume`] record and restore all of it
//! ([`OneFlowState`]).

use std::path::Path;

pub use orrery_engine::scenario::Autoscaler;
use orrery_engine::time::{Millis, SECOND};
use orrery_engine::InputError;
use serde::{Deserialize, Serialize};

use super::expr::Expression;
pub use super::oneflow_state::{OneFlowState, Phase, PolicyState};
use super::schedule::{civil_from_days, parse_start_time, Cron, Epoch};
use super::{Decision, RoleMetrics, RuleRef};
use crate::expr::ParseError;

/// OneFlow's default cooldown (`:default_cooldown:` in `oneflow-server.conf`), seconds.
pub const DEFAULT_COOLDOWN_S: u64 = 300;

/// How a rule changes the cardinality (OneFlow's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdjustmentType {
    /// Add `adjust` VMs (negative removes).
    Change,
    /// Set the cardinality to `adjust`.
    Cardinality,
    /// Add `adjust` percent of the current cardinality.
    PercentageChange,
}

/// One entry of a role's `elasticity_policies`, field for field as OneFlow writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticityPolicy {
    /// CHANGE, CARDINALITY or PERCENTAGE_CHANGE.
    #[serde(rename = "type")]
    pub kind: AdjustmentType,
    /// The adjustment, read according to `type`.
    pub adjust: i64,
    /// For PERCENTAGE_CHANGE: the least number of VMs to add or remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjust_step: Option<u32>,
    /// The condition, in OneFlow's expression language ([`Expression`]).
    pub expression: String,
    /// Seconds between two evaluations of the expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// How many consecutive true evaluations fire the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_number: Option<u32>,
    /// Seconds of cooldown after the scaling this policy causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u64>,
}

/// One entry of a role's `scheduled_policies`: exactly one of `recurrence`, `start_time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledPolicy {
    /// CHANGE, CARDINALITY or PERCENTAGE_CHANGE (usually CARDINALITY).
    #[serde(rename = "type")]
    pub kind: AdjustmentType,
    /// The adjustment, read according to `type`.
    pub adjust: i64,
    /// For PERCENTAGE_CHANGE: the least number of VMs to add or remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjust_step: Option<u32>,
    /// A 5-field cron line ([`Cron`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<String>,
    /// A one-off time: Unix seconds or `YYYY-MM-DD HH:MM:SS` UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Seconds of cooldown after the scaling this policy causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u64>,
}

/// The elasticity part of a OneFlow role: the keys of a role in a OneFlow service template
/// (or service body) that the rules read, with OneFlow's names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleElasticity {
    /// Least cardinality; absent is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_vms: Option<u32>,
    /// Greatest cardinality; absent means the rules cannot grow the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_vms: Option<u32>,
    /// The role's cooldown in seconds, for policies without their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u64>,
    /// Rules on metrics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elasticity_policies: Vec<ElasticityPolicy>,
    /// Rules on time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled_policies: Vec<ScheduledPolicy>,
}

/// The keys OneFlow itself writes into policies at run time; dropped on import.
const RUNTIME_KEYS: [&str; 3] = ["last_eval", "true_evals", "expression_evaluated"];

impl RoleElasticity {
    /// Reads the elasticity keys of a OneFlow role object (a role of a service template or
    /// of a running service's body; its other keys, such as `name` or `vm_template`, are
    /// ignored, as are the run-time keys OneFlow writes into policies). `file` names the
    /// source in errors.
    pub fn from_oneflow_json(role: &serde_json::Value, file: &Path) -> Result<Self, InputError> {
        let Some(obj) = role.as_object() else {
            return Err(InputError::file(
                file,
                "a OneFlow role must be a JSON object",
            ));
        };
        let mut picked = serde_json::Map::new();
        for key in [
            "min_vms",
            "max_vms",
            "cooldown",
            "elasticity_policies",
            "scheduled_policies",
        ] {
            if let Some(v) = obj.get(key) {
                let mut v = v.clone();
                if let Some(list) = v.as_array_mut() {
                    for p in list.iter_mut().filter_map(|p| p.as_object_mut()) {
                        RUNTIME_KEYS.iter().for_each(|k| {
                            p.remove(*k);
                        });
                    }
                }
                picked.insert(key.to_owned(), v);
            }
        }
        serde_path_to_error::deserialize(serde_json::Value::Object(picked))
            .map_err(|e| InputError::file(file, e.inner().to_string()).key(e.path().to_string()))
    }

    /// The role's elasticity keys as OneFlow writes them (merge them into a role object).
    pub fn to_oneflow_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a RoleElasticity always serialises")
    }
}

/// OneFlow's `calculate_new_cardinality`: the cardinality a rule asks for, already clamped
/// as OneFlow clamps it (see the module docs). May lie outside `[min_vms, max_vms]` (and
/// even below 0 for a PERCENTAGE_CHANGE of 0 on an empty role), which OneFlow then refuses.
pub fn new_cardinality(
    kind: AdjustmentType,
    adjust: i64,
    min_adjust_step: Option<u32>,
    cardinality: u32,
    min_vms: Option<u32>,
    max_vms: Option<u32>,
) -> i64 {
    let card = i64::from(cardinality);
    let max = card.max(max_vms.map_or(0, i64::from));
    let min = min_vms.map_or(0, i64::from);
    let new = match kind {
        AdjustmentType::Change => card + adjust,
        AdjustmentType::Cardinality => adjust,
        AdjustmentType::PercentageChange => {
            let change = card as f64 * adjust as f64 / 100.0;
            let sign = if change > 0.0 { 1 } else { -1 };
            let magnitude = if change.abs() < 1.0 {
                1
            } else {
                change.abs() as i64
            };
            card + sign * magnitude.max(min_adjust_step.map_or(0, i64::from))
        }
    };
    match adjust {
        a if a > 0 => new.min(max),
        a if a < 0 => new.max(min),
        _ => new,
    }
}

/// What one evaluation of a role's rules produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Rules were evaluated (or skipped for their period) and none changes the cardinality.
    Idle,
    /// Nothing was evaluated: no tick of OneFlow's loop is due, or the service is not
    /// RUNNING ([`ServiceGate::Closed`]).
    Skipped,
    /// The role is scaling or cooling down: nothing was evaluated.
    Busy(Phase),
    /// Scale to `decision.to`; the role is now [`Phase::Scaling`].
    Scale(Decision),
    /// A rule fired but OneFlow would refuse the cardinality it asks for (outside
    /// `[min_vms, max_vms]`, or the service is already scaling); the role stays as it was and
    /// the rule fires again at its next evaluation.
    Rejected {
        /// The refused decision.
        decision: Decision,
        /// OneFlow's reason, e.g. `Minimum cardinality is 2`.
        reason: String,
    },
}

/// What the role's service allows at an evaluation (OneFlow's autoscaler looks at the
/// service's state, and its scale action checks it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceGate {
    /// The service is RUNNING: a rule that fires scales the role.
    Open,
    /// The service was RUNNING at this tick but another of its roles has just started
    /// scaling: the rules are evaluated and a rule that fires is refused.
    Scaling,
    /// The service is not RUNNING: nothing is evaluated (the tick still passes).
    Closed,
}

enum When {
    Once(i64),
    Every(Cron),
}

/// A role's OneFlow rules, parsed, and the state they carry across evaluations.
pub struct OneFlowScaler {
    spec: RoleElasticity,
    expressions: Vec<Expression>,
    schedules: Vec<When>,
    epoch: Epoch,
    mode: Autoscaler,
    policies: Vec<PolicyState>,
    scheduled_last: Vec<Option<Millis>>,
    phase: Phase,
    last_tick: Option<Millis>,
    /// The cooldown of rules without their own (the role's, rewritten in oneflow mode).
    role_cooldown: Millis,
}

impl OneFlowScaler {
    /// Parses the rules (expressions, cron lines, start times); `epoch` maps simulated time
    /// to the calendar for scheduled policies; `mode` is the autoscaler that applies them;
    /// `file` names the source in errors.
    pub fn new(
        spec: RoleElasticity,
        epoch: Epoch,
        mode: Autoscaler,
        file: &Path,
    ) -> Result<Self, InputError> {
        let located = |key: String, e: ParseError| InputError {
            key: Some(key),
            hint: e.hint.or_else(|| {
                Some("OneFlow's expression syntax, e.g. CPU_UTILIZATION > 70 & RT < 0.5".into())
            }),
            ..InputError::file(file, format!("column {}: {}", e.column, e.message))
        };
        if let (Some(min), Some(max)) = (spec.min_vms, spec.max_vms) {
            if min > max {
                return Err(InputError::file(
                    file,
                    format!("min_vms {min} is above max_vms {max}"),
                )
                .key("min_vms"));
            }
        }
        let mut expressions = Vec::new();
        for (i, p) in spec.elasticity_policies.iter().enumerate() {
            let key = format!("elasticity_policies[{i}].expression");
            expressions.push(Expression::parse(&p.expression).map_err(|e| located(key, e))?);
        }
        let mut schedules = Vec::new();
        for (i, p) in spec.scheduled_policies.iter().enumerate() {
            let when = match (&p.recurrence, &p.start_time) {
                (Some(r), None) => When::Every(
                    Cron::parse(r).map_err(|e| located(format!("scheduled_policies[{i}].recurrence"), e))?,
                ),
                (None, Some(s)) => When::Once(
                    parse_start_time(s)
                        .map_err(|e| located(format!("scheduled_policies[{i}].start_time"), e))?,
                ),
                _ => {
                    return Err(InputError::file(
                        file,
                        "a scheduled policy needs exactly one of `recurrence` and `start_time`",
                    )
                    .key(format!("scheduled_policies[{i}]"))
                    .hint("write `\"recurrence\": \"0 9 * * mon-fri\"` or `\"start_time\": \"2024-01-01 09:00:00\"`"))
                }
            };
            schedules.push(when);
        }
        Ok(OneFlowScaler {
            policies: vec![PolicyState::default(); spec.elasticity_policies.len()],
            scheduled_last: vec![None; spec.scheduled_policies.len()],
            role_cooldown: spec.cooldown.unwrap_or(DEFAULT_COOLDOWN_S) * SECOND,
            spec,
            expressions,
            schedules,
            epoch,
            mode,
            phase: Phase::Running,
            last_tick: None,
        })
    }

    /// A scaler of these rules that continues from `state` (recorded by [`Self::state`] or
    /// written by hand): it evaluates as the scaler that recorded it would. An error names
    /// the list whose length does not match the rules.
    pub fn resume(
        spec: RoleElasticity,
        epoch: Epoch,
        mode: Autoscaler,
        state: OneFlowState,
        file: &Path,
    ) -> Result<Self, InputError> {
        let mut scaler = Self::new(spec, epoch, mode, file)?;
        let fits = |key: &str, given: usize, rules: usize| {
            if given == 0 || given == rules {
                Ok(())
            } else {
                Err(InputError::file(
                    file,
                    format!("{given} in the state for {rules} in the rules"),
                )
                .key(key.to_owned())
                .hint("one entry per policy, in the rules' order (or none)"))
            }
        };
        fits(
            "elasticity_policies",
            state.elasticity_policies.len(),
            scaler.policies.len(),
        )?;
        fits(
            "scheduled_policies",
            state.scheduled_policies.len(),
            scaler.scheduled_last.len(),
        )?;
        if !state.elasticity_policies.is_empty() {
            scaler.policies = state.elasticity_policies;
        }
        if !state.scheduled_policies.is_empty() {
            scaler.scheduled_last = state.scheduled_policies;
        }
        scaler.phase = state.phase;
        scaler.last_tick = state.last_tick_ms;
        if let Some(cooldown) = state.role_cooldown_ms {
            scaler.role_cooldown = cooldown;
        }
        Ok(scaler)
    }

    /// This scaler as one that lived through `state` (see [`OneFlowScaler::resume`]).
    pub fn restore(&mut self, state: OneFlowState, file: &Path) -> Result<(), InputError> {
        *self = Self::resume(self.spec.clone(), self.epoch, self.mode, state, file)?;
        Ok(())
    }

    /// Everything the scaler carries to its next evaluation.
    pub fn state(&self) -> OneFlowState {
        OneFlowState {
            phase: self.phase,
            last_tick_ms: self.last_tick,
            role_cooldown_ms: Some(self.role_cooldown),
            elasticity_policies: self.policies.clone(),
            scheduled_policies: self.scheduled_last.clone(),
        }
    }

    /// The rules as given.
    pub fn spec(&self) -> &RoleElasticity {
        &self.spec
    }

    /// Where the role is in its scaling cycle.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The run-time state of `elasticity_policies[i]`.
    pub fn policy_state(&self, i: usize) -> PolicyState {
        self.policies[i]
    }

    /// Reports that the scaling decided last has finished at `now`: the cooldown starts.
    pub fn scaling_finished(&mut self, now: Millis) {
        if let Phase::Scaling { cooldown } = self.phase {
            self.phase = Phase::Cooldown {
                until: now + cooldown,
            };
        }
    }

    /// Evaluates the rules for a call at `now` (at the tick due, in oneflow mode) for a role
    /// of `cardinality` VMs whose running VMs delivered `metrics`, in a service that allows
    /// what `service` says (see the module docs for the order and timing).
    pub fn evaluate(
        &mut self,
        now: Millis,
        cardinality: u32,
        metrics: &RoleMetrics,
        service: ServiceGate,
    ) -> Outcome {
        let Some(now) = self.instant(now) else {
            return Outcome::Skipped;
        };
        if service == ServiceGate::Closed {
            return Outcome::Skipped;
        }
        match self.phase {
            Phase::Scaling { .. } => return Outcome::Busy(self.phase),
            Phase::Cooldown { until } if now < until => return Outcome::Busy(self.phase),
            _ => self.phase = Phase::Running,
        }
        let decided = self
            .scheduled(now, cardinality)
            .or_else(|| self.elastic(now, cardinality, metrics))
            .or_else(|| {
                let min = self.spec.min_vms.unwrap_or(0);
                (cardinality < min).then(|| {
                    let reason = format!("cardinality {cardinality} is below min_vms {min}");
                    (i64::from(min), RuleRef::MinVms, reason, 0)
                })
            });
        let Some((to, rule, reason, cooldown)) = decided else {
            return Outcome::Idle;
        };
        if self.mode == Autoscaler::OneFlow {
            // `update_role_policies`: the cooldown of the rule that fired becomes the role's.
            self.role_cooldown = cooldown;
        }
        let decision = Decision {
            at: now,
            from: cardinality,
            to: to.max(0) as u32,
            rule,
            reason,
            cooldown,
        };
        // `scale_action`: the service's state first, then `set_cardinality`'s bounds.
        let refused = match (self.spec.min_vms, self.spec.max_vms) {
            _ if service == ServiceGate::Scaling => {
                Some("Service cannot be scaled in state: SCALING".to_owned())
            }
            (Some(min), _) if to < i64::from(min) => Some(format!("Minimum cardinality is {min}")),
            (None, _) if to < 0 => Some("Minimum cardinality is 0".to_owned()),
            (_, Some(max)) if to > i64::from(max) => Some(format!("Maximum cardinality is {max}")),
            _ => None,
        };
        if let Some(reason) = refused {
            return Outcome::Rejected { decision, reason };
        }
        self.phase = Phase::Scaling { cooldown };
        self.policies.iter_mut().for_each(|p| p.true_evals = 0);
        Outcome::Scale(decision)
    }

    /// The instant a call at `now` evaluates at: `now`, or in a loop of ticks the latest tick
    /// at or before `now` when this scaler has not seen it yet (then recorded as seen).
    fn instant(&mut self, now: Millis) -> Option<Millis> {
        let Some(every) = self.mode.tick_interval() else {
            return Some(now);
        };
        let tick = now / every * every;
        if self.last_tick.is_some_and(|seen| seen >= tick) {
            return None;
        }
        self.last_tick = Some(tick);
        Some(tick)
    }

    fn cooldown(&self, own: Option<u64>) -> Millis {
        own.map_or(self.role_cooldown, |s| s * SECOND)
    }

    /// `scale_time?` over the scheduled policies: the first that changes the cardinality.
    fn scheduled(&mut self, now: Millis, card: u32) -> Option<(i64, RuleRef, String, Millis)> {
        for i in 0..self.schedules.len() {
            let Some(last) = self.scheduled_last[i].replace(now) else {
                continue;
            };
            let (last_s, now_s) = (self.epoch.unix(last), self.epoch.unix(now));
            let (due, what) = match &self.schedules[i] {
                When::Once(t) => (*t, "start_time"),
                When::Every(cron) => match cron.next_after(last_s) {
                    Some(t) => (t, "recurrence"),
                    None => continue,
                },
            };
            if !(due > last_s && due <= now_s) {
                continue;
            }
            let p = &self.spec.scheduled_policies[i];
            let to = self.arith(p.kind, p.adjust, p.min_adjust_step, card);
            if to != i64::from(card) {
                let reason = format!("{what} due at {}", utc(due));
                return Some((to, RuleRef::Scheduled(i), reason, self.cooldown(p.cooldown)));
            }
        }
        None
    }

    /// `scale_attributes?` over the elasticity policies: the first that changes the
    /// cardinality; the ones after it are not evaluated.
    fn elastic(
        &mut self,
        now: Millis,
        card: u32,
        metrics: &RoleMetrics,
    ) -> Option<(i64, RuleRef, String, Millis)> {
        for i in 0..self.expressions.len() {
            let p = &self.spec.elasticity_policies[i];
            let period = p.period.unwrap_or(0) * SECOND;
            let period_number = p.period_number.unwrap_or(0);
            let state = &mut self.policies[i];
            if state.last_eval.is_some_and(|l| now < l + period) {
                continue;
            }
            state.last_eval = Some(now);
            let (holds, trace) = self.expressions[i].explain(metrics);
            let mut to = i64::from(card);
            if holds {
                state.true_evals = (state.true_evals + 1).min(period_number);
                if state.true_evals >= period_number {
                    to = self.arith(p.kind, p.adjust, p.min_adjust_step, card);
                }
            } else {
                state.true_evals = 0;
            }
            if to != i64::from(card) {
                let reason = format!(
                    "{trace} held for {period_number} consecutive period(s): {:?} {}",
                    p.kind, p.adjust
                );
                return Some((
                    to,
                    RuleRef::Elasticity(i),
                    reason,
                    self.cooldown(p.cooldown),
                ));
            }
        }
        None
    }

    fn arith(&self, kind: AdjustmentType, adjust: i64, step: Option<u32>, card: u32) -> i64 {
        new_cardinality(
            kind,
            adjust,
            step,
            card,
            self.spec.min_vms,
            self.spec.max_vms,
        )
    }
}

/// `YYYY-MM-DD HH:MM UTC` of a Unix time.
fn utc(unix_s: i64) -> String {
    let (y, m, d) = civil_from_days(unix_s.div_euclid(86_400));
    let s = unix_s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdjustmentType::*;
    use ServiceGate::Open;

    fn nc(
        kind: AdjustmentType,
        adjust: i64,
        step: Option<u32>,
        card: u32,
        min: Option<u32>,
        max: Option<u32>,
    ) -> i64 {
        new_cardinality(kind, adjust, step, card, min, max)
    }

    #[test]
    fn change_adds_and_clamps_in_its_direction() {
        assert_eq!(nc(Change, 2, None, 3, Some(1), Some(10)), 5);
        assert_eq!(nc(Change, 2, None, 9, Some(1), Some(10)), 10);
        assert_eq!(nc(Change, -3, None, 4, Some(2), Some(10)), 2);
        assert_eq!(nc(Change, -3, None, 4, None, Some(10)), 1);
        assert_eq!(nc(Change, -9, None, 4, None, None), 0);
        assert_eq!(nc(Change, 0, None, 4, Some(5), Some(10)), 4);
        // No max_vms: the role cannot grow (max is max(cardinality, 0)).
        assert_eq!(nc(Change, 1, None, 3, None, None), 3);
        // Above max_vms (forced there): growing is clamped to the current cardinality.
        assert_eq!(nc(Change, 1, None, 12, None, Some(10)), 12);
        // Below min_vms, a negative rule is clamped up to min_vms.
        assert_eq!(nc(Change, -1, None, 1, Some(2), Some(10)), 2);
    }

    #[test]
    fn cardinality_sets_and_clamps_only_upwards() {
        assert_eq!(nc(Cardinality, 6, None, 3, Some(1), Some(10)), 6);
        assert_eq!(nc(Cardinality, 6, None, 3, Some(1), Some(5)), 5);
        // A positive adjust is never clamped to min_vms (OneFlow then refuses it).
        assert_eq!(nc(Cardinality, 1, None, 3, Some(2), Some(5)), 1);
        assert_eq!(nc(Cardinality, 7, None, 8, Some(2), Some(5)), 7);
    }

    #[test]
    fn percentage_change_truncates_with_a_floor_of_one_and_min_adjust_step() {
        // 5 × 50 % = 2.5 → 2.
        assert_eq!(nc(PercentageChange, 50, None, 5, None, Some(20)), 7);
        // min_adjust_step 3 beats 2.
        assert_eq!(nc(PercentageChange, 50, Some(3), 5, None, Some(20)), 8);
        // -2.5 → -2.
        assert_eq!(nc(PercentageChange, -50, None, 5, None, Some(20)), 3);
        assert_eq!(nc(PercentageChange, -50, Some(4), 5, Some(2), Some(20)), 2);
        // 4 × 10 % = 0.4 → at least 1 either way.
        assert_eq!(nc(PercentageChange, 10, None, 4, None, Some(20)), 5);
        assert_eq!(nc(PercentageChange, -10, None, 4, None, Some(20)), 3);
        // 10 × 20 % = 2 → 12, clamped to max 11; 7 × 33 % = 2.31 → 2.
        assert_eq!(nc(PercentageChange, 20, None, 10, None, Some(11)), 11);
        assert_eq!(nc(PercentageChange, 33, None, 7, None, Some(20)), 9);
        // A zero product counts as negative: OneFlow removes one VM.
        assert_eq!(nc(PercentageChange, 0, None, 4, None, Some(20)), 3);
        assert_eq!(nc(PercentageChange, 0, None, 0, None, Some(20)), -1);
        // An empty role: 0 × 50 % = 0, negative sign, so a step of 1 down.
        assert_eq!(nc(PercentageChange, 50, None, 0, None, Some(20)), -1);
    }

    fn cpu(x: f64) -> RoleMetrics {
        RoleMetrics::from_vms([[("CPU", x)], [("CPU", x)]])
    }

    fn scaler(spec: RoleElasticity) -> OneFlowScaler {
        let epoch = Epoch {
            unix_at_zero: 1_704_067_200, // 2024-01-01 00:00 UTC, a Monday
        };
        OneFlowScaler::new(spec, epoch, Autoscaler::Orrery, Path::new("role.json")).unwrap()
    }

    fn up_rule() -> ElasticityPolicy {
        ElasticityPolicy {
            kind: Change,
            adjust: 1,
            min_adjust_step: None,
            expression: "CPU > 80".into(),
            period: Some(60),
            period_number: Some(3),
            cooldown: Some(120),
        }
    }

    const S: Millis = SECOND;

    #[test]
    fn period_number_consecutive_periods_then_cooldown() {
        let mut s = scaler(RoleElasticity {
            min_vms: Some(1),
            max_vms: Some(5),
            elasticity_policies: vec![up_rule()],
            ..Default::default()
        });
        let hot = cpu(90.0);
        // Evaluated every 30 s; the period of 60 s skips every other evaluation.
        assert_eq!(s.evaluate(0, 2, &hot, Open), Outcome::Idle);
        assert_eq!(s.policy_state(0).true_evals, 1);
        assert_eq!(s.evaluate(30 * S, 2, &hot, Open), Outcome::Idle);
        assert_eq!(s.policy_state(0).last_eval, Some(0));
        assert_eq!(s.evaluate(60 * S, 2, &hot, Open), Outcome::Idle);
        assert_eq!(s.policy_state(0).true_evals, 2);
        // A false evaluation resets the count.
        assert_eq!(s.evaluate(120 * S, 2, &cpu(70.0), Open), Outcome::Idle);
        assert_eq!(s.policy_state(0).true_evals, 0);
        for t in [180, 240] {
            assert_eq!(s.evaluate(t * S, 2, &hot, Open), Outcome::Idle);
        }
        let Outcome::Scale(d) = s.evaluate(300 * S, 2, &hot, Open) else {
            panic!("third consecutive true period must fire");
        };
        assert_eq!((d.at, d.from, d.to, d.cooldown), (300 * S, 2, 3, 120 * S));
        assert_eq!(d.rule, RuleRef::Elasticity(0));
        assert!(d.reason.starts_with("CPU[90] > 80"), "{}", d.reason);
        assert_eq!(s.policy_state(0).true_evals, 0);
        // Scaling: nothing is evaluated until it finishes (at 330 s), then 120 s of cooldown.
        assert_eq!(
            s.evaluate(320 * S, 3, &hot, Open),
            Outcome::Busy(Phase::Scaling { cooldown: 120 * S })
        );
        s.scaling_finished(330 * S);
        assert_eq!(
            s.evaluate(449 * S, 3, &hot, Open),
            Outcome::Busy(Phase::Cooldown { until: 450 * S })
        );
        assert_eq!(s.policy_state(0).last_eval, Some(300 * S));
        // From 450 s the rule counts again from zero.
        assert_eq!(s.evaluate(450 * S, 3, &hot, Open), Outcome::Idle);
        assert_eq!(s.policy_state(0).true_evals, 1);
        assert_eq!(s.phase(), Phase::Running);
    }

    #[test]
    fn first_changing_policy_wins_and_later_ones_are_not_evaluated() {
        let down = ElasticityPolicy {
            kind: PercentageChange,
            adjust: -50,
            min_adjust_step: Some(1),
            expression: "CPU < 95".into(),
            period: None,
            period_number: None,
            cooldown: None,
        };
        let mut first = up_rule();
        first.period_number = None;
        let mut s = scaler(RoleElasticity {
            min_vms: Some(1),
            max_vms: Some(4),
            cooldown: Some(50),
            elasticity_policies: vec![first, down],
            ..Default::default()
        });
        let Outcome::Scale(d) = s.evaluate(0, 4, &cpu(90.0), Open) else {
            panic!()
        };
        // The first policy fires but is clamped to max 4: no change, so the second one runs:
        // 4 × -50 % = -2 → 2, with the role's cooldown.
        assert_eq!(
            (d.to, d.rule.clone(), d.cooldown),
            (2, RuleRef::Elasticity(1), 50 * S)
        );
        s.scaling_finished(10 * S);
        // At 60 s the first policy fires (+1) and the second is not evaluated.
        let Outcome::Scale(d) = s.evaluate(60 * S, 2, &cpu(90.0), Open) else {
            panic!()
        };
        assert_eq!((d.to, d.rule), (3, RuleRef::Elasticity(0)));
        assert_eq!(s.policy_state(1).last_eval, Some(0));
    }

    #[test]
    fn out_of_range_results_are_refused_and_min_vms_is_restored() {
        let rule = ElasticityPolicy {
            kind: Cardinality,
            adjust: 1,
            min_adjust_step: None,
            expression: "CPU < 10".into(),
            period: None,
            period_number: None,
            cooldown: None,
        };
        let mut s = scaler(RoleElasticity {
            min_vms: Some(2),
            max_vms: Some(6),
            elasticity_policies: vec![rule],
            ..Default::default()
        });
        let Outcome::Rejected { decision, reason } = s.evaluate(0, 3, &cpu(5.0), Open) else {
            panic!()
        };
        assert_eq!(
            (decision.to, reason.as_str()),
            (1, "Minimum cardinality is 2")
        );
        assert_eq!(s.phase(), Phase::Running);
        // Below min_vms with no rule firing: the implicit rule, without cooldown.
        let Outcome::Scale(d) = s.evaluate(10 * S, 0, &RoleMetrics::default(), Open) else {
            panic!()
        };
        assert_eq!((d.to, d.rule, d.cooldown), (2, RuleRef::MinVms, 0));
        // Forced above max_vms, scaling down by one is still above it: refused.
        let mut s = scaler(RoleElasticity {
            max_vms: Some(10),
            elasticity_policies: vec![ElasticityPolicy {
                kind: Change,
                adjust: -1,
                period_number: None,
                ..up_rule()
            }],
            ..Default::default()
        });
        let Outcome::Rejected { decision, reason } = s.evaluate(0, 12, &cpu(90.0), Open) else {
            panic!()
        };
        assert_eq!(
            (decision.to, reason.as_str()),
            (11, "Maximum cardinality is 10")
        );
    }

    #[test]
    fn scheduled_policies_fire_once_at_their_time() {
        let mut s = scaler(RoleElasticity {
            min_vms: Some(1),
            max_vms: Some(10),
            cooldown: Some(0),
            scheduled_policies: vec![
                ScheduledPolicy {
                    kind: Cardinality,
                    adjust: 6,
                    min_adjust_step: None,
                    recurrence: Some("0 9 * * mon-fri".into()),
                    start_time: None,
                    cooldown: None,
                },
                ScheduledPolicy {
                    kind: Cardinality,
                    adjust: 2,
                    min_adjust_step: None,
                    recurrence: None,
                    start_time: Some("2024-01-01 18:00:00".into()),
                    cooldown: Some(600),
                },
            ],
            ..Default::default()
        });
        let none = RoleMetrics::default();
        let h = 3600 * S;
        // The first evaluation only records the time.
        assert_eq!(s.evaluate(0, 2, &none, Open), Outcome::Idle);
        assert_eq!(s.evaluate(9 * h - 60 * S, 2, &none, Open), Outcome::Idle);
        let Outcome::Scale(d) = s.evaluate(9 * h + 30 * S, 2, &none, Open) else {
            panic!()
        };
        assert_eq!(
            (d.to, d.rule.clone(), d.cooldown),
            (6, RuleRef::Scheduled(0), 0)
        );
        assert_eq!(d.reason, "recurrence due at 2024-01-01 09:00 UTC");
        s.scaling_finished(9 * h + 60 * S);
        // Evaluations the same day do not fire again.
        assert_eq!(s.evaluate(10 * h, 6, &none, Open), Outcome::Idle);
        assert_eq!(
            s.evaluate(17 * h + 59 * 60 * S, 6, &none, Open),
            Outcome::Idle
        );
        let Outcome::Scale(d) = s.evaluate(18 * h + 90 * S, 6, &none, Open) else {
            panic!()
        };
        assert_eq!(
            (d.to, d.rule.clone(), d.cooldown),
            (2, RuleRef::Scheduled(1), 600 * S)
        );
        s.scaling_finished(18 * h + 90 * S);
        // Tuesday 09:00 fires again (after the cooldown).
        assert_eq!(s.evaluate(24 * h, 2, &none, Open), Outcome::Idle);
        let Outcome::Scale(d) = s.evaluate(33 * h, 2, &none, Open) else {
            panic!()
        };
        assert_eq!(d.to, 6);
    }

    #[test]
    fn oneflow_json_round_trip() {
        let role = serde_json::json!({
            "name": "frontend",
            "cardinality": 2,
            "vm_template": 0,
            "min_vms": 1,
            "max_vms": 5,
            "cooldown": 120,
            "elasticity_policies": [
                {"type": "CHANGE", "adjust": 1, "expression": "CPU > 80",
                 "period": 60, "period_number": 3, "cooldown": 300,
                 "last_eval": 1704067200, "true_evals": 2, "expression_evaluated": "CPU[85] > 80"},
                {"type": "PERCENTAGE_CHANGE", "adjust": -20, "min_adjust_step": 1,
                 "expression": "CPU < 20"}
            ],
            "scheduled_policies": [
                {"type": "CARDINALITY", "adjust": 4, "recurrence": "0 9 * * mon-fri"},
                {"type": "CARDINALITY", "adjust": 1, "start_time": "2024-01-01 20:00:00"}
            ]
        });
        let spec = RoleElasticity::from_oneflow_json(&role, Path::new("svc.json")).unwrap();
        assert_eq!(spec.elasticity_policies[1].kind, PercentageChange);
        assert_eq!(spec.elasticity_policies[0].period_number, Some(3));
        let back = spec.to_oneflow_json();
        let expected = serde_json::json!({
            "min_vms": 1, "max_vms": 5, "cooldown": 120,
            "elasticity_policies": [
                {"type": "CHANGE", "adjust": 1, "expression": "CPU > 80",
                 "period": 60, "period_number": 3, "cooldown": 300},
                {"type": "PERCENTAGE_CHANGE", "adjust": -20, "min_adjust_step": 1,
                 "expression": "CPU < 20"}
            ],
            "scheduled_policies": [
                {"type": "CARDINALITY", "adjust": 4, "recurrence": "0 9 * * mon-fri"},
                {"type": "CARDINALITY", "adjust": 1, "start_time": "2024-01-01 20:00:00"}
            ]
        });
        assert_eq!(back, expected);
        assert_eq!(
            RoleElasticity::from_oneflow_json(&back, Path::new("x")).unwrap(),
            spec
        );
    }

    #[test]
    fn bad_specs_name_the_key() {
        let role = serde_json::json!({
            "elasticity_policies": [{"type": "CHANGE", "adjust": 1, "expresion": "CPU > 1"}]
        });
        let e = RoleElasticity::from_oneflow_json(&role, Path::new("svc.json")).unwrap_err();
        assert!(
            e.key
                .as_deref()
                .unwrap()
                .starts_with("elasticity_policies[0]"),
            "{e}"
        );
        assert!(e.message.contains("unknown field `expresion`"), "{e}");
        let role = serde_json::json!({
            "elasticity_policies": [{"type": "SCALE", "adjust": 1, "expression": "CPU > 1"}]
        });
        let e = RoleElasticity::from_oneflow_json(&role, Path::new("svc.json")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("elasticity_policies[0].type"));
        let spec = RoleElasticity {
            elasticity_policies: vec![ElasticityPolicy {
                expression: "CPU >> 1".into(),
                ..up_rule()
            }],
            ..Default::default()
        };
        let epoch = Epoch { unix_at_zero: 0 };
        let e = OneFlowScaler::new(spec, epoch, Autoscaler::Orrery, Path::new("svc.json"))
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "svc.json, key `elasticity_policies[0].expression`: column 6: expected a number or \
             a metric name after `>`, found `>`. OneFlow's expression syntax, e.g. \
             CPU_UTILIZATION > 70 & RT < 0.5."
        );
        let spec = RoleElasticity {
            scheduled_policies: vec![ScheduledPolicy {
                kind: Cardinality,
                adjust: 1,
                min_adjust_step: None,
                recurrence: Some("0 9 * *".into()),
                start_time: Some("0".into()),
                cooldown: None,
            }],
            ..Default::default()
        };
        let e = OneFlowScaler::new(spec, epoch, Autoscaler::Orrery, Path::new("svc.json"))
            .err()
            .unwrap();
        assert_eq!(e.key.as_deref(), Some("scheduled_policies[0]"));
        let spec = RoleElasticity {
            min_vms: Some(3),
            max_vms: Some(2),
            ..Default::default()
        };
        assert!(OneFlowScaler::new(spec, epoch, Autoscaler::Orrery, Path::new("x")).is_err());
    }
}
