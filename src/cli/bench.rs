//! `orrery bench`: the policy benchmark gate. Exit 0 when no metric regressed (or after
//! `--update`), 1 on a regression, 2 on bad input.

use std::path::PathBuf;

use super::{print, write_file};
use crate::bench::{self, Suite, Verdict};
use crate::error::Error;

/// Arguments of `orrery bench`.
#[derive(clap::Args)]
pub struct Args {
    /// The suite file (e.g. benches/policies/suite.toml).
    suite: PathBuf,
    /// The baseline file (JSON).
    #[arg(long)]
    baseline: PathBuf,
    /// Record the current results as the new baseline instead of gating.
    #[arg(long)]
    update: bool,
    /// Override a key of the suite file (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Runs the suite, prints the changes against the baseline and gates (or re-records).
pub fn run(args: Args) -> Result<(), Error> {
    let suite = Suite::load(&args.suite, &args.sets)?;
    let current = suite.run()?;
    let previous = if args.update && !args.baseline.exists() {
        None
    } else {
        match bench::read_baseline(&args.baseline) {
            Ok(b) => Some(b),
            Err(e) if !args.update => return Err(e.into()),
            Err(_) => None,
        }
    };
    let changes = match previous.map(|b| suite.compare(&b, &current, &args.baseline)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) if !args.update => return Err(e.into()),
        _ => None,
    };
    if let Some(changes) = &changes {
        print(bench::report(changes));
    }
    if args.update {
        write_file(&args.baseline, &bench::baseline_json(&suite, current))?;
        print(format!(
            "recorded the baseline in {}\n",
            args.baseline.display()
        ));
        return Ok(());
    }
    let regressed = changes
        .iter()
        .flatten()
        .filter(|c| c.verdict == Verdict::Regressed)
        .count();
    if regressed > 0 {
        return Err(Error::Gate(format!(
            "{regressed} metrics regressed against {}",
            args.baseline.display()
        )));
    }
    Ok(())
}
