//! The run's record: the federation event log and each site's row at every decision round.

use orrery_engine::time::{to_secs, Millis};

use crate::ids::{RequestId, SiteId};
use crate::output::{EventRow, IntervalRow};

/// The event log and interval rows, with the site and request names the log uses.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    sites: Vec<String>,
    requests: Vec<String>,
    events: Vec<EventRow>,
    intervals: Vec<IntervalRow>,
}

impl Recorder {
    /// An empty record naming sites by `sites` and VM requests by `requests` (by index).
    pub fn new(sites: Vec<String>, requests: Vec<String>) -> Recorder {
        Recorder {
            sites,
            requests,
            events: Vec::new(),
            intervals: Vec::new(),
        }
    }

    /// Logs an event at `now` at site `site` about VM request `r` (either may be absent).
    pub fn log(
        &mut self,
        now: Millis,
        kind: &str,
        site: Option<SiteId>,
        r: Option<RequestId>,
        detail: String,
    ) {
        let site = site.map(|s| self.sites[s.0].clone()).unwrap_or_default();
        let request = r.map(|r| self.requests[r.0].clone()).unwrap_or_default();
        self.row(now, kind, site, request, detail);
    }

    /// Adds an event row at `now` naming `site` and `request` (a VM request or a service call;
    /// either may be empty).
    pub fn row(&mut self, now: Millis, kind: &str, site: String, request: String, detail: String) {
        self.events.push(EventRow {
            time_s: to_secs(now),
            kind: kind.to_string(),
            site,
            request,
            detail,
        });
    }

    /// Adds a site's row of a decision round.
    pub fn interval(&mut self, row: IntervalRow) {
        self.intervals.push(row);
    }

    /// The event log and the interval rows so far, taken out.
    pub fn take(&mut self) -> (Vec<EventRow>, Vec<IntervalRow>) {
        (
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.intervals),
        )
    }
}
