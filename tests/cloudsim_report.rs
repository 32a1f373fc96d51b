//! `orrery cloudsim-report` on a tiny configuration (one policy, one day, one seed, one quirk
//! policy): it writes out/validation.md by default, docs/validation.md only with
//! `--update-docs`, and never both. Needs the PlanetLab traces in ../shared/data (or
//! `$ORRERY_SHARED_DATA`): fails, does not skip, when they are missing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use orrery::validation::{shared_data, SHARED_DATA_VAR};

const POLICY: &str = "thr-mmt-0.8";
const DAY: &str = "20110303";

/// The shared data folder, made absolute (the command runs in a temporary directory).
fn shared() -> PathBuf {
    let dir = shared_data(&root());
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    assert!(
        dir.join("planetlab").join(DAY).is_dir() && dir.join("reference").is_dir(),
        "the PlanetLab traces and CloudSim reference results are expected in {} (the shared/ \
         folder beside the clone; set {SHARED_DATA_VAR} to the data folder if it is elsewhere)",
        dir.display()
    );
    dir
}

/// A working directory with a scenarios folder holding one policy and a reference CSV with
/// that policy's row for one day.
fn tiny(dir: &Path) {
    let scenarios = dir.join("scenarios");
    fs::create_dir(&scenarios).unwrap();
    let file = format!("{POLICY}.toml");
    fs::copy(
        root().join("scenarios/beloglazov").join(&file),
        scenarios.join(&file),
    )
    .unwrap();
    let reference =
        fs::read_to_string(shared().join("reference/cloudsim-3.0.3-planetlab.csv")).unwrap();
    let mut lines = reference.lines();
    let mut tiny = format!("{}\n", lines.next().unwrap());
    let row = lines
        .find(|l| l.starts_with(&format!("{DAY},{POLICY},")))
        .expect("the reference has the policy's row");
    tiny.push_str(&format!("{row}\n"));
    fs::write(dir.join("reference.csv"), tiny).unwrap();
}

/// `orrery cloudsim-report` on the tiny configuration in `dir`, with `extra` flags.
fn report(dir: &Path, extra: &[&str]) -> std::process::Output {
    let planetlab = shared().join("planetlab");
    orrery()
        .current_dir(dir)
        .args(["cloudsim-report", "--scenarios", "scenarios", "--reference"])
        .arg("reference.csv")
        .arg("--planetlab")
        .arg(&planetlab)
        .args(["--seeds", "1", "--quirk-day", DAY, "--quirk-policy", POLICY])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn writes_out_validation_md_by_default_and_docs_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tiny(dir);

    // Default: out/validation.md (out/ is created), docs/ untouched.
    let out = report(dir, &[]);
    assert_success(&out);
    assert_eq!(stdout(&out), "wrote out/validation.md\n");
    let md = fs::read_to_string(dir.join("out/validation.md")).unwrap();
    assert!(md.starts_with("# orrery vs CloudSim 3.0.3"), "{md}");
    assert!(
        md.contains(&format!("| {POLICY} ")),
        "no row for {POLICY}:\n{md}"
    );
    assert!(
        md.contains(&format!("### {POLICY}")),
        "no quirk study:\n{md}"
    );
    assert!(!dir.join("docs").exists(), "the default wrote docs/");

    // --update-docs outside a repository (no docs/ here): a located error, nothing written.
    let out = report(dir, &["--update-docs"]);
    let err = assert_input_error(&out);
    assert!(
        err.contains("--update-docs") && err.contains("docs/"),
        "{err}"
    );
    assert!(!dir.join("docs").exists());

    // --update-docs where docs/ exists: docs/validation.md, the same report.
    fs::create_dir(dir.join("docs")).unwrap();
    let out = report(dir, &["--update-docs"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "wrote docs/validation.md\n");
    assert_eq!(
        fs::read_to_string(dir.join("docs/validation.md")).unwrap(),
        md,
        "the report depends only on its inputs"
    );

    // --out elsewhere, quietly: only the file.
    let out = report(dir, &["--out", "elsewhere/report.md", "-q"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "", "no progress under -q");
    assert!(dir.join("elsewhere/report.md").is_file());

    // --update-docs and --out together are a usage error.
    let out = report(dir, &["--update-docs", "--out", "x.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("x.md").exists());
}
