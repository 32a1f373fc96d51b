//! `orrery cloudsim-report`: the CloudSim 3.0.3 validation report.

use std::path::{Path, PathBuf};

use orrery_engine::InputError;

use super::output::Ui;
use super::write_file;
use crate::error::Error;
use crate::validation::{Report, ReportInputs};

/// Where `--update-docs` writes the report: the committed copy, from the repository's root.
const DOCS_REPORT: &str = "docs/validation.md";

/// Arguments of `orrery cloudsim-report`.
#[derive(clap::Args)]
pub struct Args {
    /// Directory of the policy scenarios.
    #[arg(long, default_value = "scenarios/beloglazov")]
    scenarios: PathBuf,
    /// Directory holding one PlanetLab trace folder per day.
    #[arg(long, default_value = "../shared/data/planetlab")]
    planetlab: PathBuf,
    /// CloudSim's reference results.
    #[arg(
        long,
        default_value = "../shared/data/reference/cloudsim-3.0.3-planetlab.csv"
    )]
    reference: PathBuf,
    /// Seeds per random-selection policy.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    seeds: u64,
    /// Day of the quirk-by-quirk study.
    #[arg(long, default_value = "20110303")]
    quirk_day: String,
    /// A policy of the quirk-by-quirk study (repeatable; default: lr-mmt-1.2 and
    /// thr-mmt-0.8).
    #[arg(long = "quirk-policy", value_name = "POLICY", default_values = ["lr-mmt-1.2", "thr-mmt-0.8"])]
    quirk_policies: Vec<String>,
    /// Where to write the report (its directory is created).
    #[arg(long, default_value = "out/validation.md")]
    out: PathBuf,
    /// Write the committed report, docs/validation.md, instead of --out (run it from the
    /// repository's root).
    #[arg(long, conflicts_with = "out")]
    update_docs: bool,
}

/// Runs every policy on every day and writes the report.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let out = if args.update_docs {
        docs_report()?
    } else {
        args.out
    };
    ui.note_path(1, "Scenarios", "", &args.scenarios);
    ui.note_path(1, "Traces", "", &args.planetlab);
    ui.note_path(1, "Reference", "", &args.reference);
    let inputs = ReportInputs {
        scenarios: args.scenarios,
        planetlab: args.planetlab,
        reference: args.reference,
        seeds: args.seeds,
        quirk_day: args.quirk_day,
        quirk_policies: args.quirk_policies,
    };
    let report = Report::plan(&inputs)?;
    let progress = ui.progress("cloudsim-report", "runs", report.runs());
    let md = report.run(&|| progress.done());
    progress.finish();
    let md = md?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::output(dir.display().to_string(), e))?;
    }
    write_file(&out, &md)?;
    ui.note(
        1,
        "Finished",
        format!(
            "{} runs in {:.2} s",
            report.runs(),
            started.elapsed().as_secs_f64()
        ),
    );
    ui.print(format!("wrote {}\n", out.display()));
    Ok(())
}

/// `docs/validation.md`, when the working directory is the repository's root (it has a `docs`
/// directory): `--update-docs` replaces the committed report and nothing else.
fn docs_report() -> Result<PathBuf, Error> {
    let path = PathBuf::from(DOCS_REPORT);
    match path.parent() {
        Some(docs) if docs.is_dir() => Ok(path),
        _ => Err(InputError::file(
            Path::new("--update-docs"),
            format!("there is no docs/ directory here to hold {DOCS_REPORT}"),
        )
        .hint("run it from the repository's root, or write elsewhere with --out FILE")
        .into()),
    }
}
