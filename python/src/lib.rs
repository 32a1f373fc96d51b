//! orrery's Python extension module `orrery._orrery`: the Rust half of the `orrery` Python
//! package (python/orrery/), which wraps it with the documented API.
//!
//! - [`api`]: whole runs, sweeps, federations and live mode, results as polars frames
//!   ([`frames`]);
//! - [`step`]: the step API (`Simulation`), with [`view`] snapshots and [`action`]s;
//! - [`policy`]: Python classes registered as policies, drawing from the run's [`rng`];
//! - [`errors`]: orrery's errors as Python exceptions.

pub mod action;
pub mod api;
pub mod errors;
pub mod frames;
pub mod policy;
pub mod rng;
pub mod scenario;
pub mod step;
pub mod view;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _orrery(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<action::PyAction>()?;
    m.add_class::<view::View>()?;
    m.add_class::<rng::PyRng>()?;
    m.add_class::<scenario::PyScenario>()?;
    m.add_class::<step::Simulation>()?;
    m.add_class::<step::PyDecision>()?;
    m.add_function(wrap_pyfunction!(scenario::load_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(api::run, m)?)?;
    m.add_function(wrap_pyfunction!(api::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(api::federate, m)?)?;
    m.add_function(wrap_pyfunction!(api::check, m)?)?;
    #[cfg(feature = "live")]
    m.add_function(wrap_pyfunction!(api::live, m)?)?;
    m.add_function(wrap_pyfunction!(policy::register_policy, m)?)?;
    m.add_function(wrap_pyfunction!(policy::unregister_policy, m)?)?;
    m.add_function(wrap_pyfunction!(policy::registered_policies, m)?)?;
    m.add("HAS_LIVE", cfg!(feature = "live"))?;
    m.add("DEFAULT_SCENARIO", orrery::DEFAULT_SCENARIO)?;
    Ok(())
}
