//! A run's figures: power and energy, hosts, VMs, CPU, migrations, temperatures and carbon
//! over time.

use crate::plots::axis::Quantity;
use crate::plots::heatmap::HeatMap;
use crate::plots::lines::Shape;
use crate::series::{HeatGrid, Interval};

use super::plot::{hours, lines, panel, plot, series, Drawing, Plot};

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
    if iv.iter().any(|r| r.carbon_intensity.is_finite()) {
        let panels = vec![
            panel(
                "grid carbon intensity (gCO2/kWh)",
                Quantity::NonNegative,
                Shape::StepPost,
                vec![series("intensity", over_time(iv, |r| r.carbon_intensity))],
            ),
            panel(
                "emissions so far (kgCO2)",
                Quantity::NonNegative,
                Shape::Line,
                vec![series(
                    "emissions",
                    over_time(iv, |r| r.emissions_g / 1000.0),
                )],
            ),
        ];
        out.push(plot(
            "carbon",
            "The grid's carbon intensity and the emissions of the energy drawn so far (hosts and \
             cooling)"
                .into(),
            Drawing::Lines(lines("time (h)", panels, Vec::new())),
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plots::lines::Panel;

    /// An interval at `t` s with `hosts` active hosts, no thermal model.
    pub(crate) fn interval(t: f64, hosts: f64) -> Interval {
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
            carbon_intensity: f64::NAN,
            emissions_g: f64::NAN,
        }
    }

    fn panels(p: &Plot) -> &[Panel] {
        match &p.drawing {
            Drawing::Lines(f) => &f.panels,
            _ => panic!("{} is not a line figure", p.name),
        }
    }

    #[test]
    fn a_carbon_series_draws_intensity_and_emissions_so_far() {
        let iv: Vec<Interval> = (1..5)
            .map(|i| Interval {
                carbon_intensity: 100.0 * f64::from(i),
                emissions_g: 500.0 * f64::from(i),
                ..interval(300.0 * f64::from(i), 3.0)
            })
            .collect();
        let plots = run_plots(&iv, None);
        let carbon = plots
            .iter()
            .find(|p| p.name == "carbon")
            .expect("a carbon figure");
        let p = panels(carbon);
        assert_eq!(
            p[0].shape,
            Shape::StepPost,
            "intensity holds between samples"
        );
        // Emissions in kg: 0.5 kg a step.
        assert_eq!(p[1].series[0].points[3], (hours(1200.0), 2.0));
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
        assert!(plots.iter().all(|p| p.name != "carbon"), "no carbon series");
        assert!(
            plots.iter().all(|p| p.name != "temperature"),
            "no thermal model"
        );
    }
}
