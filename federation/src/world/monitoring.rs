//! Monitoring: the snapshots each party last received of each private site, as the coupling of
//! their relationship reveals it, and how many were sent.

use std::collections::BTreeMap;

use orrery_engine::time::Millis;

use crate::coupling::RemoteView;
use crate::ids::SiteId;

/// Snapshots as delivered and the count of those sent.
#[derive(Debug, Clone, Default)]
pub struct Monitoring {
    /// (observer, observed site) → (taken at, view).
    views: BTreeMap<(String, SiteId), (Millis, RemoteView)>,
    sent: u64,
}

impl Monitoring {
    /// A snapshot left its site.
    pub fn sent(&mut self) {
        self.sent += 1;
    }

    /// `observer` received `view` of site `observed`, taken at `at`.
    pub fn arrived(&mut self, observer: String, observed: SiteId, at: Millis, view: RemoteView) {
        self.views.insert((observer, observed), (at, view));
    }

    /// What `observer` last received from site `observed`, with the time it was taken.
    pub fn view_at(&self, observer: &str, observed: SiteId) -> Option<(Millis, &RemoteView)> {
        self.views
            .get(&(observer.to_string(), observed))
            .map(|(at, v)| (*at, v))
    }

    /// Snapshots sent so far.
    pub fn messages(&self) -> u64 {
        self.sent
    }
}
