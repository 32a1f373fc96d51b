//! `orrery report DIR`: the plots of a run or a sweep as PNG and SVG, and one self-contained
//! HTML page with the plots and tables, in `DIR/report/`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::comparison::{column_metric, html_table, Row, Stat};
use crate::dirs::{
    first_replicas, read_json, ResultDir, SweepManifest, INTERVALS_CSV, SUMMARY_JSON,
    TEMPERATURES_CSV,
};
use crate::error::ReportError;
use crate::html::{frame_table, Page};
use crate::plots::bars::{Bar, BarFigure};
use crate::plots::heatmap::HeatMap;
use crate::plots::lines::{LineFigure, Panel};
use crate::plots::{save, Figure};
use crate::series::{read_heat_grid, read_intervals, Interval};
use crate::tables::SweepTables;
use crate::values::{json_text, short_number};

/// The folder of the report inside a result directory.
pub const REPORT_DIR: &str = "report";
/// The report page.
pub const INDEX_HTML: &str = "index.html";
/// A sweep report draws the time series of at most this many points.
pub const MAX_LINES: usize = 10;
/// The metrics compared across a sweep's points in bar plots (when they have values).
pub const BAR_METRICS: [&str; 5] = [
    "total_energy_kwh",
    "mean_active_hosts",
    "cpu_shortfall_ratio",
    "vm_migrations",
    "max_host_temperature_c",
];

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

/// The time series to draw: a run's own components, or one line per sweep point.
enum Lines<'a> {
    Run(&'a [Interval]),
    Points(&'a [(String, Vec<Interval>)]),
}

impl Lines<'_> {
    /// One line per run of `f` against time in hours.
    fn each(&self, f: impl Fn(&Interval) -> f64) -> Vec<Vec<(f64, f64)>> {
        let line = |iv: &[Interval]| iv.iter().map(|r| (r.time_s / 3600.0, f(r))).collect();
        match self {
            Lines::Run(iv) => vec![line(iv)],
            Lines::Points(points) => points.iter().map(|(_, iv)| line(iv)).collect(),
        }
    }

    fn legend(&self) -> Vec<String> {
        match self {
            Lines::Run(_) => Vec::new(),
            Lines::Points(points) => points.iter().map(|(l, _)| l.clone()).collect(),
        }
    }

    /// Power and energy: a run's hosts, cooling and their sum; each point's sum.
    fn power_energy(&self, title: String) -> LineFigure {
        let total_power = |r: &Interval| (r.power_w + r.cooling_power_w) / 1000.0;
        let total_energy = |r: &Interval| r.energy_kwh + r.cooling_energy_kwh;
        match self {
            Lines::Run(iv) if iv.iter().any(|r| r.cooling_power_w > 0.0) => LineFigure {
                title,
                legend: vec!["hosts".into(), "cooling".into(), "hosts + cooling".into()],
                panels: vec![
                    Panel {
                        y_label: "power (kW)".into(),
                        series: [
                            self.each(|r| r.power_w / 1000.0),
                            self.each(|r| r.cooling_power_w / 1000.0),
                            self.each(total_power),
                        ]
                        .concat(),
                    },
                    Panel {
                        y_label: "energy so far (kWh)".into(),
                        series: [
                            self.each(|r| r.energy_kwh),
                            self.each(|r| r.cooling_energy_kwh),
                            self.each(total_energy),
                        ]
                        .concat(),
                    },
                ],
            },
            _ => LineFigure {
                title,
                legend: self.legend(),
                panels: vec![
                    Panel {
                        y_label: "power incl. cooling (kW)".into(),
                        series: self.each(total_power),
                    },
                    Panel {
                        y_label: "energy incl. cooling (kWh)".into(),
                        series: self.each(total_energy),
                    },
                ],
            },
        }
    }

    /// One panel of `f`.
    fn single(&self, title: String, y_label: &str, f: impl Fn(&Interval) -> f64) -> LineFigure {
        LineFigure {
            title,
            legend: self.legend(),
            panels: vec![Panel {
                y_label: y_label.into(),
                series: self.each(f),
            }],
        }
    }

    /// Adds the four time-series plots to `page`.
    fn add_to(
        &self,
        page: &mut Page,
        out: &Path,
        name: &str,
        note: &str,
    ) -> Result<(), ReportError> {
        let t = |what: &str| format!("{name}: {what}");
        let power = self.power_energy(t("power and energy"));
        add_plot(
            page,
            out,
            "power-energy",
            &power,
            &format!("Power and energy{note}"),
        )?;
        let hosts = self.single(t("active hosts"), "active hosts", |r| r.active_hosts);
        add_plot(
            page,
            out,
            "active-hosts",
            &hosts,
            &format!("Hosts drawing power{note}"),
        )?;
        let shortfall = self.single(t("CPU shortfall"), "CPU shortfall (%)", |r| {
            100.0 * r.cpu_shortfall_ratio
        });
        let caption = format!("CPU requested but not delivered (SLA shortfall){note}");
        add_plot(page, out, "cpu-shortfall", &shortfall, &caption)?;
        let migrations = self.single(t("migrations"), "migrations per interval", |r| r.migrations);
        add_plot(
            page,
            out,
            "migrations",
            &migrations,
            &format!("Live migrations started per monitoring interval{note}"),
        )
    }
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
    Lines::Run(&intervals).add_to(&mut page, out, &name, "")?;
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
    for key in BAR_METRICS {
        let Some((header, metric)) = column_metric(key) else {
            continue;
        };
        let bars: Vec<Bar> = rows
            .iter()
            .filter_map(|r| {
                let Stat { mean, ci95 } = *r.values.get(key)?;
                Some(Bar {
                    label: r.point.clone().unwrap_or_default(),
                    mean: metric.unit.show(mean),
                    ci95: ci95.map(|h| metric.unit.show(h)),
                })
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let figure = BarFigure {
            title: format!("{}: {header}", m.scenario),
            axis: format!("{header}, mean ± 95 % CI"),
            bars,
        };
        let caption =
            format!("{header} per point, mean over replicas with 95 % confidence interval");
        add_plot(&mut page, out, &format!("bars-{key}"), &figure, &caption)?;
    }
    page.heading("Time series (replica 0 of each point)");
    let first = first_replicas(dir)?;
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
        Lines::Points(&points).add_to(&mut page, out, &m.scenario, &note)?;
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
