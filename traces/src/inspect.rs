//! `orrery trace inspect`: what a trace holds, read in one streaming pass.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::path::Path;

use orrery_engine::error::InputError;
use serde::Serialize;

use crate::read::TraceReader;

/// Bins of the utilisation histogram (each 10 % wide; 100 % falls in the last).
pub const BINS: usize = 10;

/// A trace's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The format it was imported from (`""` when the file does not say).
    pub source: String,
    /// VM requests.
    pub vms: usize,
    /// Utilisation samples.
    pub samples: usize,
    /// First arrival, s from the trace's start.
    pub start_s: f64,
    /// The trace's end: the last departure or sample, s from its start (VMs without a departure
    /// run to it).
    pub end_s: f64,
    /// vCPU-hours requested: vCPUs × time present.
    pub cpu_hours_requested: f64,
    /// vCPU-hours used: vCPUs × utilisation × time (a sample holds until the next).
    pub cpu_hours_used: f64,
    /// Memory requested × time present, MB-hours.
    pub memory_mb_hours: f64,
    /// Most VMs present at once.
    pub peak_vms: usize,
    /// Most memory requested at once, MB.
    pub peak_memory_mb: f64,
    /// Share of VM-time at each utilisation (bin k: [10k %, 10(k+1) %)), summing to 1.
    pub utilisation: [f64; BINS],
}

/// The bin of utilisation `u`.
fn bin(u: f64) -> usize {
    ((u * BINS as f64) as usize).min(BINS - 1)
}

/// A VM still present, ordered by departure.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Live {
    departure: i64,
    memory_bits: u64,
}

/// Reads the trace at `path` once (memory: one batch of rows and the VMs present at once).
pub fn inspect(path: &Path) -> Result<Summary, InputError> {
    let mut reader = TraceReader::open(path)?;
    let source = reader.source().to_string();
    let mut s = Summary {
        source,
        vms: 0,
        samples: 0,
        start_s: 0.0,
        end_s: 0.0,
        cpu_hours_requested: 0.0,
        cpu_hours_used: 0.0,
        memory_mb_hours: 0.0,
        peak_vms: 0,
        peak_memory_mb: 0.0,
        utilisation: [0.0; BINS],
    };
    let mut start = None;
    let mut end = 0i64;
    // VMs without a departure hold until the end, known only after the last row: their
    // contributions are kept as sums linear in the end (Σ w and Σ w·t).
    let (mut open_cpu, mut open_cpu_t) = (0.0, 0.0);
    let (mut open_used, mut open_used_t) = (0.0, 0.0);
    let (mut open_mem, mut open_mem_t) = (0.0, 0.0);
    let mut open_bins = [(0.0, 0.0); BINS];
    let mut time_bins = [0.0; BINS];
    let mut live: BinaryHeap<Reverse<Live>> = BinaryHeap::new();
    let mut live_memory = 0.0;
    for r in &mut reader {
        let r = r?;
        s.vms += 1;
        s.samples += r.sample_ms.len();
        start.get_or_insert(r.arrival_ms);
        while let Some(Reverse(l)) = live.peek() {
            if l.departure > r.arrival_ms {
                break;
            }
            live_memory -= f64::from_bits(l.memory_bits);
            live.pop();
        }
        let vcpus = f64::from(r.vcpus);
        let last_sample = r.sample_ms.last().copied().unwrap_or(r.arrival_ms);
        end = end.max(r.departure_ms.unwrap_or(0)).max(last_sample);
        match r.departure_ms {
            Some(d) => {
                let hours = (d - r.arrival_ms) as f64 / 3.6e6;
                s.cpu_hours_requested += vcpus * hours;
                s.memory_mb_hours += r.memory_mb * hours;
                s.cpu_hours_used += r.cpu_hours_used(d);
                for (k, (&t, &u)) in r.sample_ms.iter().zip(&r.cpu_util).enumerate() {
                    let next = r.sample_ms.get(k + 1).copied().unwrap_or(d).min(d);
                    let from = t.max(r.arrival_ms);
                    if next > from {
                        time_bins[bin(u)] += (next - from) as f64;
                    }
                }
                live.push(Reverse(Live {
                    departure: d,
                    memory_bits: r.memory_mb.to_bits(),
                }));
            }
            None => {
                let a = r.arrival_ms as f64;
                open_cpu += vcpus;
                open_cpu_t += vcpus * a;
                open_mem += r.memory_mb;
                open_mem_t += r.memory_mb * a;
                // Every sample but the last is closed; the last holds until the end.
                let n = r.sample_ms.len();
                for k in 0..n.saturating_sub(1) {
                    let from = r.sample_ms[k].max(r.arrival_ms);
                    let next = r.sample_ms[k + 1];
                    if next > from {
                        let span = (next - from) as f64;
                        s.cpu_hours_used += vcpus * r.cpu_util[k] * span / 3.6e6;
                        time_bins[bin(r.cpu_util[k])] += span;
                    }
                }
                if let Some(&u) = r.cpu_util.last() {
                    let from = last_sample.max(r.arrival_ms) as f64;
                    open_used += vcpus * u;
                    open_used_t += vcpus * u * from;
                    open_bins[bin(u)].0 += 1.0;
                    open_bins[bin(u)].1 += from;
                }
                live.push(Reverse(Live {
                    departure: i64::MAX,
                    memory_bits: r.memory_mb.to_bits(),
                }));
            }
        }
        live_memory += r.memory_mb;
        s.peak_vms = s.peak_vms.max(live.len());
        s.peak_memory_mb = s.peak_memory_mb.max(live_memory);
    }
    if s.vms == 0 {
        return Err(InputError::file(path, "the trace holds no VM requests")
            .hint("import a source that has some with `orrery trace import`"));
    }
    let e = end as f64;
    s.cpu_hours_requested += (open_cpu * e - open_cpu_t) / 3.6e6;
    s.memory_mb_hours += (open_mem * e - open_mem_t) / 3.6e6;
    s.cpu_hours_used += (open_used * e - open_used_t) / 3.6e6;
    for (k, (n, t)) in open_bins.iter().enumerate() {
        time_bins[k] += n * e - t;
    }
    let total: f64 = time_bins.iter().sum();
    if total > 0.0 {
        for (k, t) in time_bins.iter().enumerate() {
            s.utilisation[k] = t / total;
        }
    }
    s.start_s = start.unwrap_or(0) as f64 / 1000.0;
    s.end_s = e / 1000.0;
    Ok(s)
}

impl Summary {
    /// The summary as the terminal shows it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let days = (self.end_s - self.start_s) / 86_400.0;
        let _ = writeln!(
            out,
            "{} VM requests, {} utilisation samples{}",
            self.vms,
            self.samples,
            if self.source.is_empty() {
                String::new()
            } else {
                format!(" (imported from {})", self.source)
            }
        );
        let _ = writeln!(
            out,
            "time span: {:.0} s to {:.0} s ({days:.2} days)",
            self.start_s, self.end_s
        );
        let _ = writeln!(
            out,
            "CPU-hours: {:.1} requested, {:.1} used ({:.1} %)",
            self.cpu_hours_requested,
            self.cpu_hours_used,
            100.0 * self.cpu_hours_used / self.cpu_hours_requested.max(f64::MIN_POSITIVE)
        );
        let _ = writeln!(out, "memory: {:.1} MB-hours", self.memory_mb_hours);
        let _ = writeln!(
            out,
            "peak: {} VMs at once, {:.0} MB of memory at once",
            self.peak_vms, self.peak_memory_mb
        );
        let _ = writeln!(out, "utilisation (share of VM-time):");
        for (k, share) in self.utilisation.iter().enumerate() {
            let bar = "#".repeat((share * 50.0).round() as usize);
            let _ = writeln!(
                out,
                "  {:>3}-{:<3}% {:>5.1} % {bar}",
                k * 10,
                (k + 1) * 10,
                share * 100.0
            );
        }
        out
    }
}
