//! What the SaaS layer keeps: the service calls (drawn from their generators), the worker VMs,
//! and one desk per (appliance, offering site) with the broker's running estimates.

use orrery_engine::rng::RngStreams;
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::VmId;

use crate::ids::{CallId, DeskId, SiteId, WorkerId};
use crate::spec::Federation;

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallAt {
    /// Not arrived yet.
    Future,
    /// Waiting in desk `desk`'s site broker's call queue.
    Queued {
        /// The desk.
        desk: DeskId,
    },
    /// Forwarded, its input on the way to desk `desk`.
    InTransit {
        /// The desk.
        desk: DeskId,
    },
    /// Executing on worker `worker` of desk `desk`, done at `until`.
    Running {
        /// The desk.
        desk: DeskId,
        /// The worker.
        worker: WorkerId,
        /// When it is done, ms.
        until: Millis,
    },
    /// Done at desk `desk`.
    Done {
        /// The desk.
        desk: DeskId,
    },
}

/// One service call and its history.
#[derive(Debug, Clone)]
pub struct Call {
    /// Its name (`c<generator>-<k>`).
    pub name: String,
    /// The appliance called.
    pub appliance: usize,
    /// The desk it entered at.
    pub entry: DeskId,
    /// When it arrives.
    pub arrival: Millis,
    /// Its execution time at nominal speed, ms.
    pub exec: Millis,
    /// When it must be done.
    pub deadline: Option<Millis>,
    /// Most its caller pays a peer for it.
    pub budget: Option<f64>,
    /// Where it is.
    pub at: CallAt,
    /// Whether it was forwarded to a peer.
    pub forwarded: bool,
    /// Whether a forwarding attempt found no peer (logged once).
    pub declined: bool,
    /// When it started executing.
    pub started: Option<Millis>,
    /// When it was done.
    pub done: Option<Millis>,
    /// What its entry site paid a peer for it.
    pub charge: f64,
}

impl Call {
    /// Whether, seen at the end `end` of the run, it missed its deadline: done after it, or
    /// not done and the deadline passed.
    pub fn missed(&self, end: Millis) -> bool {
        self.deadline.is_some_and(|d| match self.done {
            Some(done) => done > d,
            None => d <= end,
        })
    }
}

/// Where a worker VM runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A VM of a private site.
    Private {
        /// The VM.
        vm: VmId,
    },
    /// A public cloud's instance.
    Public {
        /// The instance.
        instance: usize,
    },
}

/// A worker VM of one desk: it serves one call at a time.
#[derive(Debug, Clone)]
pub struct Worker {
    /// Its desk.
    pub desk: DeskId,
    /// Where it runs.
    pub place: Place,
    /// When the broker asked for it, ms.
    pub requested: Millis,
    /// When it was ready to take calls.
    pub ready: Option<Millis>,
    /// The call it executes.
    pub busy: Option<CallId>,
    /// Since when it is idle (ready, no call).
    pub idle_since: Option<Millis>,
    /// When the broker plans to stop it.
    pub stop_at: Option<Millis>,
    /// When it stopped (or was lost).
    pub stopped: Option<Millis>,
    /// Its speed relative to nominal.
    pub speed: f64,
}

impl Worker {
    /// Whether it is up and ready (busy or idle).
    pub fn running(&self) -> bool {
        self.ready.is_some() && self.stopped.is_none()
    }

    /// Whether it is deploying.
    pub fn booting(&self) -> bool {
        self.ready.is_none() && self.stopped.is_none()
    }

    /// Whether it is ready with no call.
    pub fn idle(&self) -> bool {
        self.running() && self.busy.is_none()
    }
}

/// A running mean that starts from a prior until something is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mean {
    prior: Millis,
    sum: u128,
    n: u64,
}

impl Mean {
    /// An estimate of `prior` until the first observation.
    pub fn new(prior: Millis) -> Self {
        Mean {
            prior,
            sum: 0,
            n: 0,
        }
    }

    /// Adds an observation.
    pub fn observe(&mut self, x: Millis) {
        self.sum += u128::from(x);
        self.n += 1;
    }

    /// The mean of the observations (rounded to the nearest ms), or the prior.
    pub fn get(&self) -> Millis {
        if self.n == 0 {
            self.prior
        } else {
            ((self.sum + u128::from(self.n) / 2) / u128::from(self.n)) as Millis
        }
    }
}

/// One site's offer of one appliance, with its broker's estimates.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The appliance.
    pub appliance: usize,
    /// The offer's index in the appliance's `offers`.
    pub offer: usize,
    /// The offering site.
    pub site: SiteId,
    /// Execution time of a call on this desk's workers.
    pub exec: Mean,
    /// Deployment time of a worker.
    pub deploy: Mean,
    /// Its workers' speed relative to nominal.
    pub speed: f64,
    /// Calls peers forwarded here still on their way.
    pub promised: u32,
    /// Its workers, in start order.
    pub workers: Vec<WorkerId>,
}

/// Every call of the federation in arrival order (ties: generator, then index), each drawn
/// from its generator's seeded streams.
/// `desk_of` gives the desk of an appliance (by index) at a site.
pub fn calls(fed: &Federation, desk_of: impl Fn(usize, SiteId) -> DeskId) -> Vec<Call> {
    let streams = RngStreams::new(fed.spec.seed);
    let end = from_secs(fed.spec.duration_s);
    let mut out = Vec::new();
    for (gi, g) in fed.spec.demand.calls.iter().enumerate() {
        let appliance = fed.appliance_index(&g.appliance).expect("checked on load");
        let entry = desk_of(
            appliance,
            fed.site_index(&g.entry).expect("checked on load"),
        );
        let gi64 = gi as u64;
        let mut arrivals = streams.stream("federation-call-arrival", gi64);
        let mut execs = streams.stream("federation-call-exec", gi64);
        for (k, t) in g
            .arrival
            .times(end, g.count, &mut arrivals)
            .into_iter()
            .enumerate()
        {
            out.push(Call {
                name: format!("c{gi}-{k}"),
                appliance,
                entry,
                arrival: t,
                exec: g.exec.sample(&mut execs).expect("finite, checked on load"),
                deadline: g.deadline_s.map(|d| t + from_secs(d)),
                budget: g.budget,
                at: CallAt::Future,
                forwarded: false,
                declined: false,
                started: None,
                done: None,
                charge: 0.0,
            });
        }
    }
    out.sort_by_key(|c| c.arrival);
    out
}
