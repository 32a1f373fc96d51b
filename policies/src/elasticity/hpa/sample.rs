//! What one evaluation in the `hpa` mode reads: the role's VMs as the controller sees the pods
//! of its target, and the service's KPIs.

use std::collections::BTreeMap;

use orrery_engine::model::{RoleView, ServiceView, VmState};
use orrery_engine::time::Millis;
use orrery_engine::ClusterView;

/// A role as the HPA controller sees its target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleSample {
    /// The role's cardinality (the target scale's `spec.replicas`).
    pub cardinality: u32,
    /// Its VMs (the pods its selector matches).
    pub vms: Vec<VmSample>,
    /// The service's delivered KPIs, names upper-cased: the values of `Object` and
    /// `External` metrics.
    pub kpis: BTreeMap<String, f64>,
}

/// One VM as the controller sees a pod.
#[derive(Debug, Clone, PartialEq)]
pub struct VmSample {
    /// Its phase.
    pub phase: VmPhase,
    /// When it began running (the pod's start and readiness); `None` when not known, which
    /// counts as long past its CPU initialisation.
    pub running_since: Option<Millis>,
    /// Its vCPUs (its `cpu` request).
    pub vcpus: u32,
    /// Its memory in MB (its `memory` request).
    pub memory_mb: f64,
    /// Its delivered metrics, names upper-cased, finite values only.
    pub metrics: BTreeMap<String, f64>,
}

/// How the controller groups a pod (`groupPods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmPhase {
    /// Waiting, placed, booting or suspended: a pending pod, never ready.
    Pending,
    /// Running or migrating: a running, ready pod.
    Running,
    /// Stopped or failed: a deleted or failed pod, left out.
    Gone,
}

impl VmPhase {
    /// The phase of a VM in `state`.
    pub fn of(state: VmState) -> VmPhase {
        match state {
            VmState::Running | VmState::Migrating => VmPhase::Running,
            VmState::Stopped | VmState::Failed => VmPhase::Gone,
            VmState::Future | VmState::Pending | VmState::Deploying | VmState::Suspended => {
                VmPhase::Pending
            }
        }
    }
}

impl RoleSample {
    /// `role` of `service` as `view` shows it.
    pub fn from_view(view: &ClusterView, service: &ServiceView, role: &RoleView) -> RoleSample {
        let upper = |m: &BTreeMap<String, f64>| {
            m.iter()
                .filter(|(_, x)| x.is_finite())
                .map(|(k, &x)| (k.to_ascii_uppercase(), x))
                .collect()
        };
        let vms = role
            .vms
            .iter()
            .map(|&v| {
                let vm = &view.vms[v];
                let size = view.vm_size(v);
                VmSample {
                    phase: VmPhase::of(vm.state),
                    running_since: vm.running_since,
                    vcpus: size.vcpus,
                    memory_mb: size.memory_mb,
                    metrics: upper(&vm.metrics),
                }
            })
            .collect();
        RoleSample {
            cardinality: role.cardinality,
            vms,
            kpis: upper(&service.kpis),
        }
    }
}

#[cfg(test)]
mod tests {
    use orrery_engine::model::{ServiceSlot, ServiceState};

    use super::*;
    use crate::service_fixtures::{add_service, add_vm, deliver, scenario, view};

    #[test]
    fn a_role_reads_as_the_pods_of_its_target() {
        let s = scenario("");
        let mut v = view(&s);
        let app = add_service(
            &mut v,
            "app",
            "acme",
            None,
            ServiceState::Running,
            &[("web", 0, 3)],
        );
        let slot = Some(ServiceSlot {
            service: app,
            role: 0,
        });
        let vms: Vec<usize> = (0..4).map(|_| add_vm(&mut v, 0, 0, slot)).collect();
        v.vms[vms[0]].running_since = Some(30_000);
        deliver(
            &mut v,
            vms[0],
            &[("cpu_utilization", 50.0), ("RT", f64::NAN)],
        );
        v.vms[vms[1]].state = VmState::Deploying;
        v.vms[vms[2]].state = VmState::Stopped;
        v.vms[vms[3]].state = VmState::Migrating;
        v.services[app].kpis.insert("Throughput".into(), 12.5);
        let r = RoleSample::from_view(&v, &v.services[app], &v.services[app].roles[0]);
        assert_eq!(r.cardinality, 3);
        let phases: Vec<VmPhase> = r.vms.iter().map(|s| s.phase).collect();
        assert_eq!(
            phases,
            [
                VmPhase::Running,
                VmPhase::Pending,
                VmPhase::Gone,
                VmPhase::Running
            ]
        );
        let first = &r.vms[0];
        assert_eq!(
            (first.running_since, first.vcpus, first.memory_mb),
            (Some(30_000), 2, 2048.0)
        );
        assert_eq!(
            first.metrics,
            BTreeMap::from([("CPU_UTILIZATION".to_string(), 50.0)]),
            "names upper-cased, NaN dropped"
        );
        assert_eq!(r.kpis, BTreeMap::from([("THROUGHPUT".to_string(), 12.5)]));
    }
}
