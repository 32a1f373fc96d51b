//! Loading scenarios from Python: a path, TOML text or a dict, with `--set` overrides.

use std::path::{Path, PathBuf};

use orrery_engine::scenario::Scenario;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::errors::{argument_error, input_error};

/// A loaded, validated scenario (its overrides applied).
#[pyclass(frozen, module = "orrery._orrery", name = "Scenario")]
pub struct PyScenario {
    /// The scenario.
    pub scenario: Scenario,
}

#[pymethods]
impl PyScenario {
    /// Its name (the file's stem when it gives none).
    #[getter]
    fn name(&self) -> String {
        self.scenario.name.clone()
    }

    /// Its seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.scenario.spec.seed
    }

    /// The file it came from (`<string>`, `<dict>` or `<embedded default>` otherwise).
    #[getter]
    fn file(&self) -> PathBuf {
        self.scenario.file().to_path_buf()
    }

    /// The directory relative paths in it resolve against.
    #[getter]
    fn base_dir(&self) -> PathBuf {
        self.scenario.base_dir().to_path_buf()
    }

    /// Its text as written (before overrides).
    #[getter]
    fn text(&self) -> String {
        self.scenario.source.text().to_string()
    }

    /// Its `--set` overrides.
    #[getter]
    fn overrides(&self) -> Vec<String> {
        self.scenario.source.sets().to_vec()
    }

    /// Whether it has a `[sweep]` grid.
    #[getter]
    fn has_sweep(&self) -> bool {
        orrery_engine::scenario::sweep::Grid::of(&self.scenario)
            .map(|g| g.is_some())
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "<orrery.Scenario {:?} from {} (seed {})>",
            self.scenario.name,
            self.scenario.file().display(),
            self.scenario.spec.seed
        )
    }
}

/// How deeply dicts and lists may nest in a value written as TOML (a dict that contains
/// itself would otherwise recurse until the stack overflows).
const MAX_DEPTH: usize = 64;

/// A Python value as TOML (`at` names it in errors).
pub fn toml_value(value: &Bound<'_, PyAny>, at: &str) -> Result<toml::Value, String> {
    nested(value, at, 0)
}

/// [`toml_value`] of a value `depth` dicts and lists deep.
fn nested(value: &Bound<'_, PyAny>, at: &str, depth: usize) -> Result<toml::Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "`{at}`: nested more than {MAX_DEPTH} deep (does a dict or list contain itself?)"
        ));
    }
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(
            value.extract().map_err(|e: PyErr| e.to_string())?,
        ));
    }
    if value.is_instance_of::<PyInt>() {
        return value
            .extract::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("`{at}`: {value} does not fit in a TOML integer (64-bit)"));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(
            value.extract().map_err(|e: PyErr| e.to_string())?,
        ));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_string()));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| format!("`{at}`: key {k} is not a string"))?;
            let inner = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            table.insert(key, nested(&v, &inner, depth + 1)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()
            .map_err(|e| e.to_string())?
            .enumerate()
            .map(|(i, item)| {
                let item = item.map_err(|e| e.to_string())?;
                nested(&item, &format!("{at}[{i}]"), depth + 1)
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(toml::Value::Array(items));
    }
    if value.hasattr("__fspath__").unwrap_or(false) {
        let path: PathBuf = value.extract().map_err(|e: PyErr| e.to_string())?;
        return Ok(toml::Value::String(path.display().to_string()));
    }
    Err(format!(
        "`{at}`: a {} cannot be written in TOML (use str, int, float, bool, list or dict)",
        value
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    ))
}

/// `set=` as `--set KEY=VALUE` strings: `None`, one string, a list of strings, or a dict
/// whose values are written as on the command line (a string as is, anything else as TOML).
pub fn sets(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_string()]);
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut out = Vec::new();
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| argument_error(py, format!("set=: key {k} is not a string")))?;
            let text = match v.cast::<PyString>() {
                Ok(s) => s.to_string(),
                Err(_) => toml_value(&v, &key)
                    .map_err(|e| argument_error(py, format!("set=: {e}")))?
                    .to_string(),
            };
            out.push(format!("{key}={text}"));
        }
        return Ok(out);
    }
    value
        .try_iter()
        .and_then(|items| items.map(|i| i?.extract::<String>()).collect())
        .map_err(|_| {
            argument_error(
                py,
                "set= takes a dict {key: value}, a list of \"key=value\" strings or one string",
            )
        })
}

/// Loads a scenario. `kind` is `default` (the embedded default), `path` (`value` is a path),
/// `text` (`value` is TOML text) or `dict` (`value` is a dict written as TOML); text and dicts
/// resolve relative paths against `base_dir` (the working directory when `None`).
pub fn load(
    py: Python<'_>,
    kind: &str,
    value: &Bound<'_, PyAny>,
    sets: Vec<String>,
    base_dir: Option<PathBuf>,
) -> PyResult<Scenario> {
    let base = match base_dir {
        Some(b) => b,
        None => std::env::current_dir()
            .map_err(|e| argument_error(py, format!("no working directory: {e}")))?,
    };
    let result = match kind {
        "default" => orrery::load_scenario(None, &sets),
        "path" => {
            let path: PathBuf = value.extract()?;
            Scenario::load(&path, &sets)
        }
        "text" => {
            let text: String = value.extract()?;
            Scenario::parse(&text, Path::new("<string>"), &base, &sets)
        }
        "dict" => {
            let table = match toml_value(value, "")
                .map_err(|e| argument_error(py, format!("scenario dict: {e}")))?
            {
                toml::Value::Table(t) => t,
                _ => return Err(argument_error(py, "the scenario dict must be a dict")),
            };
            let text = toml::to_string(&table).map_err(|e| {
                argument_error(
                    py,
                    format!("the scenario dict cannot be written as TOML: {e}"),
                )
            })?;
            Scenario::parse(&text, Path::new("<dict>"), &base, &sets)
        }
        other => {
            return Err(argument_error(
                py,
                format!("unknown scenario source `{other}`"),
            ))
        }
    };
    result.map_err(|e| input_error(py, &e))
}

/// Loads a scenario (see [`load`]) as an `orrery.Scenario`.
#[pyfunction]
#[pyo3(signature = (kind, value, sets, base_dir = None))]
pub fn load_scenario(
    py: Python<'_>,
    kind: &str,
    value: &Bound<'_, PyAny>,
    sets: Option<&Bound<'_, PyAny>>,
    base_dir: Option<PathBuf>,
) -> PyResult<PyScenario> {
    let sets = self::sets(py, sets)?;
    Ok(PyScenario {
        scenario: load(py, kind, value, sets, base_dir)?,
    })
}
