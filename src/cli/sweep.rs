//! `orrery sweep FILE ...`, `orrery sweep merge ...` and `orrery sweep slurm ...`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;

use super::output::Ui;
use crate::error::Error;
use crate::sweep::{self, slurm::Job, Shard};

/// Arguments of `orrery sweep`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// Scenario file with a `[sweep]` table.
    #[arg(required = true)]
    scenario: Option<PathBuf>,
    /// The sweep directory (runs, results.csv).
    #[arg(long, default_value = "sweep")]
    out: PathBuf,
    /// Worker threads (default: SLURM_CPUS_PER_TASK when set, else one per core).
    #[arg(long, value_parser = super::at_least_one)]
    jobs: Option<usize>,
    /// Run only the points k with k mod N = i, and write parts/part-i-of-N.csv.
    #[arg(long, value_name = "i/N")]
    shard: Option<Shard>,
    /// Re-run finished runs instead of skipping them.
    #[arg(long)]
    force: bool,
    /// Override a scenario key in every point (repeatable; a relative path resolves against
    /// the scenario file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print the outcome as JSON: points, replicas, runs, ran, skipped, table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Action {
    /// Join the parts of a sharded sweep into results.csv.
    Merge {
        /// The sweep directory.
        dir: PathBuf,
        /// Number of shards the sweep was split into.
        #[arg(long, value_parser = super::at_least_one)]
        expect: usize,
    },
    /// Print a script submitting the sweep as a Slurm job array plus its merge job.
    Slurm(SlurmArgs),
}

/// Arguments of `orrery sweep slurm`.
#[derive(clap::Args)]
struct SlurmArgs {
    /// Scenario file with a `[sweep]` table.
    scenario: PathBuf,
    /// Shards (array tasks).
    #[arg(long, value_parser = super::at_least_one)]
    shards: usize,
    /// The sweep directory, on a filesystem every node sees.
    #[arg(long, default_value = "sweep")]
    out: PathBuf,
    /// At most this many tasks at once (`--array=0-(N-1)%M`).
    #[arg(long, value_parser = super::at_least_one)]
    max_running: Option<usize>,
    /// CPUs per task (each shard's worker threads).
    #[arg(long, default_value_t = 1, value_parser = super::at_least_one)]
    cpus: usize,
    /// Slurm partition.
    #[arg(long)]
    partition: Option<String>,
    /// Time limit per task, e.g. 01:00:00.
    #[arg(long)]
    time: Option<String>,
    /// Memory per task, e.g. 4G.
    #[arg(long)]
    mem: Option<String>,
    /// Override a scenario key in every point (repeatable; a relative path resolves against
    /// the scenario file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Runs the sweep, or merges its parts, or prints its Slurm script.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    match args.action {
        Some(Action::Merge { dir, expect }) => {
            let path = sweep::merge(&dir, expect)?;
            ui.print(format!("merged {expect} parts into {}\n", path.display()));
            Ok(())
        }
        Some(Action::Slurm(slurm)) => slurm_script(slurm, ui),
        None => run_sweep(args, ui),
    }
}

fn run_sweep(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = Instant::now();
    let path = args.scenario.expect("clap requires the scenario");
    ui.note_path(1, "Loading", "scenario ", &path);
    for set in &args.sets {
        ui.note(2, "Override", set);
    }
    let scenario = crate::runs::load_scenario(Some(&path), &args.sets)?;
    let plan = sweep::Plan::new(&scenario)?;
    ui.note_path(
        1,
        "Sweeping",
        &format!("{} points into ", plan.points()),
        &args.out,
    );
    let opts = sweep::Options {
        out: args.out,
        jobs: args.jobs,
        shard: args.shard.unwrap_or(Shard::WHOLE),
        force: args.force,
        progress: !ui.quiet(),
    };
    let o = plan.run(&opts)?;
    if args.json {
        ui.json(&OutcomeJson {
            points: o.points,
            replicas: o.replicas,
            runs: o.runs,
            ran: o.runs - o.skipped,
            skipped: o.skipped,
            table: o.table.display().to_string(),
        });
        ui.note(
            1,
            "Finished",
            format!("in {:.2} s", started.elapsed().as_secs_f64()),
        );
        return Ok(());
    }
    ui.print(format!(
        "{} points × {} replicas: ran {} runs, skipped {} finished ones ({:.2} s); results in {}\n",
        o.points,
        o.replicas,
        o.runs - o.skipped,
        o.skipped,
        started.elapsed().as_secs_f64(),
        o.table.display()
    ));
    Ok(())
}

/// A sweep's outcome in `sweep --json`.
#[derive(serde::Serialize)]
struct OutcomeJson {
    /// Points in the grid.
    points: usize,
    /// Runs per point.
    replicas: u32,
    /// Runs this invocation was responsible for (its shard).
    runs: usize,
    /// Of those, runs made now.
    ran: usize,
    /// Of those, runs already finished and skipped.
    skipped: usize,
    /// The table written: `results.csv`, or this shard's part.
    table: String,
}

/// Prints the Slurm submission script (paths made absolute: the nodes run elsewhere).
fn slurm_script(args: SlurmArgs, ui: &Ui) -> Result<(), Error> {
    if args.shards == 0 {
        return Err(
            orrery_engine::InputError::file("--shards", "must be at least 1")
                .hint("give the number of array tasks, e.g. --shards 8")
                .into(),
        );
    }
    let scenario = crate::runs::load_scenario(Some(&args.scenario), &args.sets)?;
    sweep::Plan::new(&scenario)?;
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    let job = Job {
        orrery: absolute(&std::env::current_exe().unwrap_or_else(|_| "orrery".into())),
        scenario: absolute(&args.scenario),
        out: absolute(&args.out),
        sets: args.sets,
        shards: args.shards,
        max_running: args.max_running,
        cpus: args.cpus,
        partition: args.partition,
        time: args.time,
        mem: args.mem,
        name: format!("orrery-{}", scenario.name),
    };
    // The script is what `sweep slurm` exists to print: shown even under `-q`.
    ui.data(job.script());
    Ok(())
}
