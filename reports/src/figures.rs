//! The report's figures built from the data: time series from `intervals.csv`, comparison
//! bars from a sweep's rows.

use crate::comparison::{column_metric, Row, Stat};
use crate::plots::bars::{Bar, BarFigure};
use crate::plots::lines::{LineFigure, Panel};
use crate::series::Interval;

/// The metrics compared across a sweep's points in bar plots (when they have values).
pub const BAR_METRICS: [&str; 5] = [
    "total_energy_kwh",
    "mean_active_hosts",
    "cpu_shortfall_ratio",
    "vm_migrations",
    "max_host_temperature_c",
];

/// The comparison bars of a sweep of `scenario`, one figure per metric of [`BAR_METRICS`] that
/// has values: (metric key, caption, figure), one bar per row.
pub fn bar_figures(scenario: &str, rows: &[Row]) -> Vec<(&'static str, String, BarFigure)> {
    let mut figures = Vec::new();
    for key in BAR_METRICS {
        let Some((header, metric)) = column_metric(key) else {
            continue;
        };
        let bars: Vec<Bar> = rows
            .iter()
            .filter_map(|r| {
                let Stat { mean, ci95 } = *r.values.get(key)?;
                Some(Bar {
                    label: r.point.clone().unwrap_or_else(|| r.label.clone()),
                    mean: metric.unit.show(mean),
                    ci95: ci95.map(|h| metric.unit.show(h)),
                })
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let figure = BarFigure {
            title: format!("{scenario}: {header}"),
            axis: format!("{header}, mean ± 95 % CI"),
            bars,
        };
        let caption =
            format!("{header} per point, mean over replicas with 95 % confidence interval");
        figures.push((key, caption, figure));
    }
    figures
}

/// The time series to draw: a run's own components, or one line per sweep point.
pub enum Lines<'a> {
    /// A single run's intervals: its components (hosts, cooling) where it has them.
    Run(&'a [Interval]),
    /// (label, intervals) of each point's first replica: one line per point.
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

    /// The four time-series plots of scenario `name`: (file name, caption, figure); `note`
    /// ends each caption.
    pub fn figures(&self, name: &str, note: &str) -> Vec<(&'static str, String, LineFigure)> {
        let t = |what: &str| format!("{name}: {what}");
        vec![
            (
                "power-energy",
                format!("Power and energy{note}"),
                self.power_energy(t("power and energy")),
            ),
            (
                "active-hosts",
                format!("Hosts drawing power{note}"),
                self.single(t("active hosts"), "active hosts", |r| r.active_hosts),
            ),
            (
                "cpu-shortfall",
                format!("CPU requested but not delivered (SLA shortfall){note}"),
                self.single(t("CPU shortfall"), "CPU shortfall (%)", |r| {
                    100.0 * r.cpu_shortfall_ratio
                }),
            ),
            (
                "migrations",
                format!("Live migrations started per monitoring interval{note}"),
                self.single(t("migrations"), "migrations per interval", |r| r.migrations),
            ),
        ]
    }
}
