//! Initial placement: where pending VM requests go.
//!
//! The four greedy policies share one capacity filter ([`capacity::Reservations`]) and differ
//! only in the order they try hosts ([`index::Order`]). Hosts that are up are always tried
//! before hosts that would have to be woken. Each policy places its batch against reservations
//! it updates as it goes, so one batch never overfills a host.

pub mod capacity;
pub mod index;
pub mod rank;

use orrery_engine::action::Action;
use orrery_engine::policy::Placement;
use orrery_engine::rng::Rng;
use orrery_engine::view::{ClusterView, HostId, VmId};

use crate::constraints::{Constraints, Requirements};
use capacity::Reservations;
use index::{HostIndex, Order};

/// A greedy placement: each VM goes to the first feasible host in the policy's order that
/// its constraints allow.
#[derive(Debug, Clone)]
pub struct Greedy {
    order: Order,
    requirements: Requirements,
}

impl Greedy {
    /// A greedy placement trying hosts in `order`, honouring `requirements`.
    pub fn new(order: Order, requirements: Requirements) -> Self {
        Greedy {
            order,
            requirements,
        }
    }
}

impl Placement for Greedy {
    fn place(&mut self, view: &ClusterView, pending: &[VmId], _rng: &mut Rng) -> Vec<Action> {
        let mut r = Reservations::from_view(view);
        let mut c = Constraints::new(view, &self.requirements);
        let mut up = HostIndex::build(self.order, view, &r, |h| r.up[h]);
        let mut asleep = HostIndex::build(self.order, view, &r, |h| !r.up[h] && r.usable[h]);
        let mut plan = Vec::with_capacity(pending.len());
        for &v in pending {
            let trivial = c.trivial(v);
            let allowed = |h: HostId| trivial || c.check(h, v).is_ok();
            let (host, was_up) = match up.find(view, &r, v, &allowed) {
                Some(h) => (Some(h), true),
                None => (asleep.find(view, &r, v, &allowed), false),
            };
            match host {
                Some(h) => {
                    if was_up {
                        up.remove(view, &r, h);
                    } else {
                        asleep.remove(view, &r, h);
                    }
                    r.take(view, h, v);
                    c.place(v, h);
                    up.insert(view, &r, h);
                    plan.push(Action::Deploy { vm: v, host: h });
                }
                None => plan.push(unplaced(&c, view, v, "no host has room")),
            }
        }
        plan
    }
}

/// What to do with VM `v` that no host took: reject it when it asks for nothing but capacity
/// (`no_room` says why); otherwise keep it pending with the constraint that blocks it.
pub fn unplaced(c: &Constraints, view: &ClusterView, v: VmId, no_room: &str) -> Action {
    if c.trivial(v) {
        return Action::Reject {
            vm: v,
            reason: no_room.into(),
        };
    }
    let reason = match c.why_none(v, 0..view.hosts.len()) {
        Some(violation) => format!("no host satisfies its constraints: {violation}"),
        None => "no host its constraints allow has room".into(),
    };
    Action::Defer { vm: v, reason }
}

#[cfg(test)]
mod tests;
