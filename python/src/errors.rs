//! orrery's errors as Python exceptions (`orrery.InputError`, `orrery.RunError`,
//! `orrery.PolicyError`, defined in `orrery/_errors.py`), and the unwinding that stops a run
//! when a Python policy fails.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use orrery_engine::error::{InputError, RunError};
use pyo3::prelude::*;

/// A Python policy that raised or returned something that is not a list of actions. The
/// engine's policy traits have no error path, so the policy stops the run by unwinding with
/// this payload ([`fail`]); the boundary back to Python ([`guard`]) catches it and raises
/// `orrery.PolicyError`. `resume_unwind` runs no panic hook: nothing is printed.
pub struct PolicyFailure {
    /// The registered policy's name (or `step` for the step API).
    pub policy: String,
    /// What went wrong.
    pub message: String,
    /// The Python exception the policy raised, if any (the `PolicyError`'s `__cause__`).
    pub cause: Option<PyErr>,
}

/// Stops the run: unwinds to the nearest [`guard`] with `failure`.
pub fn fail(failure: PolicyFailure) -> ! {
    resume_unwind(Box::new(failure))
}

/// Runs `f`, turning a [`PolicyFailure`] unwinding out of it into an `Err`; any other panic
/// goes on unwinding (pyo3 raises it as `PanicException`).
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, PolicyFailure> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| match payload.downcast::<PolicyFailure>() {
        Ok(failure) => *failure,
        Err(other) => resume_unwind(other),
    })
}

fn exception<'py>(py: Python<'py>, class: &str, message: String) -> PyResult<Bound<'py, PyAny>> {
    py.import("orrery._errors")?
        .getattr(class)?
        .call1((message,))
}

/// `orrery.InputError` for `e`: its message is the one paragraph the CLI prints (file, line,
/// column, key, message, hint), and each part is an attribute.
pub fn input_error(py: Python<'_>, e: &InputError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let err = exception(py, "InputError", e.to_string())?;
        err.setattr("file", e.file.display().to_string())?;
        err.setattr("line", e.line)?;
        err.setattr("column", e.column)?;
        err.setattr("key", e.key.clone())?;
        err.setattr("detail", e.message.clone())?;
        err.setattr("hint", e.hint.clone())?;
        Ok(PyErr::from_value(err))
    };
    build().unwrap_or_else(|err| err)
}

/// `orrery.RunError` with `message` (an infrastructure failure, an output that cannot be
/// written).
pub fn run_error(py: Python<'_>, message: String) -> PyErr {
    exception(py, "RunError", message)
        .map(PyErr::from_value)
        .unwrap_or_else(|err| err)
}

/// The Python exception for a failed run: `InputError` for bad input, `RunError` otherwise.
pub fn from_run_error(py: Python<'_>, e: &RunError) -> PyErr {
    match e {
        RunError::Input(e) => input_error(py, e),
        RunError::Infra(e) => run_error(py, e.to_string()),
    }
}

/// `orrery.PolicyError` for `failure`, chained to the exception the policy raised.
pub fn policy_error(py: Python<'_>, failure: PolicyFailure) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let err = exception(
            py,
            "PolicyError",
            format!("policy `{}`: {}", failure.policy, failure.message),
        )?;
        err.setattr("policy", failure.policy.clone())?;
        let err = PyErr::from_value(err);
        if let Some(cause) = &failure.cause {
            err.set_cause(py, Some(cause.clone_ref(py)));
        }
        Ok(err)
    };
    build().unwrap_or_else(|err| err)
}

/// `orrery.InputError` for a bad argument (not located in a file).
pub fn argument_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let message = message.into();
        let err = exception(py, "InputError", message.clone())?;
        err.setattr("detail", message)?;
        Ok(PyErr::from_value(err))
    };
    build().unwrap_or_else(|err| err)
}
