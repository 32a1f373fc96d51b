//! `orrery compare`: scenario files (run now), run directories and sweep directories side by
//! side in one table.

use std::path::PathBuf;

use orrery_reports::comparison::{dir_rows, render, Row};

use super::{print, write_file};
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
    /// Seed for every run (overrides each scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a key in every scenario (repeatable).
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
}

/// Runs the scenario files (in parallel), reads the directories, and prints one row per input
/// in the order given.
pub fn run(args: Args) -> Result<(), Error> {
    let files: Vec<PathBuf> = args
        .inputs
        .iter()
        .filter(|p| !p.is_dir())
        .cloned()
        .collect();
    let mut summaries = crate::runs::compare(&files, &args.sets, args.seed)?.into_iter();
    let mut rows = Vec::new();
    for input in &args.inputs {
        if input.is_dir() {
            rows.extend(dir_rows(input)?);
        } else if let Some(s) = summaries.next() {
            rows.push(Row::from_summary(&s));
        }
    }
    let format = match args.format {
        TableFormat::Markdown => orrery_reports::Format::Markdown,
        TableFormat::Csv => orrery_reports::Format::Csv,
    };
    let table = render(&rows, format);
    print(&table);
    if let Some(out) = &args.out {
        write_file(out, &table)?;
    }
    Ok(())
}
