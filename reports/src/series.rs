//! A run's time series read back for plotting: `intervals.csv` and `temperatures.csv`.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::dirs::require_file;
use crate::error::ReportError;

/// The columns of `intervals.csv` the plots use (the file has more).
#[derive(Debug, Clone, Deserialize)]
pub struct Interval {
    /// End of the interval, in seconds.
    pub time_s: f64,
    /// Hosts drawing power.
    pub active_hosts: f64,
    /// Host power, in watts.
    pub power_w: f64,
    /// Host energy so far, in kWh.
    pub energy_kwh: f64,
    /// Migrations started during the interval.
    pub migrations: f64,
    /// CPU not delivered over CPU requested at that instant.
    pub cpu_shortfall_ratio: f64,
    /// Cooling power, in watts.
    pub cooling_power_w: f64,
    /// Cooling energy so far, in kWh.
    pub cooling_energy_kwh: f64,
}

/// One row of `temperatures.csv`.
#[derive(Debug, Clone, Deserialize)]
struct TemperatureRow {
    time_s: f64,
    host: usize,
    temperature_c: f64,
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

/// Reads a run's `intervals.csv`.
pub fn read_intervals(path: &Path) -> Result<Vec<Interval>, ReportError> {
    read_rows(path)
}

/// Reads a run's `temperatures.csv` into a host × time grid.
pub fn read_heat_grid(path: &Path) -> Result<HeatGrid, ReportError> {
    let rows: Vec<TemperatureRow> = read_rows(path)?;
    let mut times_s: Vec<f64> = rows.iter().map(|r| r.time_s).collect();
    times_s.sort_by(f64::total_cmp);
    times_s.dedup();
    let hosts = rows.iter().map(|r| r.host + 1).max().unwrap_or(0);
    // Every host has a row at every update, so a larger index is a damaged file.
    if hosts > rows.len() {
        return Err(ReportError::input(
            path,
            format!("host index {} but only {} rows", hosts - 1, rows.len()),
            "it is written by `orrery run --out`; run the scenario again",
        ));
    }
    let mut celsius = vec![vec![f64::NAN; hosts]; times_s.len()];
    for r in &rows {
        // `times_s` holds every row's time, so the search always finds it.
        if let Ok(t) = times_s.binary_search_by(|x| x.total_cmp(&r.time_s)) {
            celsius[t][r.host] = r.temperature_c;
        }
    }
    Ok(HeatGrid {
        times_s,
        hosts,
        celsius,
    })
}

/// Reads every row of a CSV file with a header; an error names the file and the line.
fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReportError> {
    let hint = "it is written by `orrery run --out`; run the scenario again";
    require_file(path, hint)?;
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| ReportError::input(path, format!("cannot read: {e}"), hint))?;
    let rows: Result<Vec<T>, csv::Error> = reader.deserialize().collect();
    let rows = rows.map_err(|e| ReportError::input(path, format!("malformed CSV: {e}"), hint))?;
    if rows.is_empty() {
        return Err(ReportError::input(path, "no rows", hint));
    }
    Ok(rows)
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
}
