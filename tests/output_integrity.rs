//! Outputs that cannot lie: a used `--out` is refused unless `--force` (which removes only
//! orrery's own files), `report` and `compare` refuse a directory that is incomplete or whose
//! files were cut short, a full disk fails with exit 1 naming the file and leaves nothing that
//! looks complete, and an interrupted sweep's leftovers are cleaned when it resumes.

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// The power-cycling scenario shortened to an hour (a small, quick run).
fn short_run(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec![
        "run".into(),
        scenario("power-cycling.toml").display().to_string(),
        "--set".into(),
        "duration_s=3600".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run_orrery(&args)
}

#[test]
fn a_used_out_is_refused_unless_forced_and_force_leaves_no_stale_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A thermal run writes temperatures.csv.
    let thermal = run_orrery([
        "run".as_ref(),
        scenario("table1/thermal-balance.toml").as_os_str(),
        "--set".as_ref(),
        "duration_s=3600".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_success(&thermal);
    assert!(out.join("temperatures.csv").is_file());
    fs::write(out.join("my-notes.txt"), "keep me").unwrap();
    // Into the same directory: refused, nothing touched.
    let again = short_run(&out, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    let err = stderr(&again);
    assert!(err.contains("already holds results"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(out.join("temperatures.csv").is_file());
    // With --force: the earlier run's files are gone, the user's file stays.
    assert_success(&short_run(&out, &["--force"]));
    assert!(
        !out.join("temperatures.csv").exists(),
        "a stale file stayed"
    );
    assert_eq!(
        fs::read_to_string(out.join("my-notes.txt")).unwrap(),
        "keep me"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("orrery-output.json")).unwrap()).unwrap();
    let listed: Vec<&str> = manifest["files"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec!["summary.json".to_string(), "tables.json".to_string()];
    for t in [
        "audit",
        "billing",
        "billing_totals",
        "events",
        "intervals",
        "migrations",
        "usage",
        "usage_totals",
    ] {
        expected.push(format!("{t}.csv"));
        expected.push(format!("{t}.parquet"));
    }
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn report_and_compare_refuse_a_run_cut_short_or_without_its_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_success(&short_run(&out, &[]));
    let events = out.join("events.csv");
    let text = fs::read_to_string(&events).unwrap();
    fs::write(&events, &text[..text.len() / 2]).unwrap();
    for cmd in ["report", "compare"] {
        let o = run_orrery([cmd.as_ref(), out.as_os_str()]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("events.csv"), "{err}");
        assert!(err.contains("cut short"), "{err}");
    }
    fs::write(&events, &text).unwrap();
    fs::remove_file(out.join("orrery-output.json")).unwrap();
    for cmd in ["report", "compare"] {
        let o = run_orrery([cmd.as_ref(), out.as_os_str()]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        assert!(stderr(&o).contains("incomplete"), "{}", stderr(&o));
    }
}

/// Mounts a tmpfs of `kib` KiB at `dir` (the tests run as root in CI; a machine where mounting
/// is not allowed fails the test, saying so, rather than skipping it).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, kib: u32) -> Tmpfs {
        fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("cannot run mount");
        assert!(
            status.success(),
            "mounting a small tmpfs failed: this test needs root (CI runs as root)"
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_with_exit_1_naming_the_file_and_leaves_nothing_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&tmp.path().join("disk"), 64);
    let out = disk.0.join("out");
    // The embedded default day writes megabytes of events: far more than 64 KiB.
    let o = run_orrery(["run".as_ref(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("error: cannot write "), "{err}");
    assert!(err.contains(".csv"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Nothing that looks complete: no directory at all (it was created by this run).
    assert!(!out.exists(), "{:?}", fs::read_dir(&out).map(|d| d.count()));
}

#[test]
fn a_resumed_sweep_cleans_the_leftovers_of_an_interrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let sweep = |extra: &[&str]| {
        let mut args = vec![
            "sweep".to_string(),
            scenario("sweeps/policies.toml").display().to_string(),
            "--set".into(),
            "duration_s=3600".into(),
            "--jobs".into(),
            "2".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        run_orrery(&args)
    };
    assert_success(&sweep(&[]));
    // What a killed sweep leaves: a half-written run folder, and the sweep unsealed.
    let run = run_folder(&out, 3, 1);
    let leftover = out.join(format!("runs/.tmp-{run}-99999"));
    fs::create_dir_all(&leftover).unwrap();
    fs::write(leftover.join("summary.json"), "{").unwrap();
    fs::remove_dir_all(out.join("runs").join(&run)).unwrap();
    fs::remove_file(out.join("orrery-output.json")).unwrap();
    let o = run_orrery(["report".as_ref(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(2), "an unsealed sweep is incomplete");
    let o = sweep(&[]);
    assert_success(&o);
    assert!(
        stdout(&o).contains("ran 1 runs, skipped 17"),
        "{}",
        stdout(&o)
    );
    assert!(!leftover.exists(), "the leftover folder stayed");
    assert!(out.join("orrery-output.json").is_file());
    assert_success(&run_orrery(["report".as_ref(), out.as_os_str()]));
}
