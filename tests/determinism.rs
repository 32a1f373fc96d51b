//! Determinism: the same scenario and seed give byte-identical outputs, whatever the thread
//! count; another seed gives other results. Also the shape of the three output files.

mod common;

use std::path::Path;

use common::*;

const OUTPUTS: [&str; 3] = ["summary.json", "intervals.csv", "events.csv"];

/// Runs `scenario` (the embedded default when `None`) into `dir` with `RAYON_NUM_THREADS=threads`.
fn run_with_threads(scenario: Option<&Path>, dir: &Path, threads: &str, extra: &[&str]) {
    let mut c = orrery();
    c.arg("run");
    if let Some(s) = scenario {
        c.arg(s);
    }
    let out = c
        .arg("--out")
        .arg(dir)
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert_success(&out);
}

fn assert_identical_outputs(a: &Path, b: &Path) {
    for f in OUTPUTS {
        let x = std::fs::read(a.join(f)).unwrap_or_else(|e| panic!("{f} in {}: {e}", a.display()));
        let y = std::fs::read(b.join(f)).unwrap_or_else(|e| panic!("{f} in {}: {e}", b.display()));
        assert!(!x.is_empty(), "{f} is empty");
        assert!(
            x == y,
            "{f} differs between the two runs ({} vs {})",
            a.display(),
            b.display()
        );
    }
}

/// summary.json without its `seed` field, so comparing two of them compares results only.
fn results_only(dir: &Path) -> serde_json::Value {
    let mut s = summary(dir);
    s.as_object_mut().unwrap().remove("seed");
    s
}

fn check_same_across_threads(scenario: Option<&Path>) {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_with_threads(scenario, a.path(), "1", &[]);
    run_with_threads(scenario, b.path(), "2", &[]);
    assert_identical_outputs(a.path(), b.path());
    // The runs did something: VMs arrived and energy was used.
    let s = summary(a.path());
    assert!(
        num(&s, "vms_total") > 0.0 && num(&s, "energy_kwh") > 0.0,
        "an empty run: {s}"
    );
}

fn check_seed_changes_results(scenario: Option<&Path>) {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_with_threads(scenario, a.path(), "2", &[]);
    run_with_threads(scenario, b.path(), "2", &["--seed", "12345"]);
    assert_ne!(summary(a.path())["seed"], summary(b.path())["seed"]);
    assert_ne!(
        results_only(a.path()),
        results_only(b.path()),
        "a different seed should change more than the `seed` field of summary.json"
    );
}

#[test]
fn default_scenario_is_byte_identical_with_1_and_2_threads() {
    check_same_across_threads(None);
}

#[test]
fn default_scenario_seed_changes_the_summary() {
    check_seed_changes_results(None);
}

#[test]
fn power_cycling_is_byte_identical_with_1_and_2_threads() {
    check_same_across_threads(Some(&scenario("power-cycling.toml")));
}

#[test]
fn power_cycling_seed_changes_the_summary() {
    check_seed_changes_results(Some(&scenario("power-cycling.toml")));
}

#[test]
fn same_seed_given_explicitly_matches_the_scenario_seed() {
    // power-cycling.toml has `seed = 7`: `--seed 7` must be the very same run.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let s = scenario("power-cycling.toml");
    run_with_threads(Some(&s), a.path(), "1", &[]);
    run_with_threads(Some(&s), b.path(), "1", &["--seed", "7"]);
    assert_identical_outputs(a.path(), b.path());
}

#[test]
fn library_runs_are_repeatable_and_match_the_cli() {
    let path = scenario("power-cycling.toml");
    let sc = orrery::load_scenario(Some(&path), &[]).expect("power-cycling.toml loads");
    let r1 = orrery::run(&sc, None).expect("the run succeeds");
    let r2 = orrery::run(&sc, None).expect("the run succeeds");
    assert_eq!(r1.summary, r2.summary);
    assert_eq!(r1.intervals, r2.intervals);
    assert_eq!(r1.events, r2.events);

    // The CLI writes exactly the library's summary.
    let dir = tempfile::tempdir().unwrap();
    run_ok(Some(&path), dir.path(), &[]);
    let written = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert_eq!(
        written,
        serde_json::to_string_pretty(&r1.summary).unwrap() + "\n"
    );
    assert_eq!(
        Table::read(&dir.path().join("intervals.csv")).rows.len(),
        r1.intervals.len()
    );
    assert_eq!(
        Table::read(&dir.path().join("events.csv")).rows.len(),
        r1.events.len()
    );
}

#[test]
fn embedded_default_is_scenarios_default_toml() {
    // `orrery run` without a file and `orrery run scenarios/default.toml` are the same run.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_ok(None, a.path(), &[]);
    run_ok(Some(&scenario("default.toml")), b.path(), &[]);
    assert_identical_outputs(a.path(), b.path());
    assert_eq!(summary(a.path())["scenario"], "default");
    assert_eq!(summary(a.path())["seed"], 42);
}

const SUMMARY_KEYS: [&str; 17] = [
    "scenario",
    "seed",
    "duration_s",
    "energy_kwh",
    "vm_migrations",
    "vms_total",
    "vms_rejected",
    "hosts_total",
    "mean_active_hosts",
    "cpu_shortfall_ratio",
    "slatah",
    "pdm",
    "slav",
    "esv",
    "host_shutdowns",
    "mean_migration_time_s",
    "mean_time_before_host_shutdown_s",
];

fn check_output_shape(dir: &Path, scenario_name: &str, duration_s: f64, hosts: f64) {
    let s = summary(dir);
    let obj = s.as_object().expect("summary.json is a JSON object");
    for k in SUMMARY_KEYS {
        assert!(obj.contains_key(k), "summary.json lacks `{k}`: {s}");
    }
    assert_eq!(s["scenario"], scenario_name);
    assert_eq!(num(&s, "duration_s"), duration_s);
    assert_eq!(num(&s, "hosts_total"), hosts);
    for k in SUMMARY_KEYS.iter().filter(|k| {
        ![
            "scenario",
            "mean_migration_time_s",
            "mean_time_before_host_shutdown_s",
        ]
        .contains(k)
    }) {
        let v = num(&s, k);
        assert!(
            v.is_finite() && v >= 0.0,
            "`{k}` should be a finite non-negative number, got {v}"
        );
    }
    for k in ["mean_migration_time_s", "mean_time_before_host_shutdown_s"] {
        assert!(
            s[k].is_null() || s[k].as_f64().is_some_and(|v| v >= 0.0),
            "`{k}` = {}",
            s[k]
        );
    }
    assert!(
        num(&s, "mean_active_hosts") <= hosts,
        "more active hosts than hosts: {s}"
    );
    assert!(num(&s, "vms_rejected") <= num(&s, "vms_total"));

    let intervals = std::fs::read_to_string(dir.join("intervals.csv")).unwrap();
    assert_eq!(
        intervals.lines().next(),
        Some(
            "time_s,active_hosts,power_w,energy_kwh,cpu_util_mean,cpu_load_max,vms_running,migrations,\
             cpu_shortfall_ratio,max_temperature_c,mean_temperature_c,cooling_power_w,cooling_energy_kwh,hot_spots,\
             time_above_redline_s,carbon_intensity,interval_emissions_g,emissions_g"
        )
    );
    let events = std::fs::read_to_string(dir.join("events.csv")).unwrap();
    assert_eq!(events.lines().next(), Some("time_s,kind,vm,host,detail"));

    // One interval row per monitoring update (every 300 s here), in time order, energy never
    // decreasing, and never more active hosts than hosts.
    let t = Table::read(&dir.join("intervals.csv"));
    assert!(!t.rows.is_empty(), "no interval rows");
    let mut prev_energy = 0.0;
    for (i, row) in t.rows.iter().enumerate() {
        assert_eq!(t.f(row, "time_s"), 300.0 * (i + 1) as f64, "row {i}");
        let e = t.f(row, "energy_kwh");
        assert!(
            e >= prev_energy,
            "energy decreased at row {i}: {prev_energy} -> {e}"
        );
        prev_energy = e;
        assert!(t.f(row, "active_hosts") <= hosts);
        let u = t.f(row, "cpu_util_mean");
        assert!(
            (0.0..=1.0 + 1e-9).contains(&u),
            "cpu_util_mean {u} at row {i}"
        );
        let short = t.f(row, "cpu_shortfall_ratio");
        assert!((0.0..=1.0).contains(&short), "shortfall {short} at row {i}");
    }
    assert!(t.f(t.rows.last().unwrap(), "time_s") <= duration_s);

    let ev = Table::read(&dir.join("events.csv"));
    let mut prev = 0.0;
    for row in &ev.rows {
        let time = ev.f(row, "time_s");
        assert!(
            time >= prev && time <= duration_s,
            "event times out of order: {prev} then {time}"
        );
        prev = time;
    }
}

#[test]
fn output_files_have_the_documented_shape_default() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(None, dir.path(), &[]);
    check_output_shape(dir.path(), "default", 86400.0, 240.0);
}

#[test]
fn output_files_have_the_documented_shape_power_cycling() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(Some(&scenario("power-cycling.toml")), dir.path(), &[]);
    check_output_shape(dir.path(), "power-cycling", 43200.0, 32.0);
}
