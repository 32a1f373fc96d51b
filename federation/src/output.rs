//! What a federation run produced: its summary, per-interval rows per site, the event log and
//! the service calls, and writing them to an output directory. The runtime builds these from
//! its parts' figures; nothing here knows the runtime.

use std::collections::BTreeMap;

use orrery_engine::metrics::RunResult;
use orrery_engine::output::OutputError;
use orrery_engine::tables::{put, TableSink};
use serde::Serialize;

orrery_engine::table! {
    /// One federation event (the protocol's messages among them).
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct EventRow in "events" {
        /// When, seconds.
        pub time_s: f64 = "s",
        /// What happened (`request`, `burst`, `migration_request`, …).
        pub kind: String = "",
        /// The site concerned (the receiver of a protocol message).
        pub site: String = "",
        /// The request concerned.
        pub request: String = "",
        /// Detail.
        pub detail: String = "",
    }
}

orrery_engine::table! {
    /// One site at one federation decision round.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct IntervalRow in "intervals" {
        /// When, seconds.
        pub time_s: f64 = "s",
        /// The site.
        pub site: String = "",
        /// Reserved fraction of its CPU capacity (private sites).
        pub reserved_fraction: f64 = "fraction",
        /// Mean CPU utilisation of its powered hosts (private sites).
        pub cpu_utilisation: f64 = "fraction",
        /// VMs placed there, the site's own included (instances running, for a public cloud).
        pub federation_vms: u64 = "VMs",
        /// What the federation has spent there so far.
        pub cost: f64 = "price units",
    }
}

orrery_engine::table! {
    /// One call in `calls.csv`.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct CallRow in "calls" {
        /// The call.
        pub call: String = "",
        /// Its appliance.
        pub appliance: String = "",
        /// The site it entered at.
        pub entry: String = "",
        /// The site that executed it (empty if none did).
        pub site: String = "",
        /// Arrival, seconds.
        pub arrival_s: f64 = "s",
        /// Start of its execution, seconds (empty if it never started).
        pub start_s: Option<f64> = "s",
        /// End of its execution, seconds (empty if not done by the end).
        pub done_s: Option<f64> = "s",
        /// Its deadline, seconds.
        pub deadline_s: Option<f64> = "s",
        /// Whether it missed its deadline.
        pub missed: bool = "",
        /// Whether it was forwarded to a peer.
        pub forwarded: bool = "",
        /// What its entry site paid the peer.
        pub charge: f64 = "price units",
    }
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

/// Mean reserved CPU fraction of site `site` over its `intervals` rows (0 with none).
pub fn mean_reserved(intervals: &[IntervalRow], site: &str) -> f64 {
    let rows: Vec<f64> = intervals
        .iter()
        .filter(|r| r.site == site)
        .map(|r| r.reserved_fraction)
        .collect();
    if rows.is_empty() {
        0.0
    } else {
        rows.iter().sum::<f64>() / rows.len() as f64
    }
}

/// Headline numbers of a federation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The federation's name.
    pub name: String,
    /// Its architecture.
    pub architecture: String,
    /// Seed.
    pub seed: u64,
    /// Length of the run, seconds.
    pub duration_s: f64,
    /// Requests that arrived.
    pub requests: u64,
    /// Requests that ran somewhere.
    pub served: u64,
    /// Requests no cloud took.
    pub rejected: u64,
    /// Requests that ran on a public cloud.
    pub burst: u64,
    /// Requests that came back to their entry site (from a public cloud or a partner).
    pub returned: u64,
    /// Requests handed to a site other than their entry site.
    pub forwarded: u64,
    /// Requests with a deadline that were not finished by it.
    pub deadline_misses: u64,
    /// Cost per cloud.
    pub cost_by_site: BTreeMap<String, f64>,
    /// Total cost.
    pub cost_total: f64,
    /// Mean reserved CPU fraction per private site over the decision rounds.
    pub utilisation: BTreeMap<String, f64>,
    /// CPU shortfall ratio per private site (requested MIPS not allocated / requested).
    pub sla_shortfall: BTreeMap<String, f64>,
    /// Energy per private site, kWh.
    pub energy_kwh: BTreeMap<String, f64>,
    /// Data moved between sites (images, VM state, protocol payloads), GB.
    pub cross_site_traffic_gb: f64,
    /// Data per link direction (`a->b`), MB.
    pub traffic_mb: BTreeMap<String, f64>,
    /// Protocol messages by kind.
    pub protocol_messages: BTreeMap<String, u64>,
    /// Monitoring snapshots sent between sites.
    pub monitoring_messages: u64,
    /// The SaaS layer's service calls.
    pub calls: CallSummary,
}

/// Everything a federation run produced.
pub struct Outcome {
    /// Headline numbers.
    pub summary: Summary,
    /// Per-site rows at each decision round.
    pub intervals: Vec<IntervalRow>,
    /// The federation event log.
    pub events: Vec<EventRow>,
    /// Every service call.
    pub calls: Vec<CallRow>,
    /// Each private site's own run.
    pub sites: BTreeMap<String, RunResult>,
}

impl Outcome {
    /// Writes `summary.json` and the tables `intervals` and `events` into `sink`, and `calls`
    /// when the federation has service calls; the caller finishes the sink and its directory.
    pub fn write(&self, sink: &mut dyn TableSink) -> Result<(), OutputError> {
        sink.out().write_json("summary.json", &self.summary)?;
        put(sink, &self.intervals)?;
        put(sink, &self.events)?;
        if !self.calls.is_empty() {
            put(sink, &self.calls)?;
        }
        Ok(())
    }
}

/// The tables a federation run's directory may hold.
pub const FEDERATION_TABLES: &[&str] = &["intervals", "events", "calls"];
