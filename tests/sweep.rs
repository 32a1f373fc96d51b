//! Sweeps: results independent of thread count and shard split, resumption after an
//! interruption, and the checks that keep two sweeps from mixing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::sweep_contents as contents;
use std::time::{Duration, Instant};

use orrery::sweep::{merge, Options, Plan, Shard};

const GRID: &str = "sweeps/policies.toml";

fn plan(sets: &[&str]) -> Plan {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let scenario = orrery::load_scenario(Some(&common::scenario(GRID)), &sets).unwrap();
    Plan::new(&scenario).unwrap()
}

fn opts(out: &Path, jobs: usize, shard: Shard) -> Options {
    Options {
        out: out.to_path_buf(),
        jobs: Some(jobs),
        shard,
        force: false,
        progress: true,
    }
}

#[test]
fn one_two_and_four_threads_give_identical_results() {
    let p = plan(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = [1, 2, 4]
        .iter()
        .map(|&jobs| {
            let dir = tmp.path().join(format!("j{jobs}"));
            let o = p.run(&opts(&dir, jobs, Shard::WHOLE)).unwrap();
            assert_eq!((o.points, o.replicas, o.runs, o.skipped), (9, 2, 18, 0));
            dir
        })
        .collect();
    let first = contents(&dirs[0]);
    // 18 runs, each with summary.json, run.json, tables.json, its manifest, and nine tables
    // (intervals, events, temperatures, usage and billing with their totals, audit,
    // migrations) as CSV and Parquet.
    assert_eq!(first.len(), 2 + 18 * (4 + 9 * 2));
    for d in &dirs[1..] {
        assert!(
            first == contents(d),
            "{} differs from 1 thread",
            d.display()
        );
    }
    // One row per run, in (point, replica) order, with the swept values.
    let results = fs::read_to_string(dirs[0].join("results.csv")).unwrap();
    let rows: Vec<Vec<&str>> = results.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        &rows[0][..6],
        [
            "point",
            "replica",
            "seed",
            "run",
            "policies.placement",
            "policies.reallocation"
        ]
    );
    assert_eq!(rows.len(), 19);
    assert_eq!(&rows[1][..3], ["0", "0", "5"]);
    assert_eq!(&rows[1][4..6], ["packing", "none"]);
    assert_eq!(&rows[10][..2], ["4", "1"]);
    assert_eq!(&rows[10][4..6], ["striping", "consolidation"]);
    assert_eq!(&rows[18][4..6], ["coolest", "thermal-balance"]);
    // Each run's folder is named in its row.
    assert!(dirs[0]
        .join("runs")
        .join(rows[10][3])
        .join("run.json")
        .is_file());
}

#[test]
fn three_shards_merged_equal_one_process() {
    let p = plan(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    p.run(&opts(&single, 2, Shard::WHOLE)).unwrap();
    let sharded = tmp.path().join("sharded");
    // Merging before every shard has finished names the missing parts.
    for index in [2, 0] {
        let o = p
            .run(&opts(&sharded, 1, Shard { index, count: 3 }))
            .unwrap();
        assert_eq!(
            o.runs,
            3 * 2,
            "points {index}, {}, {} of 9",
            index + 3,
            index + 6
        );
    }
    let err = merge(&sharded, 3).unwrap_err().to_string();
    assert!(err.contains("parts 1 of 3 are missing"), "{err}");
    p.run(&opts(&sharded, 1, Shard { index: 1, count: 3 }))
        .unwrap();
    merge(&sharded, 3).unwrap();
    assert!(contents(&single) == contents(&sharded));
    // A wrong shard count is caught, not merged into a short table.
    assert!(merge(&sharded, 2)
        .unwrap_err()
        .to_string()
        .contains("missing"));
}

#[test]
fn the_first_replica_of_a_point_is_orrery_run_with_its_values() {
    let p = plan(&[]);
    let tmp = tempfile::tempdir().unwrap();
    p.run(&opts(tmp.path(), 2, Shard::WHOLE)).unwrap();
    let sets = [
        "policies.placement=coolest".to_string(),
        "policies.reallocation=consolidation".to_string(),
    ];
    let s = orrery::load_scenario(Some(&common::scenario(GRID)), &sets).unwrap();
    let direct = orrery::run(&s, None).unwrap().summary;
    // Point 7 = coolest (index 2) × consolidation (index 1).
    let summary = |replica| {
        let run = common::run_folder(tmp.path(), 7, replica);
        let text = fs::read_to_string(tmp.path().join("runs").join(run).join("summary.json"));
        serde_json::from_str::<orrery_engine::metrics::Summary>(&text.unwrap()).unwrap()
    };
    let saved = summary(0);
    assert_eq!(saved, direct);
    // Replica 1 ran on another seed, so on other demand.
    let other = summary(1);
    assert_ne!(other.seed, direct.seed);
    assert_ne!(other.energy_kwh, direct.energy_kwh);
}

#[test]
fn an_interrupted_sweep_resumes_and_ends_as_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    let longer = ["duration_s=172800"];
    plan(&longer)
        .run(&opts(&reference, 2, Shard::WHOLE))
        .unwrap();

    // Kill the CLI once a few runs have finished.
    let dir = tmp.path().join("interrupted");
    let mut child = common::orrery()
        .arg("sweep")
        .arg(common::scenario(GRID))
        .args(["--out", dir.to_str().unwrap(), "--jobs", "1"])
        .args(["--set", longer[0]])
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let finished = |d: &Path| {
        fs::read_dir(d.join("runs")).map_or(0, |r| {
            r.filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().starts_with('r')
            })
            .count()
        })
    };
    let started = Instant::now();
    while finished(&dir) < 2 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = finished(&dir);
    assert!(
        (2..18).contains(&done) && !dir.join("results.csv").exists(),
        "the sweep was not interrupted part-way ({done} runs finished)"
    );

    let o = plan(&longer).run(&opts(&dir, 2, Shard::WHOLE)).unwrap();
    assert_eq!(o.skipped, done, "finished runs are kept");
    assert_eq!(o.runs, 18);
    // Only complete run folders count: leftovers of the killed run are not results.
    assert!(contents(&reference) == contents(&dir));

    // --force re-runs everything, to the same results.
    let mut forced = opts(&dir, 2, Shard::WHOLE);
    forced.force = true;
    assert_eq!(plan(&longer).run(&forced).unwrap().skipped, 0);
    assert!(contents(&reference) == contents(&dir));
}

#[test]
fn a_directory_of_another_sweep_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    plan(&["duration_s=3600"])
        .run(&opts(tmp.path(), 2, Shard::WHOLE))
        .unwrap();
    // Another base scenario (not only another grid): refused.
    let err = plan(&["duration_s=7200"])
        .run(&opts(tmp.path(), 2, Shard::WHOLE))
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds runs of another sweep"), "{err}");
    assert!(err.contains("use another --out"), "{err}");
}

#[test]
fn a_sweep_grows_by_running_only_its_new_runs_whatever_its_path_is_called() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("grown");
    let short = "duration_s=3600";
    let o = plan(&[short]).run(&opts(&dir, 2, Shard::WHOLE)).unwrap();
    assert_eq!((o.runs, o.skipped), (18, 0));
    // A third replica: only the nine new runs run.
    let o = plan(&[short, "sweep.replicas=3"])
        .run(&opts(&dir, 2, Shard::WHOLE))
        .unwrap();
    assert_eq!((o.runs, o.skipped), (27, 18));
    // A fourth reallocation policy, inserted in the middle of its list: the points after it
    // move to new indices, but their runs are found by content and not run again.
    let four = "sweep.policies.reallocation=[\"none\", \"cpu-balance\", \"consolidation\", \"thermal-balance\"]";
    let o = plan(&[short, "sweep.replicas=3", four])
        .run(&opts(&dir, 2, Shard::WHOLE))
        .unwrap();
    assert_eq!((o.runs, o.skipped), (36, 27));
    // The grown directory holds exactly what one sweep of the final grid writes.
    let fresh = tmp.path().join("fresh");
    plan(&[short, "sweep.replicas=3", four])
        .run(&opts(&fresh, 2, Shard::WHOLE))
        .unwrap();
    assert!(contents(&fresh) == contents(&dir));
    // The same scenario named by another path (relative, through `..`) is the same sweep.
    let scenario = common::scenario(GRID);
    let roundabout = scenario
        .parent()
        .unwrap()
        .join("../sweeps")
        .join(scenario.file_name().unwrap());
    let sets: Vec<String> = [short, "sweep.replicas=3", four]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let s = orrery::load_scenario(Some(&roundabout), &sets).unwrap();
    let o = Plan::new(&s)
        .unwrap()
        .run(&opts(&dir, 2, Shard::WHOLE))
        .unwrap();
    assert_eq!((o.runs, o.skipped), (36, 36));
}

#[test]
fn the_cli_reports_bad_grids_and_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    let text = fs::read_to_string(common::scenario(GRID))
        .unwrap()
        .replace("replicas = 2", "replicas = 2\nseed = 4");
    fs::write(&bad, text).unwrap();
    let out = common::run_orrery(["sweep", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml, line 11") && err.contains("must be a list"),
        "{err}"
    );

    let grid = common::scenario(GRID);
    let out = common::run_orrery(["sweep", grid.to_str().unwrap(), "--shard", "3/3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a shard"));

    let plain = common::scenario("default.toml");
    let out = common::run_orrery(["sweep", plain.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no [sweep] table"));

    let out = common::run_orrery([
        "sweep",
        "merge",
        tmp.path().to_str().unwrap(),
        "--expect",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a sweep directory"));
}

#[test]
fn a_sweep_has_parquet_and_aggregate_tables_a_report_and_a_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    plan(&[]).run(&opts(&dir, 2, Shard::WHOLE)).unwrap();
    for f in ["results.parquet", "aggregate.csv", "aggregate.parquet"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    // One aggregate row per point, over its two replicas.
    let aggregate = fs::read_to_string(dir.join("aggregate.csv")).unwrap();
    assert_eq!(aggregate.lines().count(), 1 + 9);

    let out = common::run_orrery(["report", dir.to_str().unwrap()]);
    common::assert_success(&out);
    let page = fs::read_to_string(dir.join("report/index.html")).unwrap();
    assert!(page.contains("data:image/png;base64,"));

    let out = common::run_orrery(["compare", "--format", "csv", dir.to_str().unwrap()]);
    common::assert_success(&out);
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + 9, "{table}");
    assert!(
        lines[2].starts_with("\"policies-sweep (placement=packing, reallocation=consolidation)\",")
    );
}

#[test]
fn the_table1_grid_benchmark_sweep_runs_end_to_end_with_seeds_above_2_63() {
    // 16 points × 4 replicas of a day: replica seeds are random u64, so some pass 2^63 (they
    // once made the Parquet step fail).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("grid");
    let grid = common::scenario("sweeps/table1-grid.toml");
    let out = common::run_orrery([
        "sweep".as_ref(),
        grid.as_os_str(),
        "--jobs".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
    ]);
    common::assert_success(&out);
    let results = common::Table::read(&dir.join("results.csv"));
    assert_eq!(results.rows.len(), 64);
    let seed = results.col("seed");
    let big = results
        .rows
        .iter()
        .filter(|r| r[seed].parse::<u64>().unwrap() >= 1 << 63)
        .count();
    assert!(big > 0, "no seed above 2^63 among 48 random ones");
    for f in [
        "results.parquet",
        "aggregate.csv",
        "aggregate.parquet",
        "orrery-output.json",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    assert_eq!(
        common::Table::read(&dir.join("aggregate.csv")).rows.len(),
        16
    );
    common::assert_success(&common::run_orrery(["report".as_ref(), dir.as_os_str()]));
    common::assert_success(&common::run_orrery(["compare".as_ref(), dir.as_os_str()]));
}
