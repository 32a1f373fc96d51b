//! `orrery run`: one scenario in simulation, its summary printed and its results written.

use std::path::PathBuf;
use std::time::Instant;

use orrery_engine::output::OutputDir;
use orrery_reports::run_files::run_files;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery run`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML); the embedded default scenario when none is given.
    scenario: Option<PathBuf>,
    /// Seed for every random stream (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario key: `--set policies.placement=packing` (repeatable; a relative
    /// path resolves against the scenario file's directory, as in the file).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Directory for summary.json, intervals.csv and events.csv.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Replace the results of an earlier run in --out (only orrery's own files are removed).
    #[arg(long)]
    force: bool,
    /// Print the summary as JSON (the fields of summary.json) instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs the scenario, prints its summary table (or JSON) and writes its results to `--out`.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = Instant::now();
    match &args.scenario {
        Some(path) => ui.note_path(1, "Loading", "scenario ", path),
        None => ui.note(1, "Loading", "the embedded default scenario"),
    }
    for set in &args.sets {
        ui.note(2, "Override", set);
    }
    let scenario = crate::runs::load_scenario(args.scenario.as_deref(), &args.sets)?;
    if let Some(dir) = &scenario.spec.workload.trace_dir {
        ui.note_path(1, "Traces", "", &scenario.resolve(dir));
    }
    let known = run_files();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut out = OutputDir::create(&args.out, "run", &known, args.force)?;
    let ran = Instant::now();
    let result = crate::runs::run(&scenario, args.seed)?;
    ui.note(
        1,
        "Ran",
        format!(
            "{} with seed {} in {:.2} s",
            scenario.name,
            args.seed.unwrap_or(scenario.spec.seed),
            ran.elapsed().as_secs_f64()
        ),
    );
    if args.json {
        ui.json(&result.summary);
    } else {
        ui.print(orrery_reports::summary_table(&result.summary));
    }
    orrery_reports::write_run(&mut out, &result)?;
    let manifest = out.finish()?;
    for name in manifest.files.keys() {
        ui.note_path(2, "Wrote", "", &args.out.join(name));
    }
    let files = manifest.files.len();
    ui.note_path(1, "Wrote", &format!("{files} files in "), &args.out);
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        ui.note(1, "Finished", format!("in {secs:.2} s"));
    } else {
        ui.print(format!("results in {} ({secs:.2} s)\n", args.out.display()));
    }
    Ok(())
}
