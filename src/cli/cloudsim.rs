//! `orrery cloudsim-report`: the CloudSim 3.0.3 validation report.

use std::path::PathBuf;

use super::output::Ui;
use super::write_file;
use crate::error::Error;
use crate::validation::{self, ReportInputs};

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
    /// Where to write the report.
    #[arg(long, default_value = "docs/validation.md")]
    out: PathBuf,
}

/// Runs every policy on every day and writes the report.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let inputs = ReportInputs {
        scenarios: args.scenarios,
        planetlab: args.planetlab,
        reference: args.reference,
        seeds: args.seeds,
        quirk_day: args.quirk_day,
        quirk_policies: vec!["lr-mmt-1.2".into(), "thr-mmt-0.8".into()],
    };
    let md = validation::report(&inputs)?;
    write_file(&args.out, &md)?;
    ui.print(format!("wrote {}\n", args.out.display()));
    Ok(())
}
