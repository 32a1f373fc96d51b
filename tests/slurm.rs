//! The Slurm round trip: a real single-node Slurm (munged, slurmctld and slurmd started by
//! `tests/slurm/cluster.sh`, no systemd) runs the job-array script `orrery sweep slurm` prints,
//! and the merged result equals a single-process sweep byte for byte.
//!
//! Needs Debian's slurm-wlm and munge, and root; `.ci/install` installs them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A running test cluster, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(common::root().join("tests/slurm/cluster.sh"))
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("cannot run tests/slurm/cluster.sh");
        assert!(
            out.status.success(),
            "the test Slurm cluster did not start (install slurm-wlm and munge with \
             .ci/install, as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let conf = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        Cluster { dir, conf }
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn queue_is_empty(&self) -> bool {
        let out = self.command("squeue").arg("-h").output().unwrap();
        out.status.success() && out.stdout.is_empty()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(common::root().join("tests/slurm/cluster.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

fn orrery_ok(args: &[&str]) -> String {
    let out = common::run_orrery(args);
    common::assert_success(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_job_array_sweep_merges_to_the_single_process_result() {
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    let grid = common::scenario("sweeps/policies.toml");
    let grid = grid.to_str().unwrap();
    let out = tmp.path().join("slurm-sweep");
    let script = orrery_ok(&[
        "sweep",
        "slurm",
        grid,
        "--shards",
        "3",
        "--max-running",
        "2",
        "--cpus",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(script.contains("#SBATCH --array=0-2%2"));
    let script_path = tmp.path().join("submit.sh");
    std::fs::write(&script_path, &script).unwrap();
    let submitted = cluster.command("bash").arg(&script_path).output().unwrap();
    assert!(
        submitted.status.success(),
        "sbatch failed: {}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    assert!(String::from_utf8_lossy(&submitted.stdout).contains("submitted job array"));

    // The merge job writes results.csv only after all three shards succeeded.
    let started = Instant::now();
    while !(out.join("results.csv").exists() && cluster.queue_is_empty()) {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the Slurm jobs did not finish; see {}",
            out.join("slurm").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for i in 0..3 {
        assert!(out.join(format!("parts/part-{i}-of-3.csv")).exists());
        let log = std::fs::read_to_string(out.join(format!("slurm/shard-{i}.out"))).unwrap();
        assert!(log.contains("ran 6 runs"), "shard {i}: {log}");
    }
    let merge_log = std::fs::read_to_string(out.join("slurm/merge.out")).unwrap();
    assert!(merge_log.contains("merged 3 parts"), "{merge_log}");

    let single = tmp.path().join("single");
    orrery_ok(&["sweep", grid, "--out", single.to_str().unwrap()]);
    assert!(common::sweep_contents(&single) == common::sweep_contents(Path::new(&out)));
}
