//! `orrery report DIR`: the plots of a run or a sweep as PNG and SVG, and one self-contained
//! HTML page with the plots and tables, in `DIR/report/`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::comparison::{html_table, Row};
use crate::dirs::{
    first_replicas, read_json, ResultDir, SweepManifest, INTERVALS_CSV, SUMMARY_JSON,
    TEMPERATURES_CSV,
};
use crate::error::ReportError;
use crate::figures::{bar_figures, Lines};
use crate::html::{frame_table, Page};
use crate::plots::heatmap::HeatMap;
use crate::plots::{save, Figure};
use crate::series::{read_heat_grid, read_intervals};
use crate::tables::SweepTables;
use crate::values::{json_text, short_number};

/// The folder of the report inside a result directory.
pub const REPORT_DIR: &str = "report";
/// The report page.
pub const INDEX_HTML: &str = "index.html";
/// A sweep report draws the time series of at most this many points.
pub const MAX_LINES: usize = 10;

/// Renders the report of a run directory or a sweep directory: `DIR/report/*.png`, `*.svg` and
/// `index.html`; for a sweep also `results.parquet`, `aggregate.csv` and `aggregate.parquet`
/// (see [`crate::finish_sweep`]). Returns the path of `index.html`.
pub fn render_report(dir: &Path) -> Result<PathBuf, ReportError> {
    let kind = ResultDir::open(dir)?;
    let out = dir.join(REPORT_DIR);
    fs::create_dir_all(&out).map_err(|e| ReportError::output(&out, e))?;
    let html = match kind {
        ResultDir::Run(d) => run_page(&d, &out)?,
        ResultDir::Sweep(d, _) => sweep_page(&d, &out)?,
    };
    let index = out.join(INDEX_HTML);
    fs::write(&index, html).map_err(|e| ReportError::output(&index, e))?;
    Ok(index)
}

/// Saves `figure` as `out/NAME.png` and `.svg` and embeds the PNG in `page`.
fn add_plot(
    page: &mut Page,
    out: &Path,
    name: &str,
    figure: &impl Figure,
    caption: &str,
) -> Result<(), ReportError> {
    let saved = save(figure, out, name)?;
    let png = fs::read(&saved.png).map_err(|e| ReportError::output(&saved.png, e))?;
    page.image(&png, &format!("{caption} ({name}.png, {name}.svg)"));
    Ok(())
}

/// A summary value for the page: null as "-", fractions to about four significant digits.
fn metric_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::Number(n) if n.is_f64() => {
            n.as_f64().map_or_else(String::new, short_number)
        }
        other => json_text(other),
    }
}

/// The report page of a single run.
fn run_page(dir: &Path, out: &Path) -> Result<String, ReportError> {
    let summary: serde_json::Value = read_json(
        &dir.join(SUMMARY_JSON),
        "run the scenario again with `orrery run --out`",
    )?;
    let row = Row::from_summary_json(&summary);
    let name = row.label.clone();
    let seed = summary.get("seed").map_or_else(String::new, json_text);
    let title = format!("orrery report: {name}");
    let mut page = Page::new(
        &title,
        &format!("A single run of scenario {name}, seed {seed}."),
    );
    page.heading("Summary");
    page.table(&html_table(std::slice::from_ref(&row)));
    page.heading("Every metric (summary.json)");
    let mut all = String::from("<table>\n");
    for (k, v) in summary.as_object().into_iter().flatten() {
        all.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            crate::html::escape(k),
            crate::html::escape(&metric_text(v))
        ));
    }
    all.push_str("</table>\n");
    page.table(&all);
    page.heading("Plots");
    let intervals = read_intervals(&dir.join(INTERVALS_CSV))?;
    for (file, caption, figure) in Lines::Run(&intervals).figures(&name, "") {
        add_plot(&mut page, out, file, &figure, &caption)?;
    }
    let temperatures = dir.join(TEMPERATURES_CSV);
    if temperatures.is_file() {
        let map = HeatMap {
            title: format!("{name}: host temperatures"),
            grid: read_heat_grid(&temperatures)?,
        };
        add_plot(
            &mut page,
            out,
            "temperatures",
            &map,
            "Host temperatures over time",
        )?;
    }
    Ok(page.finish(&title))
}

/// The report page of a sweep; also writes its Parquet and aggregate tables.
fn sweep_page(dir: &Path, out: &Path) -> Result<String, ReportError> {
    let mut tables = SweepTables::load(dir)?;
    tables.write(dir)?;
    let m: &SweepManifest = &tables.manifest;
    let rows = Row::from_aggregate(&m.scenario, &m.keys, &tables.aggregate);
    let title = format!("orrery report: sweep of {}", m.scenario);
    let swept = if m.keys.is_empty() {
        "no swept keys".to_string()
    } else {
        format!("swept keys {}", m.keys.join(", "))
    };
    let intro = format!(
        "{} points × {} replicas of scenario {} ({swept}); {} runs in results.csv.",
        m.points,
        m.replicas,
        m.scenario,
        tables.results.height()
    );
    let mut page = Page::new(&title, &intro);
    page.heading("Points (mean ± 95 % confidence half-width over replicas)");
    page.table(&html_table(&rows));
    page.heading("Comparison");
    for (key, caption, figure) in bar_figures(&m.scenario, &rows) {
        add_plot(&mut page, out, &format!("bars-{key}"), &figure, &caption)?;
    }
    page.heading("Time series (replica 0 of each point)");
    let first = first_replicas(dir, &tables.results, &m.keys)?;
    let shown = first.len().min(MAX_LINES);
    let note = if first.len() > shown {
        format!(", first {shown} of {} points", first.len())
    } else {
        String::new()
    };
    let mut points = Vec::with_capacity(shown);
    for (info, folder) in &first[..shown] {
        points.push((
            info.label(&m.keys),
            read_intervals(&folder.join(INTERVALS_CSV))?,
        ));
    }
    if points.is_empty() {
        page.paragraph("No finished runs under runs/: the time series need them.");
    } else {
        for (file, caption, figure) in Lines::Points(&points).figures(&m.scenario, &note) {
            add_plot(&mut page, out, file, &figure, &caption)?;
        }
    }
    let thermal = first
        .iter()
        .find(|(_, f)| f.join(TEMPERATURES_CSV).is_file());
    if let Some((info, folder)) = thermal {
        let label = info.label(&m.keys);
        let map = HeatMap {
            title: format!("{}: host temperatures, {label}", m.scenario),
            grid: read_heat_grid(&folder.join(TEMPERATURES_CSV))?,
        };
        let caption = format!("Host temperatures over time of the first point with a thermal model ({label}, replica {})", info.replica);
        add_plot(&mut page, out, "temperatures", &map, &caption)?;
    }
    page.heading("Aggregate over replicas (aggregate.csv)");
    page.paragraph("Per metric M: M_mean, M_sd (sample standard deviation) and M_ci95, the half-width h of the 95 % confidence interval mean ± h (Student t, n − 1 degrees of freedom; empty below two replicas).");
    page.table(&frame_table(&tables.aggregate));
    Ok(page.finish(&title))
}
