//! The SaaS layer (seeds 001 and 004): sites offering the same appliance, each with its own
//! cloud broker, and calls forwarded between them.
//!
//! **A site's broker** keeps one service-call queue and, per appliance, a queue of idle worker
//! VMs ([`CloudBroker`]). Each round it associates waiting calls with idle workers first come,
//! first served, then sizes each appliance's workers with
//! [`crate::policy::broker::vms_to_start`]: from the queue length, its measured execution and
//! deployment times, the earliest deadline among the waiting calls, the offer's budget and its
//! VM limit. Workers are ordinary VMs of a private site (placed by that site's own cloud OS,
//! busy at full demand while they execute a call) or instances of a public cloud. An idle
//! worker with nothing waiting stops: at once on a private site or a public cloud that stops at
//! once, and just before its billing period ends ([`crate::policy::broker::stop_time`]) on a
//! public cloud that keeps instances, taking calls that arrive until then. A round runs every
//! `broker_interval_s`, and at once when a call arrives or ends.
//!
//! **Forwarding** (seed 001's SaaS federation): the calls the plan cannot serve by their
//! deadline even with the new workers are offered to the other sites offering the appliance,
//! newest first. Each peer that accepts forwarded calls quotes the finish time it would give
//! (input transfer over the WAN, then its own wait estimate from its queue, promised calls,
//! idle and deploying workers, [`crate::policy::broker::queue_wait`], then the execution) and
//! its price per call; the originator takes the best quote that meets the deadline and the
//! caller's budget under the appliance's `goal` ([`crate::policy::broker::choose`]). A
//! forwarded call is not forwarded again; one no peer can take stays queued at home.
//! Forwarding is a service-level request, allowed at every coupling level: no host state
//! crosses.
//!
//! [`Saas`] owns the layer's state (the calls, the workers, the desks and the sites' brokers,
//! [`state`]) and acts on the shared [`World`] handed to it: its broker rounds are in
//! [`rounds`], the peers' quotes and forwarding in [`forward`], and what desks and workers cost
//! in [`costs`].

pub mod costs;
pub mod forward;
pub mod rounds;
pub mod state;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use orrery_engine::time::{from_secs, to_secs, Millis, HOUR};

use crate::ids::{CallId, DeskId, SiteId, WorkerId};
use crate::output::{CallRow, CallSummary};
use crate::policy::broker::CloudBroker;
use crate::public::cheapest_type;
use crate::spec::{Federation, SiteSpec};
use crate::world::event::{Event, SaasEvent};
use crate::world::World;
use state::{calls, Call, CallAt, Desk, Mean, Place, Worker};

/// The SaaS layer's state in a run.
#[derive(Debug, Clone, Default)]
pub struct Saas {
    /// Every call, in arrival order.
    calls: Vec<Call>,
    /// Every worker ever started.
    workers: Vec<Worker>,
    /// One desk per (appliance, offering site), appliances and offers in file order.
    desks: Vec<Desk>,
    /// Each offering site's cloud broker.
    brokers: BTreeMap<SiteId, CloudBroker>,
}

impl Saas {
    /// The desks of `fed`'s appliances and its calls.
    pub fn new(fed: &Federation) -> Saas {
        let mut desks = Vec::new();
        let mut brokers = BTreeMap::new();
        for (a, app) in fed.spec.appliances.iter().enumerate() {
            for (o, offer) in app.offers.iter().enumerate() {
                let site = fed.site_index(&offer.site).expect("checked on load");
                let speed = match fed.site(site) {
                    SiteSpec::Public { instance_types, .. } => {
                        let (vcpus, mem) = fed
                            .vm_type(&app.vm_type)
                            .map(|t| (t.vcpus, t.memory_mb))
                            .expect("checked");
                        cheapest_type(instance_types, vcpus, mem)
                            .map_or(1.0, |t| instance_types[t].speed)
                    }
                    SiteSpec::Private { .. } => 1.0,
                };
                desks.push(Desk {
                    appliance: a,
                    offer: o,
                    site,
                    exec: Mean::new((from_secs(app.exec_s) as f64 / speed).ceil() as Millis),
                    speed,
                    deploy: Mean::new(from_secs(app.deploy_s)),
                    promised: 0,
                    workers: Vec::new(),
                });
                brokers.entry(site).or_insert_with(CloudBroker::new);
            }
        }
        let calls = calls(fed, |a, s| {
            DeskId(
                desks
                    .iter()
                    .position(|d| d.appliance == a && d.site == s)
                    .expect("entries offer their appliance"),
            )
        });
        Saas {
            calls,
            workers: Vec::new(),
            desks,
            brokers,
        }
    }

    /// Schedules every call's arrival and each desk's first broker round.
    pub fn schedule(&self, world: &mut World) {
        for (c, call) in self.calls.iter().enumerate() {
            world.push(call.arrival, Event::Saas(SaasEvent::CallArrive(CallId(c))));
        }
        for d in self.desk_ids() {
            world.push(0, Event::Saas(SaasEvent::BrokerRound(d)));
        }
    }

    /// Handles a SaaS event.
    pub fn handle(&mut self, world: &mut World, event: SaasEvent) {
        match event {
            SaasEvent::CallArrive(c) => {
                let desk = self.call(c).entry;
                self.log_call(world, "call", desk, c, String::new());
                self.enqueue(world, c, desk);
            }
            SaasEvent::CallDeliver(c) => {
                let CallAt::InTransit { desk } = self.call(c).at else {
                    return;
                };
                self.desks[desk.0].promised -= 1;
                self.log_call(world, "call_received", desk, c, String::new());
                self.enqueue(world, c, desk);
            }
            SaasEvent::CallDone(c) => {
                if let CallAt::Running {
                    desk,
                    worker,
                    until,
                } = self.call(c).at
                {
                    if until == world.now() {
                        self.call_done(world, c, desk, worker);
                    }
                }
            }
            SaasEvent::WorkerReady(w) => {
                let worker = self.worker(w);
                if worker.booting() {
                    // A public instance runs now; a private VM is checked when it is expected
                    // to run (and at every round after).
                    let site = self.desk(worker.desk).site;
                    if matches!(worker.place, Place::Public { .. }) {
                        self.worker_ready(world, w);
                    }
                    self.broker_round(world, site);
                }
            }
            SaasEvent::WorkerStop { worker, idle_since } => {
                let w = self.worker(worker);
                if w.idle() && w.idle_since == Some(idle_since) && w.stop_at == Some(world.now()) {
                    self.stop_worker(world, worker, "idle until its billing period ends");
                }
            }
            SaasEvent::BrokerRound(d) => {
                let desk = self.desk(d);
                let site = desk.site;
                let every =
                    from_secs(world.fed().spec.appliances[desk.appliance].broker_interval_s).max(1);
                self.broker_round(world, site);
                if world.now() + every <= world.end() {
                    world.push(world.now() + every, Event::Saas(SaasEvent::BrokerRound(d)));
                }
            }
        }
    }

    fn call(&self, c: CallId) -> &Call {
        &self.calls[c.0]
    }

    fn call_mut(&mut self, c: CallId) -> &mut Call {
        &mut self.calls[c.0]
    }

    fn worker(&self, w: WorkerId) -> &Worker {
        &self.workers[w.0]
    }

    fn worker_mut(&mut self, w: WorkerId) -> &mut Worker {
        &mut self.workers[w.0]
    }

    fn desk(&self, d: DeskId) -> &Desk {
        &self.desks[d.0]
    }

    fn desk_ids(&self) -> impl DoubleEndedIterator<Item = DeskId> {
        DeskId::all(self.desks.len())
    }

    /// Logs an event about call `c` at desk `desk`'s site.
    fn log_call(&self, world: &mut World, kind: &str, desk: DeskId, c: CallId, detail: String) {
        let site = world.name(self.desk(desk).site).to_string();
        let call = self.call(c).name.clone();
        world.log_row(kind, site, call, detail);
    }

    /// The name of desk `desk`'s appliance.
    fn appliance_name(&self, world: &World, desk: DeskId) -> String {
        world.fed().spec.appliances[self.desk(desk).appliance]
            .name
            .clone()
    }

    /// Hours the workers of every desk at site `s` existed (requested to stopped) up to
    /// `until`.
    pub fn worker_hours_at(&self, s: SiteId, until: Millis) -> f64 {
        self.desk_ids()
            .filter(|&d| self.desk(d).site == s)
            .map(|d| self.worker_hours(d, until))
            .fold(0.0, |a, b| a + b)
    }

    /// Hours desk `d`'s workers existed (requested to stopped) up to `until`.
    fn worker_hours(&self, d: DeskId, until: Millis) -> f64 {
        self.desk(d)
            .workers
            .iter()
            .map(|&w| {
                let w = self.worker(w);
                let stop = w.stopped.unwrap_or(until).min(until);
                stop.saturating_sub(w.requested) as f64 / HOUR as f64
            })
            .fold(0.0, |a, b| a + b)
    }

    /// The SaaS layer's rows and headline numbers at the end of the run.
    pub fn outcome(&self, world: &World) -> (Vec<CallRow>, CallSummary) {
        let end = world.end();
        let mut s = CallSummary::default();
        let mut rows = Vec::new();
        let mut response = 0.0;
        for call in &self.calls {
            if call.arrival > end {
                continue;
            }
            let site = match call.at {
                CallAt::Running { desk, .. } | CallAt::Done { desk } => {
                    world.name(self.desk(desk).site).to_string()
                }
                _ => String::new(),
            };
            s.calls += 1;
            s.forwarded += u64::from(call.forwarded);
            s.deadline_misses += u64::from(call.missed(end));
            s.charges += call.charge;
            if let Some(done) = call.done {
                s.done += 1;
                response += to_secs(done - call.arrival);
                *s.executed_by_site.entry(site.clone()).or_default() += 1;
            }
            rows.push(CallRow {
                call: call.name.clone(),
                appliance: world.fed().spec.appliances[call.appliance].name.clone(),
                entry: world.name(self.desk(call.entry).site).to_string(),
                site,
                arrival_s: to_secs(call.arrival),
                start_s: call.started.map(to_secs),
                done_s: call.done.map(to_secs),
                deadline_s: call.deadline.map(to_secs),
                missed: call.missed(end),
                forwarded: call.forwarded,
                charge: call.charge,
            });
        }
        if s.done > 0 {
            s.mean_response_s = response / s.done as f64;
        }
        s.workers_started = self.workers.len() as u64;
        (rows, s)
    }
}
