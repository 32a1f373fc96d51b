//! orrery's result tables: the files a run writes and the summary it prints.
//!
//! Plots and cross-run aggregation (polars, plotters) come with the sweeps and reports work;
//! they stay in this crate so the engine and policies never build them.

use std::fs;
use std::io;
use std::path::Path;

use orrery_engine::metrics::{RunResult, Summary};

/// Writes `summary.json`, `intervals.csv` and `events.csv` into `dir` (created if missing), and
/// `temperatures.csv` when the run has a thermal model.
pub fn write_run(dir: &Path, run: &RunResult) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&run.summary).map_err(io::Error::other)?;
    fs::write(dir.join("summary.json"), json + "\n")?;
    write_csv(&dir.join("intervals.csv"), &run.intervals)?;
    write_csv(&dir.join("events.csv"), &run.events)?;
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
        ("VMs pending at the end", s.vms_pending.to_string()),
        ("migration data", format!("{:.2} GB", s.migration_data_gb)),
        (
            "mean migration downtime",
            format!("{} s", opt(s.mean_migration_downtime_s)),
        ),
        (
            "max host temperature",
            format!("{} °C", opt(s.max_host_temperature_c)),
        ),
        ("cooling energy", format!("{:.3} kWh", s.cooling_energy_kwh)),
        (
            "energy incl. cooling",
            format!("{:.3} kWh", s.total_energy_kwh),
        ),
        (
            "time above red line",
            format!("{:.0} host-s", s.time_above_redline_s),
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

/// Runs side by side as a Markdown table: energy with cooling, active hosts, SLA shortfall,
/// migrations and the thermal figures, one row per run.
pub fn comparison_table(runs: &[Summary]) -> String {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.1}"));
    let mut out = String::from(
        "| scenario | energy (kWh) | cooling (kWh) | energy incl. cooling (kWh) | mean active hosts \
         | CPU shortfall (%) | migrations | max temperature (°C) | above red line (host-h) \
         | pending / rejected VMs |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for s in runs {
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.4} | {} | {} | {:.2} | {} / {} |\n",
            s.scenario,
            s.energy_kwh,
            s.cooling_energy_kwh,
            s.total_energy_kwh,
            s.mean_active_hosts,
            100.0 * s.cpu_shortfall_ratio,
            s.vm_migrations,
            opt(s.max_host_temperature_c),
            s.time_above_redline_s / 3600.0,
            s.vms_pending,
            s.vms_rejected,
        ));
    }
    out
}
