//! `orrery federate FILE [--out DIR]` or `orrery federate compare FILE...`: federation runs.

use std::path::PathBuf;

use clap::Subcommand;
use orrery_engine::output::OutputDir;
use orrery_federation::comparison_table;
use orrery_federation::output::FEDERATION_TABLES;
use orrery_reports::typed::{known_files, ParquetSink};

use super::print;
use crate::error::Error;

/// Arguments of `orrery federate`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// Federation file (TOML).
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Directory for summary.json, intervals.csv and events.csv.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Override a key of the federation file: `--set architecture.threshold=0.7`
    /// (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Replace the results of an earlier run in --out (only orrery's own files are removed).
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand)]
enum Action {
    /// Run each federation file and print one comparison table.
    Compare {
        /// Federation files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a key in every federation file (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

/// Runs one federation and writes its outputs, or compares several.
pub fn run(args: Args) -> Result<(), Error> {
    match (args.action, args.file) {
        (Some(Action::Compare { files, sets }), _) => {
            let summaries = orrery_federation::compare(&files, &sets)?;
            print(comparison_table(&summaries));
        }
        (None, Some(file)) => {
            let fed = orrery_federation::Federation::load(&file, &args.sets)?;
            let known = known_files(FEDERATION_TABLES, &["summary.json", "report"]);
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            let mut out = OutputDir::create(&args.out, "federation", &known, args.force)?;
            let outcome = orrery_federation::Runtime::new(fed)?.run()?;
            let mut sink = ParquetSink::new(&mut out);
            outcome.write(&mut sink)?;
            sink.finish()?;
            out.finish()?;
            let table = comparison_table(std::slice::from_ref(&outcome.summary));
            print(format!("{table}results in {}\n", args.out.display()));
        }
        (None, None) => unreachable!("clap requires a file without a subcommand"),
    }
    Ok(())
}
