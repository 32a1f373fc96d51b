//! The command line: one module per subcommand, each with its arguments and what it does;
//! [`main`] parses, dispatches, prints a failure as one `error:` paragraph and exits with
//! [`Error::exit_code`].

mod bench;
mod cloudsim;
mod compare;
mod completions;
mod decide;
mod federate;
pub(crate) mod live;
mod man;
mod output;
mod policies;
mod report;
mod run;
mod serve;
mod sweep;
mod trace;
mod validate;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::error::Error;
use output::{ColorChoice, GlobalArgs, Ui};

#[derive(Parser)]
#[command(
    name = "orrery",
    version,
    about = "A deterministic cloud-datacenter OS: simulate policies, then run them live",
    after_help = "Exit codes: 0 success; 2 bad input (a file, trace, directory or argument, \
                  located in one `error:` paragraph); 1 a failure at run time (or a regression \
                  the bench gate found).\n\
                  Results go to stdout, errors, progress and --verbose notes to stderr. \
                  `orrery man` prints the manual, `orrery completions SHELL` a completion script."
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (the embedded default when none is given) and write its results.
    Run(run::Args),
    /// Compare the beloglazov policies with CloudSim 3.0.3's reference results and write the
    /// validation report (out/validation.md; docs/validation.md with --update-docs).
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
    /// Serve an EC2-compatible API (SigV4, awscli and boto3) in front of a running simulation
    /// of a scenario (docs/serve.md).
    Serve(serve::Args),
    /// Import public datasets (OpenDC, Google, Azure, Alibaba, Huawei, Bitbrains, SWF,
    /// PlanetLab) into orrery's trace format, or inspect a trace.
    Trace(trace::Args),
    /// Check configuration files of any kind (scenario, sweep, federation file, live config,
    /// bench suite, decide state) without running them.
    Validate(validate::Args),
    /// Make one decision of the configured policies (placement, reallocation, elasticity) on
    /// a cluster described by a state file, and print it as JSON (docs/decide.md).
    Decide(decide::Args),
    /// List every placement and reallocation policy, elasticity mode and admission control,
    /// with its parameters (key, type, default, range, meaning) and the section that sets them.
    Policies(policies::Args),
    /// Print a shell completion script: `orrery completions bash > /etc/bash_completion.d/orrery`.
    Completions(completions::Args),
    /// Print the man page of orrery or of a subcommand (`orrery man run | man -l -`), or write
    /// them all with --dir.
    Man(man::Args),
}

/// Runs the command line: parses the arguments, runs the subcommand and returns the exit code
/// (0, 1 for a run-time failure, 2 for bad input).
pub fn main() -> ExitCode {
    let mut command = Cli::command();
    // `--color` steers clap's own help and usage errors too, so it is read before parsing.
    if let Some(choice) = ColorChoice::from_raw_args(std::env::args_os()) {
        command = command.color(choice.to_clap());
    }
    let matches = command.get_matches_mut();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Checked here rather than by clap, which misses a conflict between global flags given on
    // either side of the subcommand.
    if cli.global.quiet && cli.global.verbose > 0 {
        command
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--quiet and --verbose cannot be used together",
            )
            .exit();
    }
    let ui = Ui::new(&cli.global);
    let result = match cli.command {
        Command::Run(args) => run::run(args, &ui),
        Command::CloudsimReport(args) => cloudsim::run(args, &ui),
        Command::Compare(args) => compare::run(args, &ui),
        Command::Report(args) => report::run(args, &ui),
        Command::Sweep(args) => sweep::run(args, &ui),
        Command::Bench(args) => bench::run(args, &ui),
        Command::Live(args) => live::run(args, &ui),
        Command::Federate(args) => federate::run(args, &ui),
        Command::Serve(args) => serve::run(args, &ui),
        Command::Trace(args) => trace::run(args, &ui),
        Command::Validate(args) => validate::run(args, &ui),
        Command::Decide(args) => decide::run(args, &ui),
        Command::Policies(args) => policies::run(args, &ui),
        Command::Completions(args) => completions::run(args, &ui, Cli::command()),
        Command::Man(args) => man::run(args, &ui, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs the command line with `extensions` registered first: an extension crate's `main`
/// calls it and gets every command — run, sweep, compare, report, bench, federate, live,
/// validate, policies — with its policies and routers named like built-in ones (see
/// [`crate::extend`]). A declaration the registry refuses (a built-in name, a name used twice,
/// a default out of its range) is the program's bug: it is printed and the program exits
/// with 1.
pub fn main_with<R: Into<crate::extend::Registration>>(
    extensions: impl IntoIterator<Item = R>,
) -> ExitCode {
    for extension in extensions {
        if let Err(e) = extension.into().register() {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    main()
}

/// A whole number of at least 1, for flags such as `--jobs` (clap reports a bad one as a usage
/// error, exit 2).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number of at least 1")),
    }
}

/// Writes `text` to `path`, naming the file when it cannot.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::output(path.display().to_string(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag, argument and subcommand, at every depth, says what it is for.
    #[test]
    fn every_argument_and_subcommand_has_help() {
        fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if arg.get_help().is_none() && !["help", "version"].contains(&id) {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() {
                    missing.push(path.clone());
                }
                check(sub, &path, missing);
            }
        }
        let mut command = Cli::command();
        command.build();
        let mut missing = Vec::new();
        check(&command, "orrery", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
        command.debug_assert();
    }
}
