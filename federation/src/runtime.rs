//! The federation event loop: every private site's cloud OS stepped in lock-step, public
//! clouds, WAN transfers and monitoring delayed by their links, and the coupling rules every
//! cross-site action goes through.

use std::collections::{BTreeMap, BTreeSet};

use crate::policy::protocol::{Message, MigrationId, SiteAgent};
use crate::policy::ranking::Health;
use orrery_engine::infra::InfraError;
use orrery_engine::model::VmState;
use orrery_engine::queue::EventQueue;
use orrery_engine::rng::RngStreams;
use orrery_engine::time::{from_secs, to_secs, Millis};
use orrery_engine::view::{HostId, VmView};
use orrery_sim::VmPlan;

use crate::coupling::{Contract, Coupling, FederationError, RemoteOp, RemoteView};
use crate::demand::{requests, Request};
use crate::output::{EventRow, IntervalRow, Outcome};
use crate::public::PublicCloud;
use crate::saas::Saas;
use crate::site::PrivateSite;
use crate::spec::{Federation, SiteSpec};

/// Where a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// Not arrived, or arrived and not yet sent anywhere.
    Waiting,
    /// Its image (or state) is on its way to a site.
    InTransit {
        /// The site.
        to: usize,
    },
    /// Running (or booting) at a private site.
    Private {
        /// The site.
        site: usize,
        /// Its VM there.
        vm: usize,
    },
    /// On a public cloud's instance.
    Public {
        /// The site.
        site: usize,
        /// The instance.
        instance: usize,
    },
    /// No cloud took it.
    Rejected,
    /// Its lifetime is over.
    Done,
}

/// One request's history.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The request.
    pub req: Request,
    /// Where it is.
    pub loc: Loc,
    /// When it first ran (private sites: when it was handed over), ms.
    pub started: Option<Millis>,
    /// When it finishes (at its current site), ms.
    pub finish: Option<Millis>,
    /// Its stays at private sites: (site, from, to).
    pub stays: Vec<(usize, Millis, Millis)>,
    /// Whether it ran on a public cloud.
    pub burst: bool,
    /// Whether it was handed to a site other than its entry.
    pub forwarded: bool,
    /// Whether it came back from a public cloud.
    pub returned: bool,
    /// Where it ran before the transfer under way (stopped there when it arrives).
    pub moving_from: Option<Loc>,
    /// The site that handed it to the site it is on its way to (a protocol delegation's last
    /// hop), when not its entry site: whose contract it uses there.
    pub via: Option<usize>,
    /// The contract its current private stay counts against: (user, provider site).
    pub charged: Option<(String, usize)>,
}

/// A cloud of the federation.
pub enum Site {
    /// A private cloud with its own cloud OS.
    Private(Box<PrivateSite>),
    /// A public cloud.
    Public(PublicCloud),
}

/// Something the federation handles at a time.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// Request `r` arrives at its entry site.
    Arrive(usize),
    /// Request `r`'s image or state reached `site` (to run on `host` when chosen elsewhere).
    Deliver {
        r: usize,
        site: usize,
        host: Option<HostId>,
    },
    /// Request `r`'s lifetime on a public cloud is over.
    PublicDone(usize),
    /// A federation decision round.
    Tick,
    /// Relationship `i`'s monitoring round.
    Monitor(usize),
    /// A monitoring snapshot reaches `observer`.
    Snapshot {
        observer: String,
        observed: usize,
        at: Millis,
        view: RemoteView,
    },
    /// A protocol message reaches its receiver.
    Protocol(Box<Message>),
    /// The meta-broker's probe round (repeated every so many ms).
    Probe(Millis),
    /// A cloud's probe results reach the meta-broker.
    Health(Box<Health>),
    /// Service call `c` arrives at its entry site.
    CallArrive(usize),
    /// Forwarded call `c`'s input reached the peer it was forwarded to.
    CallDeliver(usize),
    /// Call `c`'s execution ends (stale unless it still runs until now).
    CallDone(usize),
    /// Worker `w` runs (a public instance), or is expected to (a private VM: checked then).
    WorkerReady(usize),
    /// Idle worker `worker` stops, unless it took a call since `idle_since`.
    WorkerStop { worker: usize, idle_since: Millis },
    /// Desk `d`'s periodic broker round.
    BrokerRound(usize),
}

/// A WAN link.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub latency: Millis,
    pub bandwidth_mbps: f64,
}

impl Link {
    /// Time to move `mb` megabytes: latency plus size over bandwidth.
    pub fn transfer(&self, mb: f64) -> Millis {
        self.latency + (mb * 8.0 / self.bandwidth_mbps * 1000.0).ceil() as Millis
    }
}

/// A federation being run.
pub struct Runtime {
    pub(crate) fed: Federation,
    pub(crate) now: Millis,
    pub(crate) end: Millis,
    interval: Millis,
    pub(crate) sites: Vec<Site>,
    pub(crate) names: Vec<String>,
    pub(crate) tracked: Vec<Tracked>,
    pub(crate) queue: EventQueue<Event>,
    links: BTreeMap<(usize, usize), Link>,
    /// Monitoring snapshots as delivered: (observer, observed site) → (taken at, view).
    views: BTreeMap<(String, usize), (Millis, RemoteView)>,
    /// Contract use: (user, provider site) → (VMs, vCPUs); a VM delegated along a chain uses
    /// the contract of the site that handed it to its destination.
    used: BTreeMap<(String, usize), (u32, u32)>,
    /// Protocol agents by site (aggregated architecture).
    pub(crate) agents: BTreeMap<usize, SiteAgent>,
    /// The request each protocol run is about.
    pub(crate) migrations: BTreeMap<MigrationId, usize>,
    /// Who asked each site in each protocol run: (run, asked site) → asking site.
    pub(crate) asked_by: BTreeMap<(MigrationId, usize), usize>,
    /// Requests with a protocol run under way.
    pub(crate) in_protocol: BTreeSet<usize>,
    /// The meta-broker's latest probe results per site.
    pub(crate) health: BTreeMap<usize, Health>,
    /// Cross-site networks set up: (network, site, site), the smaller site first.
    networks: BTreeSet<(String, usize, usize)>,
    /// Which private VM belongs to which request: (site, vm) → request.
    owners: BTreeMap<(usize, usize), usize>,
    pub(crate) events: Vec<EventRow>,
    intervals: Vec<IntervalRow>,
    /// MB moved per link (ordered pair of site indices).
    pub(crate) traffic_mb: BTreeMap<(usize, usize), f64>,
    pub(crate) protocol_messages: BTreeMap<&'static str, u64>,
    monitoring_messages: u64,
    pub(crate) streams: RngStreams,
    /// The SaaS layer: calls, workers and the sites' cloud brokers.
    pub(crate) saas: Saas,
}

impl Runtime {
    /// Builds every site, draws the demand and schedules its arrivals.
    pub fn new(fed: Federation) -> Result<Runtime, crate::RunError> {
        let end = from_secs(fed.spec.duration_s);
        let interval = from_secs(fed.spec.interval_s);
        let streams = RngStreams::new(fed.spec.seed);
        let mut sites = Vec::new();
        for (i, spec) in fed.spec.sites.iter().enumerate() {
            sites.push(match spec {
                SiteSpec::Private { .. } => {
                    let scenario = fed.scenarios[i].as_ref().expect("private sites have one");
                    let seed = fed.spec.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    Site::Private(Box::new(PrivateSite::new(scenario, seed)?))
                }
                SiteSpec::Public {
                    name,
                    instance_types,
                    stop,
                    stop_margin_s,
                } => Site::Public(PublicCloud::new(
                    name,
                    instance_types,
                    *stop,
                    *stop_margin_s,
                )),
            });
        }
        let names = fed
            .spec
            .sites
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        let mut links = BTreeMap::new();
        for l in &fed.spec.links {
            let (a, b) = (fed.site_index(&l.a).unwrap(), fed.site_index(&l.b).unwrap());
            let link = Link {
                latency: from_secs(l.latency_ms / 1000.0),
                bandwidth_mbps: l.bandwidth_mbps,
            };
            links.insert((a, b), link);
            links.insert((b, a), link);
        }
        let mut queue = EventQueue::new();
        let tracked: Vec<Tracked> = requests(&fed)
            .into_iter()
            .map(|req| Tracked {
                req,
                loc: Loc::Waiting,
                started: None,
                finish: None,
                stays: Vec::new(),
                burst: false,
                forwarded: false,
                returned: false,
                moving_from: None,
                via: None,
                charged: None,
            })
            .collect();
        for (r, t) in tracked.iter().enumerate() {
            queue.push(t.req.arrival, Event::Arrive(r));
        }
        queue.push(0, Event::Tick);
        for i in 0..fed.spec.relations.len() {
            queue.push(0, Event::Monitor(i));
        }
        let saas = Saas::new(&fed);
        let mut rt = Runtime {
            fed,
            now: 0,
            end,
            interval,
            sites,
            names,
            tracked,
            queue,
            links,
            views: BTreeMap::new(),
            used: BTreeMap::new(),
            agents: BTreeMap::new(),
            migrations: BTreeMap::new(),
            asked_by: BTreeMap::new(),
            in_protocol: BTreeSet::new(),
            health: BTreeMap::new(),
            networks: BTreeSet::new(),
            owners: BTreeMap::new(),
            events: Vec::new(),
            intervals: Vec::new(),
            traffic_mb: BTreeMap::new(),
            protocol_messages: BTreeMap::new(),
            monitoring_messages: 0,
            streams,
            saas,
        };
        rt.init_architecture();
        rt.init_saas();
        rt.schedule_probes();
        Ok(rt)
    }

    /// Runs the federation to its end and returns what happened.
    pub fn run(mut self) -> Result<Outcome, InfraError> {
        self.run_until(self.end)?;
        self.finish()
    }

    /// Runs every event up to and including time `t` (at most the end).
    pub fn run_until(&mut self, t: Millis) -> Result<(), InfraError> {
        let t = t.min(self.end);
        while let Some(next) = self.queue.peek_time().filter(|&n| n <= t) {
            self.advance_sites(next)?;
            while self.queue.peek_time() == Some(next) {
                let (_, event) = self.queue.pop().expect("peeked");
                self.handle(event);
            }
        }
        self.advance_sites(t)
    }

    fn advance_sites(&mut self, t: Millis) -> Result<(), InfraError> {
        for site in &mut self.sites {
            if let Site::Private(s) = site {
                s.advance(Some(t))?;
            }
        }
        self.now = t;
        Ok(())
    }

    /// Logs an event at site `site` about VM request `r` (either may be absent).
    pub(crate) fn log(
        &mut self,
        kind: &str,
        site: Option<usize>,
        r: Option<usize>,
        detail: String,
    ) {
        let site = site.map(|s| self.names[s].clone()).unwrap_or_default();
        let request = r
            .map(|r| self.tracked[r].req.name.clone())
            .unwrap_or_default();
        self.log_row(kind, site, request, detail);
    }

    /// Adds an event row at the current time naming `site` and `request` (a VM request or a
    /// service call; either may be empty).
    pub(crate) fn log_row(&mut self, kind: &str, site: String, request: String, detail: String) {
        self.events.push(EventRow {
            time_s: to_secs(self.now),
            kind: kind.to_string(),
            site,
            request,
            detail,
        });
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive(r) => {
                let entry = self.tracked[r].req.entry;
                self.log("request", Some(entry), Some(r), String::new());
                self.route(r);
            }
            Event::Deliver { r, site, host } => self.deliver(r, site, host),
            Event::PublicDone(r) => {
                if let Loc::Public { site, instance } = self.tracked[r].loc {
                    if self.tracked[r].finish == Some(self.now) {
                        self.tracked[r].loc = Loc::Done;
                        self.release_public(site, instance, r);
                    }
                }
            }
            Event::Monitor(i) => self.monitor(i),
            Event::Tick => {
                self.reap();
                self.on_tick();
                self.record_interval();
                let next = self.now + self.interval;
                if next <= self.end {
                    self.queue.push(next, Event::Tick);
                }
            }
            Event::Snapshot {
                observer,
                observed,
                at,
                view,
            } => {
                self.views.insert((observer, observed), (at, view));
            }
            Event::Protocol(msg) => self.deliver_message(*msg),
            Event::Probe(every) => self.probe(every),
            Event::Health(h) => {
                let s = self.fed.site_index(&h.cloud).expect("probes name sites");
                self.health.insert(s, *h);
            }
            saas @ (Event::CallArrive(_)
            | Event::CallDeliver(_)
            | Event::CallDone(_)
            | Event::WorkerReady(_)
            | Event::WorkerStop { .. }
            | Event::BrokerRound(_)) => self.handle_saas(saas),
        }
    }

    fn release_public(&mut self, site: usize, instance: usize, r: usize) {
        let now = self.now;
        if let Site::Public(c) = &mut self.sites[site] {
            let stop = c.release(instance, now);
            self.log(
                "instance_idle",
                Some(site),
                Some(r),
                format!("instance {instance} stops at {} s", to_secs(stop)),
            );
        }
    }

    /// The relationship between parties `a` and `b` (a site or a multitier parent), checked
    /// for `op`: an operation the coupling does not allow is an error, not a silent no-op.
    pub fn check(&self, a: &str, b: usize, op: RemoteOp) -> Result<Coupling, FederationError> {
        let to = &self.names[b];
        let Some(rel) = self.fed.coupling(a, to) else {
            return if matches!(op, RemoteOp::Request | RemoteOp::ForwardCall) {
                Ok(Coupling::Loose) // a public interface needs no agreement
            } else {
                Err(FederationError::Unrelated {
                    from: a.to_string(),
                    to: to.clone(),
                })
            };
        };
        if rel.coupling.allows(op) {
            Ok(rel.coupling)
        } else {
            Err(FederationError::Forbidden {
                from: a.to_string(),
                to: to.clone(),
                op: op.name(),
                coupling: rel.coupling.name(),
            })
        }
    }

    /// What `observer` last received from site `observed` (as its coupling reveals it).
    pub fn remote_view(&self, observer: &str, observed: usize) -> Option<&RemoteView> {
        self.remote_view_at(observer, observed).map(|(_, v)| v)
    }

    /// [`Runtime::remote_view`] with the time its snapshot was taken.
    pub fn remote_view_at(&self, observer: &str, observed: usize) -> Option<(Millis, &RemoteView)> {
        self.views
            .get(&(observer.to_string(), observed))
            .map(|(at, v)| (*at, v))
    }

    /// The link from site `a` to site `b`, if any.
    pub(crate) fn link(&self, a: usize, b: usize) -> Option<&Link> {
        self.links.get(&(a, b))
    }

    /// The contract `user` holds at site `provider` and its use.
    pub fn contract(&self, user: &str, provider: usize) -> Contract {
        let (used_vms, used_vcpus) = self
            .used
            .get(&(user.to_string(), provider))
            .copied()
            .unwrap_or_default();
        match self.fed.coupling(user, &self.names[provider]) {
            Some(rel) => Contract {
                limit_vms: rel.limit_vms,
                limit_vcpus: rel.limit_vcpus,
                used_vms,
                used_vcpus,
            },
            None => Contract::default(),
        }
    }

    /// Takes relationship `i`'s monitoring snapshots (each party of the other, as the
    /// coupling reveals it), sends them over their links and schedules the next round.
    fn monitor(&mut self, i: usize) {
        let rel = self.fed.spec.relations[i].clone();
        for (observer, observed) in [(&rel.a, &rel.b), (&rel.b, &rel.a)] {
            let Some(s) = self.fed.site_index(observed) else {
                continue;
            };
            let Site::Private(site) = &self.sites[s] else {
                continue; // a public cloud reports nothing but its offers
            };
            let view = rel
                .coupling
                .reveal(&site.state(), Some(self.contract(observer, s)));
            let delay = self
                .fed
                .site_index(observer)
                .and_then(|o| self.links.get(&(s, o)))
                .map_or(0, |l| l.latency);
            self.monitoring_messages += 1;
            self.queue.push(
                self.now + delay,
                Event::Snapshot {
                    observer: observer.clone(),
                    observed: s,
                    at: self.now,
                    view,
                },
            );
        }
        let every = from_secs(
            rel.monitor_interval_s
                .unwrap_or(rel.coupling.default_monitor_interval_s()),
        );
        if self.now + every <= self.end {
            self.queue.push(self.now + every, Event::Monitor(i));
        }
    }

    /// Notices private VMs that ended or that their site refused.
    fn reap(&mut self) {
        for r in 0..self.tracked.len() {
            let Loc::Private { site, vm } = self.tracked[r].loc else {
                continue;
            };
            let Site::Private(s) = &self.sites[site] else {
                continue;
            };
            match s.view().vms[vm].state {
                VmState::Failed => {
                    self.end_stay(r, site);
                    self.tracked[r].loc = Loc::Waiting;
                    self.tracked[r].started = None;
                    self.log("refused", Some(site), Some(r), "no host had room".into());
                    self.reroute(r, site);
                }
                VmState::Stopped => {
                    self.tracked[r].loc = Loc::Done;
                    self.end_stay(r, site);
                }
                _ => {}
            }
        }
    }

    fn end_stay(&mut self, r: usize, site: usize) {
        let now = self.now;
        if let Some(stay) = self.tracked[r].stays.last_mut() {
            if stay.0 == site && stay.2 > now {
                stay.2 = now;
            }
        }
        if let Some(key) = self.tracked[r].charged.take() {
            if let Some(u) = self.used.get_mut(&key) {
                u.0 = u.0.saturating_sub(1);
                u.1 = u.1.saturating_sub(self.tracked[r].req.vcpus);
            }
        }
    }

    /// Time to move `mb` from site `from` to site `to` (none within a site), counted as
    /// cross-site traffic; a missing link moves data at once and says so in the log.
    pub(crate) fn wan(&mut self, from: usize, to: usize, mb: f64, r: Option<usize>) -> Millis {
        if from == to {
            return 0;
        }
        if mb > 0.0 {
            *self.traffic_mb.entry((from, to)).or_default() += mb;
        }
        match self.links.get(&(from, to)) {
            Some(l) => l.transfer(mb),
            None => {
                let detail = format!("no link from {}: moved without delay", self.names[from]);
                self.log("no_link", Some(to), r, detail);
                0
            }
        }
    }

    /// Whether request `r` may run at site `to`: a member of a virtual network needs a
    /// cross-site network from every site where another member is, which the coupling of
    /// each of those relationships must allow.
    pub fn network_check(&self, r: usize, to: usize) -> Result<(), FederationError> {
        let Some(net) = &self.tracked[r].req.network else {
            return Ok(());
        };
        for (q, t) in self.tracked.iter().enumerate() {
            if q == r || t.req.network.as_ref() != Some(net) {
                continue;
            }
            let site = match t.loc {
                Loc::Private { site, .. }
                | Loc::Public { site, .. }
                | Loc::InTransit { to: site } => site,
                _ => continue,
            };
            if site != to {
                self.check(&self.names[site], to, RemoteOp::CrossSiteNetwork)?;
            }
        }
        Ok(())
    }

    /// Extends request `r`'s network to site `to` where it does not reach yet.
    fn join_network(&mut self, r: usize, to: usize) {
        let Some(net) = self.tracked[r].req.network.clone() else {
            return;
        };
        let sites: BTreeSet<usize> = self
            .tracked
            .iter()
            .enumerate()
            .filter(|(q, t)| *q != r && t.req.network.as_ref() == Some(&net))
            .filter_map(|(_, t)| match t.loc {
                Loc::Private { site, .. }
                | Loc::Public { site, .. }
                | Loc::InTransit { to: site } => Some(site),
                _ => None,
            })
            .filter(|&s| s != to)
            .collect();
        for s in sites {
            if self.networks.insert((net.clone(), s.min(to), s.max(to))) {
                let detail = format!(
                    "network {net} between {} and {}",
                    self.names[s], self.names[to]
                );
                self.log("network_extend", Some(to), Some(r), detail);
            }
        }
    }

    /// Sends request `r`'s image from `from` to `to` over their link (at once within a site)
    /// and hands it to `to` on arrival; `host` when the destination host was chosen elsewhere.
    pub(crate) fn transfer(
        &mut self,
        r: usize,
        from: usize,
        to: usize,
        mb: f64,
        host: Option<HostId>,
    ) {
        self.join_network(r, to);
        let delay = self.wan(from, to, mb, Some(r));
        if from != to {
            self.tracked[r].forwarded |= to != self.tracked[r].req.entry;
            self.log(
                "transfer_start",
                Some(from),
                Some(r),
                format!("{mb} MB to {} in {} s", self.names[to], to_secs(delay)),
            );
        }
        let at = self.tracked[r].loc;
        if matches!(at, Loc::Private { .. } | Loc::Public { .. }) {
            self.tracked[r].moving_from = Some(at);
        }
        self.tracked[r].loc = Loc::InTransit { to };
        self.queue
            .push(self.now + delay, Event::Deliver { r, site: to, host });
    }

    /// Time left of request `r`'s lifetime from now at nominal speed (`None`: to the end).
    fn remaining(&self, r: usize) -> Option<Millis> {
        let t = &self.tracked[r];
        let l = t.req.lifetime?;
        let used: Millis = match t.started {
            Some(s) => self.now.saturating_sub(s).min(l),
            None => 0,
        };
        Some(l - used)
    }

    fn deliver(&mut self, r: usize, site: usize, host: Option<HostId>) {
        if let Some(previous) = self.tracked[r].moving_from.take() {
            self.leave(r, previous);
        }
        let left = self.remaining(r);
        if left == Some(0) {
            self.tracked[r].loc = Loc::Done;
            return;
        }
        let now = self.now;
        let req = self.tracked[r].req.clone();
        let previous = self.tracked[r].started;
        match &mut self.sites[site] {
            Site::Private(s) => {
                let Some(vm_type) = s.view().vm_types.iter().position(|t| t.name == req.vm_type)
                else {
                    unreachable!("checked on load");
                };
                let end = left.map(|l| (now + l).min(self.end));
                let plan = VmPlan {
                    view: VmView::new(&req.name, vm_type, now),
                    demand: req.demand.clone(),
                    arrival: now,
                    end,
                    tenant: self.names[req.entry].clone(),
                };
                match s.submit(plan, host) {
                    Ok(vm) => {
                        let t = &mut self.tracked[r];
                        t.loc = Loc::Private { site, vm };
                        t.started = Some(previous.unwrap_or(now));
                        t.finish = end;
                        t.stays.push((site, now, end.unwrap_or(self.end)));
                        self.owners.insert((site, vm), r);
                        let user =
                            self.names[self.tracked[r].via.take().unwrap_or(req.entry)].clone();
                        let u = self.used.entry((user.clone(), site)).or_default();
                        u.0 += 1;
                        u.1 += req.vcpus;
                        self.tracked[r].charged = Some((user, site));
                        self.log("submit", Some(site), Some(r), format!("vm {vm}"));
                    }
                    Err(e) => {
                        self.tracked[r].loc = Loc::Rejected;
                        self.log("refused", Some(site), Some(r), e);
                    }
                }
            }
            Site::Public(c) => match c.launch(r, req.vcpus, req.memory_mb, now) {
                Ok((instance, ready)) => {
                    let speed = c.types[c.instances[instance].itype].speed;
                    let finish =
                        left.map(|l| (ready + (l as f64 / speed).ceil() as Millis).min(self.end));
                    let t = &mut self.tracked[r];
                    t.loc = Loc::Public { site, instance };
                    t.burst = true;
                    t.started = Some(previous.unwrap_or(ready));
                    t.finish = finish;
                    if let Some(f) = finish {
                        self.queue.push(f, Event::PublicDone(r));
                    }
                    self.log(
                        "instance_start",
                        Some(site),
                        Some(r),
                        format!("instance {instance} runs at {} s", to_secs(ready)),
                    );
                }
                Err(e) => {
                    self.log("refused", Some(site), Some(r), e.to_string());
                    self.tracked[r].loc = Loc::Waiting;
                    self.reroute(r, site);
                }
            },
        }
    }

    /// Stops request `r` at `at`, where it ran before it moved on: its private stay or
    /// public instance ends.
    fn leave(&mut self, r: usize, at: Loc) {
        match at {
            Loc::Private { site, vm } => {
                if let Site::Private(s) = &mut self.sites[site] {
                    if let Err(e) = s.stop(vm) {
                        self.log("stop_refused", Some(site), Some(r), e);
                    }
                }
                self.end_stay(r, site);
            }
            Loc::Public { site, instance } => self.release_public(site, instance, r),
            _ => {}
        }
    }

    /// The private site `s`, if it is one.
    pub fn private(&self, s: usize) -> Option<&PrivateSite> {
        match &self.sites[s] {
            Site::Private(p) => Some(p),
            Site::Public(_) => None,
        }
    }

    /// The request owning VM `vm` of private site `site`.
    pub fn owner(&self, site: usize, vm: usize) -> Option<usize> {
        self.owners.get(&(site, vm)).copied()
    }

    /// Every request's record.
    pub fn tracked(&self) -> &[Tracked] {
        &self.tracked
    }

    /// The current federation time, ms.
    pub fn now(&self) -> Millis {
        self.now
    }

    fn record_interval(&mut self) {
        for s in 0..self.sites.len() {
            let (reserved, cpu, vms) = match &self.sites[s] {
                Site::Private(p) => {
                    let running = p.view().vms.iter().filter(|v| v.state.is_placed()).count();
                    (p.state().reserved_fraction(), p.cpu_utilisation(), running)
                }
                Site::Public(c) => {
                    let n = c
                        .instances
                        .iter()
                        .filter(|i| i.vm.is_some() && i.ready <= self.now)
                        .count();
                    (0.0, 0.0, n)
                }
            };
            let cost = match &self.sites[s] {
                Site::Public(c) => c.cost(self.now),
                Site::Private(_) => self.private_cost(s, self.now),
            };
            self.intervals.push(IntervalRow {
                time_s: to_secs(self.now),
                site: self.names[s].clone(),
                reserved_fraction: reserved,
                cpu_utilisation: cpu,
                federation_vms: vms as u64,
                cost,
            });
        }
    }

    /// What the federation's VMs (requests and SaaS workers) cost at private site `s` up to
    /// `until`.
    pub(crate) fn private_cost(&self, s: usize, until: Millis) -> f64 {
        let SiteSpec::Private {
            price_per_vm_hour, ..
        } = &self.fed.spec.sites[s]
        else {
            return 0.0;
        };
        let workers: f64 = (0..self.saas.desks.len())
            .filter(|&d| self.saas.desks[d].site == s)
            .map(|d| self.worker_hours(d, until))
            .fold(0.0, |a, b| a + b);
        let hours: f64 = self
            .tracked
            .iter()
            .flat_map(|t| &t.stays)
            .filter(|st| st.0 == s)
            .map(|st| to_secs(st.2.min(until).saturating_sub(st.1)) / 3600.0)
            .fold(0.0, |a, b| a + b);
        (hours + workers) * price_per_vm_hour
    }

    fn finish(mut self) -> Result<Outcome, InfraError> {
        self.now = self.end;
        self.reap();
        let mut results = BTreeMap::new();
        let sites = std::mem::take(&mut self.sites);
        let mut costs = BTreeMap::new();
        for (s, site) in sites.into_iter().enumerate() {
            let name = self.names[s].clone();
            match site {
                Site::Private(p) => {
                    costs.insert(name.clone(), self.private_cost(s, self.end));
                    results.insert(name, p.finish()?);
                }
                Site::Public(c) => {
                    costs.insert(name, c.cost(self.end));
                }
            }
        }
        Ok(Outcome::new(self, costs, results))
    }

    pub(crate) fn monitoring_messages(&self) -> u64 {
        self.monitoring_messages
    }

    pub(crate) fn intervals(&mut self) -> Vec<IntervalRow> {
        std::mem::take(&mut self.intervals)
    }
}
