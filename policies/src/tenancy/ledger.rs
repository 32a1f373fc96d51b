//! Tenants as a run sees them: the scenario's organisations and vDCs, with what they use
//! recomputed from a cluster view. Admission control and elasticity (scale-out within quota)
//! both charge against the same [`Ledger`].
//!
//! Usage of an organisation (and of the vDC each VM draws from):
//!
//! * every role of its live services ([`orrery_engine::model::ServiceState::is_live`]): the role's VMs that have
//!   not stopped or failed, at their current size, plus the VMs its cardinality still asks
//!   for (roles waiting on their dependencies, scale-outs not yet requested) at its VM type's
//!   size. A live service thus holds what it was admitted for from the moment it is admitted;
//! * every VM outside services whose VM type the organisation owns (the type's `tenant`) and
//!   that is pending, deploying, running, migrating or suspended ([`holds_quota`]); it draws
//!   from the organisation's first vDC. [`Tenants::ledger_with`] lets the caller say which
//!   plain VMs hold and for whom (the simulator knows each VM's own tenant).
//!
//! Disk (the VM types' `disk_gb`, whole GB rounded up) counts against the organisation's
//! `disk_gb` quota only, for both kinds of VM. [`Ledger::admit_vm`] admits one plain VM against
//! the quota, disk included, with [`super::Organisation::check`] and [`super::check_limit`].
//!
//! A service without a tenant, and a VM type without one, belong to the default tenant
//! ([`DEFAULT_TENANT`]), unlimited unless the scenario declares an organisation of that name.
//! An organisation without vDCs draws from an unlimited one that reserves nothing; an
//! organisation that lists no members lets any user deploy (as the scenario's checks do).

use std::collections::BTreeMap;

use orrery_engine::model::{PowerState, ServiceView, VmState};
use orrery_engine::scenario::{
    AllocationKind, MemberRole, OrganisationSection, QuotaSection, Scenario, DEFAULT_TENANT,
};
use orrery_engine::view::VmId;
use orrery_engine::{ClusterView, InputError};

use super::{
    check_limit, AllocationModel, Organisation, Provider, Quota, Resources, TenantRole, Vdc,
};

/// One organisation's limits and vDCs, with a usage.
#[derive(Debug, Clone, PartialEq)]
struct Tenant {
    org: Organisation,
    /// Whether it lists its members (when not, any user may deploy).
    closed: bool,
    /// Its vDCs, never empty: the first is its default.
    vdcs: Vec<Vdc>,
    /// Most disk, GB (`None`: unlimited).
    disk_quota_gb: Option<u64>,
    /// Disk its VMs hold, GB.
    disk_gb: u64,
}

impl Tenant {
    /// An unlimited tenant that lists no members and reserves nothing.
    fn unlimited(name: &str) -> Tenant {
        Tenant {
            org: Organisation {
                name: name.to_owned(),
                users: BTreeMap::new(),
                quota: Quota::default(),
                usage: Resources::default(),
            },
            closed: false,
            vdcs: vec![unlimited_vdc(name)],
            disk_quota_gb: None,
            disk_gb: 0,
        }
    }

    /// The index of vDC `name` (the default when `None` or unknown).
    fn vdc_index(&self, name: Option<&str>) -> usize {
        name.and_then(|n| self.vdcs.iter().position(|v| v.name == n))
            .unwrap_or(0)
    }
}

fn unlimited_vdc(org: &str) -> Vdc {
    Vdc {
        name: format!("{org} (no vDC)"),
        model: AllocationModel::PayAsYouGo { guaranteed: 0.0 },
        allocation: Resources {
            vms: u32::MAX,
            vcpus: u32::MAX,
            memory_mb: u64::MAX,
        },
        overprovisioning: 1.0,
        usage: Resources::default(),
    }
}

/// The scenario's organisations, ready to be charged with a view's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenants {
    tenants: BTreeMap<String, Tenant>,
}

impl Tenants {
    /// The organisations of `scenario` (`[[organisations]]`), with their quotas and vDCs.
    pub fn from_scenario(scenario: &Scenario) -> Result<Tenants, InputError> {
        let mut tenants = BTreeMap::new();
        for (o, org) in scenario.spec.organisations.iter().enumerate() {
            tenants.insert(org.name.clone(), tenant(scenario, o, org)?);
        }
        Ok(Tenants { tenants })
    }

    /// No organisations: every service is the default tenant's, unlimited (a live config).
    pub fn none() -> Tenants {
        Tenants {
            tenants: BTreeMap::new(),
        }
    }

    /// Whether organisation `tenant` has a quota on anything (a VM of a tenant without one is
    /// never refused by [`Ledger::admit_vm`]).
    pub fn has_quota(&self, tenant: &str) -> bool {
        self.tenants
            .get(tenant_name(tenant))
            .is_some_and(|t| t.org.quota != Quota::default() || t.disk_quota_gb.is_some())
    }

    /// Every tenant with its usage in `view` (see the module docs), plain VMs charged to their
    /// type's owner while they [hold](holds_quota).
    pub fn ledger(&self, view: &ClusterView) -> Ledger {
        self.ledger_with(view, |v| {
            let vm = &view.vms[v];
            holds_quota(vm.state).then(|| view.vm_types[vm.vm_type].owner.as_str())
        })
    }

    /// Every tenant with its usage in `view`, services' VMs as in [`Tenants::ledger`] and each
    /// plain VM `v` charged to `plain_owner(v)` (`None`: it holds nothing).
    pub fn ledger_with<'a>(
        &self,
        view: &ClusterView,
        plain_owner: impl Fn(VmId) -> Option<&'a str>,
    ) -> Ledger {
        let mut ledger = Ledger {
            tenants: self.tenants.clone(),
        };
        for svc in view.services.iter().filter(|s| s.state.is_live()) {
            let mut used = Resources::default();
            let mut disk = 0;
            for role in &svc.roles {
                let mut held = 0;
                for &v in &role.vms {
                    if !matches!(view.vms[v].state, VmState::Stopped | VmState::Failed) {
                        held += 1;
                        used = used.plus(size_of(view, v));
                    }
                }
                let asked = role.cardinality.saturating_sub(held);
                used = used.plus(vm_type_size(view, role.vm_type).times(asked));
                disk += disk_gb(view, role.vm_type) * u64::from(held + asked);
            }
            ledger.charge(svc, used);
            ledger.tenant_mut(&svc.tenant).disk_gb += disk;
        }
        for (v, vm) in view.vms.iter().enumerate() {
            if vm.service.is_some() {
                continue;
            }
            if let Some(owner) = plain_owner(v) {
                ledger.charge_to(owner, None, size_of(view, v));
                ledger.tenant_mut(owner).disk_gb += disk_gb(view, vm.vm_type);
            }
        }
        ledger
    }
}

/// Whether a plain VM in `state` holds its tenant's quota: from its admission (pending) until
/// it stops or fails.
pub fn holds_quota(state: VmState) -> bool {
    matches!(
        state,
        VmState::Pending
            | VmState::Deploying
            | VmState::Running
            | VmState::Migrating
            | VmState::Suspended
    )
}

/// The disk of one VM of type `t`, whole GB rounded up.
pub fn disk_gb(view: &ClusterView, t: usize) -> u64 {
    view.vm_types[t].disk_gb.max(0.0).ceil() as u64
}

/// `VmType::owner` of a type with no tenant, and `ServiceView::tenant` of a service with none.
fn tenant_name(name: &str) -> &str {
    if name.is_empty() {
        DEFAULT_TENANT
    } else {
        name
    }
}

fn tenant(scenario: &Scenario, o: usize, org: &OrganisationSection) -> Result<Tenant, InputError> {
    let quota = |q: &QuotaSection| Quota {
        vms: q.vms,
        vcpus: q.vcpus,
        memory_mb: q.memory_mb,
    };
    let users = org
        .users
        .iter()
        .map(|(name, role)| {
            let role = match role {
                MemberRole::Admin => TenantRole::Admin,
                MemberRole::User => TenantRole::User,
                MemberRole::Viewer => TenantRole::Viewer,
            };
            (name.clone(), role)
        })
        .collect();
    let mut vdcs = Vec::new();
    for (d, vdc) in org.vdcs.iter().enumerate() {
        let a = &vdc.allocation;
        let model = match vdc.model {
            AllocationKind::PayAsYouGo => AllocationModel::PayAsYouGo {
                guaranteed: vdc.guaranteed,
            },
            AllocationKind::AllocationPool => AllocationModel::AllocationPool {
                guaranteed: vdc.guaranteed,
            },
            AllocationKind::Reservation => AllocationModel::Reservation,
        };
        let reserves_allocation = match model {
            AllocationModel::PayAsYouGo { .. } => false,
            AllocationModel::AllocationPool { guaranteed } => guaranteed > 0.0,
            AllocationModel::Reservation => true,
        };
        if reserves_allocation && (a.vcpus.is_none() || a.memory_mb.is_none()) {
            return Err(scenario
                .error_at(
                    &format!("organisations[{o}].vdcs[{d}].allocation"),
                    "this allocation model reserves part of the allocation up front, so the \
                     allocation needs `vcpus` and `memory_mb`",
                )
                .hint("e.g. allocation = { vcpus = 16, memory_mb = 32768 }"));
        }
        vdcs.push(Vdc {
            name: vdc.name.clone(),
            model,
            allocation: Resources {
                vms: a.vms.unwrap_or(u32::MAX),
                vcpus: a.vcpus.unwrap_or(u32::MAX),
                memory_mb: a.memory_mb.unwrap_or(u64::MAX),
            },
            overprovisioning: vdc.overprovisioning,
            usage: Resources::default(),
        });
    }
    if vdcs.is_empty() {
        vdcs.push(unlimited_vdc(&org.name));
    }
    Ok(Tenant {
        org: Organisation {
            name: org.name.clone(),
            users,
            quota: quota(&org.quota),
            usage: Resources::default(),
        },
        closed: !org.users.is_empty(),
        vdcs,
        disk_quota_gb: org.quota.disk_gb,
        disk_gb: 0,
    })
}

impl Resources {
    /// `n` times this amount.
    pub fn times(self, n: u32) -> Resources {
        Resources {
            vms: self.vms * n,
            vcpus: self.vcpus * n,
            memory_mb: self.memory_mb * u64::from(n),
        }
    }
}

/// One VM of VM type `t` at the type's size.
pub fn vm_type_size(view: &ClusterView, t: usize) -> Resources {
    let ty = &view.vm_types[t];
    Resources {
        vms: 1,
        vcpus: ty.vcpus,
        memory_mb: ty.memory_mb.ceil() as u64,
    }
}

/// VM `v` at its current size (after any resize).
pub fn size_of(view: &ClusterView, v: usize) -> Resources {
    let s = view.vm_size(v);
    Resources {
        vms: 1,
        vcpus: s.vcpus,
        memory_mb: s.memory_mb.ceil() as u64,
    }
}

/// Every tenant's usage at one instant, charged further as decisions are taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    tenants: BTreeMap<String, Tenant>,
}

impl Ledger {
    fn tenant_mut(&mut self, name: &str) -> &mut Tenant {
        let name = tenant_name(name);
        self.tenants
            .entry(name.to_owned())
            .or_insert_with(|| Tenant::unlimited(name))
    }

    fn charge_to(&mut self, tenant: &str, vdc: Option<&str>, used: Resources) {
        let t = self.tenant_mut(tenant);
        let d = t.vdc_index(vdc);
        t.org.usage = t.org.usage.plus(used);
        t.vdcs[d].usage = t.vdcs[d].usage.plus(used);
    }

    /// Admits one plain VM of `tenant` needing `size` and `disk_gb` against the organisation's
    /// quota (VMs, vCPUs, memory, then disk) and charges it; the reason names the first limit
    /// exceeded, with the usage.
    pub fn admit_vm(&mut self, tenant: &str, size: Resources, disk_gb: u64) -> Result<(), String> {
        let t = self.tenant_mut(tenant);
        t.org.check(size)?;
        check_limit(&t.org.name, "disk GB", t.disk_gb, disk_gb, t.disk_quota_gb)?;
        t.disk_gb += disk_gb;
        self.charge_to(tenant, None, size);
        Ok(())
    }

    /// Adds `used` to the usage of `svc`'s organisation and vDC.
    pub fn charge(&mut self, svc: &ServiceView, used: Resources) {
        self.charge_to(&svc.tenant, svc.vdc.as_deref(), used);
    }

    /// `svc`'s organisation, as [`super::admit`] should see it for a request by `user`: an
    /// organisation that lists no members counts `user` as one.
    pub fn organisation_for(&mut self, svc: &ServiceView, user: &str) -> Organisation {
        let t = self.tenant_mut(&svc.tenant);
        let mut org = t.org.clone();
        if !t.closed {
            org.users.insert(user.to_owned(), TenantRole::User);
        }
        org
    }

    /// The vDC `svc` draws from.
    pub fn vdc(&mut self, svc: &ServiceView) -> &Vdc {
        let t = self.tenant_mut(&svc.tenant);
        let d = t.vdc_index(svc.vdc.as_deref());
        &t.vdcs[d]
    }

    /// Whether `more` fits `svc`'s organisation quota and vDC allocation; the reason names
    /// the first limit exceeded.
    pub fn check(&mut self, svc: &ServiceView, more: Resources) -> Result<(), String> {
        let t = self.tenant_mut(&svc.tenant);
        let d = t.vdc_index(svc.vdc.as_deref());
        t.org.check(more).and_then(|_| t.vdcs[d].check(more))
    }

    /// The most VMs of size `unit`, up to `want`, that `svc`'s quota and vDC still allow.
    pub fn headroom(&mut self, svc: &ServiceView, unit: Resources, want: u32) -> u32 {
        (0..=want)
            .rev()
            .find(|&k| self.check(svc, unit.times(k)).is_ok())
            .unwrap_or(0)
    }

    /// Provider capacity (vCPUs, MiB) every vDC holds reserved.
    pub fn reserved(&self) -> (f64, f64) {
        self.tenants
            .values()
            .flat_map(|t| &t.vdcs)
            .map(Vdc::reserved)
            .fold((0.0, 0.0), |(v, m), (dv, dm)| (v + dv, m + dm))
    }

    /// The provider in `view`: each host's free vCPUs (cores × CPU overcommit, less its VMs'
    /// vCPUs) and memory (reservable, less reserved), 0 for failed hosts; unreserved capacity
    /// is the hosts' total less what every vDC holds reserved ([`Ledger::reserved`]).
    pub fn provider(&self, view: &ClusterView) -> Provider {
        let (mut total_vcpus, mut total_mb) = (0.0, 0.0);
        let hosts_free = (0..view.hosts.len())
            .map(|h| {
                let host = &view.hosts[h];
                if host.power == PowerState::Failed {
                    return (0, 0);
                }
                let vcpus =
                    (f64::from(view.host_type(h).cores) * view.overcommit_of(h).cpu).floor();
                let mb = view.reservable_memory_mb(h).floor();
                total_vcpus += vcpus;
                total_mb += mb;
                let used: u32 = host.vms.iter().map(|&v| view.vm_vcpus(v)).sum();
                let free_vcpus = (vcpus as u32).saturating_sub(used);
                let free_mb = (mb - host.reserved_memory_mb).max(0.0).floor() as u64;
                (free_vcpus, free_mb)
            })
            .collect();
        let (rv, rm) = self.reserved();
        Provider {
            hosts_free,
            unreserved_vcpus: (total_vcpus - rv).max(0.0),
            unreserved_memory_mb: (total_mb - rm).max(0.0),
        }
    }
}
