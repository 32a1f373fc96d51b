//! `orrery sweep slurm`: a submission script for a Slurm job array, one array task per shard,
//! and the merge job that runs once every shard has succeeded.

use std::path::{Path, PathBuf};

/// What the script submits.
#[derive(Debug, Clone)]
pub struct Job {
    /// The orrery binary the nodes run (absolute).
    pub orrery: PathBuf,
    /// The scenario file (absolute).
    pub scenario: PathBuf,
    /// The sweep directory, on a filesystem every node sees (absolute).
    pub out: PathBuf,
    /// `--set` overrides passed on to every shard.
    pub sets: Vec<String>,
    /// Shards, one array task each.
    pub shards: usize,
    /// At most this many array tasks at once.
    pub max_running: Option<usize>,
    /// CPUs per task: the size of each shard's worker pool.
    pub cpus: usize,
    /// Slurm partition.
    pub partition: Option<String>,
    /// Time limit per task (Slurm syntax, e.g. `01:00:00`).
    pub time: Option<String>,
    /// Memory per task (Slurm syntax, e.g. `4G`).
    pub mem: Option<String>,
    /// Job name prefix.
    pub name: String,
}

impl Job {
    /// The bash script that submits the array and its merge job (`bash script.sh`).
    pub fn script(&self) -> String {
        let n = self.shards;
        let out = quote(&self.out);
        let mut array = format!("--array=0-{}", n - 1);
        if let Some(m) = self.max_running {
            array.push_str(&format!("%{m}"));
        }
        let mut common = String::new();
        for (flag, value) in [
            ("partition", &self.partition),
            ("time", &self.time),
            ("mem", &self.mem),
        ] {
            if let Some(v) = value {
                common.push_str(&format!("#SBATCH --{flag}={v}\n"));
            }
        }
        let sets: String = self
            .sets
            .iter()
            .map(|s| format!(" --set {}", quote_str(s)))
            .collect();
        format!(
            r#"#!/usr/bin/env bash
# Sweep of {scenario} in {n} shards, written by `orrery sweep slurm`.
# Submit from a login node with `bash <this file>`; {out_plain}
# must be on a filesystem every node sees. Each array task runs one shard
# (`--shard $SLURM_ARRAY_TASK_ID/{n}`) with as many worker threads as CPUs Slurm gave it;
# the merge job runs only if every task succeeded (afterok), and a failed shard can be
# re-run alone: finished runs are kept and skipped.
set -euo pipefail
mkdir -p {out}/slurm
array=$(sbatch --parsable <<'ORRERY_ARRAY'
#!/usr/bin/env bash
#SBATCH --job-name={name}
#SBATCH {array}
#SBATCH --cpus-per-task={cpus}
{common}#SBATCH --output={out_plain}/slurm/shard-%a.out
exec {orrery} sweep {scenario} --out {out} --shard "$SLURM_ARRAY_TASK_ID/{n}" --jobs "${{SLURM_CPUS_PER_TASK:-1}}"{sets}
ORRERY_ARRAY
)
array=${{array%%;*}}
merge=$(sbatch --parsable --dependency=afterok:"$array" <<'ORRERY_MERGE'
#!/usr/bin/env bash
#SBATCH --job-name={name}-merge
#SBATCH --cpus-per-task=1
{common}#SBATCH --output={out_plain}/slurm/merge.out
exec {orrery} sweep merge {out} --expect {n}
ORRERY_MERGE
)
echo "submitted job array $array ({n} shards) and merge job ${{merge%%;*}}"
"#,
            scenario = quote(&self.scenario),
            out_plain = self.out.display(),
            name = self.name,
            cpus = self.cpus,
            orrery = quote(&self.orrery),
        )
    }
}

/// `p` quoted for bash.
fn quote(p: &Path) -> String {
    quote_str(&p.display().to_string())
}

/// `s` in single quotes for bash.
fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            orrery: "/opt/orrery".into(),
            scenario: "/home/a/grid.toml".into(),
            out: "/scratch/a b".into(),
            sets: vec!["seed=7".into(), "name=it's".into()],
            shards: 8,
            max_running: Some(3),
            cpus: 4,
            partition: Some("short".into()),
            time: None,
            mem: Some("2G".into()),
            name: "orrery-grid".into(),
        }
    }

    #[test]
    fn the_array_covers_every_shard_and_the_merge_waits_for_it() {
        let s = job().script();
        assert!(s.contains("#SBATCH --array=0-7%3\n"), "{s}");
        assert!(s.contains("#SBATCH --cpus-per-task=4\n"));
        assert!(s.contains("#SBATCH --partition=short\n#SBATCH --mem=2G\n"));
        assert!(!s.contains("--time"));
        assert!(s.contains(
            "exec '/opt/orrery' sweep '/home/a/grid.toml' --out '/scratch/a b' \
             --shard \"$SLURM_ARRAY_TASK_ID/8\" --jobs \"${SLURM_CPUS_PER_TASK:-1}\" \
             --set 'seed=7' --set 'name=it'\\''s'\n"
        ));
        assert!(s.contains("--dependency=afterok:\"$array\""));
        assert!(s.contains("exec '/opt/orrery' sweep merge '/scratch/a b' --expect 8\n"));
    }

    #[test]
    fn no_limit_means_a_plain_array() {
        let mut j = job();
        j.max_running = None;
        assert!(j.script().contains("#SBATCH --array=0-7\n"));
    }
}
