//! orrery's result tables: the files a run writes and the summary it prints.
//!
//! Plots and cross-run aggregation (polars, plotters) come with the sweeps and reports work;
//! they stay in this crate so the engine and policies never build them.

use std::fs;
use std::io;
use std::path::Path;

use orrery_engine::metrics::{RunResult, Summary};

/// Writes `summary.json`, `intervals.csv` and `events.csv` into `dir` (created if missing).
pub fn write_run(dir: &Path, run: &RunResult) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&run.summary).map_err(io::Error::other)?;
    fs::write(dir.join("summary.json"), json + "\n")?;
    write_csv(&dir.join("intervals.csv"), &run.intervals)?;
    write_csv(&dir.join("events.csv"), &run.events)?;
    Ok(())
}

fn write_csv<T: serde::Serialize>(path: &Path, rows: &[T]) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    for row in rows {
        w.serialize(row).map_err(io::Error::other)?;
    }
    w.flush()
}

/// The summary as an aligned two-column text table.
pub fn summary_table(s: &Summary) -> String {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
    let rows: Vec<(&str, String)> = vec![
        ("scenario", s.scenario.clone()),
        ("seed", s.seed.to_string()),
        ("compat", s.compat.clone()),
        ("duration", format!("{:.0} s", s.duration_s)),
        ("hosts", s.hosts_total.to_string()),
        (
            "VMs (rejected)",
            format!("{} ({})", s.vms_total, s.vms_rejected),
        ),
        ("energy", format!("{:.3} kWh", s.energy_kwh)),
        ("mean active hosts", format!("{:.1}", s.mean_active_hosts)),
        ("migrations", s.vm_migrations.to_string()),
        (
            "mean migration time",
            format!("{} s", opt(s.mean_migration_time_s)),
        ),
        ("host shutdowns", s.host_shutdowns.to_string()),
        (
            "mean time before shutdown",
            format!("{} s", opt(s.mean_time_before_host_shutdown_s)),
        ),
        (
            "CPU shortfall",
            format!("{:.4} %", 100.0 * s.cpu_shortfall_ratio),
        ),
        ("SLATAH", format!("{:.4} %", 100.0 * s.slatah)),
        ("PDM", format!("{:.4} %", 100.0 * s.pdm)),
        ("SLAV", format!("{:.6} %", 100.0 * s.slav)),
        ("ESV", format!("{:.6}", s.esv)),
    ];
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}
