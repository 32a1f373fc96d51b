//! `orrery`: run cloud-datacenter scenarios in simulation.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use orrery::sweep::{self, Shard, SweepError};
use orrery::{load_scenario, run, RunError};

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
    Run {
        /// Scenario file (TOML).
        scenario: Option<PathBuf>,
        /// Seed for every random stream (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a scenario key: `--set policies.placement=packing` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Directory for summary.json, intervals.csv and events.csv.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Compare the beloglazov policies with CloudSim 3.0.3's reference results and write the
    /// validation report (docs/validation.md).
    CloudsimReport {
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
        #[arg(long, default_value_t = 10)]
        seeds: u64,
        /// Day of the quirk-by-quirk study.
        #[arg(long, default_value = "20110303")]
        quirk_day: String,
        /// Where to write the report.
        #[arg(long, default_value = "docs/validation.md")]
        out: PathBuf,
    },
    /// Compare scenario files (run now), run directories and sweep directories side by side.
    Compare {
        /// Scenario files, or result directories of `orrery run` / `orrery sweep`.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Table format.
        #[arg(long, value_enum, default_value_t = TableFormat::Markdown)]
        format: TableFormat,
        /// Seed for every run (overrides each scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a key in every scenario (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Also write the table to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Plot a run or sweep directory: PNG and SVG figures and one self-contained HTML page in
    /// DIR/report/.
    Report {
        /// A directory written by `orrery run --out` or `orrery sweep --out`.
        dir: PathBuf,
    },
    /// Run every point of a scenario's `[sweep]` grid (in parallel), or merge or submit one.
    Sweep(SweepCommand),
    /// Run a policy benchmark suite and compare it with a baseline; exit 1 on any regression.
    Bench {
        /// The suite file (e.g. benches/policies/suite.toml).
        suite: PathBuf,
        /// The baseline file (JSON).
        #[arg(long)]
        baseline: PathBuf,
        /// Record the current results as the new baseline instead of gating.
        #[arg(long)]
        update: bool,
    },
    /// Run the control loop on real hosts through libvirt (docs/live.md). Plans are printed,
    /// and carried out only with --apply.
    #[cfg(feature = "live")]
    Live {
        /// Live config file (TOML).
        #[arg(long)]
        config: PathBuf,
        /// Only print plans (the default).
        #[arg(long, conflicts_with = "apply")]
        dry_run: bool,
        /// Carry plans out.
        #[arg(long)]
        apply: bool,
        /// Run one round and stop.
        #[arg(long)]
        once: bool,
        /// Seconds between rounds (default: the config's interval_s).
        #[arg(long)]
        interval: Option<f64>,
    },
    /// Run a federation file (docs/federation.md), or compare several on the same demand.
    Federate(FederateCommand),
    /// Check scenario files without running them.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Overrides applied to each file before checking.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

/// `orrery federate FILE [--out DIR]` or `orrery federate compare FILE...`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct FederateCommand {
    #[command(subcommand)]
    action: Option<FederateAction>,
    /// Federation file (TOML).
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Directory for summary.json, intervals.csv and events.csv.
    #[arg(long, default_value = "out")]
    out: PathBuf,
}

#[derive(Subcommand)]
enum FederateAction {
    /// Run each federation file and print one comparison table.
    Compare {
        /// Federation files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `orrery sweep FILE ...`, `orrery sweep merge ...` or `orrery sweep slurm ...`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct SweepCommand {
    #[command(subcommand)]
    action: Option<SweepAction>,
    /// Scenario file with a `[sweep]` table.
    #[arg(required = true)]
    scenario: Option<PathBuf>,
    /// The sweep directory (runs, results.csv).
    #[arg(long, default_value = "sweep")]
    out: PathBuf,
    /// Worker threads (default: SLURM_CPUS_PER_TASK when set, else one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only the points k with k mod N = i, and write parts/part-i-of-N.csv.
    #[arg(long, value_name = "i/N")]
    shard: Option<Shard>,
    /// Re-run finished runs instead of skipping them.
    #[arg(long)]
    force: bool,
    /// Override a scenario key in every point (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

#[derive(Subcommand)]
enum SweepAction {
    /// Join the parts of a sharded sweep into results.csv.
    Merge {
        /// The sweep directory.
        dir: PathBuf,
        /// Number of shards the sweep was split into.
        #[arg(long)]
        expect: usize,
    },
    /// Print a script submitting the sweep as a Slurm job array plus its merge job.
    Slurm {
        /// Scenario file with a `[sweep]` table.
        scenario: PathBuf,
        /// Shards (array tasks).
        #[arg(long)]
        shards: usize,
        /// The sweep directory, on a filesystem every node sees.
        #[arg(long, default_value = "sweep")]
        out: PathBuf,
        /// At most this many tasks at once (`--array=0-(N-1)%M`).
        #[arg(long)]
        max_running: Option<usize>,
        /// CPUs per task (each shard's worker threads).
        #[arg(long, default_value_t = 1)]
        cpus: usize,
        /// Slurm partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task, e.g. 01:00:00.
        #[arg(long)]
        time: Option<String>,
        /// Memory per task, e.g. 4G.
        #[arg(long)]
        mem: Option<String>,
        /// Override a scenario key in every point (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            scenario,
            seed,
            sets,
            out,
        } => {
            let started = Instant::now();
            let result = load_scenario(scenario.as_deref(), &sets)
                .map_err(RunError::from)
                .and_then(|s| run(&s, seed));
            match result {
                Ok(r) => {
                    // A closed stdout (`| head`) is not an error worth a panic.
                    let _ = write!(
                        std::io::stdout(),
                        "{}",
                        orrery_reports::summary_table(&r.summary)
                    );
                    if let Err(e) = orrery_reports::write_run(&out, &r) {
                        eprintln!("error: cannot write results to {}: {e}", out.display());
                        return ExitCode::from(1);
                    }
                    let secs = started.elapsed().as_secs_f64();
                    let _ = writeln!(
                        std::io::stdout(),
                        "results in {} ({secs:.2} s)",
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::CloudsimReport {
            scenarios,
            planetlab,
            reference,
            seeds,
            quirk_day,
            out,
        } => {
            let inputs = orrery::validation::ReportInputs {
                scenarios,
                planetlab,
                reference,
                seeds,
                quirk_day,
                quirk_policies: vec!["lr-mmt-1.2".into(), "thr-mmt-0.8".into()],
            };
            match orrery::validation::report(&inputs) {
                Ok(md) => {
                    if let Err(e) = std::fs::write(&out, md) {
                        eprintln!("error: cannot write {}: {e}", out.display());
                        return ExitCode::from(1);
                    }
                    let _ = writeln!(std::io::stdout(), "wrote {}", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Compare {
            inputs,
            format,
            seed,
            sets,
            out,
        } => compare(&inputs, format, &sets, seed, out.as_deref()),
        Command::Report { dir } => match orrery_reports::render_report(&dir) {
            Ok(page) => {
                let _ = writeln!(std::io::stdout(), "report in {}", page.display());
                ExitCode::SUCCESS
            }
            Err(e) => report_fail(e),
        },
        Command::Sweep(cmd) => match cmd.action {
            None => run_sweep(cmd),
            Some(SweepAction::Merge { dir, expect }) => match sweep::merge(&dir, expect) {
                Ok(path) => {
                    let _ = writeln!(
                        std::io::stdout(),
                        "merged {expect} parts into {}",
                        path.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => sweep_fail(e),
            },
            Some(SweepAction::Slurm {
                scenario,
                shards,
                out,
                max_running,
                cpus,
                partition,
                time,
                mem,
                sets,
            }) => slurm_script(sweep::slurm::Job {
                orrery: std::env::current_exe().unwrap_or_else(|_| "orrery".into()),
                scenario,
                out,
                sets,
                shards,
                max_running,
                cpus,
                partition,
                time,
                mem,
                name: String::new(),
            }),
        },
        Command::Federate(cmd) => federate(cmd),
        Command::Bench {
            suite,
            baseline,
            update,
        } => bench(&suite, &baseline, update),
        #[cfg(feature = "live")]
        Command::Live {
            config,
            dry_run: _,
            apply,
            once,
            interval,
        } => {
            let opts = orrery_live::LiveOptions {
                apply,
                rounds: once.then_some(1),
                interval: interval.map(std::time::Duration::from_secs_f64),
                // Crash tests only: abort right after the first intent is journaled.
                crash_after_intent: std::env::var_os("ORRERY_LIVE_CRASH_AFTER_INTENT").is_some(),
            };
            match orrery::live(&config, opts, Box::new(std::io::stdout())) {
                Ok(stats) => {
                    let _ = writeln!(
                        std::io::stdout(),
                        "{} decisions, {} actions planned, {} not carried out (dry run or refused)",
                        stats.placements + stats.reallocations,
                        stats.actions,
                        stats.refused
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Validate { scenarios, sets } => {
            let mut code = ExitCode::SUCCESS;
            for path in scenarios {
                // A sweep is checked point by point.
                let checked = load_scenario(Some(&path), &sets).and_then(|s| {
                    orrery::check(&s)?;
                    let points = match orrery_engine::scenario::sweep::Grid::of(&s)? {
                        Some(_) => Some(sweep::Plan::new(&s)?.points()),
                        None => None,
                    };
                    Ok((s, points))
                });
                match checked {
                    Ok((s, points)) => {
                        let grid =
                            points.map_or(String::new(), |n| format!(", sweep of {n} points"));
                        let _ = writeln!(
                            std::io::stdout(),
                            "{}: ok ({}{grid})",
                            path.display(),
                            s.name
                        );
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        code = ExitCode::from(2);
                    }
                }
            }
            code
        }
    }
}

fn run_sweep(cmd: SweepCommand) -> ExitCode {
    let started = Instant::now();
    let path = cmd.scenario.expect("clap requires the scenario");
    let plan = match load_scenario(Some(&path), &cmd.sets).and_then(|s| sweep::Plan::new(&s)) {
        Ok(p) => p,
        Err(e) => return fail(e.into()),
    };
    let opts = sweep::Options {
        out: cmd.out,
        jobs: cmd.jobs,
        shard: cmd.shard.unwrap_or(Shard::WHOLE),
        force: cmd.force,
    };
    match plan.run(&opts) {
        Ok(o) => {
            let _ = writeln!(
                std::io::stdout(),
                "{} points × {} replicas: ran {} runs, skipped {} finished ones ({:.2} s); \
                 results in {}",
                o.points,
                o.replicas,
                o.runs - o.skipped,
                o.skipped,
                started.elapsed().as_secs_f64(),
                o.table.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => sweep_fail(e),
    }
}

/// Prints the Slurm submission script for `job` (paths made absolute: the nodes run elsewhere).
fn slurm_script(mut job: sweep::slurm::Job) -> ExitCode {
    if job.shards == 0 {
        eprintln!("error: --shards must be at least 1");
        return ExitCode::from(2);
    }
    let scenario = match load_scenario(Some(&job.scenario), &job.sets)
        .and_then(|s| sweep::Plan::new(&s).map(|_| s))
    {
        Ok(s) => s,
        Err(e) => return fail(e.into()),
    };
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    job.scenario = absolute(&job.scenario);
    job.out = absolute(&job.out);
    job.orrery = absolute(&job.orrery);
    job.name = format!("orrery-{}", scenario.name);
    let _ = write!(std::io::stdout(), "{}", job.script());
    ExitCode::SUCCESS
}

/// `orrery bench`: 0 when no metric regressed (or after `--update`), 1 on a regression, 2 on
/// bad input.
fn bench(suite: &std::path::Path, baseline: &std::path::Path, update: bool) -> ExitCode {
    use orrery::bench::{self, Verdict};
    let suite = match bench::Suite::load(suite) {
        Ok(s) => s,
        Err(e) => return fail(e.into()),
    };
    let current = match suite.run() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let previous = if update && !baseline.exists() {
        None
    } else {
        match bench::read_baseline(baseline) {
            Ok(b) => Some(b),
            Err(e) if !update => return fail(e.into()),
            Err(_) => None,
        }
    };
    let changes = match previous.map(|b| suite.compare(&b, &current, baseline)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) if !update => return fail(e.into()),
        _ => None,
    };
    if let Some(changes) = &changes {
        let _ = write!(std::io::stdout(), "{}", bench::report(changes));
    }
    if update {
        if let Err(e) = std::fs::write(baseline, bench::baseline_json(&suite, current)) {
            eprintln!("error: cannot write {}: {e}", baseline.display());
            return ExitCode::from(1);
        }
        let _ = writeln!(
            std::io::stdout(),
            "recorded the baseline in {}",
            baseline.display()
        );
        return ExitCode::SUCCESS;
    }
    let regressed = changes
        .iter()
        .flatten()
        .any(|c| c.verdict == Verdict::Regressed);
    if regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Table formats of `orrery compare`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum TableFormat {
    /// A Markdown table with rounded values.
    Markdown,
    /// CSV with raw values (and 95 % CI half-widths for sweeps).
    Csv,
}

/// `orrery compare`: scenario files are run (in parallel), directories read; rows in the order
/// given.
fn compare(
    inputs: &[PathBuf],
    format: TableFormat,
    sets: &[String],
    seed: Option<u64>,
    out: Option<&std::path::Path>,
) -> ExitCode {
    use orrery_reports::comparison::{dir_rows, render, Row};
    let files: Vec<PathBuf> = inputs.iter().filter(|p| !p.is_dir()).cloned().collect();
    let mut summaries = match orrery::compare(&files, sets, seed) {
        Ok(s) => s.into_iter(),
        Err(e) => return fail(e),
    };
    let mut rows = Vec::new();
    for input in inputs {
        if input.is_dir() {
            match dir_rows(input) {
                Ok(r) => rows.extend(r),
                Err(e) => return report_fail(e),
            }
        } else if let Some(s) = summaries.next() {
            rows.push(Row::from_summary(&s));
        }
    }
    let format = match format {
        TableFormat::Markdown => orrery_reports::Format::Markdown,
        TableFormat::Csv => orrery_reports::Format::Csv,
    };
    let table = render(&rows, format);
    let _ = write!(std::io::stdout(), "{table}");
    if let Some(out) = out {
        if let Err(e) = std::fs::write(out, &table) {
            eprintln!("error: cannot write {}: {e}", out.display());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn report_fail(e: orrery_reports::ReportError) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        orrery_reports::ReportError::Input { .. } => ExitCode::from(2),
        orrery_reports::ReportError::Output { .. } => ExitCode::from(1),
    }
}

fn sweep_fail(e: SweepError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(e.exit_code())
}

fn fail(e: RunError) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        RunError::Input(_) => ExitCode::from(2),
        RunError::Infra(_) => ExitCode::from(1),
    }
}

fn federate(cmd: FederateCommand) -> ExitCode {
    use orrery_federation::{comparison_table, RunError as FedError};
    let result = match (cmd.action, cmd.file) {
        (Some(FederateAction::Compare { files }), _) => {
            orrery_federation::compare(&files).map(|s| Some(comparison_table(&s)))
        }
        (None, Some(file)) => orrery_federation::run(&file).map(|o| {
            if let Err(e) = o.write(&cmd.out) {
                eprintln!("error: cannot write results to {}: {e}", cmd.out.display());
                return None;
            }
            let table = comparison_table(std::slice::from_ref(&o.summary));
            Some(format!("{table}results in {}\n", cmd.out.display()))
        }),
        (None, None) => unreachable!("clap requires a file without a subcommand"),
    };
    match result {
        Ok(Some(text)) => {
            let _ = write!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                FedError::Input(_) => ExitCode::from(2),
                FedError::Infra(_) => ExitCode::from(1),
            }
        }
    }
}
