//! Admission control for services: each pending service is decided by [`super::admit`]
//! against its organisation's quota, its vDC's allocation and the provider's capacity, with
//! usage recomputed from the view ([`super::ledger`]).
//!
//! The request is every role at its initial cardinality, each VM at its VM type's size, with
//! the service's anti-affinity; the user is the service's `user`. Services are decided in the
//! order given, and one admitted earlier in the same batch counts against the later ones (its
//! usage is charged, its VMs take their hosts' room).

use std::collections::BTreeMap;

use orrery_engine::model::ServiceId;
use orrery_engine::policy::Admission;
use orrery_engine::scenario::Scenario;
use orrery_engine::{Action, ClusterView, InputError};

use super::ledger::{vm_type_size, Tenants};
use super::{admit, Admission as Verdict, Resources, ServiceRequest, VmRequest};

/// Who submits a service and its constraint, from the scenario.
#[derive(Debug, Clone, PartialEq)]
struct Submission {
    user: String,
    anti_affinity: bool,
}

/// Admission control by tenancy (quota, vDC allocation) and provider capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct TenancyAdmission {
    tenants: Tenants,
    /// By service name.
    submissions: BTreeMap<String, Submission>,
}

impl TenancyAdmission {
    /// Admission control for the services and organisations of `scenario`.
    pub fn from_scenario(scenario: &Scenario) -> Result<TenancyAdmission, InputError> {
        let submissions = scenario
            .spec
            .services
            .iter()
            .map(|s| {
                let sub = Submission {
                    user: s.user.clone(),
                    anti_affinity: s.anti_affinity,
                };
                (s.name.clone(), sub)
            })
            .collect();
        Ok(TenancyAdmission {
            tenants: Tenants::from_scenario(scenario)?,
            submissions,
        })
    }
}

impl Admission for TenancyAdmission {
    fn admit(&mut self, view: &ClusterView, pending: &[ServiceId]) -> Vec<Action> {
        let mut ledger = self.tenants.ledger(view);
        let mut provider = ledger.provider(view);
        let mut plan = Vec::with_capacity(pending.len());
        for &service in pending {
            let svc = &view.services[service];
            let sub = self.submissions.get(&svc.name);
            let vms: Vec<VmRequest> = svc
                .roles
                .iter()
                .flat_map(|role| {
                    let r = vm_type_size(view, role.vm_type);
                    let vm = VmRequest {
                        vcpus: r.vcpus,
                        memory_mb: r.memory_mb,
                    };
                    std::iter::repeat_n(vm, role.cardinality as usize)
                })
                .collect();
            let req = ServiceRequest {
                user: sub.map_or_else(|| "admin".to_owned(), |s| s.user.clone()),
                vms,
                anti_affinity: sub.is_some_and(|s| s.anti_affinity),
            };
            let org = ledger.organisation_for(svc, &req.user);
            match admit(&org, ledger.vdc(svc), &provider, &req) {
                Verdict::Accepted { placement } => {
                    let before = ledger.reserved();
                    ledger.charge(svc, Resources::of(&req.vms));
                    let after = ledger.reserved();
                    provider.unreserved_vcpus -= after.0 - before.0;
                    provider.unreserved_memory_mb -= after.1 - before.1;
                    for (vm, h) in req.vms.iter().zip(placement) {
                        provider.hosts_free[h].0 -= vm.vcpus;
                        provider.hosts_free[h].1 -= vm.memory_mb;
                    }
                    plan.push(Action::AdmitService { service });
                }
                Verdict::Rejected { reason } => {
                    plan.push(Action::RejectService { service, reason })
                }
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use orrery_engine::model::{PowerState, ServiceSlot, ServiceState};

    use super::*;
    use crate::service_fixtures::{add_service, add_vm, scenario, view};

    const WEB: usize = 0;
    const BIG: usize = 1;

    fn reject(service: ServiceId, reason: &str) -> Action {
        Action::RejectService {
            service,
            reason: reason.into(),
        }
    }

    #[test]
    fn quota_counts_live_services_and_owned_vms_and_names_the_limit() {
        let s = scenario(
            r#"
[[organisations]]
name = "acme"
quota = { vms = 5, vcpus = 6 }

[[services]]
name = "shop"
tenant = "acme"
roles = [{ name = "web", vm_type = "web", cardinality = 2 }]

[[services]]
name = "blog"
tenant = "acme"
roles = [{ name = "web", vm_type = "web" }]
"#,
        );
        let mut v = view(&s);
        // shop is live with 2 web VMs asked for, one of them running: 2 VMs, 4 vCPUs.
        let shop = add_service(
            &mut v,
            "shop",
            "acme",
            None,
            ServiceState::Deploying,
            &[("web", WEB, 2)],
        );
        add_vm(
            &mut v,
            WEB,
            0,
            Some(ServiceSlot {
                service: shop,
                role: 0,
            }),
        );
        // A web VM outside services: its type belongs to acme (6 vCPUs in all). A big VM
        // belongs to the default tenant.
        add_vm(&mut v, WEB, 1, None);
        add_vm(&mut v, BIG, 1, None);
        let blog = add_service(
            &mut v,
            "blog",
            "acme",
            None,
            ServiceState::Pending,
            &[("web", WEB, 1)],
        );
        let mut a = TenancyAdmission::from_scenario(&s).unwrap();
        assert_eq!(
            a.admit(&v, &[blog]),
            vec![reject(
                blog,
                "quota of acme: vCPUs 6 used + 2 requested > 6"
            )]
        );
        // Once shop is done, its VMs no longer count: 2 + 2 ≤ 6.
        v.services[shop].state = ServiceState::Done;
        assert_eq!(
            a.admit(&v, &[blog]),
            vec![Action::AdmitService { service: blog }]
        );
    }

    #[test]
    fn vdc_models_reserve_their_guarantees_and_batches_count_earlier_admits() {
        // 2 hosts: 16 vCPUs, 32768 MiB. bank's reservation vDC holds 12 vCPUs and 24576 MiB,
        // acme's pool holds half of 4 vCPUs / 8192 MiB: 2 vCPUs and 4096 MiB. 2 vCPUs and
        // 4096 MiB stay unreserved for lab's pay-as-you-go vDC, which reserves half of each VM.
        let s = scenario(
            r#"
[[organisations]]
name = "bank"
vdcs = [{ name = "vault", model = "reservation", allocation = { vcpus = 12, memory_mb = 24576 } }]

[[organisations]]
name = "acme"
vdcs = [{ name = "pool", model = "allocation-pool", guaranteed = 0.5, overprovisioning = 1.5, allocation = { vcpus = 4, memory_mb = 8192 } }]

[[organisations]]
name = "lab"
vdcs = [{ name = "payg", model = "pay-as-you-go", guaranteed = 0.5, allocation = { vms = 3 } }]

[[services]]
name = "a1"
tenant = "acme"
roles = [{ name = "web", vm_type = "web", cardinality = 3 }]

[[services]]
name = "a2"
tenant = "acme"
roles = [{ name = "web", vm_type = "web" }]

[[services]]
name = "l1"
tenant = "lab"
roles = [{ name = "web", vm_type = "web", cardinality = 2 }]

[[services]]
name = "l2"
tenant = "lab"
roles = [{ name = "web", vm_type = "web" }]
"#,
        );
        let mut v = view(&s);
        let p = ServiceState::Pending;
        let a1 = add_service(&mut v, "a1", "acme", None, p, &[("web", WEB, 3)]);
        let a2 = add_service(&mut v, "a2", "acme", None, p, &[("web", WEB, 1)]);
        let l1 = add_service(&mut v, "l1", "lab", None, p, &[("web", WEB, 2)]);
        let l2 = add_service(&mut v, "l2", "lab", None, p, &[("web", WEB, 1)]);
        let mut a = TenancyAdmission::from_scenario(&s).unwrap();
        assert_eq!(
            a.admit(&v, &[a1, a2, l1, l2]),
            vec![
                // 3 × 2 = 6 vCPUs: over the allocation of 4 but within 4 × 1.5.
                Action::AdmitService { service: a1 },
                reject(
                    a2,
                    "vDC pool: 8 vCPUs > allocation 4 × overprovisioning 1.5 = 6"
                ),
                // Reserves 4 × 0.5 = 2 vCPUs and 2048 MiB of the 2 and 4096 unreserved.
                Action::AdmitService { service: l1 },
                reject(
                    l2,
                    "provider: reserving 1 vCPUs and 1024 MiB exceeds the unreserved 0 vCPUs \
                     and 2048 MiB"
                ),
            ]
        );
        // Alone, l2 fits the pay-as-you-go reservation; it is its vDC's third VM of 3.
        assert_eq!(
            a.admit(&v, &[l2]),
            vec![Action::AdmitService { service: l2 }]
        );
        let l3 = add_service(&mut v, "l2", "lab", None, p, &[("web", WEB, 4)]);
        assert_eq!(
            a.admit(&v, &[l3]),
            vec![reject(l3, "vDC payg: 4 VMs > allocation 3")]
        );
    }

    #[test]
    fn capacity_rejects_what_fits_no_host() {
        let s = scenario(
            r#"
[[services]]
name = "hpc"
roles = [{ name = "solver", vm_type = "big", cardinality = 3 }]

[[services]]
name = "spread"
anti_affinity = true
roles = [{ name = "a", vm_type = "web" }, { name = "b", vm_type = "web", cardinality = 2 }]
"#,
        );
        let mut v = view(&s);
        // Host 0 holds a big VM (4 of 8 vCPUs left); host 1 has failed.
        add_vm(&mut v, BIG, 0, None);
        v.hosts[1].power = PowerState::Failed;
        let p = ServiceState::Pending;
        let hpc = add_service(&mut v, "hpc", "", None, p, &[("solver", BIG, 3)]);
        let spread = add_service(
            &mut v,
            "spread",
            "",
            None,
            p,
            &[("a", WEB, 1), ("b", WEB, 2)],
        );
        let mut a = TenancyAdmission::from_scenario(&s).unwrap();
        assert_eq!(
            a.admit(&v, &[hpc]),
            vec![reject(
                hpc,
                "capacity: VM 1 (4 vCPUs, 4096 MiB) fits no host"
            )]
        );
        // Repaired: 4 + 8 vCPUs hold three big VMs, and then nothing else in the batch.
        v.hosts[1].power = PowerState::Off;
        assert_eq!(
            a.admit(&v, &[hpc, spread]),
            vec![
                Action::AdmitService { service: hpc },
                reject(
                    spread,
                    "capacity: VM 0 (2 vCPUs, 2048 MiB) fits no host on a host of its own"
                ),
            ]
        );
        // Without hpc, the three web VMs need three hosts: two exist.
        assert_eq!(
            a.admit(&v, &[spread]),
            vec![reject(
                spread,
                "capacity: VM 2 (2 vCPUs, 2048 MiB) fits no host on a host of its own"
            )]
        );
    }
}
