//! Python policies: a Python class registered by name in the policy registry's extensions
//! (`orrery_policies::registry::extension`), so a scenario names it like a built-in policy and
//! every run, sweep, federation site and live loop built through `cloud_os` uses it.
//!
//! Each call acquires the GIL, hands Python a [`View`] snapshot and, for placement,
//! reallocation and elasticity, the run's own random stream lent as an [`PyRng`]; the result
//! must be a list of `Action`s. A policy that raises or returns anything else stops the run
//! with `orrery.PolicyError` (see [`crate::errors::fail`]).

use orrery_engine::action::Action;
use orrery_engine::model::ServiceId;
use orrery_engine::policy::{Admission, Elasticity, Placement, Reallocation};
use orrery_engine::rng::Rng;
use orrery_engine::view::{ClusterView, VmId};
use orrery_policies::registry::extension::{self, Context, Extension, Kind, ParamSpec, Value};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;

use crate::errors::{argument_error, fail, PolicyFailure};
use crate::rng::PyRng;
use crate::view::View;

/// One instance of a registered Python policy (built once per run by its factory).
pub struct PyPolicy {
    name: String,
    object: Py<PyAny>,
}

impl PyPolicy {
    /// Calls `method(view, *extra, rng)` and reads the plan it returns; a failure stops the run.
    fn call(
        &self,
        method: &str,
        view: &ClusterView,
        extra: Option<Vec<usize>>,
        rng: Option<&mut Rng>,
    ) -> Vec<Action> {
        Python::attach(|py| {
            let stop = |message: String, cause: Option<PyErr>| -> ! {
                fail(PolicyFailure {
                    policy: self.name.clone(),
                    message,
                    cause,
                })
            };
            let view = Py::new(py, View::snapshot(view))
                .unwrap_or_else(|e| stop("cannot build its view".into(), Some(e)));
            let mut args: Vec<Bound<'_, PyAny>> = vec![view.into_bound(py).into_any()];
            if let Some(ids) = extra {
                match ids.into_pyobject(py) {
                    Ok(list) => args.push(list.into_any()),
                    Err(e) => stop("cannot pass its arguments".into(), Some(e)),
                }
            }
            let (rng, lent) = match rng {
                Some(rng) => {
                    let lent = Py::new(py, PyRng::lend(rng))
                        .unwrap_or_else(|e| stop("cannot lend its Rng".into(), Some(e)));
                    args.push(lent.bind(py).clone().into_any());
                    (Some(rng), Some(lent))
                }
                None => (None, None),
            };
            let args = pyo3::types::PyTuple::new(py, args)
                .unwrap_or_else(|e| stop("cannot pass its arguments".into(), Some(e)));
            let result = self.object.bind(py).call_method1(method, args);
            if let (Some(rng), Some(lent)) = (rng, lent) {
                match lent.try_borrow_mut(py) {
                    Ok(mut lent) => lent.give_back(rng),
                    Err(_) => stop(format!("{method}() left its Rng borrowed"), None),
                }
            }
            match result {
                Ok(value) => crate::action::plan(&value)
                    .unwrap_or_else(|e| stop(format!("{method}() {e}"), None)),
                Err(e) => stop(format!("{method}() raised {}", describe(py, &e)), Some(e)),
            }
        })
    }
}

/// `TypeError: message` for an exception.
fn describe(py: Python<'_>, e: &PyErr) -> String {
    let name = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "exception".into());
    format!("{name}: {}", e.value(py))
}

impl Placement for PyPolicy {
    fn place(&mut self, view: &ClusterView, pending: &[VmId], rng: &mut Rng) -> Vec<Action> {
        self.call("place", view, Some(pending.to_vec()), Some(rng))
    }
}

impl Reallocation for PyPolicy {
    fn reallocate(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action> {
        self.call("reallocate", view, None, Some(rng))
    }
}

impl Elasticity for PyPolicy {
    fn scale(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action> {
        self.call("scale", view, None, Some(rng))
    }
}

impl Admission for PyPolicy {
    fn admit(&mut self, view: &ClusterView, pending: &[ServiceId]) -> Vec<Action> {
        self.call("admit", view, Some(pending.to_vec()), None)
    }
}

fn kind_of(py: Python<'_>, kind: &str) -> PyResult<Kind> {
    Kind::ALL
        .into_iter()
        .find(|k| k.key() == kind)
        .ok_or_else(|| {
            argument_error(
                py,
                format!(
                    "kind `{kind}`: a policy is a placement, reallocation, admission or elasticity"
                ),
            )
        })
}

/// The method a policy of `kind` implements.
fn method(kind: Kind) -> &'static str {
    match kind {
        Kind::Placement => "place",
        Kind::Reallocation => "reallocate",
        Kind::Admission => "admit",
        Kind::Elasticity => "scale",
    }
}

fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Value::Float(x) => x.into_bound_py_any(py),
        Value::Integer(i) => i.into_bound_py_any(py),
        Value::Boolean(b) => b.into_bound_py_any(py),
        Value::String(s) => s.into_bound_py_any(py),
    }
}

/// A parameter declaration from Python: `(key, type, default, min, max, choices, meaning)`
/// with type `float`, `int`, `bool` or `str`.
type ParamDecl = (
    String,
    String,
    Py<PyAny>,
    Option<f64>,
    Option<f64>,
    Vec<String>,
    String,
);

fn param_spec(py: Python<'_>, decl: ParamDecl) -> PyResult<ParamSpec> {
    let (key, ty, default, min, max, choices, meaning) = decl;
    let default = default.bind(py);
    let bad = |e: PyErr| argument_error(py, format!("parameter `{key}`: default {e}"));
    Ok(match ty.as_str() {
        "float" => ParamSpec::float(
            &key,
            default.extract().map_err(bad)?,
            min.unwrap_or(f64::MIN),
            max.unwrap_or(f64::MAX),
            &meaning,
        ),
        "int" => ParamSpec::integer(
            &key,
            default.extract().map_err(bad)?,
            min.map_or(i64::MIN, |m| m.ceil() as i64),
            max.map_or(i64::MAX, |m| m.floor() as i64),
            &meaning,
        ),
        "bool" => ParamSpec::boolean(&key, default.extract().map_err(bad)?, &meaning),
        "str" => {
            let choices: Vec<&str> = choices.iter().map(String::as_str).collect();
            let d: String = default.extract().map_err(bad)?;
            ParamSpec::string(&key, &d, &choices, &meaning)
        }
        other => {
            return Err(argument_error(
                py,
                format!("parameter `{key}`: type `{other}` is not float, int, bool or str"),
            ))
        }
    })
}

/// Registers `factory` (a class, or any callable taking the parameters as keyword arguments
/// and returning the policy object) as the policy `name` of `kind`; replaces an extension
/// already registered under that name when `replace`.
#[pyfunction]
#[pyo3(signature = (name, kind, factory, description, params, replace))]
pub fn register_policy(
    py: Python<'_>,
    name: String,
    kind: &str,
    factory: Py<PyAny>,
    description: String,
    params: Vec<ParamDecl>,
    replace: bool,
) -> PyResult<()> {
    let kind = kind_of(py, kind)?;
    let specs = params
        .into_iter()
        .map(|d| param_spec(py, d))
        .collect::<PyResult<Vec<_>>>()?;
    let build = {
        let name = name.clone();
        move |cx: &Context| -> Result<PyPolicy, String> {
            Python::attach(|py| {
                let kwargs = PyDict::new(py);
                for (key, value) in cx.params.iter() {
                    kwargs
                        .set_item(key, value_to_py(py, value).map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?;
                }
                let object = factory
                    .bind(py)
                    .call((), Some(&kwargs))
                    .map_err(|e| format!("building it raised {}", describe(py, &e)))?;
                let m = method(kind);
                if !object.hasattr(m).unwrap_or(false) {
                    return Err(format!("the object its factory built has no {m}() method"));
                }
                Ok(PyPolicy {
                    name: name.clone(),
                    object: object.unbind(),
                })
            })
        }
    };
    let mut ext = match kind {
        Kind::Placement => Extension::placement(&name, &description, build),
        Kind::Reallocation => Extension::reallocation(&name, &description, build),
        Kind::Admission => Extension::admission(&name, &description, build),
        Kind::Elasticity => Extension::elasticity(&name, &description, build),
    };
    for spec in specs {
        ext = ext.param(spec);
    }
    if replace {
        extension::unregister(kind, &name);
    }
    extension::register(ext).map_err(|e| argument_error(py, e))
}

/// Removes the Python (or other extension) policy `name` of `kind`; whether there was one.
#[pyfunction]
pub fn unregister_policy(py: Python<'_>, name: &str, kind: &str) -> PyResult<bool> {
    Ok(extension::unregister(kind_of(py, kind)?, name))
}

/// The registered extension policies of `kind`, by name.
#[pyfunction]
pub fn registered_policies(py: Python<'_>, kind: &str) -> PyResult<Vec<String>> {
    Ok(extension::registered(kind_of(py, kind)?)
        .iter()
        .map(|e| e.name().to_string())
        .collect())
}
