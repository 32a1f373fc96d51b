//! `orrery run`: one scenario in simulation, its summary printed and its results written.

use std::path::PathBuf;
use std::time::Instant;

use orrery_engine::output::OutputDir;
use orrery_reports::run_files::run_files;

use super::print;
use crate::error::Error;

/// Arguments of `orrery run`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    scenario: Option<PathBuf>,
    /// Seed for every random stream (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario key: `--set policies.placement=packing` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Directory for summary.json, intervals.csv and events.csv.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Replace the results of an earlier run in --out (only orrery's own files are removed).
    #[arg(long)]
    force: bool,
}

/// Runs the scenario, prints its summary table and writes its results to `--out`.
pub fn run(args: Args) -> Result<(), Error> {
    let started = Instant::now();
    let scenario = crate::runs::load_scenario(args.scenario.as_deref(), &args.sets)?;
    let known = run_files();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut out = OutputDir::create(&args.out, "run", &known, args.force)?;
    let result = crate::runs::run(&scenario, args.seed)?;
    print(orrery_reports::summary_table(&result.summary));
    orrery_reports::write_run(&mut out, &result)?;
    out.finish()?;
    let secs = started.elapsed().as_secs_f64();
    print(format!("results in {} ({secs:.2} s)\n", args.out.display()));
    Ok(())
}
