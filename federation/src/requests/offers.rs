//! What a site offers for a request: its planned state (what its cloud OS will see once the
//! requests already handed to it are placed), the offer a broker weighs, and the request as a
//! broker sees it.

use orrery_engine::model::VmState;
use orrery_engine::time::{from_secs, Millis};

use super::ledger::Loc;
use super::Requests;
use crate::coupling::SiteState;
use crate::ids::{RequestId, SiteId};
use crate::policy::broker::{CloudOffer, Request as BrokerRequest};
use crate::policy::routing::{private_offer, reserve};
use crate::spec::SiteSpec;
use crate::world::sites::Site;
use crate::world::World;

impl Requests {
    /// Site `s`'s state as its cloud OS will see it once the requests already handed to it
    /// (still arriving or on their way) are placed.
    pub fn planned_state(&self, world: &World, s: SiteId) -> SiteState {
        let Some(p) = world.sites().private(s) else {
            return SiteState::default();
        };
        let mut state = p.state();
        for t in self.ledger.all() {
            let coming = match t.loc {
                Loc::InTransit { to } => to == s,
                Loc::Private { site, vm } => {
                    site == s && matches!(p.view().vms[vm].state, VmState::Future)
                }
                _ => false,
            };
            if coming {
                reserve(&mut state, t.mips(), t.req.memory_mb);
            }
        }
        state
    }

    /// What site `s` offers the broker for request `r`, moved there from `from`.
    pub(super) fn offer(
        &self,
        world: &World,
        s: SiteId,
        r: RequestId,
        from: SiteId,
    ) -> Option<CloudOffer> {
        let t = self.ledger.get(r);
        let req = &t.req;
        let carry = world.link_delay(from, s, req.image_mb);
        match (world.sites().get(s), world.fed().site(s)) {
            (Site::Public(c), _) => {
                let mut o = c.offer(req.vcpus, req.memory_mb, req.mips, world.now())?;
                o.provisioning_delay += carry;
                Some(o)
            }
            (
                Site::Private(_),
                SiteSpec::Private {
                    price_per_vm_hour,
                    energy_per_vm_hour,
                    ..
                },
            ) => {
                let boot = world
                    .fed()
                    .scenario(s)
                    .map_or(0, |sc| from_secs(sc.spec.workload.vm_boot_s));
                Some(private_offer(
                    world.name(s).to_string(),
                    self.planned_state(world, s),
                    t.mips(),
                    req.memory_mb,
                    *price_per_vm_hour,
                    *energy_per_vm_hour,
                    carry + boot,
                ))
            }
            (Site::Private(_), SiteSpec::Public { .. }) => None,
        }
    }

    /// Request `r` as a broker sees it: its work to the end of the run, its deadline and
    /// budget.
    pub(super) fn broker_request(&self, world: &World, r: RequestId) -> BrokerRequest {
        let req = &self.ledger.get(r).req;
        BrokerRequest {
            work_mi: req.work_mi(world.end()),
            vms: 1,
            deadline: req.deadline.unwrap_or(Millis::MAX),
            budget: req.budget.unwrap_or(f64::INFINITY),
        }
    }
}
