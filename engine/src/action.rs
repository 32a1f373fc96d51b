//! What policies return: actions for the infrastructure to carry out.

use std::fmt;

use crate::model::ServiceId;
use crate::view::{HostId, VmId};

/// One change a policy asks the infrastructure to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start a pending VM on a host (powering the host on first if it is off).
    Deploy {
        /// The VM.
        vm: VmId,
        /// Where to run it.
        host: HostId,
    },
    /// Refuse a pending VM.
    Reject {
        /// The VM.
        vm: VmId,
        /// Why, for the event log.
        reason: String,
    },
    /// Leave a pending VM pending, with the reason it cannot be placed now (it is offered to
    /// placement again at the next monitoring update).
    Defer {
        /// The VM.
        vm: VmId,
        /// Why, for the event log.
        reason: String,
    },
    /// Live-migrate a running VM.
    Migrate {
        /// The VM.
        vm: VmId,
        /// Destination host.
        to: HostId,
    },
    /// Suspend a running VM (keeps its memory on the host).
    Suspend {
        /// The VM.
        vm: VmId,
    },
    /// Resume a suspended VM on its host.
    Resume {
        /// The VM.
        vm: VmId,
    },
    /// Stop a VM for good.
    Shutdown {
        /// The VM.
        vm: VmId,
    },
    /// Change a placed VM's vCPUs and/or memory, within its type's maxima and its host's room.
    Resize {
        /// The VM.
        vm: VmId,
        /// New vCPU count (`None`: unchanged).
        vcpus: Option<u32>,
        /// New memory in MB (`None`: unchanged).
        memory_mb: Option<f64>,
    },
    /// Power a host on.
    PowerOn {
        /// The host.
        host: HostId,
    },
    /// Power a host off once the VMs migrating away from it have left.
    PowerOff {
        /// The host.
        host: HostId,
    },
    /// Admit a pending service: its roles deploy in dependency order.
    AdmitService {
        /// The service.
        service: ServiceId,
    },
    /// Refuse a pending service.
    RejectService {
        /// The service.
        service: ServiceId,
        /// Why (recorded in the service's view, the event log and the audit log).
        reason: String,
    },
    /// Set a role's cardinality: new VMs are requested (and placed as any pending VM) or the
    /// newest VMs are shut down, then the role cools down for `cooldown_s`.
    ScaleRole {
        /// The service.
        service: ServiceId,
        /// Index of the role in the service.
        role: usize,
        /// The new cardinality (within the role's `min_vms..=max_vms`).
        cardinality: u32,
        /// Seconds after scaling finishes during which the role is in cooldown.
        cooldown_s: u64,
    },
}

impl Action {
    /// The kind in one word: `deploy`, `reject`, `defer`, `migrate`, `suspend`, `resume`,
    /// `shutdown`, `resize`, `power-on`, `power-off`, `admit-service`, `reject-service` or
    /// `scale-role`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::Reject { .. } => "reject",
            Action::Defer { .. } => "defer",
            Action::Migrate { .. } => "migrate",
            Action::Suspend { .. } => "suspend",
            Action::Resume { .. } => "resume",
            Action::Shutdown { .. } => "shutdown",
            Action::Resize { .. } => "resize",
            Action::PowerOn { .. } => "power-on",
            Action::PowerOff { .. } => "power-off",
            Action::AdmitService { .. } => "admit-service",
            Action::RejectService { .. } => "reject-service",
            Action::ScaleRole { .. } => "scale-role",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Deploy { vm, host } => write!(f, "deploy vm {vm} on host {host}"),
            Action::Reject { vm, reason } => write!(f, "reject vm {vm} ({reason})"),
            Action::Defer { vm, reason } => write!(f, "defer vm {vm} ({reason})"),
            Action::Migrate { vm, to } => write!(f, "migrate vm {vm} to host {to}"),
            Action::Suspend { vm } => write!(f, "suspend vm {vm}"),
            Action::Resume { vm } => write!(f, "resume vm {vm}"),
            Action::Shutdown { vm } => write!(f, "shut down vm {vm}"),
            Action::Resize {
                vm,
                vcpus,
                memory_mb,
            } => {
                write!(f, "resize vm {vm} to")?;
                if let Some(n) = vcpus {
                    write!(f, " {n} vCPUs")?;
                }
                if let Some(m) = memory_mb {
                    write!(f, " {m} MB")?;
                }
                Ok(())
            }
            Action::PowerOn { host } => write!(f, "power on host {host}"),
            Action::PowerOff { host } => write!(f, "power off host {host}"),
            Action::AdmitService { service } => write!(f, "admit service {service}"),
            Action::RejectService { service, reason } => {
                write!(f, "reject service {service} ({reason})")
            }
            Action::ScaleRole {
                service,
                role,
                cardinality,
                cooldown_s,
            } => write!(
                f,
                "scale role {role} of service {service} to {cardinality} VMs (cooldown {cooldown_s} s)"
            ),
        }
    }
}

/// The immediate answer to one action: accepted (it may complete later) or refused, and why.
pub type ActionResult = Result<(), String>;
