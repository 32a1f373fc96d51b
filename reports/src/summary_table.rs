//! The summary of one run as aligned text, as `orrery run` prints it.

use orrery_engine::metrics::Summary;

/// The summary as an aligned two-column text table.
pub fn summary_table(s: &Summary) -> String {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{:.4} %", 100.0 * x));
    let mut rows: Vec<(&str, String)> = vec![
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
        ("cost", format!("{:.2}", s.cost_total)),
    ];
    if let Some(g) = s.emissions_g {
        rows.push(("emissions", format!("{:.3} kgCO2", g / 1000.0)));
    }
    if s.host_failures + s.vm_crashes > 0 || s.availability_mean.is_some_and(|a| a < 1.0) {
        rows.extend([
            ("host failures", s.host_failures.to_string()),
            (
                "VM crashes (restarts)",
                format!("{} ({})", s.vm_crashes, s.vm_restarts),
            ),
            ("VM availability mean", pct(s.availability_mean)),
            ("VM availability min", pct(s.availability_min)),
        ]);
    }
    if s.services_total > 0 {
        rows.extend([
            (
                "services (rejected)",
                format!("{} ({})", s.services_total, s.services_rejected),
            ),
            (
                "service availability mean",
                pct(s.service_availability_mean),
            ),
            ("service availability min", pct(s.service_availability_min)),
            ("requests", s.requests_total.to_string()),
            ("requests dropped", pct(s.requests_dropped_ratio)),
            (
                "mean response time",
                format!(
                    "{} s",
                    s.response_time_mean_s
                        .map_or("-".into(), |x| format!("{x:.4}"))
                ),
            ),
            ("scaling actions", s.scaling_actions.to_string()),
        ]);
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}
