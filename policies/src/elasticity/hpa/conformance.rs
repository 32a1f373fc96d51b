//! Conformance with the controller's own unit tests: table cases of Kubernetes'
//! `replica_calculator_test.go` and `horizontal_test.go` restated as VMs, with the same inputs
//! and expected counts. A pod's CPU request of 1 core is a 1-vCPU VM, a level of `n` milli-cores
//! is `n / 10` % `CPU_UTILIZATION`; a pod not ready is a pending (booting) VM, or for `cpu` a
//! VM still in its initialisation period ("hot CPU"); a failed or deleted pod is a gone VM;
//! an `Object` or `External` metric is a KPI of the service.

use std::collections::BTreeMap;

use orrery_engine::time::{Millis, SECOND};
use serde_json::{json, Value};

use super::calculator::propose;
use super::sample::{RoleSample, VmPhase, VmSample};
use super::spec::HpaRule;

const NOW: Millis = 3600 * SECOND;

/// A VM of 1 vCPU (1000 MB) in `phase`, running since `since` s before now, with `metrics`.
fn vm(phase: VmPhase, since_s: Millis, metrics: &[(&str, f64)]) -> VmSample {
    VmSample {
        phase,
        running_since: Some(NOW - since_s * SECOND),
        vcpus: 1,
        memory_mb: 1000.0,
        metrics: metrics.iter().map(|&(k, x)| (k.to_string(), x)).collect(),
    }
}

/// A VM running for an hour at `cpu` % (a "cool" pod).
fn cool(cpu: f64) -> VmSample {
    vm(VmPhase::Running, 3600, &[("CPU_UTILIZATION", cpu)])
}

/// A VM running for a minute at `cpu` %: within the 5-minute CPU initialisation ("hot").
fn hot(cpu: f64) -> VmSample {
    vm(VmPhase::Running, 60, &[("CPU_UTILIZATION", cpu)])
}

/// A running VM that delivered nothing.
fn silent() -> VmSample {
    vm(VmPhase::Running, 3600, &[])
}

/// A VM still booting.
fn pending() -> VmSample {
    vm(VmPhase::Pending, 0, &[])
}

/// A stopped VM.
fn gone() -> VmSample {
    vm(VmPhase::Gone, 3600, &[])
}

/// A running VM delivering `QPS`.
fn qps(x: f64) -> VmSample {
    vm(VmPhase::Running, 3600, &[("QPS", x)])
}

/// The count `metrics` propose for a role of `cardinality` with `vms` and the KPI `QPS`
/// (if given); `None` when the metrics are invalid.
fn proposal(metrics: Value, cardinality: u32, vms: Vec<VmSample>, kpi: Option<f64>) -> Option<i64> {
    let rule: HpaRule =
        serde_json::from_value(json!({"max_vms": 1000, "metrics": metrics})).unwrap();
    let role = RoleSample {
        cardinality,
        vms,
        kpis: kpi
            .map(|x| ("QPS".to_string(), x))
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
    };
    propose(&rule.resolve().unwrap(), NOW, &role)
        .ok()
        .map(|p| p.replicas)
}

fn cpu(target: i32) -> Value {
    json!([{"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": target}}}])
}

fn pods_qps(target: f64) -> Value {
    json!([{"type": "Pods", "pods": {"metric": {"name": "qps"},
        "target": {"type": "AverageValue", "averageValue": target}}}])
}

fn kpi(kind: &str, target_type: &str, target: f64) -> Value {
    let field = if target_type == "Value" {
        "value"
    } else {
        "averageValue"
    };
    json!([{"type": kind, kind.to_ascii_lowercase(): {"metric": {"name": "qps"},
        "target": {"type": target_type, field: target}}}])
}

#[test]
fn resource_utilisation_cases() {
    let p = |target, current, vms| proposal(cpu(target), current, vms, None);
    // TestReplicaCalcScaleUp: 50 % against 30 → ceil(1.667 × 3) = 5.
    assert_eq!(p(30, 3, vec![cool(30.0), cool(50.0), cool(70.0)]), Some(5));
    // …UnreadyLessScale / HotCpuLessScale: 60 % of the ready two; the unready one counts 0 on
    // the way up: 40 % → ceil(1.333 × 3) = 4.
    assert_eq!(p(30, 3, vec![hot(30.0), cool(50.0), cool(70.0)]), Some(4));
    assert_eq!(p(30, 3, vec![pending(), cool(50.0), cool(70.0)]), Some(4));
    // Five ready at 63 % of 30 and five initialising: counted as 0 they bring the ratio to
    // 31 / 30, within the tolerance (left out, ceil(2.1 × 5) = 11 would follow).
    let mut half = vec![hot(63.0); 5];
    half.extend(vec![cool(63.0); 5]);
    assert_eq!(p(30, 10, half), Some(10));
    // …UnreadyNoScale / HotCpuNoScale: 40 % alone says up, 13 % with the unready two says
    // down: the direction flips, no change.
    assert_eq!(p(30, 3, vec![cool(40.0), hot(50.0), hot(70.0)]), Some(3));
    // …IgnoresFailedPods / IgnoresDeletionPods: 2 of 4 gone, 60 % → 4.
    assert_eq!(
        p(30, 2, vec![cool(50.0), cool(70.0), gone(), gone()]),
        Some(4)
    );
    // TestReplicaCalcScaleDown: 28 % of 50 → ceil(0.56 × 5) = 3.
    let five = || vec![cool(10.0), cool(30.0), cool(50.0), cool(25.0), cool(25.0)];
    assert_eq!(p(50, 5, five()), Some(3));
    // …IgnoreHotCpuPods / IncludeUnreadyPods: the hot two left out on the way down: 30 % of
    // the three → ceil(0.6 × 3) = 2.
    let hot_two = vec![cool(10.0), cool(30.0), cool(50.0), hot(25.0), hot(25.0)];
    assert_eq!(p(50, 5, hot_two), Some(2));
    // …ExcludeUnscheduledPods: one at 10 %, four pending → 1.
    let unscheduled = vec![cool(10.0), pending(), pending(), pending(), pending()];
    assert_eq!(p(50, 5, unscheduled), Some(1));
    // TestReplicaCalcTolerance: 102 % of 100, within 0.1.
    assert_eq!(
        p(100, 3, vec![cool(101.0), cool(103.0), cool(102.0)]),
        Some(3)
    );
    // …MissingMetrics: 24 % says down; the two silent ones count 100 %: 62 % → 3.
    assert_eq!(
        p(100, 4, vec![cool(40.0), cool(9.5), silent(), silent()]),
        Some(3)
    );
    // …NoChangeEq (100 %), …NoChangeGt (190 %, then 95 % within), …NoChangeLt (60 %, then
    // 80 %: ceil(1.6) = 2).
    assert_eq!(p(100, 2, vec![cool(100.0), silent()]), Some(2));
    assert_eq!(p(100, 2, vec![cool(190.0), silent()]), Some(2));
    assert_eq!(p(100, 2, vec![cool(60.0), silent()]), Some(2));
    // …MissingMetricsUnreadyChange / HotCpuNoChange: 45 % of 50 says down; the silent one at
    // 100 % makes it 72 %, up: the direction flips.
    assert_eq!(p(50, 3, vec![hot(10.0), cool(45.0), silent()]), Some(3));
    // …MissingMetricsUnreadyScaleUp: 200 % says up; silent and unready count 0: 66 % → 4.
    assert_eq!(p(50, 3, vec![hot(10.0), cool(200.0), silent()]), Some(4));
    // …MissingMetricsUnreadyScaleDown: 10 % says down; the silent one at 100 %: 40 % → 3.
    assert_eq!(
        p(50, 4, vec![hot(10.0), cool(10.0), cool(10.0), silent()]),
        Some(3)
    );
    // …DuringRollingUpdateWithMaxSurge: 2 wanted, 3 VMs; 40 % still says down but
    // ceil(0.8 × 3) = 3 would scale up: no change.
    assert_eq!(p(50, 2, vec![cool(10.0), cool(10.0), silent()]), Some(2));
    // A target above 100 %: a silent VM counts at the target, 150 %, on the way down: 60 %
    // says down; (3 × 60 + 150) / 4 = 82 % of 150 → ceil(0.547 × 4) = 3 (at 100 %: 2).
    assert_eq!(
        p(150, 4, vec![cool(60.0), cool(60.0), cool(60.0), silent()]),
        Some(3)
    );
    // No ready VM delivered: invalid.
    assert_eq!(p(50, 2, vec![hot(10.0), silent()]), None);
}

#[test]
fn resource_average_value_and_memory() {
    // cpu AverageValue 500m: 0.7, 0.8, 0.9 cores → 800m → ceil(1.6 × 3) = 5. With the third
    // VM still initialising, 750m says up and it counts 0: 500m, at target, no change.
    let cores = json!([{"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "AverageValue", "averageValue": "500m"}}}]);
    let three = vec![cool(70.0), cool(80.0), cool(90.0)];
    assert_eq!(proposal(cores.clone(), 3, three, None), Some(5));
    assert_eq!(
        proposal(cores, 3, vec![cool(70.0), cool(80.0), hot(10.0)], None),
        Some(3)
    );
    // memory at 80 % of 50 → 1.6 × 2 = 4; memory skips the CPU initialisation.
    let memory = json!([{"type": "Resource", "resource": {"name": "memory",
        "target": {"type": "Utilization", "averageUtilization": 50}}}]);
    let mem = |since| vm(VmPhase::Running, since, &[("MEMORY_UTILIZATION", 80.0)]);
    assert_eq!(proposal(memory, 2, vec![mem(3600), mem(10)], None), Some(4));
}

#[test]
fn pods_metric_cases() {
    let p = |target, current, vms| proposal(pods_qps(target), current, vms, None);
    // TestReplicaCalcScaleUpCM: 20 of 15 → 4.
    assert_eq!(p(15.0, 3, vec![qps(20.0), qps(10.0), qps(30.0)]), Some(4));
    // …CMUnreadyHotCpuNoLessScale / …ScaleWouldScaleDown: readiness is a CPU matter only; a
    // VM running for a minute counts: 30 of 15 → 6; 31.666 of 15 → 7.
    let young = |x| vm(VmPhase::Running, 60, &[("QPS", x)]);
    assert_eq!(p(15.0, 3, vec![qps(50.0), qps(10.0), young(30.0)]), Some(6));
    assert_eq!(
        p(15.0, 3, vec![young(50.0), qps(15.0), young(30.0)]),
        Some(7)
    );
    // TestReplicaCalcScaleDownCM: 12 of 20 → 3; TestReplicaCalcToleranceCM: 20.666 of 20.
    assert_eq!(p(20.0, 5, vec![qps(12.0); 5]), Some(3));
    assert_eq!(p(20.0, 3, vec![qps(20.0), qps(21.0), qps(21.0)]), Some(3));
    // A silent VM counts exactly the target on the way down: (6 + 20) / 2 = 13 of 20 → 2.
    assert_eq!(p(20.0, 2, vec![qps(6.0), silent()]), Some(2));
    assert_eq!(p(20.0, 3, vec![qps(6.0), qps(6.0), silent()]), Some(2));
}

#[test]
fn object_and_external_cases() {
    let three_running = || vec![qps(0.0); 3];
    let p = |kind, target_type, target, current, vms, value| {
        proposal(kpi(kind, target_type, target), current, vms, Some(value))
    };
    // TestReplicaCalcScaleUpCMObject: 20 of 15 × 3 ready → 4.
    assert_eq!(
        p("Object", "Value", 15.0, 3, three_running(), 20.0),
        Some(4)
    );
    // …PerPodObject: 20 of 5 per VM on 3 → ceil(20 / 5) = 4.
    assert_eq!(
        p("Object", "AverageValue", 5.0, 3, three_running(), 20.0),
        Some(4)
    );
    // …ObjectIgnoresUnreadyPods: 50 of 10 × 1 ready VM → 5 (15 counting the booting two).
    let one_ready = || vec![pending(), qps(0.0), pending()];
    assert_eq!(p("Object", "Value", 10.0, 3, one_ready(), 50.0), Some(5));
    // …ScaleDownPerPodCMObject: 6 of 2 per VM on 5 → 3; …ScaleDownCMObject: 12 of 20 × 5 → 3.
    assert_eq!(
        p("Object", "AverageValue", 2.0, 5, vec![qps(0.0); 5], 6.0),
        Some(3)
    );
    assert_eq!(
        p("Object", "Value", 20.0, 5, vec![qps(0.0); 5], 12.0),
        Some(3)
    );
    // …ToleranceCMObject, …TolerancePerPodCMObject: within 0.1, the count stays.
    assert_eq!(
        p("Object", "Value", 20.0, 3, three_running(), 20.666),
        Some(3)
    );
    assert_eq!(
        p("Object", "AverageValue", 5.0, 4, vec![qps(0.0); 4], 20.166),
        Some(4)
    );
    // TestReplicaCalcScaleUpCMExternal: 8.6 of 4.4 × 1 → 2; …IgnoresUnreadyPods: 1 ready of 3.
    assert_eq!(p("External", "Value", 4.4, 1, vec![qps(0.0)], 8.6), Some(2));
    assert_eq!(p("External", "Value", 4.4, 3, one_ready(), 8.6), Some(2));
    // …ScaleUpPerPodCMExternal: 8.6 of 2.15 per VM → 4; …ScaleDownCMExternal: 8.6 of
    // 14.334 × 5 → 3; …ScaleDownPerPodCMExternal: 8.6 of 2.867 per VM → 3.
    assert_eq!(
        p("External", "AverageValue", 2.15, 3, three_running(), 8.6),
        Some(4)
    );
    assert_eq!(
        p("External", "Value", 14.334, 5, vec![qps(0.0); 5], 8.6),
        Some(3)
    );
    assert_eq!(
        p("External", "AverageValue", 2.867, 5, vec![qps(0.0); 5], 8.6),
        Some(3)
    );
    // …ToleranceCMExternal, …TolerancePerPodCMExternal: within 0.1.
    assert_eq!(
        p("External", "Value", 8.888, 3, three_running(), 8.6),
        Some(3)
    );
    assert_eq!(
        p("External", "AverageValue", 2.9, 3, three_running(), 8.6),
        Some(3)
    );
    // The per-VM target counts the VMs that exist, booting ones too, not gone ones: 9.3 of 3
    // per VM on 3 is within the tolerance, 3 stay (on the 2 running it would be 4).
    let with_booting = vec![qps(0.0), qps(0.0), pending(), gone()];
    assert_eq!(
        p("External", "AverageValue", 3.0, 2, with_booting, 9.3),
        Some(3)
    );
    // No such KPI: invalid.
    assert_eq!(
        proposal(kpi("Object", "Value", 1.0), 3, three_running(), None),
        None
    );
}

#[test]
fn several_metrics_take_the_largest_valid_proposal() {
    let both = |cpu_metric: Value| {
        let mut m = cpu_metric.as_array().unwrap().clone();
        m.extend(kpi("External", "Value", 0.1).as_array().unwrap().clone());
        Value::Array(m)
    };
    // TestScaleUpOneMetricEmpty: cpu says 4 (40 % of 30), the external metric fails: 4 ≥ 3
    // VMs, so the scale-up goes ahead.
    let three = vec![cool(30.0), cool(40.0), cool(50.0)];
    assert_eq!(proposal(both(cpu(30)), 3, three, None), Some(4));
    // TestNoScaleDownOneMetricInvalid: cpu says 3 of 5, another metric fails: no proposal.
    let five = vec![cool(10.0), cool(30.0), cool(50.0), cool(25.0), cool(25.0)];
    assert_eq!(proposal(both(cpu(50)), 5, five.clone(), None), None);
    // Both valid: the larger wins (cpu 3, QPS 1.0 of 0.1 × 5 = 50).
    assert_eq!(proposal(both(cpu(50)), 5, five, Some(1.0)), Some(50));
}
