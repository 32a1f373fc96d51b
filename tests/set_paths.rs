//! A path given with `--set` resolves as the file's own values do: against the file's
//! directory, whatever the working directory (an absolute path as it is). Scenarios (trace
//! directories), federation files (site scenarios), live configs (the journal) and bench suites
//! (scenario files) all follow the rule.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// A scenario `dir/scenario/s.toml` (the PlanetLab-day scenario) with a tiny trace folder
/// `dir/scenario/traces`, and an empty `dir/elsewhere` to run from.
fn trace_scenario(dir: &Path) -> (PathBuf, PathBuf) {
    let home = dir.join("scenario");
    let traces = home.join("traces");
    fs::create_dir_all(&traces).unwrap();
    for vm in ["vm-a", "vm-b", "vm-c"] {
        fs::write(traces.join(vm), "10\n20\n30\n40\n").unwrap();
    }
    let file = home.join("s.toml");
    fs::copy(scenario("planetlab-day.toml"), &file).unwrap();
    let elsewhere = dir.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    (file, elsewhere)
}

#[test]
fn a_relative_trace_dir_from_set_is_relative_to_the_scenario_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, elsewhere) = trace_scenario(tmp.path());
    // Run from another directory, naming the file relatively too.
    let out = orrery()
        .current_dir(&elsewhere)
        .args([
            "run",
            "../scenario/s.toml",
            "--set",
            "workload.trace_dir=traces",
        ])
        .args(["--out", "out", "--json"])
        .output()
        .unwrap();
    assert_success(&out);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["vms_total"], 3, "the three traces beside the file");
    assert!(
        elsewhere.join("out/summary.json").is_file(),
        "--out is a CLI path: cwd"
    );

    // A missing one is named as resolved: beside the scenario, not in the working directory.
    let out = orrery()
        .current_dir(&elsewhere)
        .args([
            "run",
            "../scenario/s.toml",
            "--set",
            "workload.trace_dir=missing",
        ])
        .args(["--out", "out2"])
        .output()
        .unwrap();
    let err = assert_input_error(&out);
    assert!(err.contains("../scenario/missing"), "{err}");

    // An absolute path is taken as it is.
    let traces = file.parent().unwrap().join("traces");
    let set = format!("workload.trace_dir={}", traces.display());
    let out = orrery()
        .current_dir(&elsewhere)
        .args(["run", "../scenario/s.toml", "--set", &set])
        .args(["--out", "out3", "--json"])
        .output()
        .unwrap();
    assert_success(&out);
}

#[test]
fn verbose_names_the_resolved_trace_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, elsewhere) = trace_scenario(tmp.path());
    let out = orrery()
        .current_dir(&elsewhere)
        .args([
            "-v",
            "run",
            "../scenario/s.toml",
            "--set",
            "workload.trace_dir=traces",
        ])
        .args(["--out", "out"])
        .output()
        .unwrap();
    assert_success(&out);
    let traces = fs::canonicalize(file.parent().unwrap().join("traces")).unwrap();
    assert!(
        stderr(&out).contains(&format!("Traces {}", traces.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_federation_site_scenario_from_set_is_relative_to_the_federation_file() {
    let tmp = tempfile::tempdir().unwrap();
    let fed = tmp.path().join("federation");
    fs::create_dir_all(fed.join("sites")).unwrap();
    for f in ["campus", "partner"] {
        fs::copy(
            scenario(&format!("federation/sites/{f}.toml")),
            fed.join(format!("sites/{f}.toml")),
        )
        .unwrap();
    }
    // The second site's scenario also under another name, given only by --set.
    fs::copy(
        scenario("federation/sites/partner.toml"),
        fed.join("sites/other.toml"),
    )
    .unwrap();
    fs::copy(scenario("federation/bursting.toml"), fed.join("f.toml")).unwrap();
    let out = orrery()
        .current_dir(tmp.path())
        .args(["validate", "federation/f.toml", "--set"])
        .arg("sites.1.scenario=sites/other.toml")
        .output()
        .unwrap();
    assert_success(&out);
    // The same relative path is not found in the working directory's sense.
    let out = orrery()
        .current_dir(tmp.path())
        .args(["validate", "federation/f.toml", "--set"])
        .arg("sites.1.scenario=federation/sites/other.toml")
        .output()
        .unwrap();
    let err = assert_input_error(&out);
    assert!(
        err.contains("federation/federation/sites/other.toml"),
        "{err}"
    );
}

#[cfg(feature = "live")]
#[test]
fn a_live_journal_from_set_is_relative_to_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    fs::create_dir(&live).unwrap();
    for e in fs::read_dir(root().join("scenarios/live")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), live.join(e.file_name())).unwrap();
    }
    let out = orrery()
        .current_dir(tmp.path())
        .args([
            "live",
            "--config",
            "live/test-driver.toml",
            "--once",
            "--apply",
        ])
        .args(["--set", "journal=j.journal", "-q"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(live.join("j.journal").is_file(), "not beside the config");
    assert!(!tmp.path().join("j.journal").exists(), "written in the cwd");
}

#[test]
fn a_bench_suite_scenario_from_set_is_relative_to_the_suite() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    fs::create_dir(&suite).unwrap();
    fs::copy(
        scenario("table1/consolidation.toml"),
        suite.join("consolidation.toml"),
    )
    .unwrap();
    fs::write(
        suite.join("suite.toml"),
        "name = \"tiny\"\n\n[[scenario]]\nname = \"one\"\nfile = \"missing.toml\"\n\n\
         [metrics.energy_kwh]\nbetter = \"lower\"\n",
    )
    .unwrap();
    let out = orrery()
        .current_dir(tmp.path())
        .args(["validate", "suite/suite.toml", "--set"])
        .arg("scenario.0.file=consolidation.toml")
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        stdout(&out).contains("bench suite of 1 scenarios"),
        "{}",
        stdout(&out)
    );
}
