//! What every layer of a federation run shares: the clock, the event queue, the clouds
//! ([`sites`]), the WAN ([`wan`]), the coupling rules every cross-site action goes through,
//! monitoring ([`monitoring`]) and the run's record ([`recorder`]).
//!
//! Each part owns its state; [`World`] holds them and offers what the VM-request layer
//! ([`crate::requests`]) and the SaaS layer ([`crate::saas`]) need of them.

pub mod event;
pub mod monitoring;
pub mod recorder;
pub mod sites;
pub mod wan;

use std::collections::BTreeMap;

use orrery_engine::error::InputError;
use orrery_engine::infra::InfraError;
use orrery_engine::metrics::RunResult;
use orrery_engine::queue::EventQueue;
use orrery_engine::time::{from_secs, Millis};

use crate::coupling::{Contract, Coupling, FederationError, RemoteOp, RemoteView};
use crate::ids::{RequestId, SiteId};
use crate::output::{EventRow, IntervalRow};
use crate::spec::Federation;
use event::Event;
use monitoring::Monitoring;
use recorder::Recorder;
use sites::Sites;
use wan::{Link, Wan};

/// The federation's shared state: its file, the clock, the event queue and the parts.
pub struct World {
    fed: Federation,
    now: Millis,
    end: Millis,
    queue: EventQueue<Event>,
    sites: Sites,
    wan: Wan,
    monitoring: Monitoring,
    recorder: Recorder,
}

impl World {
    /// Builds every site and link of `fed`, at time 0 with nothing scheduled; the log names VM
    /// requests by `request_names`.
    pub fn new(fed: Federation, request_names: Vec<String>) -> Result<World, InputError> {
        let end = from_secs(fed.spec.duration_s);
        let sites = Sites::new(&fed)?;
        let wan = Wan::new(&fed);
        let recorder = Recorder::new(sites.names().to_vec(), request_names);
        Ok(World {
            fed,
            now: 0,
            end,
            queue: EventQueue::new(),
            sites,
            wan,
            monitoring: Monitoring::default(),
            recorder,
        })
    }

    /// The federation being run.
    pub fn fed(&self) -> &Federation {
        &self.fed
    }

    /// The current time, ms.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// The end of the run, ms.
    pub fn end(&self) -> Millis {
        self.end
    }

    /// Schedules `event` at `at`.
    pub fn push(&mut self, at: Millis, event: Event) {
        self.queue.push(at, event);
    }

    /// When the next event is due.
    pub fn next_time(&mut self) -> Option<Millis> {
        self.queue.peek_time()
    }

    /// The next event, taken off the queue.
    pub fn pop(&mut self) -> Option<Event> {
        self.queue.pop().map(|(_, e)| e)
    }

    /// Runs every private site up to `t`, which becomes the current time.
    pub fn advance(&mut self, t: Millis) -> Result<(), InfraError> {
        self.sites.advance(t)?;
        self.now = t;
        Ok(())
    }

    /// Moves the clock to the end of the run (without running the sites).
    pub fn close(&mut self) {
        self.now = self.end;
    }

    /// The clouds.
    pub fn sites(&self) -> &Sites {
        &self.sites
    }

    /// The clouds, to act on.
    pub fn sites_mut(&mut self) -> &mut Sites {
        &mut self.sites
    }

    /// Ends every private site's run: their results by site name.
    pub fn finish_sites(&mut self) -> Result<BTreeMap<String, RunResult>, InfraError> {
        self.sites.finish()
    }

    /// Site `s`'s name.
    pub fn name(&self, s: SiteId) -> &str {
        self.sites.name(s)
    }

    /// The site named `name`.
    pub fn site_id(&self, name: &str) -> Option<SiteId> {
        self.fed.site_index(name)
    }

    /// Logs an event now at site `site` about VM request `r` (either may be absent).
    pub fn log(&mut self, kind: &str, site: Option<SiteId>, r: Option<RequestId>, detail: String) {
        self.recorder.log(self.now, kind, site, r, detail);
    }

    /// Adds an event row now naming `site` and `request` (a VM request or a service call;
    /// either may be empty).
    pub fn log_row(&mut self, kind: &str, site: String, request: String, detail: String) {
        self.recorder.row(self.now, kind, site, request, detail);
    }

    /// Adds a site's row of the current decision round.
    pub fn record_interval(&mut self, row: IntervalRow) {
        self.recorder.interval(row);
    }

    /// The event log and the interval rows, taken out.
    pub fn take_record(&mut self) -> (Vec<EventRow>, Vec<IntervalRow>) {
        self.recorder.take()
    }

    /// Time to move `mb` from site `from` to site `to` (none within a site), counted as
    /// cross-site traffic; a missing link moves data at once and says so in the log (about
    /// request `r`, if any).
    pub fn wan(&mut self, from: SiteId, to: SiteId, mb: f64, r: Option<RequestId>) -> Millis {
        match self.wan.carry(from, to, mb) {
            Some(delay) => delay,
            None => {
                let detail = format!("no link from {}: moved without delay", self.name(from));
                self.log("no_link", Some(to), r, detail);
                0
            }
        }
    }

    /// The link from site `a` to site `b`, if any.
    pub fn link(&self, a: SiteId, b: SiteId) -> Option<&Link> {
        self.wan.link(a, b)
    }

    /// Time `mb` would take from `from` to `to` (none within a site or without a link).
    pub fn link_delay(&self, from: SiteId, to: SiteId, mb: f64) -> Millis {
        self.wan.delay(from, to, mb)
    }

    /// MB moved per link direction, by site names (`a->b`).
    pub fn traffic_by_link(&self) -> BTreeMap<String, f64> {
        self.wan
            .traffic_mb()
            .iter()
            .map(|(&(a, b), &mb)| (format!("{}->{}", self.name(a), self.name(b)), mb))
            .collect()
    }

    /// The relationship between parties `a` and `b` (a site or a multitier parent), checked
    /// for `op`: an operation the coupling does not allow is an error, not a silent no-op.
    pub fn check(&self, a: &str, b: SiteId, op: RemoteOp) -> Result<Coupling, FederationError> {
        let to = self.name(b);
        let Some(rel) = self.fed.coupling(a, to) else {
            return if matches!(op, RemoteOp::Request | RemoteOp::ForwardCall) {
                Ok(Coupling::Loose) // a public interface needs no agreement
            } else {
                Err(FederationError::Unrelated {
                    from: a.to_string(),
                    to: to.to_string(),
                })
            };
        };
        if rel.coupling.allows(op) {
            Ok(rel.coupling)
        } else {
            Err(FederationError::Forbidden {
                from: a.to_string(),
                to: to.to_string(),
                op: op.name(),
                coupling: rel.coupling.name(),
            })
        }
    }

    /// The contract `user` holds at site `provider`, with `used` (VMs, vCPUs) of it in use.
    pub fn contract(&self, user: &str, provider: SiteId, used: (u32, u32)) -> Contract {
        let (used_vms, used_vcpus) = used;
        match self.fed.coupling(user, self.name(provider)) {
            Some(rel) => Contract {
                limit_vms: rel.limit_vms,
                limit_vcpus: rel.limit_vcpus,
                used_vms,
                used_vcpus,
            },
            None => Contract::default(),
        }
    }

    /// Takes relationship `i`'s monitoring snapshots (each party of the other, as the coupling
    /// reveals it; `used` gives the contract use of a user at a provider), sends them over
    /// their links and schedules the next round.
    pub fn monitor(&mut self, i: usize, used: impl Fn(&str, SiteId) -> (u32, u32)) {
        let rel = self.fed.spec.relations[i].clone();
        for (observer, observed) in [(&rel.a, &rel.b), (&rel.b, &rel.a)] {
            let Some(s) = self.site_id(observed) else {
                continue;
            };
            let Some(site) = self.sites.private(s) else {
                continue; // a public cloud reports nothing but its offers
            };
            let contract = self.contract(observer, s, used(observer, s));
            let view = rel.coupling.reveal(&site.state(), Some(contract));
            let delay = self
                .site_id(observer)
                .and_then(|o| self.wan.link(s, o))
                .map_or(0, |l| l.latency);
            self.monitoring.sent();
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

    /// A monitoring snapshot reached its observer.
    pub fn snapshot_arrived(
        &mut self,
        observer: String,
        observed: SiteId,
        at: Millis,
        view: RemoteView,
    ) {
        self.monitoring.arrived(observer, observed, at, view);
    }

    /// What `observer` last received from site `observed` (as its coupling reveals it), with
    /// the time it was taken.
    pub fn remote_view_at(
        &self,
        observer: &str,
        observed: SiteId,
    ) -> Option<(Millis, &RemoteView)> {
        self.monitoring.view_at(observer, observed)
    }

    /// Monitoring snapshots sent so far.
    pub fn monitoring_messages(&self) -> u64 {
        self.monitoring.messages()
    }
}
