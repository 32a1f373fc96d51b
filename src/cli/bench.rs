//! `orrery bench`: the policy benchmark gate. Exit 0 when no metric regressed (or after
//! `--update`), 1 on a regression, 2 on bad input.

use std::path::PathBuf;

use serde::Serialize;

use super::output::{Paint, Ui};
use super::write_file;
use crate::bench::{self, Change, Suite, Verdict};
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
    /// Override a key of the suite file (repeatable; a relative path resolves against the
    /// suite file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print the verdict as JSON: every change (scenario, metric, baseline, current,
    /// tolerance, verdict) and the totals. The exit code still says whether it regressed.
    #[arg(long)]
    json: bool,
}

/// Runs the suite, prints the changes against the baseline and gates (or re-records).
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = std::time::Instant::now();
    ui.note_path(1, "Loading", "suite ", &args.suite);
    ui.note_path(1, "Baseline", "", &args.baseline);
    let suite = Suite::load(&args.suite, &args.sets)?;
    let progress = ui.progress("bench", "scenarios", suite.scenarios.len());
    let current = suite.run_with(&|| progress.done())?;
    progress.finish();
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
    if args.json {
        ui.json(&verdict_json(&suite, &args, changes.as_deref()));
    } else if let Some(changes) = &changes {
        ui.print(bench::report_with(changes, &|verdict, text| {
            let paint = match verdict {
                Verdict::Regressed => Paint::Bad,
                Verdict::Improved => Paint::Good,
                Verdict::Noise => Paint::Warn,
                Verdict::Unchanged => return text.to_string(),
            };
            ui.paint_out(paint, text)
        }));
    }
    ui.note(
        1,
        "Finished",
        format!(
            "{} scenarios in {:.2} s",
            suite.scenarios.len(),
            started.elapsed().as_secs_f64()
        ),
    );
    if args.update {
        write_file(&args.baseline, &bench::baseline_json(&suite, current))?;
        if !args.json {
            ui.print(format!(
                "recorded the baseline in {}\n",
                args.baseline.display()
            ));
        }
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

/// The gate's outcome in `bench --json`.
#[derive(Serialize)]
struct VerdictJson<'a> {
    suite: &'a str,
    baseline: String,
    /// Whether the baseline was re-recorded (`--update`).
    updated: bool,
    /// Every compared metric, `null` when there was no baseline to compare with.
    changes: Option<Vec<ChangeJson<'a>>>,
    totals: Totals,
}

/// One compared metric in `bench --json`.
#[derive(Serialize)]
struct ChangeJson<'a> {
    scenario: &'a str,
    metric: &'a str,
    baseline: Option<f64>,
    current: Option<f64>,
    tolerance: f64,
    verdict: &'static str,
}

/// How many metrics got each verdict.
#[derive(Serialize)]
struct Totals {
    regressed: usize,
    improved: usize,
    noise: usize,
    unchanged: usize,
}

/// The gate's outcome as JSON: the suite, the baseline, whether it was re-recorded, every
/// change and the count of each verdict.
fn verdict_json<'a>(
    suite: &'a Suite,
    args: &Args,
    changes: Option<&'a [Change]>,
) -> VerdictJson<'a> {
    let count = |v: Verdict| changes.map_or(0, |c| c.iter().filter(|c| c.verdict == v).count());
    VerdictJson {
        suite: &suite.name,
        baseline: args.baseline.display().to_string(),
        updated: args.update,
        changes: changes.map(|changes| {
            changes
                .iter()
                .map(|c| ChangeJson {
                    scenario: &c.scenario,
                    metric: &c.metric,
                    baseline: c.baseline,
                    current: c.current,
                    tolerance: c.tolerance,
                    verdict: c.verdict.id(),
                })
                .collect()
        }),
        totals: Totals {
            regressed: count(Verdict::Regressed),
            improved: count(Verdict::Improved),
            noise: count(Verdict::Noise),
            unchanged: count(Verdict::Unchanged),
        },
    }
}
