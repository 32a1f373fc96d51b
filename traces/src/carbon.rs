//! Carbon-intensity series: grid gCO2 per kWh over wall-clock time, as OpenDC ships them
//! (Parquet: `timestamp` as a timestamp or ms since the Unix epoch, `carbon_intensity`) or as
//! CSV (`timestamp,carbon_intensity`, the time in Unix seconds or `YYYY-MM-DDTHH:MM:SSZ`).
//!
//! Each value holds from its timestamp until the next; before the first, the first; after the
//! last, the last.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_schema::DataType;
use orrery_engine::error::InputError;

use crate::import::parquet_rows;

/// Most samples a series may hold (ten years of minutes).
const MAX_SAMPLES: usize = 10 * 366 * 24 * 60;

/// A carbon-intensity series in absolute time.
#[derive(Debug, Clone, PartialEq)]
pub struct CarbonSeries {
    /// Sample times, ms since the Unix epoch, strictly increasing.
    times_ms: Vec<i64>,
    /// gCO2 per kWh from each time on.
    values: Vec<f64>,
}

impl CarbonSeries {
    /// A series of `(ms since the epoch, gCO2/kWh)` samples; they must be in strictly increasing
    /// time, finite and non-negative, and at least one.
    pub fn new(samples: Vec<(i64, f64)>) -> Result<CarbonSeries, String> {
        if samples.is_empty() {
            return Err("the series holds no samples".into());
        }
        for (k, w) in samples.windows(2).enumerate() {
            if w[1].0 <= w[0].0 {
                return Err(format!(
                    "sample {} is not after the one before it: times must increase",
                    k + 2
                ));
            }
        }
        if let Some((k, (_, v))) = samples
            .iter()
            .enumerate()
            .find(|(_, (_, v))| !(v.is_finite() && *v >= 0.0))
        {
            return Err(format!(
                "sample {}: carbon intensity {v} is not a non-negative number",
                k + 1
            ));
        }
        let (times_ms, values) = samples.into_iter().unzip();
        Ok(CarbonSeries { times_ms, values })
    }

    /// Loads `path`: Parquet by its magic bytes, else CSV.
    pub fn load(path: &Path) -> Result<CarbonSeries, InputError> {
        let mut magic = [0u8; 4];
        let is_parquet = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
            && &magic == b"PAR1";
        let samples = if is_parquet {
            let mut samples = Vec::new();
            parquet_rows(
                path,
                &[
                    ("timestamp", DataType::Int64),
                    ("carbon_intensity", DataType::Float64),
                ],
                |_, c| {
                    let (t, v) = (
                        c[0].as_primitive::<Int64Type>(),
                        c[1].as_primitive::<Float64Type>(),
                    );
                    if samples.len() + t.len() > MAX_SAMPLES {
                        return Err(format!("more than {MAX_SAMPLES} samples"));
                    }
                    samples.extend(t.values().iter().copied().zip(v.values().iter().copied()));
                    Ok(())
                },
            )?;
            samples
        } else {
            read_csv(path)?
        };
        CarbonSeries::new(samples).map_err(|m| {
            InputError::file(path, m).hint("a carbon series is `timestamp,carbon_intensity` rows in time order (docs/traces.md)")
        })
    }

    /// The first sample's time, ms since the epoch.
    pub fn start_ms(&self) -> i64 {
        self.times_ms[0]
    }

    /// The intensity at `t` (ms since the epoch).
    pub fn at(&self, t: i64) -> f64 {
        let k = self.times_ms.partition_point(|&s| s <= t).saturating_sub(1);
        self.values[k]
    }

    /// The time-weighted mean intensity over [from, to) (ms since the epoch); the intensity at
    /// `from` when the span is empty.
    pub fn mean(&self, from: i64, to: i64) -> f64 {
        if to <= from {
            return self.at(from);
        }
        let mut k = self
            .times_ms
            .partition_point(|&s| s <= from)
            .saturating_sub(1);
        let mut t = from;
        let mut sum = 0.0;
        while t < to {
            let next = self
                .times_ms
                .get(k + 1)
                .copied()
                .unwrap_or(i64::MAX)
                .min(to);
            sum += self.values[k] * (next - t) as f64;
            t = next;
            k += 1;
        }
        sum / (to - from) as f64
    }
}

/// Reads a CSV series: a header, then `timestamp,carbon_intensity` rows.
fn read_csv(path: &Path) -> Result<Vec<(i64, f64)>, InputError> {
    let hint = "write `timestamp,carbon_intensity` rows: Unix seconds or \
                YYYY-MM-DDTHH:MM:SSZ, then gCO2/kWh";
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| InputError::file(path, format!("cannot read: {e}")).hint(hint))?;
    let mut samples = Vec::new();
    for (k, row) in reader.records().enumerate() {
        let line = k + 2;
        let at = |m: String| InputError::file(path, m).at(line, None).hint(hint);
        let row = row.map_err(|e| at(format!("not a CSV row: {e}")))?;
        if row.len() < 2 {
            return Err(at("expected two columns".into()));
        }
        let t =
            parse_time(row[0].trim()).ok_or_else(|| at(format!("`{}` is not a time", &row[0])))?;
        let v: f64 = row[1]
            .trim()
            .parse()
            .map_err(|_| at(format!("`{}` is not a number", &row[1])))?;
        if samples.len() == MAX_SAMPLES {
            return Err(at(format!("more than {MAX_SAMPLES} samples")));
        }
        samples.push((t, v));
    }
    Ok(samples)
}

/// Unix seconds, or `YYYY-MM-DDTHH:MM:SS` with `Z` (or none), as ms since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(secs) = s.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (
        t.next()??,
        t.next().unwrap_or(Some(0))?,
        t.next().unwrap_or(Some(0))?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    if !(0..=9999).contains(&y) || hh < 0 || mm < 0 || ss < 0 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_to_the_epoch() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        // 2022-01-01 is 18 993 days after the epoch.
        assert_eq!(
            parse_time("2022-01-01T00:00:00Z"),
            Some(18_993 * 86_400_000)
        );
        assert_eq!(
            parse_time("2022-03-01T01:02:03"),
            Some((19_052 * 86_400 + 3723) * 1000)
        );
        assert_eq!(parse_time("1640995200"), Some(1_640_995_200_000));
        assert_eq!(parse_time("2022-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn the_mean_weighs_each_value_by_the_time_it_holds() {
        let s = CarbonSeries::new(vec![(0, 100.0), (3_600_000, 300.0)]).unwrap();
        assert_eq!(s.at(-5), 100.0);
        assert_eq!(s.at(3_600_000), 300.0);
        // Half an hour at each side of the step.
        assert_eq!(s.mean(1_800_000, 5_400_000), 200.0);
        // Beyond the last sample the last value holds.
        assert_eq!(s.mean(7_200_000, 9_000_000), 300.0);
        assert!(CarbonSeries::new(vec![(5, 1.0), (5, 2.0)]).is_err());
        assert!(CarbonSeries::new(vec![(5, f64::NAN)]).is_err());
    }

    #[test]
    fn the_shared_series_load() {
        let data = orrery_engine::workload::trace::shared_data(
            Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap(),
        )
        .join("traces/carbon/2022-DE.parquet");
        if !data.exists() {
            eprintln!("skipped: {} is missing", data.display());
            return;
        }
        let s = CarbonSeries::load(&data).unwrap();
        assert_eq!(s.start_ms(), parse_time("2022-01-01T00:00:00Z").unwrap());
    }
}
