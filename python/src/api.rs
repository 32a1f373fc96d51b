//! Whole runs from Python: a scenario, a sweep, a federation, live mode. Each releases the GIL
//! while it runs (Python policies take it back for each call).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{from_run_error, guard, input_error, policy_error, run_error};
use crate::scenario::PyScenario;

/// Runs `f` without the GIL; a Python policy failing inside becomes `orrery.PolicyError`.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| guard(f))
        .map_err(|failure| policy_error(py, failure))
}

/// Runs `scenario` (seed replaced by `seed` when given) and returns `(summary, tables)`.
#[pyfunction]
#[pyo3(signature = (scenario, seed = None))]
pub fn run<'py>(
    py: Python<'py>,
    scenario: PyRef<'py, PyScenario>,
    seed: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let s = &scenario.scenario;
    let result = detached(py, || orrery::run(s, seed))?.map_err(|e| from_run_error(py, &e))?;
    crate::frames::run(py, &result)
}

/// Runs every point and replica of `scenario`'s `[sweep]` grid into the directory `out` on
/// `jobs` threads (skipping runs already there unless `force`) and returns what it did.
#[pyfunction]
#[pyo3(signature = (scenario, out, jobs = None, force = false))]
pub fn sweep<'py>(
    py: Python<'py>,
    scenario: PyRef<'py, PyScenario>,
    out: PathBuf,
    jobs: Option<usize>,
    force: bool,
) -> PyResult<Bound<'py, PyDict>> {
    use orrery::sweep::{Options, Plan, Shard, SweepError};
    let s = &scenario.scenario;
    let plan = detached(py, || Plan::new(s))?.map_err(|e| input_error(py, &e))?;
    let opts = Options {
        out,
        jobs,
        shard: Shard::WHOLE,
        force,
        progress: false,
    };
    let outcome = detached(py, || plan.run(&opts))?.map_err(|e| match e {
        SweepError::Input(e) => input_error(py, &e),
        SweepError::Run { run, source } => {
            let err = from_run_error(py, &source);
            let note = format!("in sweep run {run}");
            let _ = err.value(py).call_method1("add_note", (note,));
            err
        }
        other => run_error(py, other.to_string()),
    })?;
    let d = PyDict::new(py);
    d.set_item("points", outcome.points)?;
    d.set_item("replicas", outcome.replicas)?;
    d.set_item("runs", outcome.runs)?;
    d.set_item("ran", outcome.runs - outcome.skipped)?;
    d.set_item("skipped", outcome.skipped)?;
    d.set_item("table", outcome.table)?;
    Ok(d)
}

/// Runs the federation file at `path` with `--set` overrides and returns
/// `(summary, tables, {site: (summary, tables)})`.
#[pyfunction]
#[pyo3(signature = (path, sets = None))]
pub fn federate<'py>(
    py: Python<'py>,
    path: PathBuf,
    sets: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let sets = crate::scenario::sets(py, sets)?;
    let outcome = detached(py, || orrery_federation::run(&path, &sets))?
        .map_err(|e| from_run_error(py, &e))?;
    crate::frames::federation(py, &outcome)
}

/// Checks a scenario as `orrery validate` does (its policies build, its layout resolves)
/// without running it.
#[pyfunction]
pub fn check(py: Python<'_>, scenario: PyRef<'_, PyScenario>) -> PyResult<()> {
    let s = &scenario.scenario;
    detached(py, || orrery::check(s))?.map_err(|e| input_error(py, &e))
}

/// What live mode prints, forwarded to Python's `sys.stdout`.
#[cfg(feature = "live")]
struct PyStdout;

#[cfg(feature = "live")]
impl std::io::Write for PyStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            py.import("sys")
                .and_then(|sys| sys.getattr("stdout"))
                .and_then(|out| out.call_method1("write", (String::from_utf8_lossy(buf),)))
                .map(|_| buf.len())
                .map_err(std::io::Error::other)
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Python::attach(|py| {
            py.import("sys")
                .and_then(|sys| sys.getattr("stdout"))
                .and_then(|out| out.call_method0("flush"))
                .map(|_| ())
                .map_err(std::io::Error::other)
        })
    }
}

/// Runs live mode on the config at `path` for `rounds` rounds (`None`: until stopped),
/// carrying plans out only when `apply`, printing to `sys.stdout`; returns the loop's counts.
#[cfg(feature = "live")]
#[pyfunction]
#[pyo3(signature = (path, sets = None, apply = false, rounds = Some(1), interval_s = None))]
pub fn live<'py>(
    py: Python<'py>,
    path: PathBuf,
    sets: Option<&Bound<'py, PyAny>>,
    apply: bool,
    rounds: Option<u64>,
    interval_s: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let sets = crate::scenario::sets(py, sets)?;
    let interval = interval_s
        .map(|s| {
            std::time::Duration::try_from_secs_f64(s).map_err(|_| {
                crate::errors::argument_error(
                    py,
                    format!("interval_s must be a number of seconds, zero or more, got {s}"),
                )
            })
        })
        .transpose()?;
    let opts = orrery_live::LiveOptions {
        apply,
        rounds,
        interval,
        ..Default::default()
    };
    let stats = detached(py, || orrery::live(&path, &sets, opts, Box::new(PyStdout)))?
        .map_err(|e| from_run_error(py, &e))?;
    let d = PyDict::new(py);
    d.set_item("placements", stats.placements)?;
    d.set_item("reallocations", stats.reallocations)?;
    d.set_item("admissions", stats.admissions)?;
    d.set_item("scalings", stats.scalings)?;
    d.set_item("actions", stats.actions)?;
    d.set_item("refused", stats.refused)?;
    Ok(d)
}
