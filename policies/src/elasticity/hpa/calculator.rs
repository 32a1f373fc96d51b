//! The count each metric proposes (`replica_calculator.go`), in the controller's milli-unit
//! integer arithmetic, and the largest of them (`computeReplicasForMetrics`).

use std::collections::BTreeMap;

use orrery_engine::time::Millis;

use super::quantity::milli;
use super::sample::{RoleSample, VmPhase, VmSample};
use super::spec::{Metric, Resolved, ResourceName, Tolerances};

/// The winning proposal of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Proposal {
    /// The proposed count.
    pub replicas: i64,
    /// The controller's description of the metric that proposed it.
    pub metric: String,
}

/// The largest count the metrics propose (`computeReplicasForMetrics`). A metric that cannot
/// be computed is invalid; with every metric invalid, or some invalid and the valid ones
/// proposing fewer VMs than `role.cardinality`, there is no proposal (the first error).
pub(super) fn propose(rule: &Resolved, now: Millis, role: &RoleSample) -> Result<Proposal, String> {
    let mut best: Option<Proposal> = None;
    let (mut invalid, mut first_error) = (0, None);
    for m in &rule.metrics {
        match replicas_for_metric(rule, now, role, m) {
            Ok(replicas) => {
                if best
                    .as_ref()
                    .is_none_or(|b| b.replicas == 0 || replicas > b.replicas)
                {
                    best = Some(Proposal {
                        replicas,
                        metric: m.describe(),
                    });
                }
            }
            Err(e) => {
                invalid += 1;
                first_error.get_or_insert(format!("{}: {e}", m.describe()));
            }
        }
    }
    let error = || {
        format!(
            "invalid metrics ({invalid} invalid out of {}), first error is: {}",
            rule.metrics.len(),
            first_error.clone().unwrap_or_default()
        )
    };
    match best {
        Some(p) if invalid == 0 || p.replicas >= i64::from(role.cardinality) => Ok(p),
        _ => Err(error()),
    }
}

/// The count one metric proposes (`computeReplicasForMetric`).
fn replicas_for_metric(
    rule: &Resolved,
    now: Millis,
    role: &RoleSample,
    m: &Metric,
) -> Result<i64, String> {
    let current = i64::from(role.cardinality);
    let tolerances = rule.tolerances;
    let group = |cpu: bool, value: &dyn Fn(&VmSample) -> Option<i64>| {
        Group::of(role, now, rule.cpu_initialization, cpu, value)
    };
    match m {
        Metric::Utilization(r, target) => {
            let vms = group(*r == ResourceName::Cpu, &|vm| resource_use(vm, *r));
            let requests: Vec<i64> = role.vms.iter().map(|vm| request(vm, *r)).collect();
            let target = i64::from(*target);
            let ratio = |m: &BTreeMap<usize, i64>| utilization_ratio(m, &requests, target);
            // Missing VMs count as using max(100 %, target) of their request.
            let fallback = |i: usize| requests[i] * target.max(100) / 100;
            grouped_replicas(current, vms, tolerances, ratio, fallback)
        }
        Metric::ResourceAverage(r, target) => {
            let vms = group(*r == ResourceName::Cpu, &|vm| resource_use(vm, *r));
            plain_replicas(current, *target, vms, tolerances)
        }
        Metric::Pods(name, target) => {
            let vms = group(false, &|vm| vm.metrics.get(name).map(|&x| milli(x)));
            plain_replicas(current, *target, vms, tolerances)
        }
        Metric::Kpi {
            name,
            per_vm,
            target,
            ..
        } => {
            let usage = role
                .kpis
                .get(name)
                .map(|&x| milli(x))
                .ok_or_else(|| format!("the service delivers no {name}"))?;
            if *per_vm {
                Ok(per_vm_replicas(
                    usage,
                    *target,
                    status_replicas(role),
                    tolerances,
                ))
            } else {
                value_replicas(current, usage as f64 / *target as f64, role, tolerances)
            }
        }
    }
}

/// The VMs that exist (the scale's `status.replicas`): every VM but the gone.
fn status_replicas(role: &RoleSample) -> i64 {
    role.vms
        .iter()
        .filter(|vm| vm.phase != VmPhase::Gone)
        .count() as i64
}

/// A VM's use of `r` in milli-units (milli-cores, milli-MB), rounded up as `MilliValue`.
fn resource_use(vm: &VmSample, r: ResourceName) -> Option<i64> {
    let percent = *vm.metrics.get(r.metric())?;
    let size = match r {
        ResourceName::Cpu => f64::from(vm.vcpus),
        ResourceName::Memory => vm.memory_mb,
    };
    Some(milli(percent * size / 100.0))
}

/// A VM's request of `r` in milli-units: its whole size.
fn request(vm: &VmSample, r: ResourceName) -> i64 {
    match r {
        ResourceName::Cpu => i64::from(vm.vcpus) * 1000,
        ResourceName::Memory => milli(vm.memory_mb),
    }
}

/// The role's VMs grouped for one metric (`groupPods`), by index in the role.
#[derive(Debug, Clone, Default, PartialEq)]
struct Group {
    /// Values of the ready VMs; missing and unready VMs are added in as the rules say.
    metrics: BTreeMap<usize, i64>,
    /// How many VMs are ready with a value.
    ready: usize,
    /// Pending VMs, and for `cpu` running VMs still initialising.
    unready: Vec<usize>,
    /// Running VMs without a value.
    missing: Vec<usize>,
}

impl Group {
    /// Gone VMs are left out; pending ones are unready; running ones without a value are
    /// missing; for `cpu`, a VM running for less than `cpu_initialization` is unready.
    fn of(
        role: &RoleSample,
        now: Millis,
        cpu_initialization: Millis,
        cpu: bool,
        value: &dyn Fn(&VmSample) -> Option<i64>,
    ) -> Group {
        let mut g = Group::default();
        for (i, vm) in role.vms.iter().enumerate() {
            match vm.phase {
                VmPhase::Gone => continue,
                VmPhase::Pending => {
                    g.unready.push(i);
                    continue;
                }
                VmPhase::Running => {}
            }
            let Some(x) = value(vm) else {
                g.missing.push(i);
                continue;
            };
            let initialising = vm
                .running_since
                .is_some_and(|t| t.saturating_add(cpu_initialization) > now);
            if cpu && initialising {
                g.unready.push(i);
                continue;
            }
            g.ready += 1;
            g.metrics.insert(i, x);
        }
        g
    }
}

/// `GetResourceUtilizationRatio`: the ratio of the whole-percent utilisation (sum of use ×
/// 100 ÷ sum of requests, truncated) to the target percentage.
fn utilization_ratio(
    metrics: &BTreeMap<usize, i64>,
    requests: &[i64],
    target: i64,
) -> Result<f64, String> {
    let (used, requested) = metrics
        .iter()
        .fold((0i64, 0i64), |(u, r), (&i, &x)| (u + x, r + requests[i]));
    if requested == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let utilization = used * 100 / requested;
    Ok(utilization as f64 / target as f64)
}

/// `GetMetricUsageRatio`: the ratio of the average (milli-units, truncated) to the target.
fn usage_ratio(metrics: &BTreeMap<usize, i64>, target: i64) -> f64 {
    let average = metrics.values().sum::<i64>() / metrics.len() as i64;
    average as f64 / target as f64
}

/// Whether a re-computed `new` ratio flips the direction of `old` (the guard after adding
/// missing and unready VMs in).
fn flips(old: f64, new: f64) -> bool {
    (old < 1.0 && new > 1.0) || (old > 1.0 && new < 1.0)
}

/// `ceil(x)` as the controller's `int32`.
fn ceil(x: f64) -> i64 {
    x.ceil().min(f64::from(i32::MAX)) as i64
}

/// `GetResourceReplicas` and `calcPlainMetricReplicas`: `ratio` of the ready VMs' values to
/// the target. Without unready VMs on a scale-up and without missing VMs, `ceil(ratio ×
/// ready)` unless within the tolerances. Otherwise missing VMs count as `fallback` on a
/// scale-down and as nothing on a scale-up, unready VMs as nothing on a scale-up; then there
/// is no change if the new ratio is within the tolerances or flips the direction, or if its
/// count `ceil(new ratio × counted VMs)` moves the other way.
fn grouped_replicas(
    current: i64,
    vms: Group,
    tolerances: Tolerances,
    ratio: impl Fn(&BTreeMap<usize, i64>) -> Result<f64, String>,
    fallback: impl Fn(usize) -> i64,
) -> Result<i64, String> {
    if vms.metrics.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    let old = ratio(&vms.metrics)?;
    let scale_up_with_unready = !vms.unready.is_empty() && old > 1.0;
    if !scale_up_with_unready && vms.missing.is_empty() {
        if tolerances.within(old) {
            return Ok(current);
        }
        return Ok(ceil(old * vms.ready as f64));
    }
    let mut metrics = vms.metrics;
    if old < 1.0 {
        metrics.extend(vms.missing.iter().map(|&i| (i, fallback(i))));
    } else if old > 1.0 {
        metrics.extend(vms.missing.iter().map(|&i| (i, 0)));
    }
    if scale_up_with_unready {
        metrics.extend(vms.unready.iter().map(|&i| (i, 0)));
    }
    let new = ratio(&metrics)?;
    if tolerances.within(new) || flips(old, new) {
        return Ok(current);
    }
    let replicas = ceil(new * metrics.len() as f64);
    if (new < 1.0 && replicas > current) || (new > 1.0 && replicas < current) {
        return Ok(current);
    }
    Ok(replicas)
}

/// `calcPlainMetricReplicas`: an `AverageValue` target of a resource or a `Pods` metric;
/// missing VMs count as using exactly the target on a scale-down.
fn plain_replicas(
    current: i64,
    target: i64,
    vms: Group,
    tolerances: Tolerances,
) -> Result<i64, String> {
    let ratio = |m: &BTreeMap<usize, i64>| Ok(usage_ratio(m, target));
    grouped_replicas(current, vms, tolerances, ratio, |_| target)
}

/// `getUsageRatioReplicaCount`: a `Value` target of an `Object` or `External` metric; the
/// `ratio` of the value to the target times the running VMs, unless within the tolerances.
fn value_replicas(
    current: i64,
    ratio: f64,
    role: &RoleSample,
    tolerances: Tolerances,
) -> Result<i64, String> {
    if tolerances.within(ratio) {
        return Ok(current);
    }
    if role.vms.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let ready = role
        .vms
        .iter()
        .filter(|vm| vm.phase == VmPhase::Running)
        .count();
    Ok(ceil(ratio * ready as f64))
}

/// `GetObjectPerPodMetricReplicas` / `GetExternalPerPodMetricReplicas`: an `AverageValue`
/// target of an `Object` or `External` metric; `ceil(value ÷ target)` unless the value per
/// existing VM is within the tolerances, when the existing VMs are kept.
fn per_vm_replicas(usage: i64, target: i64, existing: i64, tolerances: Tolerances) -> i64 {
    let ratio = usage as f64 / (target as f64 * existing as f64);
    if tolerances.within(ratio) {
        existing
    } else {
        ceil(usage as f64 / target as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Tolerances = Tolerances { down: 0.1, up: 0.1 };

    fn vm(phase: VmPhase, metric: Option<f64>) -> VmSample {
        VmSample {
            phase,
            running_since: Some(0),
            vcpus: 1,
            memory_mb: 1000.0,
            metrics: metric
                .map(|x| BTreeMap::from([("CPU_UTILIZATION".to_string(), x)]))
                .unwrap_or_default(),
        }
    }

    #[test]
    fn utilisation_is_truncated_to_a_whole_percent() {
        // Three 1-vCPU VMs at 66, 67 and 67.9 %: 200.9 % of 3 cores is 66.97 %, truncated to
        // 66: 66/60 = 1.1, within the tolerance. Without truncation 1.116 would give 4.
        let role = RoleSample {
            cardinality: 3,
            vms: [66.0, 67.0, 67.9]
                .iter()
                .map(|&x| vm(VmPhase::Running, Some(x)))
                .collect(),
            kpis: BTreeMap::new(),
        };
        let rule = Resolved {
            metrics: vec![Metric::Utilization(ResourceName::Cpu, 60)],
            behavior: None,
            tolerances: T,
            min: 1,
            max: 10,
            downscale_window: 300_000,
            cpu_initialization: 300_000,
        };
        let g = Group::of(&role, 600_000, 300_000, true, &|v| {
            resource_use(v, ResourceName::Cpu)
        });
        assert_eq!(utilization_ratio(&g.metrics, &[1000; 3], 60), Ok(1.1));
        assert_eq!(
            replicas_for_metric(&rule, 600_000, &role, &rule.metrics[0]),
            Ok(3)
        );
        assert_eq!(ceil((200.9 / 3.0) / 60.0 * 3.0), 4, "the untruncated ratio");
    }
}
