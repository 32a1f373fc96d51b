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
