//! The sweep tables: hand-checked aggregates over replicas and the Parquet round trip.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use orrery_reports::dirs::SweepManifest;
use orrery_reports::tables::read_parquet;
use orrery_reports::typed::read_csv;

/// Student t quantiles t_{0.975, dof} from tables.
const T_1: f64 = 12.706205;
const T_2: f64 = 4.302653;

/// aggregate.csv as rows of column → text.
fn read_aggregate(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("aggregate.csv")).unwrap();
    let names: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            names
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn aggregate_matches_hand_computed_means_deviations_and_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::fixture_sweep_dir(tmp.path());
    let written = orrery_reports::finish_sweep(&dir).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["results.parquet", "aggregate.csv", "aggregate.parquet"]
    );
    let rows = read_aggregate(&dir);
    assert_eq!(rows.len(), 4, "one row per point");

    // Point 0: energy 10, 12, 14 → mean 12, sd 2, h = t(2) · 2 / √3.
    let p0 = &rows[0];
    assert_eq!(p0["point"], "0");
    assert_eq!(p0["policies.reallocation"], "consolidation");
    assert_eq!(p0["hosts.0.count"], "40");
    assert_eq!(p0["replicas"], "3");
    assert!(close(num(p0, "energy_kwh_mean"), 12.0));
    assert!(close(num(p0, "energy_kwh_sd"), 2.0));
    assert!(close(num(p0, "energy_kwh_ci95"), T_2 * 2.0 / 3f64.sqrt()));
    assert!(close(num(p0, "energy_kwh_ci95"), 4.968276));
    // mean_active_hosts 20.5, 21.5, 22.5 → sd 1.
    assert!(close(num(p0, "mean_active_hosts_mean"), 21.5));
    assert!(close(num(p0, "mean_active_hosts_ci95"), T_2 / 3f64.sqrt()));
    // Migration time has two values (3, 5): mean 4, sd √2, h = t(1) · √2 / √2.
    assert!(close(num(p0, "mean_migration_time_s_mean"), 4.0));
    assert!(close(num(p0, "mean_migration_time_s_sd"), 2f64.sqrt()));
    assert!(close(num(p0, "mean_migration_time_s_ci95"), T_1));

    // Point 1: three equal values → sd 0 and a zero-width interval.
    assert!(close(num(&rows[1], "energy_kwh_mean"), 20.0));
    assert_eq!(num(&rows[1], "energy_kwh_sd"), 0.0);
    assert_eq!(num(&rows[1], "energy_kwh_ci95"), 0.0);
    // No migration time at all: no mean either.
    assert_eq!(rows[1]["mean_migration_time_s_mean"], "");

    // Point 2: one replica → a mean, no sd and no interval.
    let p2 = &rows[2];
    assert_eq!(p2["replicas"], "1");
    assert!(close(num(p2, "energy_kwh_mean"), 30.0));
    assert_eq!(p2["energy_kwh_sd"], "");
    assert_eq!(p2["energy_kwh_ci95"], "");

    // Point 3: 1 and 3 → mean 2, sd √2, h = t(1) · √2 / √2; shortfall 0.5, 0.7 → sd √0.02,
    // h = t(1) · √0.02 / √2 = t(1) · 0.1.
    let p3 = &rows[3];
    assert!(close(num(p3, "energy_kwh_mean"), 2.0));
    assert!(close(num(p3, "energy_kwh_ci95"), T_1));
    assert!(close(num(p3, "cpu_shortfall_ratio_mean"), 0.6));
    assert!(close(num(p3, "cpu_shortfall_ratio_ci95"), T_1 * 0.1));

    // Identity columns, swept keys and text columns are not aggregated.
    for col in [
        "seed_mean",
        "replica_mean",
        "point_mean",
        "hosts.0.count_mean",
        "scenario_mean",
    ] {
        assert!(!p0.contains_key(col), "{col} should not be aggregated");
    }
}

#[test]
fn results_parquet_reads_back_as_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::fixture_sweep_dir(tmp.path());
    orrery_reports::finish_sweep(&dir).unwrap();
    let manifest = SweepManifest::read(&dir.join("sweep.json")).unwrap();
    let csv = read_csv(&dir.join("results.csv"), &manifest.results_schema(), "").unwrap();
    let parquet = read_parquet(&dir.join("results.parquet")).unwrap();
    assert_eq!(csv.shape(), parquet.shape());
    // point, replica, seed, run, two swept keys, then the summary but its seed. The fixture
    // predates the emissions column: an older results.csv reads, that column null.
    assert_eq!(csv.shape(), (9, 4 + 2 + 39));
    assert_eq!(csv.column("emissions_g").unwrap().null_count(), 9);
    for (a, b) in csv.columns().iter().zip(parquet.columns()) {
        assert_eq!(a.name(), b.name());
        assert_eq!(a.dtype(), b.dtype(), "column {}", a.name());
        assert!(a.equals_missing(b), "column {} differs", a.name());
    }
    let agg_schema =
        orrery_engine::scenario::sweep::aggregate_schema(&manifest.keys, &manifest.kinds);
    let agg_csv = read_csv(&dir.join("aggregate.csv"), &agg_schema, "").unwrap();
    let agg_parquet = read_parquet(&dir.join("aggregate.parquet")).unwrap();
    assert_eq!(agg_csv.shape(), agg_parquet.shape());
    for (a, b) in agg_csv.columns().iter().zip(agg_parquet.columns()) {
        assert_eq!(a.name(), b.name());
        for i in 0..a.len() {
            let (x, y) = (a.get(i).unwrap(), b.get(i).unwrap());
            match (x.extract::<f64>(), y.extract::<f64>()) {
                (Some(x), Some(y)) => assert!(close(x, y), "{}[{i}]: {x} vs {y}", a.name()),
                _ => assert_eq!(x.is_null(), y.is_null(), "{}[{i}]", a.name()),
            }
        }
    }
}
