//! A federation's figures: its sites over time, its service calls and its traffic per link
//! direction.

use std::collections::BTreeMap;

use crate::plots::axis::Quantity;
use crate::plots::dots::{Dot, DotFigure};
use crate::plots::lines::{LineFigure, Series, Shape};
use crate::series::{Calls, SiteSeries};

use super::plot::{hours, lines, panel, plot, series, Drawing, Plot};

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
