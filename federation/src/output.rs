//! What a federation run produced: its summary, per-interval rows per site and the event log,
//! and writing them to an output directory.

use std::collections::BTreeMap;
use std::path::Path;

use orrery_engine::metrics::RunResult;
use orrery_engine::time::to_secs;
use serde::Serialize;

use crate::runtime::{Loc, Runtime};
use crate::saas::{CallRow, CallSummary};
use crate::spec::ArchitectureSpec;

/// One federation event (the protocol's messages among them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    /// When, seconds.
    pub time_s: f64,
    /// What happened (`request`, `burst`, `migration_request`, …).
    pub kind: String,
    /// The site concerned (the receiver of a protocol message).
    pub site: String,
    /// The request concerned.
    pub request: String,
    /// Detail.
    pub detail: String,
}

/// One site at one federation decision round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalRow {
    /// When, seconds.
    pub time_s: f64,
    /// The site.
    pub site: String,
    /// Reserved fraction of its CPU capacity (private sites).
    pub reserved_fraction: f64,
    /// Mean CPU utilisation of its powered hosts (private sites).
    pub cpu_utilisation: f64,
    /// VMs placed there, the site's own included (instances running, for a public cloud).
    pub federation_vms: u64,
    /// What the federation has spent there so far.
    pub cost: f64,
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
    pub(crate) fn new(
        mut rt: Runtime,
        cost_by_site: BTreeMap<String, f64>,
        sites: BTreeMap<String, RunResult>,
    ) -> Outcome {
        let intervals = rt.intervals();
        let (call_rows, call_summary) = rt.saas_outcome();
        let tracked = rt.tracked();
        let count = |f: &dyn Fn(&crate::runtime::Tracked) -> bool| {
            tracked.iter().filter(|t| f(t)).count() as u64
        };
        let arrived = |t: &crate::runtime::Tracked| t.req.arrival <= rt.end;
        let mut utilisation = BTreeMap::new();
        for name in sites.keys() {
            let rows: Vec<f64> = intervals
                .iter()
                .filter(|r| &r.site == name)
                .map(|r| r.reserved_fraction)
                .collect();
            let mean = if rows.is_empty() {
                0.0
            } else {
                rows.iter().sum::<f64>() / rows.len() as f64
            };
            utilisation.insert(name.clone(), mean);
        }
        let traffic_mb: BTreeMap<String, f64> = rt
            .traffic_mb
            .iter()
            .map(|(&(a, b), &mb)| (format!("{}->{}", rt.names[a], rt.names[b]), mb))
            .collect();
        let summary = Summary {
            name: rt.fed.name.clone(),
            architecture: match &rt.fed.spec.architecture {
                ArchitectureSpec::Bursting { .. } => "bursting",
                ArchitectureSpec::Broker {
                    metabroker: Some(_),
                    ..
                } => "metabroker",
                ArchitectureSpec::Broker { .. } => "broker",
                ArchitectureSpec::Aggregated { .. } => "aggregated",
                ArchitectureSpec::Multitier { .. } => "multitier",
            }
            .into(),
            seed: rt.fed.spec.seed,
            duration_s: to_secs(rt.end),
            requests: count(&arrived),
            served: count(&|t| t.started.is_some()),
            rejected: count(&|t| t.loc == Loc::Rejected),
            burst: count(&|t| t.burst),
            returned: count(&|t| t.returned),
            forwarded: count(&|t| t.forwarded),
            deadline_misses: count(&|t| {
                t.req
                    .deadline
                    .is_some_and(|d| t.loc == Loc::Rejected || t.finish.is_none_or(|f| f > d))
            }),
            cost_total: cost_by_site.values().fold(0.0, |a, b| a + b),
            cost_by_site,
            utilisation,
            sla_shortfall: sites
                .iter()
                .map(|(n, r)| (n.clone(), r.summary.cpu_shortfall_ratio))
                .collect(),
            energy_kwh: sites
                .iter()
                .map(|(n, r)| (n.clone(), r.summary.energy_kwh))
                .collect(),
            cross_site_traffic_gb: traffic_mb.values().fold(0.0, |a, b| a + b) / 1024.0,
            traffic_mb,
            protocol_messages: rt
                .protocol_messages
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            monitoring_messages: rt.monitoring_messages(),
            calls: call_summary,
        };
        Outcome {
            summary,
            intervals,
            events: std::mem::take(&mut rt.events),
            calls: call_rows,
            sites,
        }
    }

    /// Writes `summary.json`, `intervals.csv` and `events.csv` into `dir` (created if needed),
    /// and `calls.csv` when the federation has service calls.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(&self.summary).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("summary.json"), json + "\n")?;
        write_csv(&dir.join("intervals.csv"), &self.intervals)?;
        write_csv(&dir.join("events.csv"), &self.events)?;
        if !self.calls.is_empty() {
            write_csv(&dir.join("calls.csv"), &self.calls)?;
        }
        Ok(())
    }
}

fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    for row in rows {
        w.serialize(row).map_err(std::io::Error::other)?;
    }
    w.flush()
}
