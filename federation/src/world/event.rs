//! What the federation handles at a time: one queue of events, earliest first, ties in the
//! order they were scheduled.

use orrery_engine::time::Millis;
use orrery_engine::view::HostId;

use crate::coupling::RemoteView;
use crate::ids::{CallId, DeskId, RequestId, SiteId, WorkerId};
use crate::policy::protocol::Message;
use crate::policy::ranking::Health;

/// Something the federation handles at a time.
#[derive(Debug, Clone)]
pub enum Event {
    /// A VM request arrives at its entry site.
    Arrive(RequestId),
    /// A request's image or state reached a site.
    Deliver {
        /// The request.
        r: RequestId,
        /// The site it reached.
        site: SiteId,
        /// The host to run it on, when chosen elsewhere.
        host: Option<HostId>,
    },
    /// A request's lifetime on a public cloud is over (stale unless it still ends now).
    PublicDone(RequestId),
    /// A federation decision round.
    Tick,
    /// A relationship's monitoring round, by its index in the file.
    Monitor(usize),
    /// A monitoring snapshot reaches its observer.
    Snapshot {
        /// Who receives it (a site or a multitier parent).
        observer: String,
        /// The site it shows.
        observed: SiteId,
        /// When it was taken.
        at: Millis,
        /// What it shows.
        view: RemoteView,
    },
    /// A protocol message reaches its receiver.
    Protocol(Box<Message>),
    /// The meta-broker's probe round (repeated every so many ms).
    Probe(Millis),
    /// A cloud's probe results reach the meta-broker.
    Health(Box<Health>),
    /// Something of the SaaS layer.
    Saas(SaasEvent),
}

/// Something of the SaaS layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaasEvent {
    /// A service call arrives at its entry site.
    CallArrive(CallId),
    /// A forwarded call's input reached the peer it was forwarded to.
    CallDeliver(CallId),
    /// A call's execution ends (stale unless it still runs until now).
    CallDone(CallId),
    /// A worker runs (a public instance), or is expected to (a private VM: checked then).
    WorkerReady(WorkerId),
    /// An idle worker stops, unless it took a call since `idle_since`.
    WorkerStop {
        /// The worker.
        worker: WorkerId,
        /// When it went idle.
        idle_since: Millis,
    },
    /// A desk's periodic broker round.
    BrokerRound(DeskId),
}
