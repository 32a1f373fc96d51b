//! VM groups (OpenNebula's VM groups): roles of related VMs and the affinity rules between them
//! and with hosts.

use crate::ids::HostId;

/// How the VMs of one role relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RolePolicy {
    /// No rule among the role's VMs.
    #[default]
    None,
    /// All VMs of the role run on one host.
    Affined,
    /// No two VMs of the role share a host.
    AntiAffined,
}

/// One role of a VM group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Role {
    /// Role name.
    pub name: String,
    /// Rule among the role's own VMs.
    pub policy: RolePolicy,
    /// If not empty, the role's VMs run only on these hosts.
    pub host_affined: Vec<HostId>,
    /// The role's VMs never run on these hosts.
    pub host_anti_affined: Vec<HostId>,
}

/// A VM group: roles, and rules between roles.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VmGroup {
    /// Group name.
    pub name: String,
    /// Roles, by index.
    pub roles: Vec<Role>,
    /// Role pairs whose VMs must share hosts: a VM of one role goes only where the other role
    /// already runs (once it runs anywhere).
    pub affined: Vec<(usize, usize)>,
    /// Role pairs whose VMs never share a host.
    pub anti_affined: Vec<(usize, usize)>,
}
