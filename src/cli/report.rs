//! `orrery report`: figures and one HTML page for a run or sweep directory.

use std::path::PathBuf;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery report`.
#[derive(clap::Args)]
pub struct Args {
    /// A directory written by `orrery run --out` or `orrery sweep --out`.
    dir: PathBuf,
}

/// Draws the figures and writes the page.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let started = std::time::Instant::now();
    ui.note_path(1, "Reading", "", &args.dir);
    let page = orrery_reports::render_report(&args.dir)?;
    ui.note_path(1, "Wrote", "", &page);
    ui.note(
        1,
        "Finished",
        format!("in {:.2} s", started.elapsed().as_secs_f64()),
    );
    ui.print(format!("report in {}\n", page.display()));
    Ok(())
}
