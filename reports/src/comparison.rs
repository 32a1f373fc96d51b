//! Runs and sweep points side by side. One column list serves the Markdown table of
//! `orrery compare`, its CSV form, the HTML report and the comparison bars.

use std::collections::BTreeMap;
use std::path::PathBuf;

use orrery_engine::metrics::Summary;
use polars::prelude::DataFrame;

use crate::aggregate::{CI95, MEAN};
use crate::dirs::{point_label, read_json, ResultDir, SUMMARY_JSON};
use crate::error::ReportError;
use crate::tables::SweepTables;
use crate::values::any_value_text;

/// How a metric is shown: as stored, as a percentage of a ratio, or seconds as hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// As stored.
    Plain,
    /// A ratio shown in per cent.
    Percent,
    /// Seconds shown in hours.
    Hours,
    /// Grams shown in kilograms.
    Kilo,
}

impl Unit {
    /// `x` in this unit.
    pub fn show(self, x: f64) -> f64 {
        match self {
            Unit::Plain => x,
            Unit::Percent => 100.0 * x,
            Unit::Hours => x / 3600.0,
            Unit::Kilo => x / 1000.0,
        }
    }
}

/// A summary metric in a table: its `Summary` field, unit and decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The field of `Summary` (and column of `results.csv`).
    pub key: &'static str,
    /// How it is shown.
    pub unit: Unit,
    /// Decimals shown.
    pub decimals: usize,
}

/// What one table column shows: one metric, or two as "a / b".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cells {
    One(Metric),
    Pair(Metric, Metric),
}

/// A table column: its header and cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Column {
    header: &'static str,
    cells: Cells,
}

const fn metric(key: &'static str, unit: Unit, decimals: usize) -> Metric {
    Metric {
        key,
        unit,
        decimals,
    }
}

const fn one(header: &'static str, key: &'static str, unit: Unit, decimals: usize) -> Column {
    Column {
        header,
        cells: Cells::One(metric(key, unit, decimals)),
    }
}

/// Header of the label column.
const LABEL_HEADER: &str = "scenario";

/// The compared metrics, in table order.
const COLUMNS: [Column; 10] = [
    one("energy (kWh)", "energy_kwh", Unit::Plain, 1),
    one("cooling (kWh)", "cooling_energy_kwh", Unit::Plain, 1),
    one(
        "energy incl. cooling (kWh)",
        "total_energy_kwh",
        Unit::Plain,
        1,
    ),
    one("emissions (kgCO2)", "emissions_g", Unit::Kilo, 1),
    one("mean active hosts", "mean_active_hosts", Unit::Plain, 1),
    one("CPU shortfall (%)", "cpu_shortfall_ratio", Unit::Percent, 4),
    one("migrations", "vm_migrations", Unit::Plain, 0),
    one(
        "max temperature (°C)",
        "max_host_temperature_c",
        Unit::Plain,
        1,
    ),
    one(
        "above red line (host-h)",
        "time_above_redline_s",
        Unit::Hours,
        2,
    ),
    Column {
        header: "pending / rejected VMs",
        cells: Cells::Pair(
            metric("vms_pending", Unit::Plain, 0),
            metric("vms_rejected", Unit::Plain, 0),
        ),
    },
];

/// The header and metric of the single-metric column for `key`, if the table has one.
pub fn column_metric(key: &str) -> Option<(&'static str, Metric)> {
    COLUMNS.iter().find_map(|c| match c.cells {
        Cells::One(m) if m.key == key => Some((c.header, m)),
        _ => None,
    })
}

/// A value: a run's own, or a point's mean over its replicas with the half-width of the 95 %
/// confidence interval (none below two replicas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// The value or mean.
    pub mean: f64,
    /// Half-width of the 95 % confidence interval of the mean.
    pub ci95: Option<f64>,
}

/// One table row: a run or a sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The run's scenario, or the sweep's scenario and the point's swept values.
    pub label: String,
    /// A sweep point's label alone (its swept values); none for a run.
    pub point: Option<String>,
    /// Values by metric key; a missing key (a metric without a value) shows as "-".
    pub values: BTreeMap<String, Stat>,
    /// Whether the values are means over replicas.
    pub aggregated: bool,
}

impl Row {
    /// A run's row from its summary as JSON (`summary.json`).
    pub(crate) fn from_summary_json(summary: &serde_json::Value) -> Row {
        let label = summary
            .get("scenario")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let values = summary
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let mean = v.as_f64()?;
                Some((k.clone(), Stat { mean, ci95: None }))
            })
            .collect();
        Row {
            label,
            point: None,
            values,
            aggregated: false,
        }
    }

    /// A run's row from its summary.
    pub fn from_summary(summary: &Summary) -> Row {
        // A `Summary` is numbers and strings: it always serialises.
        Row::from_summary_json(&serde_json::to_value(summary).unwrap_or_default())
    }

    /// One row per point of a sweep's aggregate (see [`crate::aggregate::aggregate`]),
    /// labelled "scenario (swept values)".
    pub fn from_aggregate(scenario: &str, keys: &[String], aggregate: &DataFrame) -> Vec<Row> {
        let metrics: Vec<&str> = aggregate
            .columns()
            .iter()
            .filter_map(|c| c.name().strip_suffix(MEAN))
            .collect();
        (0..aggregate.height())
            .map(|i| {
                let number = |name: &str| {
                    aggregate
                        .column(name)
                        .ok()
                        .and_then(|c| c.get(i).ok())
                        .and_then(|v| v.extract::<f64>())
                };
                let point = number("point").unwrap_or_default() as usize;
                let swept: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        aggregate
                            .column(k)
                            .ok()
                            .and_then(|c| c.get(i).ok())
                            .map_or_else(String::new, |v| any_value_text(&v))
                    })
                    .collect();
                let values = metrics
                    .iter()
                    .filter_map(|m| {
                        let mean = number(&format!("{m}{MEAN}"))?;
                        let ci95 = number(&format!("{m}{CI95}"));
                        Some((m.to_string(), Stat { mean, ci95 }))
                    })
                    .collect();
                let point = point_label(point, keys, &swept);
                Row {
                    label: format!("{scenario} ({point})"),
                    point: Some(point),
                    values,
                    aggregated: true,
                }
            })
            .collect()
    }

    /// The shown text of `m`: "-" when missing, "mean ± half-width" for a mean with an interval.
    fn cell(&self, m: Metric) -> String {
        let Some(s) = self.values.get(m.key) else {
            return "-".to_string();
        };
        // Means of counts get a decimal.
        let d = if self.aggregated {
            m.decimals.max(1)
        } else {
            m.decimals
        };
        match s.ci95 {
            Some(h) => format!("{:.d$} ± {:.d$}", m.unit.show(s.mean), m.unit.show(h)),
            None => format!("{:.d$}", m.unit.show(s.mean)),
        }
    }

    /// The row's shown cells, label first, in column order.
    fn cells(&self) -> Vec<String> {
        std::iter::once(self.label.clone())
            .chain(COLUMNS.iter().map(|c| match c.cells {
                Cells::One(m) => self.cell(m),
                Cells::Pair(a, b) => format!("{} / {}", self.cell(a), self.cell(b)),
            }))
            .collect()
    }
}

/// Output format of [`compare_dirs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Markdown table, shown values (as [`comparison_table`]).
    Markdown,
    /// CSV with raw values: `name`, then per metric its value (or mean) and `_ci95` half-width.
    Csv,
    /// A JSON array of one object per row with the CSV's columns: `name`, then per metric its
    /// raw value (or mean) and `_ci95` half-width, `null` where the CSV cell is empty.
    Json,
}

/// Rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = format!("| {LABEL_HEADER} |");
    for c in &COLUMNS {
        out.push_str(&format!(" {} |", c.header));
    }
    out.push_str("\n| --- |");
    out.push_str(&" ---: |".repeat(COLUMNS.len()));
    out.push('\n');
    for row in rows {
        out.push_str(&format!("| {} |\n", row.cells().join(" | ")));
    }
    out
}

/// Rows as an HTML table (cells escaped).
pub fn html_table(rows: &[Row]) -> String {
    let mut out = format!("<table>\n<tr><th>{LABEL_HEADER}</th>");
    for c in &COLUMNS {
        out.push_str(&format!("<th>{}</th>", crate::html::escape(c.header)));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.cells().iter().enumerate() {
            let tag = if i == 0 { "th" } else { "td" };
            out.push_str(&format!("<{tag}>{}</{tag}>", crate::html::escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// Every metric of the table, in column order (a pair column gives two).
fn raw_metrics() -> Vec<Metric> {
    COLUMNS
        .iter()
        .flat_map(|c| match c.cells {
            Cells::One(m) => vec![m],
            Cells::Pair(a, b) => vec![a, b],
        })
        .collect()
}

/// A JSON object whose keys keep the order they were pushed in (the CSV's column order).
struct Ordered(Vec<(String, serde_json::Value)>);

impl serde::Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Rows as a pretty JSON array with raw (unscaled) values: the CSV's columns in its order, one
/// object per row; a missing or non-finite value is `null`.
fn json_text(rows: &[Row]) -> String {
    let metrics = raw_metrics();
    let objects: Vec<Ordered> = rows
        .iter()
        .map(|row| {
            let mut object = vec![("name".to_string(), row.label.clone().into())];
            for m in &metrics {
                let s = row.values.get(m.key);
                object.push((m.key.to_string(), s.map(|s| s.mean).into()));
                let ci = s.and_then(|s| s.ci95);
                object.push((format!("{}{CI95}", m.key), ci.into()));
            }
            Ordered(object)
        })
        .collect();
    // Strings and numbers always serialise.
    serde_json::to_string_pretty(&objects).unwrap_or_default() + "\n"
}

/// Rows as CSV with raw (unscaled) values.
fn csv_text(rows: &[Row]) -> String {
    let metrics = raw_metrics();
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = std::iter::once("name".to_string()).chain(
        metrics
            .iter()
            .flat_map(|m| [m.key.to_string(), format!("{}{CI95}", m.key)]),
    );
    let mut records = vec![header.collect::<Vec<_>>()];
    for row in rows {
        let mut record = vec![row.label.clone()];
        for m in &metrics {
            let s = row.values.get(m.key);
            record.push(s.map_or_else(String::new, |s| s.mean.to_string()));
            let ci = s.and_then(|s| s.ci95);
            record.push(ci.map_or_else(String::new, |h| h.to_string()));
        }
        records.push(record);
    }
    for r in &records {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Runs side by side as a Markdown table: energy with cooling, active hosts, SLA shortfall,
/// migrations and the thermal figures, one row per run.
pub fn comparison_table(runs: &[Summary]) -> String {
    markdown(&runs.iter().map(Row::from_summary).collect::<Vec<_>>())
}

/// The rows of a result directory: one for a run directory (its `summary.json`), one per
/// point for a sweep directory (means ± 95 % CI half-widths over its replicas). A federation
/// directory is refused: its figures are per site and per call, not one datacenter's, so they
/// have no row in this table (`orrery report DIR` draws them; `orrery federate compare`
/// compares federation scenarios).
pub fn dir_rows(dir: &std::path::Path) -> Result<Vec<Row>, ReportError> {
    match ResultDir::open(dir)? {
        ResultDir::Run(d) => {
            let summary: serde_json::Value = read_json(
                &d.join(SUMMARY_JSON),
                "run the scenario again with `orrery run --out`",
            )?;
            Ok(vec![Row::from_summary_json(&summary)])
        }
        ResultDir::Sweep(d, _) => {
            let t = SweepTables::load(&d)?;
            Ok(Row::from_aggregate(
                &t.manifest.scenario,
                &t.manifest.keys,
                &t.aggregate,
            ))
        }
        ResultDir::Federation(d) => Err(ReportError::input(
            &d,
            "holds a federation's results, which have no row in this comparison of \
             datacenter runs (energy, hosts, SLA shortfall, … of one datacenter)",
            "draw its per-site figures with `orrery report DIR`, or compare federation \
             scenarios with `orrery federate compare FILE...`",
        )),
    }
}

/// Rows as a table in `format`.
pub fn render(rows: &[Row], format: Format) -> String {
    match format {
        Format::Markdown => markdown(rows),
        Format::Csv => csv_text(rows),
        Format::Json => json_text(rows),
    }
}

/// Compares result directories (runs and sweeps, in the order given) as a table in `format`.
pub fn compare_dirs(dirs: &[PathBuf], format: Format) -> Result<String, ReportError> {
    let mut rows = Vec::new();
    for dir in dirs {
        rows.extend(dir_rows(dir)?);
    }
    Ok(render(&rows, format))
}
