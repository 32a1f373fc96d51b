//! Moving requests between sites: sending an image over the WAN, handing a request to the site
//! it reached (a VM of a private site or a public instance), stopping it where it ran before,
//! rejecting it, and the virtual networks and contracts every move goes through.

use std::collections::BTreeSet;

use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::{HostId, VmView};
use orrery_sim::VmPlan;

use super::ledger::Loc;
use super::Requests;
use crate::coupling::{Contract, FederationError, RemoteOp};
use crate::ids::{RequestId, SiteId};
use crate::public::Occupant;
use crate::world::event::Event;
use crate::world::sites::Site;
use crate::world::World;

/// What a site did with a request handed to it.
enum Handed {
    /// A private site took it as VM `vm` (or refused it with a reason).
    Private(Result<usize, String>),
    /// A public cloud started (or reused) `instance`, running at `ready` at `speed`, or
    /// refused it.
    Public(Result<(usize, Millis, f64), String>),
}

impl Requests {
    /// The contract `user` holds at site `provider` and its use.
    pub fn contract(&self, world: &World, user: &str, provider: SiteId) -> Contract {
        world.contract(user, provider, self.ledger.contract_use(user, provider))
    }

    /// Whether request `r` may run at site `to`: a member of a virtual network needs a
    /// cross-site network from every site where another member is, which the coupling of
    /// each of those relationships must allow.
    pub fn network_check(
        &self,
        world: &World,
        r: RequestId,
        to: SiteId,
    ) -> Result<(), FederationError> {
        let Some((_, peers)) = self.ledger.network_peers(r) else {
            return Ok(());
        };
        for site in peers {
            if site != to {
                world.check(world.name(site), to, RemoteOp::CrossSiteNetwork)?;
            }
        }
        Ok(())
    }

    /// Extends request `r`'s network to site `to` where it does not reach yet.
    fn join_network(&mut self, world: &mut World, r: RequestId, to: SiteId) {
        let Some((net, peers)) = self.ledger.network_peers(r) else {
            return;
        };
        let net = net.to_string();
        let sites: BTreeSet<SiteId> = peers.into_iter().filter(|&s| s != to).collect();
        for s in sites {
            if self.ledger.extend_network(&net, s, to) {
                let detail = format!(
                    "network {net} between {} and {}",
                    world.name(s),
                    world.name(to)
                );
                world.log("network_extend", Some(to), Some(r), detail);
            }
        }
    }

    /// Sends request `r`'s image from `from` to `to` over their link (at once within a site)
    /// and hands it to `to` on arrival; `host` when the destination host was chosen elsewhere.
    pub fn transfer(
        &mut self,
        world: &mut World,
        r: RequestId,
        from: SiteId,
        to: SiteId,
        mb: f64,
        host: Option<HostId>,
    ) {
        self.join_network(world, r, to);
        let delay = world.wan(from, to, mb, Some(r));
        if from != to {
            let t = self.ledger.get_mut(r);
            t.forwarded |= to != t.req.entry;
            let detail = format!("{mb} MB to {} in {} s", world.name(to), to_secs(delay));
            world.log("transfer_start", Some(from), Some(r), detail);
        }
        let t = self.ledger.get_mut(r);
        let at = t.loc;
        if matches!(at, Loc::Private { .. } | Loc::Public { .. }) {
            t.moving_from = Some(at);
        }
        t.loc = Loc::InTransit { to };
        world.push(world.now() + delay, Event::Deliver { r, site: to, host });
    }

    /// Hands request `r`, arrived at `site`, to that site (stopping it where it ran before);
    /// the site to reroute it from when a public cloud refused it.
    pub(super) fn deliver(
        &mut self,
        world: &mut World,
        r: RequestId,
        site: SiteId,
        host: Option<HostId>,
    ) -> Option<SiteId> {
        if let Some(previous) = self.ledger.get_mut(r).moving_from.take() {
            self.leave(world, r, previous);
        }
        let now = world.now();
        let left = self.ledger.remaining(r, now);
        if left == Some(0) {
            self.ledger.get_mut(r).loc = Loc::Done;
            return None;
        }
        let req = self.ledger.get(r).req.clone();
        let previous = self.ledger.get(r).started;
        let end_of_run = world.end();
        let end = left.map(|l| (now + l).min(end_of_run));
        let tenant = world.name(req.entry).to_string();
        let handed = match world.sites_mut().get_mut(site) {
            Site::Private(s) => {
                let Some(vm_type) = s.view().vm_types.iter().position(|t| t.name == req.vm_type)
                else {
                    unreachable!("checked on load");
                };
                let plan = VmPlan {
                    view: VmView::new(&req.name, vm_type, now),
                    demand: req.demand.clone(),
                    arrival: now,
                    end,
                    tenant,
                    host: None,
                };
                Handed::Private(s.submit(plan, host))
            }
            Site::Public(c) => Handed::Public(
                c.launch(Occupant::Request(r), req.vcpus, req.memory_mb, now)
                    .map(|(instance, ready)| (instance, ready, c.speed(instance)))
                    .map_err(|e| e.to_string()),
            ),
        };
        match handed {
            Handed::Private(Ok(vm)) => {
                let t = self.ledger.get_mut(r);
                t.loc = Loc::Private { site, vm };
                t.started = Some(previous.unwrap_or(now));
                t.finish = end;
                let user = world.name(t.via.take().unwrap_or(req.entry)).to_string();
                self.ledger
                    .placed(r, site, vm, now, end.unwrap_or(end_of_run), user);
                world.log("submit", Some(site), Some(r), format!("vm {vm}"));
            }
            Handed::Private(Err(e)) => {
                self.ledger.get_mut(r).loc = Loc::Rejected;
                world.log("refused", Some(site), Some(r), e);
            }
            Handed::Public(Ok((instance, ready, speed))) => {
                let finish =
                    left.map(|l| (ready + (l as f64 / speed).ceil() as Millis).min(end_of_run));
                let t = self.ledger.get_mut(r);
                t.loc = Loc::Public { site, instance };
                t.burst = true;
                t.started = Some(previous.unwrap_or(ready));
                t.finish = finish;
                if let Some(f) = finish {
                    world.push(f, Event::PublicDone(r));
                }
                let detail = format!("instance {instance} runs at {} s", to_secs(ready));
                world.log("instance_start", Some(site), Some(r), detail);
            }
            Handed::Public(Err(e)) => {
                world.log("refused", Some(site), Some(r), e);
                self.ledger.get_mut(r).loc = Loc::Waiting;
                return Some(site);
            }
        }
        None
    }

    /// Stops request `r` at `at`, where it ran before it moved on: its private stay or
    /// public instance ends.
    fn leave(&mut self, world: &mut World, r: RequestId, at: Loc) {
        match at {
            Loc::Private { site, vm } => {
                if let Some(s) = world.sites_mut().private_mut(site) {
                    if let Err(e) = s.stop(vm) {
                        world.log("stop_refused", Some(site), Some(r), e);
                    }
                }
                self.ledger.end_stay(r, site, world.now());
            }
            Loc::Public { site, instance } => self.release_public(world, site, instance, r),
            _ => {}
        }
    }

    /// Request `r` left `instance` of public cloud `site`: it idles until its stop time.
    pub(super) fn release_public(
        &mut self,
        world: &mut World,
        site: SiteId,
        instance: usize,
        r: RequestId,
    ) {
        let now = world.now();
        if let Some(c) = world.sites_mut().public_mut(site) {
            let stop = c.release(instance, now);
            let detail = format!("instance {instance} stops at {} s", to_secs(stop));
            world.log("instance_idle", Some(site), Some(r), detail);
        }
    }

    /// No cloud takes request `r`, for `why`.
    pub(super) fn reject(&mut self, world: &mut World, r: RequestId, why: String) {
        self.ledger.get_mut(r).loc = Loc::Rejected;
        let entry = self.ledger.get(r).req.entry;
        world.log("reject", Some(entry), Some(r), why);
    }

    /// Sends request `r` to `to` unless its network may not reach there.
    pub(super) fn send_or_reject(
        &mut self,
        world: &mut World,
        r: RequestId,
        from: SiteId,
        to: SiteId,
        mb: f64,
    ) {
        match self.network_check(world, r, to) {
            Ok(()) => self.transfer(world, r, from, to, mb, None),
            Err(e) => self.reject(world, r, e.to_string()),
        }
    }

    /// The sites of `sites` request `r`'s network may reach, and the first refusal.
    pub(super) fn reachable(
        &self,
        world: &World,
        r: RequestId,
        sites: Vec<SiteId>,
    ) -> (Vec<SiteId>, Option<FederationError>) {
        let mut refusal = None;
        let ok = sites
            .into_iter()
            .filter(|&s| match self.network_check(world, r, s) {
                Ok(()) => true,
                Err(e) => {
                    refusal.get_or_insert(e);
                    false
                }
            })
            .collect();
        (ok, refusal)
    }
}
