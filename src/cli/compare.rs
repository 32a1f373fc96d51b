//! `orrery compare`: scenario files (run now), run directories and sweep directories side by
//! side in one table.

use std::path::PathBuf;

use orrery_reports::comparison::{dir_rows, render, Row};

use super::output::Ui;
use super::write_file;
use crate::error::Error;

/// Arguments of `orrery compare`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario files, or result directories of `orrery run` / `orrery sweep`.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Table format.
    #[arg(long, value_enum, default_value_t = TableFormat::Markdown)]
    format: TableFormat,
    /// Print one JSON array, one object per row with raw values (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Seed for every run (overrides each scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a key in every scenario (repeatable; a relative path resolves against each
    /// scenario file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Also write the table to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Table formats of `orrery compare`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum TableFormat {
    /// A Markdown table with rounded values.
    Markdown,
    /// CSV with raw values (and 95 % CI half-widths for sweeps).
    Csv,
    /// A JSON array: per row `name` and the raw values of the CSV columns.
    Json,
}

/// Runs the scenario files (in parallel), reads the directories, and prints one row per input
/// in the order given.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = std::time::Instant::now();
    for input in &args.inputs {
        let what = if input.is_dir() {
            "directory "
        } else {
            "scenario "
        };
        ui.note_path(1, "Comparing", what, input);
    }
    for set in &args.sets {
        ui.note(2, "Override", set);
    }
    let files: Vec<PathBuf> = args
        .inputs
        .iter()
        .filter(|p| !p.is_dir())
        .cloned()
        .collect();
    // Every file is loaded first, so a bad one stops the comparison before anything runs.
    let scenarios = files
        .iter()
        .map(|p| orrery_engine::scenario::Scenario::load(p, &args.sets))
        .collect::<Result<Vec<_>, _>>()?;
    let progress = ui.progress("compare", "scenarios", scenarios.len());
    let summaries = crate::runs::run_all(&scenarios, args.seed, &|| progress.done());
    progress.finish();
    let mut summaries = summaries?.into_iter();
    let mut rows = Vec::new();
    for input in &args.inputs {
        if input.is_dir() {
            rows.extend(dir_rows(input)?);
        } else if let Some(s) = summaries.next() {
            rows.push(Row::from_summary(&s));
        }
    }
    let format = match args.format {
        _ if args.json => orrery_reports::Format::Json,
        TableFormat::Markdown => orrery_reports::Format::Markdown,
        TableFormat::Csv => orrery_reports::Format::Csv,
        TableFormat::Json => orrery_reports::Format::Json,
    };
    let table = render(&rows, format);
    // The table is what `compare` exists to print: it is shown even under `-q`.
    ui.data(&table);
    if let Some(out) = &args.out {
        write_file(out, &table)?;
        ui.note_path(1, "Wrote", "the table to ", out);
    }
    ui.note(
        1,
        "Finished",
        format!(
            "{} rows in {:.2} s",
            rows.len(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}
