//! Initial placement: where pending VM requests go.
//!
//! The four greedy policies share one capacity filter ([`capacity::Reservations`]) and differ
//! only in the order they try hosts ([`index::Order`]). Hosts that are up are always tried
//! before hosts that would have to be woken. Each policy places its batch against reservations
//! it updates as it goes, so one batch never overfills a host.

pub mod capacity;
pub mod index;

use orrery_engine::action::Action;
use orrery_engine::policy::Placement;
use orrery_engine::rng::Rng;
use orrery_engine::view::{ClusterView, VmId};

use capacity::Reservations;
use index::{HostIndex, Order};

/// A greedy placement: each VM goes to the first feasible host in the policy's order.
#[derive(Debug, Clone, Copy)]
pub struct Greedy {
    order: Order,
}

impl Greedy {
    /// A greedy placement trying hosts in `order`.
    pub fn new(order: Order) -> Self {
        Greedy { order }
    }
}

impl Placement for Greedy {
    fn place(&mut self, view: &ClusterView, pending: &[VmId], _rng: &mut Rng) -> Vec<Action> {
        let mut r = Reservations::from_view(view);
        let mut up = HostIndex::build(self.order, view, &r, |h| r.up[h]);
        let mut asleep = HostIndex::build(self.order, view, &r, |h| !r.up[h] && r.usable[h]);
        let mut plan = Vec::with_capacity(pending.len());
        for &v in pending {
            let (host, was_up) = match up.find(view, &r, v) {
                Some(h) => (Some(h), true),
                None => (asleep.find(view, &r, v), false),
            };
            match host {
                Some(h) => {
                    if was_up {
                        up.remove(&r, h);
                    } else {
                        asleep.remove(&r, h);
                    }
                    r.take(view, h, v);
                    up.insert(view, &r, h);
                    plan.push(Action::Deploy { vm: v, host: h });
                }
                None => plan.push(Action::Reject {
                    vm: v,
                    reason: "no host has room".into(),
                }),
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests;
