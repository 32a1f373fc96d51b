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

    // A manifest of another grid: results.csv's header is not the declared one.
    fs::write(
        dir.join("sweep.json"),
        r#"{"scenario": "s", "keys": ["policies.placement"], "kinds": ["str"], "points": 2, "replicas": 1}"#,
    )
    .unwrap();
    let (path, problem, hint) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("results.csv"));
    assert!(
        problem.contains("the header is not the results table's"),
        "{problem}"
    );
    assert!(hint.contains("different sweeps"), "{hint}");

    // A sweep of replicas only: the header is the declared one, the rows are broken.
    fs::write(
        dir.join("sweep.json"),
        r#"{"scenario": "s", "keys": [], "kinds": [], "points": 1, "replicas": 2}"#,
    )
    .unwrap();
    let schema = orrery_engine::scenario::sweep::results_schema(&[], &[]);
    let header = schema.header();
    let width = schema.columns.len();
    let row = |first: &str| {
        let mut cells = vec![first.to_string(), "0".into(), "1".into(), "r1".into()];
        cells.extend((4..width).map(|_| "".to_string()));
        cells.join(",")
    };
    fs::write(
        dir.join("results.csv"),
        format!("{header}{}\n{},9\n", row("0"), row("0")),
    )
    .unwrap();
    let (path, problem, _) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("results.csv"));
    assert!(problem.starts_with("malformed CSV"), "{problem}");

    fs::write(dir.join("results.csv"), format!("{header}{}\n", row("x"))).unwrap();
    let (_, problem, hint) = input_error(finish_sweep(&dir));
    assert!(problem.starts_with("malformed CSV"), "{problem}");
    assert!(hint.contains("--force"), "{hint}");

    fs::write(dir.join("results.csv"), &header).unwrap();
    let (_, problem, _) = input_error(finish_sweep(&dir));
    assert_eq!(problem, "no runs");

    fs::remove_file(dir.join("results.csv")).unwrap();
    let (path, problem, _) = input_error(finish_sweep(&dir));
    assert!(path.ends_with("results.csv"));
    assert_eq!(problem, "file not found");
}
