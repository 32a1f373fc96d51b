//! A service run's figures: requests, response times, VMs per role and cost.

use crate::plots::axis::Quantity;
use crate::plots::lines::{Series, Shape};
use crate::series::{RoleSeries, ServiceSeries};

use super::plot::{hours, lines, panel, plot, series, Drawing, Plot};

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
