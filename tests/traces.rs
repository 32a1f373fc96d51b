//! The shipped real-data scenarios (scenarios/traces/) run on the shared Bitbrains and SURF
//! samples and Germany's 2022 carbon series: VMs arrive and leave as the imported trace records
//! them, emissions add up, and `orrery trace` imports and inspects from the command line. Needs
//! ../shared/data (or `$ORRERY_SHARED_DATA`): fails, does not skip, without it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use orrery_engine::workload::trace::shared_data;
use orrery_traces::TraceReader;

fn data() -> PathBuf {
    let d = shared_data(&root());
    assert!(
        d.join("traces").is_dir(),
        "{} is missing: set ORRERY_SHARED_DATA",
        d.display()
    );
    d
}

/// Runs `scenarios/traces/NAME.toml` on the shared data into `out`; returns its summary.
fn run(name: &str, source: &str, out: &Path) -> serde_json::Value {
    let d = data();
    let trace = format!(
        "workload.trace={}",
        d.join("traces/opendc").join(source).display()
    );
    let carbon = format!(
        "carbon.intensity={}",
        d.join("traces/carbon/2022-DE.parquet").display()
    );
    run_ok(
        Some(&scenario(&format!("traces/{name}.toml"))),
        out,
        &["--set", &trace, "--set", &carbon],
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// `orrery trace import opendc` of a shared sample into `out`, read back.
fn import(source: &str, unit: &str, out: &Path) -> Vec<orrery_traces::VmRecord> {
    let src = data().join("traces/opendc").join(source);
    let out_arg = out.display().to_string();
    let args = [
        "trace",
        "import",
        "opendc",
        src.to_str().unwrap(),
        "--out",
        &out_arg,
    ];
    assert_success(&run_orrery(
        args.iter().copied().chain(["--memory-unit", unit]),
    ));
    TraceReader::open(out)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Times (s) of events of `kind` in a run's events.csv, by VM name.
fn event_times(dir: &Path, kind: &str, names: &BTreeMap<usize, String>) -> BTreeMap<String, f64> {
    let mut r = csv::Reader::from_path(dir.join("events.csv")).unwrap();
    r.records()
        .map(Result::unwrap)
        .filter(|e| &e[1] == kind)
        .map(|e| {
            (
                names[&e[2].parse::<usize>().unwrap()].clone(),
                e[0].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn bitbrains_vms_arrive_and_leave_as_recorded_and_emissions_add_up() {
    let tmp = tempfile::tempdir().unwrap();
    let vms = import("bitbrains-small", "kb", &tmp.path().join("b.parquet"));
    let out = tmp.path().join("run");
    let s = run("bitbrains-consolidation", "bitbrains-small", &out);
    assert_eq!(s["vms_total"], 50);
    // VM ids follow arrival order (ties by id), as in the trace.
    let names: BTreeMap<usize, String> = vms
        .iter()
        .enumerate()
        .map(|(k, v)| (k, v.id.clone()))
        .collect();
    let arrivals = event_times(&out, "arrival", &names);
    let stops = event_times(&out, "stopped", &names);
    for v in &vms {
        assert_eq!(arrivals[&v.id], v.arrival_ms as f64 / 1000.0, "{}", v.id);
        let departure = v.departure_ms.unwrap() as f64 / 1000.0;
        if departure <= 30.0 * 86_400.0 && stops.contains_key(&v.id) {
            assert_eq!(stops[&v.id], departure, "{}", v.id);
        }
    }
    // Every VM that was placed and left within the month stopped at its recorded departure.
    let placed_and_gone = vms
        .iter()
        .filter(|v| v.departure_ms.unwrap() < 30 * 86_400_000)
        .filter(|v| arrivals.contains_key(&v.id))
        .count();
    assert!(stops.len() + s["vms_rejected"].as_u64().unwrap() as usize >= placed_and_gone);
    emissions_add_up(&out, &s);
}

/// Interval emissions sum to the summary's (the run ends on an update), and each interval's
/// lies between its energy at the series' lowest and highest intensity of 2022 in Germany.
fn emissions_add_up(out: &Path, s: &serde_json::Value) {
    let mut r = csv::Reader::from_path(out.join("intervals.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (mut sum, mut last_energy) = (0.0, 0.0);
    for row in r.records().map(Result::unwrap) {
        let g: f64 = row[col("interval_emissions_g")].parse().unwrap();
        let kwh: f64 = row[col("energy_kwh")].parse::<f64>().unwrap()
            + row[col("cooling_energy_kwh")].parse::<f64>().unwrap();
        let de = kwh - last_energy;
        assert!(
            g >= de * 84.5 - 1e-9 && g <= de * 458.5 + 1e-9,
            "{g} g for {de} kWh"
        );
        last_energy = kwh;
        sum += g;
    }
    let total = s["emissions_g"].as_f64().unwrap();
    assert!((sum - total).abs() <= 1e-9 * total, "{sum} vs {total}");
}

#[test]
fn surf_runs_every_policy_family_and_carbon_awareness_changes_the_threshold_it_packs_to() {
    let tmp = tempfile::tempdir().unwrap();
    let mut summaries = BTreeMap::new();
    for name in [
        "surf-consolidation",
        "surf-workload-balance",
        "surf-carbon-aware",
    ] {
        let out = tmp.path().join(name);
        let s = run(name, "surf-week", &out);
        assert_eq!(s["vms_total"], 6295, "{name}");
        emissions_add_up(&out, &s);
        summaries.insert(name, s);
    }
    // Workload balance never powers a host off; consolidation does.
    assert_eq!(
        summaries["surf-workload-balance"]["mean_active_hosts"],
        64.0
    );
    assert!(
        summaries["surf-consolidation"]["mean_active_hosts"]
            .as_f64()
            .unwrap()
            < 64.0
    );
    // The carbon-aware threshold differs from 0.8 most of the week, so its plan differs.
    assert_ne!(
        summaries["surf-carbon-aware"]["vm_migrations"],
        summaries["surf-consolidation"]["vm_migrations"]
    );
}

#[test]
fn trace_inspect_prints_json_and_refuses_a_broken_file_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("b.parquet");
    import("bitbrains-small", "kb", &path);
    let out = run_orrery(["trace", "inspect", path.to_str().unwrap(), "--json"]);
    assert_success(&out);
    let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (s["vms"].as_u64(), s["samples"].as_u64()),
        (Some(50), Some(276_979))
    );
    let bad = tmp.path().join("bad.parquet");
    std::fs::write(&bad, "not parquet").unwrap();
    let out = run_orrery(["trace", "inspect", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a readable Parquet trace"),
        "{}",
        stderr(&out)
    );
    let out = run_orrery(["trace", "import", "nope", "x", "--out", "y"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown trace format `nope`"),
        "{}",
        stderr(&out)
    );
}
