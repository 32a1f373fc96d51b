//! `orrery report`: figures and one HTML page for a run or sweep directory.

use std::path::PathBuf;

use super::print;
use crate::error::Error;

/// Arguments of `orrery report`.
#[derive(clap::Args)]
pub struct Args {
    /// A directory written by `orrery run --out` or `orrery sweep --out`.
    dir: PathBuf,
}

/// Draws the figures and writes the page.
pub fn run(args: Args) -> Result<(), Error> {
    let page = orrery_reports::render_report(&args.dir)?;
    print(format!("report in {}\n", page.display()));
    Ok(())
}
