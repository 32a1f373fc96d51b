//! The broker architecture: every site is offered to the broker
//! ([`crate::policy::broker::choose`]), which takes the best feasible one for its goal under
//! the request's deadline and budget; a request no cloud can serve is rejected with every
//! cloud's reason.

use orrery_engine::time::{to_secs, Millis};

use super::Requests;
use crate::ids::RequestId;
use crate::policy::broker::{
    choose, feasible, CloudOffer, Estimate, Goal, Infeasible, Request as BrokerRequest,
};
use crate::spec::ArchitectureSpec;
use crate::world::World;

impl Requests {
    /// Offers request `r` to every site its network may reach and sends it to the broker's
    /// choice for `goal`.
    pub(super) fn broker(&mut self, world: &mut World, r: RequestId, goal: Goal) {
        let entry = self.ledger.get(r).req.entry;
        let all = world.sites().ids().collect();
        let (sites, refusal) = self.reachable(world, r, all);
        let offers: Vec<CloudOffer> = sites
            .into_iter()
            .filter_map(|s| self.offer(world, s, r, entry))
            .collect();
        if let (true, Some(e)) = (offers.is_empty(), refusal) {
            return self.reject(world, r, e.to_string());
        }
        let request = self.broker_request(world, r);
        let choice = match world.fed().spec.architecture.clone() {
            ArchitectureSpec::Broker {
                router: Some(name), ..
            } => self.routed(&name, &offers, &request, world.now()),
            _ => choose(&offers, &request, world.now(), goal).map_err(|e| e.to_string()),
        };
        match choice {
            Ok(est) => {
                let s = world.site_id(&est.cloud).expect("offers name sites");
                let detail = format!(
                    "cost {:.3}, finish {} s, energy {:.3}",
                    est.cost,
                    to_secs(est.finish),
                    est.energy
                );
                world.log("broker_choice", Some(s), Some(r), detail);
                let mb = self.ledger.get(r).req.image_mb;
                self.transfer(world, r, entry, s, mb, None);
            }
            Err(why) => self.reject(world, r, why),
        }
    }

    /// The router's choice among the feasible offers, or why there is none.
    fn routed(
        &self,
        name: &str,
        offers: &[CloudOffer],
        request: &BrokerRequest,
        now: Millis,
    ) -> Result<Estimate, String> {
        let (mut feasible, reasons) = feasible(offers, request, now);
        if feasible.is_empty() {
            return Err(Infeasible(reasons).to_string());
        }
        let Some(router) = &self.router else {
            return Err(format!("router `{name}` is not registered in this process"));
        };
        match router.choose(&feasible, request, now) {
            Some(i) if i < feasible.len() => Ok(feasible.swap_remove(i)),
            Some(i) => Err(format!(
                "router `{name}` chose cloud {i} of {} feasible ones",
                feasible.len()
            )),
            None => Err(format!("router `{name}` declined it")),
        }
    }
}
