//! Google's cluster-usage trace of 2011 (ClusterData2011_2, "format + schema" v2.1): a
//! directory holding three of its tables, headerless CSV (lines starting with `#` skipped),
//! each either one or more files named after the table (`task_events.csv`,
//! `task-events-sample-1.csv`, …) or the published layout, a folder of parts
//! (`task_events/part-00000-of-00500.csv.gz`); parts are read in name order, `.gz` decompressed.
//!
//! - `machine_events`: time, machine ID, event type (0 ADD, 1 REMOVE, 2 UPDATE), platform ID,
//!   CPU capacity, memory capacity.
//! - `task_events`: time, missing info, job ID, task index, machine ID, event type (0 SUBMIT,
//!   1 SCHEDULE, 2 EVICT, 3 FAIL, 4 FINISH, 5 KILL, 6 LOST, 7 UPDATE_PENDING,
//!   8 UPDATE_RUNNING), user, scheduling class, priority, CPU request, memory request, disk
//!   request, different-machine constraint.
//! - `task_usage`: start and end of the measurement window, job ID, task index, machine ID,
//!   mean CPU rate, then memory, disk, CPI and sampling columns (unused).
//!
//! Times are microseconds since 600 s before the trace window (which opens at 19:00 EDT on
//! 1 May 2011); 0 means before the window, 2^63 − 1 after it. Capacities, requests and rates
//! are normalised to the largest machine (CPU in cores, memory in bytes).
//!
//! Mapping:
//! - Time: ms = µs / 1000 (rounded down), keeping the source's origin, so the window opens at
//!   600 000 ms and things that existed before it sit at 0; the trace's wall-clock start is
//!   set to 22:50 UTC, 1 May 2011. Events at 2^63 − 1 happened after the end and are dropped
//!   (a run whose end is dropped runs to the end of the trace).
//! - Machines → hosts, one per machine ID, with its latest ADD or UPDATE capacity: CPU c →
//!   ⌈c × [`Options::machine`] cores⌉ cores of the MIPS that keeps c × cores × core MIPS;
//!   memory m → m × the machine's MB. Machines never given a capacity are dropped.
//! - Tasks → VM requests, one per run: a run starts at SCHEDULE and ends at the next EVICT,
//!   FAIL, FINISH, KILL or LOST (departure; its name in the attribute `end`), or at a second
//!   SCHEDULE (`end` = `rescheduled`), or not at all (runs to the end). Arrival is the
//!   SCHEDULE, not the SUBMIT: the simulator queues requests itself, and Borg's own wait would
//!   otherwise count as running time; the SUBMIT's time is kept as `submit_ms`. The first run
//!   of task i of job j is `j-i`, later ones `j-i#2`, `j-i#3`, …; `job`, `task_index`,
//!   `scheduling_class` and `priority` are attributes, the user the tenant.
//! - Request: the one on the SCHEDULE row, else the latest one given before it (updates while
//!   running are ignored); CPU r → ⌈r × cores⌉ vCPUs of the MIPS that keeps
//!   r × cores × core MIPS, memory m → m × the machine's MB.
//! - Usage: each window → a sample at its start (at the run's arrival if earlier) of mean CPU
//!   rate ÷ CPU request (a fraction of the VM's CPU; above 1 capped); a gap between windows,
//!   and the time after the last window, holds utilisation 0 (nothing measured). A window
//!   belongs to the task's latest run started by the window's start.
//! - Dropped, and counted: requests that ended or were still waiting without running, runs
//!   without a request, requesting no CPU or shorter than 1 ms, usage rows without a rate,
//!   shorter than 1 ms, of unknown tasks, outside the task's runs or overlapping an earlier
//!   window.
//!
//! A row that breaks the schema (too few columns, a non-number, a negative time, an unknown
//! event type) is an error naming the file and line. Events of a task are taken in file
//! order, which is time order in the published trace.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;

use super::{csv_rows, whole_cores, HostRecord, Import, Machine, Options, Row};
use crate::format::VmRecord;

/// Wall-clock time of trace time 0: 600 s before the window's start, 19:00 EDT on 1 May 2011.
const START_UNIX_MS: i64 = 1_304_290_200_000;

/// Trace time of events after the end of the trace window (2^63 − 1).
pub(super) const AFTER_END: i64 = i64::MAX;

/// Names a CSV table's parts end with.
const CSV: &[&str] = &[".csv", ".csv.gz"];

const MACHINE_FIX: &str = "machine_events rows are: time (µs), machine ID, event type (0 ADD, \
                           1 REMOVE, 2 UPDATE), platform ID, CPU capacity, memory capacity; fix or \
                           remove the row";
const TASK_FIX: &str = "task_events rows are: time (µs), missing info, job ID, task index, \
                        machine ID, event type (0-8), user, scheduling class, priority, CPU \
                        request, memory request, disk request, different-machine; fix or remove \
                        the row";
const USAGE_FIX: &str = "task_usage rows are: window start (µs), window end (µs), job ID, task \
                         index, machine ID, mean CPU rate, …; fix or remove the row";

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    require_dir(source, "machine_events, task_events and task_usage")?;
    out.start_unix_ms(START_UNIX_MS);
    let mut hosts = Hosts::default();
    for path in table_files(source, "machine_events", CSV)? {
        csv_rows(&path, MACHINE_FIX, |row| {
            row.columns(6, "machine_events")?;
            time(row, 0, "time")?;
            let id = row.int(1, "machine ID")?;
            let kind = row.int(2, "event type")?;
            if !(0..=2).contains(&kind) {
                return Err(format!(
                    "column 3 (event type) is {kind}; machine events are 0, 1 or 2"
                ));
            }
            let cpu = row.opt_num(4, "CPU capacity")?;
            let memory = row.opt_num(5, "memory capacity")?;
            hosts.event(id, if kind == 1 { None } else { cpu.zip(memory) });
            Ok(())
        })?;
    }
    hosts.finish(&options.machine, out);

    let task_files = table_files(source, "task_events", CSV)?;
    if task_files.is_empty() {
        return Err(InputError::file(source, "no task_events table").hint(
            "put the task events in `task_events/part-*.csv.gz` or a `task_events*.csv` file",
        ));
    }
    let mut tasks = Lifecycle::default();
    for path in task_files {
        let file = tasks.file(&path);
        csv_rows(&path, TASK_FIX, |row| {
            row.columns(11, "task_events")?;
            let t = time(row, 0, "time")?;
            let key = (row.int(2, "job ID")?, row.int(3, "task index")?);
            let event = match row.int(5, "event type")? {
                0 => Event::Submit,
                1 => Event::Schedule,
                2 => Event::End("evict"),
                3 => Event::End("fail"),
                4 => Event::End("finish"),
                5 => Event::End("kill"),
                6 => Event::End("lost"),
                7 | 8 => Event::Other,
                k => {
                    return Err(format!(
                        "column 6 (event type) is {k}; task events are 0 to 8"
                    ))
                }
            };
            let request = request(
                row.opt_num(9, "CPU request")?,
                row.opt_num(10, "memory request")?,
            )?;
            let info = || RunInfo {
                tenant: Some(row.text(6))
                    .filter(|u| !u.is_empty())
                    .map(str::to_string),
                class: row.text(7).to_string(),
                priority: row.text(8).to_string(),
            };
            tasks.event(key, t, event, request, info, (file, row.line()), out);
            Ok(())
        })?;
    }
    for path in table_files(source, "task_usage", CSV)? {
        csv_rows(&path, USAGE_FIX, |row| {
            row.columns(6, "task_usage")?;
            let start = time(row, 0, "window start")?;
            let end = time(row, 1, "window end")?;
            let key = (row.int(2, "job ID")?, row.int(3, "task index")?);
            let rate = row.opt_num(5, "mean CPU rate")?;
            if rate.is_some_and(|r| r < 0.0) {
                return Err("column 6 (mean CPU rate) is negative".into());
            }
            tasks.usage(key, start, end, rate, out);
            Ok(())
        })?;
    }
    tasks.finish(options, out)
}

/// Fails unless `source` is a directory (it should hold `tables`).
pub(super) fn require_dir(source: &Path, tables: &str) -> Result<(), InputError> {
    if source.is_dir() {
        Ok(())
    } else {
        Err(InputError::file(source, "not a directory").hint(format!(
            "give the directory holding the trace's {tables} tables"
        )))
    }
}

/// Column `i` of `row` as a trace time: an integer, never negative.
fn time(row: &Row, i: usize, name: &str) -> Result<i64, String> {
    match row.int(i, name)? {
        t if t < 0 => Err(format!(
            "column {} ({name}) is {t}; times are microseconds, never negative",
            i + 1
        )),
        t => Ok(t),
    }
}

/// A resource request from its CPU and memory parts: both or neither (an event without one
/// keeps the task's last), never negative.
pub(super) fn request(cpu: Option<f64>, memory: Option<f64>) -> Result<Option<(f64, f64)>, String> {
    match cpu.zip(memory) {
        Some((c, m)) if c < 0.0 || m < 0.0 => Err(format!(
            "the request (CPU {c}, memory {m}) is negative; requests are fractions of the \
             largest machine"
        )),
        r => Ok(r),
    }
}

/// The files of table `table` in `source`, in name order: those in the folder `table` (the
/// published layout) and those directly in `source` whose name, `-` read as `_`, starts with
/// `table`; each ending in one of `exts`.
pub(super) fn table_files(
    source: &Path,
    table: &str,
    exts: &[&str],
) -> Result<Vec<PathBuf>, InputError> {
    let wanted = |name: &str| !name.starts_with('.') && exts.iter().any(|e| name.ends_with(e));
    let mut files = Vec::new();
    for (dir, prefixed) in [(source.to_path_buf(), true), (source.join(table), false)] {
        if !dir.is_dir() {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            InputError::file(&dir, format!("cannot list: {e}")).hint("check the source directory")
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                InputError::file(&dir, format!("cannot list: {e}"))
                    .hint("check the source directory")
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let named = !prefixed || name.replace('-', "_").starts_with(table);
            if named && wanted(&name) && entry.path().is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Machines seen in machine events, in order of first appearance, with their latest capacity
/// (CPU, memory: fractions of the largest machine).
#[derive(Default)]
pub(super) struct Hosts {
    index: HashMap<i64, usize>,
    list: Vec<(i64, Option<(f64, f64)>)>,
}

impl Hosts {
    /// Records an event of machine `id`, giving its capacity if it has one.
    pub(super) fn event(&mut self, id: i64, capacity: Option<(f64, f64)>) {
        let k = *self.index.entry(id).or_insert_with(|| {
            self.list.push((id, None));
            self.list.len() - 1
        });
        if capacity.is_some() {
            self.list[k].1 = capacity;
        }
    }

    /// Hands the machines to `out`, scaled to `machine` (the largest).
    pub(super) fn finish(self, machine: &Machine, out: &mut Import) {
        for (id, capacity) in self.list {
            match capacity {
                Some((cpu, memory)) if cpu > 0.0 && memory >= 0.0 => {
                    let (cores, core_mips) =
                        whole_cores(cpu * f64::from(machine.cores), machine.core_mips);
                    out.host(HostRecord {
                        name: id.to_string(),
                        machine: Machine {
                            cores,
                            core_mips,
                            memory_mb: memory * machine.memory_mb,
                        },
                    });
                }
                _ => out.drop("machines without a capacity"),
            }
        }
    }
}

/// What an event does to a task's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    /// Submitted (again): waits to be scheduled.
    Submit,
    /// Placed on a machine: a run starts.
    Schedule,
    /// Descheduled or ended, named.
    End(&'static str),
    /// Anything else (queued, enabled, its request updated).
    Other,
}

/// What a run records of the task beside its times and request.
pub(super) struct RunInfo {
    /// The owner.
    pub(super) tenant: Option<String>,
    /// Scheduling class, as the source writes it.
    pub(super) class: String,
    /// Priority, as the source writes it.
    pub(super) priority: String,
}

/// One run of a task: a VM request.
struct Run {
    arrival: i64,
    departure: Option<i64>,
    end: Option<&'static str>,
    submit: Option<i64>,
    request: Option<(f64, f64)>,
    info: RunInfo,
    /// The SCHEDULE row: file (index into `Lifecycle::files`) and line.
    place: (usize, u64),
    /// Samples so far: time (ms) and CPU rate (normalised, as the source has it).
    samples: Vec<(i64, f64)>,
    /// End of the last usage window (ms).
    measured_until: Option<i64>,
}

/// A task's state while its events are read.
#[derive(Default)]
struct Task {
    request: Option<(f64, f64)>,
    submitted: Option<i64>,
    running: bool,
    runs: Vec<Run>,
}

/// Google tasks (2011) or instances (2019) built up from their events and usage windows,
/// keyed by (job or collection ID, index).
#[derive(Default)]
pub(super) struct Lifecycle {
    tasks: BTreeMap<(i64, i64), Task>,
    files: Vec<PathBuf>,
}

impl Lifecycle {
    /// Registers an events file; its index goes with each event read from it.
    pub(super) fn file(&mut self, path: &Path) -> usize {
        self.files.push(path.to_path_buf());
        self.files.len() - 1
    }

    /// Applies `event` of task `key` at `time_us`, from row `place`; `request` is the row's
    /// (if it gives one) and `info` what a run it starts records.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn event(
        &mut self,
        key: (i64, i64),
        time_us: i64,
        event: Event,
        request: Option<(f64, f64)>,
        info: impl FnOnce() -> RunInfo,
        place: (usize, u64),
        out: &mut Import,
    ) {
        if time_us == AFTER_END {
            out.drop("events after the end of the trace (time 2^63-1)");
            return;
        }
        let t = time_us / 1000;
        let task = self.tasks.entry(key).or_default();
        if request.is_some() {
            task.request = request;
        }
        match event {
            Event::Submit if !task.running => {
                task.submitted.get_or_insert(t);
            }
            Event::Schedule => {
                if task.running {
                    if let Some(run) = task.runs.last_mut() {
                        run.departure = Some(t);
                        run.end = Some("rescheduled");
                    }
                }
                task.running = true;
                task.runs.push(Run {
                    arrival: t,
                    departure: None,
                    end: None,
                    submit: task.submitted.take(),
                    request: task.request,
                    info: info(),
                    place,
                    samples: Vec::new(),
                    measured_until: None,
                });
            }
            Event::End(how) if task.running => {
                task.running = false;
                if let Some(run) = task.runs.last_mut() {
                    run.departure = Some(t);
                    run.end = Some(how);
                }
            }
            Event::End(_) => {
                task.submitted = None;
                out.drop("requests that ended before they were scheduled");
            }
            Event::Submit | Event::Other => {}
        }
    }

    /// Adds a usage window of task `key`, `start_us` to `end_us`, of mean CPU `rate`.
    pub(super) fn usage(
        &mut self,
        key: (i64, i64),
        start_us: i64,
        end_us: i64,
        rate: Option<f64>,
        out: &mut Import,
    ) {
        if start_us == AFTER_END || end_us == AFTER_END {
            return out.drop("usage after the end of the trace (time 2^63-1)");
        }
        let Some(rate) = rate else {
            return out.drop("usage rows without a CPU rate");
        };
        let (start, end) = (start_us / 1000, end_us / 1000);
        if end <= start {
            return out.drop("usage windows shorter than 1 ms");
        }
        let Some(task) = self.tasks.get_mut(&key) else {
            return out.drop("usage of tasks without events");
        };
        let k = task.runs.partition_point(|r| r.arrival <= start);
        let run = match k.checked_sub(1) {
            Some(k) => &mut task.runs[k],
            None => match task.runs.first_mut() {
                Some(run) if end > run.arrival => run,
                _ => return out.drop("usage outside the task's runs"),
            },
        };
        if run.departure.is_some_and(|d| start >= d) {
            return out.drop("usage outside the task's runs");
        }
        let t = start.max(run.arrival);
        if let Some(until) = run.measured_until {
            if t < until {
                return out.drop("usage windows overlapping an earlier one");
            }
            if until < t {
                run.samples.push((until, 0.0));
            }
        }
        run.samples.push((t, rate));
        run.measured_until = Some(end);
    }

    /// Hands every run to `out` as a VM request, requests scaled to [`Options::machine`].
    pub(super) fn finish(self, options: &Options, out: &mut Import) -> Result<(), InputError> {
        let m = &options.machine;
        for ((job, index), task) in self.tasks {
            if task.submitted.is_some() {
                out.drop("requests still waiting at the end of the trace");
            }
            for (k, mut run) in task.runs.into_iter().enumerate() {
                let Some((cpu, memory)) = run.request else {
                    out.drop("runs without a resource request");
                    continue;
                };
                if cpu <= 0.0 {
                    out.drop("runs requesting no CPU");
                    continue;
                }
                if run.departure.is_some_and(|d| d <= run.arrival) {
                    out.drop("runs shorter than 1 ms");
                    continue;
                }
                if let Some(until) = run.measured_until {
                    if run.departure.is_none_or(|d| until < d) {
                        run.samples.push((until, 0.0));
                    }
                }
                let id = match k {
                    0 => format!("{job}-{index}"),
                    k => format!("{job}-{index}#{}", k + 1),
                };
                let (vcpus, cpu_mips) = whole_cores(cpu * f64::from(m.cores), m.core_mips);
                let mut attributes = BTreeMap::from([
                    ("job".to_string(), job.to_string()),
                    ("task_index".to_string(), index.to_string()),
                    ("scheduling_class".to_string(), run.info.class),
                    ("priority".to_string(), run.info.priority),
                ]);
                if let Some(end) = run.end {
                    attributes.insert("end".into(), end.into());
                }
                if let Some(s) = run.submit {
                    attributes.insert("submit_ms".into(), s.to_string());
                }
                let record = VmRecord {
                    id: id.clone(),
                    arrival_ms: run.arrival,
                    departure_ms: run.departure,
                    vcpus,
                    cpu_mips,
                    memory_mb: memory * m.memory_mb,
                    tenant: run.info.tenant,
                    vm_type: None,
                    attributes,
                    sample_ms: run.samples.iter().map(|s| s.0).collect(),
                    cpu_util: run.samples.iter().map(|s| s.1 / cpu).collect(),
                };
                let (file, line) = run.place;
                out.vm(
                    &self.files[file],
                    &format!("line {line} (task {id})"),
                    record,
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Write as _;
    use std::path::Path;

    use crate::import::{import, Format, Machine, Options, Report};
    use crate::{TraceReader, VmRecord};

    /// A machine of 10 cores of 1000 MIPS and 1000 MB, so fractions read easily.
    fn options(dir: &Path) -> Options {
        Options {
            machine: Machine {
                cores: 10,
                core_mips: 1000.0,
                memory_mb: 1000.0,
            },
            hosts_out: Some(dir.join("hosts.csv")),
            ..Options::default()
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn run(src: &Path, options: &Options) -> (Report, Vec<VmRecord>) {
        let out = src.join("trace.parquet");
        let report = import(Format::Google2011, src, &out, options).unwrap();
        let vms = TraceReader::open(&out)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (report, vms)
    }

    const MACHINES: &str = "\
0,1,0,p,0.5,0.5
0,2,0,p,1,1
5000000,2,2,p,0.75,1
6000000,3,1,p,,
";

    /// Tasks, times in µs (600 s = 600000000). 10-0: submitted, run 600–4200 s. 10-1: run
    /// 600–1200 s, evicted, resubmitted, run 1800–5400 s. 10-2: killed while waiting. 11-0:
    /// running before the trace, never ends. 11-1: requests no CPU. 11-2: still waiting.
    /// 12-0: scheduled after the end. 12-1: run from 3000 s, its end after the trace's.
    const EVENTS_0: &str = "\
0,,10,0,,0,alice,2,9,0.2,0.1,0,0
0,,10,1,,0,bob,2,9,0.25,0.2,0,0
0,,10,2,,0,bob,2,9,0.1,0.1,0,0
0,,11,0,5,1,carol,3,11,0.1,0.05,0,0
0,,12,0,,0,dave,0,0,0.1,0.1,0,0
300000000,,10,2,,5,bob,2,9,,,,
600000000,,10,0,1,1,alice,2,9,,,,
600000000,,10,1,2,1,bob,2,9,0.25,0.2,0,0
600000000,,11,1,,0,erin,0,0,0,0.1,0,0
600000000,,11,1,1,1,erin,0,0,,,,
900000000,,11,2,,0,frank,0,0,0.1,0.1,0,0
1200000000,,10,1,2,2,bob,2,9,,,,
1200000000,,10,1,,0,bob,2,9,,,,
1200000000,,11,1,1,4,erin,0,0,,,,
";
    const EVENTS_1: &str = "\
1800000000,,10,1,3,1,bob,2,9,,,,
3000000000,,12,1,4,1,gina,1,5,0.1,0.1,0,0
4200000000,,10,0,1,4,alice,2,9,,,,
5400000000,,10,1,3,5,bob,2,9,,,,
9223372036854775807,,12,0,,1,dave,0,0,,,,
9223372036854775807,,12,1,4,4,gina,1,5,,,,
";
    /// Usage: 10-0 has a gap (1200–1500 s); 10-1 uses twice its request once (capped), has a
    /// window between its runs and one overlapping the one before; then a window of an
    /// unknown task, one without a rate and one after the end.
    const USAGE: &str = "\
#start,end,job,index,machine,rate
600000000,900000000,10,0,1,0.1
600000000,900000000,10,1,2,0.25
600000000,900000000,11,0,5,0.05
900000000,1200000000,10,0,1,0.2
900000000,1200000000,10,1,2,0.5
1300000000,1500000000,10,1,2,0.1
1500000000,1800000000,10,0,1,0.05
1800000000,2100000000,10,1,3,0.125
2000000000,2300000000,10,1,3,0.125
2100000000,2400000000,99,0,3,0.1
2400000000,2700000000,10,0,1,
9223372036854775807,9223372036854775807,12,1,4,0.1
";

    /// The fixture in the published layout (task events in gzip and plain parts) beside
    /// single-file tables.
    fn fixture(dir: &Path) {
        write(&dir.join("machine_events.csv"), MACHINES);
        let part0 = dir.join("task_events/part-00000-of-00002.csv.gz");
        std::fs::create_dir_all(part0.parent().unwrap()).unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&part0).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(EVENTS_0.as_bytes()).unwrap();
        gz.finish().unwrap();
        write(&dir.join("task_events/part-00001-of-00002.csv"), EVENTS_1);
        write(&dir.join("task-usage-sample-1.csv"), USAGE);
    }

    fn by_id(vms: &[VmRecord]) -> BTreeMap<&str, &VmRecord> {
        vms.iter().map(|r| (r.id.as_str(), r)).collect()
    }

    #[test]
    fn runs_become_vm_requests_and_usage_windows_samples() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fixture(dir);
        let (report, vms) = run(dir, &options(dir));
        let ids: Vec<&str> = vms.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["11-0", "10-0", "10-1", "10-1#2", "12-1"]);
        let vm = by_id(&vms);

        let a = vm["10-0"];
        assert_eq!((a.arrival_ms, a.departure_ms), (600_000, Some(4_200_000)));
        // 0.2 of 10 cores; 0.1 of 1000 MB (the SUBMIT's request: the SCHEDULE gives none).
        assert_eq!((a.vcpus, a.cpu_mips, a.memory_mb), (2, 1000.0, 100.0));
        assert_eq!(a.tenant.as_deref(), Some("alice"));
        assert_eq!(a.attributes["end"], "finish");
        assert_eq!(a.attributes["submit_ms"], "0");
        assert_eq!(a.attributes["job"], "10");
        assert_eq!(a.attributes["priority"], "9");
        // Rates ÷ 0.2; the gap and the time after the last window hold 0.
        assert_eq!(
            a.sample_ms,
            [600_000, 900_000, 1_200_000, 1_500_000, 1_800_000]
        );
        assert_eq!(a.cpu_util, [0.5, 1.0, 0.0, 0.25, 0.0]);

        // 2.5 cores: 3 vCPUs of 833.3 MIPS.
        let b1 = vm["10-1"];
        assert_eq!((b1.arrival_ms, b1.departure_ms), (600_000, Some(1_200_000)));
        assert_eq!(b1.vcpus, 3);
        assert!((b1.cpu_mips - 2500.0 / 3.0).abs() < 1e-9);
        assert_eq!(b1.attributes["end"], "evict");
        assert_eq!(b1.cpu_util, [1.0, 1.0]);
        let b2 = vm["10-1#2"];
        assert_eq!(
            (b2.arrival_ms, b2.departure_ms),
            (1_800_000, Some(5_400_000))
        );
        assert_eq!(b2.attributes["end"], "kill");
        assert_eq!(b2.attributes["submit_ms"], "1200000");
        assert_eq!(b2.sample_ms, [1_800_000, 2_100_000]);
        assert_eq!(b2.cpu_util, [0.5, 0.0]);

        let d = vm["11-0"];
        assert_eq!((d.arrival_ms, d.departure_ms), (0, None));
        assert!(!d.attributes.contains_key("submit_ms"));
        let h = vm["12-1"];
        assert_eq!((h.arrival_ms, h.departure_ms), (3_000_000, None));
        assert!(h.sample_ms.is_empty());

        assert_eq!(report.capped, 1);
        let dropped: Vec<(&str, usize)> = report
            .dropped
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            dropped,
            [
                ("events after the end of the trace (time 2^63-1)", 2),
                ("machines without a capacity", 1),
                ("requests still waiting at the end of the trace", 2),
                ("requests that ended before they were scheduled", 1),
                ("runs requesting no CPU", 1),
                ("usage after the end of the trace (time 2^63-1)", 1),
                ("usage of tasks without events", 1),
                ("usage outside the task's runs", 1),
                ("usage rows without a CPU rate", 1),
                ("usage windows overlapping an earlier one", 1),
            ]
        );
        // Machine 2's UPDATE: 7.5 cores → 8 of 937.5 MIPS.
        assert_eq!(report.hosts, 2);
        assert_eq!(
            std::fs::read_to_string(dir.join("hosts.csv")).unwrap(),
            "name,cores,core_mips,memory_mb\n1,5,1000,500\n2,8,937.5,1000\n"
        );
        let meta = parquet::file::reader::SerializedFileReader::new(
            std::fs::File::open(dir.join("trace.parquet")).unwrap(),
        )
        .unwrap();
        let start = parquet::file::reader::FileReader::metadata(&meta)
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .find(|kv| kv.key == crate::format::START_KEY)
            .and_then(|kv| kv.value.clone());
        assert_eq!(start.as_deref(), Some("1304290200000"));
    }

    #[test]
    fn vm_count_cpu_hours_and_memory_hours_are_conserved() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fixture(dir);
        let options = options(dir);
        let (_, vms) = run(dir, &options);
        let end_ms = 7_200_000;
        // By hand from the fixture, in core-seconds (rate × 10 cores × window, the rate capped
        // at the request): 10-0: 1 × 300 + 2 × 300 + 0.5 × 300 = 1050; 10-1: 2.5 × 300 +
        // 2.5 × 300 (0.5 capped at 0.25) + 1.25 × 300 = 1875; 11-0: 0.5 × 300 = 150.
        let core_hours = (1050.0 + 1875.0 + 150.0) / 3600.0;
        // MB-seconds: 10-0 100 MB × 3600 s; 10-1 200 MB × (600 + 3600) s; 11-0 50 MB × 7200 s
        // (to the end); 12-1 100 MB × 4200 s (to the end).
        let memory_hours =
            (100.0 * 3600.0 + 200.0 * 4200.0 + 50.0 * 7200.0 + 100.0 * 4200.0) / 3600.0;
        assert_eq!(vms.len(), 5);
        let got_cpu: f64 = vms
            .iter()
            .map(|r| r.cpu_hours_used(end_ms) * r.cpu_mips / options.machine.core_mips)
            .sum();
        let got_memory: f64 = vms.iter().map(|r| r.memory_mb_hours(end_ms)).sum();
        assert!(
            (got_cpu - core_hours).abs() <= 1e-9 * core_hours,
            "{got_cpu} vs {core_hours}"
        );
        assert!((got_memory - memory_hours).abs() <= 1e-9 * memory_hours);
    }

    #[test]
    fn a_malformed_row_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let bad = |file: &str, text: &[u8]| {
            let src = dir.join(file.replace(['/', '.'], "_"));
            write(
                &src.join("task_events.csv"),
                "0,,1,0,,0,u,0,0,0.1,0.1,0,0\n",
            );
            std::fs::create_dir_all(src.join(file).parent().unwrap()).unwrap();
            std::fs::write(src.join(file), text).unwrap();
            import(
                Format::Google2011,
                &src,
                &dir.join("t.parquet"),
                &options(dir),
            )
            .unwrap_err()
        };
        // Line 3, after a `#` header: the CPU request is not a number.
        let e = bad(
            "task_events.csv",
            b"#header\n0,,1,0,,0,u,0,0,0.1,0.1,0,0\n0,,1,1,,0,u,0,0,lots,0.1,0,0\n",
        );
        assert!(e.file.ends_with("task_events.csv"), "{e}");
        assert_eq!(e.line, Some(3), "{e}");
        assert!(
            e.message.contains("column 10 (CPU request) is `lots`"),
            "{e}"
        );
        assert!(
            e.hint.as_deref().unwrap().contains("fix or remove the row"),
            "{e}"
        );
        let e = bad("task_events.csv", b"0,,1,0,,9,u,0,0,0.1,0.1,0,0\n");
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("event type) is 9"), "{e}");
        let e = bad(
            "task_usage/part-00000-of-00001.csv",
            b"5,6,1,0\n1,-2,1,0,0,0.1\n",
        );
        assert!(e.file.ends_with("part-00000-of-00001.csv"), "{e}");
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("4 columns"), "{e}");
        let e = bad("machine_events.csv", b"0,1,0,p,1,1\n-1,2,0,p,1,1\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("never negative"), "{e}");
        let e = bad(
            "task_events.csv",
            b"0,,1,0,,0,u,0,0,0.1,0.1,0,0\n0,,1,1,,0,\xff,0\n",
        );
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("not readable as CSV"), "{e}");
    }

    #[test]
    fn a_source_without_task_events_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        write(&tmp.path().join("machine_events.csv"), MACHINES);
        let e = import(
            Format::Google2011,
            tmp.path(),
            &tmp.path().join("t.parquet"),
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("no task_events table"), "{e}");
    }

    #[test]
    fn the_shared_sample_imports() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let sample = orrery_engine::workload::trace::shared_data(repo).join("traces/google-2011");
        if !sample.is_dir() {
            eprintln!("skipped: no {}", sample.display());
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("trace.parquet");
        let options = Options {
            hosts_out: Some(tmp.path().join("hosts.csv")),
            ..Options::default()
        };
        let report = import(Format::Google2011, &sample, &out, &options).unwrap();
        // 11 runs (task 2-0 is evicted and runs again), each with one usage window; every
        // window but 1-0's and 1-1's uses more than its request (capped).
        assert_eq!((report.vms, report.samples, report.capped), (11, 11, 9));
        assert!(report.dropped.is_empty(), "{:?}", report.dropped);
        assert_eq!(report.hosts, 6);
        let vms = TraceReader::open(&out)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let vm = by_id(&vms);
        let t = vm["1-0"];
        assert_eq!((t.arrival_ms, t.departure_ms), (10_000, Some(50_000)));
        // 0.125 of 32 cores; the SCHEDULE row's memory request.
        assert_eq!((t.vcpus, t.cpu_mips), (4, 2500.0));
        assert!((t.memory_mb - 0.09082 * 131_072.0).abs() < 1e-6);
        assert_eq!(t.sample_ms, [10_000]);
        assert!((t.cpu_util[0] - 0.8).abs() < 1e-12);
        assert_eq!(vm["2-0"].departure_ms, Some(30_000));
        assert_eq!(vm["2-0#2"].arrival_ms, 42_000);
        assert_eq!(vm["2-2"].attributes["end"], "fail");
        let hosts = std::fs::read_to_string(tmp.path().join("hosts.csv")).unwrap();
        let first: Vec<&str> = hosts.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(first[..3], ["10", "16", "2500"]);
        let memory: f64 = first[3].parse().unwrap();
        assert!((memory - 0.2493 * 131_072.0).abs() < 1e-6);
    }
}
