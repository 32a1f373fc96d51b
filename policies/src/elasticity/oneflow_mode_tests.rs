//! OneFlow's autoscaler (`autoscaler = "oneflow"`) against orrery's, on cases worked out by
//! hand from OpenNebula's Ruby: `ServiceAutoScaler#start` / `#apply_scaling_policies` (the
//! 90 s loop, RUNNING services only), `VMRole#scale?`, `#scale_attributes?`, `#scale_time?`,
//! `#calculate_new_cardinality` and `#update` (bounds), `LifeCycleManager#scale_action`
//! (`can_scale?`) and `#update_role_policies` (the cooldown written back), and the expression
//! grammar's attribute means. OpenNebula ships no spec files for these; each case restates
//! what the Ruby does.

use std::path::Path;

use orrery_engine::action::Action;
use orrery_engine::model::{RolePhase, ServiceSlot, ServiceState};
use orrery_engine::policy::Elasticity;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_engine::time::{Millis, SECOND};
use orrery_engine::{ClusterView, VmId};

use super::manager::ServiceElasticity;
use super::oneflow::AdjustmentType::{self, Cardinality, Change, PercentageChange};
use super::oneflow::Autoscaler::{self, OneFlow, Orrery};
use super::oneflow::ServiceGate::{Closed, Open, Scaling};
use super::oneflow::{
    ElasticityPolicy, OneFlowScaler, OneFlowState, Outcome, Phase, PolicyState, RoleElasticity,
    ScheduledPolicy,
};
use super::schedule::Epoch;
use super::{Decision, RoleMetrics, RuleRef};
use crate::service_fixtures::{add_service, add_vm, deliver, parse, set_phase, text, view};

const S: Millis = SECOND;
/// 2024-01-01 00:00 UTC.
const EPOCH: Epoch = Epoch {
    unix_at_zero: 1_704_067_200,
};

fn scaler(mode: Autoscaler, spec: RoleElasticity) -> OneFlowScaler {
    OneFlowScaler::new(spec, EPOCH, mode, Path::new("role.json")).unwrap()
}

/// Two running VMs that both report `CPU` = `x`.
fn cpu(x: f64) -> RoleMetrics {
    RoleMetrics::from_vms([[("CPU", x)], [("CPU", x)]])
}

fn rule(kind: AdjustmentType, adjust: i64, expression: &str) -> ElasticityPolicy {
    ElasticityPolicy {
        kind,
        adjust,
        min_adjust_step: None,
        expression: expression.into(),
        period: None,
        period_number: None,
        cooldown: None,
    }
}

fn every(period: u64, period_number: u32, p: ElasticityPolicy) -> ElasticityPolicy {
    ElasticityPolicy {
        period: Some(period),
        period_number: Some(period_number),
        ..p
    }
}

fn bounded(min: u32, max: u32, policies: Vec<ElasticityPolicy>) -> RoleElasticity {
    RoleElasticity {
        min_vms: Some(min),
        max_vms: Some(max),
        elasticity_policies: policies,
        ..Default::default()
    }
}

fn scale(outcome: Outcome) -> Decision {
    match outcome {
        Outcome::Scale(d) => d,
        other => panic!("expected a scaling, got {other:?}"),
    }
}

fn refusal(outcome: Outcome) -> (u32, String) {
    match outcome {
        Outcome::Rejected { decision, reason } => (decision.to, reason),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Calls `s` every 30 s from 0 (deliveries and ticks both call), at `cardinality` with
/// `metrics`, until it scales: the times (s) policy 0 was evaluated and the scaling's time.
fn until_it_scales(
    s: &mut OneFlowScaler,
    cardinality: u32,
    metrics: &RoleMetrics,
) -> (Vec<u64>, u64) {
    let mut evaluated = Vec::new();
    for t in (0..3600).step_by(30) {
        let before = s.policy_state(0).last_eval;
        let outcome = s.evaluate(t * S, cardinality, metrics, Open);
        if s.policy_state(0).last_eval != before {
            evaluated.push(t);
        }
        if let Outcome::Scale(d) = outcome {
            return (evaluated, d.at / S);
        }
    }
    panic!("never scaled; evaluated at {evaluated:?}")
}

#[test]
fn period_and_period_number_are_quantised_to_the_ticks() {
    let hot = cpu(90.0);
    // period 100 s, three true periods. OneFlow evaluates at a tick when it is at or after
    // last_eval + 100: 0; not 90 (< 100); 180; not 270 (< 280); 360, the third: fires at 360.
    let spec = bounded(1, 5, vec![every(100, 3, rule(Change, 1, "CPU > 80"))]);
    let mut s = scaler(OneFlow, spec.clone());
    assert_eq!(until_it_scales(&mut s, 2, &hot), (vec![0, 180, 360], 360));
    // orrery's autoscaler, called at the same times, counts periods from every call: 240 s.
    let mut s = scaler(Orrery, spec);
    assert_eq!(until_it_scales(&mut s, 2, &hot), (vec![0, 120, 240], 240));
    // A period up to one tick is every tick: two true ticks fire at 90 s (orrery: 60 s).
    let spec = bounded(1, 5, vec![every(60, 2, rule(Change, 1, "CPU > 80"))]);
    let mut s = scaler(OneFlow, spec.clone());
    assert_eq!(until_it_scales(&mut s, 2, &hot), (vec![0, 90], 90));
    let mut s = scaler(Orrery, spec);
    assert_eq!(until_it_scales(&mut s, 2, &hot), (vec![0, 60], 60));
    // period 180 is every other tick, exactly (180 is not < 0 + 180).
    let spec = bounded(1, 5, vec![every(180, 2, rule(Change, 1, "CPU > 80"))]);
    let mut s = scaler(OneFlow, spec);
    assert_eq!(until_it_scales(&mut s, 2, &hot), (vec![0, 180], 180));
}

#[test]
fn a_call_between_ticks_does_nothing_and_a_late_one_evaluates_at_its_tick() {
    let hot = cpu(90.0);
    let mut s = scaler(
        OneFlow,
        bounded(1, 5, vec![every(0, 2, rule(Change, 1, "CPU > 80"))]),
    );
    assert_eq!(s.evaluate(10 * S, 2, &hot, Open), Outcome::Idle);
    assert_eq!(s.policy_state(0).last_eval, Some(0));
    assert_eq!(s.evaluate(89 * S, 2, &hot, Open), Outcome::Skipped);
    assert_eq!(s.policy_state(0).true_evals, 1);
    // No call at 90 or 180 s: a call at 200 s evaluates once, at the tick of 180 s.
    let d = scale(s.evaluate(200 * S, 2, &hot, Open));
    assert_eq!(d.at, 180 * S);
    assert_eq!(s.state().last_tick_ms, Some(180 * S));
    // A service that is not RUNNING lets the tick pass unevaluated.
    let mut s = scaler(OneFlow, bounded(1, 5, vec![rule(Change, 1, "CPU > 80")]));
    assert_eq!(s.evaluate(0, 2, &hot, Closed), Outcome::Skipped);
    assert_eq!(s.evaluate(30 * S, 2, &hot, Open), Outcome::Skipped);
    assert_eq!(s.policy_state(0).last_eval, None);
    assert_eq!(scale(s.evaluate(90 * S, 2, &hot, Open)).at, 90 * S);
}

#[test]
fn clamped_in_the_rules_direction_refused_outside_the_bounds_and_fired_again() {
    let hot = cpu(90.0);
    let fire = |spec: RoleElasticity, cardinality: u32| {
        scaler(OneFlow, spec).evaluate(0, cardinality, &hot, Open)
    };
    // Up: 4 + 3 is capped at max_vms 5.
    let up = bounded(2, 5, vec![rule(Change, 3, "CPU > 80")]);
    assert_eq!(scale(fire(up.clone(), 4)).to, 5);
    // A role forced above max_vms cannot grow: max is max(cardinality, max_vms) = 7, no
    // change, so nothing fires.
    assert_eq!(fire(up, 7), Outcome::Idle);
    // Down from 1, below min_vms 2: floored at min_vms, i.e. moved up towards the range.
    let down = bounded(2, 5, vec![rule(Change, -1, "CPU > 80")]);
    assert_eq!(scale(fire(down.clone(), 1)).to, 2);
    // CARDINALITY 1 is a positive adjust, capped only upwards: 1 is below min_vms 2 and is
    // refused, not raised to 2.
    let to_one = bounded(2, 5, vec![rule(Cardinality, 1, "CPU > 80")]);
    assert_eq!(
        refusal(fire(to_one, 3)),
        (1, "Minimum cardinality is 2".into())
    );
    // Down by one from 7 (forced above max_vms 5) is 6, still above it: refused. With
    // period_number 2 it fires at the second tick, and since the refusal leaves the count at
    // 2 it fires (and is refused) again at the very next tick, the role untouched.
    let mut s = scaler(
        OneFlow,
        bounded(2, 5, vec![every(0, 2, rule(Change, -1, "CPU > 80"))]),
    );
    assert_eq!(s.evaluate(0, 7, &hot, Open), Outcome::Idle);
    for tick in [90, 180] {
        let refused = refusal(s.evaluate(tick * S, 7, &hot, Open));
        assert_eq!(refused, (6, "Maximum cardinality is 5".into()), "{tick}");
        assert_eq!(s.phase(), Phase::Running);
        assert_eq!(s.policy_state(0).true_evals, 2);
    }
}

#[test]
fn a_role_of_a_service_that_is_scaling_is_refused_and_keeps_its_count() {
    let hot = cpu(90.0);
    let mut s = scaler(
        OneFlow,
        bounded(1, 5, vec![every(0, 1, rule(Change, 1, "CPU > 80"))]),
    );
    let refused = refusal(s.evaluate(0, 2, &hot, Scaling));
    assert_eq!(
        refused,
        (3, "Service cannot be scaled in state: SCALING".into())
    );
    assert_eq!(
        (s.phase(), s.policy_state(0).true_evals),
        (Phase::Running, 1)
    );
    assert_eq!(scale(s.evaluate(90 * S, 2, &hot, Open)).to, 3);
}

#[test]
fn two_decimal_means_over_the_vms_that_report_decide_the_comparison() {
    let fires = |expression: &str, metrics: &RoleMetrics| {
        let spec = bounded(1, 5, vec![rule(Change, 1, expression)]);
        scaler(OneFlow, spec).evaluate(0, 3, metrics, Open)
    };
    // 80.004 twice and a VM without CPU: the mean over the two that report it is 80.004,
    // rounded to 80.0, which is not above 80 (unrounded it would be, and counting the
    // third VM as 0 would give 53.34).
    let m = RoleMetrics::from_vms(vec![
        vec![("CPU", 80.004)],
        vec![("CPU", 80.004)],
        vec![("MEMORY", 1.0)],
    ]);
    assert_eq!(fires("CPU > 80", &m), Outcome::Idle);
    assert_eq!(fires("CPU < 54", &m), Outcome::Idle);
    // 80.006 and 80.004: the mean 80.005 is ×100 = 8000.5, rounded half away from zero as
    // Ruby's Float#round does: 80.01, above 80.005 (unrounded it is not).
    let m = RoleMetrics::from_vms([[("CPU", 80.006)], [("CPU", 80.004)]]);
    let d = scale(fires("CPU > 80.005", &m));
    assert!(d.reason.starts_with("CPU[80.01] > 80.005"), "{}", d.reason);
}

#[test]
fn percentage_change_truncates_with_a_floor_of_one_and_min_adjust_step() {
    let to = |adjust: i64, step: Option<u32>, cardinality: u32| {
        let p = ElasticityPolicy {
            min_adjust_step: step,
            ..rule(PercentageChange, adjust, "CPU > 80")
        };
        scale(scaler(OneFlow, bounded(1, 10, vec![p])).evaluate(0, cardinality, &cpu(90.0), Open))
            .to
    };
    // 5 × 20 % = 1.0 → 1, raised to min_adjust_step 2: 7.
    assert_eq!(to(20, Some(2), 5), 7);
    assert_eq!(to(20, None, 5), 6);
    // 5 × -30 % = -1.5 → -1, min_adjust_step 2: 3.
    assert_eq!(to(-30, Some(2), 5), 3);
    // 3 × 10 % = 0.3 → at least 1: 4.
    assert_eq!(to(10, None, 3), 4);
    // 9 × 50 % = 4.5 → 4: 13, capped at max_vms 10.
    assert_eq!(to(50, None, 9), 10);
    // 7 × 33 % = 2.31 → 2: 9.
    assert_eq!(to(33, None, 7), 9);
}

#[test]
fn the_cooldown_of_the_rule_that_fired_becomes_the_roles() {
    // No role cooldown: OneFlow's default 300 s. Up has its own 60 s; down has none.
    let up = ElasticityPolicy {
        cooldown: Some(60),
        ..rule(Change, 1, "CPU > 80")
    };
    let spec = bounded(2, 5, vec![up, rule(Change, -1, "CPU < 20")]);
    // (mode, down's cooldown after up fired, down's after the implicit min_vms rule)
    for (mode, after_up, after_min) in [(OneFlow, 60, 0), (Orrery, 300, 300)] {
        let mut s = scaler(mode, spec.clone());
        assert_eq!(scale(s.evaluate(0, 2, &cpu(90.0), Open)).cooldown, 60 * S);
        s.scaling_finished(0);
        let d = scale(s.evaluate(90 * S, 3, &cpu(10.0), Open));
        assert_eq!(
            (d.rule, d.cooldown),
            (RuleRef::Elasticity(1), after_up * S),
            "{mode:?}"
        );
        s.scaling_finished(90 * S);
        // Below min_vms with no rule true: the implicit rule, cooldown 0.
        let d = scale(s.evaluate(990 * S, 1, &cpu(50.0), Open));
        assert_eq!((d.rule, d.to, d.cooldown), (RuleRef::MinVms, 2, 0));
        s.scaling_finished(990 * S);
        let d = scale(s.evaluate(1080 * S, 4, &cpu(10.0), Open));
        assert_eq!(d.cooldown, after_min * S, "{mode:?}");
    }
}

#[test]
fn scheduled_policies_fire_at_the_first_tick_after_their_time() {
    let at = |start: &str| RoleElasticity {
        min_vms: Some(1),
        max_vms: Some(5),
        scheduled_policies: vec![ScheduledPolicy {
            kind: Cardinality,
            adjust: 4,
            min_adjust_step: None,
            recurrence: None,
            start_time: Some(start.into()),
            cooldown: None,
        }],
        ..Default::default()
    };
    let none = RoleMetrics::default();
    let first = |mode: Autoscaler, step: u64| {
        let mut s = scaler(mode, at("2024-01-01 00:02:00"));
        (0..20)
            .map(|i| i * step)
            .find(|&t| matches!(s.evaluate(t * S, 2, &none, Open), Outcome::Scale(_)))
    };
    // Due at 120 s: OneFlow's first tick records the time; 120 is not in (0, 90] but is in
    // (90, 180]. orrery's autoscaler, called every 60 s, fires at 120 s.
    assert_eq!(first(OneFlow, 30), Some(180));
    assert_eq!(first(Orrery, 60), Some(120));
    // Due at 200 s while the service is not RUNNING (ticks 180 and 270 skipped, last_eval
    // left at 90): the first RUNNING tick, 360 s, finds it in (90, 360].
    let mut s = scaler(OneFlow, at("2024-01-01 00:03:20"));
    assert_eq!(s.evaluate(0, 2, &none, Open), Outcome::Idle);
    assert_eq!(s.evaluate(90 * S, 2, &none, Open), Outcome::Idle);
    for t in [180, 270] {
        assert_eq!(s.evaluate(t * S, 2, &none, Closed), Outcome::Skipped);
    }
    let d = scale(s.evaluate(360 * S, 2, &none, Open));
    assert_eq!((d.to, d.rule), (4, RuleRef::Scheduled(0)));
    assert_eq!(d.reason, "start_time due at 2024-01-01 00:03 UTC");
}

/// A role with an up rule (3 true periods of 100 s, cooldown 60 s), a down rule and a daily
/// schedule.
fn history_spec() -> RoleElasticity {
    RoleElasticity {
        scheduled_policies: vec![ScheduledPolicy {
            kind: Cardinality,
            adjust: 2,
            min_adjust_step: None,
            recurrence: Some("0 1 * * *".into()),
            start_time: None,
            cooldown: None,
        }],
        ..bounded(
            1,
            8,
            vec![
                ElasticityPolicy {
                    cooldown: Some(60),
                    ..every(100, 3, rule(Change, 1, "CPU > 80"))
                },
                every(0, 2, rule(Change, -1, "CPU < 20")),
            ],
        )
    }
}

/// What `s` decided and kept at each call every 30 s in `[from, to)` s (deliveries and ticks
/// alike), the role at `cardinality` VMs loaded to `load(t)`; a scaling finishes at the next
/// call. Also the cardinality reached.
fn drive(
    s: &mut OneFlowScaler,
    (from, to): (u64, u64),
    mut cardinality: u32,
    load: impl Fn(u64) -> f64,
) -> (Vec<(u64, Outcome, OneFlowState)>, u32) {
    let mut seen = Vec::new();
    for t in (from..to).step_by(30) {
        if s.phase() != Phase::Running {
            s.scaling_finished(t * S);
        }
        let outcome = s.evaluate(t * S, cardinality, &cpu(load(t)), Open);
        if let Outcome::Scale(d) = &outcome {
            cardinality = d.to;
        }
        seen.push((t, outcome, s.state()));
    }
    (seen, cardinality)
}

#[test]
fn a_resumed_scaler_evaluates_as_the_one_that_lived_the_history() {
    // Hot, cool and hot again, 10 minutes each, from 510 s (01:00 brings the schedule).
    let waves = |t: u64| {
        if (t / 600).is_multiple_of(2) {
            90.0
        } else {
            10.0
        }
    };
    for mode in [OneFlow, Orrery] {
        // The history: hot from 0 to 480 s, with one scaling (its cooldown written back in
        // oneflow mode); recorded after 480 s, mid-period, the tick of 450 s seen (the next
        // call, at 510 s, is between ticks).
        let mut lived = scaler(mode, history_spec());
        let (past, cardinality) = drive(&mut lived, (0, 510), 2, |_| 90.0);
        assert!(
            past.iter().any(|(_, o, _)| matches!(o, Outcome::Scale(_))),
            "{past:?}"
        );
        let recorded = serde_json::to_string(&lived.state()).unwrap();
        let state: OneFlowState = serde_json::from_str(&recorded).unwrap();
        assert_eq!(state, lived.state());
        let mut resumed =
            OneFlowScaler::resume(history_spec(), EPOCH, mode, state, Path::new("role.json"))
                .unwrap();
        let ahead = drive(&mut lived, (510, 4510), cardinality, waves);
        assert_eq!(
            drive(&mut resumed, (510, 4510), cardinality, waves),
            ahead,
            "{mode:?}"
        );
        // The state matters: a scaler without it decides otherwise.
        let mut fresh = scaler(mode, history_spec());
        assert_ne!(
            drive(&mut fresh, (510, 4510), cardinality, waves).0,
            ahead.0,
            "{mode:?}"
        );
    }
}

#[test]
fn a_state_written_by_hand_resumes_and_a_mismatched_one_is_refused() {
    let state: OneFlowState = serde_json::from_str(
        r#"{"phase": {"cooldown": {"until_ms": 450000}}, "last_tick_ms": 270000,
            "role_cooldown_ms": 60000,
            "elasticity_policies": [{"last_eval_ms": 270000, "true_evals": 2}, {}],
            "scheduled_policies": [270000]}"#,
    )
    .unwrap();
    assert_eq!(
        state.elasticity_policies[0],
        PolicyState {
            last_eval: Some(270 * S),
            true_evals: 2
        }
    );
    let mut s =
        OneFlowScaler::resume(history_spec(), EPOCH, OneFlow, state, Path::new("r.json")).unwrap();
    let hot = cpu(90.0);
    // The tick of 360 s was not seen: a call at 400 s evaluates at it, still cooling down;
    // one at 420 s is between ticks.
    assert_eq!(
        s.evaluate(400 * S, 3, &hot, Open),
        Outcome::Busy(Phase::Cooldown { until: 450 * S })
    );
    assert_eq!(s.evaluate(420 * S, 3, &hot, Open), Outcome::Skipped);
    // At 450 s: 450 ≥ 270 + 100 and the third true period: +1, with its own 60 s.
    let d = scale(s.evaluate(450 * S, 3, &hot, Open));
    assert_eq!((d.to, d.cooldown), (4, 60 * S));
    let one: OneFlowState =
        serde_json::from_str(r#"{"elasticity_policies": [{"true_evals": 1}]}"#).unwrap();
    let e = OneFlowScaler::resume(history_spec(), EPOCH, OneFlow, one, Path::new("r.json"))
        .err()
        .expect("one entry for two policies");
    assert_eq!(e.key.as_deref(), Some("elasticity_policies"));
    assert_eq!(e.message, "1 in the state for 2 in the rules");
    assert!(serde_json::from_str::<OneFlowState>(r#"{"phase": "idle"}"#).is_err());
}

// The manager: whole services, at ticks.

const WEB: usize = 0;

/// A service `app` with roles `a` (cooldown 200 s) and `b`, each of one VM, up to 3, both
/// scaling up by one when CPU > 80; `autoscaler` is a line of the `[[services]]` table.
fn two_roles(autoscaler: &str) -> Scenario {
    let role = |name: &str, cooldown: &str| {
        format!(
            "[[services.roles]]\nname = \"{name}\"\nvm_type = \"web\"\nmax_vms = 3\n{cooldown}\n\
             elasticity_policies = [{{ type = \"CHANGE\", adjust = 1, expression = \"CPU > 80\" }}]\n"
        )
    };
    parse(&text(
        "",
        &format!(
            "[[organisations]]\nname = \"acme\"\n\n[[services]]\nname = \"app\"\ntenant = \"acme\"\n\
             {autoscaler}\n\n{}\n{}",
            role("a", "cooldown = 200"),
            role("b", "")
        ),
    ))
}

/// The view of `app` running with one VM per role; returns the VMs of `a` and `b`.
fn running_app(s: &Scenario) -> (ClusterView, Vec<VmId>, Vec<VmId>) {
    let mut v = view(s);
    let app = add_service(
        &mut v,
        "app",
        "acme",
        None,
        ServiceState::Running,
        &[("a", WEB, 1), ("b", WEB, 1)],
    );
    let slot = |role| Some(ServiceSlot { service: app, role });
    let a = vec![add_vm(&mut v, WEB, 0, slot(0))];
    let b = vec![add_vm(&mut v, WEB, 1, slot(1))];
    (v, a, b)
}

fn at(e: &mut ServiceElasticity, v: &mut ClusterView, t: u64) -> Vec<Action> {
    v.now = t * S;
    e.scale(v, &mut RngStreams::new(0).stream("elasticity", 0))
}

fn scale_role(role: usize, cardinality: u32, cooldown_s: u64) -> Action {
    Action::ScaleRole {
        service: 0,
        role,
        cardinality,
        cooldown_s,
    }
}

#[test]
fn one_role_scaling_or_cooling_down_holds_every_role_of_the_service() {
    // orrery's autoscaler scales both hot roles at once.
    let s = two_roles("");
    let mut e = ServiceElasticity::from_scenario(&s).unwrap();
    let (mut v, a, b) = running_app(&s);
    for &vm in a.iter().chain(&b) {
        deliver(&mut v, vm, &[("CPU", 90.0)]);
    }
    assert_eq!(
        at(&mut e, &mut v, 0),
        vec![scale_role(0, 2, 200), scale_role(1, 2, 300)]
    );
    // OneFlow's: `a` scales at the tick of 0 s and `b`'s firing is refused (the service is
    // SCALING once `a` scales).
    let s = two_roles("autoscaler = \"oneflow\"");
    let mut e = ServiceElasticity::from_scenario(&s).unwrap();
    let (mut v, a, b) = running_app(&s);
    for &vm in a.iter().chain(&b) {
        deliver(&mut v, vm, &[("CPU", 90.0)]);
    }
    assert_eq!(at(&mut e, &mut v, 0), vec![scale_role(0, 2, 200)]);
    // `a` scales (0–100 s), then cools down until 300 s: the service is skipped at the ticks
    // of 90, 180 and 270 s though `b` stays hot.
    v.services[0].roles[0].cardinality = 2;
    let slot = Some(ServiceSlot {
        service: 0,
        role: 0,
    });
    let a2 = add_vm(&mut v, WEB, 0, slot);
    v.services[0].state = ServiceState::Scaling;
    set_phase(&mut v, 0, 0, RolePhase::Scaling, 0);
    assert_eq!(at(&mut e, &mut v, 90), vec![]);
    v.services[0].state = ServiceState::Cooldown;
    set_phase(&mut v, 0, 0, RolePhase::Cooldown, 100);
    for t in [120, 180, 240, 270] {
        assert_eq!(at(&mut e, &mut v, t), vec![], "{t}");
    }
    // Running again from 300 s, `a` cool: nothing at 300 s (between ticks); at the tick of
    // 360 s `b`'s rule fires again and scales it.
    v.services[0].state = ServiceState::Running;
    set_phase(&mut v, 0, 0, RolePhase::Running, 300);
    for vm in [a[0], a2] {
        deliver(&mut v, vm, &[("CPU", 50.0)]);
    }
    assert_eq!(at(&mut e, &mut v, 300), vec![]);
    assert_eq!(at(&mut e, &mut v, 360), vec![scale_role(1, 2, 300)]);
}

#[test]
fn oneflow_services_take_no_orrery_only_rules() {
    let e = ServiceElasticity::from_scenario(&parse(&text(
        "",
        "[[organisations]]\nname = \"acme\"\n\n[[services]]\nname = \"app\"\ntenant = \"acme\"\n\
         autoscaler = \"oneflow\"\n\n[[services.roles]]\nname = \"web\"\nvm_type = \"web\"\n\
         target_tracking = { metrics = [{ metric = \"CPU_UTILIZATION\", target = 60 }] }\n",
    )))
    .err()
    .expect("target tracking under OneFlow's autoscaler");
    assert_eq!(
        e.key.as_deref(),
        Some("services[0].roles[0].target_tracking")
    );
    assert_eq!(e.message, "OneFlow's autoscaler has no `target_tracking`");
    assert!(e.line.is_some(), "{e}");
}
