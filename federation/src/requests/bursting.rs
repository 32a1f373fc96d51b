//! The bursting architecture: a request runs at the home site unless
//! [`crate::policy::routing::burst_reason`] says otherwise; then it goes to the cheapest public
//! cloud with quota. At every decision round burst requests come back (a cold migration),
//! oldest first, while the home site stays at or below `return_below` with them
//! ([`crate::policy::routing::home_with`]).

use orrery_engine::time::Millis;

use super::ledger::Loc;
use super::Requests;
use crate::coupling::RemoteOp;
use crate::ids::{RequestId, SiteId};
use crate::policy::broker::{choose, CloudOffer, Goal, Request as BrokerRequest};
use crate::policy::routing::home_with;
use crate::world::World;

impl Requests {
    /// Sends request `r` from `home` to the cheapest public cloud that takes it, for `why`.
    pub(super) fn burst(&mut self, world: &mut World, r: RequestId, home: SiteId, why: String) {
        let public: Vec<SiteId> = world
            .sites()
            .ids()
            .filter(|&s| !world.sites().is_private(s))
            .filter(|&s| world.check(world.name(home), s, RemoteOp::Request).is_ok())
            .collect();
        let (sites, refusal) = self.reachable(world, r, public);
        if let (true, Some(e)) = (sites.is_empty(), refusal) {
            return self.reject(world, r, format!("{why}; {e}"));
        }
        let offers: Vec<CloudOffer> = sites
            .into_iter()
            .filter_map(|s| self.offer(world, s, r, home))
            .collect();
        let request = BrokerRequest {
            deadline: Millis::MAX,
            budget: f64::INFINITY,
            ..self.broker_request(world, r)
        };
        match choose(&offers, &request, world.now(), Goal::Cheapest) {
            Ok(est) => {
                let s = world.site_id(&est.cloud).expect("offers name sites");
                world.log("burst", Some(s), Some(r), why);
                let req = &self.ledger.get(r).req;
                let (entry, mb) = (req.entry, req.image_mb);
                self.transfer(world, r, entry, s, mb, None);
            }
            Err(infeasible) => self.reject(world, r, format!("{why}; {infeasible}")),
        }
    }

    /// Bursting's return: burst requests come home, oldest first, while the home site stays
    /// at or below `return_below` with them and nothing is pending there.
    pub(super) fn bring_back(&mut self, world: &mut World, home: &str, return_below: f64) {
        let h = world.site_id(home).expect("checked on load");
        if world.sites().pending_at(h) > 0 {
            return;
        }
        let mut state = self.planned_state(world, h);
        for r in self.ledger.ids() {
            let t = self.ledger.get(r);
            let Loc::Public { site, instance } = t.loc else {
                continue;
            };
            let Some(c) = world.sites().public(site) else {
                continue;
            };
            if c.ready_at(instance) > world.now() || t.finish.is_some_and(|f| f <= world.now()) {
                continue;
            }
            if self.network_check(world, r, h).is_err() {
                continue;
            }
            let Some(with) = home_with(&state, t.mips(), t.req.memory_mb, return_below) else {
                break;
            };
            state = with;
            let mb = t.req.image_mb;
            self.ledger.get_mut(r).returned = true;
            let detail = format!("from {}", world.name(site));
            world.log("return", Some(h), Some(r), detail);
            self.transfer(world, r, site, h, mb, None);
        }
    }
}
