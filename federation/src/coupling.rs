//! Coupling levels (seed 000): what one cloud may see of another and what it may do there.
//!
//! * **loose**: the remote cloud reports its aggregate free capacity only; the only thing one
//!   may do there is request a VM through its public interface (it decides where to run it).
//! * **partial**: aggregate capacity plus the contract's limits and how much of them is in
//!   use, monitored less often; VMs may be handed over through the cross-site protocol (cold
//!   migration, hosts hidden behind tokens) and cross-site networks may be set up.
//! * **tight**: per-host state; exact remote placement, cross-site live migration and
//!   cross-site networks.

use serde::{Deserialize, Serialize};

/// How closely two clouds cooperate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coupling {
    /// Independent clouds: aggregate view, requests through the public interface.
    Loose,
    /// Partners under a contract: aggregate view with limits, protocol hand-over.
    Partial,
    /// One organisation: full view and control.
    Tight,
}

impl Coupling {
    /// Its name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            Coupling::Loose => "loose",
            Coupling::Partial => "partial",
            Coupling::Tight => "tight",
        }
    }

    /// Default seconds between monitoring snapshots: the looser, the rarer.
    pub fn default_monitor_interval_s(self) -> f64 {
        match self {
            Coupling::Loose => 900.0,
            Coupling::Partial => 300.0,
            Coupling::Tight => 60.0,
        }
    }

    /// Whether `op` is allowed across a relationship at this level.
    pub fn allows(self, op: RemoteOp) -> bool {
        match op {
            RemoteOp::Request | RemoteOp::ForwardCall => true,
            RemoteOp::ProtocolHandover | RemoteOp::CrossSiteNetwork => self >= Coupling::Partial,
            RemoteOp::PlaceOnHost | RemoteOp::LiveMigrate => self == Coupling::Tight,
        }
    }

    /// What a snapshot of `state` reveals at this level.
    pub fn reveal(self, state: &SiteState, contract: Option<Contract>) -> RemoteView {
        let aggregate = state.aggregate();
        match self {
            Coupling::Loose => RemoteView::Aggregate(aggregate),
            Coupling::Partial => RemoteView::Contracted {
                aggregate,
                contract: contract.unwrap_or_default(),
            },
            Coupling::Tight => RemoteView::Hosts(state.hosts.clone()),
        }
    }
}

/// An operation one cloud may attempt at another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteOp {
    /// Request a VM through the remote cloud's interface (it places it).
    Request,
    /// Forward a service call to the remote site's offer of the same appliance (SaaS layer).
    ForwardCall,
    /// Hand a VM over through the cross-site migration protocol (hosts hidden).
    ProtocolHandover,
    /// Set up a virtual network spanning both sites.
    CrossSiteNetwork,
    /// Decide the exact remote host of a VM.
    PlaceOnHost,
    /// Live-migrate a running VM to the remote site.
    LiveMigrate,
}

impl RemoteOp {
    /// A short name for logs and errors.
    pub fn name(self) -> &'static str {
        match self {
            RemoteOp::Request => "request",
            RemoteOp::ForwardCall => "call forwarding",
            RemoteOp::ProtocolHandover => "protocol hand-over",
            RemoteOp::CrossSiteNetwork => "cross-site network",
            RemoteOp::PlaceOnHost => "remote placement",
            RemoteOp::LiveMigrate => "cross-site live migration",
        }
    }
}

/// What went wrong with a federation action.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FederationError {
    /// The relationship's coupling level does not allow the operation.
    #[error("{op} from `{from}` to `{to}` is not allowed under {coupling} coupling")]
    Forbidden {
        /// Acting party.
        from: String,
        /// Remote party.
        to: String,
        /// What was attempted.
        op: &'static str,
        /// The relationship's level.
        coupling: &'static str,
    },
    /// The two parties have no relationship at all.
    #[error("`{from}` and `{to}` have no federation relationship")]
    Unrelated {
        /// Acting party.
        from: String,
        /// Remote party.
        to: String,
    },
    /// The remote site refused or could not do it.
    #[error("`{site}` refused: {reason}")]
    Refused {
        /// The remote site.
        site: String,
        /// Why.
        reason: String,
    },
}

/// One host's state as a tightly coupled partner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    /// Host name.
    pub name: String,
    /// Whether it is up (or booting) and can take VMs.
    pub usable: bool,
    /// vCPU capacity in MIPS.
    pub capacity_mips: f64,
    /// MIPS reserved by its VMs.
    pub reserved_mips: f64,
    /// Memory capacity, MB.
    pub memory_mb: f64,
    /// Memory reserved by its VMs, MB.
    pub reserved_memory_mb: f64,
}

impl HostState {
    /// Whether a VM of `mips` and `memory_mb` fits in what is left.
    pub fn fits(&self, mips: f64, memory_mb: f64) -> bool {
        self.usable
            && self.capacity_mips - self.reserved_mips + 1e-9 >= mips
            && self.memory_mb - self.reserved_memory_mb + 1e-9 >= memory_mb
    }
}

/// A site's full state at one instant (what its own cloud OS knows).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteState {
    /// When it was taken, ms.
    pub at: u64,
    /// Every host.
    pub hosts: Vec<HostState>,
}

impl SiteState {
    /// Totals over the usable hosts.
    pub fn aggregate(&self) -> Aggregate {
        let mut a = Aggregate {
            at: self.at,
            ..Aggregate::default()
        };
        for h in self.hosts.iter().filter(|h| h.usable) {
            a.capacity_mips += h.capacity_mips;
            a.free_mips += (h.capacity_mips - h.reserved_mips).max(0.0);
            a.free_memory_mb += (h.memory_mb - h.reserved_memory_mb).max(0.0);
            a.largest_free_mips = a.largest_free_mips.max(h.capacity_mips - h.reserved_mips);
        }
        a
    }

    /// Reserved fraction of the usable CPU capacity (0 with no capacity).
    pub fn reserved_fraction(&self) -> f64 {
        let a = self.aggregate();
        if a.capacity_mips > 0.0 {
            1.0 - a.free_mips / a.capacity_mips
        } else {
            0.0
        }
    }
}

/// Aggregate capacity, all a loosely coupled partner sees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Aggregate {
    /// When the snapshot was taken, ms.
    pub at: u64,
    /// Total CPU capacity, MIPS.
    pub capacity_mips: f64,
    /// Unreserved CPU, MIPS.
    pub free_mips: f64,
    /// Unreserved memory, MB.
    pub free_memory_mb: f64,
    /// The most unreserved CPU on one host (the largest VM that may still fit), MIPS.
    pub largest_free_mips: f64,
}

/// A contract between partially coupled partners and its use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Contract {
    /// Most VMs at once (`None`: no limit).
    pub limit_vms: Option<u32>,
    /// Most vCPUs at once (`None`: no limit).
    pub limit_vcpus: Option<u32>,
    /// VMs in use under it.
    pub used_vms: u32,
    /// vCPUs in use under it.
    pub used_vcpus: u32,
}

impl Contract {
    /// Whether one more VM of `vcpus` stays within the limits.
    pub fn admits(&self, vcpus: u32) -> bool {
        self.limit_vms.is_none_or(|l| self.used_vms < l)
            && self
                .limit_vcpus
                .is_none_or(|l| self.used_vcpus + vcpus <= l)
    }
}

/// What one site sees of another.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteView {
    /// Loose: aggregate capacity only.
    Aggregate(Aggregate),
    /// Partial: aggregate capacity and the contract.
    Contracted {
        /// Aggregate capacity.
        aggregate: Aggregate,
        /// The contract and its use.
        contract: Contract,
    },
    /// Tight: every host.
    Hosts(Vec<HostState>),
}

impl RemoteView {
    /// The per-host state, when the coupling reveals it.
    pub fn hosts(&self) -> Option<&[HostState]> {
        match self {
            RemoteView::Hosts(h) => Some(h),
            _ => None,
        }
    }
}
