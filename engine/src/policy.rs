//! The interfaces policies implement. Policies are pure: they read a [`ClusterView`], draw from
//! the seeded generator they are handed, and return actions. No clock, no I/O, no global state.

use crate::action::Action;
use crate::rng::Rng;
use crate::view::{ClusterView, VmId};

/// Initial placement: decides where pending VM requests go.
pub trait Placement: Send {
    /// Actions (`Deploy`, `Reject`, possibly `PowerOn`) for the pending VMs in `pending`, in order.
    fn place(&mut self, view: &ClusterView, pending: &[VmId], rng: &mut Rng) -> Vec<Action>;
}

/// Reallocation: runs every reallocation interval and returns migrations and power actions.
pub trait Reallocation: Send {
    /// Actions to improve the current allocation.
    fn reallocate(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action>;
}
