//! `orrery federate FILE [--out DIR]` or `orrery federate compare FILE...`: federation runs.

use std::path::PathBuf;

use clap::Subcommand;
use orrery_engine::output::OutputDir;
use orrery_federation::comparison_table;
use orrery_federation::output::FEDERATION_TABLES;
use orrery_federation::{Federation, Runtime};
use orrery_reports::typed::{known_files, ParquetSink};

use super::output::Ui;
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
    /// (repeatable; a relative path resolves against the federation file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Replace the results of an earlier run in --out (only orrery's own files are removed).
    #[arg(long)]
    force: bool,
    /// Print the summary as JSON (the fields of summary.json) instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Action {
    /// Run each federation file and print one comparison table.
    Compare {
        /// Federation files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a key in every federation file (repeatable; a relative path resolves
        /// against each file's directory).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Print the summaries as one JSON array (one summary.json object per file).
        #[arg(long)]
        json: bool,
    },
}

/// Runs one federation and writes its outputs, or compares several.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = std::time::Instant::now();
    match (args.action, args.file) {
        (Some(Action::Compare { files, sets, json }), _) => {
            for set in &sets {
                ui.note(2, "Override", set);
            }
            // Every file is loaded first, so a bad one stops everything before any run.
            let feds = files
                .iter()
                .map(|f| {
                    ui.note_path(1, "Loading", "federation ", f);
                    Federation::load(f, &sets)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let progress = ui.progress("federate compare", "files", feds.len());
            let mut summaries = Vec::new();
            for fed in feds {
                summaries.push(Runtime::new(fed)?.run()?.summary);
                progress.done();
            }
            progress.finish();
            if json {
                ui.json(&summaries);
            } else {
                // The table is what `federate compare` exists to print: shown even under `-q`.
                ui.data(comparison_table(&summaries));
            }
        }
        (None, Some(file)) => {
            ui.note_path(1, "Loading", "federation ", &file);
            for set in &args.sets {
                ui.note(2, "Override", set);
            }
            let fed = Federation::load(&file, &args.sets)?;
            let known = known_files(FEDERATION_TABLES, &["summary.json", "report"]);
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            let mut out = OutputDir::create(&args.out, "federation", &known, args.force)?;
            let outcome = Runtime::new(fed)?.run()?;
            let mut sink = ParquetSink::new(&mut out);
            outcome.write(&mut sink)?;
            sink.finish()?;
            let manifest = out.finish()?;
            for name in manifest.files.keys() {
                ui.note_path(2, "Wrote", "", &args.out.join(name));
            }
            let files = manifest.files.len();
            ui.note_path(1, "Wrote", &format!("{files} files in "), &args.out);
            if args.json {
                ui.json(&outcome.summary);
            } else {
                let table = comparison_table(std::slice::from_ref(&outcome.summary));
                ui.print(format!("{table}results in {}\n", args.out.display()));
            }
        }
        (None, None) => unreachable!("clap requires a file without a subcommand"),
    }
    ui.note(
        1,
        "Finished",
        format!("in {:.2} s", started.elapsed().as_secs_f64()),
    );
    Ok(())
}
