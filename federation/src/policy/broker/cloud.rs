//! A per-cloud broker (seed 004): a service-call queue, a VM queue per appliance, how many VMs
//! to start, and when to stop an idle one.
//!
//! **Starting.** For one appliance, with `waiting` calls queued, each taking `exec_time`, VMs
//! taking `deploy_time` to deploy, `running` VMs up and `booting` ones on the way, the broker
//! plans over a horizon `H`: until the deadline if there is one, otherwise `deploy_time +
//! exec_time` (the time a new VM needs to finish one call, so a VM is started exactly when it
//! would serve a call sooner than the VMs already there). Within `H` a running VM serves
//! `⌊H / exec⌋` calls and a booting or new one `⌊(H − deploy) / exec⌋` (booting VMs are
//! counted as if just started). The broker starts the fewest new VMs that serve the whole
//! queue, capped by the appliance's VM limit and by the budget (each new VM costs at least one
//! billing period); the calls the plan still leaves unserved within `H` are reported.
//!
//! **Stopping.** A cloud bills started periods, so an idle VM is kept until just before the
//! end of the billing period it is in (`margin` before it, to allow for shutdown) and stopped
//! then unless new calls arrived: [`stop_time`] (shared with live mode's cloud driver in
//! [`orrery_policies::bursting`], and re-exported here). [`charge`] prices a VM's bursts of work under
//! either strategy.

use std::collections::{BTreeMap, VecDeque};

use orrery_engine::time::Millis;
use orrery_policies::bursting::billed_periods;
pub use orrery_policies::bursting::{stop_time, StopStrategy};

/// One appliance's queue and VMs, as the broker sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueState {
    /// Calls waiting.
    pub waiting: u32,
    /// VMs running.
    pub running: u32,
    /// VMs deploying.
    pub booting: u32,
    /// Average execution time of one call, ms.
    pub exec_time: Millis,
    /// Average VM deployment time, ms.
    pub deploy_time: Millis,
}

/// Limits a start decision respects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Time left until the calls' deadline, ms; `None` when they have none.
    pub until_deadline: Option<Millis>,
    /// Budget left.
    pub budget_left: f64,
    /// Price of one VM for one billing period.
    pub price_per_period: f64,
    /// Most VMs (running, booting and new) the appliance may have.
    pub max_vms: u32,
}

/// How many VMs to start, and what the plan cannot serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartPlan {
    /// New VMs to start now.
    pub start: u32,
    /// Calls the VMs (with the new ones) cannot serve within the horizon.
    pub unserved: u32,
}

/// How many VMs to start for one appliance (see the module doc).
pub fn vms_to_start(q: &QueueState, limits: &Limits) -> StartPlan {
    let exec = q.exec_time.max(1);
    let horizon = limits.until_deadline.unwrap_or(q.deploy_time + exec);
    let per_running = horizon / exec;
    let per_new = horizon.saturating_sub(q.deploy_time) / exec;
    let waiting = u64::from(q.waiting);
    let served = u64::from(q.running) * per_running + u64::from(q.booting) * per_new;
    let short = waiting.saturating_sub(served);
    let wanted = if per_new == 0 {
        0
    } else {
        short.div_ceil(per_new)
    };
    let room = u64::from(limits.max_vms.saturating_sub(q.running + q.booting));
    let affordable = if limits.price_per_period > 0.0 {
        (limits.budget_left / limits.price_per_period)
            .floor()
            .max(0.0) as u64
    } else {
        u64::MAX
    };
    let start = wanted.min(room).min(affordable);
    let unserved = short.saturating_sub(start * per_new);
    StartPlan {
        start: start as u32,
        unserved: unserved.min(u64::from(u32::MAX)) as u32,
    }
}

/// How long a call that joins an appliance's queue `q` (it is the last of `q.waiting`) waits
/// for a VM when `idle` VMs are idle and the broker's plan starts `start` more: no wait if an
/// idle VM takes it; otherwise the calls ahead of it that no idle VM takes are served as many
/// at a time as the plan has VMs (running, booting and new), the first round after a new VM
/// deploys (or a running one finishes its call, when the plan has no VM to deploy), each
/// further round after one execution. With no VM at all the wait is practically forever
/// (`Millis::MAX / 4`).
pub fn queue_wait(q: &QueueState, start: u32, idle: u32) -> Millis {
    let ahead = q.waiting - 1;
    let n = q.running + q.booting + start;
    if ahead < idle {
        0
    } else if n == 0 {
        Millis::MAX / 4
    } else {
        let first = if q.running < n {
            q.deploy_time
        } else {
            q.exec_time
        };
        first + Millis::from((ahead - idle) / n) * q.exec_time
    }
}

/// A burst of work for one VM slot: it arrives at `at` and keeps a VM busy for `busy` ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    /// Arrival, ms.
    pub at: Millis,
    /// Work, ms of one VM.
    pub busy: Millis,
}

/// What a stop strategy cost on a sequence of bursts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    /// Billing periods charged.
    pub periods: u64,
    /// Their price.
    pub cost: f64,
    /// VM starts.
    pub starts: u32,
    /// Total time bursts waited for a VM to deploy, ms.
    pub deploy_wait: Millis,
}

/// Prices one VM slot serving `bursts` (in arrival order) under `strategy`: a burst arriving
/// while the VM is up (busy or idle before its stop) is served by it, after any earlier work;
/// otherwise a VM is started, billed from its request, and serves after `deploy_time`.
pub fn charge(
    bursts: &[Burst],
    period: Millis,
    price_per_period: f64,
    deploy_time: Millis,
    strategy: StopStrategy,
) -> Charge {
    let period = period.max(1);
    let billed = |start: Millis, stop: Millis| billed_periods(start, stop, period);
    let mut c = Charge {
        periods: 0,
        cost: 0.0,
        starts: 0,
        deploy_wait: 0,
    };
    // The VM that is up: (started, free from, stop at).
    let mut up: Option<(Millis, Millis, Millis)> = None;
    for b in bursts {
        let (started, free) = match up {
            Some((started, free, stop)) if b.at < stop || b.at < free => (started, free),
            _ => {
                if let Some((started, _, stop)) = up {
                    c.periods += billed(started, stop);
                }
                c.starts += 1;
                c.deploy_wait += deploy_time;
                (b.at, b.at + deploy_time)
            }
        };
        let idle = free.max(b.at) + b.busy;
        let stop = strategy.stop_at(started, idle, period);
        up = Some((started, idle, stop));
    }
    if let Some((started, _, stop)) = up {
        c.periods += billed(started, stop);
    }
    c.cost = c.periods as f64 * price_per_period;
    c
}

/// A call waiting in a cloud broker's service-call queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Caller's identifier for the call.
    pub id: u64,
    /// The appliance (virtual appliance name) that serves it.
    pub appliance: String,
    /// When it arrived, ms.
    pub arrived: Millis,
}

/// A cloud broker: one service-call queue and, per appliance, a VM queue of idle VMs ready to
/// take a call. It associates calls with idle VMs first come, first served.
#[derive(Debug, Clone, Default)]
pub struct CloudBroker {
    calls: VecDeque<Call>,
    idle: BTreeMap<String, VecDeque<u64>>,
}

impl CloudBroker {
    /// An empty broker.
    pub fn new() -> Self {
        CloudBroker::default()
    }

    /// Queues a call.
    pub fn submit(&mut self, call: Call) {
        self.calls.push_back(call);
    }

    /// Takes call `id` out of the call queue (it goes elsewhere); the call if it was there.
    pub fn withdraw(&mut self, id: u64) -> Option<Call> {
        let k = self.calls.iter().position(|c| c.id == id)?;
        self.calls.remove(k)
    }

    /// Puts VM `vm` of `appliance` in that appliance's VM queue (it is idle and ready).
    pub fn vm_ready(&mut self, appliance: &str, vm: u64) {
        self.idle
            .entry(appliance.to_string())
            .or_default()
            .push_back(vm);
    }

    /// Takes VM `vm` out of the VM queue (it is being stopped); whether it was there.
    pub fn vm_gone(&mut self, appliance: &str, vm: u64) -> bool {
        let Some(q) = self.idle.get_mut(appliance) else {
            return false;
        };
        let before = q.len();
        q.retain(|v| *v != vm);
        q.len() != before
    }

    /// Associates waiting calls with idle VMs of their appliance, oldest call first; returns
    /// `(call, vm)` pairs. Calls with no idle VM keep their place.
    pub fn dispatch(&mut self) -> Vec<(Call, u64)> {
        let mut out = Vec::new();
        let mut kept = VecDeque::new();
        while let Some(call) = self.calls.pop_front() {
            match self
                .idle
                .get_mut(&call.appliance)
                .and_then(VecDeque::pop_front)
            {
                Some(vm) => out.push((call, vm)),
                None => kept.push_back(call),
            }
        }
        self.calls = kept;
        out
    }

    /// The calls waiting for `appliance`, oldest first.
    pub fn queued<'a>(&'a self, appliance: &'a str) -> impl DoubleEndedIterator<Item = &'a Call> {
        self.calls.iter().filter(move |c| c.appliance == appliance)
    }

    /// Calls waiting for `appliance`.
    pub fn waiting(&self, appliance: &str) -> u32 {
        self.calls
            .iter()
            .filter(|c| c.appliance == appliance)
            .count() as u32
    }

    /// Idle VMs of `appliance`.
    pub fn idle(&self, appliance: &str) -> u32 {
        self.idle.get(appliance).map_or(0, |q| q.len() as u32)
    }
}
