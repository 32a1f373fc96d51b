//! `orrery live`: the control loop on real hosts through libvirt (docs/live.md). Built with
//! the `live` cargo feature (on by default); without it the command explains how to get it.

use std::path::PathBuf;

use orrery_engine::InputError;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery live`.
#[derive(clap::Args)]
pub struct Args {
    /// Live config file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Only print plans (the default).
    #[arg(long, conflicts_with = "apply")]
    dry_run: bool,
    /// Carry plans out.
    #[arg(long)]
    apply: bool,
    /// Run one round and stop (the same as --rounds 1).
    #[arg(long, conflicts_with = "rounds")]
    once: bool,
    /// Run this many rounds and stop (default: until stopped).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    rounds: Option<u64>,
    /// Seconds between rounds (default: the config's interval_s).
    #[arg(long)]
    interval: Option<f64>,
    /// Override a key of the live config (repeatable; a relative path resolves against the
    /// config file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// The most seconds `--interval` takes (a day).
const MAX_INTERVAL_S: f64 = 86_400.0;

/// `--interval` as a duration: a finite number of seconds above 0 and at most a day.
fn interval(secs: f64) -> Result<std::time::Duration, InputError> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_INTERVAL_S {
        Ok(std::time::Duration::from_secs_f64(secs))
    } else {
        Err(InputError::file(
            "--interval",
            format!("must be a number of seconds above 0 and at most {MAX_INTERVAL_S}, got {secs}"),
        )
        .hint("e.g. --interval 60"))
    }
}

/// Runs the loop: one round with `--once`, until stopped otherwise.
#[cfg(feature = "live")]
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    ui.note_path(1, "Loading", "live config ", &args.config);
    let opts = orrery_live::LiveOptions {
        apply: args.apply,
        rounds: if args.once { Some(1) } else { args.rounds },
        interval: args.interval.map(interval).transpose()?,
        // Crash tests only: abort right after the first intent is journaled.
        crash_after_intent: std::env::var_os("ORRERY_LIVE_CRASH_AFTER_INTENT").is_some(),
    };
    // The plans are the loop's running commentary: `-q` silences them (the journal keeps
    // what was done).
    let out: Box<dyn std::io::Write> = if ui.quiet() {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout())
    };
    let stats = crate::runs::live(&args.config, &args.sets, opts, out)?;
    ui.print(format!(
        "{} decisions, {} actions planned, {} not carried out (dry run or refused)\n",
        stats.placements + stats.reallocations,
        stats.actions,
        stats.refused
    ));
    Ok(())
}

/// Explains that this build has no live mode.
#[cfg(not(feature = "live"))]
pub fn run(args: Args, _ui: &Ui) -> Result<(), Error> {
    let _ = (args.dry_run, args.apply, args.once, args.rounds, &args.sets);
    if let Some(secs) = args.interval {
        interval(secs)?;
    }
    Err(not_built(&args.config).into())
}

/// The error for a live config given to an orrery built without the `live` feature.
#[cfg(not(feature = "live"))]
pub(crate) fn not_built(config: &std::path::Path) -> InputError {
    InputError::file(config, "this orrery was built without live mode").hint(
        "build with the default features (`cargo build --release`; libvirt's headers are \
         needed: apt install libvirt-dev)",
    )
}
