//! The `[[services]]` and `[[organisations]]` sections: multi-tier services with their request
//! workload, monitoring and elasticity rules, and the tenants that own them.
//!
//! Elasticity rules are kept as written (OneFlow's role keys, a target-tracking table, a
//! vertical rule) and read by the policies crate, which owns their grammar; the structure here
//! (roles, cardinalities, dependencies, tenants) is checked when the scenario loads
//! (`scenario/services.rs`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::monitoring::MonitorSpec;
use crate::time::{Millis, SECOND};
use crate::workload::RequestSpec;

/// One service (vApp): roles deployed in dependency order, fed by a request workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// Unique name.
    pub name: String,
    /// Owning organisation (the default tenant when absent).
    pub tenant: Option<String>,
    /// The member of the organisation who submits it.
    #[serde(default = "default_user")]
    pub user: String,
    /// The organisation's vDC it draws from (its first vDC when absent).
    pub vdc: Option<String>,
    /// Seconds from the start of the run to its submission.
    #[serde(default)]
    pub submit_s: f64,
    /// Runtime lease, seconds after deployment: when it expires the service is suspended.
    pub runtime_lease_s: Option<f64>,
    /// Seconds after submission at which the service is undeployed.
    pub lifetime_s: Option<f64>,
    /// Whether admission control places the service's VMs on distinct hosts.
    #[serde(default)]
    pub anti_affinity: bool,
    /// Request arrivals (no request-level load when absent: VMs idle).
    pub requests: Option<RequestSpec>,
    /// How its VMs and KPIs are monitored.
    #[serde(default)]
    pub monitoring: MonitorSpec,
    /// Most requests one VM holds (queued and in service); more are dropped. No limit when
    /// absent.
    pub max_backlog: Option<u32>,
    /// Which autoscaler applies its roles' OneFlow rules: `orrery` (at every monitoring
    /// delivery, role by role) or `oneflow` (OpenNebula OneFlow's, at its loop's ticks, service
    /// by service).
    #[serde(default)]
    pub autoscaler: Autoscaler,
    /// Roles (tiers), in the order a request visits them.
    pub roles: Vec<ServiceRoleSection>,
}

/// The autoscaler that applies a service's OneFlow rules (`autoscaler` of `[[services]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Autoscaler {
    /// orrery's: every role's rules at each monitoring delivery, a role blocked only by its own
    /// scaling and cooldown.
    #[default]
    Orrery,
    /// OpenNebula OneFlow's: every [`Autoscaler::ONEFLOW_INTERVAL`] from time 0, the rules of
    /// the roles of RUNNING services only, at most one role of a service scaling at a time.
    OneFlow,
}

impl Autoscaler {
    /// OneFlow's `:autoscaler_interval` (`oneflow-server.conf`, 90 s).
    pub const ONEFLOW_INTERVAL: Millis = 90 * SECOND;

    /// Time between two ticks of the autoscaler's loop; `None`: it evaluates at every
    /// elasticity decision instead.
    pub fn tick_interval(self) -> Option<Millis> {
        match self {
            Autoscaler::Orrery => None,
            Autoscaler::OneFlow => Some(Self::ONEFLOW_INTERVAL),
        }
    }
}

fn default_user() -> String {
    "admin".into()
}

/// One role (tier) of a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRoleSection {
    /// Name, unique in the service.
    pub name: String,
    /// The VM type its VMs are made from.
    pub vm_type: String,
    /// VMs at deployment.
    #[serde(default = "one")]
    pub cardinality: u32,
    /// Least cardinality (OneFlow's `min_vms`; the initial cardinality when absent).
    pub min_vms: Option<u32>,
    /// Greatest cardinality (OneFlow's `max_vms`; the initial cardinality when absent).
    pub max_vms: Option<u32>,
    /// Default cooldown of its rules, seconds (OneFlow's role `cooldown`).
    pub cooldown: Option<u64>,
    /// Roles that must be running before this one deploys (OneFlow's `parents`).
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// CPU work of one request in this role, in million instructions.
    #[serde(default)]
    pub request_mi: f64,
    /// OneFlow `elasticity_policies`, as OneFlow writes them.
    #[serde(default)]
    pub elasticity_policies: Vec<serde_json::Value>,
    /// OneFlow `scheduled_policies`, as OneFlow writes them.
    #[serde(default)]
    pub scheduled_policies: Vec<serde_json::Value>,
    /// Target tracking as the Kubernetes HPA does it.
    pub target_tracking: Option<serde_json::Value>,
    /// Vertical scaling of the role's VMs.
    pub vertical: Option<serde_json::Value>,
}

fn one() -> u32 {
    1
}

impl ServiceRoleSection {
    /// Least cardinality in force.
    pub fn min(&self) -> u32 {
        self.min_vms.unwrap_or(self.cardinality)
    }

    /// Greatest cardinality in force.
    pub fn max(&self) -> u32 {
        self.max_vms.unwrap_or(self.cardinality)
    }
}

/// An organisation (tenant, as in vCloud Director): members, quota and virtual datacenters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSection {
    /// Unique name (what services' and VM types' `tenant` refer to).
    pub name: String,
    /// Members: name to role (`admin`, `user` or `viewer`).
    #[serde(default)]
    pub users: BTreeMap<String, MemberRole>,
    /// Limits on the organisation's running VMs.
    #[serde(default)]
    pub quota: QuotaSection,
    /// Its virtual datacenters.
    #[serde(default)]
    pub vdcs: Vec<VdcSection>,
}

/// What a member of an organisation may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberRole {
    /// Manages the organisation and deploys.
    Admin,
    /// Deploys services.
    User,
    /// Only reads.
    Viewer,
}

/// Limits on an organisation's usage; absent keys are unlimited.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSection {
    /// Most VMs.
    pub vms: Option<u32>,
    /// Most vCPUs.
    pub vcpus: Option<u32>,
    /// Most memory, MB.
    pub memory_mb: Option<u64>,
    /// Most disk, GB: the VM types' `disk_gb` summed (an organisation's `quota` only, not a
    /// vDC's `allocation`).
    pub disk_gb: Option<u64>,
}

/// How a vDC takes capacity from the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationKind {
    /// Nothing set aside up front; each admitted VM reserves its guaranteed fraction.
    PayAsYouGo,
    /// The guaranteed fraction of the allocation is reserved when the vDC is created.
    AllocationPool,
    /// The whole allocation is reserved up front.
    Reservation,
}

/// A virtual datacenter: a slice of the provider under an allocation model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VdcSection {
    /// Name, unique in its organisation.
    pub name: String,
    /// The allocation model.
    pub model: AllocationKind,
    /// The allocation: most VMs, vCPUs and memory (MB) its VMs may use.
    pub allocation: QuotaSection,
    /// Fraction of the allocation guaranteed (reserved) on the provider: pay-as-you-go and
    /// allocation pool (reservation is always 1).
    #[serde(default)]
    pub guaranteed: f64,
    /// vCPU overprovisioning factor at the vDC level (≥ 1).
    #[serde(default = "unit")]
    pub overprovisioning: f64,
}

fn unit() -> f64 {
    1.0
}
