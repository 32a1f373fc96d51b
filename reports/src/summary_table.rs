//! The summary of one run as aligned text, as `orrery run` prints it.

use orrery_engine::metrics::Summary;

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
