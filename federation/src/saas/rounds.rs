//! A site broker's rounds: queueing calls, noticing deployed or lost workers, handing waiting
//! calls to idle workers, sizing each appliance's workers (and forwarding what they cannot
//! serve in time), starting workers and planning the stops of idle ones.

use orrery_engine::model::VmState;
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::VmView;
use orrery_engine::workload::Demand;
use orrery_sim::VmPlan;

use super::state::{CallAt, Place, Worker};
use super::Saas;
use crate::ids::{CallId, DeskId, SiteId, WorkerId};
use crate::policy::broker::{vms_to_start, Call as BrokerCall, CloudBroker};
use crate::public::Occupant;
use crate::world::event::{Event, SaasEvent};
use crate::world::sites::Site;
use crate::world::World;

impl Saas {
    /// Queues call `c` at `desk`'s site broker and runs a round there.
    pub(super) fn enqueue(&mut self, world: &mut World, c: CallId, desk: DeskId) {
        self.call_mut(c).at = CallAt::Queued { desk };
        let call = BrokerCall {
            id: c.0 as u64,
            appliance: self.appliance_name(world, desk),
            arrived: world.now(),
        };
        let site = self.desk(desk).site;
        self.site_broker(site).submit(call);
        self.broker_round(world, site);
    }

    /// One round of site `site`'s broker: notice deployed or lost workers, hand waiting calls
    /// to idle workers, size each appliance's workers, forward what cannot be served in time,
    /// and plan the stops of idle workers.
    pub(super) fn broker_round(&mut self, world: &mut World, site: SiteId) {
        self.poll_workers(world, site);
        self.dispatch(world, site);
        let desks: Vec<DeskId> = self
            .desk_ids()
            .filter(|&d| self.desk(d).site == site)
            .collect();
        for &d in &desks {
            self.size(world, d);
        }
        self.dispatch(world, site);
        for &d in &desks {
            self.plan_stops(world, d);
        }
    }

    /// Private workers whose VM has started running are ready; those whose VM failed or
    /// stopped are lost (a call they were executing is queued again).
    fn poll_workers(&mut self, world: &mut World, site: SiteId) {
        let Some(p) = world.sites().private(site) else {
            return;
        };
        let mut changes = Vec::new();
        for (w, worker) in self.workers.iter().enumerate() {
            let Place::Private { vm } = worker.place else {
                continue;
            };
            if self.desk(worker.desk).site != site || worker.stopped.is_some() {
                continue;
            }
            match p.view().vms[vm].state {
                VmState::Running if worker.booting() => changes.push((WorkerId(w), true)),
                VmState::Failed | VmState::Stopped => changes.push((WorkerId(w), false)),
                _ => {}
            }
        }
        for (w, ready) in changes {
            if ready {
                self.worker_ready(world, w);
            } else {
                self.lose_worker(world, w);
            }
        }
    }

    /// Worker `w` is deployed: it joins its appliance's queue of idle workers.
    pub(super) fn worker_ready(&mut self, world: &mut World, w: WorkerId) {
        let now = world.now();
        let worker = self.worker_mut(w);
        worker.ready = Some(now);
        worker.idle_since = Some(now);
        let (desk, requested) = (worker.desk, worker.requested);
        self.desks[desk.0].deploy.observe(now - requested);
        let app = self.appliance_name(world, desk);
        let site = self.desk(desk).site;
        self.site_broker(site).vm_ready(&app, w.0 as u64);
        world.log(
            "worker_ready",
            Some(site),
            None,
            format!("{app} worker {w}"),
        );
    }

    /// Site `site`'s cloud broker.
    pub(super) fn site_broker(&mut self, site: SiteId) -> &mut CloudBroker {
        self.brokers.get_mut(&site).expect("offering site")
    }

    /// Worker `w` stops now: it leaves its appliance's VM queue. Returns its desk, site and
    /// appliance name.
    fn retire(&mut self, world: &World, w: WorkerId) -> (DeskId, SiteId, String) {
        let desk = self.worker(w).desk;
        let site = self.desk(desk).site;
        let app = self.appliance_name(world, desk);
        self.site_broker(site).vm_gone(&app, w.0 as u64);
        self.worker_mut(w).stopped = Some(world.now());
        (desk, site, app)
    }

    /// Worker `w`'s VM is gone: a call it was executing is queued again.
    fn lose_worker(&mut self, world: &mut World, w: WorkerId) {
        let (desk, site, app) = self.retire(world, w);
        let mut detail = format!("{app} worker {w}: its VM is gone");
        if let Some(c) = self.worker_mut(w).busy.take() {
            detail += &format!("; {} queued again", self.call(c).name);
            self.call_mut(c).at = CallAt::Queued { desk };
            let call = BrokerCall {
                id: c.0 as u64,
                appliance: app,
                arrived: self.call(c).arrival,
            };
            self.site_broker(site).submit(call);
        }
        world.log("worker_lost", Some(site), None, detail);
    }

    /// Starts every call the site's broker associates with an idle worker.
    fn dispatch(&mut self, world: &mut World, site: SiteId) {
        let pairs = self.site_broker(site).dispatch();
        let now = world.now();
        for (call, w) in pairs {
            let (c, w) = (CallId(call.id as usize), WorkerId(w as usize));
            let desk = self.worker(w).desk;
            let run = (self.call(c).exec as f64 / self.worker(w).speed).ceil() as Millis;
            let until = now + run.max(1);
            let worker = self.worker_mut(w);
            worker.busy = Some(c);
            worker.idle_since = None;
            worker.stop_at = None;
            let call = self.call_mut(c);
            call.at = CallAt::Running {
                desk,
                worker: w,
                until,
            };
            call.started = Some(now);
            self.worker_demand(world, w, 1.0);
            world.push(until, Event::Saas(SaasEvent::CallDone(c)));
            let detail = format!("worker {w} until {} s", to_secs(until));
            self.log_call(world, "call_start", desk, c, detail);
        }
    }

    /// Call `c` is done at `desk` on worker `w`, which goes idle; a round runs at its site.
    pub(super) fn call_done(&mut self, world: &mut World, c: CallId, desk: DeskId, w: WorkerId) {
        let now = world.now();
        let started = self.call(c).started.expect("it ran");
        let call = self.call_mut(c);
        call.at = CallAt::Done { desk };
        call.done = Some(now);
        self.desks[desk.0].exec.observe(now - started);
        let worker = self.worker_mut(w);
        worker.busy = None;
        worker.idle_since = Some(now);
        self.worker_demand(world, w, 0.0);
        let app = self.appliance_name(world, desk);
        let site = self.desk(desk).site;
        self.site_broker(site).vm_ready(&app, w.0 as u64);
        let late = if self.call(c).missed(world.end()) {
            " (after its deadline)"
        } else {
            ""
        };
        self.log_call(world, "call_done", desk, c, format!("worker {w}{late}"));
        self.broker_round(world, site);
    }

    /// Sets a private worker's CPU demand (busy 1, idle 0); public instances have no meter.
    fn worker_demand(&mut self, world: &mut World, w: WorkerId, level: f64) {
        let Place::Private { vm } = self.worker(w).place else {
            return;
        };
        let site = self.desk(self.worker(w).desk).site;
        if let Some(p) = world.sites_mut().private_mut(site) {
            if let Err(e) = p.set_demand(vm, level) {
                world.log("worker_demand_refused", Some(site), None, e);
            }
        }
    }

    /// How many workers desk `d` starts now, and which of its calls go to peers.
    fn size(&mut self, world: &mut World, d: DeskId) {
        let desk = self.desk(d);
        let app = &world.fed().spec.appliances[desk.appliance];
        let forward = app.offers[desk.offer].forward;
        let waiting: Vec<CallId> = self.brokers[&desk.site]
            .queued(&app.name)
            .map(|c| CallId(c.id as usize))
            .collect();
        let now = world.now();
        let until_deadline = waiting
            .iter()
            .filter_map(|&c| self.call(c).deadline)
            .filter(|&t| t > now)
            .min()
            .map(|t| t - now);
        let (q, limits) = self.desk_state(world, d, 0, until_deadline);
        let plan = vms_to_start(&q, &limits);
        for _ in 0..plan.start {
            if !self.start_worker(world, d) {
                break;
            }
        }
        if plan.unserved > 0 && forward {
            // The newest calls with a deadline would be served last: offer them to peers.
            let movable: Vec<CallId> = waiting
                .iter()
                .rev()
                .copied()
                .filter(|&c| {
                    let call = self.call(c);
                    !call.forwarded && call.deadline.is_some_and(|t| t > now)
                })
                .take(plan.unserved as usize)
                .collect();
            for c in movable {
                self.forward(world, c, d);
            }
        }
    }

    /// Starts a worker for desk `d`; whether its site took it.
    fn start_worker(&mut self, world: &mut World, d: DeskId) -> bool {
        let (site, app_i) = (self.desk(d).site, self.desk(d).appliance);
        let app = world.fed().spec.appliances[app_i].clone();
        let w = WorkerId(self.workers.len());
        let now = world.now();
        let expected = self.desk(d).deploy.get();
        let (vcpus, mem) = self.worker_size(world, d);
        let placed = match world.sites_mut().get_mut(site) {
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
                    host: None,
                };
                p.submit(plan, None)
                    .map(|vm| (Place::Private { vm }, 1.0, Some(now + expected)))
            }
            Site::Public(c) => c
                .launch(Occupant::Worker(w), vcpus, mem, now)
                .map(|(instance, ready)| {
                    let speed = c.speed(instance);
                    (Place::Public { instance }, speed, Some(ready))
                })
                .map_err(|e| e.to_string()),
        };
        match placed {
            Ok((place, speed, ready)) => {
                self.workers.push(Worker {
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
                self.desks[d.0].workers.push(w);
                if let Some(t) = ready {
                    world.push(t, Event::Saas(SaasEvent::WorkerReady(w)));
                }
                let detail = format!("{} worker {w}", app.name);
                world.log("worker_start", Some(site), None, detail);
                true
            }
            Err(e) => {
                let detail = format!("{}: {e}", app.name);
                world.log("worker_refused", Some(site), None, detail);
                false
            }
        }
    }

    /// Plans the stop of every idle worker of desk `d` while no call of its appliance waits.
    fn plan_stops(&mut self, world: &mut World, d: DeskId) {
        let site = self.desk(d).site;
        let app = self.appliance_name(world, d);
        if self.brokers[&site].waiting(&app) > 0 {
            return;
        }
        let now = world.now();
        for w in self.desk(d).workers.clone() {
            let worker = self.worker(w);
            if !worker.idle() || worker.stop_at.is_some() {
                continue;
            }
            let idle_since = worker.idle_since.expect("idle");
            let at = match (world.sites().public(site), worker.place) {
                (Some(c), Place::Public { instance }) => c.idle_stop(instance, idle_since, now),
                _ => now,
            };
            if at <= now {
                self.stop_worker(world, w, "idle, nothing waiting");
            } else {
                self.worker_mut(w).stop_at = Some(at);
                let stop = SaasEvent::WorkerStop {
                    worker: w,
                    idle_since,
                };
                world.push(at, Event::Saas(stop));
            }
        }
    }

    /// Stops worker `w` for `why`: its VM stops, or its instance is released.
    pub(super) fn stop_worker(&mut self, world: &mut World, w: WorkerId, why: &str) {
        let (_, site, app) = self.retire(world, w);
        let now = world.now();
        let place = self.worker(w).place;
        match (world.sites_mut().get_mut(site), place) {
            (Site::Private(p), Place::Private { vm }) => {
                if let Err(e) = p.stop(vm) {
                    world.log("stop_refused", Some(site), None, e);
                }
            }
            (Site::Public(c), Place::Public { instance }) => {
                c.release(instance, now);
            }
            _ => unreachable!("workers run where their desk is"),
        }
        let detail = format!("{app} worker {w}: {why}");
        world.log("worker_stop", Some(site), None, detail);
    }
}
