//! Which figures a result directory gets, built from its data: a run's time series, a service
//! run's requests, response times, roles and cost, a federation's sites, calls and traffic, and
//! a sweep's comparisons across points and its time series over replicas. Each figure has a
//! name (its file stem and the key `--metrics` selects it by) and a caption that says what is
//! drawn, including what its intervals are.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::DrawingArea;

use crate::plots::axis::Quantity;
use crate::plots::dots::{Dot, DotFigure};
use crate::plots::heatmap::HeatMap;
use crate::plots::lines::{LineFigure, Panel, Series, Shape};
use crate::plots::scene::Recorder;
use crate::plots::{DrawResult, Figure, Style};
use crate::series::{Calls, HeatGrid, Interval, RoleSeries, ServiceSeries, SiteSeries};
use crate::stats::{estimate, spread_caption, Estimate};

/// Any of the figure kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Drawing {
    /// Time series.
    Lines(LineFigure),
    /// Dots with intervals, or bars.
    Dots(DotFigure),
    /// A heat map.
    Heat(HeatMap),
}

impl Figure for Drawing {
    fn size(&self, style: &Style) -> (u32, u32) {
        match self {
            Drawing::Lines(f) => f.size(style),
            Drawing::Dots(f) => f.size(style),
            Drawing::Heat(f) => f.size(style),
        }
    }

    fn draw(&self, root: &DrawingArea<Recorder, Shift>, style: &Style) -> DrawResult {
        match self {
            Drawing::Lines(f) => f.draw(root, style),
            Drawing::Dots(f) => f.draw(root, style),
            Drawing::Heat(f) => f.draw(root, style),
        }
    }
}

/// One figure of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// Its file stem.
    pub name: String,
    /// The key `--metrics` selects it by.
    pub metric: String,
    /// What it shows.
    pub caption: String,
    /// The figure.
    pub drawing: Drawing,
}

fn plot(name: &str, caption: String, drawing: Drawing) -> Plot {
    Plot {
        name: name.to_string(),
        metric: name.to_string(),
        caption,
        drawing,
    }
}

/// Sweep points drawn over one another; more are drawn as small multiples.
pub const MAX_OVERLAID: usize = 4;
/// Small multiples drawn at most; the caption says when points were left out.
pub const MAX_PANELS: usize = 12;

/// Hours of a time in seconds.
fn hours(s: f64) -> f64 {
    s / 3600.0
}

fn lines(x_label: &str, panels: Vec<Panel>, legend: Vec<String>) -> LineFigure {
    LineFigure {
        x_label: x_label.to_string(),
        x_quantity: Quantity::NonNegative,
        panels,
        columns: 1,
        legend,
    }
}

fn panel(y_label: &str, quantity: Quantity, shape: Shape, series: Vec<Series>) -> Panel {
    Panel {
        title: None,
        y_label: y_label.to_string(),
        quantity,
        shape,
        series,
    }
}

fn series(label: &str, points: Vec<(f64, f64)>) -> Series {
    Series {
        label: label.to_string(),
        points,
        band: Vec::new(),
    }
}

/// A time-series metric of a run's intervals.
#[derive(Debug, Clone, Copy)]
pub struct TimeMetric {
    /// Figure name.
    pub name: &'static str,
    /// Caption start.
    pub caption: &'static str,
    /// y axis description.
    pub y_label: &'static str,
    /// What it measures.
    pub quantity: Quantity,
    /// How its points join.
    pub shape: Shape,
    /// Its value in an interval.
    pub value: fn(&Interval) -> f64,
}

/// The single-panel time series of a run, in report order.
pub const TIME_METRICS: [TimeMetric; 5] = [
    TimeMetric {
        name: "active-hosts",
        caption: "Hosts drawing power",
        y_label: "active hosts",
        quantity: Quantity::Count,
        shape: Shape::StepPost,
        value: |r| r.active_hosts,
    },
    TimeMetric {
        name: "vms-running",
        caption: "VMs running",
        y_label: "VMs running",
        quantity: Quantity::Count,
        shape: Shape::StepPost,
        value: |r| r.vms_running,
    },
    TimeMetric {
        name: "cpu-utilisation",
        caption: "Mean CPU utilisation of the hosts drawing power",
        y_label: "CPU utilisation (%)",
        quantity: Quantity::Percent,
        shape: Shape::Line,
        value: |r| 100.0 * r.cpu_util_mean,
    },
    TimeMetric {
        name: "cpu-shortfall",
        caption: "CPU requested but not delivered (SLA shortfall) at each monitoring update",
        y_label: "CPU shortfall (%)",
        quantity: Quantity::Percent,
        shape: Shape::Line,
        value: |r| 100.0 * r.cpu_shortfall_ratio,
    },
    TimeMetric {
        name: "migrations",
        caption: "Live migrations started per monitoring interval",
        y_label: "migrations per interval",
        quantity: Quantity::Count,
        shape: Shape::StepPre,
        value: |r| r.migrations,
    },
];

/// Whether a run had a cooling model (some cooling power).
pub fn has_cooling(iv: &[Interval]) -> bool {
    iv.iter().any(|r| r.cooling_power_w > 0.0)
}

fn has_temperatures(iv: &[Interval]) -> bool {
    iv.iter().any(|r| r.max_temperature_c.is_finite())
}

fn over_time(iv: &[Interval], f: impl Fn(&Interval) -> f64) -> Vec<(f64, f64)> {
    iv.iter().map(|r| (hours(r.time_s), f(r))).collect()
}

/// The figures of a run: power and energy, each [`TIME_METRICS`] entry, host temperatures
/// (with a thermal model) and the heat map of `heat` (when the run has `temperatures`).
pub fn run_plots(iv: &[Interval], heat: Option<HeatGrid>) -> Vec<Plot> {
    let mut out = Vec::new();
    let (power, caption) = if has_cooling(iv) {
        let power = vec![
            panel(
                "power (kW)",
                Quantity::NonNegative,
                Shape::Line,
                vec![
                    series("hosts", over_time(iv, |r| r.power_w / 1000.0)),
                    series("cooling", over_time(iv, |r| r.cooling_power_w / 1000.0)),
                    series(
                        "hosts + cooling",
                        over_time(iv, |r| (r.power_w + r.cooling_power_w) / 1000.0),
                    ),
                ],
            ),
            panel(
                "energy so far (kWh)",
                Quantity::NonNegative,
                Shape::Line,
                vec![
                    series("hosts", over_time(iv, |r| r.energy_kwh)),
                    series("cooling", over_time(iv, |r| r.cooling_energy_kwh)),
                    series(
                        "hosts + cooling",
                        over_time(iv, |r| r.energy_kwh + r.cooling_energy_kwh),
                    ),
                ],
            ),
        ];
        let legend = vec!["hosts".into(), "cooling".into(), "hosts + cooling".into()];
        (
            lines("time (h)", power, legend),
            "Power drawn and energy used so far by the hosts, the cooling plant and both",
        )
    } else {
        let power = vec![
            panel(
                "host power (kW)",
                Quantity::NonNegative,
                Shape::Line,
                vec![series("hosts", over_time(iv, |r| r.power_w / 1000.0))],
            ),
            panel(
                "host energy so far (kWh)",
                Quantity::NonNegative,
                Shape::Line,
                vec![series("hosts", over_time(iv, |r| r.energy_kwh))],
            ),
        ];
        (
            lines("time (h)", power, Vec::new()),
            "Power drawn and energy used so far by the hosts (the scenario has no cooling model)",
        )
    };
    out.push(plot(
        "power-energy",
        caption.to_string(),
        Drawing::Lines(power),
    ));
    for m in TIME_METRICS {
        let p = panel(
            m.y_label,
            m.quantity,
            m.shape,
            vec![series(m.name, over_time(iv, m.value))],
        );
        out.push(plot(
            m.name,
            m.caption.to_string(),
            Drawing::Lines(lines("time (h)", vec![p], Vec::new())),
        ));
    }
    if has_temperatures(iv) {
        let p = panel(
            "host temperature (°C)",
            Quantity::Free,
            Shape::Line,
            vec![
                series("hottest host", over_time(iv, |r| r.max_temperature_c)),
                series("mean over hosts", over_time(iv, |r| r.mean_temperature_c)),
            ],
        );
        let legend = vec!["hottest host".into(), "mean over hosts".into()];
        out.push(plot(
            "temperature",
            "Temperature of the hottest host and mean over the hosts (axis around the data, \
             not from 0 °C)"
                .into(),
            Drawing::Lines(lines("time (h)", vec![p], legend)),
        ));
    }
    if let Some(grid) = heat {
        out.push(plot(
            "temperatures",
            "Every host's temperature over time (blocks averaged above 300 updates or 200 hosts)"
                .into(),
            Drawing::Heat(HeatMap { grid }),
        ));
    }
    out
}

/// The interval lengths of `times` in seconds (the first from 0).
fn steps(times: &[f64]) -> Vec<f64> {
    let mut prev = 0.0;
    times
        .iter()
        .map(|&t| {
            let d = t - prev;
            prev = t;
            d
        })
        .collect()
}

/// The figures of a service run's `services` and `roles` tables.
pub fn service_plots(services: &[ServiceSeries], roles: &[RoleSeries]) -> Vec<Plot> {
    let mut out = Vec::new();
    let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let legend = if names.len() > 1 {
        names.clone()
    } else {
        Vec::new()
    };
    let each = |f: &dyn Fn(&ServiceSeries) -> Vec<f64>| -> Vec<Series> {
        services
            .iter()
            .map(|s| {
                let pts = s.time_s.iter().map(|&t| hours(t)).zip(f(s)).collect();
                series(&s.name, pts)
            })
            .collect()
    };
    let arrivals = each(&|s| {
        s.arrivals
            .iter()
            .zip(steps(&s.time_s))
            .map(|(a, d)| if d > 0.0 { a / d } else { f64::NAN })
            .collect()
    });
    let served = each(&|s| s.throughput_per_s.clone());
    out.push(plot(
        "requests",
        "Requests arriving and served per second, per measurement interval".into(),
        Drawing::Lines(lines(
            "time (h)",
            vec![
                panel(
                    "arrivals (requests/s)",
                    Quantity::NonNegative,
                    Shape::StepPre,
                    arrivals,
                ),
                panel(
                    "served (requests/s)",
                    Quantity::NonNegative,
                    Shape::StepPre,
                    served,
                ),
            ],
            legend.clone(),
        )),
    ));
    out.push(plot(
        "response-time",
        "End-to-end response time of the requests served in each interval: mean and 95th \
         percentile (gaps: nothing served)"
            .into(),
        Drawing::Lines(lines(
            "time (h)",
            vec![
                panel(
                    "mean response (s)",
                    Quantity::NonNegative,
                    Shape::Line,
                    each(&|s| s.mean_response_s.clone()),
                ),
                panel(
                    "95th percentile (s)",
                    Quantity::NonNegative,
                    Shape::Line,
                    each(&|s| s.p95_response_s.clone()),
                ),
            ],
            legend.clone(),
        )),
    ));
    if !roles.is_empty() {
        let series_list: Vec<Series> = roles
            .iter()
            .map(|r| {
                let pts = r
                    .time_s
                    .iter()
                    .map(|&t| hours(t))
                    .zip(r.vms_running.iter().copied())
                    .collect();
                series(&r.label, pts)
            })
            .collect();
        let legend = roles.iter().map(|r| r.label.clone()).collect();
        out.push(plot(
            "role-vms",
            "VMs running per role".into(),
            Drawing::Lines(lines(
                "time (h)",
                vec![panel(
                    "VMs running",
                    Quantity::Count,
                    Shape::StepPost,
                    series_list,
                )],
                legend,
            )),
        ));
    }
    let cost = each(&|s| {
        s.cost
            .iter()
            .scan(0.0, |sum, c| {
                *sum += if c.is_finite() { *c } else { 0.0 };
                Some(*sum)
            })
            .collect()
    });
    out.push(plot(
        "service-cost",
        "What each service's VMs were billed so far (billing periods started)".into(),
        Drawing::Lines(lines(
            "time (h)",
            vec![panel(
                "cost so far (price units)",
                Quantity::NonNegative,
                Shape::StepPost,
                cost,
            )],
            legend,
        )),
    ));
    out
}

/// The figures of a federation: its sites over time, its calls, and its traffic per link
/// direction (`traffic_mb` of its summary); `private` are the sites with hosts of their own.
pub fn federation_plots(
    sites: &[SiteSeries],
    private: &[String],
    calls: Option<&Calls>,
    traffic_mb: &BTreeMap<String, f64>,
) -> Vec<Plot> {
    let mut out = Vec::new();
    let each = |list: &[&SiteSeries], f: &dyn Fn(&SiteSeries) -> Vec<f64>| -> Vec<Series> {
        list.iter()
            .map(|s| {
                let pts = s.time_s.iter().map(|&t| hours(t)).zip(f(s)).collect();
                series(&s.site, pts)
            })
            .collect()
    };
    let own: Vec<&SiteSeries> = sites.iter().filter(|s| private.contains(&s.site)).collect();
    let all: Vec<&SiteSeries> = sites.iter().collect();
    if !own.is_empty() {
        let legend = own.iter().map(|s| s.site.clone()).collect();
        out.push(plot(
            "site-utilisation",
            "CPU utilisation of each private site's powered hosts and the share of its CPU \
             capacity reserved, as of each decision round (held until the next)"
                .into(),
            Drawing::Lines(lines(
                "time (h)",
                vec![
                    panel(
                        "CPU utilisation (%)",
                        Quantity::Percent,
                        Shape::StepPost,
                        each(&own, &|s| {
                            s.cpu_utilisation.iter().map(|v| 100.0 * v).collect()
                        }),
                    ),
                    panel(
                        "CPU reserved (%)",
                        Quantity::Percent,
                        Shape::StepPost,
                        each(&own, &|s| {
                            s.reserved_fraction.iter().map(|v| 100.0 * v).collect()
                        }),
                    ),
                ],
                legend,
            )),
        ));
    }
    let legend: Vec<String> = all.iter().map(|s| s.site.clone()).collect();
    out.push(plot(
        "site-vms",
        "VMs placed at each site, its own included (instances running, for a public cloud)".into(),
        Drawing::Lines(lines(
            "time (h)",
            vec![panel(
                "VMs",
                Quantity::Count,
                Shape::StepPost,
                each(&all, &|s| s.federation_vms.clone()),
            )],
            legend.clone(),
        )),
    ));
    out.push(plot(
        "site-cost",
        "What the federation has spent at each site so far".into(),
        Drawing::Lines(lines(
            "time (h)",
            vec![panel(
                "cost so far (price units)",
                Quantity::NonNegative,
                Shape::Line,
                each(&all, &|s| s.cost.clone()),
            )],
            legend,
        )),
    ));
    if let Some(c) = calls.filter(|c| !c.arrival_s.is_empty()) {
        out.push(plot(
            "calls",
            "Service calls so far: arrived, done, forwarded to a peer and missed (done after \
             their deadline, or not done when it passed)"
                .into(),
            Drawing::Lines(calls_figure(c)),
        ));
    }
    let links: Vec<Dot> = traffic_mb
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, &v)| Dot {
            label: k.replace("->", " → "),
            mean: v,
            lo: v,
            hi: v,
            values: Vec::new(),
        })
        .collect();
    if links.iter().any(|d| d.mean > 0.0) {
        out.push(plot(
            "traffic",
            "Data sent over each link direction (images, VM state, protocol messages)".into(),
            Drawing::Dots(DotFigure {
                axis: "data sent (MB)".into(),
                quantity: Quantity::NonNegative,
                rows: links,
                bars: true,
            }),
        ));
    }
    out
}

/// Cumulative counts of calls over time, as steps.
fn calls_figure(c: &Calls) -> LineFigure {
    let when_missed: Vec<f64> = (0..c.arrival_s.len())
        .filter(|&i| c.missed[i])
        .map(|i| {
            if c.done_s[i].is_finite() {
                c.done_s[i]
            } else if c.deadline_s[i].is_finite() {
                c.deadline_s[i]
            } else {
                c.arrival_s[i]
            }
        })
        .collect();
    let forwarded: Vec<f64> = (0..c.arrival_s.len())
        .filter(|&i| c.forwarded[i])
        .map(|i| c.arrival_s[i])
        .collect();
    let done: Vec<f64> = c.done_s.iter().copied().filter(|t| t.is_finite()).collect();
    let end = c
        .arrival_s
        .iter()
        .chain(&done)
        .chain(&when_missed)
        .copied()
        .fold(0.0, f64::max);
    let cumulative = |times: &[f64]| -> Vec<(f64, f64)> {
        let mut t: Vec<f64> = times.to_vec();
        t.sort_by(f64::total_cmp);
        let mut pts = vec![(0.0, 0.0)];
        for (k, x) in t.iter().enumerate() {
            pts.push((hours(*x), (k + 1) as f64));
        }
        pts.push((hours(end), t.len() as f64));
        pts
    };
    let names = ["arrived", "done", "forwarded", "missed"];
    let all = [&c.arrival_s, &done, &forwarded, &when_missed];
    let list = names
        .iter()
        .zip(all)
        .map(|(n, t)| series(n, cumulative(t)))
        .collect();
    lines(
        "time (h)",
        vec![panel(
            "calls so far",
            Quantity::Count,
            Shape::StepPost,
            list,
        )],
        names.iter().map(|s| s.to_string()).collect(),
    )
}

/// How a summary metric is drawn: its axis description, quantity and the factor from stored
/// values to shown ones.
pub fn metric_axis(key: &str, any_cooling: bool) -> (String, Quantity, f64) {
    let unit = orrery_engine::scenario::sweep::metrics()
        .into_iter()
        .find(|c| c.name == key)
        .map_or((String::new(), orrery_engine::tables::Kind::F64), |c| {
            (c.unit, c.kind)
        });
    let header = crate::comparison::column_metric(key).map(|(h, _)| h.to_string());
    let pretty = key.replace('_', " ");
    match (unit.0.as_str(), unit.1) {
        ("fraction", _) => (
            header.unwrap_or_else(|| format!("{pretty} (%)")),
            Quantity::Percent,
            100.0,
        ),
        ("°C", _) => (
            header.unwrap_or_else(|| format!("{pretty} (°C)")),
            Quantity::Free,
            1.0,
        ),
        _ if key == "total_energy_kwh" && !any_cooling => (
            "host energy (kWh; no cooling model)".to_string(),
            Quantity::NonNegative,
            1.0,
        ),
        ("host·s", _) => (
            format!("{pretty} (host·h)"),
            Quantity::NonNegative,
            1.0 / 3600.0,
        ),
        (u, orrery_engine::tables::Kind::U64) => (
            header.unwrap_or_else(|| format!("{pretty} ({u})")),
            Quantity::Count,
            1.0,
        ),
        (u, _) => (
            header.unwrap_or_else(|| {
                if u.is_empty() {
                    pretty.clone()
                } else {
                    format!("{pretty} ({u})")
                }
            }),
            Quantity::NonNegative,
            1.0,
        ),
    }
}

/// A sweep point: its label and, per summary metric, the values of its replicas.
#[derive(Debug, Clone, PartialEq)]
pub struct PointValues {
    /// The point's label (its swept values).
    pub label: String,
    /// Values per metric key, one per replica with a value.
    pub values: BTreeMap<String, Vec<f64>>,
}

/// The summary metrics compared across a sweep's points by default (when the runs have them).
pub const COMPARED: [&str; 5] = [
    "total_energy_kwh",
    "mean_active_hosts",
    "cpu_shortfall_ratio",
    "vm_migrations",
    "max_host_temperature_c",
];

/// The comparison of `points` on summary metric `key`: a dot per point at the mean over its
/// replicas, whiskers by [`estimate`], every replica as an open circle; none when no point
/// has a value. `any_cooling`: whether the runs had a cooling model (the energy's label).
pub fn comparison(points: &[PointValues], key: &str, any_cooling: bool) -> Option<Plot> {
    let (axis, quantity, factor) = metric_axis(key, any_cooling);
    let mut ests: Vec<Estimate> = Vec::new();
    let mut rows = Vec::new();
    for p in points {
        let shown: Vec<f64> = p
            .values
            .get(key)
            .map(|v| {
                v.iter()
                    .map(|x| x * factor)
                    .filter(|x| x.is_finite())
                    .collect()
            })
            .unwrap_or_default();
        let Some(e) = estimate(&shown, quantity.bounds()) else {
            continue;
        };
        ests.push(e);
        rows.push(Dot {
            label: keys_and_values(&p.label).map_or(p.label.clone(), |(_, v)| v),
            mean: e.mean,
            lo: e.lo,
            hi: e.hi,
            values: shown,
        });
    }
    if rows.is_empty() {
        return None;
    }
    let bound = if quantity == Quantity::Percent {
        "0 and 100 %"
    } else {
        "0"
    };
    let mut caption = format!(
        "{axis} per point: {}; open circles: the replicas",
        spread_caption(&ests, bound)
    );
    if let Some((keys, _)) = points.first().and_then(|p| keys_and_values(&p.label)) {
        caption.push_str(&format!("; rows labelled by {keys}"));
    }
    Some(Plot {
        name: format!("compare-{key}"),
        metric: key.to_string(),
        caption,
        drawing: Drawing::Dots(DotFigure {
            axis,
            quantity,
            rows,
            bars: false,
        }),
    })
}

/// The time series compared across a sweep's points by default.
pub const SWEEP_SERIES: [&str; 4] = ["power", "active-hosts", "cpu-shortfall", "migrations"];

/// Every time-series figure name a sweep can draw.
pub fn sweep_series_names() -> Vec<&'static str> {
    let mut names = vec!["power", "temperature"];
    names.extend(TIME_METRICS.iter().map(|m| m.name));
    names
}

/// A sweep point's runs: its label and each replica's intervals.
pub type PointRuns = (String, Vec<Vec<Interval>>);

/// The time series `name` of a sweep's points: per point the mean over its replicas at each
/// update with a band (95 % t-interval from 3 replicas, the range below, clipped at the
/// quantity's bounds); overlaid up to [`MAX_OVERLAID`] points, small multiples beyond (at most
/// [`MAX_PANELS`]); none for an unknown name or without data.
pub fn sweep_series(points: &[PointRuns], name: &str) -> Option<Plot> {
    let cooling = points
        .iter()
        .any(|(_, runs)| runs.iter().any(|r| has_cooling(r)));
    let metric = match name {
        "power" if cooling => TimeMetric {
            name: "power",
            caption: "Power of the hosts and the cooling plant",
            y_label: "power incl. cooling (kW)",
            quantity: Quantity::NonNegative,
            shape: Shape::Line,
            value: |r| (r.power_w + r.cooling_power_w) / 1000.0,
        },
        "power" => TimeMetric {
            name: "power",
            caption: "Power of the hosts (no cooling model)",
            y_label: "host power (kW)",
            quantity: Quantity::NonNegative,
            shape: Shape::Line,
            value: |r| r.power_w / 1000.0,
        },
        "temperature" => TimeMetric {
            name: "temperature",
            caption: "Temperature of the hottest host (axis around the data, not from 0 °C)",
            y_label: "hottest host (°C)",
            quantity: Quantity::Free,
            shape: Shape::Line,
            value: |r| r.max_temperature_c,
        },
        _ => *TIME_METRICS.iter().find(|m| m.name == name)?,
    };
    let TimeMetric {
        caption,
        y_label,
        quantity,
        shape,
        value,
        ..
    } = metric;
    let shown = points.len().min(MAX_PANELS);
    let mut ests = Vec::new();
    let mut list = Vec::new();
    for (label, runs) in &points[..shown] {
        let len = runs.iter().map(Vec::len).min().unwrap_or(0);
        let Some(first) = runs.first() else { continue };
        let mut s = Series {
            label: label.clone(),
            ..Series::default()
        };
        for i in 0..len {
            let vals: Vec<f64> = runs.iter().map(|r| value(&r[i])).collect();
            let Some(e) = estimate(&vals, quantity.bounds()) else {
                s.points.push((hours(first[i].time_s), f64::NAN));
                continue;
            };
            let x = hours(first[i].time_s);
            s.points.push((x, e.mean));
            if runs.len() > 1 {
                s.band.push((x, e.lo, e.hi));
            }
            if i == 0 || e.clamped {
                ests.push(e);
            }
        }
        list.push(s);
    }
    if list
        .iter()
        .all(|s| s.points.iter().all(|p| !p.1.is_finite()))
    {
        return None;
    }
    let bound = if quantity == Quantity::Percent {
        "0 and 100 %"
    } else {
        "0"
    };
    let replicas = spread_caption(&ests, bound).replace("mean and", "line: mean; band:");
    let mut note = if points.len() > shown {
        format!("; the first {shown} of {} points", points.len())
    } else {
        String::new()
    };
    // Points are told apart by their values; the caption names the keys once.
    let overlaid = list.len() <= MAX_OVERLAID;
    if let Some((keys, _)) = list.first().and_then(|s| keys_and_values(&s.label)) {
        let how = if overlaid { "lines" } else { "panels" };
        note = format!("; {how} labelled by {keys}{note}");
    }
    for s in &mut list {
        if let Some((_, values)) = keys_and_values(&s.label) {
            s.label = values;
        }
    }
    let figure = if overlaid {
        let legend = list.iter().map(|s| s.label.clone()).collect();
        lines(
            "time (h)",
            vec![panel(y_label, quantity, shape, list)],
            legend,
        )
    } else {
        let panels = list
            .into_iter()
            .map(|s| Panel {
                title: Some(s.label.clone()),
                y_label: y_label.to_string(),
                quantity,
                shape,
                series: vec![s],
            })
            .collect::<Vec<_>>();
        LineFigure {
            x_label: "time (h)".into(),
            x_quantity: Quantity::NonNegative,
            columns: 3,
            panels,
            legend: Vec::new(),
        }
    };
    Some(Plot {
        name: name.to_string(),
        metric: name.to_string(),
        caption: format!("{caption}, per point over its replicas ({replicas}){note}"),
        drawing: Drawing::Lines(figure),
    })
}

/// The keys and the values of a point label "key=value, …" ("placement, reallocation" and
/// "packing, none"): small multiples are titled by their values, the caption names the keys
/// once. None for a label without keys ("point 3").
fn keys_and_values(label: &str) -> Option<(String, String)> {
    let pairs = label
        .split(", ")
        .map(|kv| kv.split_once('='))
        .collect::<Option<Vec<_>>>()?;
    let (keys, values): (Vec<&str>, Vec<&str>) = pairs.into_iter().unzip();
    Some((keys.join(", "), values.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(t: f64, hosts: f64) -> Interval {
        Interval {
            time_s: t,
            active_hosts: hosts,
            vms_running: 2.0 * hosts,
            cpu_util_mean: 0.5,
            power_w: 1000.0,
            energy_kwh: t / 3600.0,
            migrations: 1.0,
            cpu_shortfall_ratio: 0.0,
            max_temperature_c: f64::NAN,
            mean_temperature_c: f64::NAN,
            cooling_power_w: 0.0,
            cooling_energy_kwh: 0.0,
        }
    }

    fn panels(p: &Plot) -> &[Panel] {
        match &p.drawing {
            Drawing::Lines(f) => &f.panels,
            _ => panic!("{} is not a line figure", p.name),
        }
    }

    #[test]
    fn counts_are_steps_and_no_cooling_means_no_cooling_label() {
        let iv: Vec<Interval> = (1..5)
            .map(|i| interval(300.0 * f64::from(i), 3.0))
            .collect();
        let plots = run_plots(&iv, None);
        let find = |n: &str| plots.iter().find(|p| p.name == n).unwrap();
        let hosts = &panels(find("active-hosts"))[0];
        assert_eq!(
            (hosts.quantity, hosts.shape),
            (Quantity::Count, Shape::StepPost)
        );
        let migrations = &panels(find("migrations"))[0];
        assert_eq!(migrations.shape, Shape::StepPre);
        for p in panels(find("power-energy")) {
            assert!(!p.y_label.contains("cooling"), "{}", p.y_label);
        }
        assert!(find("power-energy").caption.contains("no cooling model"));
        assert!(
            plots.iter().all(|p| p.name != "temperature"),
            "no thermal model"
        );
    }

    #[test]
    fn sweep_comparisons_say_which_interval_they_draw() {
        let point = |label: &str, v: &[f64]| PointValues {
            label: label.into(),
            values: BTreeMap::from([("vm_migrations".to_string(), v.to_vec())]),
        };
        let two = [point("a", &[0.0, 40.0]), point("b", &[5.0, 7.0])];
        let p = comparison(&two, "vm_migrations", false).unwrap();
        assert!(p.caption.contains("range (min–max)"), "{}", p.caption);
        let Drawing::Dots(f) = &p.drawing else {
            panic!()
        };
        assert_eq!((f.rows[0].lo, f.rows[0].hi), (0.0, 40.0));
        let three = [point("a", &[0.0, 0.0, 40.0])];
        let p = comparison(&three, "vm_migrations", false).unwrap();
        assert!(
            p.caption.contains("95 % confidence interval"),
            "{}",
            p.caption
        );
        assert!(p.caption.contains("clipped at 0"), "{}", p.caption);
        let Drawing::Dots(f) = &p.drawing else {
            panic!()
        };
        assert_eq!(f.rows[0].lo, 0.0, "never below zero");
        assert!(comparison(&three, "max_host_temperature_c", false).is_none());
        let keyed = [point("placement=packing, reallocation=none", &[1.0])];
        let p = comparison(&keyed, "vm_migrations", false).unwrap();
        let Drawing::Dots(f) = &p.drawing else {
            panic!()
        };
        assert_eq!(f.rows[0].label, "packing, none");
        assert!(p
            .caption
            .ends_with("; rows labelled by placement, reallocation"));
    }

    #[test]
    fn sweep_series_draw_every_point_over_its_replicas() {
        let runs = |h: f64| {
            vec![
                (1..4)
                    .map(|i| interval(300.0 * f64::from(i), h))
                    .collect::<Vec<_>>(),
                (1..4)
                    .map(|i| interval(300.0 * f64::from(i), h + 2.0))
                    .collect(),
            ]
        };
        let few: Vec<PointRuns> = (0..3).map(|p| (format!("p{p}"), runs(p as f64))).collect();
        let p = sweep_series(&few, "active-hosts").unwrap();
        let Drawing::Lines(f) = &p.drawing else {
            panic!()
        };
        assert_eq!((f.columns, f.panels[0].series.len()), (1, 3));
        let s = &f.panels[0].series[1];
        assert_eq!(s.points[0].1, 2.0, "the mean of 1 and 3");
        assert_eq!(
            s.band[0],
            (300.0 / 3600.0, 1.0, 3.0),
            "the range of two replicas"
        );
        assert!(p.caption.contains("range (min–max)"), "{}", p.caption);
        let many: Vec<PointRuns> = (0..20).map(|p| (format!("p{p}"), runs(p as f64))).collect();
        let p = sweep_series(&many, "active-hosts").unwrap();
        let Drawing::Lines(f) = &p.drawing else {
            panic!()
        };
        assert_eq!((f.columns, f.panels.len()), (3, MAX_PANELS));
        assert!(
            p.caption.contains("the first 12 of 20 points"),
            "{}",
            p.caption
        );
        let keyed: Vec<PointRuns> = (0..6)
            .map(|p| (format!("placement=p{p}, reallocation=none"), runs(p as f64)))
            .collect();
        let p = sweep_series(&keyed, "active-hosts").unwrap();
        let Drawing::Lines(f) = &p.drawing else {
            panic!()
        };
        assert_eq!(f.panels[1].title.as_deref(), Some("p1, none"));
        assert!(
            p.caption
                .contains("panels labelled by placement, reallocation"),
            "{}",
            p.caption
        );
        let p = sweep_series(&keyed[..2], "active-hosts").unwrap();
        let Drawing::Lines(f) = &p.drawing else {
            panic!()
        };
        assert_eq!(f.legend, ["p0, none", "p1, none"]);
        assert!(p
            .caption
            .contains("lines labelled by placement, reallocation"));
    }
}
