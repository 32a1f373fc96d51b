//! The policy benchmark gate: it passes on the shipped baseline, fails on a seeded policy
//! regression, re-records with `--update`, and rejects a malformed suite with a located error.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn suite() -> PathBuf {
    common::root().join("benches/policies/suite.toml")
}

fn baseline() -> PathBuf {
    common::root().join("benches/policies/baseline.json")
}

/// The shipped suite copied into `dir` with absolute scenario paths, edited by `edit`.
fn suite_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let scenarios = common::root().join("scenarios");
    let text = fs::read_to_string(suite())
        .unwrap()
        .replace("../../scenarios", scenarios.to_str().unwrap());
    let path = dir.join("suite.toml");
    fs::write(&path, edit(text)).unwrap();
    path
}

fn bench(suite: &Path, baseline: &Path, update: bool) -> (Option<i32>, String, String) {
    let mut args = vec![
        "bench".to_string(),
        suite.display().to_string(),
        "--baseline".into(),
        baseline.display().to_string(),
    ];
    if update {
        args.push("--update".into());
    }
    let out = common::run_orrery(&args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_shipped_suite_passes_on_its_baseline() {
    let (code, out, err) = bench(&suite(), &baseline(), false);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 regressions"), "{out}");
    assert!(
        out.contains("21 unchanged"),
        "3 scenarios × 7 metrics: {out}"
    );
}

#[test]
fn dropping_consolidation_is_caught_as_a_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let seeded = suite_copy(tmp.path(), |t| {
        t.replace(
            "\"policies.reallocation=consolidation\"",
            "\"policies.reallocation=none\"",
        )
    });
    let (code, out, err) = bench(&seeded, &baseline(), false);
    assert_eq!(code, Some(1), "{out}{err}");
    // Without consolidation the packed hosts stay on: more hosts, more energy.
    for metric in ["total_energy_kwh", "mean_active_hosts"] {
        let row = out
            .lines()
            .find(|l| l.starts_with(&format!("| packing+consolidation | {metric} |")))
            .unwrap_or_else(|| panic!("no row for {metric}: {out}"));
        assert!(row.ends_with("| **regression** |"), "{row}");
    }
    // Fewer migrations is an improvement, not a regression; other scenarios are untouched.
    assert!(out.contains("| packing+consolidation | vm_migrations |"));
    assert!(!out.contains("| striping+workload-balance |"), "{out}");
}

#[test]
fn update_records_a_baseline_the_gate_then_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let seeded = suite_copy(tmp.path(), |t| t);
    let recorded = tmp.path().join("baseline.json");
    let (code, out, _) = bench(&seeded, &recorded, true);
    assert_eq!(code, Some(0));
    assert!(out.contains("recorded the baseline"));
    // Same suite and code: the recording equals the shipped baseline.
    assert_eq!(
        fs::read_to_string(&recorded).unwrap(),
        fs::read_to_string(baseline()).unwrap()
    );
    let (code, out, _) = bench(&seeded, &recorded, false);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn malformed_suites_and_baselines_are_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let bad_metric = suite_copy(tmp.path(), |t| {
        t.replace("[metrics.slatah]", "[metrics.slataah]")
    });
    let (code, _, err) = bench(&bad_metric, &baseline(), false);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("suite.toml") && err.contains("`slataah` is not a run metric"),
        "{err}"
    );
    assert!(err.contains("use a numeric field of summary.json"), "{err}");

    let bad_toml = suite_copy(tmp.path(), |t| {
        t.replace("better = \"lower\"\nrelative = 0.005", "better = \"down\"")
    });
    let (code, _, err) = bench(&bad_toml, &baseline(), false);
    assert_eq!(code, Some(2));
    assert!(err.contains("suite.toml, line 24"), "{err}");

    let good = suite_copy(tmp.path(), |t| t);
    let broken = tmp.path().join("broken.json");
    fs::write(&broken, "{\"suite\": \"policies\",\n \"results\": [}").unwrap();
    let (code, _, err) = bench(&good, &broken, false);
    assert_eq!(code, Some(2));
    assert!(err.contains("broken.json, line 2"), "{err}");
    assert!(err.contains("--update"), "{err}");
}
