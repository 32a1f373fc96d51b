//! `orrery report DIR`: the figures of a run, a service run, a sweep or a federation as PNG,
//! SVG and PDF, and one self-contained HTML page with the figures and tables, in
//! `DIR/report/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::DataType;

use crate::comparison::{html_table, Row};
use crate::dirs::{
    point_runs, read_json, ResultDir, SweepManifest, INTERVALS_CSV, SUMMARY_JSON, TEMPERATURES_CSV,
};
use crate::error::ReportError;
use crate::figures::{
    comparison, federation_plots, run_plots, service_plots, sweep_series, sweep_series_names, Plot,
    PointRuns, PointValues, COMPARED, SWEEP_SERIES,
};
use crate::html::{escape, frame_table, Page};
use crate::plots::{save, Format, Style};
use crate::series::{
    read_calls, read_heat_grid, read_intervals, read_roles, read_services, read_sites,
};
use crate::tables::SweepTables;
use crate::values::{any_value_text, json_text, short_number};

/// The folder of the report inside a result directory.
pub const REPORT_DIR: &str = "report";
/// The report page.
pub const INDEX_HTML: &str = "index.html";
/// A service run's services table.
pub const SERVICES_CSV: &str = "services.csv";
/// A service run's roles table.
pub const ROLES_CSV: &str = "roles.csv";
/// A federation's service calls.
pub const CALLS_CSV: &str = "calls.csv";

/// How to draw a report: figure style, file formats and which figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Width, font size and PNG resolution.
    pub style: Style,
    /// Formats each figure is written in (the page always embeds a PNG).
    pub formats: Vec<Format>,
    /// The figures to draw, by name (see `orrery report --help`); empty: the default set.
    pub metrics: Vec<String>,
}

impl Default for Options {
    /// One column, 8 pt, PNG + SVG + PDF, the default figures.
    fn default() -> Options {
        Options {
            style: Style::default(),
            formats: Format::ALL.to_vec(),
            metrics: Vec::new(),
        }
    }
}

/// Renders the report of a result directory with the default [`Options`]; see
/// [`render_report_with`].
pub fn render_report(dir: &Path) -> Result<PathBuf, ReportError> {
    render_report_with(dir, &Options::default())
}

/// Renders the report of a run, sweep or federation directory: `DIR/report/NAME.EXT` per
/// figure and format, and `index.html`; for a sweep also `results.parquet`, `aggregate.csv`
/// and `aggregate.parquet` (see [`crate::finish_sweep`]). Returns the path of `index.html`.
pub fn render_report_with(dir: &Path, options: &Options) -> Result<PathBuf, ReportError> {
    let kind = ResultDir::open(dir)?;
    let out = dir.join(REPORT_DIR);
    fs::create_dir_all(&out).map_err(|e| ReportError::output(&out, e))?;
    clear(&out)?;
    let mut report = Report {
        out: out.clone(),
        options,
        dir: dir.to_path_buf(),
    };
    let html = match kind {
        ResultDir::Run(d) => report.run_page(&d)?,
        ResultDir::Sweep(d, _) => report.sweep_page(&d)?,
        ResultDir::Federation(d) => report.federation_page(&d)?,
    };
    let index = out.join(INDEX_HTML);
    fs::write(&index, html).map_err(|e| ReportError::output(&index, e))?;
    Ok(index)
}

/// Removes an earlier report's figures and page from `out`, so that no figure of other
/// options (another format, a figure no longer asked for) stays beside the new ones; other
/// files are left alone.
fn clear(out: &Path) -> Result<(), ReportError> {
    let entries = fs::read_dir(out).map_err(|e| ReportError::output(out, e))?;
    for entry in entries {
        let path = entry.map_err(|e| ReportError::output(out, e))?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let ours = Format::ALL.iter().any(|f| f.ext() == ext) || ext == "html";
        if ours && path.is_file() {
            fs::remove_file(&path).map_err(|e| ReportError::output(&path, e))?;
        }
    }
    Ok(())
}

struct Report<'a> {
    out: PathBuf,
    options: &'a Options,
    dir: PathBuf,
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

impl Report<'_> {
    /// The plots of `all` the options select: `defaults` (names) unless `--metrics` names
    /// some; an error names an unknown one and lists the known (`known`: every name this
    /// directory could have).
    fn select(
        &self,
        all: Vec<Plot>,
        defaults: Option<&[&str]>,
        known: &[String],
    ) -> Result<Vec<Plot>, ReportError> {
        let wanted = &self.options.metrics;
        if wanted.is_empty() {
            return Ok(all
                .into_iter()
                .filter(|p| defaults.is_none_or(|d| d.contains(&p.metric.as_str())))
                .collect());
        }
        for w in wanted {
            if !known.contains(w) {
                return Err(ReportError::input(
                    &self.dir,
                    format!("no figure \"{w}\" for this directory"),
                    format!("--metrics takes some of: {}", known.join(", ")),
                ));
            }
        }
        Ok(all
            .into_iter()
            .filter(|p| wanted.contains(&p.metric))
            .collect())
    }

    /// Saves every plot and adds it to `page`.
    fn add(&self, page: &mut Page, plots: &[Plot]) -> Result<(), ReportError> {
        for p in plots {
            let saved = save(
                &p.drawing,
                &self.options.style,
                &self.options.formats,
                &self.out,
                &p.name,
            )?;
            let files: Vec<String> = saved
                .files
                .iter()
                .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            let caption = if files.is_empty() {
                format!("{}.", p.caption)
            } else {
                format!("{}. ({})", p.caption, files.join(", "))
            };
            page.image(&saved.png, &caption);
        }
        Ok(())
    }

    /// The report page of a single run (with its services' figures for a service run).
    fn run_page(&mut self, dir: &Path) -> Result<String, ReportError> {
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
                escape(k),
                escape(&metric_text(v))
            ));
        }
        all.push_str("</table>\n");
        page.table(&all);
        let intervals = read_intervals(&dir.join(INTERVALS_CSV))?;
        let temperatures = dir.join(TEMPERATURES_CSV);
        let heat = if temperatures.is_file() {
            Some(read_heat_grid(&temperatures)?)
        } else {
            None
        };
        let mut plots = run_plots(&intervals, heat);
        let services_csv = dir.join(SERVICES_CSV);
        let service_run = services_csv.is_file();
        let mut service = Vec::new();
        if service_run {
            let services = read_services(&services_csv)?;
            let roles_csv = dir.join(ROLES_CSV);
            let roles = if roles_csv.is_file() {
                read_roles(&roles_csv, &services)?
            } else {
                Vec::new()
            };
            service = service_plots(&services, &roles);
        }
        let known: Vec<String> = plots
            .iter()
            .chain(&service)
            .map(|p| p.metric.clone())
            .collect();
        let n_service: BTreeSet<String> = service.iter().map(|p| p.name.clone()).collect();
        plots.extend(service);
        let chosen = self.select(plots, None, &known)?;
        let (svc, dc): (Vec<Plot>, Vec<Plot>) = chosen
            .into_iter()
            .partition(|p| n_service.contains(&p.name));
        if !svc.is_empty() {
            page.heading("Services");
            self.add(&mut page, &svc)?;
        }
        if !dc.is_empty() {
            page.heading("Datacenter");
            self.add(&mut page, &dc)?;
        }
        Ok(page.finish(&title))
    }

    /// The report page of a sweep; also writes its Parquet and aggregate tables.
    fn sweep_page(&mut self, dir: &Path) -> Result<String, ReportError> {
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

        // Comparisons across points, from every replica's summary values.
        let points = point_values(&tables.results, &m.keys);
        let metrics = crate::aggregate::metric_columns(&tables.results);
        let any_cooling = points.iter().any(|p| {
            p.values
                .get("cooling_energy_kwh")
                .is_some_and(|v| v.iter().any(|x| *x > 0.0))
        });
        let compared: Vec<Plot> = metrics
            .iter()
            .filter_map(|k| comparison(&points, k, any_cooling))
            .collect();
        // Time series: every replica of every point with its run folder.
        let runs = point_runs(dir, &tables.results, &m.keys)?;
        let mut series_points: Vec<PointRuns> = Vec::new();
        for (info, folders) in &runs {
            let mut list = Vec::with_capacity(folders.len());
            for f in folders {
                list.push(read_intervals(&f.join(INTERVALS_CSV))?);
            }
            series_points.push((info.label(&m.keys), list));
        }
        let mut series: Vec<Plot> = sweep_series_names()
            .into_iter()
            .filter_map(|n| sweep_series(&series_points, n))
            .collect();
        let thermal = runs.iter().find(|(_, f)| {
            f.first()
                .is_some_and(|f| f.join(TEMPERATURES_CSV).is_file())
        });
        if let Some((info, folders)) = thermal {
            let grid = read_heat_grid(&folders[0].join(TEMPERATURES_CSV))?;
            series.push(Plot {
                name: "temperatures".into(),
                metric: "temperatures".into(),
                caption: format!(
                    "Every host's temperature over time in the first point with a thermal \
                     model ({}, replica {})",
                    info.label(&m.keys),
                    info.replica
                ),
                drawing: crate::figures::Drawing::Heat(crate::plots::heatmap::HeatMap { grid }),
            });
        }
        let mut known: Vec<String> = metrics.clone();
        known.extend(sweep_series_names().iter().map(|s| s.to_string()));
        known.push("temperatures".into());
        let defaults: Vec<&str> = COMPARED
            .iter()
            .chain(SWEEP_SERIES.iter())
            .copied()
            .chain(["temperatures"])
            .collect();
        let compared = self.select(compared, Some(&defaults), &known)?;
        let series = self.select(series, Some(&defaults), &known)?;
        page.heading("Comparison across points");
        if compared.is_empty() {
            page.paragraph("No compared metric has values.");
        }
        self.add(&mut page, &compared)?;
        page.heading("Time series (every replica: mean and spread per point)");
        if runs.is_empty() {
            page.paragraph("No finished runs under runs/: the time series need them.");
        } else {
            self.add(&mut page, &series)?;
        }
        page.heading("Aggregate over replicas (aggregate.csv)");
        page.paragraph("Per metric M: M_mean, M_sd (sample standard deviation) and M_ci95, the half-width h of the 95 % confidence interval mean ± h (Student t, n − 1 degrees of freedom; empty below two replicas). The figures draw an interval only from 3 replicas on and the range (min–max) below.");
        page.table(&frame_table(&tables.aggregate));
        Ok(page.finish(&title))
    }

    /// The report page of a federation.
    fn federation_page(&mut self, dir: &Path) -> Result<String, ReportError> {
        let summary: serde_json::Value = read_json(
            &dir.join(SUMMARY_JSON),
            "run the federation again with `orrery federate --out`",
        )?;
        let name = summary.get("name").map_or_else(String::new, json_text);
        let arch = summary
            .get("architecture")
            .map_or_else(String::new, json_text);
        let title = format!("orrery report: federation {name}");
        let mut page = Page::new(
            &title,
            &format!("A federation run of {name} ({arch} architecture)."),
        );
        page.heading("Summary");
        let obj = summary.as_object().cloned().unwrap_or_default();
        let mut scalars = String::from("<table>\n");
        for (k, v) in &obj {
            if !v.is_object() {
                scalars.push_str(&format!(
                    "<tr><th>{}</th><td>{}</td></tr>\n",
                    escape(k),
                    escape(&metric_text(v))
                ));
            }
        }
        scalars.push_str("</table>\n");
        page.table(&scalars);
        // Per-site maps side by side.
        let site_maps = ["cost_by_site", "utilisation", "sla_shortfall", "energy_kwh"];
        let mut sites: BTreeSet<String> = BTreeSet::new();
        for k in site_maps {
            if let Some(m) = obj.get(k).and_then(|v| v.as_object()) {
                sites.extend(m.keys().cloned());
            }
        }
        let executed = obj
            .get("calls")
            .and_then(|c| c.get("executed_by_site"))
            .and_then(|v| v.as_object())
            .cloned()
            .unwrap_or_default();
        sites.extend(executed.keys().cloned());
        if !sites.is_empty() {
            page.heading("Per site");
            let mut t = String::from("<table>\n<tr><th>site</th>");
            for k in site_maps {
                t.push_str(&format!("<th>{}</th>", escape(k)));
            }
            t.push_str("<th>calls executed</th></tr>\n");
            for s in &sites {
                t.push_str(&format!("<tr><th>{}</th>", escape(s)));
                for k in site_maps {
                    let v = obj.get(k).and_then(|m| m.get(s));
                    t.push_str(&format!(
                        "<td>{}</td>",
                        escape(&v.map_or_else(|| "-".into(), metric_text))
                    ));
                }
                let v = executed.get(s);
                t.push_str(&format!(
                    "<td>{}</td></tr>\n",
                    escape(&v.map_or_else(|| "-".into(), metric_text))
                ));
            }
            t.push_str("</table>\n");
            page.table(&t);
        }
        for (key, heading) in [
            ("calls", "Service calls"),
            ("traffic_mb", "Data per link direction (MB)"),
            ("protocol_messages", "Protocol messages by kind"),
        ] {
            let Some(m) = obj.get(key).and_then(|v| v.as_object()) else {
                continue;
            };
            if m.is_empty() {
                continue;
            }
            page.heading(heading);
            let mut t = String::from("<table>\n");
            for (k, v) in m {
                if !v.is_object() {
                    t.push_str(&format!(
                        "<tr><th>{}</th><td>{}</td></tr>\n",
                        escape(k),
                        escape(&metric_text(v))
                    ));
                }
            }
            t.push_str("</table>\n");
            page.table(&t);
        }
        let sites_series = read_sites(&dir.join(INTERVALS_CSV))?;
        let private: Vec<String> = obj
            .get("utilisation")
            .and_then(|v| v.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let calls_csv = dir.join(CALLS_CSV);
        let calls = if calls_csv.is_file() {
            Some(read_calls(&calls_csv)?)
        } else {
            None
        };
        let traffic: BTreeMap<String, f64> = obj
            .get("traffic_mb")
            .and_then(|v| v.as_object())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let plots = federation_plots(&sites_series, &private, calls.as_ref(), &traffic);
        let known: Vec<String> = [
            "site-utilisation",
            "site-vms",
            "site-cost",
            "calls",
            "traffic",
        ]
        .map(String::from)
        .to_vec();
        let plots = self.select(plots, None, &known)?;
        page.heading("Figures");
        self.add(&mut page, &plots)?;
        Ok(page.finish(&title))
    }
}

/// Each point's label and its replicas' values of every numeric summary metric, in point
/// order, from a sweep's `results` table.
fn point_values(results: &polars::prelude::DataFrame, keys: &[String]) -> Vec<PointValues> {
    let metrics = crate::aggregate::metric_columns(results);
    let point: Vec<f64> = crate::series::floats(results, "point");
    let mut by_point: BTreeMap<u64, PointValues> = BTreeMap::new();
    let columns: Vec<(String, Vec<f64>)> = metrics
        .iter()
        .map(|m| {
            let v = results
                .column(m)
                .ok()
                .and_then(|c| c.cast(&DataType::Float64).ok())
                .and_then(|c| {
                    c.f64()
                        .ok()
                        .map(|ca| ca.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
                })
                .unwrap_or_default();
            (m.clone(), v)
        })
        .collect();
    for (i, p) in point.iter().enumerate() {
        let entry = by_point.entry(*p as u64).or_insert_with(|| {
            let values: Vec<String> = keys
                .iter()
                .map(|k| {
                    results
                        .column(k)
                        .ok()
                        .and_then(|c| c.get(i).ok())
                        .map_or_else(String::new, |v| any_value_text(&v))
                })
                .collect();
            PointValues {
                label: crate::dirs::point_label(*p as usize, keys, &values),
                values: BTreeMap::new(),
            }
        });
        for (m, v) in &columns {
            if let Some(x) = v.get(i).filter(|x| x.is_finite()) {
                entry.values.entry(m.clone()).or_default().push(*x);
            }
        }
    }
    by_point.into_values().collect()
}
