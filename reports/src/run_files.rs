//! The files one run writes: `summary.json`, `intervals.csv`, `events.csv`, the accounts
//! (`usage.csv`, `billing.csv`, `audit.csv`), `temperatures.csv`, and `services.csv` and
//! `roles.csv` for scenarios with services.

use std::fs;
use std::io;
use std::path::Path;

use orrery_engine::metrics::RunResult;

/// Writes `summary.json`, `intervals.csv`, `events.csv` and the accounts (`usage.csv`,
/// `billing.csv`, `audit.csv`) into `dir` (created if missing), and `temperatures.csv` when the
/// run has a thermal model.
pub fn write_run(dir: &Path, run: &RunResult) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&run.summary).map_err(io::Error::other)?;
    fs::write(dir.join("summary.json"), json + "\n")?;
    write_csv(&dir.join("intervals.csv"), &run.intervals)?;
    write_csv(&dir.join("events.csv"), &run.events)?;
    write_csv(&dir.join("usage.csv"), &run.usage)?;
    write_csv(&dir.join("billing.csv"), &run.billing)?;
    write_csv(&dir.join("audit.csv"), &run.audit)?;
    if !run.services.is_empty() {
        write_csv(&dir.join("services.csv"), &run.services)?;
        write_csv(&dir.join("roles.csv"), &run.roles)?;
    }
    if !run.temperatures.is_empty() {
        write_csv(&dir.join("temperatures.csv"), &run.temperatures)?;
    }
    Ok(())
}

fn write_csv<T: serde::Serialize>(path: &Path, rows: &[T]) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    for row in rows {
        w.serialize(row).map_err(io::Error::other)?;
    }
    w.flush()
}
