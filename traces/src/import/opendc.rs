//! OpenDC's workload format (what OpenDC runs Bitbrains, SURF and others from): a directory with
//! `tasks.parquet` (`id`, `submission_time` ms since the epoch, `duration` ms, `cpu_count`,
//! `cpu_capacity` MHz for the whole task, `mem_capacity` MB) and `fragments.parquet` (`id` of the
//! task, `duration` ms, `cpu_usage` MHz), a task's fragments in time order.
//!
//! Mapping: a task → a VM request; `arrival_ms` is its submission less the earliest submission
//! (which becomes the trace's start); `cpu_mips` = `cpu_capacity` / `cpu_count`; `memory_mb` =
//! `mem_capacity` in [`Options::memory_unit`]; fragment k → a sample at the task's submission
//! plus the durations of the fragments before it, of `cpu_usage` / `cpu_capacity` (capped at 1);
//! departure after the last fragment (OpenDC runs a task for its fragments; the task's own
//! `duration` is kept as the attribute `duration_ms`). Tasks without fragments are dropped.

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_schema::DataType;
use orrery_engine::error::InputError;

use super::{parquet_rows, Import, Options};
use crate::format::VmRecord;

/// A task's own row.
struct Task {
    submission: i64,
    duration: i64,
    cpus: i32,
    capacity: f64,
    memory: f64,
}

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    let tasks_path = source.join("tasks.parquet");
    let fragments_path = source.join("fragments.parquet");
    let mut tasks: BTreeMap<String, (usize, Task)> = BTreeMap::new();
    parquet_rows(
        &tasks_path,
        &[
            ("id", DataType::Utf8),
            ("submission_time", DataType::Int64),
            ("duration", DataType::Int64),
            ("cpu_count", DataType::Int32),
            ("cpu_capacity", DataType::Float64),
            ("mem_capacity", DataType::Float64),
        ],
        |row, c| {
            for k in 0..c[0].len() {
                let id = c[0].as_string::<i32>().value(k).to_string();
                let task = Task {
                    submission: c[1].as_primitive::<Int64Type>().value(k),
                    duration: c[2].as_primitive::<Int64Type>().value(k),
                    cpus: c[3].as_primitive::<Int32Type>().value(k),
                    capacity: c[4].as_primitive::<Float64Type>().value(k),
                    memory: c[5].as_primitive::<Float64Type>().value(k),
                };
                if tasks.insert(id.clone(), (row + k, task)).is_some() {
                    return Err(format!("row {}: task `{id}` appears twice", row + k + 1));
                }
            }
            Ok(())
        },
    )?;
    // Each task's fragments: (duration, usage) in file order.
    let mut fragments: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let mut orphans = 0usize;
    parquet_rows(
        &fragments_path,
        &[
            ("id", DataType::Utf8),
            ("duration", DataType::Int64),
            ("cpu_usage", DataType::Float64),
        ],
        |row, c| {
            for k in 0..c[0].len() {
                let id = c[0].as_string::<i32>().value(k);
                let duration = c[1].as_primitive::<Int64Type>().value(k);
                let usage = c[2].as_primitive::<Float64Type>().value(k);
                if duration <= 0 || !(usage.is_finite() && usage >= 0.0) {
                    return Err(format!(
                        "row {}: a fragment of task `{id}` lasts {duration} ms at {usage} MHz; \
                         fragments last a positive time at a non-negative usage",
                        row + k + 1
                    ));
                }
                if !tasks.contains_key(id) {
                    orphans += 1;
                    continue;
                }
                fragments
                    .entry(id.to_string())
                    .or_default()
                    .push((duration, usage));
            }
            Ok(())
        },
    )?;
    for _ in 0..orphans {
        out.drop("fragments of a task not in tasks.parquet");
    }
    let Some(start) = tasks.values().map(|(_, t)| t.submission).min() else {
        return Ok(());
    };
    out.start_unix_ms(start);
    for (id, (row, t)) in tasks {
        let Some(frags) = fragments.remove(&id) else {
            out.drop("tasks without fragments");
            continue;
        };
        let arrival = t.submission - start;
        let mut at = arrival;
        let mut sample_ms = Vec::with_capacity(frags.len());
        let mut cpu_util = Vec::with_capacity(frags.len());
        for (duration, usage) in frags {
            sample_ms.push(at);
            cpu_util.push(if t.capacity > 0.0 {
                usage / t.capacity
            } else {
                0.0
            });
            at = at.saturating_add(duration);
        }
        let record = VmRecord {
            id: id.clone(),
            arrival_ms: arrival,
            departure_ms: Some(at),
            vcpus: u32::try_from(t.cpus).unwrap_or(0),
            cpu_mips: t.capacity / f64::from(t.cpus.max(1)),
            memory_mb: t.memory * options.memory_unit.in_mb(),
            attributes: [("duration_ms".to_string(), t.duration.to_string())].into(),
            sample_ms,
            cpu_util,
            ..VmRecord::default()
        };
        out.vm(
            &tasks_path,
            &format!("row {} (task `{id}`)", row + 1),
            record,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch};

    use super::super::{import, Format, MemoryUnit, Options};
    use crate::TraceReader;

    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    /// Tasks 7 (2 × 1000 MHz, 2048 memory, submitted at 10 s) and 9 (1 × 500 MHz, 512, at
    /// 4 s), and 11 with no fragments; fragments of 7, 9 and of an unknown task 5.
    fn fixture(dir: &Path) {
        write(
            &dir.join("tasks.parquet"),
            vec![
                ("id", Arc::new(Int32Array::from(vec![7, 9, 11])) as ArrayRef),
                (
                    "submission_time",
                    Arc::new(Int64Array::from(vec![10_000, 4_000, 0])),
                ),
                ("duration", Arc::new(Int64Array::from(vec![999, 999, 999]))),
                ("cpu_count", Arc::new(Int32Array::from(vec![2, 1, 1]))),
                (
                    "cpu_capacity",
                    Arc::new(Float64Array::from(vec![2000.0, 500.0, 100.0])),
                ),
                (
                    "mem_capacity",
                    Arc::new(Int64Array::from(vec![2048, 512, 1])),
                ),
            ],
        );
        write(
            &dir.join("fragments.parquet"),
            vec![
                (
                    "id",
                    Arc::new(Int32Array::from(vec![7, 9, 7, 5, 9])) as ArrayRef,
                ),
                (
                    "duration",
                    Arc::new(Int64Array::from(vec![60_000, 30_000, 120_000, 1, 30_000])),
                ),
                (
                    "cpu_usage",
                    Arc::new(Float64Array::from(vec![1000.0, 600.0, 2000.0, 1.0, 250.0])),
                ),
            ],
        );
    }

    #[test]
    fn tasks_become_vms_and_vm_cpu_and_memory_hours_are_conserved() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path());
        let out = dir.path().join("t.parquet");
        let report = import(Format::Opendc, dir.path(), &out, &Options::default()).unwrap();
        assert_eq!((report.vms, report.samples, report.capped), (2, 4, 1));
        assert_eq!(report.dropped["tasks without fragments"], 1);
        assert_eq!(
            report.dropped["fragments of a task not in tasks.parquet"],
            1
        );
        let reader = TraceReader::open(&out).unwrap();
        // Task 11 was dropped, but it was submitted first: the trace starts at 0.
        assert_eq!(reader.start_unix_ms(), Some(0));
        let vms: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        // 9 arrives first (4 s): 500 MIPS, samples at 4 s and 34 s of 600/500 (capped) and
        // 250/500, leaving at 64 s.
        assert_eq!(vms[1].id, "7");
        let nine = &vms[0];
        assert_eq!((nine.arrival_ms, nine.departure_ms), (4_000, Some(64_000)));
        assert_eq!(nine.sample_ms, [4_000, 34_000]);
        assert_eq!(nine.cpu_util, [1.0, 0.5]);
        assert_eq!(nine.attributes["duration_ms"], "999");
        let seven = &vms[1];
        assert_eq!(
            (seven.vcpus, seven.cpu_mips, seven.memory_mb),
            (2, 1000.0, 2048.0)
        );
        assert_eq!(seven.sample_ms, [10_000, 70_000]);
        // Source, by hand: 7: 2 cores × (0.5 × 60 s + 1.0 × 120 s) = 300 core-s;
        // 9: 1 × (1.0 × 30 + 0.5 × 30) = 45 core-s. Memory: 2048 × 180 s + 512 × 60 s.
        let used: f64 = vms.iter().map(|v| v.cpu_hours_used(i64::MAX)).sum();
        assert!((used - 345.0 / 3600.0).abs() < 1e-12, "{used}");
        let mem: f64 = vms.iter().map(|v| v.memory_mb_hours(i64::MAX)).sum();
        assert!(
            (mem - (2048.0 * 180.0 + 512.0 * 60.0) / 3600.0).abs() < 1e-9,
            "{mem}"
        );
        // In KB, the same memory reads a thousandth.
        let kb = Options {
            memory_unit: MemoryUnit::Kb,
            ..Options::default()
        };
        import(Format::Opendc, dir.path(), &out, &kb).unwrap();
        let seven = TraceReader::open(&out).unwrap().nth(1).unwrap().unwrap();
        assert_eq!(seven.memory_mb, 2.048);
    }

    #[test]
    fn a_missing_column_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path());
        write(
            &dir.path().join("fragments.parquet"),
            vec![("id", Arc::new(Int32Array::from(vec![7])) as ArrayRef)],
        );
        let e = import(
            Format::Opendc,
            dir.path(),
            &dir.path().join("t.parquet"),
            &Options::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("fragments.parquet"), "{e}");
        assert!(e.contains("no `duration` column"), "{e}");
    }
}
