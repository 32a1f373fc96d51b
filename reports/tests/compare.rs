//! Comparison tables over run and sweep directories, and the unchanged `comparison_table`.

mod common;

use std::path::PathBuf;

use orrery_engine::metrics::Summary;
use orrery_reports::{compare_dirs, comparison_table, Format};

const HEADER: &str = "| scenario | energy (kWh) | cooling (kWh) | energy incl. cooling (kWh) \
    | emissions (kgCO2) | mean active hosts | CPU shortfall (%) | migrations \
    | max temperature (°C) | above red line (host-h) | pending / rejected VMs |\n\
    | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";

fn run_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-small")
}

#[test]
fn comparison_table_keeps_its_columns_and_formats() {
    let s = Summary {
        scenario: "a".into(),
        seed: 1,
        compat: "none".into(),
        duration_s: 86400.0,
        energy_kwh: 100.04,
        vm_migrations: 12,
        vms_total: 50,
        vms_rejected: 2,
        vms_pending: 3,
        hosts_total: 10,
        mean_active_hosts: 4.26,
        cpu_shortfall_ratio: 0.000123,
        slatah: 0.0,
        pdm: 0.0,
        slav: 0.0,
        esv: 0.0,
        host_shutdowns: 0,
        mean_migration_time_s: None,
        mean_time_before_host_shutdown_s: None,
        mean_migration_downtime_s: None,
        migration_data_gb: 0.0,
        max_host_temperature_c: Some(41.26),
        cooling_energy_kwh: 20.0,
        total_energy_kwh: 120.04,
        time_above_redline_s: 5400.0,
        emissions_g: Some(31_250.0),
        ..Summary::default()
    };
    let cool = Summary {
        scenario: "b".into(),
        max_host_temperature_c: None,
        emissions_g: None,
        ..s.clone()
    };
    let expected = format!(
        "{HEADER}| a | 100.0 | 20.0 | 120.0 | 31.2 | 4.3 | 0.0123 | 12 | 41.3 | 1.50 | 3 / 2 |\n\
         | b | 100.0 | 20.0 | 120.0 | - | 4.3 | 0.0123 | 12 | - | 1.50 | 3 / 2 |\n"
    );
    assert_eq!(comparison_table(&[s, cool]), expected);
}

#[test]
fn markdown_compares_runs_and_sweep_points_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = common::fixture_sweep_dir(tmp.path());
    let table = compare_dirs(&[run_fixture(), sweep], Format::Markdown).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(format!("{}\n{}\n", lines[0], lines[1]), HEADER);
    assert_eq!(lines.len(), 2 + 1 + 4, "the run and four points");
    assert_eq!(
        lines[2],
        "| small | 1.5 | 0.0 | 1.5 | - | 2.0 | 0.1000 | 3 | - | 0.00 | 0 / 1 |"
    );
    // energy 12 ± t(2)·2/√3 = 4.97; hosts 21.5 ± 2.48; shortfall 0.2 % ± 0.248 %;
    // migrations 7 ± 4.97; no cooling or red-line time (zero in every run) and no
    // temperature (empty) in the fixture.
    assert_eq!(
        lines[3],
        "| fixture (reallocation=consolidation, hosts.0.count=40) | 12.0 ± 5.0 | 0.0 ± 0.0 \
         | 12.0 ± 5.0 | - | 21.5 ± 2.5 | 0.2000 ± 0.2484 | 7.0 ± 5.0 | - | 0.00 ± 0.00 \
         | 0.0 ± 0.0 / 0.0 ± 0.0 |"
    );
    // One replica: means without intervals.
    assert_eq!(
        lines[5],
        "| fixture (reallocation=consolidation, hosts.0.count=64) | 30.0 | 0.0 | 30.0 | - | 40.0 \
         | 1.0000 | 4.0 | - | 0.00 | 0.0 / 0.0 |"
    );
}

#[test]
fn csv_has_raw_values_and_half_widths() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = common::fixture_sweep_dir(tmp.path());
    let text = compare_dirs(&[run_fixture(), sweep], Format::Csv).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..3], ["name", "energy_kwh", "energy_kwh_ci95"]);
    assert_eq!(
        header.len(),
        1 + 2 * 11,
        "eleven metrics, value and half-width each"
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][0], "small");
    assert_eq!(&rows[0][col("cpu_shortfall_ratio")], "0.001");
    assert_eq!(&rows[0][col("cpu_shortfall_ratio_ci95")], "");
    assert_eq!(&rows[0][col("max_host_temperature_c")], "");
    let p0 = &rows[1];
    assert_eq!(&p0[col("energy_kwh")], "12");
    let h: f64 = p0[col("energy_kwh_ci95")].parse().unwrap();
    assert!((h - 4.302653 * 2.0 / 3f64.sqrt()).abs() < 1e-5);
}
