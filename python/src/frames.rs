//! Result tables as polars data frames: every table through the serialisation its file uses
//! (the declared CSV columns), typed by its declared schema — never inferred — so a frame
//! equals what `orrery run --out` writes to `NAME.parquet`, nulls and empty strings included.

use orrery_engine::metrics::RunResult;
use orrery_engine::tables::{write_csv, Kind, Table};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

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
    let bad = |e: &dyn std::fmt::Display| format!("cell `{text}` is not a {kind:?}: {e}");
    Ok(match kind {
        Kind::U64 => text
            .parse::<u64>()
            .map_err(|e| bad(&e))?
            .into_pyobject(py)
            .map_err(|e| bad(&e))?
            .into_any(),
        Kind::I64 => text
            .parse::<i64>()
            .map_err(|e| bad(&e))?
            .into_pyobject(py)
            .map_err(|e| bad(&e))?
            .into_any(),
        Kind::F64 => text
            .parse::<f64>()
            .map_err(|e| bad(&e))?
            .into_pyobject(py)
            .map_err(|e| bad(&e))?
            .into_any(),
        Kind::Bool => text
            .parse::<bool>()
            .map_err(|e| bad(&e))?
            .into_pyobject(py)
            .map_err(|e| bad(&e))?
            .to_owned()
            .into_any(),
        Kind::Str => text.into_pyobject(py).map_err(|e| bad(&e))?.into_any(),
    })
}

/// The rows of table `T` as a polars `DataFrame` with `T`'s declared columns and types.
pub fn frame<'py, T: Table>(py: Python<'py>, rows: &[T]) -> PyResult<Bound<'py, PyAny>> {
    let mut csv = Vec::new();
    write_csv(&mut csv, rows).map_err(|e| crate::errors::run_error(py, e.to_string()))?;
    let pl = py.import("polars")?;
    let columns = T::COLUMNS;
    let mut values: Vec<Vec<Bound<'py, PyAny>>> = columns
        .iter()
        .map(|_| Vec::with_capacity(rows.len()))
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.as_slice());
    let fail = |e: String| crate::errors::run_error(py, format!("table {}: {e}", T::NAME));
    for record in reader.records() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        for (i, &(_, kind, nullable, _)) in columns.iter().enumerate() {
            let text = record.get(i).unwrap_or_default();
            values[i].push(cell(py, text, kind, nullable).map_err(fail)?);
        }
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("strict", true)?;
    let series = columns
        .iter()
        .zip(values)
        .map(|(&(name, kind, _, _), values)| {
            kwargs.set_item("dtype", dtype(&pl, kind)?)?;
            pl.getattr("Series")?
                .call((name, PyList::new(py, values)?), Some(&kwargs))
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
/// with the tables in file order, `services`/`roles` and `temperatures` only when the run has
/// them (see `orrery_reports::write_run`).
pub fn run<'py>(py: Python<'py>, run: &RunResult) -> PyResult<Bound<'py, PyAny>> {
    let tables = PyDict::new(py);
    tables.set_item("intervals", frame(py, &run.intervals)?)?;
    tables.set_item("events", frame(py, &run.events)?)?;
    tables.set_item("usage", frame(py, &run.usage)?)?;
    tables.set_item("usage_totals", frame(py, &run.usage_totals)?)?;
    tables.set_item("billing", frame(py, &run.billing)?)?;
    tables.set_item("billing_totals", frame(py, &run.billing_totals)?)?;
    tables.set_item("audit", frame(py, &run.audit)?)?;
    tables.set_item("migrations", frame(py, &run.migrations)?)?;
    if !run.services.is_empty() {
        tables.set_item("services", frame(py, &run.services)?)?;
        tables.set_item("roles", frame(py, &run.roles)?)?;
    }
    if !run.temperatures.is_empty() {
        tables.set_item("temperatures", frame(py, &run.temperatures)?)?;
    }
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
