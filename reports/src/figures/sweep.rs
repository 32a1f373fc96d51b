//! A sweep's figures: its points compared on summary metrics, and its time series over
//! replicas, with intervals that say what they are (a confidence interval only from three
//! replicas).

use std::collections::BTreeMap;

use crate::plots::axis::Quantity;
use crate::plots::dots::{Dot, DotFigure};
use crate::plots::lines::{LineFigure, Panel, Series, Shape};
use crate::series::Interval;
use crate::stats::{estimate, spread_caption, Estimate};

use super::plot::{hours, lines, panel, Drawing, Plot};
use super::run::{has_cooling, TimeMetric, TIME_METRICS};

/// Sweep points drawn over one another; more are drawn as small multiples.
pub const MAX_OVERLAID: usize = 4;
/// Small multiples drawn at most; the caption says when points were left out.
pub const MAX_PANELS: usize = 12;

/// How a summary metric is drawn: its axis description, quantity and the factor from stored
/// values to shown ones.
fn metric_axis(key: &str, any_cooling: bool) -> (String, Quantity, f64) {
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
    use crate::figures::run::tests::interval;

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
