//! Replaying an orrery trace (`workload.trace`): VM requests are read from the file as
//! simulated time reaches their arrival, so a run holds the VMs it has reached, not the file.
//!
//! Before the run the trace is read once to check every row and to learn its distinct VM sizes:
//! unless the scenario assigns its own types (`workload.trace_vm_types`), each size becomes a
//! VM type named `trace-{vcpus}x{mips}-{memory}mb`. A trace in another format
//! (`workload.trace_import`) is imported into a temporary file first, unlinked once open.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use orrery_engine::error::InputError;
use orrery_engine::metrics::accounting::BillingPeriod;
use orrery_engine::scenario::{Assignment, Scenario, VmTypeSection, DEFAULT_TENANT};
use orrery_engine::time::Millis;
use orrery_engine::view::VmView;
use orrery_engine::workload::Demand;
use orrery_traces::import::{import, Format, MemoryUnit, Options};
use orrery_traces::{TraceReader, TraceScan, VmRecord};

use super::build::VmPlan;

/// The trace attribute naming the host a VM already runs on when it arrives (`orrery live
/// snapshot` writes it): see [`VmPlan::host`].
pub const START_HOST: &str = "orrery.host";

/// Most distinct VM sizes a trace may bring as types of their own.
const MAX_SHAPES: usize = 10_000;

/// How trace VMs get their types.
#[derive(Debug)]
enum Types {
    /// By size: the index of each distinct size's type, in the order of `TraceScan::shapes`.
    Shapes(std::collections::BTreeMap<orrery_traces::Shape, usize>),
    /// The scenario's `trace_vm_types`, assigned by blocks or round robin over the trace's VMs.
    Assigned {
        types: Vec<usize>,
        assignment: Assignment,
        block: usize,
    },
}

/// The trace being replayed.
#[derive(Debug)]
pub(crate) struct TraceFeed {
    reader: TraceReader,
    next: Option<VmRecord>,
    types: Types,
    /// Records handed out so far.
    taken: usize,
}

/// A scenario with the trace's VM types added, and the feed of its VMs.
pub(crate) struct Prepared {
    pub scenario: Scenario,
    pub feed: TraceFeed,
}

/// Checks `workload.trace_import` without reading anything (for `orrery validate`).
pub(crate) fn check_import(scenario: &Scenario) -> Result<(), InputError> {
    import_options(scenario).map(|_| ())
}

/// The format and options of `workload.trace_import`, if set.
fn import_options(scenario: &Scenario) -> Result<Option<(Format, Options)>, InputError> {
    let Some(section) = &scenario.spec.workload.trace_import else {
        return Ok(None);
    };
    if section.format == "orrery" {
        return Ok(None);
    }
    let format = section.format.parse::<Format>().map_err(|m| {
        scenario
            .error_at("workload.trace_import.format", m)
            .hint("name one of the formats `orrery trace import --help` lists")
    })?;
    let mut options = Options::default();
    if let Some(unit) = &section.memory_unit {
        options.memory_unit = unit.parse::<MemoryUnit>().map_err(|m| {
            scenario
                .error_at("workload.trace_import.memory_unit", m)
                .hint("write kb, mb or gb")
        })?;
    }
    Ok(Some((format, options)))
}

/// A temporary file name no other run of this process or another uses.
fn temporary() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "orrery-import-{}-{}.parquet",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Reads the scenario's trace, if it has one: checks it, and returns the scenario with the
/// trace's VM types and the feed of its VMs.
pub(crate) fn prepare(scenario: &Scenario) -> Result<Option<Prepared>, InputError> {
    let w = &scenario.spec.workload;
    let Some(path) = &w.trace else {
        return Ok(None);
    };
    let path = scenario.resolve(path);
    let hint = |mut e: InputError| {
        if e.hint.is_none() {
            e.hint = Some("fix the trace or point workload.trace elsewhere".into());
        }
        e
    };
    let (scan, reader) = match import_options(scenario)? {
        None => (
            TraceReader::scan(&path).map_err(hint)?,
            TraceReader::open(&path).map_err(hint)?,
        ),
        Some((format, options)) => {
            let tmp = temporary();
            let opened = import(format, &path, &tmp, &options)
                .and_then(|_| Ok((TraceReader::scan(&tmp)?, TraceReader::open(&tmp)?)));
            let _ = std::fs::remove_file(&tmp);
            opened?
        }
    };
    let known = u64::try_from(scenario.estimate().vms).unwrap_or(u64::MAX);
    let room = scenario.spec.limits.max_vms.saturating_sub(known);
    if scan.vms as u64 > room {
        return Err(scenario
            .error_at(
                "workload.trace",
                format!(
                    "the trace holds {} VM requests, over the room of {room} left by limits.max_vms",
                    scan.vms
                ),
            )
            .hint("raise limits.max_vms or cut the trace"));
    }
    let mut scenario = scenario.clone();
    let types = assign_types(&mut scenario, &scan, &path)?;
    let mut feed = TraceFeed {
        reader,
        next: None,
        types,
        taken: 0,
    };
    feed.advance().map_err(hint)?;
    Ok(Some(Prepared { scenario, feed }))
}

/// Adds a VM type per distinct size of the trace to `scenario`, or resolves its
/// `trace_vm_types`.
fn assign_types(
    scenario: &mut Scenario,
    scan: &TraceScan,
    path: &Path,
) -> Result<Types, InputError> {
    let w = &scenario.spec.workload;
    if !w.trace_vm_types.is_empty() {
        let types: Vec<usize> = w
            .trace_vm_types
            .iter()
            .map(|n| scenario.vm_type_index(n).expect("validated"))
            .collect();
        return Ok(Types::Assigned {
            block: scan.vms.div_ceil(types.len()).max(1),
            assignment: w.vm_type_assignment,
            types,
        });
    }
    if scan.shapes.len() > MAX_SHAPES {
        return Err(InputError::file(
            path,
            format!(
                "the trace has {} distinct VM sizes, over the {MAX_SHAPES} that become types \
                 of their own",
                scan.shapes.len()
            ),
        )
        .hint("list the scenario's types in workload.trace_vm_types to assign them instead"));
    }
    let mut index = std::collections::BTreeMap::new();
    for shape in scan.shapes.keys() {
        let name = format!(
            "trace-{}x{}-{}mb",
            shape.vcpus,
            shape.mips(),
            shape.memory_mb()
        );
        let t = match scenario.vm_type_index(&name) {
            Some(t) => t,
            None => {
                scenario.spec.vm_types.push(VmTypeSection {
                    name,
                    vcpus: shape.vcpus,
                    mips: shape.mips(),
                    memory_mb: shape.memory_mb(),
                    max_vcpus: None,
                    max_memory_mb: None,
                    disk_gb: 0.0,
                    image: String::new(),
                    tenant: None,
                    crash_rate_per_day: 0.0,
                    price: 0.0,
                    billing_period: BillingPeriod::default(),
                    requirements: None,
                    vm_group: None,
                    role: None,
                    guaranteed: false,
                    high_reliability: false,
                    dirty_rate_mbs: 0.0,
                });
                scenario.spec.vm_types.len() - 1
            }
        };
        index.insert(*shape, t);
    }
    Ok(Types::Shapes(index))
}

impl TraceFeed {
    /// Reads the next record.
    fn advance(&mut self) -> Result<(), InputError> {
        self.next = self.reader.next().transpose()?;
        Ok(())
    }

    /// The trace's wall-clock start, ms since the epoch, if it records one.
    pub(crate) fn start_unix_ms(&self) -> Option<i64> {
        self.reader.start_unix_ms()
    }

    /// When the next VM arrives, if any is left.
    pub(crate) fn next_arrival(&self) -> Option<Millis> {
        self.next
            .as_ref()
            .map(|r| Millis::try_from(r.arrival_ms).unwrap_or(0))
    }

    /// The next VM's request, and reads the one after it. `types` are the scenario's VM types
    /// (for their tenants).
    pub(crate) fn take(&mut self, types: &[VmTypeSection]) -> Result<Option<VmPlan>, InputError> {
        let Some(r) = self.next.take() else {
            return Ok(None);
        };
        let t = match &self.types {
            Types::Shapes(index) => index[&orrery_traces::Shape::of(&r)],
            Types::Assigned {
                types,
                assignment,
                block,
            } => match assignment {
                Assignment::Blocks => types[(self.taken / block).min(types.len() - 1)],
                Assignment::RoundRobin => types[self.taken % types.len()],
            },
        };
        self.taken += 1;
        let ms = |v: i64| Millis::try_from(v).unwrap_or(0);
        let arrival = ms(r.arrival_ms);
        let tenant = r
            .tenant
            .or_else(|| types[t].tenant.clone())
            .unwrap_or_else(|| DEFAULT_TENANT.to_string());
        let plan = VmPlan {
            view: VmView::new(r.id, t, arrival),
            demand: Demand::Samples {
                times: r.sample_ms.into_iter().map(ms).collect(),
                values: r.cpu_util,
            },
            arrival,
            end: r.departure_ms.map(ms),
            tenant,
            host: r.attributes.get(START_HOST).cloned(),
        };
        self.advance()?;
        Ok(Some(plan))
    }
}
