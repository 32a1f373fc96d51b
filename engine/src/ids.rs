//! The indices hosts and VMs are named by, in the view and everywhere else.

/// Index of a host in [`ClusterView::hosts`](crate::view::ClusterView::hosts).
pub type HostId = usize;
/// Index of a VM in [`ClusterView::vms`](crate::view::ClusterView::vms).
pub type VmId = usize;
