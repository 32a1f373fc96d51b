//! The tables the figures draw, read back with their declared schemas (never inferred): a
//! run's `intervals`, `temperatures`, `services` and `roles`, a federation's `intervals` and
//! `calls`.

use std::path::Path;

use orrery_engine::metrics::services::{RoleRow, ServiceRow};
use orrery_engine::metrics::{IntervalRow, TemperatureRow};
use orrery_engine::tables::Table;
use polars::prelude::{DataFrame, DataType};

use crate::dirs::require_file;
use crate::error::ReportError;

const HINT: &str = "it is written by `orrery run --out`; run the scenario again";
const FED_HINT: &str = "it is written by `orrery federate --out`; run the federation again";

/// Reads table `T` from `path` (its CSV) with the declared schema.
fn read<T: Table>(path: &Path, hint: &str) -> Result<DataFrame, ReportError> {
    require_file(path, hint)?;
    crate::typed::read_csv(path, &T::schema(), hint)
}

/// Column `name` of `df` as floats (nulls and a missing column as NaN).
pub fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    let nan = || vec![f64::NAN; df.height()];
    let Ok(c) = df.column(name) else {
        return nan();
    };
    let Ok(c) = c.cast(&DataType::Float64) else {
        return nan();
    };
    c.f64()
        .map(|ca| ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        .unwrap_or_else(|_| nan())
}

/// Column `name` of `df` as text (nulls and a missing column as empty).
pub fn texts(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .ok()
        .and_then(|c| c.str().ok())
        .map(|ca| ca.iter().map(|v| v.unwrap_or("").to_string()).collect())
        .unwrap_or_else(|| vec![String::new(); df.height()])
}

/// Column `name` of `df` as booleans (nulls as false).
pub fn flags(df: &DataFrame, name: &str) -> Vec<bool> {
    df.column(name)
        .ok()
        .and_then(|c| c.bool().ok())
        .map(|ca| ca.iter().map(|v| v.unwrap_or(false)).collect())
        .unwrap_or_else(|| vec![false; df.height()])
}

fn no_rows(path: &Path, df: &DataFrame, hint: &str) -> Result<(), ReportError> {
    if df.height() == 0 {
        Err(ReportError::input(path, "no rows", hint))
    } else {
        Ok(())
    }
}

/// The columns of a run's `intervals` the figures use.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// End of the interval, in seconds.
    pub time_s: f64,
    /// Hosts drawing power.
    pub active_hosts: f64,
    /// VMs running.
    pub vms_running: f64,
    /// Mean CPU utilisation of the active hosts (0–1).
    pub cpu_util_mean: f64,
    /// Host power, in watts.
    pub power_w: f64,
    /// Host energy so far, in kWh.
    pub energy_kwh: f64,
    /// Migrations started during the interval.
    pub migrations: f64,
    /// CPU not delivered over CPU requested at that instant.
    pub cpu_shortfall_ratio: f64,
    /// Hottest host, °C (NaN without a thermal model).
    pub max_temperature_c: f64,
    /// Mean host temperature, °C (NaN without a thermal model).
    pub mean_temperature_c: f64,
    /// Cooling power, in watts.
    pub cooling_power_w: f64,
    /// Cooling energy so far, in kWh.
    pub cooling_energy_kwh: f64,
    /// The grid's carbon intensity, gCO2/kWh (NaN without a carbon series).
    pub carbon_intensity: f64,
    /// Emissions so far, g (NaN without a carbon series).
    pub emissions_g: f64,
}

/// Reads a run's `intervals.csv` with its declared schema.
pub fn read_intervals(path: &Path) -> Result<Vec<Interval>, ReportError> {
    let df = read::<IntervalRow>(path, HINT)?;
    no_rows(path, &df, HINT)?;
    let c = |n: &str| floats(&df, n);
    let (t, hosts, vms, util, power, energy, mig, short, tmax, tmean, cool, cool_e) = (
        c("time_s"),
        c("active_hosts"),
        c("vms_running"),
        c("cpu_util_mean"),
        c("power_w"),
        c("energy_kwh"),
        c("migrations"),
        c("cpu_shortfall_ratio"),
        c("max_temperature_c"),
        c("mean_temperature_c"),
        c("cooling_power_w"),
        c("cooling_energy_kwh"),
    );
    let (intensity, emissions) = (c("carbon_intensity"), c("emissions_g"));
    Ok((0..df.height())
        .map(|i| Interval {
            time_s: t[i],
            active_hosts: hosts[i],
            vms_running: vms[i],
            cpu_util_mean: util[i],
            power_w: power[i],
            energy_kwh: energy[i],
            migrations: mig[i],
            cpu_shortfall_ratio: short[i],
            max_temperature_c: tmax[i],
            mean_temperature_c: tmean[i],
            cooling_power_w: cool[i],
            cooling_energy_kwh: cool_e[i],
            carbon_intensity: intensity[i],
            emissions_g: emissions[i],
        })
        .collect())
}

/// Hosts' temperatures over time: `celsius[t][h]` is host `h` at `times_s[t]` (NaN where the
/// file has no value).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatGrid {
    /// The monitoring updates, ascending, in seconds.
    pub times_s: Vec<f64>,
    /// Number of hosts (highest host index + 1).
    pub hosts: usize,
    /// Temperatures in °C, one row per time.
    pub celsius: Vec<Vec<f64>>,
}

/// Reads a run's `temperatures.csv` into a host × time grid.
pub fn read_heat_grid(path: &Path) -> Result<HeatGrid, ReportError> {
    let df = read::<TemperatureRow>(path, HINT)?;
    no_rows(path, &df, HINT)?;
    let time = floats(&df, "time_s");
    let host = floats(&df, "host");
    let temp = floats(&df, "temperature_c");
    let mut times_s: Vec<f64> = time.clone();
    times_s.sort_by(f64::total_cmp);
    times_s.dedup();
    let max_host = host.iter().copied().fold(0.0, f64::max);
    let rows = df.height();
    // Every host has a row at every update, so a larger index is a damaged file.
    if max_host + 1.0 > rows as f64 {
        return Err(ReportError::input(
            path,
            format!("host index {max_host} but only {rows} rows"),
            HINT,
        ));
    }
    let hosts = if rows == 0 { 0 } else { max_host as usize + 1 };
    let mut celsius = vec![vec![f64::NAN; hosts]; times_s.len()];
    for i in 0..rows {
        // `times_s` holds every row's time, so the search always finds it.
        if let Ok(t) = times_s.binary_search_by(|x| x.total_cmp(&time[i])) {
            celsius[t][host[i] as usize] = temp[i];
        }
    }
    Ok(HeatGrid {
        times_s,
        hosts,
        celsius,
    })
}

/// A run's `services` table: each service over each measurement interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSeries {
    /// Service name.
    pub name: String,
    /// End of each interval, s.
    pub time_s: Vec<f64>,
    /// Requests that arrived in each interval.
    pub arrivals: Vec<f64>,
    /// Requests served per second.
    pub throughput_per_s: Vec<f64>,
    /// Mean response time, s (NaN where none was served).
    pub mean_response_s: Vec<f64>,
    /// 95th percentile response time, s (NaN where none was served).
    pub p95_response_s: Vec<f64>,
    /// Cost billed in each interval.
    pub cost: Vec<f64>,
}

/// Groups row indices by a key, keys in order of first appearance.
fn groups(keys: &[String]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        match out.iter_mut().find(|(g, _)| g == k) {
            Some((_, rows)) => rows.push(i),
            None => out.push((k.clone(), vec![i])),
        }
    }
    out
}

/// Reads a run's `services.csv`, one series per service.
pub fn read_services(path: &Path) -> Result<Vec<ServiceSeries>, ReportError> {
    let df = read::<ServiceRow>(path, HINT)?;
    let names = texts(&df, "name");
    let ids = floats(&df, "service");
    let keys: Vec<String> = ids.iter().map(|i| format!("{i}")).collect();
    let c = |n: &str| floats(&df, n);
    let (t, arr, thr, mean, p95, cost) = (
        c("time_s"),
        c("arrivals"),
        c("throughput_per_s"),
        c("mean_response_s"),
        c("p95_response_s"),
        c("cost"),
    );
    Ok(groups(&keys)
        .into_iter()
        .map(|(_, rows)| {
            let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            ServiceSeries {
                name: names[rows[0]].clone(),
                time_s: pick(&t),
                arrivals: pick(&arr),
                throughput_per_s: pick(&thr),
                mean_response_s: pick(&mean),
                p95_response_s: pick(&p95),
                cost: pick(&cost),
            }
        })
        .collect())
}

/// One role of a service over time: its VMs running.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSeries {
    /// "service/role" (the service by id when the run has one service: just the role).
    pub label: String,
    /// End of each interval, s.
    pub time_s: Vec<f64>,
    /// VMs of the role running.
    pub vms_running: Vec<f64>,
}

/// Reads a run's `roles.csv`, one series per (service, role); `names` gives service names by
/// id where known.
pub fn read_roles(path: &Path, services: &[ServiceSeries]) -> Result<Vec<RoleSeries>, ReportError> {
    let df = read::<RoleRow>(path, HINT)?;
    let ids = floats(&df, "service");
    let roles = texts(&df, "role");
    let several = ids.iter().any(|&i| i != ids[0]);
    let keys: Vec<String> = ids
        .iter()
        .zip(&roles)
        .map(|(i, r)| format!("{i}\u{1f}{r}"))
        .collect();
    let t = floats(&df, "time_s");
    let vms = floats(&df, "vms_running");
    Ok(groups(&keys)
        .into_iter()
        .map(|(_, rows)| {
            let id = ids[rows[0]] as usize;
            let role = &roles[rows[0]];
            let service = services
                .get(id)
                .map_or_else(|| format!("service {id}"), |s| s.name.clone());
            RoleSeries {
                label: if several {
                    format!("{service}/{role}")
                } else {
                    role.clone()
                },
                time_s: rows.iter().map(|&i| t[i]).collect(),
                vms_running: rows.iter().map(|&i| vms[i]).collect(),
            }
        })
        .collect())
}

/// One site of a federation over its decision rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSeries {
    /// The site.
    pub site: String,
    /// When, s.
    pub time_s: Vec<f64>,
    /// Reserved fraction of its CPU capacity.
    pub reserved_fraction: Vec<f64>,
    /// Mean CPU utilisation of its powered hosts.
    pub cpu_utilisation: Vec<f64>,
    /// VMs placed there.
    pub federation_vms: Vec<f64>,
    /// Spent there so far.
    pub cost: Vec<f64>,
}

/// Reads a federation's `intervals.csv`, one series per site (in order of appearance).
pub fn read_sites(path: &Path) -> Result<Vec<SiteSeries>, ReportError> {
    let df = read::<orrery_federation::output::IntervalRow>(path, FED_HINT)?;
    no_rows(path, &df, FED_HINT)?;
    let sites = texts(&df, "site");
    let c = |n: &str| floats(&df, n);
    let (t, res, util, vms, cost) = (
        c("time_s"),
        c("reserved_fraction"),
        c("cpu_utilisation"),
        c("federation_vms"),
        c("cost"),
    );
    Ok(groups(&sites)
        .into_iter()
        .map(|(site, rows)| {
            let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            SiteSeries {
                site,
                time_s: pick(&t),
                reserved_fraction: pick(&res),
                cpu_utilisation: pick(&util),
                federation_vms: pick(&vms),
                cost: pick(&cost),
            }
        })
        .collect())
}

/// A federation's service calls: when each arrived, was done and missed its deadline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Calls {
    /// Arrival of each call, s.
    pub arrival_s: Vec<f64>,
    /// When each was done, s (NaN if never).
    pub done_s: Vec<f64>,
    /// Its deadline, s (NaN if none).
    pub deadline_s: Vec<f64>,
    /// Whether it missed its deadline.
    pub missed: Vec<bool>,
    /// Whether it was forwarded to a peer.
    pub forwarded: Vec<bool>,
}

/// Reads a federation's `calls.csv`.
pub fn read_calls(path: &Path) -> Result<Calls, ReportError> {
    let df = read::<orrery_federation::output::CallRow>(path, FED_HINT)?;
    Ok(Calls {
        arrival_s: floats(&df, "arrival_s"),
        done_s: floats(&df, "done_s"),
        deadline_s: floats(&df, "deadline_s"),
        missed: flags(&df, "missed"),
        forwarded: flags(&df, "forwarded"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperatures_become_a_time_by_host_grid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("temperatures.csv");
        let rows = "time_s,host,temperature_c\n300,0,30\n300,2,32\n0,0,22\n0,1,23\n0,2,24\n";
        std::fs::write(&path, rows).unwrap();
        let grid = read_heat_grid(&path).unwrap();
        assert_eq!(grid.times_s, [0.0, 300.0]);
        assert_eq!(grid.hosts, 3);
        assert_eq!(grid.celsius[0], [22.0, 23.0, 24.0]);
        assert_eq!(grid.celsius[1][0], 30.0);
        assert!(grid.celsius[1][1].is_nan(), "no row for host 1 at 300 s");
        assert_eq!(grid.celsius[1][2], 32.0);
        std::fs::write(
            &path,
            "time_s,host,temperature_c\n0,0,22\n0,5000000000,23\n",
        )
        .unwrap();
        let err = read_heat_grid(&path).unwrap_err().to_string();
        assert!(
            err.contains("host index 5000000000 but only 2 rows"),
            "{err}"
        );
    }

    #[test]
    fn a_header_of_another_table_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("intervals.csv");
        std::fs::write(&path, "time_s,power\n0,1\n").unwrap();
        let err = read_intervals(&path).unwrap_err().to_string();
        assert!(err.contains("malformed CSV"), "{err}");
    }
}
