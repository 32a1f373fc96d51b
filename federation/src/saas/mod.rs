//! The SaaS layer (seeds 001 and 004): sites offering the same appliance, each with its own
//! cloud broker, and calls forwarded between them.
//!
//! **A site's broker** keeps one service-call queue and, per appliance, a queue of idle worker
//! VMs ([`CloudBroker`]). Each round it associates waiting calls with idle workers first come,
//! first served, then sizes each appliance's workers with [`vms_to_start`]: from the queue
//! length, its measured execution and deployment times, the earliest deadline among the
//! waiting calls, the offer's budget and its VM limit. Workers are ordinary VMs of a private
//! site (placed by that site's own cloud OS, busy at full demand while they execute a call) or
//! instances of a public cloud. An idle worker with nothing waiting stops: at once on a
//! private site or a public cloud that stops at once, and just before its billing period ends
//! ([`stop_time`]) on a public cloud that keeps instances, taking calls that arrive until then.
//! A round runs every `broker_interval_s`, and at once when a call arrives or ends.
//!
//! **Forwarding** (seed 001's SaaS federation): the calls the plan cannot serve by their
//! deadline even with the new workers are offered to the other sites offering the appliance,
//! newest first. Each peer that accepts forwarded calls quotes the finish time it would give
//! (input transfer over the WAN, then its own wait estimate from its queue, promised calls,
//! idle and deploying workers, then the execution) and its price per call; the originator
//! takes the best quote that meets the deadline and the caller's budget under the appliance's
//! `goal` ([`choose`]). A forwarded call is not forwarded again; one no peer can take stays
//! queued at home. Forwarding is a service-level request, allowed at every coupling level: no
//! host state crosses.

pub mod state;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::policy::broker::{
    choose, queue_wait, stop_time, vms_to_start, Call as BrokerCall, CloudBroker, CloudOffer,
    Limits, QueueState, Request as BrokerRequest, StopStrategy, Unfit,
};
use orrery_engine::model::VmState;
use orrery_engine::time::{from_secs, to_secs, Millis, HOUR};
use orrery_engine::view::VmView;
use orrery_engine::workload::Demand;
use orrery_sim::VmPlan;
use serde::Serialize;

use crate::coupling::RemoteOp;
use crate::public::cheapest_type;
use crate::runtime::{Event, Runtime, Site};
use crate::spec::{Federation, SiteSpec};
use state::{calls, Call, CallAt, Desk, Mean, Place, Worker};

/// The SaaS layer's state in a run.
#[derive(Debug, Clone, Default)]
pub struct Saas {
    /// Every call, in arrival order.
    pub calls: Vec<Call>,
    /// Every worker ever started.
    pub workers: Vec<Worker>,
    /// One desk per (appliance, offering site), appliances and offers in file order.
    pub desks: Vec<Desk>,
    /// Each offering site's cloud broker.
    pub brokers: BTreeMap<usize, CloudBroker>,
}

impl Saas {
    /// The desks of `fed`'s appliances and its calls.
    pub fn new(fed: &Federation) -> Saas {
        let mut desks = Vec::new();
        let mut brokers = BTreeMap::new();
        for (a, app) in fed.spec.appliances.iter().enumerate() {
            for (o, offer) in app.offers.iter().enumerate() {
                let site = fed.site_index(&offer.site).expect("checked on load");
                let speed = match &fed.spec.sites[site] {
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
            desks
                .iter()
                .position(|d| d.appliance == a && d.site == s)
                .expect("entries offer their appliance")
        });
        Saas {
            calls,
            workers: Vec::new(),
            desks,
            brokers,
        }
    }
}

/// One call in `calls.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRow {
    /// The call.
    pub call: String,
    /// Its appliance.
    pub appliance: String,
    /// The site it entered at.
    pub entry: String,
    /// The site that executed it (empty if none did).
    pub site: String,
    /// Arrival, seconds.
    pub arrival_s: f64,
    /// Start of its execution, seconds (empty if it never started).
    pub start_s: Option<f64>,
    /// End of its execution, seconds (empty if not done by the end).
    pub done_s: Option<f64>,
    /// Its deadline, seconds.
    pub deadline_s: Option<f64>,
    /// Whether it missed its deadline.
    pub missed: bool,
    /// Whether it was forwarded to a peer.
    pub forwarded: bool,
    /// What its entry site paid the peer.
    pub charge: f64,
}

/// The SaaS layer's headline numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallSummary {
    /// Calls that arrived.
    pub calls: u64,
    /// Calls done by the end.
    pub done: u64,
    /// Calls forwarded to a peer.
    pub forwarded: u64,
    /// Calls done after their deadline, or not done when it passed within the run.
    pub deadline_misses: u64,
    /// Mean time from arrival to done over the calls done, seconds.
    pub mean_response_s: f64,
    /// Worker VMs started.
    pub workers_started: u64,
    /// What entry sites paid peers for forwarded calls.
    pub charges: f64,
    /// Calls executed per site.
    pub executed_by_site: BTreeMap<String, u64>,
}

impl Runtime {
    /// Schedules every call's arrival and each desk's first broker round.
    pub(crate) fn init_saas(&mut self) {
        for (c, call) in self.saas.calls.iter().enumerate() {
            self.queue.push(call.arrival, Event::CallArrive(c));
        }
        for d in 0..self.saas.desks.len() {
            self.queue.push(0, Event::BrokerRound(d));
        }
    }

    /// Handles a SaaS event.
    pub(crate) fn handle_saas(&mut self, event: Event) {
        match event {
            Event::CallArrive(c) => {
                let desk = self.saas.calls[c].entry;
                self.log_call("call", desk, c, String::new());
                self.enqueue(c, desk);
            }
            Event::CallDeliver(c) => {
                let CallAt::InTransit { desk } = self.saas.calls[c].at else {
                    return;
                };
                self.saas.desks[desk].promised -= 1;
                self.log_call("call_received", desk, c, String::new());
                self.enqueue(c, desk);
            }
            Event::CallDone(c) => {
                if let CallAt::Running {
                    desk,
                    worker,
                    until,
                } = self.saas.calls[c].at
                {
                    if until == self.now {
                        self.call_done(c, desk, worker);
                    }
                }
            }
            Event::WorkerReady(w) => {
                let worker = &self.saas.workers[w];
                if worker.booting() {
                    // A public instance runs now; a private VM is checked when it is expected
                    // to run (and at every round after).
                    let site = self.saas.desks[worker.desk].site;
                    if matches!(worker.place, Place::Public { .. }) {
                        self.worker_ready(w);
                    }
                    self.broker_round(site);
                }
            }
            Event::WorkerStop { worker, idle_since } => {
                let w = &self.saas.workers[worker];
                if w.idle() && w.idle_since == Some(idle_since) && w.stop_at == Some(self.now) {
                    self.stop_worker(worker, "idle until its billing period ends");
                }
            }
            Event::BrokerRound(d) => {
                self.broker_round(self.saas.desks[d].site);
                let every = from_secs(
                    self.fed.spec.appliances[self.saas.desks[d].appliance].broker_interval_s,
                )
                .max(1);
                if self.now + every <= self.end {
                    self.queue.push(self.now + every, Event::BrokerRound(d));
                }
            }
            _ => unreachable!("not a SaaS event"),
        }
    }

    /// Logs an event about call `c` at desk `desk`'s site.
    fn log_call(&mut self, kind: &str, desk: usize, c: usize, detail: String) {
        let site = self.names[self.saas.desks[desk].site].clone();
        let call = self.saas.calls[c].name.clone();
        self.log_row(kind, site, call, detail);
    }

    fn appliance_name(&self, desk: usize) -> String {
        self.fed.spec.appliances[self.saas.desks[desk].appliance]
            .name
            .clone()
    }

    /// Queues call `c` at `desk`'s site broker and runs a round there.
    fn enqueue(&mut self, c: usize, desk: usize) {
        self.saas.calls[c].at = CallAt::Queued { desk };
        let call = BrokerCall {
            id: c as u64,
            appliance: self.appliance_name(desk),
            arrived: self.now,
        };
        let site = self.saas.desks[desk].site;
        self.site_broker(site).submit(call);
        self.broker_round(site);
    }

    /// One round of site `site`'s broker: notice deployed or lost workers, hand waiting calls
    /// to idle workers, size each appliance's workers, forward what cannot be served in time,
    /// and plan the stops of idle workers.
    pub(crate) fn broker_round(&mut self, site: usize) {
        self.poll_workers(site);
        self.dispatch(site);
        let desks: Vec<usize> = (0..self.saas.desks.len())
            .filter(|&d| self.saas.desks[d].site == site)
            .collect();
        for &d in &desks {
            self.size(d);
        }
        self.dispatch(site);
        for &d in &desks {
            self.plan_stops(d);
        }
    }

    /// Private workers whose VM has started running are ready; those whose VM failed or
    /// stopped are lost (a call they were executing is queued again).
    fn poll_workers(&mut self, site: usize) {
        let Site::Private(p) = &self.sites[site] else {
            return;
        };
        let mut changes = Vec::new();
        for (w, worker) in self.saas.workers.iter().enumerate() {
            let Place::Private { vm } = worker.place else {
                continue;
            };
            if self.saas.desks[worker.desk].site != site || worker.stopped.is_some() {
                continue;
            }
            match p.view().vms[vm].state {
                VmState::Running if worker.booting() => changes.push((w, true)),
                VmState::Failed | VmState::Stopped => changes.push((w, false)),
                _ => {}
            }
        }
        for (w, ready) in changes {
            if ready {
                self.worker_ready(w);
            } else {
                self.lose_worker(w);
            }
        }
    }

    fn worker_ready(&mut self, w: usize) {
        let now = self.now;
        let worker = &mut self.saas.workers[w];
        worker.ready = Some(now);
        worker.idle_since = Some(now);
        let (desk, requested) = (worker.desk, worker.requested);
        self.saas.desks[desk].deploy.observe(now - requested);
        let app = self.appliance_name(desk);
        let site = self.saas.desks[desk].site;
        self.site_broker(site).vm_ready(&app, w as u64);
        self.log(
            "worker_ready",
            Some(site),
            None,
            format!("{app} worker {w}"),
        );
    }

    /// Site `site`'s cloud broker.
    fn site_broker(&mut self, site: usize) -> &mut CloudBroker {
        self.saas.brokers.get_mut(&site).expect("offering site")
    }

    /// Worker `w` stops now: it leaves its appliance's VM queue. Returns its desk, site and
    /// appliance name.
    fn retire(&mut self, w: usize) -> (usize, usize, String) {
        let desk = self.saas.workers[w].desk;
        let site = self.saas.desks[desk].site;
        let app = self.appliance_name(desk);
        self.site_broker(site).vm_gone(&app, w as u64);
        self.saas.workers[w].stopped = Some(self.now);
        (desk, site, app)
    }

    fn lose_worker(&mut self, w: usize) {
        let (desk, site, app) = self.retire(w);
        let mut detail = format!("{app} worker {w}: its VM is gone");
        if let Some(c) = self.saas.workers[w].busy.take() {
            detail += &format!("; {} queued again", self.saas.calls[c].name);
            self.saas.calls[c].at = CallAt::Queued { desk };
            let call = BrokerCall {
                id: c as u64,
                appliance: app,
                arrived: self.saas.calls[c].arrival,
            };
            self.site_broker(site).submit(call);
        }
        self.log("worker_lost", Some(site), None, detail);
    }

    /// Starts every call the site's broker associates with an idle worker.
    fn dispatch(&mut self, site: usize) {
        let pairs = self.site_broker(site).dispatch();
        for (call, w) in pairs {
            let (c, w) = (call.id as usize, w as usize);
            let desk = self.saas.workers[w].desk;
            let run =
                (self.saas.calls[c].exec as f64 / self.saas.workers[w].speed).ceil() as Millis;
            let until = self.now + run.max(1);
            let worker = &mut self.saas.workers[w];
            worker.busy = Some(c);
            worker.idle_since = None;
            worker.stop_at = None;
            let call = &mut self.saas.calls[c];
            call.at = CallAt::Running {
                desk,
                worker: w,
                until,
            };
            call.started = Some(self.now);
            self.worker_demand(w, 1.0);
            self.queue.push(until, Event::CallDone(c));
            let detail = format!("worker {w} until {} s", to_secs(until));
            self.log_call("call_start", desk, c, detail);
        }
    }

    fn call_done(&mut self, c: usize, desk: usize, w: usize) {
        let now = self.now;
        let started = self.saas.calls[c].started.expect("it ran");
        self.saas.calls[c].at = CallAt::Done { desk };
        self.saas.calls[c].done = Some(now);
        self.saas.desks[desk].exec.observe(now - started);
        let worker = &mut self.saas.workers[w];
        worker.busy = None;
        worker.idle_since = Some(now);
        self.worker_demand(w, 0.0);
        let app = self.appliance_name(desk);
        let site = self.saas.desks[desk].site;
        self.site_broker(site).vm_ready(&app, w as u64);
        let late = if self.saas.calls[c].missed(self.end) {
            " (after its deadline)"
        } else {
            ""
        };
        self.log_call("call_done", desk, c, format!("worker {w}{late}"));
        self.broker_round(site);
    }

    /// Sets a private worker's CPU demand (busy 1, idle 0); public instances have no meter.
    fn worker_demand(&mut self, w: usize, level: f64) {
        let Place::Private { vm } = self.saas.workers[w].place else {
            return;
        };
        let site = self.saas.desks[self.saas.workers[w].desk].site;
        if let Site::Private(p) = &mut self.sites[site] {
            if let Err(e) = p.set_demand(vm, level) {
                self.log("worker_demand_refused", Some(site), None, e);
            }
        }
    }

    /// How many workers desk `d` starts now, and which of its calls go to peers.
    fn size(&mut self, d: usize) {
        let offer = &self.fed.spec.appliances[self.saas.desks[d].appliance].offers
            [self.saas.desks[d].offer];
        let forward = offer.forward;
        let app = &self.fed.spec.appliances[self.saas.desks[d].appliance].name;
        let waiting: Vec<usize> = self.saas.brokers[&self.saas.desks[d].site]
            .queued(app)
            .map(|c| c.id as usize)
            .collect();
        let until_deadline = waiting
            .iter()
            .filter_map(|&c| self.saas.calls[c].deadline)
            .filter(|&t| t > self.now)
            .min()
            .map(|t| t - self.now);
        let (q, limits) = self.desk_state(d, 0, until_deadline);
        let plan = vms_to_start(&q, &limits);
        for _ in 0..plan.start {
            if !self.start_worker(d) {
                break;
            }
        }
        if plan.unserved > 0 && forward {
            // The newest calls with a deadline would be served last: offer them to peers.
            let movable: Vec<usize> = waiting
                .iter()
                .rev()
                .copied()
                .filter(|&c| {
                    let call = &self.saas.calls[c];
                    !call.forwarded && call.deadline.is_some_and(|t| t > self.now)
                })
                .take(plan.unserved as usize)
                .collect();
            for c in movable {
                self.forward(c, d);
            }
        }
    }

    /// Desk `d`'s queue as its broker sees it, with `extra` calls more waiting, and its limits
    /// for calls due within `until_deadline`.
    fn desk_state(
        &self,
        d: usize,
        extra: u32,
        until_deadline: Option<Millis>,
    ) -> (QueueState, Limits) {
        let desk = &self.saas.desks[d];
        let app = &self.fed.spec.appliances[desk.appliance];
        let offer = &app.offers[desk.offer];
        let workers = || desk.workers.iter().map(|&w| &self.saas.workers[w]);
        let running = workers().filter(|w| w.running()).count() as u32;
        let booting = workers().filter(|w| w.booting()).count() as u32;
        let q = QueueState {
            waiting: self.saas.brokers[&desk.site].waiting(&app.name) + extra,
            running,
            booting,
            exec_time: desk.exec.get(),
            deploy_time: desk.deploy.get(),
        };
        let (price, cap) = self.worker_price_and_room(d);
        let limits = Limits {
            until_deadline,
            budget_left: offer
                .budget
                .map_or(f64::INFINITY, |b| b - self.desk_spent(d, self.now)),
            price_per_period: price,
            max_vms: offer.max_vms.min((running + booting).saturating_add(cap)),
        };
        (q, limits)
    }

    /// vCPUs and memory of desk `d`'s workers.
    fn worker_size(&self, d: usize) -> (u32, f64) {
        let app = &self.fed.spec.appliances[self.saas.desks[d].appliance];
        let t = self.fed.vm_type(&app.vm_type).expect("checked on load");
        (t.vcpus, t.memory_mb)
    }

    /// Price of one worker for one billing period at desk `d`'s site, and how many more
    /// workers its cloud would start (a public cloud's quota).
    fn worker_price_and_room(&self, d: usize) -> (f64, u32) {
        let desk = &self.saas.desks[d];
        match (&self.fed.spec.sites[desk.site], &self.sites[desk.site]) {
            (
                SiteSpec::Private {
                    price_per_vm_hour, ..
                },
                _,
            ) => (*price_per_vm_hour, u32::MAX),
            (_, Site::Public(c)) => {
                let (vcpus, mem) = self.worker_size(d);
                match c.instance_type_for(vcpus, mem) {
                    Some(t) => (c.types[t].price_per_period, c.quota_left(t, self.now)),
                    None => (0.0, 0),
                }
            }
            _ => unreachable!("site kinds match their specs"),
        }
    }

    /// What desk `d`'s workers have cost up to `until` (started periods of public instances,
    /// VM-hours at a private site's price).
    pub(crate) fn desk_spent(&self, d: usize, until: Millis) -> f64 {
        let desk = &self.saas.desks[d];
        match (&self.fed.spec.sites[desk.site], &self.sites[desk.site]) {
            (
                SiteSpec::Private {
                    price_per_vm_hour, ..
                },
                _,
            ) => self.worker_hours(d, until) * price_per_vm_hour,
            (_, Site::Public(c)) => desk
                .workers
                .iter()
                .filter_map(|&w| match self.saas.workers[w].place {
                    Place::Public { instance } => Some(
                        c.periods(instance, until) as f64
                            * c.types[c.instances[instance].itype].price_per_period,
                    ),
                    Place::Private { .. } => None,
                })
                .fold(0.0, |a, b| a + b),
            _ => unreachable!("site kinds match their specs"),
        }
    }

    /// Hours desk `d`'s workers existed (requested to stopped) up to `until`.
    pub(crate) fn worker_hours(&self, d: usize, until: Millis) -> f64 {
        self.saas.desks[d]
            .workers
            .iter()
            .map(|&w| {
                let w = &self.saas.workers[w];
                let stop = w.stopped.unwrap_or(until).min(until);
                stop.saturating_sub(w.requested) as f64 / HOUR as f64
            })
            .fold(0.0, |a, b| a + b)
    }

    /// Starts a worker for desk `d`; whether its site took it.
    fn start_worker(&mut self, d: usize) -> bool {
        let (site, app_i) = (self.saas.desks[d].site, self.saas.desks[d].appliance);
        let app = self.fed.spec.appliances[app_i].clone();
        let w = self.saas.workers.len();
        let now = self.now;
        let expected = self.saas.desks[d].deploy.get();
        let (vcpus, mem) = self.worker_size(d);
        let placed = match &mut self.sites[site] {
            Site::Private(p) => {
                let vm_type = p
                    .view()
                    .vm_types
                    .iter()
                    .position(|t| t.name == app.vm_type)
                    .expect("checked on load");
                let plan = VmPlan {
                    view: VmView::new(format!("{}-w{w}", app.name), vm_type, now),
                    demand: Demand::Constant(0.0),
                    arrival: now,
                    end: None,
                    tenant: app.name.clone(),
                };
                p.submit(plan, None)
                    .map(|vm| (Place::Private { vm }, 1.0, Some(now + expected)))
            }
            Site::Public(c) => c
                .launch(w, vcpus, mem, now)
                .map(|(instance, ready)| {
                    let speed = c.types[c.instances[instance].itype].speed;
                    (Place::Public { instance }, speed, Some(ready))
                })
                .map_err(|e| e.to_string()),
        };
        match placed {
            Ok((place, speed, ready)) => {
                self.saas.workers.push(Worker {
                    desk: d,
                    place,
                    requested: now,
                    ready: None,
                    busy: None,
                    idle_since: None,
                    stop_at: None,
                    stopped: None,
                    speed,
                });
                self.saas.desks[d].workers.push(w);
                if let Some(t) = ready {
                    self.queue.push(t, Event::WorkerReady(w));
                }
                self.log(
                    "worker_start",
                    Some(site),
                    None,
                    format!("{} worker {w}", app.name),
                );
                true
            }
            Err(e) => {
                self.log(
                    "worker_refused",
                    Some(site),
                    None,
                    format!("{}: {e}", app.name),
                );
                false
            }
        }
    }

    /// What peer desk `p` quotes for call `c` from desk `origin`: an offer whose provisioning
    /// delay is the input transfer plus `p`'s wait estimate, priced per call. The peer plans
    /// as its broker would with `c` (and the calls promised to it) in its queue: it declines
    /// (no quota) when that plan cannot serve them by `c`'s deadline; otherwise it waits as
    /// [`queue_wait`] says.
    fn quote(&self, p: usize, origin: usize, c: usize) -> CloudOffer {
        let desk = &self.saas.desks[p];
        let app = &self.fed.spec.appliances[desk.appliance];
        let offer = &app.offers[desk.offer];
        let from = self.saas.desks[origin].site;
        let transfer = self
            .link(from, desk.site)
            .map_or(0, |l| l.transfer(app.input_mb));
        let deadline = self.saas.calls[c].deadline.unwrap_or(self.end);
        let until = deadline.saturating_sub(self.now + transfer);
        let (q, limits) = self.desk_state(p, desk.promised + 1, Some(until));
        let plan = vms_to_start(&q, &limits);
        let idle = desk
            .workers
            .iter()
            .filter(|&&w| self.saas.workers[w].idle())
            .count() as u32;
        let wait = queue_wait(&q, plan.start, idle);
        let (vcpus, mem) = self.worker_size(p);
        let energy = match (&self.fed.spec.sites[desk.site], &self.sites[desk.site]) {
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
            name: self.names[desk.site].clone(),
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
    fn forward(&mut self, c: usize, d: usize) {
        let site = self.saas.desks[d].site;
        let appliance = self.saas.desks[d].appliance;
        let peers: Vec<usize> = (0..self.saas.desks.len())
            .filter(|&p| {
                let desk = &self.saas.desks[p];
                desk.appliance == appliance
                    && desk.site != site
                    && self
                        .check(&self.names[site], desk.site, RemoteOp::ForwardCall)
                        .is_ok()
            })
            .collect();
        let call = &self.saas.calls[c];
        let request = BrokerRequest {
            // Seconds at nominal speed, against offers whose speed is relative to nominal.
            work_mi: call.exec as f64 / 1000.0,
            vms: 1,
            deadline: call
                .deadline
                .expect("only calls with a deadline are forwarded"),
            budget: call.budget.unwrap_or(f64::INFINITY),
        };
        let offers: Vec<CloudOffer> = peers.iter().map(|&p| self.quote(p, d, c)).collect();
        match choose(
            &offers,
            &request,
            self.now,
            self.fed.spec.appliances[appliance].goal,
        ) {
            Ok(best) => {
                let p = peers[offers
                    .iter()
                    .position(|o| o.name == best.cloud)
                    .expect("offered")];
                let to = self.saas.desks[p].site;
                let taken = self.site_broker(site).withdraw(c as u64);
                debug_assert!(taken.is_some(), "a queued call is in its broker's queue");
                let mb = self.fed.spec.appliances[appliance].input_mb;
                let delay = self.wan(site, to, mb, None);
                let call = &mut self.saas.calls[c];
                call.at = CallAt::InTransit { desk: p };
                call.forwarded = true;
                call.charge = best.cost;
                self.saas.desks[p].promised += 1;
                self.queue.push(self.now + delay, Event::CallDeliver(c));
                let detail = format!(
                    "to {}: quoted done at {} s for {}",
                    self.names[to],
                    to_secs(best.finish),
                    best.cost
                );
                self.log_call("call_forward", d, c, detail);
            }
            Err(none) => {
                if !self.saas.calls[c].declined {
                    self.saas.calls[c].declined = true;
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
                    self.log_call("forward_declined", d, c, detail);
                }
            }
        }
    }

    /// Plans the stop of every idle worker of desk `d` while no call of its appliance waits.
    fn plan_stops(&mut self, d: usize) {
        let site = self.saas.desks[d].site;
        let app = self.appliance_name(d);
        if self.saas.brokers[&site].waiting(&app) > 0 {
            return;
        }
        for w in self.saas.desks[d].workers.clone() {
            let worker = &self.saas.workers[w];
            if !worker.idle() || worker.stop_at.is_some() {
                continue;
            }
            let idle_since = worker.idle_since.expect("idle");
            let at = match (&self.sites[site], worker.place) {
                (Site::Public(c), Place::Public { instance }) => match c.strategy {
                    StopStrategy::Immediate => self.now,
                    StopStrategy::BeforePeriodEnd { margin } => {
                        let i = &c.instances[instance];
                        let period = from_secs(c.types[i.itype].billing_period_s).max(1);
                        stop_time(i.requested, idle_since, period, margin)
                    }
                },
                _ => self.now,
            };
            if at <= self.now {
                self.stop_worker(w, "idle, nothing waiting");
            } else {
                self.saas.workers[w].stop_at = Some(at);
                self.queue.push(
                    at,
                    Event::WorkerStop {
                        worker: w,
                        idle_since,
                    },
                );
            }
        }
    }

    fn stop_worker(&mut self, w: usize, why: &str) {
        let (_, site, app) = self.retire(w);
        let now = self.now;
        match (&mut self.sites[site], self.saas.workers[w].place) {
            (Site::Private(p), Place::Private { vm }) => {
                if let Err(e) = p.stop(vm) {
                    self.log("stop_refused", Some(site), None, e);
                }
            }
            (Site::Public(c), Place::Public { instance }) => {
                c.release(instance, now);
            }
            _ => unreachable!("workers run where their desk is"),
        }
        self.log(
            "worker_stop",
            Some(site),
            None,
            format!("{app} worker {w}: {why}"),
        );
    }

    /// The SaaS layer's rows and headline numbers at the end of the run.
    pub(crate) fn saas_outcome(&self) -> (Vec<CallRow>, CallSummary) {
        let mut s = CallSummary::default();
        let mut rows = Vec::new();
        let mut response = 0.0;
        for call in &self.saas.calls {
            if call.arrival > self.end {
                continue;
            }
            let site = match call.at {
                CallAt::Running { desk, .. } | CallAt::Done { desk } => {
                    self.names[self.saas.desks[desk].site].clone()
                }
                _ => String::new(),
            };
            s.calls += 1;
            s.forwarded += u64::from(call.forwarded);
            s.deadline_misses += u64::from(call.missed(self.end));
            s.charges += call.charge;
            if let Some(done) = call.done {
                s.done += 1;
                response += to_secs(done - call.arrival);
                *s.executed_by_site.entry(site.clone()).or_default() += 1;
            }
            rows.push(CallRow {
                call: call.name.clone(),
                appliance: self.fed.spec.appliances[call.appliance].name.clone(),
                entry: self.names[self.saas.desks[call.entry].site].clone(),
                site,
                arrival_s: to_secs(call.arrival),
                start_s: call.started.map(to_secs),
                done_s: call.done.map(to_secs),
                deadline_s: call.deadline.map(to_secs),
                missed: call.missed(self.end),
                forwarded: call.forwarded,
                charge: call.charge,
            });
        }
        if s.done > 0 {
            s.mean_response_s = response / s.done as f64;
        }
        s.workers_started = self.saas.workers.len() as u64;
        (rows, s)
    }
}
