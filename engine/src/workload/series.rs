//! Evenly sampled time series with CloudSim's PlanetLab interpolation.

use serde::{Deserialize, Serialize};

use crate::num::{floor_non_negative, is_multiple};
use crate::time::{to_secs, Millis};

/// A series sampled at t = 0, `interval`, 2·`interval`, … (absolute simulation time).
///
/// Between samples the value is interpolated linearly, exactly as CloudSim's
/// `UtilizationModelPlanetLabInMemory.getUtilization` does; beyond the last sample it stays at the
/// last value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledSeries {
    /// Time between consecutive samples, in milliseconds.
    pub interval: Millis,
    /// The samples; `values[k]` is the value at `k · interval`.
    pub values: Vec<f64>,
}

impl SampledSeries {
    /// A series with the given sample interval and samples.
    pub fn new(interval: Millis, values: Vec<f64>) -> Self {
        SampledSeries { interval, values }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the series has no samples.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value at time `t` (ms): the sample itself at sample times, linear interpolation between
    /// samples, the last sample beyond the end, and 0.0 for an empty series. A zero interval
    /// yields the first sample.
    pub fn at(&self, t: Millis) -> f64 {
        self.at_secs(to_secs(t))
    }

    /// The value at time `t` in seconds, computed with CloudSim's floating-point operations
    /// (`UtilizationModelPlanetLabInMemory.getUtilization`) so that results match it bit for bit.
    pub fn at_secs(&self, t: f64) -> f64 {
        let v = &self.values;
        let Some(last) = v.len().checked_sub(1) else {
            return 0.0;
        };
        let s = to_secs(self.interval);
        if s == 0.0 {
            return v[0];
        }
        let index = |x: f64| (x.max(0.0) as usize).min(last);
        let x = t / s;
        if is_multiple(t, s) {
            return v[index(x)];
        }
        // ⌊x⌋ and ⌈x⌉ (a negative time clamps to sample 0, as in the Java).
        let i1 = floor_non_negative(x.max(0.0));
        let i2 = if i1 < x { i1 + 1.0 } else { i1 };
        let (v1, v2) = (v[index(i1)], v[index(i2)]);
        // Mirrors the Java: delta per second, times seconds since the earlier sample.
        let delta = (v2 - v1) / s;
        v1 + delta * (t - i1 * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> SampledSeries {
        // Samples 10%, 20%, 50%, 40% every 300 s.
        SampledSeries::new(300_000, vec![0.1, 0.2, 0.5, 0.4])
    }

    #[test]
    fn exact_sample_times_return_the_sample() {
        let s = series();
        assert_eq!(s.at(0), 0.1);
        assert_eq!(s.at(300_000), 0.2);
        assert_eq!(s.at(600_000), 0.5);
        assert_eq!(s.at(900_000), 0.4);
    }

    #[test]
    fn interpolates_between_samples_like_cloudsim() {
        let s = series();
        // 300.1 s lies 0.1 s past the 20% sample, on the way to 50% at 600 s:
        // 0.2 + (0.5 - 0.2) * 0.1 / 300.
        let got = s.at(300_100);
        assert!((got - (0.2 + 0.3 * 0.1 / 300.0)).abs() < 1e-12, "{got}");
        // Bit-identical to the Java formula evaluated in f64.
        let delta = (0.5 - 0.2) / 300.0;
        assert_eq!(got, 0.2 + delta * (300.1 - 300.0));
        // Halfway between 50% (600 s) and 40% (900 s): 0.45.
        assert!((s.at(750_000) - 0.45).abs() < 1e-12);
    }

    #[test]
    fn beyond_the_end_holds_the_last_value() {
        let s = series();
        // Last sample is at 900 s; anything later (on or off the grid) is 40%.
        assert_eq!(s.at(1_200_000), 0.4);
        assert_eq!(s.at(950_000), 0.4);
        assert_eq!(s.at(u64::MAX), 0.4);
    }

    #[test]
    fn empty_series_is_zero() {
        let s = SampledSeries::new(300_000, vec![]);
        assert!(s.is_empty());
        assert_eq!(s.at(0), 0.0);
        assert_eq!(s.at(123_456), 0.0);
    }
}
