//! Test fixtures: real runs of the simulator written as run and sweep directories, following
//! the sweep output contract (`sweep.json`, `results.csv`, `runs/pNNNNNN-rNNN/`).

#![allow(dead_code)] // each test file uses part of this module

use std::fs;
use std::path::{Path, PathBuf};

use orrery_engine::control::CloudOs;
use orrery_engine::metrics::RunResult;
use orrery_engine::output::OutputDir;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_sim::Simulator;

/// The thermal Table 1 scenario, shortened to six hours.
pub fn thermal_scenario(extra: &[String]) -> Scenario {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/table1/thermal-balance.toml");
    let mut sets = vec!["duration_s=21600".to_string()];
    sets.extend_from_slice(extra);
    Scenario::load(&path, &sets).expect("the thermal scenario loads")
}

/// Runs `scenario` with `seed` in simulation.
pub fn run(scenario: &Scenario, seed: u64) -> RunResult {
    let placement = orrery_policies::registry::placement(scenario).expect("placement");
    let reallocation = orrery_policies::registry::reallocation(scenario).expect("reallocation");
    let mut sim = Simulator::new(scenario, Some(seed)).expect("simulator");
    let mut os = CloudOs::new(placement, reallocation, &RngStreams::new(seed));
    os.run(&mut sim).expect("run");
    sim.finish()
}

/// A run directory of the six-hour thermal scenario in `dir`.
pub fn thermal_run_dir(dir: &Path) -> PathBuf {
    let s = thermal_scenario(&[]);
    let out = dir.join("run");
    write_run_dir(&out, &run(&s, s.spec.seed));
    out
}

/// Writes `result` as a complete run directory at `dir`.
pub fn write_run_dir(dir: &Path, result: &RunResult) {
    let mut out = OutputDir::create(dir, "run", &[], false).expect("a fresh directory");
    orrery_reports::write_run(&mut out, result).expect("write run");
    out.finish().expect("finish the run directory");
}

/// A sweep directory in `dir`: the six-hour thermal scenario over `policies.reallocation` in
/// `policies`, `replicas` runs each.
pub fn thermal_sweep_dir(dir: &Path, policies: &[&str], replicas: usize) -> PathBuf {
    let out = dir.join("sweep");
    let key = "policies.reallocation";
    fs::create_dir_all(out.join("runs")).unwrap();
    let manifest = serde_json::json!({
        "scenario": "thermal-balance", "file": "scenarios/table1/thermal-balance.toml",
        "base_seed": 11, "keys": [key], "kinds": ["str"], "points": policies.len(),
        "replicas": replicas,
    });
    fs::write(out.join("sweep.json"), manifest.to_string()).unwrap();
    let mut results = csv::Writer::from_path(out.join("results.csv")).unwrap();
    for (point, policy) in policies.iter().enumerate() {
        let s = thermal_scenario(&[format!("{key}={policy}")]);
        for replica in 0..replicas {
            let seed = 11 + 1000 * point as u64 + replica as u64;
            let r = run(&s, seed);
            let run = format!("r{point:08}{replica:08}");
            let folder = out.join("runs").join(&run);
            write_run_dir(&folder, &r);
            let info = serde_json::json!({"seed": seed, "values": {key: policy}});
            fs::write(folder.join("run.json"), info.to_string()).unwrap();
            let (names, values) = summary_record(&r.summary);
            if point == 0 && replica == 0 {
                let header = ["point", "replica", "seed", "run", key].map(String::from);
                results.write_record(header.iter().chain(&names)).unwrap();
            }
            let ids = [
                point.to_string(),
                replica.to_string(),
                seed.to_string(),
                run,
                policy.to_string(),
            ];
            results.write_record(ids.iter().chain(&values)).unwrap();
        }
    }
    results.flush().unwrap();
    drop(results);
    seal_sweep(&out);
    out
}

/// Seals a hand-made sweep directory as a finished sweep does.
pub fn seal_sweep(dir: &Path) {
    orrery_engine::output::seal(dir, "sweep", &["sweep.json", "results.csv"]).unwrap();
}

/// The fields of a summary in serde order and their CSV texts, without `seed`.
fn summary_record(s: &orrery_engine::metrics::Summary) -> (Vec<String>, Vec<String>) {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(s).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let values: Vec<String> = r
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    names
        .into_iter()
        .zip(values)
        .filter(|(n, _)| n != "seed")
        .unzip()
}

/// A copy of the hand-written fixture sweep in `dir`.
pub fn fixture_sweep_dir(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sweep-small");
    let out = dir.join("sweep-small");
    fs::create_dir_all(&out).unwrap();
    for f in ["sweep.json", "results.csv"] {
        fs::copy(src.join(f), out.join(f)).unwrap();
    }
    seal_sweep(&out);
    out
}

/// A service run directory in `dir`: the three-tier web service of
/// `scenarios/services/web-oneflow.toml`, shortened to six hours.
pub fn service_run_dir(dir: &Path) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/services/web-oneflow.toml");
    let s = Scenario::load(&path, &["duration_s=21600".to_string()]).expect("the service scenario");
    let mut os = orrery_policies::registry::cloud_os(&s, s.spec.seed).expect("cloud os");
    let mut sim = Simulator::new(&s, None).expect("simulator");
    os.run(&mut sim).expect("run");
    let out = dir.join("service");
    write_run_dir(&out, &sim.finish());
    out
}

/// A federation directory in `dir`: `scenarios/federation/saas.toml` (sites, calls, traffic),
/// written as `orrery federate --out` writes it.
pub fn federation_dir(dir: &Path) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/federation/saas.toml");
    let outcome = orrery_federation::run(&path, &[]).expect("the federation runs");
    let out = dir.join("federation");
    let mut od = OutputDir::create(&out, "federation", &[], false).expect("a fresh directory");
    let mut sink = orrery_reports::typed::ParquetSink::new(&mut od);
    outcome.write(&mut sink).expect("write");
    sink.finish().expect("tables.json");
    od.finish().expect("finish the federation directory");
    out
}
