//! Forwarding: what a peer desk quotes for a call it might take, and offering a call the
//! originator cannot serve in time to the peers, forwarding it to the best quote.

use orrery_engine::time::{to_secs, Millis};

use super::state::CallAt;
use super::Saas;
use crate::coupling::RemoteOp;
use crate::ids::{CallId, DeskId};
use crate::policy::broker::{
    choose, queue_wait, vms_to_start, CloudOffer, Request as BrokerRequest, Unfit,
};
use crate::spec::SiteSpec;
use crate::world::event::{Event, SaasEvent};
use crate::world::sites::Site;
use crate::world::World;

impl Saas {
    /// What peer desk `p` quotes for call `c` from desk `origin`: an offer whose provisioning
    /// delay is the input transfer plus `p`'s wait estimate, priced per call. The peer plans
    /// as its broker would with `c` (and the calls promised to it) in its queue: it declines
    /// (no quota) when that plan cannot serve them by `c`'s deadline; otherwise it waits as
    /// [`queue_wait`] says.
    fn quote(&self, world: &World, p: DeskId, origin: DeskId, c: CallId) -> CloudOffer {
        let desk = self.desk(p);
        let app = &world.fed().spec.appliances[desk.appliance];
        let offer = &app.offers[desk.offer];
        let from = self.desk(origin).site;
        let transfer = world
            .link(from, desk.site)
            .map_or(0, |l| l.transfer(app.input_mb));
        let deadline = self.call(c).deadline.unwrap_or(world.end());
        let until = deadline.saturating_sub(world.now() + transfer);
        let (q, limits) = self.desk_state(world, p, desk.promised + 1, Some(until));
        let plan = vms_to_start(&q, &limits);
        let idle = desk
            .workers
            .iter()
            .filter(|&&w| self.worker(w).idle())
            .count() as u32;
        let wait = queue_wait(&q, plan.start, idle);
        let (vcpus, mem) = self.worker_size(world, p);
        let energy = match (world.fed().site(desk.site), world.sites().get(desk.site)) {
            (
                SiteSpec::Private {
                    energy_per_vm_hour, ..
                },
                _,
            ) => *energy_per_vm_hour,
            (_, Site::Public(c)) => c
                .instance_type_for(vcpus, mem)
                .map_or(0.0, |t| c.types[t].energy_per_hour),
            _ => unreachable!("site kinds match their specs"),
        };
        CloudOffer {
            name: world.name(desk.site).to_string(),
            price_per_period: offer.price_per_call,
            // A price per call: one "period" covers any call.
            billing_period: Millis::MAX / 4,
            provisioning_delay: transfer.saturating_add(wait),
            // Work is counted in seconds at nominal speed, so speed is relative to nominal.
            mips: desk.speed,
            energy_per_hour: energy,
            quota_left: u32::from(offer.accept && plan.unserved == 0),
        }
    }

    /// Offers call `c`, queued at desk `d`, to the peers offering its appliance and forwards
    /// it to the best quote that meets its deadline and budget.
    pub(super) fn forward(&mut self, world: &mut World, c: CallId, d: DeskId) {
        let site = self.desk(d).site;
        let appliance = self.desk(d).appliance;
        let peers: Vec<DeskId> = self
            .desk_ids()
            .filter(|&p| {
                let desk = self.desk(p);
                desk.appliance == appliance
                    && desk.site != site
                    && world
                        .check(world.name(site), desk.site, RemoteOp::ForwardCall)
                        .is_ok()
            })
            .collect();
        let call = self.call(c);
        let request = BrokerRequest {
            // Seconds at nominal speed, against offers whose speed is relative to nominal.
            work_mi: call.exec as f64 / 1000.0,
            vms: 1,
            deadline: call
                .deadline
                .expect("only calls with a deadline are forwarded"),
            budget: call.budget.unwrap_or(f64::INFINITY),
        };
        let offers: Vec<CloudOffer> = peers.iter().map(|&p| self.quote(world, p, d, c)).collect();
        let goal = world.fed().spec.appliances[appliance].goal;
        match choose(&offers, &request, world.now(), goal) {
            Ok(best) => {
                let p = peers[offers
                    .iter()
                    .position(|o| o.name == best.cloud)
                    .expect("offered")];
                let to = self.desk(p).site;
                let taken = self.site_broker(site).withdraw(c.0 as u64);
                debug_assert!(taken.is_some(), "a queued call is in its broker's queue");
                let mb = world.fed().spec.appliances[appliance].input_mb;
                let delay = world.wan(site, to, mb, None);
                let call = self.call_mut(c);
                call.at = CallAt::InTransit { desk: p };
                call.forwarded = true;
                call.charge = best.cost;
                self.desks[p.0].promised += 1;
                world.push(world.now() + delay, Event::Saas(SaasEvent::CallDeliver(c)));
                let detail = format!(
                    "to {}: quoted done at {} s for {}",
                    world.name(to),
                    to_secs(best.finish),
                    best.cost
                );
                self.log_call(world, "call_forward", d, c, detail);
            }
            Err(none) => {
                if !self.call(c).declined {
                    self.call_mut(c).declined = true;
                    let detail = if peers.is_empty() {
                        "no peer offers it".to_string()
                    } else {
                        let why: Vec<String> = none
                            .0
                            .iter()
                            .map(|(peer, why)| match why {
                                Unfit::Quota { .. } => format!("{peer} declines"),
                                other => format!("{peer} {other}"),
                            })
                            .collect();
                        why.join("; ")
                    };
                    self.log_call(world, "forward_declined", d, c, detail);
                }
            }
        }
    }
}
