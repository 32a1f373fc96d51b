//! Tenancy arithmetic: organisations, quotas, virtual datacenters and service admission.
//!
//! Pure bookkeeping, no clock. What it models:
//!
//! * An [`Organisation`] has users with a [`TenantRole`] and a [`Quota`] on VMs, vCPUs and
//!   memory; [`Organisation::check`] says whether a request fits what is left, and why not
//!   ([`check_limit`] for one key, disk included: [`ledger`] holds the disk quota).
//! * A [`Vdc`] (virtual datacenter, as in vCloud Director) gives an organisation a slice of
//!   the provider under an [`AllocationModel`]:
//!   - *pay-as-you-go*: nothing is set aside up front; each VM reserves its `guaranteed`
//!     fraction on the provider when it is admitted; the allocation caps the total.
//!   - *allocation pool*: the `guaranteed` fraction of the allocation is reserved on the
//!     provider when the vDC is created; VMs may use up to the allocation.
//!   - *reservation*: the whole allocation is reserved up front (a guaranteed fraction of 1).
//!
//!   Overprovisioning at the vDC level lets the VMs' vCPUs add up to `allocation × factor`
//!   (memory is never overprovisioned).
//! * [`admit`] decides a service request (its VMs) in order: the user may deploy, the
//!   organisation's quota, the vDC's allocation, the provider's unreserved capacity, then a
//!   first-fit placement of every VM on the hosts' free capacity honouring the request's
//!   constraint (anti-affinity: its VMs on distinct hosts). The first failure is the recorded
//!   reason; on acceptance the caller applies [`Admission::Accepted`] with [`commit`].
//!
//! [`ledger`] recomputes organisations' and vDCs' usage from a cluster view; [`admission`]
//! is the service manager's admission control built on [`admit`].

use std::collections::BTreeMap;
use std::fmt;

pub mod admission;
pub mod ledger;

/// An amount of resources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resources {
    /// Number of VMs.
    pub vms: u32,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mb: u64,
}

impl Resources {
    /// The sum of two amounts.
    pub fn plus(self, o: Resources) -> Resources {
        Resources {
            vms: self.vms + o.vms,
            vcpus: self.vcpus + o.vcpus,
            memory_mb: self.memory_mb + o.memory_mb,
        }
    }

    /// The total of a request's VMs, each `(vcpus, memory_mb)`.
    pub fn of(vms: &[VmRequest]) -> Resources {
        vms.iter().fold(Resources::default(), |acc, v| {
            acc.plus(Resources {
                vms: 1,
                vcpus: v.vcpus,
                memory_mb: v.memory_mb,
            })
        })
    }
}

/// What a member of an organisation may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantRole {
    /// Manages the organisation and deploys.
    Admin,
    /// Deploys services.
    User,
    /// Only reads.
    Viewer,
}

/// Limits on an organisation's usage; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    /// Most VMs.
    pub vms: Option<u32>,
    /// Most vCPUs.
    pub vcpus: Option<u32>,
    /// Most memory, MiB.
    pub memory_mb: Option<u64>,
}

/// An organisation (tenant): members, quota and usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// Name.
    pub name: String,
    /// Members and their roles.
    pub users: BTreeMap<String, TenantRole>,
    /// Limits.
    pub quota: Quota,
    /// What its running VMs use.
    pub usage: Resources,
}

impl Organisation {
    /// Whether `req` fits the quota on top of the usage; the reason names the first limit
    /// exceeded, with the numbers.
    pub fn check(&self, req: Resources) -> Result<(), String> {
        let over = |what, used, want, limit| check_limit(&self.name, what, used, want, limit);
        over(
            "VMs",
            self.usage.vms.into(),
            req.vms.into(),
            self.quota.vms.map(u64::from),
        )?;
        over(
            "vCPUs",
            self.usage.vcpus.into(),
            req.vcpus.into(),
            self.quota.vcpus.map(u64::from),
        )?;
        over(
            "memory MiB",
            self.usage.memory_mb,
            req.memory_mb,
            self.quota.memory_mb,
        )
    }
}

/// Whether `want` more of `what` fits `org`'s `limit` (`None`: unlimited) on top of `used`;
/// the reason names the organisation, the resource, the usage, the request and the limit.
/// [`Organisation::check`] applies it to each of its quota's keys, the ledger to disk.
pub fn check_limit(
    org: &str,
    what: &str,
    used: u64,
    want: u64,
    limit: Option<u64>,
) -> Result<(), String> {
    match limit {
        Some(l) if used.saturating_add(want) > l => Err(format!(
            "quota of {org}: {what} {used} used + {want} requested > {l}"
        )),
        _ => Ok(()),
    }
}

/// How a vDC takes capacity from the provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AllocationModel {
    /// Reserve `guaranteed` of each VM as it is admitted.
    PayAsYouGo {
        /// Fraction of a VM's size reserved on the provider, in `[0, 1]`.
        guaranteed: f64,
    },
    /// Reserve `guaranteed` of the allocation when the vDC is created.
    AllocationPool {
        /// Fraction of the allocation reserved, in `[0, 1]`.
        guaranteed: f64,
    },
    /// Reserve the whole allocation when the vDC is created.
    Reservation,
}

/// A virtual datacenter.
#[derive(Debug, Clone, PartialEq)]
pub struct Vdc {
    /// Name.
    pub name: String,
    /// The allocation model.
    pub model: AllocationModel,
    /// The VMs, vCPUs and memory allocated to the vDC.
    pub allocation: Resources,
    /// vCPU overprovisioning factor (≥ 1): VMs' vCPUs may add up to `allocation × factor`.
    pub overprovisioning: f64,
    /// What the vDC's VMs use.
    pub usage: Resources,
}

impl Vdc {
    /// The provider capacity the vDC holds reserved now (vCPUs and MiB, fractions rounded up).
    pub fn reserved(&self) -> (f64, f64) {
        let (v, m) = match self.model {
            AllocationModel::PayAsYouGo { guaranteed } => (
                self.usage.vcpus as f64 * guaranteed,
                self.usage.memory_mb as f64 * guaranteed,
            ),
            AllocationModel::AllocationPool { guaranteed } => (
                self.allocation.vcpus as f64 * guaranteed,
                self.allocation.memory_mb as f64 * guaranteed,
            ),
            AllocationModel::Reservation => (
                self.allocation.vcpus as f64,
                self.allocation.memory_mb as f64,
            ),
        };
        (v.ceil(), m.ceil())
    }

    /// Whether `req` fits the allocation (vCPUs overprovisioned by the factor).
    pub fn check(&self, req: Resources) -> Result<(), String> {
        let vms = u64::from(self.usage.vms) + u64::from(req.vms);
        if vms > u64::from(self.allocation.vms) {
            return Err(format!(
                "vDC {}: {vms} VMs > allocation {}",
                self.name, self.allocation.vms
            ));
        }
        let vcpu_cap = (self.allocation.vcpus as f64 * self.overprovisioning).floor() as u64;
        let vcpus = u64::from(self.usage.vcpus) + u64::from(req.vcpus);
        if vcpus > vcpu_cap {
            return Err(format!(
                "vDC {}: {vcpus} vCPUs > allocation {} × overprovisioning {} = {vcpu_cap}",
                self.name, self.allocation.vcpus, self.overprovisioning
            ));
        }
        let mem = self.usage.memory_mb + req.memory_mb;
        if mem > self.allocation.memory_mb {
            return Err(format!(
                "vDC {}: {mem} MiB > allocation {} MiB",
                self.name, self.allocation.memory_mb
            ));
        }
        Ok(())
    }
}

/// One VM of a service request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmRequest {
    /// vCPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mb: u64,
}

/// A service to admit.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRequest {
    /// Who submits it.
    pub user: String,
    /// Its VMs.
    pub vms: Vec<VmRequest>,
    /// Constraint: no two of its VMs on one host.
    pub anti_affinity: bool,
}

/// The provider: hosts' free capacity and the capacity not reserved by any vDC.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    /// Free `(vcpus, memory_mb)` per host, in host order.
    pub hosts_free: Vec<(u32, u64)>,
    /// vCPUs not reserved by any vDC.
    pub unreserved_vcpus: f64,
    /// Memory (MiB) not reserved by any vDC.
    pub unreserved_memory_mb: f64,
}

/// The outcome of [`admit`], with the reason recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// Admitted: the host (index) of each VM.
    Accepted {
        /// Host index per VM, in request order.
        placement: Vec<usize>,
    },
    /// Refused, and why.
    Rejected {
        /// The first check that failed, in words.
        reason: String,
    },
}

impl fmt::Display for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Admission::Accepted { placement } => write!(f, "accepted on hosts {placement:?}"),
            Admission::Rejected { reason } => write!(f, "rejected: {reason}"),
        }
    }
}

/// Decides a service request (see the module docs for the order of the checks).
pub fn admit(
    org: &Organisation,
    vdc: &Vdc,
    provider: &Provider,
    req: &ServiceRequest,
) -> Admission {
    let reject = |reason: String| Admission::Rejected { reason };
    match org.users.get(&req.user) {
        None => return reject(format!("user {} is not a member of {}", req.user, org.name)),
        Some(TenantRole::Viewer) => {
            return reject(format!(
                "user {} is a viewer in {} and may not deploy",
                req.user, org.name
            ))
        }
        Some(_) => {}
    }
    let total = Resources::of(&req.vms);
    if let Err(r) = org.check(total).and_then(|_| vdc.check(total)) {
        return reject(r);
    }
    if let AllocationModel::PayAsYouGo { guaranteed } = vdc.model {
        let (v, m) = (
            total.vcpus as f64 * guaranteed,
            total.memory_mb as f64 * guaranteed,
        );
        if v > provider.unreserved_vcpus || m > provider.unreserved_memory_mb {
            return reject(format!(
                "provider: reserving {v} vCPUs and {m} MiB exceeds the unreserved {} vCPUs and {} MiB",
                provider.unreserved_vcpus, provider.unreserved_memory_mb
            ));
        }
    }
    let mut free = provider.hosts_free.clone();
    let mut used = vec![false; free.len()];
    let mut placement = Vec::with_capacity(req.vms.len());
    for (i, vm) in req.vms.iter().enumerate() {
        let host = free.iter().enumerate().position(|(h, &(c, m))| {
            c >= vm.vcpus && m >= vm.memory_mb && !(req.anti_affinity && used[h])
        });
        let Some(h) = host else {
            let why = if req.anti_affinity {
                " on a host of its own"
            } else {
                ""
            };
            return reject(format!(
                "capacity: VM {i} ({} vCPUs, {} MiB) fits no host{why}",
                vm.vcpus, vm.memory_mb
            ));
        };
        free[h].0 -= vm.vcpus;
        free[h].1 -= vm.memory_mb;
        used[h] = true;
        placement.push(h);
    }
    Admission::Accepted { placement }
}

/// Applies an admitted request to the organisation's and the vDC's usage.
pub fn commit(org: &mut Organisation, vdc: &mut Vdc, req: &ServiceRequest) {
    let total = Resources::of(&req.vms);
    org.usage = org.usage.plus(total);
    vdc.usage = vdc.usage.plus(total);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Organisation {
        Organisation {
            name: "acme".into(),
            users: [
                ("ann".to_owned(), TenantRole::Admin),
                ("bob".to_owned(), TenantRole::User),
                ("vic".to_owned(), TenantRole::Viewer),
            ]
            .into_iter()
            .collect(),
            quota: Quota {
                vms: Some(5),
                vcpus: Some(10),
                memory_mb: Some(32_768),
            },
            usage: Resources::default(),
        }
    }

    fn vdc(model: AllocationModel) -> Vdc {
        Vdc {
            name: "acme-vdc".into(),
            model,
            allocation: Resources {
                vms: 10,
                vcpus: 8,
                memory_mb: 16_384,
            },
            overprovisioning: 1.5,
            usage: Resources::default(),
        }
    }

    fn provider() -> Provider {
        Provider {
            hosts_free: vec![(4, 8192), (4, 8192), (2, 4096)],
            unreserved_vcpus: 6.0,
            unreserved_memory_mb: 8192.0,
        }
    }

    fn req(user: &str, n: usize, vcpus: u32, mem: u64, anti: bool) -> ServiceRequest {
        ServiceRequest {
            user: user.into(),
            vms: vec![
                VmRequest {
                    vcpus,
                    memory_mb: mem
                };
                n
            ],
            anti_affinity: anti,
        }
    }

    fn rejected(a: Admission) -> String {
        match a {
            Admission::Rejected { reason } => reason,
            other => panic!("expected a rejection, got {other}"),
        }
    }

    #[test]
    fn quota_accounting_and_reasons() {
        let mut o = org();
        assert_eq!(
            o.check(Resources {
                vms: 5,
                vcpus: 10,
                memory_mb: 16_384
            }),
            Ok(())
        );
        o.usage = Resources {
            vms: 4,
            vcpus: 6,
            memory_mb: 4096,
        };
        assert_eq!(
            o.check(Resources {
                vms: 2,
                vcpus: 2,
                memory_mb: 1024
            })
            .unwrap_err(),
            "quota of acme: VMs 4 used + 2 requested > 5"
        );
        assert_eq!(
            o.check(Resources {
                vms: 1,
                vcpus: 5,
                memory_mb: 1024
            })
            .unwrap_err(),
            "quota of acme: vCPUs 6 used + 5 requested > 10"
        );
        o.quota.vcpus = None;
        assert_eq!(
            o.check(Resources {
                vms: 1,
                vcpus: 50,
                memory_mb: 1024
            }),
            Ok(())
        );
    }

    #[test]
    fn vdc_models_reserve_differently() {
        let mut payg = vdc(AllocationModel::PayAsYouGo { guaranteed: 0.2 });
        payg.usage = Resources {
            vms: 2,
            vcpus: 5,
            memory_mb: 3000,
        };
        // 5 × 0.2 = 1 vCPU, 3000 × 0.2 = 600 MiB.
        assert_eq!(payg.reserved(), (1.0, 600.0));
        let pool = vdc(AllocationModel::AllocationPool { guaranteed: 0.5 });
        assert_eq!(pool.reserved(), (4.0, 8192.0));
        assert_eq!(
            vdc(AllocationModel::Reservation).reserved(),
            (8.0, 16_384.0)
        );
        // Overprovisioning 1.5 on 8 vCPUs admits 12, not 13.
        assert_eq!(
            pool.check(Resources {
                vms: 3,
                vcpus: 12,
                memory_mb: 1024
            }),
            Ok(())
        );
        assert_eq!(
            pool.check(Resources {
                vms: 3,
                vcpus: 13,
                memory_mb: 1024
            })
            .unwrap_err(),
            "vDC acme-vdc: 13 vCPUs > allocation 8 × overprovisioning 1.5 = 12"
        );
        assert!(pool
            .check(Resources {
                vms: 1,
                vcpus: 1,
                memory_mb: 16_385
            })
            .is_err());
    }

    #[test]
    fn admission_checks_in_order_with_reasons() {
        let o = org();
        let pool = vdc(AllocationModel::AllocationPool { guaranteed: 0.5 });
        let p = provider();
        // 3 VMs of 2 vCPUs / 2 GiB: fits everything, first fit puts two on host 0.
        assert_eq!(
            admit(&o, &pool, &p, &req("bob", 3, 2, 2048, false)),
            Admission::Accepted {
                placement: vec![0, 0, 1]
            }
        );
        // Anti-affinity spreads them.
        assert_eq!(
            admit(&o, &pool, &p, &req("ann", 3, 2, 2048, true)),
            Admission::Accepted {
                placement: vec![0, 1, 2]
            }
        );
        assert_eq!(
            rejected(admit(&o, &pool, &p, &req("zed", 1, 1, 512, false))),
            "user zed is not a member of acme"
        );
        assert!(rejected(admit(&o, &pool, &p, &req("vic", 1, 1, 512, false))).contains("viewer"));
        // Quota before vDC: 6 VMs > 5.
        assert_eq!(
            rejected(admit(&o, &pool, &p, &req("bob", 6, 1, 512, false))),
            "quota of acme: VMs 0 used + 6 requested > 5"
        );
        // vDC: 5 × 2 = 10 vCPUs within quota 10 and overprovisioned cap 12; 5 × 4 GiB > 16 GiB.
        assert!(
            rejected(admit(&o, &pool, &p, &req("bob", 5, 2, 4096, false)))
                .starts_with("vDC acme-vdc: 20480 MiB")
        );
        // Capacity: four 2-vCPU VMs on distinct hosts, only 3 hosts.
        assert_eq!(
            rejected(admit(&o, &pool, &p, &req("bob", 4, 2, 1024, true))),
            "capacity: VM 3 (2 vCPUs, 1024 MiB) fits no host on a host of its own"
        );
        // Pay-as-you-go reserves per VM: 10 vCPUs × 0.8 = 8 > 6 unreserved.
        let payg = vdc(AllocationModel::PayAsYouGo { guaranteed: 0.8 });
        assert!(
            rejected(admit(&o, &payg, &p, &req("bob", 5, 2, 1024, false)))
                .starts_with("provider: reserving 8 vCPUs")
        );
        // … while 5 × 0.8 = 4 fits.
        assert!(matches!(
            admit(&o, &payg, &p, &req("bob", 5, 1, 1024, false)),
            Admission::Accepted { .. }
        ));
    }

    #[test]
    fn commit_accounts_usage() {
        let (mut o, mut v) = (org(), vdc(AllocationModel::Reservation));
        let r = req("bob", 2, 2, 1024, false);
        commit(&mut o, &mut v, &r);
        commit(&mut o, &mut v, &r);
        let want = Resources {
            vms: 4,
            vcpus: 8,
            memory_mb: 4096,
        };
        assert_eq!((o.usage, v.usage), (want, want));
        // The next 2-VM request exceeds the 5-VM quota.
        assert!(
            rejected(admit(&o, &v, &provider(), &r)).starts_with("quota of acme: VMs 4 used + 2")
        );
    }
}
