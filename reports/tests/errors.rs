//! Bad input gives errors naming the file and the fix, never a panic.

mod common;

use std::fs;
use std::path::Path;

use orrery_reports::{compare_dirs, finish_sweep, render_report, Format, ReportError};

fn input_error(r: Result<impl std::fmt::Debug, ReportError>) -> (String, String, String) {
    match r {
        Err(ReportError::Input {
            path,
            problem,
            hint,
        }) => (path.display().to_string(), problem, hint),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn a_directory_that_is_neither_a_run_nor_a_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, problem, hint) = input_error(render_report(tmp.path()));
    assert_eq!(path, tmp.path().display().to_string());
    assert!(problem.contains("summary.json") && problem.contains("sweep.json"));
    assert!(hint.contains("--out"));
    let missing = tmp.path().join("nope");
    let (_, problem, _) = input_error(compare_dirs(&[missing], Format::Markdown));
    assert_eq!(problem, "no such directory");
}

#[test]
fn a_run_without_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    fs::create_dir_all(&run).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-small");
    fs::copy(fixture.join("summary.json"), run.join("summary.json")).unwrap();
    // Without its manifest the directory is incomplete.
    let (path, problem, hint) = input_error(render_report(&run));
    assert_eq!(path, run.display().to_string());
    assert!(problem.contains("incomplete"), "{problem}");
    assert!(hint.contains("--force"), "{hint}");
    orrery_engine::output::seal(&run, "run", &["summary.json"]).unwrap();
    let (path, problem, hint) = input_error(render_report(&run));
    assert!(path.ends_with("intervals.csv"), "{path}");
    assert_eq!(problem, "file not found");
    assert!(hint.contains("orrery run --out"));
    // A malformed row names the file and the line.
    fs::write(run.join("intervals.csv"), "time_s,active_hosts\n0,x\n").unwrap();
    orrery_engine::output::seal(&run, "run", &["summary.json", "intervals.csv"]).unwrap();
    let (path, problem, _) = input_error(render_report(&run));
    assert!(path.ends_with("intervals.csv"));
    assert!(problem.starts_with("malformed CSV"), "{problem}");
}

#[test]
fn malformed_sweep_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::fixture_sweep_dir(tmp.path());

    fs::write(dir.join("sweep.json"), "{\"scenario\": 1}").unwrap();
    let (path, problem, _) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("sweep.json"));
    assert!(problem.starts_with("malformed JSON"), "{problem}");

    fs::write(
        dir.join("sweep.json"),
        r#"{"scenario": "s", "keys": ["policies.placement"], "points": 2, "replicas": 1}"#,
    )
    .unwrap();
    let (path, problem, hint) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("results.csv"));
    assert!(
        problem.contains("no column `policies.placement`"),
        "{problem}"
    );
    assert!(hint.contains("different sweeps"));

    fs::write(
        dir.join("sweep.json"),
        r#"{"scenario": "s", "keys": [], "points": 1, "replicas": 2}"#,
    )
    .unwrap();
    let header = "point,replica,seed,energy_kwh\n";
    fs::write(
        dir.join("results.csv"),
        format!("{header}0,0,1,2.5\n0,1,2,3.5,9\n"),
    )
    .unwrap();
    let (path, problem, _) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("results.csv"));
    assert!(problem.starts_with("malformed CSV"), "{problem}");

    fs::write(
        dir.join("results.csv"),
        format!("{header}0,0,1,2.5\nx,1,2,3.5\n"),
    )
    .unwrap();
    let (_, problem, hint) = input_error(finish_sweep(&dir));
    assert_eq!(problem, "column `point` does not hold whole numbers");
    assert!(hint.contains("--force"));

    fs::write(dir.join("results.csv"), "point,replica,seed,energy_kwh\n").unwrap();
    let (_, problem, _) = input_error(finish_sweep(&dir));
    assert_eq!(problem, "no runs");

    fs::remove_file(dir.join("results.csv")).unwrap();
    let (path, problem, _) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("results.csv"));
    assert_eq!(problem, "file not found");
}
