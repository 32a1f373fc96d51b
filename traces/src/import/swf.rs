//! The Standard Workload Format, version 2.2 (`swf`: the Parallel Workloads Archive's logs): one
//! file, `.swf` or gzipped `.swf.gz`. Lines starting with `;` are comments, the header among them
//! (`; MaxProcs: 128`, `; UnixStartTime: 1133423780`, …); every other non-blank line is a job of
//! 18 whitespace-separated fields, -1 where a field is missing: 1 job number, 2 submit time
//! (s from the log's start), 3 wait time (s), 4 run time (s, wall clock), 5 allocated
//! processors, 6 average CPU time used (s a processor, user and system), 7 used memory (KB a
//! processor), 8 requested processors, 9 requested time, 10 requested memory (KB a processor),
//! 11 status (1 completed, 0 failed, 5 cancelled; 2, 3 and 4 mark partial executions of a
//! checkpointed or swapped job), 12 user, 13 group, 14 executable, 15 queue, 16 partition,
//! 17 preceding job, 18 think time. Times may be fractional.
//!
//! Mapping: a job → a VM request: `id` = job number, `tenant` = user, attributes `status`,
//! `queue` and `partition` (where given); arrival = submit time; the job starts after its wait
//! (a missing wait counts as 0) and departure = start + run time, so the VM spans its queueing
//! too, idle then. `vcpus` = allocated processors, or the requested where that is missing;
//! `cpu_mips` = [`Options::vm`]'s (the log gives no processor speed); `memory_mb` = used memory
//! a processor, or the requested where that is missing, × processors / 1000 (KB of 1000
//! bytes), 0 when the log gives neither. Utilisation: a sample of 0 at arrival when the job
//! waits, then at the start one of average CPU time / run time; where the log has no CPU time,
//! 1.0, the job keeping its processors busy (what a batch scheduler's accounting assumes).
//! Above 1 it is capped (and counted). `UnixStartTime` sets the trace's wall-clock start.
//!
//! Dropped and counted: jobs cancelled before starting (status 5 and no positive run time),
//! other jobs without a positive run time, jobs with no processor count, jobs on more processors
//! than a VM may have ([`MAX_VCPUS`]), and partial-execution lines (status 2 to 4), whose job
//! the log summarises in a line of its own.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use orrery_engine::error::InputError;

use super::{open_text, Import, MemoryUnit, Options};
use crate::format::{VmRecord, MAX_VCPUS};

/// Fields a job line has.
const FIELDS: usize = 18;
/// Largest time in s accepted (about 3 × 10^5 years, far below overflow in ms).
const MAX_S: f64 = 1e13;

/// A field's value, `None` where it is -1 (missing); other negatives are refused.
fn optional(text: &str, name: &str) -> Result<Option<f64>, String> {
    let v: f64 = text.parse().map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        format!("`{name}` is `{shown}`, not a number")
    })?;
    if v == -1.0 {
        Ok(None)
    } else if v.is_finite() && v >= 0.0 {
        Ok(Some(v))
    } else {
        Err(format!(
            "`{name}` is {v}; it is 0 or more, or -1 where missing"
        ))
    }
}

/// Seconds as ms.
fn ms(seconds: f64, name: &str) -> Result<i64, String> {
    if seconds > MAX_S {
        return Err(format!("`{name}` is {seconds} s, beyond any log's length"));
    }
    Ok((seconds * 1000.0).round() as i64)
}

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    if source.is_dir() {
        return Err(InputError::file(source, "a directory, not an SWF file")
            .hint("give the .swf (or .swf.gz) file"));
    }
    let mut reader = std::io::BufReader::new(open_text(source)?);
    let mut text = String::new();
    let mut line = 0usize;
    let mut start_unix_s: Option<i64> = None;
    // Job number → the line it is on.
    let mut seen: HashMap<String, usize> = HashMap::new();
    loop {
        text.clear();
        let read = reader.read_line(&mut text).map_err(|e| {
            InputError::file(source, format!("cannot read after line {line}: {e}"))
                .hint("check that the file is the archive's own, whole and unaltered")
        })?;
        if read == 0 {
            break;
        }
        line += 1;
        let fail = |m: String| {
            InputError::file(source, m)
                .at(line, None)
                .hint("fix or remove that line (docs/traces.md gives the format)")
        };
        let trimmed = text.trim();
        if let Some(comment) = trimmed.strip_prefix(';') {
            if let Some(value) = comment.trim().strip_prefix("UnixStartTime:") {
                if start_unix_s.is_none() {
                    let value = value.trim();
                    let s = value.parse().map_err(|_| {
                        fail(format!(
                            "`UnixStartTime: {value}` is not a whole number of seconds"
                        ))
                    })?;
                    start_unix_s = Some(s);
                }
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let count = trimmed.split_whitespace().count();
        if count != FIELDS {
            return Err(fail(format!(
                "{count} fields; an SWF job line has {FIELDS}"
            )));
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let Some(record) = job(&fields, options, out).map_err(fail)? else {
            continue;
        };
        if let Some(first) = seen.insert(record.id.clone(), line) {
            return Err(fail(format!(
                "job {} appears twice (also on line {first})",
                record.id
            )));
        }
        let place = format!("line {line} (job {})", record.id);
        out.vm(source, &place, record)?;
    }
    if let Some(s) = start_unix_s {
        let ms = s.checked_mul(1000).ok_or_else(|| {
            InputError::file(source, format!("`UnixStartTime` {s} is not a time"))
                .hint("fix the header comment")
        })?;
        out.start_unix_ms(ms);
    }
    Ok(())
}

/// The VM request of a job line's `f`ields, or `None` when the job is dropped (counted).
fn job(f: &[&str], options: &Options, out: &mut Import) -> Result<Option<VmRecord>, String> {
    let status = optional(f[10], "status")?;
    if matches!(status, Some(s) if (2.0..=4.0).contains(&s)) {
        out.drop("partial-execution lines (status 2 to 4)");
        return Ok(None);
    }
    let run = optional(f[3], "run time")?.unwrap_or(0.0);
    let run_ms = ms(run, "run time")?;
    if run_ms <= 0 {
        out.drop(if status == Some(5.0) {
            "jobs cancelled before starting"
        } else {
            "jobs without a positive run time"
        });
        return Ok(None);
    }
    let processors = match (
        optional(f[4], "allocated processors")?,
        optional(f[7], "requested processors")?,
    ) {
        (Some(p), _) if p > 0.0 => p,
        (_, Some(p)) if p > 0.0 => p,
        _ => {
            out.drop("jobs with no processor count");
            return Ok(None);
        }
    };
    if processors.fract() != 0.0 {
        return Err(format!("{processors} processors is not a whole number"));
    }
    if processors > f64::from(MAX_VCPUS) {
        out.drop("jobs on more processors than a VM may have");
        return Ok(None);
    }
    let vcpus = processors as u32;
    let submit = optional(f[1], "submit time")?
        .ok_or_else(|| "`submit time` is missing (-1); every job has one".to_string())?;
    let arrival = ms(submit, "submit time")?;
    let wait = ms(optional(f[2], "wait time")?.unwrap_or(0.0), "wait time")?;
    let start = arrival + wait;
    let util = match optional(f[5], "average CPU time")? {
        Some(cpu) => cpu / run,
        None => 1.0,
    };
    let kb = match optional(f[6], "used memory")? {
        Some(kb) => kb,
        None => optional(f[9], "requested memory")?.unwrap_or(0.0),
    };
    let (sample_ms, cpu_util) = if wait > 0 {
        (vec![arrival, start], vec![0.0, util])
    } else {
        (vec![arrival], vec![util])
    };
    let mut attributes = std::collections::BTreeMap::new();
    for (name, k) in [("status", 10), ("queue", 14), ("partition", 15)] {
        if f[k] != "-1" {
            attributes.insert(name.to_string(), f[k].to_string());
        }
    }
    Ok(Some(VmRecord {
        id: f[0].to_string(),
        arrival_ms: arrival,
        departure_ms: Some(start + run_ms),
        vcpus,
        cpu_mips: options.vm.core_mips,
        memory_mb: kb * processors * MemoryUnit::Kb.in_mb(),
        tenant: (f[11] != "-1").then(|| f[11].to_string()),
        vm_type: None,
        attributes,
        sample_ms,
        cpu_util,
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{import, Format, Options, Report};
    use crate::{TraceReader, VmRecord};

    fn import_back(source: &Path, out: &Path) -> (Report, Vec<VmRecord>) {
        let report = import(Format::Swf, source, out, &Options::default()).unwrap();
        let records = TraceReader::open(out)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (report, records)
    }

    /// Jobs 1, 2, 3 and 9 run; 4 is cancelled before starting, 5 has no run time, 6 is a
    /// partial execution, 7 has no processor count, 8 asks for 10^12 processors.
    const LOG: &str = "; Version: 2.2\n\
                       ; UnixStartTime: 1000000000\n\
                       ; MaxProcs: 64\n\
                       1   0 10 100 4  50 1000 4 200 2000 1 7 1 -1 1 1 -1 -1\n\
                       2   5 -1 200 -1 -1 -1 8 300 500 1 8 1 -1 2 -1 -1 -1\n\
                       3  20 0 50 2 -1 -1 2 60 -1 0 7 1 -1 1 1 -1 -1\n\
                       4  30 5 -1 -1 -1 -1 4 60 -1 5 9 1 -1 1 1 -1 -1\n\
                       \n\
                       5  40 0 0 4 -1 -1 4 60 -1 1 9 1 -1 1 1 -1 -1\n\
                       6  50 0 100 4 -1 -1 4 60 -1 2 9 1 -1 1 1 -1 -1\n\
                       7  60 0 100 -1 -1 -1 -1 60 -1 1 9 1 -1 1 1 -1 -1\n\
                       8  70 0 100 1000000000000 -1 -1 -1 60 -1 1 9 1 -1 1 1 -1 -1\n\
                       9  80 0 30 1 15 -1 1 60 2000 1 9 1 -1 1 1 -1 -1\n";

    #[test]
    fn conserves_jobs_cpu_and_memory_hours() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("log.swf");
        std::fs::write(&source, LOG).unwrap();
        let (report, vms) = import_back(&source, &dir.path().join("t.parquet"));
        // Hand-checked: CPU seconds used are processors × CPU time a processor where given,
        // else × run time: 4 × 50, 8 × 200, 2 × 50 and 1 × 15.
        let cpu_hours = (200.0 + 1600.0 + 100.0 + 15.0) / 3600.0;
        // MB × s from submission to end: job 1 1000 KB × 4 over 10 + 100 s, job 2 500 KB
        // requested × 8 over 200 s, job 3 none, job 9 2000 KB requested × 1 over 30 s.
        let memory_hours = (4.0 * 110.0 + 4.0 * 200.0 + 2.0 * 30.0) / 3600.0;
        assert_eq!(vms.len(), 4);
        let used: f64 = vms.iter().map(|r| r.cpu_hours_used(i64::MAX)).sum();
        let memory: f64 = vms.iter().map(|r| r.memory_mb_hours(i64::MAX)).sum();
        assert!(
            (used - cpu_hours).abs() <= 1e-9 * cpu_hours,
            "{used} vs {cpu_hours}"
        );
        assert!((memory - memory_hours).abs() <= 1e-9 * memory_hours);
        let one = &vms[0];
        assert_eq!((one.id.as_str(), one.vcpus, one.memory_mb), ("1", 4, 4.0));
        assert_eq!((one.arrival_ms, one.departure_ms), (0, Some(110_000)));
        assert_eq!(
            (one.sample_ms.as_slice(), one.cpu_util.as_slice()),
            (&[0, 10_000][..], &[0.0, 0.5][..])
        );
        assert_eq!(one.tenant.as_deref(), Some("7"));
        assert_eq!(one.attributes["status"], "1");
        assert_eq!(vms[1].vcpus, 8);
        for why in [
            "jobs cancelled before starting",
            "jobs without a positive run time",
            "partial-execution lines (status 2 to 4)",
            "jobs with no processor count",
            "jobs on more processors than a VM may have",
        ] {
            assert_eq!(report.dropped[why], 1, "{why}");
        }
        let file = std::fs::File::open(dir.path().join("t.parquet")).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let start = reader
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap();
        let start = start
            .iter()
            .find(|kv| kv.key == crate::format::START_KEY)
            .unwrap();
        assert_eq!(start.value.as_deref(), Some("1000000000000"));
    }

    #[test]
    fn cpu_time_above_the_run_time_is_capped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("log.swf");
        std::fs::write(&source, "1 0 0 30 1 45 -1 1 60 -1 1 9 1 -1 1 1 -1 -1\n").unwrap();
        let (report, vms) = import_back(&source, &dir.path().join("t.parquet"));
        assert_eq!(vms[0].cpu_util, [1.0]);
        assert_eq!(report.capped, 1);
    }

    #[test]
    fn malformed_lines_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("log.swf");
        let out = dir.path().join("t.parquet");
        for (text, line, what) in [
            ("; c\n1 0 0 30 1 -1 -1 1 60 -1 1 9 1 -1 1 1 -1\n", 2, "17 fields"),
            ("1 0 0 30 1 -1 -1 1 60 -1 1 9 1 -1 1 1 -1 -1\n2 x 0 1 1 -1 -1 1 6 -1 1 9 1 -1 1 1 -1 -1\n", 2, "submit time"),
            ("1 0 -7 30 1 -1 -1 1 60 -1 1 9 1 -1 1 1 -1 -1\n", 1, "wait time"),
            ("1 0 0 30 1 -1 -1 1 60 -1 1 9 1 -1 1 1 -1 -1\n1 5 0 30 1 -1 -1 1 60 -1 1 9 1 -1 1 1 -1 -1\n", 2, "twice"),
        ] {
            std::fs::write(&source, text).unwrap();
            let e = import(Format::Swf, &source, &out, &Options::default()).unwrap_err();
            assert_eq!((&e.file, e.line), (&source, Some(line)), "{text}");
            assert!(e.message.contains(what), "{}", e.message);
        }
    }
}
