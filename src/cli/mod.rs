//! The command line: one module per subcommand, each with its arguments and what it does;
//! [`main`] parses, dispatches, prints a failure as one `error:` paragraph and exits with
//! [`Error::exit_code`].

mod bench;
mod cloudsim;
mod compare;
mod federate;
pub(crate) mod live;
mod report;
mod run;
mod sweep;
mod validate;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Error;

#[derive(Parser)]
#[command(
    name = "orrery",
    version,
    about = "A deterministic cloud-datacenter OS: simulate policies, then run them live"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (the embedded default when none is given) and write its results.
    Run(run::Args),
    /// Compare the beloglazov policies with CloudSim 3.0.3's reference results and write the
    /// validation report (docs/validation.md).
    CloudsimReport(cloudsim::Args),
    /// Compare scenario files (run now), run directories and sweep directories side by side
    /// (a federation directory is refused: see `orrery federate compare`).
    Compare(compare::Args),
    /// Draw the figures of a run, sweep or federation directory for print (PNG, SVG, PDF) and
    /// one self-contained HTML page, in DIR/report/.
    Report(report::Args),
    /// Run every point of a scenario's `[sweep]` grid (in parallel), or merge or submit one.
    Sweep(sweep::Args),
    /// Run a policy benchmark suite and compare it with a baseline; exit 1 on any regression.
    Bench(bench::Args),
    /// Run the control loop on real hosts through libvirt (docs/live.md). Plans are printed,
    /// and carried out only with --apply.
    Live(live::Args),
    /// Run a federation file (docs/federation.md), or compare several on the same demand.
    Federate(federate::Args),
    /// Check configuration files of any kind (scenario, sweep, federation file, live config,
    /// bench suite) without running them.
    Validate(validate::Args),
}

/// Runs the command line: parses the arguments, runs the subcommand and returns the exit code
/// (0, 1 for a run-time failure, 2 for bad input).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::CloudsimReport(args) => cloudsim::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Report(args) => report::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Live(args) => live::run(args),
        Command::Federate(args) => federate::run(args),
        Command::Validate(args) => validate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// A whole number of at least 1, for flags such as `--jobs` (clap reports a bad one as a usage
/// error, exit 2).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number of at least 1")),
    }
}

/// Prints `text` on standard output; a closed stdout (`| head`) is not an error worth a panic.
fn print(text: impl std::fmt::Display) {
    let _ = write!(std::io::stdout(), "{text}");
}

/// Writes `text` to `path`, naming the file when it cannot.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::output(path.display().to_string(), e))
}
