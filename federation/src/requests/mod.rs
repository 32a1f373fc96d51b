//! The VM-request layer: the federation's demand of VM requests, routed by one of four
//! architectures (seed 000) and moved between sites over the WAN.
//!
//! * **bursting** ([`bursting`]): requests go to the home site unless
//!   [`crate::policy::routing::burst_reason`] says otherwise; burst requests run on the
//!   cheapest public cloud with quota and come back (a cold migration) once the home site is
//!   below `return_below` with them.
//! * **broker** ([`broker`]): every site is offered to the broker
//!   ([`crate::policy::broker::choose`]), which takes the best feasible one under the request's
//!   deadline and budget for its goal; with a meta-broker ([`metabroker`]) the best-ranked
//!   feasible cloud by probed health.
//! * **aggregated** ([`aggregated`]): a site takes what fits; what does not goes to partners
//!   through the cross-site migration protocol (seed 002), a primary placement as a cold
//!   migration, over contracts with limits.
//! * **multitier** ([`multitier`]): a parent with tight coupling to its children places each
//!   request on a child host it picks from its monitoring, as if the children were one cloud.
//!
//! [`Requests`] owns the layer's state: the [`ledger`] of requests, the protocol's agents and
//! runs ([`protocol`]) and the meta-broker's probe results ([`probes`]); it acts on the shared
//! [`World`] handed to it. [`moves`] hands requests to sites and takes them away; [`offers`]
//! is what a site offers a broker.

pub mod aggregated;
pub mod broker;
pub mod bursting;
pub mod ledger;
pub mod metabroker;
pub mod moves;
pub mod multitier;
pub mod offers;
pub mod probes;
pub mod protocol;

use orrery_engine::model::VmState;
use orrery_engine::time::Millis;
use orrery_engine::view::{HostId, VmId};

use crate::demand::requests;
use crate::ids::{RequestId, SiteId};
use crate::policy::ranking::Health;
use crate::policy::routing::{burst_reason, reserve};
use crate::spec::{ArchitectureSpec, Federation};
use crate::world::event::Event;
use crate::world::World;
use ledger::{Counts, Ledger, Loc, Tracked};
use probes::Probes;
use protocol::Protocol;

/// The VM-request layer's state: the ledger, the protocol's agents and runs, the probes.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    ledger: Ledger,
    protocol: Protocol,
    probes: Probes,
    /// The broker's router, when `[architecture] router` names one.
    router: Option<crate::policy::router::RouterSlot>,
}

impl Requests {
    /// The demand of `fed`, drawn from its generators; nothing has arrived.
    pub fn new(fed: &Federation) -> Requests {
        // The router was built once when the file was checked; a failure now (it was
        // unregistered since) leaves the broker without one, and it rejects what it routes.
        let router = match &fed.spec.architecture {
            ArchitectureSpec::Broker {
                router: Some(name),
                params,
                ..
            } => crate::policy::router::build(name, params, &|k, m| fed.error_at(k, m)).ok(),
            _ => None,
        };
        Requests {
            ledger: Ledger::new(requests(fed)),
            router,
            ..Requests::default()
        }
    }

    /// Every request's name, in arrival order.
    pub fn names(&self) -> Vec<String> {
        self.ledger
            .all()
            .iter()
            .map(|t| t.req.name.clone())
            .collect()
    }

    /// Schedules every request's arrival.
    pub fn schedule_arrivals(&self, world: &mut World) {
        for r in self.ledger.ids() {
            world.push(self.ledger.get(r).req.arrival, Event::Arrive(r));
        }
    }

    /// Every request's record.
    pub fn tracked(&self) -> &[Tracked] {
        self.ledger.all()
    }

    /// The request owning VM `vm` of private site `site`.
    pub fn owner(&self, site: SiteId, vm: VmId) -> Option<RequestId> {
        self.ledger.owner(site, vm)
    }

    /// VMs and vCPUs `user` runs at site `provider` under its contract.
    pub fn contract_use(&self, user: &str, provider: SiteId) -> (u32, u32) {
        self.ledger.contract_use(user, provider)
    }

    /// VM-hours the requests spent at private site `s` up to `until`.
    pub fn hours_at(&self, s: SiteId, until: Millis) -> f64 {
        self.ledger.hours_at(s, until)
    }

    /// The headline counts at the end `end` of the run.
    pub fn counts(&self, end: Millis) -> Counts {
        self.ledger.counts(end)
    }

    /// Protocol messages delivered, by kind.
    pub fn protocol_messages(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.protocol.messages().iter().map(|(k, v)| (*k, *v))
    }

    /// Request `r` arrives at its entry site and is routed.
    pub fn arrive(&mut self, world: &mut World, r: RequestId) {
        let entry = self.ledger.get(r).req.entry;
        world.log("request", Some(entry), Some(r), String::new());
        self.route(world, r);
    }

    /// Request `r`'s image or state reached `site` (to run on `host` when chosen elsewhere).
    pub fn delivered(
        &mut self,
        world: &mut World,
        r: RequestId,
        site: SiteId,
        host: Option<HostId>,
    ) {
        if let Some(refused_by) = self.deliver(world, r, site, host) {
            self.reroute(world, r, refused_by);
        }
    }

    /// Request `r`'s lifetime on a public cloud may be over.
    pub fn public_done(&mut self, world: &mut World, r: RequestId) {
        if let Loc::Public { site, instance } = self.ledger.get(r).loc {
            if self.ledger.get(r).finish == Some(world.now()) {
                self.ledger.get_mut(r).loc = Loc::Done;
                self.release_public(world, site, instance, r);
            }
        }
    }

    /// A cloud's probe results reach the meta-broker.
    pub fn health(&mut self, world: &World, h: Health) {
        let s = world.site_id(&h.cloud).expect("probes name sites");
        self.probes.arrived(s, h);
    }

    /// Sends request `r` where its architecture says.
    fn route(&mut self, world: &mut World, r: RequestId) {
        let req = self.ledger.get(r).req.clone();
        let mips = self.ledger.get(r).mips();
        match world.fed().spec.architecture.clone() {
            ArchitectureSpec::Bursting {
                home, threshold, ..
            } => {
                let h = world.site_id(&home).expect("checked on load");
                let state = self.planned_state(world, h);
                let pending = world.sites().pending_at(h);
                match burst_reason(&state, pending, mips, req.memory_mb, threshold) {
                    Some(why) => self.burst(world, r, h, why),
                    None => self.send_or_reject(world, r, req.entry, h, req.image_mb),
                }
            }
            ArchitectureSpec::Broker {
                metabroker: Some(config),
                ..
            } => match self.meta_choose(world, r, &config) {
                Ok(s) => self.transfer(world, r, req.entry, s, req.image_mb, None),
                Err(why) => self.reject(world, r, why),
            },
            ArchitectureSpec::Broker { goal, .. } => self.broker(world, r, goal),
            ArchitectureSpec::Aggregated { .. } => {
                let e = req.entry;
                let mut state = self.planned_state(world, e);
                if reserve(&mut state, mips, req.memory_mb).is_some() {
                    self.send_or_reject(world, r, e, e, req.image_mb);
                } else {
                    self.aggregate(world, r, e);
                }
            }
            ArchitectureSpec::Multitier { parent, children } => {
                self.parent_place(world, r, &parent, &children)
            }
        }
    }

    /// Request `r` was refused by `site`: bursting sends it to a public cloud, aggregation
    /// to the partners; otherwise it is rejected.
    fn reroute(&mut self, world: &mut World, r: RequestId, site: SiteId) {
        match world.fed().spec.architecture.clone() {
            ArchitectureSpec::Bursting { home, .. } if world.site_id(&home) == Some(site) => {
                self.burst(world, r, site, "refused at home".into())
            }
            ArchitectureSpec::Aggregated { .. } if site == self.ledger.get(r).req.entry => {
                self.aggregate(world, r, site)
            }
            _ => {
                let why = format!("refused by {}", world.name(site));
                self.reject(world, r, why)
            }
        }
    }

    /// Notices private VMs that ended or that their site refused (those are rerouted).
    pub fn reap(&mut self, world: &mut World) {
        for r in self.ledger.ids() {
            let Loc::Private { site, vm } = self.ledger.get(r).loc else {
                continue;
            };
            let Some(s) = world.sites().private(site) else {
                continue;
            };
            match s.view().vms[vm].state {
                VmState::Failed => {
                    self.ledger.end_stay(r, site, world.now());
                    let t = self.ledger.get_mut(r);
                    t.loc = Loc::Waiting;
                    t.started = None;
                    world.log("refused", Some(site), Some(r), "no host had room".into());
                    self.reroute(world, r, site);
                }
                VmState::Stopped => {
                    self.ledger.get_mut(r).loc = Loc::Done;
                    self.ledger.end_stay(r, site, world.now());
                }
                _ => {}
            }
        }
    }

    /// The architecture's decision round: bursting brings burst requests home, aggregation
    /// hands one back to its entry site.
    pub fn on_tick(&mut self, world: &mut World) {
        match world.fed().spec.architecture.clone() {
            ArchitectureSpec::Bursting {
                home, return_below, ..
            } => self.bring_back(world, &home, return_below),
            ArchitectureSpec::Aggregated { .. } => self.reclaim(world),
            ArchitectureSpec::Broker { .. } | ArchitectureSpec::Multitier { .. } => {}
        }
    }
}
