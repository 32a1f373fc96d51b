//! The federation event loop: every private site's cloud OS stepped in lock-step, public
//! clouds, WAN transfers and monitoring delayed by their links, and the coupling rules every
//! cross-site action goes through.
//!
//! [`Runtime`] coordinates three parts, each owning its state: the shared [`World`] (clock,
//! event queue, clouds, WAN, monitoring, the record), the VM-request layer ([`Requests`]) and
//! the SaaS layer ([`Saas`]). It hands each event to the part it concerns, runs the decision
//! rounds, and at the end builds the [`Outcome`] from the parts' figures.

use std::collections::BTreeMap;

use orrery_engine::infra::InfraError;
use orrery_engine::time::{from_secs, to_secs, Millis};
use orrery_engine::view::{HostId, VmId};

use crate::coupling::{Contract, Coupling, FederationError, RemoteOp, RemoteView, SiteState};
use crate::ids::{RequestId, SiteId};
use crate::output::{mean_reserved, IntervalRow, Outcome, Summary};
use crate::requests::ledger::Tracked;
use crate::requests::Requests;
use crate::saas::Saas;
use crate::site::PrivateSite;
use crate::spec::{ArchitectureSpec, Federation, SiteSpec};
use crate::world::event::Event;
use crate::world::World;
use orrery_engine::error::RunError;

/// A federation being run.
pub struct Runtime {
    world: World,
    requests: Requests,
    saas: Saas,
    /// Time between decision rounds.
    interval: Millis,
}

impl Runtime {
    /// Builds every site, draws the demand and schedules its arrivals.
    pub fn new(fed: Federation) -> Result<Runtime, RunError> {
        let interval = from_secs(fed.spec.interval_s);
        let mut requests = Requests::new(&fed);
        let mut world = World::new(fed, requests.names())?;
        requests.schedule_arrivals(&mut world);
        world.push(0, Event::Tick);
        for i in 0..world.fed().spec.relations.len() {
            world.push(0, Event::Monitor(i));
        }
        let saas = Saas::new(world.fed());
        requests.init_architecture(&world);
        saas.schedule(&mut world);
        requests.schedule_probes(&mut world);
        Ok(Runtime {
            world,
            requests,
            saas,
            interval,
        })
    }

    /// Runs the federation to its end and returns what happened.
    pub fn run(mut self) -> Result<Outcome, InfraError> {
        self.run_until(self.world.end())?;
        self.finish()
    }

    /// Runs every event up to and including time `t` (at most the end).
    pub fn run_until(&mut self, t: Millis) -> Result<(), InfraError> {
        let t = t.min(self.world.end());
        while let Some(next) = self.world.next_time().filter(|&n| n <= t) {
            self.world.advance(next)?;
            while self.world.next_time() == Some(next) {
                let event = self.world.pop().expect("peeked");
                self.handle(event);
            }
        }
        self.world.advance(t)
    }

    fn handle(&mut self, event: Event) {
        let world = &mut self.world;
        match event {
            Event::Arrive(r) => self.requests.arrive(world, r),
            Event::Deliver { r, site, host } => self.requests.delivered(world, r, site, host),
            Event::PublicDone(r) => self.requests.public_done(world, r),
            Event::Monitor(i) => {
                let requests = &self.requests;
                world.monitor(i, |user, provider| requests.contract_use(user, provider));
            }
            Event::Tick => {
                self.requests.reap(world);
                self.requests.on_tick(world);
                self.record_interval();
                let next = self.world.now() + self.interval;
                if next <= self.world.end() {
                    self.world.push(next, Event::Tick);
                }
            }
            Event::Snapshot {
                observer,
                observed,
                at,
                view,
            } => world.snapshot_arrived(observer, observed, at, view),
            Event::Protocol(msg) => self.requests.deliver_message(world, *msg),
            Event::Probe(every) => self.requests.probe(world, every),
            Event::Health(h) => self.requests.health(world, *h),
            Event::Saas(e) => self.saas.handle(world, e),
        }
    }

    /// Every site's row of the current decision round.
    fn record_interval(&mut self) {
        let now = self.world.now();
        for s in self.world.sites().ids() {
            let (reserved, cpu, vms) = self.world.sites().load(s, now);
            let cost = match self.world.sites().public(s) {
                Some(c) => c.cost(now),
                None => self.private_cost(s, now),
            };
            let row = IntervalRow {
                time_s: to_secs(now),
                site: self.world.name(s).to_string(),
                reserved_fraction: reserved,
                cpu_utilisation: cpu,
                federation_vms: vms as u64,
                cost,
            };
            self.world.record_interval(row);
        }
    }

    /// What the federation's VMs (requests and SaaS workers) cost at private site `s` up to
    /// `until`.
    fn private_cost(&self, s: SiteId, until: Millis) -> f64 {
        let SiteSpec::Private {
            price_per_vm_hour, ..
        } = self.world.fed().site(s)
        else {
            return 0.0;
        };
        let workers = self.saas.worker_hours_at(s, until);
        let hours = self.requests.hours_at(s, until);
        (hours + workers) * price_per_vm_hour
    }

    fn finish(mut self) -> Result<Outcome, InfraError> {
        self.world.close();
        self.requests.reap(&mut self.world);
        let end = self.world.end();
        let mut cost_by_site = BTreeMap::new();
        for s in self.world.sites().ids() {
            let cost = match self.world.sites().public(s) {
                Some(c) => c.cost(end),
                None => self.private_cost(s, end),
            };
            cost_by_site.insert(self.world.name(s).to_string(), cost);
        }
        let sites = self.world.finish_sites()?;
        let (events, intervals) = self.world.take_record();
        let (calls, call_summary) = self.saas.outcome(&self.world);
        let counts = self.requests.counts(end);
        let traffic_mb = self.world.traffic_by_link();
        let fed = self.world.fed();
        let summary = Summary {
            name: fed.name.clone(),
            architecture: match &fed.spec.architecture {
                ArchitectureSpec::Bursting { .. } => "bursting",
                ArchitectureSpec::Broker {
                    metabroker: Some(_),
                    ..
                } => "metabroker",
                ArchitectureSpec::Broker { .. } => "broker",
                ArchitectureSpec::Aggregated { .. } => "aggregated",
                ArchitectureSpec::Multitier { .. } => "multitier",
            }
            .into(),
            seed: fed.spec.seed,
            duration_s: to_secs(end),
            requests: counts.requests,
            served: counts.served,
            rejected: counts.rejected,
            burst: counts.burst,
            returned: counts.returned,
            forwarded: counts.forwarded,
            deadline_misses: counts.deadline_misses,
            cost_total: cost_by_site.values().fold(0.0, |a, b| a + b),
            cost_by_site,
            utilisation: sites
                .keys()
                .map(|name| (name.clone(), mean_reserved(&intervals, name)))
                .collect(),
            sla_shortfall: sites
                .iter()
                .map(|(n, r)| (n.clone(), r.summary.cpu_shortfall_ratio))
                .collect(),
            energy_kwh: sites
                .iter()
                .map(|(n, r)| (n.clone(), r.summary.energy_kwh))
                .collect(),
            cross_site_traffic_gb: traffic_mb.values().fold(0.0, |a, b| a + b) / 1024.0,
            traffic_mb,
            protocol_messages: self
                .requests
                .protocol_messages()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            monitoring_messages: self.world.monitoring_messages(),
            calls: call_summary,
        };
        Ok(Outcome {
            summary,
            intervals,
            events,
            calls,
            sites,
        })
    }

    /// The relationship between parties `a` and `b` (a site or a multitier parent), checked
    /// for `op`: an operation the coupling does not allow is an error, not a silent no-op.
    pub fn check(&self, a: &str, b: SiteId, op: RemoteOp) -> Result<Coupling, FederationError> {
        self.world.check(a, b, op)
    }

    /// What `observer` last received from site `observed` (as its coupling reveals it).
    pub fn remote_view(&self, observer: &str, observed: SiteId) -> Option<&RemoteView> {
        self.remote_view_at(observer, observed).map(|(_, v)| v)
    }

    /// [`Runtime::remote_view`] with the time its snapshot was taken.
    pub fn remote_view_at(
        &self,
        observer: &str,
        observed: SiteId,
    ) -> Option<(Millis, &RemoteView)> {
        self.world.remote_view_at(observer, observed)
    }

    /// The contract `user` holds at site `provider` and its use.
    pub fn contract(&self, user: &str, provider: SiteId) -> Contract {
        self.requests.contract(&self.world, user, provider)
    }

    /// Whether request `r` may run at site `to` (its virtual network may reach there).
    pub fn network_check(&self, r: RequestId, to: SiteId) -> Result<(), FederationError> {
        self.requests.network_check(&self.world, r, to)
    }

    /// Site `s`'s state as its cloud OS will see it once the requests already handed to it
    /// (still arriving or on their way) are placed.
    pub fn planned_state(&self, s: SiteId) -> SiteState {
        self.requests.planned_state(&self.world, s)
    }

    /// `party` places request `r` on host `host` of site `site` (tight coupling only).
    pub fn place_on_host(
        &mut self,
        party: &str,
        r: RequestId,
        site: SiteId,
        host: HostId,
    ) -> Result<(), FederationError> {
        self.requests
            .place_on_host(&mut self.world, party, r, site, host)
    }

    /// `party` (the site request `r` runs at, or a parent) live-migrates it to host `host` of
    /// site `to`: its memory crosses the link while it keeps running, then it resumes there.
    pub fn live_migrate(
        &mut self,
        party: &str,
        r: RequestId,
        to: SiteId,
        host: HostId,
    ) -> Result<(), FederationError> {
        self.requests
            .live_migrate(&mut self.world, party, r, to, host)
    }

    /// The private site `s`, if it is one.
    pub fn private(&self, s: SiteId) -> Option<&PrivateSite> {
        self.world.sites().private(s)
    }

    /// The request owning VM `vm` of private site `site`.
    pub fn owner(&self, site: SiteId, vm: VmId) -> Option<RequestId> {
        self.requests.owner(site, vm)
    }

    /// Every request's record, in arrival order (indexed by [`RequestId`]).
    pub fn tracked(&self) -> &[Tracked] {
        self.requests.tracked()
    }

    /// The current federation time, ms.
    pub fn now(&self) -> Millis {
        self.world.now()
    }
}
