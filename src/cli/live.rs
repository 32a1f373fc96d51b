//! `orrery live`: the control loop on real hosts through libvirt (docs/live.md), and the
//! operator's commands around it: `plan` (decide and write a plan file), `apply` (carry out
//! exactly a reviewed plan), `cancel`, `journal` (read what was done) and `maintenance`. Built
//! with the `live` cargo feature (on by default); without it every command explains how to get
//! it.

use std::path::{Path, PathBuf};

use orrery_engine::InputError;

use super::output::Ui;
use crate::error::Error;

/// Arguments of `orrery live`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Observe the cluster, decide once and write the plan, with the cluster it was computed
    /// from, to a file for review; nothing is changed.
    Plan(PlanArgs),
    /// Carry out exactly the plan in a file, each action after checking that its preconditions
    /// still hold (those that no longer do are skipped and reported).
    Apply(ApplyArgs),
    /// Cancel a plan: none of its actions not yet begun will be (also while it is applied).
    Cancel(CancelArgs),
    /// Print the journal: every action with its time, actor, reason and outcome.
    Journal(JournalArgs),
    /// Write the simulation twin of the cluster: a scenario of its hosts and VMs as they are,
    /// and a trace of each VM's utilisation measured now.
    Snapshot(SnapshotArgs),
    /// Fit the simulator's pre-copy migration model to the real migrations the journal
    /// recorded; keep it beside the journal for the twin (and write it into a snapshot).
    Calibrate(CalibrateArgs),
    /// Put a host into maintenance (its VMs moved off, then nothing placed on it), or take it
    /// out with --off.
    Maintenance(MaintenanceArgs),
}

/// The loop's arguments (`orrery live --config FILE …`).
#[derive(clap::Args)]
struct RunArgs {
    /// Live config file (TOML).
    #[arg(long, required = true)]
    config: Option<PathBuf>,
    /// Only print plans (the default).
    #[arg(long, conflicts_with = "apply")]
    dry_run: bool,
    /// Carry plans out.
    #[arg(long)]
    apply: bool,
    /// Run one round and stop (the same as --rounds 1).
    #[arg(long, conflicts_with = "rounds")]
    once: bool,
    /// Run this many rounds and stop (default: until stopped by SIGTERM or SIGINT, which
    /// finish the action in flight first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    rounds: Option<u64>,
    /// Seconds between rounds (default: the config's interval_s).
    #[arg(long)]
    interval: Option<f64>,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9187) at /metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    #[command(flatten)]
    sets: Sets,
}

/// `--set` overrides of the live config.
#[derive(clap::Args)]
struct Sets {
    /// Override a key of the live config (repeatable; a relative path resolves against the
    /// config file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Arguments of `orrery live plan`.
#[derive(clap::Args)]
struct PlanArgs {
    /// Live config file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// The plan file to write (JSON, replaced atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Seconds over which the VMs' CPU use is measured before deciding (0: decide on one
    /// observation, which reads every VM as idle).
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    measure: f64,
    /// Also simulate the next H hours in the cluster's twin, as it is, with the plan, and
    /// with the plan followed by the reallocation policy, and print what each predicts.
    #[arg(long, value_name = "H")]
    what_if: Option<f64>,
    #[command(flatten)]
    sets: Sets,
}

/// Arguments of `orrery live snapshot`.
#[derive(clap::Args)]
struct SnapshotArgs {
    /// Live config file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// The directory to write (scenario.toml and trace.parquet).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Utilisation samples to take of every VM.
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    samples: u32,
    /// Seconds between samples.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    every: f64,
    /// How long the twin runs, in hours.
    #[arg(long, value_name = "H", default_value_t = 24.0)]
    hours: f64,
    #[command(flatten)]
    sets: Sets,
}

/// Arguments of `orrery live calibrate`.
#[derive(clap::Args)]
struct CalibrateArgs {
    /// Live config file (TOML) whose journal to read.
    #[arg(long)]
    config: PathBuf,
    /// A snapshot directory (`orrery live snapshot --out DIR`) whose scenario takes the fit.
    #[arg(long, value_name = "DIR")]
    snapshot: Option<PathBuf>,
    #[command(flatten)]
    sets: Sets,
}

/// A horizon in hours: above 0 and at most a year.
#[cfg(feature = "live")]
fn hours(flag: &str, h: f64) -> Result<f64, InputError> {
    if h.is_finite() && h > 0.0 && h <= 8760.0 {
        Ok(h)
    } else {
        Err(InputError::file(
            flag,
            format!("must be a number of hours above 0 and at most 8760, got {h}"),
        )
        .hint(format!("e.g. {flag} 2")))
    }
}

/// Arguments of `orrery live apply`.
#[derive(clap::Args)]
struct ApplyArgs {
    /// The plan file (written by `orrery live plan`).
    plan: PathBuf,
    /// Live config file (default: the one the plan was made with).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    sets: Sets,
}

/// Arguments of `orrery live cancel`.
#[derive(clap::Args)]
struct CancelArgs {
    /// The plan file.
    plan: PathBuf,
    /// Live config file (default: the one the plan was made with).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    sets: Sets,
}

/// Arguments of `orrery live journal`.
#[derive(clap::Args)]
struct JournalArgs {
    /// Live config file (TOML) whose journal to read.
    #[arg(long, required_unless_present = "journal")]
    config: Option<PathBuf>,
    /// A journal file to read instead.
    #[arg(long, conflicts_with = "config")]
    journal: Option<PathBuf>,
    /// Only actions on this VM.
    #[arg(long)]
    vm: Option<String>,
    /// Only actions touching this host.
    #[arg(long)]
    host: Option<String>,
    /// Only actions by this actor: policy, operator or reconciler.
    #[arg(long)]
    actor: Option<String>,
    /// Only actions with this outcome: open, done, failed, reconciled or skipped.
    #[arg(long)]
    outcome: Option<String>,
    /// Only actions of this kind (deploy, migrate, power-off, …).
    #[arg(long)]
    kind: Option<String>,
    /// Only actions of the plan whose id starts with this.
    #[arg(long)]
    plan: Option<String>,
    /// Only the last N entries (after the other filters).
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    sets: Sets,
}

/// Arguments of `orrery live maintenance`.
#[derive(clap::Args)]
struct MaintenanceArgs {
    /// Live config file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// The host.
    host: String,
    /// Take the host out of maintenance.
    #[arg(long)]
    off: bool,
    #[command(flatten)]
    sets: Sets,
}

/// The most seconds `--interval` takes (a day).
const MAX_INTERVAL_S: f64 = 86_400.0;

/// A flag's seconds as a duration: a finite number above 0 and at most a day.
fn seconds(flag: &str, secs: f64) -> Result<std::time::Duration, InputError> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_INTERVAL_S {
        Ok(std::time::Duration::from_secs_f64(secs))
    } else {
        Err(InputError::file(
            flag,
            format!("must be a number of seconds above 0 and at most {MAX_INTERVAL_S}, got {secs}"),
        )
        .hint(format!("e.g. {flag} 60")))
    }
}

/// Runs `orrery live` or one of its subcommands.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    match args.command {
        None => run_loop(args.run, ui),
        Some(command) => imp::run(command, ui),
    }
}

/// Runs the loop: one round with `--once`, until stopped otherwise.
fn run_loop(args: RunArgs, ui: &Ui) -> Result<(), Error> {
    let config = args.config.clone().expect("clap requires --config");
    let interval = args
        .interval
        .map(|s| seconds("--interval", s))
        .transpose()?;
    imp::run_loop(&config, &args, interval, ui)
}

/// A plan file that cannot be read is bad input, named.
#[cfg(feature = "live")]
fn plan_error(e: orrery_live::journal::JournalError) -> InputError {
    InputError::file(&e.path, e.message)
        .hint("plans are written by `orrery live plan --config FILE --out PLAN`")
}

#[cfg(feature = "live")]
mod imp {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use orrery_engine::InfraError;
    use orrery_live::calibrate::{self, Calibration};
    use orrery_live::clock::{Clock as _, WallClock};
    use orrery_live::config::LiveConfig;
    use orrery_live::journal::Journal;
    use orrery_live::plan::PlanFile;
    use orrery_live::{history, metrics, requests, Libvirt, Live, LiveOptions};

    use super::*;

    /// Stops the loop on SIGTERM and SIGINT after the action in flight; a second signal
    /// while the first is being honoured ends the process at once (the journal's open intent
    /// is settled by the next start).
    fn stop_on_signals() -> Result<Arc<AtomicBool>, Error> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let stop = Arc::new(AtomicBool::new(false));
        for signal in [SIGTERM, SIGINT] {
            signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
                .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
                .map_err(|e| InfraError::Backend(format!("cannot handle signals: {e}")))?;
        }
        Ok(stop)
    }

    /// Where the loop's plans are printed: nowhere under `-q` (the journal keeps what was done).
    fn out(ui: &Ui) -> Box<dyn std::io::Write> {
        if ui.quiet() {
            Box::new(std::io::sink())
        } else {
            Box::new(std::io::stdout())
        }
    }

    pub(super) fn run_loop(
        config: &Path,
        args: &RunArgs,
        interval: Option<std::time::Duration>,
        ui: &Ui,
    ) -> Result<(), Error> {
        ui.note_path(1, "Loading", "live config ", config);
        let loaded = LiveConfig::load(config, &args.sets.sets)?;
        let metrics = metrics::Metrics::new(&loaded.name);
        // Held for the whole run: dropping it stops the server.
        let _server = match &args.metrics {
            Some(addr) => {
                let server = metrics::serve(metrics.clone(), addr).map_err(|e| {
                    InputError::file("--metrics", e).hint("e.g. --metrics 127.0.0.1:9187")
                })?;
                ui.note(
                    0,
                    "Serving",
                    format!("metrics at http://{}/metrics", server.local_addr()),
                );
                Some(server)
            }
            None => None,
        };
        let opts = LiveOptions {
            apply: args.apply,
            rounds: if args.once { Some(1) } else { args.rounds },
            interval,
            // Crash tests only: abort right after the first intent is journaled.
            crash_after_intent: std::env::var_os("ORRERY_LIVE_CRASH_AFTER_INTENT").is_some(),
            stop: stop_on_signals()?,
            metrics: args.metrics.as_ref().map(|_| metrics),
            ..LiveOptions::default()
        };
        let _ = args.dry_run;
        let stats = crate::runs::live_config(loaded, opts, out(ui))?;
        ui.print(format!(
            "{} decisions, {} actions planned, {} not carried out (dry run or refused)\n",
            stats.placements + stats.reallocations + stats.scalings,
            stats.actions,
            stats.refused
        ));
        Ok(())
    }

    pub(super) fn run(command: Command, ui: &Ui) -> Result<(), Error> {
        match command {
            Command::Plan(a) => plan(a, ui),
            Command::Apply(a) => apply(a, ui),
            Command::Cancel(a) => cancel(a, ui),
            Command::Journal(a) => journal(a, ui),
            Command::Maintenance(a) => maintenance(a, ui),
            Command::Snapshot(a) => snapshot(a, ui),
            Command::Calibrate(a) => calibrate_cmd(a, ui),
        }
    }

    fn calibrate_cmd(a: CalibrateArgs, ui: &Ui) -> Result<(), Error> {
        let config = LiveConfig::load(&a.config, &a.sets.sets)?;
        let path = config.journal_path();
        let journal =
            Journal::read_only(&path).map_err(|e| InputError::file(&e.path, e.message))?;
        let obs = calibrate::observations(&config, journal.records());
        let Some(fit) = calibrate::fit(&obs) else {
            return Err(InputError::file(&path, "records no measured live migration")
                .hint("calibration needs live migrations carried out by `orrery live --apply` or `orrery live apply`")
                .into());
        };
        let mut text = format!(
            "pre-copy model fitted to {} live migrations: link {:.1} MB/s (bandwidth_fraction \
             {:.3}), stop at {:.2} MB, at most {} rounds; per template, dirty rate and share \
             of memory sent: {}\n\
             {:<12} {:>28}   {:>28}\n",
            fit.migrations,
            fit.rate_mbs,
            fit.bandwidth_fraction,
            fit.stop_threshold_mb,
            fit.max_rounds,
            fit.dirty_rate_mbs
                .iter()
                .map(|(t, d)| format!(
                    "{t} {d:.2} MB/s, {:.0} %",
                    fit.sent_fraction.get(t).copied().unwrap_or(1.0) * 100.0
                ))
                .collect::<Vec<_>>()
                .join("; "),
            "VM",
            "real: s, downtime ms, MB, rounds",
            "model: s, downtime ms, MB, rounds"
        );
        for r in fit.replay(&obs) {
            text += &format!(
                "{:<12} {:>9.1} {:>7.0} {:>7.1} {:>3}   {:>9.1} {:>7.0} {:>7.1} {:>3}   {:+.0} %\n",
                r.vm,
                r.real.0,
                r.real.1 * 1000.0,
                r.real.2,
                r.real.3,
                r.model.0,
                r.model.1 * 1000.0,
                r.model.2,
                r.model.3,
                (r.model.0 - r.real.0) / r.real.0 * 100.0
            );
        }
        fit.save(&path)
            .map_err(|e| InfraError::Backend(e.to_string()))?;
        text += &format!(
            "kept in {} (the twin's what-if and snapshots use it)\n",
            Calibration::path(&path).display()
        );
        if let Some(dir) = &a.snapshot {
            let scenario = dir.join(crate::twin::SCENARIO);
            let old = std::fs::read_to_string(&scenario)
                .map_err(|e| InputError::file(&scenario, e.to_string()))?;
            let new =
                crate::twin::calibrated(&old, &fit).map_err(|e| InputError::file(&scenario, e))?;
            std::fs::write(&scenario, new)
                .map_err(|e| Error::output(scenario.display().to_string(), e))?;
            text += &format!("written into {}\n", scenario.display());
        }
        ui.print(text);
        Ok(())
    }

    fn plan(a: PlanArgs, ui: &Ui) -> Result<(), Error> {
        let config = LiveConfig::load(&a.config, &a.sets.sets)?;
        let warmup = match a.measure {
            0.0 => None,
            s => Some(seconds("--measure", s)?),
        };
        let horizon = a.what_if.map(|h| hours("--what-if", h)).transpose()?;
        let opts = LiveOptions {
            rounds: Some(1),
            plan_out: Some(a.out.clone()),
            warmup,
            ..LiveOptions::default()
        };
        crate::runs::live_config(config.clone(), opts, out(ui))?;
        if let Some(h) = horizon {
            let plan = PlanFile::load(&a.out).map_err(plan_error)?;
            let dir = tempfile::tempdir()
                .map_err(|e| Error::output("the twin's scenarios".to_string(), e))?;
            let calibration = Calibration::load(&config.journal_path())
                .map_err(|e| InputError::file(&e.path, e.message))?;
            let c = calibration.as_ref();
            let predictions =
                crate::twin::what_if(&config, &plan.observed, &plan.steps, h, c, dir.path())?;
            ui.data(crate::twin::render(h, &predictions));
            ui.data(crate::twin::migration_lines(&config, &plan.steps, c));
        }
        Ok(())
    }

    fn snapshot(a: SnapshotArgs, ui: &Ui) -> Result<(), Error> {
        let config = LiveConfig::load(&a.config, &a.sets.sets)?;
        let every = seconds("--every", a.every)?;
        let h = hours("--hours", a.hours)?;
        let opts = LiveOptions {
            interval: Some(every),
            ..LiveOptions::default()
        };
        let hv = Libvirt::for_config(&config);
        let mut live = Live::new(
            config.clone(),
            hv,
            Box::new(WallClock::new()),
            out(ui),
            opts,
        )
        .map_err(|e| InfraError::Backend(e.to_string()))?;
        // The first observation has no CPU-time delta; each later one gives a sample.
        live.observe();
        for n in 1..=a.samples {
            ui.note(
                0,
                "Sampling",
                format!("{n} of {} in {} s", a.samples, a.every),
            );
            std::thread::sleep(every);
            live.observe();
        }
        let observed = live.observed();
        let layout = crate::twin::Layout::observed(&observed);
        let calibration = Calibration::load(&config.journal_path())
            .map_err(|e| InputError::file(&e.path, e.message))?;
        let path =
            crate::twin::write(&config, &observed, &layout, h, calibration.as_ref(), &a.out)?;
        ui.print(format!(
            "twin of {} ({} hosts, {} VMs, {} samples each) written to {}: `orrery run {}`\n",
            config.name,
            observed.hosts.len(),
            observed.vms.len(),
            a.samples,
            path.display(),
            path.display()
        ));
        Ok(())
    }

    /// The plan at `path` and the config to apply it with: `--config`, or the plan's own.
    fn plan_and_config(
        path: &Path,
        config: Option<&Path>,
        sets: &[String],
    ) -> Result<(PlanFile, LiveConfig), Error> {
        let plan = PlanFile::load(path).map_err(plan_error)?;
        let config = LiveConfig::load(config.unwrap_or(&plan.config), sets)?;
        if config.name != plan.config_name {
            return Err(InputError::file(
                path,
                format!(
                    "was made for config `{}`, not `{}` ({})",
                    plan.config_name,
                    config.name,
                    config.source.path().display()
                ),
            )
            .hint("give the config it was made with: --config FILE")
            .into());
        }
        Ok((plan, config))
    }

    fn apply(a: ApplyArgs, ui: &Ui) -> Result<(), Error> {
        let (plan, config) = plan_and_config(&a.plan, a.config.as_deref(), &a.sets.sets)?;
        let opts = LiveOptions {
            apply: true,
            stop: stop_on_signals()?,
            ..LiveOptions::default()
        };
        let hv = Libvirt::for_config(&config);
        let backend = |e: orrery_live::journal::JournalError| InfraError::Backend(e.to_string());
        let mut live =
            Live::new(config, hv, Box::new(WallClock::new()), out(ui), opts).map_err(backend)?;
        let report = live.apply_plan(&plan).map_err(backend)?;
        ui.print(format!(
            "plan {}: {} done, {} skipped, {} failed\n",
            plan.id, report.done, report.skipped, report.failed
        ));
        Ok(())
    }

    fn cancel(a: CancelArgs, ui: &Ui) -> Result<(), Error> {
        let (plan, config) = plan_and_config(&a.plan, a.config.as_deref(), &a.sets.sets)?;
        let path = config.journal_path();
        let journal = Journal::read_only(&path).map_err(|e| InfraError::Backend(e.to_string()))?;
        let status = journal.plan_status(&plan.id);
        if status == Some("cancelled") {
            ui.print(format!("plan {} was already cancelled\n", plan.id));
            return Ok(());
        }
        let at_ms = WallClock::new().unix_ms();
        requests::append(
            &path,
            &requests::Request::Cancel {
                plan: plan.id.clone(),
                at_ms,
            },
        )
        .map_err(|e| InfraError::Backend(e.to_string()))?;
        ui.print(match status {
            Some(_) => format!(
                "plan {} was taken up already: if it is still being applied, none of its \
                 actions not yet begun will be\n",
                plan.id
            ),
            None => format!("plan {} cancelled: it will not be applied\n", plan.id),
        });
        Ok(())
    }

    fn journal(a: JournalArgs, ui: &Ui) -> Result<(), Error> {
        let path = match (&a.journal, &a.config) {
            (Some(j), _) => j.clone(),
            (None, Some(c)) => LiveConfig::load(c, &a.sets.sets)?.journal_path(),
            (None, None) => unreachable!("clap requires one"),
        };
        /// A filter flag's value, checked by `parse`.
        fn word<T>(
            flag: &str,
            value: Option<&str>,
            parse: fn(&str) -> Result<T, String>,
        ) -> Result<Option<T>, InputError> {
            value
                .map(parse)
                .transpose()
                .map_err(|e| InputError::file(flag, e))
        }
        let actor = word("--actor", a.actor.as_deref(), history::parse_actor)?;
        let outcome = word("--outcome", a.outcome.as_deref(), history::parse_outcome)?;
        let kind = word("--kind", a.kind.as_deref(), history::parse_kind)?;
        if !path.exists() {
            return Err(InputError::file(&path, "no journal here yet")
                .hint("the journal is written by `orrery live --apply` and `orrery live apply`")
                .into());
        }
        let journal =
            Journal::read_only(&path).map_err(|e| InputError::file(&e.path, e.message))?;
        let filter = history::Filter {
            vm: a.vm,
            host: a.host,
            actor,
            outcome,
            plan: a.plan,
            kind,
            last: a.last,
            ..history::Filter::default()
        };
        let entries = history::select(history::entries(journal.records()), &filter);
        ui.data(if a.json {
            history::render_json(&entries)
        } else {
            history::render_text(&entries)
        });
        Ok(())
    }

    fn maintenance(a: MaintenanceArgs, ui: &Ui) -> Result<(), Error> {
        let config = LiveConfig::load(&a.config, &a.sets.sets)?;
        if !config.host_names().contains(&a.host) {
            return Err(
                InputError::file(&a.config, format!("has no host `{}`", a.host))
                    .hint(format!("its hosts: {}", config.host_names().join(", ")))
                    .into(),
            );
        }
        let at_ms = WallClock::new().unix_ms();
        requests::append(
            &config.journal_path(),
            &requests::Request::Maintenance {
                host: a.host.clone(),
                on: !a.off,
                at_ms,
            },
        )
        .map_err(|e| InfraError::Backend(e.to_string()))?;
        ui.print(if a.off {
            format!("{} is out of maintenance from the next round\n", a.host)
        } else {
            format!(
                "{} is in maintenance from the next round: its VMs are moved off, then nothing \
                 is placed on it or powers it (`orrery live maintenance --off` ends it)\n",
                a.host
            )
        });
        Ok(())
    }
}

#[cfg(not(feature = "live"))]
mod imp {
    use super::*;

    /// The error for a live config given to an orrery built without the `live` feature.
    pub(crate) fn not_built(config: &Path) -> InputError {
        InputError::file(config, "this orrery was built without live mode").hint(
            "build with the default features (`cargo build --release`; libvirt's headers are \
             needed: apt install libvirt-dev)",
        )
    }

    pub(super) fn run_loop(
        config: &Path,
        args: &RunArgs,
        _interval: Option<std::time::Duration>,
        _ui: &Ui,
    ) -> Result<(), Error> {
        let _ = (
            args.dry_run,
            args.apply,
            args.once,
            args.rounds,
            &args.metrics,
        );
        let _ = &args.sets.sets;
        Err(not_built(config).into())
    }

    pub(super) fn run(command: Command, _ui: &Ui) -> Result<(), Error> {
        let path: PathBuf = match command {
            Command::Plan(a) => a.config,
            Command::Apply(a) => a.plan,
            Command::Cancel(a) => a.plan,
            Command::Journal(a) => a.config.or(a.journal).unwrap_or_default(),
            Command::Maintenance(a) => a.config,
            Command::Snapshot(a) => a.config,
            Command::Calibrate(a) => a.config,
        };
        Err(not_built(&path).into())
    }
}

#[cfg(not(feature = "live"))]
pub(crate) use imp::not_built;
