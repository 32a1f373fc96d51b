//! Result tables as polars data frames: every table through the serialisation its file uses
//! (the declared CSV columns), typed by its declared schema — never inferred — so a frame
//! equals what `orrery run --out` writes to `NAME.parquet`, nulls and empty strings included.

use orrery_engine::metrics::RunResult;
use std::str::FromStr;

use orrery_engine::tables::{csv_text, Kind, Schema, Table};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;

/// The polars data type of a column kind.
fn dtype<'py>(pl: &Bound<'py, PyModule>, kind: Kind) -> PyResult<Bound<'py, PyAny>> {
    pl.getattr(match kind {
        Kind::U64 => "UInt64",
        Kind::I64 => "Int64",
        Kind::F64 => "Float64",
        Kind::Bool => "Boolean",
        Kind::Str => "String",
    })
}

/// One cell as a Python value: empty cells of nullable columns are `None`, of text columns the
/// empty string (as the files read back).
fn cell<'py>(
    py: Python<'py>,
    text: &str,
    kind: Kind,
    nullable: bool,
) -> Result<Bound<'py, PyAny>, String> {
    if text.is_empty() && (nullable || kind != Kind::Str) {
        return Ok(py.None().into_bound(py));
    }
    match kind {
        Kind::U64 => parsed::<u64>(py, text),
        Kind::I64 => parsed::<i64>(py, text),
        Kind::F64 => parsed::<f64>(py, text),
        Kind::Bool => parsed::<bool>(py, text),
        Kind::Str => parsed::<String>(py, text),
    }
    .map_err(|e| format!("cell `{text}` is not a {kind:?}: {e}"))
}

/// `text` parsed as a `T`, as a Python value.
fn parsed<'py, T>(py: Python<'py>, text: &str) -> Result<Bound<'py, PyAny>, String>
where
    T: FromStr + IntoPyObject<'py>,
    T::Err: std::fmt::Display,
{
    let value = text.parse::<T>().map_err(|e| e.to_string())?;
    value.into_bound_py_any(py).map_err(|e| e.to_string())
}

/// The rows of table `T` as a polars `DataFrame` with `T`'s declared columns and types.
pub fn frame<'py, T: Table>(py: Python<'py>, rows: &[T]) -> PyResult<Bound<'py, PyAny>> {
    table(py, &T::schema(), &csv_text(rows))
}

/// The table `schema` declares, whose CSV text is `csv`, as a polars `DataFrame` typed by
/// the schema.
fn table<'py>(py: Python<'py>, schema: &Schema, csv: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let pl = py.import("polars")?;
    let columns = &schema.columns;
    let mut values: Vec<Vec<Bound<'py, PyAny>>> = columns.iter().map(|_| Vec::new()).collect();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let fail = |e: String| crate::errors::run_error(py, format!("table {}: {e}", schema.table));
    for record in reader.records() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        for (i, c) in columns.iter().enumerate() {
            let text = record.get(i).unwrap_or_default();
            values[i].push(cell(py, text, c.kind, c.nullable).map_err(fail)?);
        }
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("strict", true)?;
    let series = columns
        .iter()
        .zip(values)
        .map(|(c, values)| {
            kwargs.set_item("dtype", dtype(&pl, c.kind)?)?;
            pl.getattr("Series")?
                .call((c.name.as_str(), PyList::new(py, values)?), Some(&kwargs))
        })
        .collect::<PyResult<Vec<_>>>()?;
    pl.getattr("DataFrame")?.call1((PyList::new(py, series)?,))
}

/// `summary` serialised as `summary.json` holds it, read back as a Python dict.
pub fn json<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let text =
        serde_json::to_string(value).map_err(|e| crate::errors::run_error(py, e.to_string()))?;
    py.import("json")?.getattr("loads")?.call1((text,))
}

/// A run's summary and tables, as `orrery run --out` writes them: `(summary, {name: frame})`
/// with the tables in file order (see [`RunResult::for_each_table`]).
pub fn run<'py>(py: Python<'py>, run: &RunResult) -> PyResult<Bound<'py, PyAny>> {
    let tables = PyDict::new(py);
    run.for_each_table(|schema, csv| tables.set_item(&schema.table, table(py, schema, csv)?))?;
    Ok((json(py, &run.summary)?, tables)
        .into_pyobject(py)?
        .into_any())
}

/// A federation's summary, its tables (`intervals`, `events`, and `calls` when there are
/// any) and each private site's run, as `(summary, {name: frame}, {site: (summary, tables)})`.
pub fn federation<'py>(
    py: Python<'py>,
    outcome: &orrery_federation::Outcome,
) -> PyResult<Bound<'py, PyAny>> {
    let tables = PyDict::new(py);
    tables.set_item("intervals", frame(py, &outcome.intervals)?)?;
    tables.set_item("events", frame(py, &outcome.events)?)?;
    if !outcome.calls.is_empty() {
        tables.set_item("calls", frame(py, &outcome.calls)?)?;
    }
    let sites = PyDict::new(py);
    for (name, result) in &outcome.sites {
        sites.set_item(name, run(py, result)?)?;
    }
    Ok((json(py, &outcome.summary)?, tables, sites)
        .into_pyobject(py)?
        .into_any())
}
