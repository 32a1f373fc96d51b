//! The aggregated architecture: partner clouds sharing capacity under contracts through the
//! cross-site migration protocol (seed 002). A site takes what fits; what does not is placed
//! at its partners whose relationship allows a protocol hand-over and whose contract has room
//! (a primary placement is a cold migration); a partner that cannot take it delegates to its
//! own partners, up to `max_depth` delegations. At every decision round one VM running away
//! from its entry site comes back through the protocol (a forced migration of the running VM)
//! once the entry site has room and nothing pending.
//!
//! Here the runtime drives the sites' [`SiteAgent`]s: it delivers every message after the
//! link delay (the image payload after its transfer time), answers each agent's host choice
//! with [`FirstFit`] over the site's planned state, and applies the outcomes.

use orrery_engine::rng::RngStreams;

use super::ledger::Loc;
use super::Requests;
use crate::coupling::RemoteOp;
use crate::ids::{RequestId, SiteId};
use crate::policy::protocol::{
    Message, Outcome as ProtocolOutcome, SiteAgent, SiteName, SitePolicy, Step, VmDescriptor,
};
use crate::policy::routing::{checksum, reserve, FirstFit};
use crate::spec::{ArchitectureSpec, PartnerSpec};
use crate::world::event::Event;
use crate::world::World;

impl Requests {
    /// Gives every private site its protocol agent, when the architecture is aggregated (each
    /// agent's proxy key drawn from the `federation-proxy` stream of its site).
    pub fn init_architecture(&mut self, world: &World) {
        let ArchitectureSpec::Aggregated {
            partners,
            max_depth,
        } = &world.fed().spec.architecture
        else {
            return;
        };
        let streams = RngStreams::new(world.fed().spec.seed);
        for s in world.sites().ids() {
            if !world.sites().is_private(s) {
                continue;
            }
            let delegate_to = partners_of(world, s, partners)
                .into_iter()
                .map(|p| SiteName(world.name(p).to_string()))
                .collect();
            let policy = SitePolicy {
                delegate_to,
                max_depth: *max_depth,
                ..SitePolicy::default()
            };
            let mut rng = streams.stream("federation-proxy", s.0 as u64);
            let agent = SiteAgent::new(SiteName(world.name(s).to_string()), policy, &mut rng);
            self.protocol.join(s, agent);
        }
    }

    /// Hands request `r`, entering at `e`, to `e`'s partners through the protocol.
    pub(super) fn aggregate(&mut self, world: &mut World, r: RequestId, e: SiteId) {
        let ArchitectureSpec::Aggregated { partners, .. } = world.fed().spec.architecture.clone()
        else {
            return;
        };
        let vcpus = self.ledger.get(r).req.vcpus;
        let mut candidates = Vec::new();
        for p in partners_of(world, e, &partners) {
            let allowed = world
                .check(world.name(e), p, RemoteOp::ProtocolHandover)
                .and_then(|_| self.network_check(world, r, p));
            match allowed {
                Err(err) => world.log("forbidden", Some(p), Some(r), err.to_string()),
                Ok(_) if !self.contract(world, world.name(e), p).admits(vcpus) => {
                    world.log("contract_full", Some(p), Some(r), String::new())
                }
                Ok(_) => candidates.push(SiteName(world.name(p).to_string())),
            }
        }
        if candidates.is_empty() {
            return self.reject(world, r, "no partner may take it".into());
        }
        let req = &self.ledger.get(r).req;
        let vm = VmDescriptor {
            id: req.name.clone(),
            vcpus: req.vcpus,
            memory_mb: req.memory_mb as u64,
            image_mb: req.image_mb as u64,
            checksum: checksum(&req.name),
        };
        self.ledger.get_mut(r).loc = Loc::InTransit { to: e };
        let step = self
            .protocol
            .agent_mut(e)
            .expect("private sites have agents")
            .start_placement(vm, &candidates);
        self.start_protocol(world, r, step);
    }

    /// Aggregation's return: a request running at a partner comes back to its entry site
    /// through the protocol (a forced migration of the running VM) once the entry site has
    /// room for it and nothing pending.
    pub(super) fn reclaim(&mut self, world: &mut World) {
        for r in self.ledger.ids() {
            let t = self.ledger.get(r);
            let Loc::Private { site, .. } = t.loc else {
                continue;
            };
            let e = t.req.entry;
            if site == e || self.protocol.under_way(r) || world.sites().pending_at(e) > 0 {
                continue;
            }
            let mut state = self.planned_state(world, e);
            if reserve(&mut state, t.mips(), t.req.memory_mb).is_none() {
                continue;
            }
            let name = t.req.name.clone();
            let detail = format!("from {}", world.name(site));
            world.log("reclaim", Some(e), Some(r), detail);
            let home = SiteName(world.name(e).to_string());
            let step = self
                .protocol
                .agent_mut(e)
                .expect("private sites have agents")
                .start_migration(&name, &[home]);
            self.start_protocol(world, r, step);
            // One hand-back per round: the next round sees this one's reservation.
            return;
        }
    }

    /// A protocol run about request `r` starts with `step`.
    fn start_protocol(&mut self, world: &mut World, r: RequestId, step: Step) {
        if let Some(m) = step.messages.first() {
            self.protocol.started(m.migration.clone(), r);
        }
        self.protocol_step(world, step);
    }

    /// Sends `step`'s messages over their links and applies its outcomes.
    fn protocol_step(&mut self, world: &mut World, step: Step) {
        for msg in step.messages {
            let from = world.site_id(&msg.from.0).expect("agents are sites");
            let to = world.site_id(&msg.to.0).expect("agents are sites");
            let r = self.protocol.request_of(&msg.migration);
            let delay = world.wan(from, to, msg.payload_mb() as f64, r);
            world.push(world.now() + delay, Event::Protocol(Box::new(msg)));
        }
        for outcome in step.outcomes {
            self.protocol_outcome(world, outcome);
        }
    }

    /// A protocol message reaches its receiver: its agent handles it, placing with
    /// [`FirstFit`] over the receiver's planned state and delegating within its contracts.
    pub fn deliver_message(&mut self, world: &mut World, msg: Message) {
        let to = world.site_id(&msg.to.0).expect("agents are sites");
        self.protocol.delivered(msg.kind());
        let r = self.protocol.request_of(&msg.migration);
        world.log(msg.kind(), Some(to), r, msg.to_string());
        if msg.kind() == "migration_request" {
            let from = world.site_id(&msg.from.0).expect("agents are sites");
            self.protocol.asked(msg.migration.clone(), to, from);
        }
        // The partners `to` may hand a VM on to, with its contract at each.
        let contracts = world
            .sites()
            .ids()
            .filter(|&p| p != to)
            .filter(|&p| {
                world
                    .check(world.name(to), p, RemoteOp::ProtocolHandover)
                    .is_ok()
            })
            .map(|p| {
                let contract = self.contract(world, world.name(to), p);
                (world.name(p).to_string(), contract)
            })
            .collect();
        let ledger = &self.ledger;
        let size_of = |id: &str| {
            let t = ledger.get(ledger.find(id)?);
            Some((t.mips(), t.req.memory_mb))
        };
        let mut chooser = FirstFit::new(self.planned_state(world, to), size_of, contracts);
        let step = self
            .protocol
            .agent_mut(to)
            .expect("messages go to agents")
            .handle(msg, &mut chooser);
        self.protocol_step(world, step);
    }

    /// Applies how a protocol run ended: an accepted VM heads for its destination (from its
    /// old site, if it ran), a refused one is rejected (or stays where it runs).
    fn protocol_outcome(&mut self, world: &mut World, outcome: ProtocolOutcome) {
        match outcome {
            ProtocolOutcome::Accepted {
                migration: run,
                vm,
                site,
                handle,
                ..
            } => {
                let Some(r) = self.ledger.find(&vm) else {
                    return;
                };
                let s = world.site_id(&site.0).expect("agents are sites");
                let asker = self.protocol.asker(&run, s);
                // Only the destination resolves its token to a host.
                let host = self
                    .protocol
                    .agent(s)
                    .expect("agents are sites")
                    .resolve(&handle)
                    .and_then(|name| {
                        world
                            .sites()
                            .private(s)
                            .and_then(|p| p.view().hosts.iter().position(|h| h.name == name))
                    });
                self.protocol.ended(r);
                let t = self.ledger.get_mut(r);
                if t.loc == Loc::Done {
                    return; // its lifetime ended while the protocol ran
                }
                let entry = t.req.entry;
                t.forwarded |= s != entry;
                let at = t.loc;
                if let Loc::Private { site: from, .. } = at {
                    // A running VM moved: it stops at its old site when it resumes here.
                    t.moving_from = Some(at);
                    t.returned |= s == entry;
                    if let Some(agent) = self.protocol.agent_mut(from) {
                        agent.release(&vm);
                    }
                }
                let t = self.ledger.get_mut(r);
                t.loc = Loc::InTransit { to: s };
                t.via = asker.filter(|&a| a != entry);
                world.push(world.now(), Event::Deliver { r, site: s, host });
            }
            ProtocolOutcome::Refused { vm, reason, .. } => {
                let Some(r) = self.ledger.find(&vm) else {
                    return;
                };
                self.protocol.ended(r);
                match self.ledger.get(r).loc {
                    // A hand-back that failed leaves the VM where it runs.
                    Loc::Private { .. } => {
                        world.log("reclaim_refused", None, Some(r), reason.to_string())
                    }
                    _ => self.reject(world, r, format!("protocol: {reason}")),
                }
            }
        }
    }
}

/// Site `s`'s partners: as `listed`, else every private site it has a relationship with.
fn partners_of(world: &World, s: SiteId, listed: &[PartnerSpec]) -> Vec<SiteId> {
    let name = world.name(s);
    match listed.iter().find(|p| p.site == name) {
        Some(p) => p.partners.iter().filter_map(|q| world.site_id(q)).collect(),
        None => world
            .sites()
            .ids()
            .filter(|&q| q != s && world.sites().is_private(q))
            .filter(|&q| world.fed().coupling(name, world.name(q)).is_some())
            .collect(),
    }
}
