//! `orrery run`: what it prints, what it writes, and how `--set` and `--seed` change a run.

mod common;

use common::*;

#[test]
fn run_prints_a_table_and_writes_three_files() {
    let tmp = tempfile::tempdir().unwrap();
    // A nested directory that does not exist yet is created.
    let dir = tmp.path().join("a").join("b");
    let s = scenario("power-cycling.toml");
    let out = orrery()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        stderr(&out).is_empty(),
        "a good run wrote to stderr: {}",
        stderr(&out)
    );
    let table = stdout(&out);
    for label in [
        "scenario",
        "seed",
        "energy",
        "mean active hosts",
        "migrations",
        "SLATAH",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(label)),
            "no `{label}` row in:\n{table}"
        );
    }
    assert!(table.contains("power-cycling"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("energy") && l.ends_with("kWh")),
        "{table}"
    );
    assert!(
        table.contains(&format!("results in {}", dir.display())),
        "{table}"
    );
    for f in ["summary.json", "intervals.csv", "events.csv"] {
        let len = std::fs::metadata(dir.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .len();
        assert!(len > 0, "{f} is empty");
    }
    // The table shows the summary's numbers.
    let s = summary(&dir);
    let energy = format!("{:.3} kWh", num(&s, "energy_kwh"));
    assert!(
        table.contains(&energy),
        "the table does not show energy {energy}:\n{table}"
    );
}

#[test]
fn run_writes_to_out_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let out = orrery()
        .arg("run")
        .arg(scenario("power-cycling.toml"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_success(&out);
    for f in ["summary.json", "intervals.csv", "events.csv"] {
        assert!(
            tmp.path().join("out").join(f).is_file(),
            "out/{f} not written"
        );
    }
}

#[test]
fn striping_spreads_vms_over_more_hosts_than_packing() {
    // On the default scenario (hosts start on, idle ones power off) striping keeps far more
    // hosts busy than packing. (On power-cycling.toml both give the same run: hosts that are
    // up are always tried before waking one, and VMs fill hosts two at a time either way.)
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_ok(None, a.path(), &["--set", "policies.placement=packing"]);
    run_ok(None, b.path(), &["--set", "policies.placement=striping"]);
    let (packing, striping) = (summary(a.path()), summary(b.path()));
    assert_eq!(
        packing["vms_total"], striping["vms_total"],
        "same requests either way"
    );
    let (p, s) = (
        num(&packing, "mean_active_hosts"),
        num(&striping, "mean_active_hosts"),
    );
    assert!(
        s > 1.2 * p,
        "striping should use more hosts than packing: {s} vs {p}"
    );
    assert!(
        num(&striping, "energy_kwh") > num(&packing, "energy_kwh"),
        "spreading VMs over more hosts should cost energy"
    );
}

#[test]
fn set_placement_packing_is_the_default_scenarios_own_policy() {
    // default.toml says `placement = "packing"`: setting it again changes nothing.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_ok(None, a.path(), &[]);
    run_ok(None, b.path(), &["--set", "policies.placement=packing"]);
    assert_eq!(summary(a.path()), summary(b.path()));
}

#[test]
fn seed_is_recorded_in_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let table = run_ok(
        Some(&scenario("power-cycling.toml")),
        tmp.path(),
        &["--seed", "9"],
    );
    assert_eq!(summary(tmp.path())["seed"], 9);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("seed") && l.trim_end().ends_with(" 9")),
        "{table}"
    );

    // Without --seed, the scenario's own seed (7).
    let tmp = tempfile::tempdir().unwrap();
    run_ok(Some(&scenario("power-cycling.toml")), tmp.path(), &[]);
    assert_eq!(summary(tmp.path())["seed"], 7);
}

#[test]
fn set_seed_and_seed_flag_are_the_same_run() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_ok(
        Some(&scenario("power-cycling.toml")),
        a.path(),
        &["--seed", "9"],
    );
    run_ok(
        Some(&scenario("power-cycling.toml")),
        b.path(),
        &["--set", "seed=9"],
    );
    assert_eq!(summary(a.path()), summary(b.path()));
}

#[test]
fn set_duration_shortens_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(
        Some(&scenario("power-cycling.toml")),
        tmp.path(),
        &["--set", "duration_s=3600"],
    );
    let s = summary(tmp.path());
    assert_eq!(num(&s, "duration_s"), 3600.0);
    // Only the first wave (40 VMs at t = 600 s) arrives within an hour.
    assert_eq!(num(&s, "vms_total"), 40.0);
    let t = Table::read(&tmp.path().join("intervals.csv"));
    assert!(t.rows.iter().all(|r| t.f(r, "time_s") <= 3600.0));
}

#[test]
fn version_and_help_work() {
    let out = run_orrery(["--version"]);
    assert_success(&out);
    assert!(stdout(&out).starts_with("orrery "), "{}", stdout(&out));
    let out = run_orrery(["run", "--help"]);
    assert_success(&out);
    for word in ["--seed", "--set", "--out"] {
        assert!(
            stdout(&out).contains(word),
            "`run --help` does not mention {word}"
        );
    }
}
