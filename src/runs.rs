//! Running scenarios: the embedded default, loading and checking a scenario, running one in
//! simulation, comparing several, and live mode.

use std::path::Path;

use orrery_engine::error::{InputError, RunError};
use orrery_engine::metrics::RunResult;
use orrery_engine::scenario::Scenario;
use orrery_sim::Simulator;

/// The embedded default scenario (a mid-size datacenter over one synthetic day).
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// Loads a scenario file, or the embedded default when `path` is `None`.
pub fn load_scenario(path: Option<&Path>, sets: &[String]) -> Result<Scenario, InputError> {
    match path {
        Some(p) => Scenario::load(p, sets),
        None => Scenario::parse(
            DEFAULT_SCENARIO,
            Path::new("<embedded default>"),
            Path::new("."),
            sets,
        ),
    }
}

/// Checks what can be checked without running: the policies exist and accept their options,
/// host names, VM groups and the thermal model resolve (traces are read only by a run).
pub fn check(scenario: &Scenario) -> Result<(), InputError> {
    orrery_policies::registry::cloud_os(scenario, scenario.spec.seed)?;
    Simulator::check_layout(scenario)
}

/// Runs a scenario in simulation, with its seed replaced by `seed` when given.
pub fn run(scenario: &Scenario, seed: Option<u64>) -> Result<RunResult, RunError> {
    let mut os = orrery_policies::registry::cloud_os(scenario, seed.unwrap_or(scenario.spec.seed))?;
    let mut sim = Simulator::new(scenario, seed)?;
    os.run(&mut sim)?;
    Ok(sim.finish())
}

/// Runs live mode: loads the live config at `path` (with `--set` overrides) and runs it
/// (see [`live_config`]).
#[cfg(feature = "live")]
pub fn live(
    path: &Path,
    sets: &[String],
    opts: orrery_live::LiveOptions,
    out: Box<dyn std::io::Write>,
) -> Result<orrery_engine::control::LoopStats, RunError> {
    live_config(
        orrery_live::config::LiveConfig::load(path, sets)?,
        opts,
        out,
    )
}

/// Runs live mode on a loaded config: connects to its hosts through libvirt and runs the
/// cloud OS its policies describe (built exactly as for a simulation), printing to `out`.
#[cfg(feature = "live")]
pub fn live_config(
    config: orrery_live::config::LiveConfig,
    opts: orrery_live::LiveOptions,
    out: Box<dyn std::io::Write>,
) -> Result<orrery_engine::control::LoopStats, RunError> {
    use orrery_live::{clock::WallClock, Libvirt, Live};
    let mut os = orrery_policies::registry::cloud_os(&config, config.spec.seed)?;
    let hv = Libvirt::for_config(&config);
    let mut infra = Live::new(config, hv, Box::new(WallClock::new()), out, opts)
        .map_err(|e| orrery_engine::InfraError::Backend(e.to_string()))?;
    Ok(os.run(&mut infra)?)
}

/// Loads and runs each scenario (in parallel, results in the order given) and returns their
/// summaries; the first bad file stops the comparison before anything runs.
pub fn compare(
    paths: &[std::path::PathBuf],
    sets: &[String],
    seed: Option<u64>,
) -> Result<Vec<orrery_engine::metrics::Summary>, RunError> {
    let scenarios = paths
        .iter()
        .map(|p| Scenario::load(p, sets))
        .collect::<Result<Vec<_>, _>>()?;
    run_all(&scenarios, seed, &|| ())
}

/// Runs each scenario (in parallel, results in the order given), calling `done` as each one
/// finishes (for a progress bar), and returns their summaries.
pub fn run_all(
    scenarios: &[Scenario],
    seed: Option<u64>,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<orrery_engine::metrics::Summary>, RunError> {
    use rayon::prelude::*;
    scenarios
        .par_iter()
        .map(|s| {
            let summary = run(s, seed).map(|r| r.summary);
            done();
            summary
        })
        .collect()
}
