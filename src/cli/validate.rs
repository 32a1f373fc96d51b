//! `orrery validate`: checks configuration files of every kind without running them.

use std::path::PathBuf;

use super::print;
use crate::error::Error;

/// Arguments of `orrery validate`.
#[derive(clap::Args)]
pub struct Args {
    /// Files: scenarios, sweeps, federation files, live configs or bench suites (the kind is
    /// told from the file's keys).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Overrides applied to each file before checking.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Checks every file, printing `FILE: ok (what it holds)` for each good one; the bad ones are
/// reported together (exit 2).
pub fn run(args: Args) -> Result<(), Error> {
    let mut errors = Vec::new();
    for path in &args.files {
        match crate::kind::validate(path, &args.sets) {
            Ok(what) => print(format!("{}: ok ({what})\n", path.display())),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Several(errors)),
    }
}
