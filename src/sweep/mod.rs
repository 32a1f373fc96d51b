//! Parameter sweeps: every point of a scenario's `[sweep]` grid, each replica, run in
//! parallel, with results that depend only on the grid and the seeds.
//!
//! A sweep directory holds `sweep.json` (the manifest), `runs/rHHHHHHHHHHHHHHHH/` (one folder
//! per run, named by the run's content id: what `orrery run` writes plus `run.json`),
//! `results.csv` (one row per run, in point order, naming each run's folder) and, made from it
//! by the reports crate, `results.parquet` and `aggregate.csv` / `aggregate.parquet` (mean,
//! standard deviation and 95 % confidence interval per point). A run's folder appears
//! atomically when the run is complete, so an interrupted sweep resumes where it stopped; a
//! grid that grew (more values, more replicas) runs only its new runs, since a run is found by
//! its content (its point's scenario and its seed), not by its place in the grid. A shard (`--shard i/N`) runs the points `k` with `k mod N = i` and
//! writes `parts/part-i-of-N.csv`; `merge` joins the parts into the same `results.csv` a single
//! process would have written.

mod error;
mod shard;
pub mod slurm;
mod store;

use std::path::{Path, PathBuf};

use orrery_engine::scenario::sweep::{display, kind_of, Grid};
use orrery_engine::scenario::Scenario;
use orrery_engine::InputError;
use rayon::prelude::*;

use crate::progress::Progress;
use orrery_engine::scenario::sweep::Manifest;
use store::{RunSpec, Store};

pub use error::SweepError;
pub use shard::Shard;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct Options {
    /// The sweep directory.
    pub out: PathBuf,
    /// Worker threads (`None`: `SLURM_CPUS_PER_TASK` when set, else one per core).
    pub jobs: Option<usize>,
    /// The part of the grid to run.
    pub shard: Shard,
    /// Re-run finished runs instead of skipping them.
    pub force: bool,
    /// Show progress on stderr (off under `--quiet`).
    pub progress: bool,
}

/// What a sweep did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Points in the grid.
    pub points: usize,
    /// Runs per point.
    pub replicas: u32,
    /// Runs this invocation was responsible for (its shard).
    pub runs: usize,
    /// Of those, runs already finished and skipped.
    pub skipped: usize,
    /// The table written: `results.csv`, or this shard's part.
    pub table: PathBuf,
}

/// Every point of a scenario's grid as a scenario of its own.
pub struct Plan {
    grid: Grid,
    points: Vec<Scenario>,
    manifest: Manifest,
}

impl Plan {
    /// Expands `scenario`'s `[sweep]` grid and validates every point before anything runs.
    pub fn new(scenario: &Scenario) -> Result<Plan, InputError> {
        let grid = Grid::of(scenario)?.ok_or_else(|| {
            InputError::file(scenario.file(), "the scenario has no [sweep] table")
                .hint("add e.g. [sweep] with \"policies.placement\" = [\"packing\", \"striping\"]")
        })?;
        grid.check_size(scenario)?;
        let points = (0..grid.points())
            .map(|k| {
                let point = scenario.with_values(&grid.point(k))?;
                crate::runs::check(&point)?;
                Ok(point)
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        let manifest = Manifest {
            scenario: scenario.name.clone(),
            file: scenario.file().display().to_string(),
            content: format!("{:016x}", scenario.content_id()),
            base_seed: scenario.spec.seed,
            keys: grid.keys.clone(),
            kinds: grid.lists.iter().map(|l| kind_of(l)).collect(),
            values: grid
                .lists
                .iter()
                .map(|l| l.iter().map(display).collect())
                .collect(),
            points: grid.points(),
            replicas: grid.replicas,
        };
        Ok(Plan {
            grid,
            points,
            manifest,
        })
    }

    /// Number of points.
    pub fn points(&self) -> usize {
        self.points.len()
    }

    /// The seed of (point, replica).
    pub fn seed(&self, point: usize, replica: u32) -> u64 {
        Grid::seed(self.points[point].spec.seed, replica)
    }

    /// The run of (point, replica): its seed and content id.
    pub fn run_spec(&self, point: usize, replica: u32) -> RunSpec {
        let seed = self.seed(point, replica);
        RunSpec::new(point, replica, seed, self.points[point].content_id())
    }

    /// Runs this plan's share of `opts.shard` into `opts.out`: only the runs not already in
    /// the directory (from this grid or an earlier, smaller one), unless `opts.force`.
    pub fn run(&self, opts: &Options) -> Result<Outcome, SweepError> {
        let store = Store::open(&opts.out, &self.manifest)?;
        let runs: Vec<RunSpec> = (0..self.points())
            .filter(|&k| opts.shard.has(k))
            .flat_map(|k| (0..self.grid.replicas).map(move |r| (k, r)))
            .map(|(k, r)| self.run_spec(k, r))
            .collect();
        store.clean_leftovers(&runs)?;
        let todo: Vec<&RunSpec> = runs
            .iter()
            .filter(|r| opts.force || !store.is_done(r))
            .collect();
        let progress = Progress::new("sweep", "runs", todo.len(), opts.progress).always_log_total();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.jobs.or_else(slurm_cpus).unwrap_or(0))
            .build()
            .map_err(|e| SweepError::Store(format!("cannot start the worker threads: {e}")))?;
        pool.install(|| {
            todo.par_iter().try_for_each(|run| {
                let point = &self.points[run.point];
                let result =
                    crate::runs::run(point, Some(run.seed)).map_err(|source| SweepError::Run {
                        run: format!("point {} replica {} ({})", run.point, run.replica, run.id),
                        source,
                    })?;
                let values = self.grid.point(run.point);
                store.save(run, &values, &result)?;
                progress.done();
                Ok::<(), SweepError>(())
            })
        })?;
        progress.finish();
        let table = if opts.shard == Shard::WHOLE {
            let results = store.write_results(&runs)?;
            seal(&opts.out)?;
            results
        } else {
            store.write_part(opts.shard, &runs)?
        };
        Ok(Outcome {
            points: self.points(),
            replicas: self.grid.replicas,
            runs: runs.len(),
            skipped: runs.len() - todo.len(),
            table,
        })
    }
}

/// Joins the parts of an `expect`-way sharded sweep in `dir` into `results.csv`, checking that
/// every part is present and every run appears once, then writes the Parquet and aggregate
/// tables as a whole sweep does.
pub fn merge(dir: &Path, expect: usize) -> Result<PathBuf, SweepError> {
    let results = Store::existing(dir)?.merge(expect)?;
    seal(dir)?;
    Ok(results)
}

/// Writes the Parquet and aggregate tables of the sweep in `dir`, whose `results.csv` is
/// complete, and seals the directory (its manifest lists the manifest of the grid, the results
/// and the tables): `report` and `compare` read only sealed sweeps.
fn seal(dir: &Path) -> Result<(), SweepError> {
    let tables = orrery_reports::finish_sweep(dir)?;
    let mut names = vec!["sweep.json".to_string(), "results.csv".to_string()];
    names.extend(tables.iter().filter_map(|p| {
        p.strip_prefix(dir)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    orrery_engine::output::seal(dir, "sweep", &names)
        .map_err(|e| SweepError::Store(e.to_string()))?;
    Ok(())
}

/// Worker threads Slurm gave this task, if any.
fn slurm_cpus() -> Option<usize> {
    std::env::var("SLURM_CPUS_PER_TASK").ok()?.parse().ok()
}
