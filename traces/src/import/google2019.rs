//! Google's Borg trace of 2019 (ClusterData2019, "Google cluster-usage traces v3" and
//! `clusterdata_trace_format_v3.proto`), as the published JSON-lines exports: a directory
//! holding, per table, files whose name starts with it and ends in `.json`, `.jsonl` (or either
//! `.gz`), e.g. `instance_events-000000000000.json.gz`, or a folder named after the table.
//! Integers may be JSON numbers or strings (BigQuery writes 64-bit integers as strings); a
//! field that is absent or null is missing.
//!
//! - `machine_events`: `time`, `machine_id`, `type` (1 ADD, 2 REMOVE, 3 UPDATE),
//!   `capacity {cpus, memory}`, … (optional).
//! - `collection_events`: `collection_id`, `user`, … (optional; only the user is read).
//! - `instance_events`: `time`, `type` (0 SUBMIT, 1 QUEUE, 2 ENABLE, 3 SCHEDULE, 4 EVICT,
//!   5 FAIL, 6 FINISH, 7 KILL, 8 LOST, 9 UPDATE_PENDING, 10 UPDATE_RUNNING; the names are
//!   accepted too), `collection_id`, `scheduling_class`, `collection_type` (0 job, 1 alloc
//!   set), `priority`, `instance_index`, `resource_request {cpus, memory}`, ….
//! - `instance_usage`: `start_time`, `end_time`, `collection_id`, `instance_index`,
//!   `collection_type`, `average_usage {cpus, memory}`, … (optional).
//!
//! Times are microseconds since 600 s before the trace window, which opens at 00:00 PDT on
//! 1 May 2019 in every cell; 0 means before the window, 2^63 − 1 after it. CPU is in NCUs and
//! memory in bytes, both normalised to the largest machine of all the traces.
//!
//! Mapping: as the 2011 trace ([`super::google2011`]): ms = µs / 1000 from the source's origin
//! (wall-clock start 06:50 UTC, 1 May 2019); events at 2^63 − 1 dropped; machines → hosts
//! scaled to [`Options::machine`]; each run of an instance (SCHEDULE to EVICT, FAIL, FINISH,
//! KILL or LOST) → a VM request arriving at the SCHEDULE (`submit_ms` the SUBMIT), of the
//! request on the SCHEDULE row or the latest before it; usage window → a sample at its start of
//! `average_usage.cpus` ÷ the CPU request, gaps and the time after the last window at 0. The
//! VM `c-i` is instance i of collection c (later runs `c-i#2`, …), the collection's user its
//! tenant; `job`, `task_index`, `scheduling_class` and `priority` are attributes.
//!
//! Alloc sets (`collection_type` 1) are reservations for the tasks that run inside them, which
//! are imported themselves: the alloc instances' events and usage rows are dropped, so no
//! capacity counts twice. Dropped besides, and counted, as for 2011: requests that never ran, runs without a
//! request, requesting no CPU (Borg lets a task request 0 and use spare CPU) or shorter than
//! 1 ms, and usage without a rate, of unknown instances or outside their runs.
//!
//! A line that is not JSON, lacks a required field, has a negative time or an unknown event
//! type is an error naming the file and line.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use orrery_engine::error::InputError;
use serde_json::Value;

use super::google2011::{request, require_dir, table_files, Event, Hosts, Lifecycle, RunInfo};
use super::{open_text, Import, Options};

/// Wall-clock time of trace time 0: 600 s before the window's start, 00:00 PDT, 1 May 2019.
const START_UNIX_MS: i64 = 1_556_693_400_000;

/// Names a table's files end with.
const JSON: &[&str] = &[".json", ".json.gz", ".jsonl", ".jsonl.gz"];

/// Longest line read, bytes (a usage row is about 1.5 kB).
const MAX_LINE: u64 = 1 << 20;

/// Instance event types, by number.
const INSTANCE_EVENTS: [&str; 11] = [
    "SUBMIT",
    "QUEUE",
    "ENABLE",
    "SCHEDULE",
    "EVICT",
    "FAIL",
    "FINISH",
    "KILL",
    "LOST",
    "UPDATE_PENDING",
    "UPDATE_RUNNING",
];

/// Machine event types, by number.
const MACHINE_EVENTS: [&str; 4] = ["EVENT_TYPE_UNKNOWN", "ADD", "REMOVE", "UPDATE"];

const FIX: &str = "each line is one JSON object with the fields of the ClusterData2019 schema \
                   (clusterdata_trace_format_v3.proto); fix or remove the line";

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    require_dir(
        source,
        "instance_events, instance_usage, machine_events and collection_events",
    )?;
    out.start_unix_ms(START_UNIX_MS);
    let mut hosts = Hosts::default();
    for path in table_files(source, "machine_events", JSON)? {
        json_rows(&path, |_, v| {
            time(v, "time")?;
            let id = required(int(v, "machine_id")?, "machine_id")?;
            let kind = required(event_type(v, &MACHINE_EVENTS)?, "type")?;
            if !(0..=3).contains(&kind) {
                return Err(format!("`type` is {kind}; machine events are 0 to 3"));
            }
            let (cpus, memory) = resources(v, "capacity")?;
            hosts.event(id, if kind == 2 { None } else { cpus.zip(memory) });
            Ok(())
        })?;
    }
    hosts.finish(&options.machine, out);

    let mut users: HashMap<i64, String> = HashMap::new();
    for path in table_files(source, "collection_events", JSON)? {
        json_rows(&path, |_, v| {
            let id = required(int(v, "collection_id")?, "collection_id")?;
            if let Some(user) = v
                .get("user")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
            {
                users.entry(id).or_insert_with(|| user.to_string());
            }
            Ok(())
        })?;
    }

    let event_files = table_files(source, "instance_events", JSON)?;
    if event_files.is_empty() {
        return Err(InputError::file(source, "no instance_events table")
            .hint("put the instance events in `instance_events-*.json.gz` files"));
    }
    let mut tasks = Lifecycle::default();
    for path in event_files {
        let file = tasks.file(&path);
        json_rows(&path, |line, v| {
            let t = time(v, "time")?;
            if int(v, "collection_type")? == Some(1) {
                out.drop("instance events of alloc sets (the tasks in them are imported)");
                return Ok(());
            }
            let collection = required(int(v, "collection_id")?, "collection_id")?;
            let key = (
                collection,
                required(int(v, "instance_index")?, "instance_index")?,
            );
            let event = match required(event_type(v, &INSTANCE_EVENTS)?, "type")? {
                0 => Event::Submit,
                3 => Event::Schedule,
                4 => Event::End("evict"),
                5 => Event::End("fail"),
                6 => Event::End("finish"),
                7 => Event::End("kill"),
                8 => Event::End("lost"),
                1 | 2 | 9 | 10 => Event::Other,
                k => return Err(format!("`type` is {k}; instance events are 0 to 10")),
            };
            let (cpus, memory) = resources(v, "resource_request")?;
            let info = || RunInfo {
                tenant: users.get(&collection).cloned(),
                class: text(v, "scheduling_class"),
                priority: text(v, "priority"),
            };
            tasks.event(
                key,
                t,
                event,
                request(cpus, memory)?,
                info,
                (file, line as u64),
                out,
            );
            Ok(())
        })?;
    }
    for path in table_files(source, "instance_usage", JSON)? {
        json_rows(&path, |_, v| {
            let start = time(v, "start_time")?;
            let end = time(v, "end_time")?;
            if int(v, "collection_type")? == Some(1) {
                out.drop("usage rows of alloc sets");
                return Ok(());
            }
            let key = (
                required(int(v, "collection_id")?, "collection_id")?,
                required(int(v, "instance_index")?, "instance_index")?,
            );
            let (rate, _) = resources(v, "average_usage")?;
            if rate.is_some_and(|r| r < 0.0) {
                return Err("`average_usage.cpus` is negative".into());
            }
            tasks.usage(key, start, end, rate, out);
            Ok(())
        })?;
    }
    tasks.finish(options, out)
}

/// Reads the JSON-lines file `path` (gzip-compressed when its name ends in `.gz`) an object at
/// a time with its line, skipping blank lines; a line `each` refuses, or one that is not a JSON
/// object, is an error naming the file and the line.
fn json_rows(
    path: &Path,
    mut each: impl FnMut(usize, &Value) -> Result<(), String>,
) -> Result<(), InputError> {
    let at = |line: usize, m: String| InputError::file(path, m).at(line, None).hint(FIX);
    let mut reader = BufReader::new(open_text(path)?);
    let mut buf = Vec::new();
    for line in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| at(line, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        if n as u64 > MAX_LINE {
            return Err(at(
                line,
                format!("the line is longer than {MAX_LINE} bytes"),
            ));
        }
        if buf.trim_ascii().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_slice(&buf).map_err(|e| at(line, format!("not JSON: {e}")))?;
        if !value.is_object() {
            return Err(at(line, "not a JSON object".into()));
        }
        each(line, &value).map_err(|m| at(line, m))?;
    }
    Ok(())
}

/// `field` of `v` as an integer (a JSON integer or a string holding one); `None` if absent or
/// null.
fn int(v: &Value, field: &str) -> Result<Option<i64>, String> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(s.parse().ok()),
        Some(x) => Err(format!("`{field}` is {}, not an integer", short(x))),
    }
}

/// `field` of `v` as a finite number (JSON number or numeric string); `None` if absent or null.
fn num(v: &Value, field: &str) -> Result<Option<f64>, String> {
    let x = match v.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse::<f64>().ok(),
        Some(_) => None,
    };
    match x {
        Some(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(format!("`{field}` is {}, not a number", short(&v[field]))),
    }
}

/// The `cpus` and `memory` of the Resources structure `field` of `v`.
fn resources(v: &Value, field: &str) -> Result<(Option<f64>, Option<f64>), String> {
    match v.get(field) {
        None | Some(Value::Null) => Ok((None, None)),
        Some(r @ Value::Object(_)) => {
            let part = |p: &str| num(r, p).map_err(|m| format!("in `{field}`: {m}"));
            Ok((part("cpus")?, part("memory")?))
        }
        Some(x) => Err(format!("`{field}` is {}, not an object", short(x))),
    }
}

/// `field` of `v` as a trace time: an integer, never negative.
fn time(v: &Value, field: &str) -> Result<i64, String> {
    match required(int(v, field)?, field)? {
        t if t < 0 => Err(format!(
            "`{field}` is {t}; times are microseconds, never negative"
        )),
        t => Ok(t),
    }
}

/// The event `type` of `v`: its number, or the number of its name in `names`.
fn event_type(v: &Value, names: &[&str]) -> Result<Option<i64>, String> {
    let named = v
        .get("type")
        .and_then(Value::as_str)
        .and_then(|name| names.iter().position(|n| *n == name));
    match named {
        // At most 11 names.
        Some(k) => Ok(Some(k as i64)),
        None => int(v, "type"),
    }
}

/// `x` if present, else an error naming the missing `field`.
fn required<T>(x: Option<T>, field: &str) -> Result<T, String> {
    x.ok_or_else(|| format!("`{field}` is missing"))
}

/// `field` of `v` as text (a string as is, anything else as JSON; absent: empty).
fn text(v: &Value, field: &str) -> String {
    match v.get(field) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(x) => x.to_string(),
    }
}

/// A JSON value shortened for an error message.
fn short(x: &Value) -> String {
    x.to_string().chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Write as _;
    use std::path::Path;

    use crate::import::{import, Format, Machine, Options, Report};
    use crate::{TraceReader, VmRecord};

    /// A machine of 10 cores of 1000 MIPS and 1000 MB, so fractions read easily.
    fn options() -> Options {
        Options {
            machine: Machine {
                cores: 10,
                core_mips: 1000.0,
                memory_mb: 1000.0,
            },
            ..Options::default()
        }
    }

    fn run(src: &Path) -> (Report, Vec<VmRecord>) {
        let out = src.join("trace.parquet");
        let report = import(Format::Google2019, src, &out, &options()).unwrap();
        let vms = TraceReader::open(&out)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (report, vms)
    }

    const MACHINES: &str = r#"{"time":"0","machine_id":"1","type":"1","capacity":{"cpus":0.5,"memory":0.5},"platform_id":"p","switch_id":"s","missing_data_reason":null}
{"time":"0","machine_id":"2","type":1,"capacity":{"cpus":1,"memory":1}}
{"time":"700000000","machine_id":"2","type":"REMOVE","capacity":null}
"#;
    const COLLECTIONS: &str = r#"{"time":"0","type":"0","collection_id":"100","collection_type":"0","user":"alice","priority":"200"}
{"time":"0","type":"0","collection_id":"200","collection_type":"1","user":"svc"}
"#;
    /// Times in µs. 100-0: submitted, queued, enabled, run 600–4200 s. 100-1: running before
    /// the trace, never ends (its update ignored). 100-2: requests no CPU. 100-3: killed while
    /// waiting. 200-0: an alloc instance. 100-4: run 1800–2400 s, evicted, run from 3000 s,
    /// lost after the end.
    const EVENTS_0: &str = r#"{"time":"0","type":"3","collection_id":"100","instance_index":"1","collection_type":"0","scheduling_class":"2","priority":"200","resource_request":{"cpus":0.1,"memory":0.05}}
{"time":"0","type":"0","collection_id":"100","instance_index":"2","collection_type":"0","resource_request":{"cpus":0,"memory":0.1}}
{"time":"0","type":"0","collection_id":"100","instance_index":"3","collection_type":"0","resource_request":{"cpus":0.1,"memory":0.1}}
{"time":"0","type":"0","collection_id":"200","instance_index":"0","collection_type":"1","resource_request":{"cpus":0.5,"memory":0.5}}
{"time":"0","type":"3","collection_id":"200","instance_index":"0","collection_type":"1","resource_request":{"cpus":0.5,"memory":0.5}}

{"time":"300000000","type":"7","collection_id":"100","instance_index":"3","collection_type":"0"}
{"time":"600000000","type":"0","collection_id":"100","instance_index":"0","collection_type":"0","resource_request":{"cpus":0.2,"memory":0.1}}
{"time":"600000000","type":"1","collection_id":"100","instance_index":"0","collection_type":"0"}
{"time":"600000000","type":"2","collection_id":"100","instance_index":"0","collection_type":"0"}
{"time":"600000000","type":"SCHEDULE","collection_id":"100","instance_index":"0","collection_type":"0","scheduling_class":"3","priority":"200","resource_request":null}
{"time":"600000000","type":"3","collection_id":"100","instance_index":"2","collection_type":"0"}
{"time":"1000000000","type":"10","collection_id":"100","instance_index":"1","collection_type":"0","resource_request":{"cpus":0.5,"memory":0.5}}
{"time":"1200000000","type":"5","collection_id":"100","instance_index":"2","collection_type":"0"}
"#;
    const EVENTS_1: &str = r#"{"time":1800000000,"type":3,"collection_id":100,"instance_index":4,"collection_type":0,"resource_request":{"cpus":0.25,"memory":0.2}}
{"time":"2400000000","type":"4","collection_id":"100","instance_index":"4","collection_type":"0"}
{"time":"2400000000","type":"0","collection_id":"100","instance_index":"4","collection_type":"0"}
{"time":"3000000000","type":"3","collection_id":"100","instance_index":"4","collection_type":"0"}
{"time":"4200000000","type":"6","collection_id":"100","instance_index":"0","collection_type":"0"}
{"time":"9223372036854775807","type":"8","collection_id":"100","instance_index":"4","collection_type":"0"}
"#;
    const USAGE: &str = r#"{"start_time":"600000000","end_time":"900000000","collection_id":"100","instance_index":"0","collection_type":"0","average_usage":{"cpus":0.1,"memory":0.05}}
{"start_time":"600000000","end_time":"900000000","collection_id":"100","instance_index":"1","collection_type":"0","average_usage":{"cpus":0.05,"memory":0.01}}
{"start_time":"600000000","end_time":"900000000","collection_id":"200","instance_index":"0","collection_type":"1","average_usage":{"cpus":0.3,"memory":0.3}}
{"start_time":"900000000","end_time":"1200000000","collection_id":"100","instance_index":"0","collection_type":"0","average_usage":{"cpus":0.2,"memory":0.05}}
{"start_time":"1500000000","end_time":"1800000000","collection_id":"100","instance_index":"0","collection_type":"0","average_usage":{"cpus":0.05,"memory":0.05}}
{"start_time":"1800000000","end_time":"2100000000","collection_id":"100","instance_index":"4","collection_type":"0","average_usage":{"cpus":0.25,"memory":0.1}}
{"start_time":"2100000000","end_time":"2400000000","collection_id":"100","instance_index":"4","collection_type":"0","average_usage":{"cpus":0.5,"memory":0.1}}
{"start_time":"2400000000","end_time":"2700000000","collection_id":"100","instance_index":"0","collection_type":"0","average_usage":null}
{"start_time":"3000000000","end_time":"3300000000","collection_id":"100","instance_index":"4","collection_type":"0","average_usage":{"cpus":0.125,"memory":0.1}}
"#;

    fn fixture(dir: &Path) {
        std::fs::write(dir.join("machine_events-000000000000.json"), MACHINES).unwrap();
        std::fs::write(dir.join("collection_events-000000000000.json"), COLLECTIONS).unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(dir.join("instance_events-000000000000.json.gz")).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(EVENTS_0.as_bytes()).unwrap();
        gz.finish().unwrap();
        std::fs::write(dir.join("instance_events-000000000001.json"), EVENTS_1).unwrap();
        std::fs::write(dir.join("instance_usage-000000000000.jsonl"), USAGE).unwrap();
    }

    #[test]
    fn instance_runs_become_vm_requests_and_usage_samples() {
        let tmp = tempfile::tempdir().unwrap();
        fixture(tmp.path());
        let (report, vms) = run(tmp.path());
        let ids: Vec<&str> = vms.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["100-1", "100-0", "100-4", "100-4#2"]);
        let vm: BTreeMap<&str, &VmRecord> = vms.iter().map(|r| (r.id.as_str(), r)).collect();
        let a = vm["100-0"];
        assert_eq!((a.arrival_ms, a.departure_ms), (600_000, Some(4_200_000)));
        assert_eq!((a.vcpus, a.cpu_mips, a.memory_mb), (2, 1000.0, 100.0));
        assert_eq!(a.tenant.as_deref(), Some("alice"));
        assert_eq!(a.attributes["scheduling_class"], "3");
        assert_eq!(a.attributes["end"], "finish");
        assert_eq!(a.attributes["submit_ms"], "600000");
        assert_eq!(
            a.sample_ms,
            [600_000, 900_000, 1_200_000, 1_500_000, 1_800_000]
        );
        assert_eq!(a.cpu_util, [0.5, 1.0, 0.0, 0.25, 0.0]);
        let b = vm["100-1"];
        assert_eq!((b.arrival_ms, b.departure_ms, b.vcpus), (0, None, 1));
        assert_eq!(b.cpu_util, [0.5, 0.0]);
        assert_eq!(vm["100-4"].attributes["end"], "evict");
        assert_eq!(vm["100-4"].cpu_util, [1.0, 1.0]);
        assert_eq!(vm["100-4#2"].departure_ms, None);
        assert_eq!(report.capped, 1);
        assert_eq!(report.hosts, 2);
        let dropped: Vec<(&str, usize)> = report
            .dropped
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            dropped,
            [
                ("events after the end of the trace (time 2^63-1)", 1),
                (
                    "instance events of alloc sets (the tasks in them are imported)",
                    2
                ),
                ("requests that ended before they were scheduled", 1),
                ("runs requesting no CPU", 1),
                ("usage rows of alloc sets", 1),
                ("usage rows without a CPU rate", 1),
            ]
        );
    }

    #[test]
    fn vm_count_cpu_hours_and_memory_hours_are_conserved() {
        let tmp = tempfile::tempdir().unwrap();
        fixture(tmp.path());
        let (_, vms) = run(tmp.path());
        let end_ms = 7_200_000;
        // By hand, core-seconds (rate × 10 cores × window, capped at the request): 100-0:
        // 300 + 600 + 150; 100-1: 150; 100-4: 750 + 750 (0.5 capped at 0.25); 100-4#2: 375.
        let core_hours = (1050.0 + 150.0 + 1500.0 + 375.0) / 3600.0;
        // MB-seconds: 100 × 3600 + 50 × 7200 + 200 × 600 + 200 × 4200.
        let memory_hours = (360_000.0 + 360_000.0 + 120_000.0 + 840_000.0) / 3600.0;
        assert_eq!(vms.len(), 4);
        let got_cpu: f64 = vms
            .iter()
            .map(|r| r.cpu_hours_used(end_ms) * r.cpu_mips / 1000.0)
            .sum();
        let got_memory: f64 = vms.iter().map(|r| r.memory_mb_hours(end_ms)).sum();
        assert!(
            (got_cpu - core_hours).abs() <= 1e-9 * core_hours,
            "{got_cpu} vs {core_hours}"
        );
        assert!((got_memory - memory_hours).abs() <= 1e-9 * memory_hours);
    }

    #[test]
    fn a_malformed_line_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let ok = r#"{"time":"0","type":"0","collection_id":"1","instance_index":"0"}"#;
        // `name` holds a valid line, a blank one, then `line`.
        let bad = |name: &str, line: &str| {
            let first = match name.starts_with("instance_usage") {
                true => {
                    r#"{"start_time":"0","end_time":"1","collection_id":"1","instance_index":"0"}"#
                }
                false => ok,
            };
            let src = tmp.path().join(name.replace('.', "_"));
            std::fs::create_dir_all(&src).unwrap();
            std::fs::write(src.join("instance_events-0.json"), format!("{ok}\n")).unwrap();
            std::fs::write(src.join(name), format!("{first}\n\n{line}\n")).unwrap();
            let e = import(
                Format::Google2019,
                &src,
                &tmp.path().join("t.parquet"),
                &options(),
            )
            .unwrap_err();
            assert!(e.file.ends_with(name), "{e}");
            assert_eq!(e.line, Some(3), "{e}");
            assert!(e.hint.is_some());
            e.message
        };
        let m = bad("instance_events-1.json", "{\"time\": 5,");
        assert!(m.starts_with("not JSON"), "{m}");
        let m = bad(
            "instance_events-1.json",
            r#"{"time":"5","type":"0","instance_index":"0"}"#,
        );
        assert_eq!(m, "`collection_id` is missing");
        let m = bad("instance_events-1.json", r#"{"time":"-5","type":"0"}"#);
        assert!(m.contains("never negative"), "{m}");
        let m = bad(
            "instance_events-1.json",
            r#"{"time":"5","type":"BOGUS","collection_id":"1","instance_index":"0"}"#,
        );
        assert!(m.contains("`type` is \"BOGUS\", not an integer"), "{m}");
        let m = bad(
            "instance_events-1.json",
            r#"{"time":"5","type":"12","collection_id":"1","instance_index":"0"}"#,
        );
        assert!(m.contains("instance events are 0 to 10"), "{m}");
        let m = bad(
            "instance_usage-0.json",
            r#"{"start_time":"5","end_time":"6","collection_id":"1","instance_index":"0","average_usage":{"cpus":"x"}}"#,
        );
        assert!(
            m.contains("in `average_usage`: `cpus` is \"x\", not a number"),
            "{m}"
        );
    }
}
