//! Monitoring specifiers and sensors, as in seed 002: a metric is measured every measurement
//! interval and delivered to its consumers every delivery interval, either raw (the latest
//! measurement) or processed (min, max, mean or median of the measurements since the previous
//! delivery).
//!
//! Consumers (elasticity rules, policies) read [`Sensor::delivered`], never the live value, so a
//! measurement taken just after a delivery reaches them one delivery interval later, and the
//! aggregation shapes what they see.
//!
//! Timing: a sensor started at `start` measures at `start + k·m` and delivers at `start + j·d`
//! (`k, j ≥ 1`, `m` the measurement and `d` the delivery interval). When both fall on the same
//! instant the caller measures first, so a delivery every `d = 3m` aggregates exactly the three
//! measurements taken since the previous one. Seed 002's zero intervals ("as often as
//! possible") have no meaning in a discrete-event run and are rejected.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// How the measurements of one delivery interval are reduced to the delivered value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregation {
    /// The latest measurement at delivery time.
    #[default]
    Raw,
    /// The smallest measurement.
    Min,
    /// The largest measurement.
    Max,
    /// The arithmetic mean.
    Mean,
    /// The median; of an even count, the mean of the middle two.
    Median,
}

impl Aggregation {
    /// Reduces `samples` (finite, in measurement order); None when there are none.
    pub fn apply(self, samples: &[f64]) -> Option<f64> {
        let last = *samples.last()?;
        Some(match self {
            Aggregation::Raw => last,
            Aggregation::Min => samples.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregation::Max => samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Aggregation::Mean => samples.iter().sum::<f64>() / samples.len() as f64,
            Aggregation::Median => {
                let mut sorted = samples.to_vec();
                sorted.sort_by(f64::total_cmp);
                let n = sorted.len();
                if n % 2 == 1 {
                    sorted[n / 2]
                } else {
                    0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
                }
            }
        })
    }
}

fn sixty() -> f64 {
    60.0
}

/// A monitoring specifier, as written in a scenario file (`measurement_interval_s = 10`, …).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    /// Seconds between measurements (> 0, whole milliseconds; default 60).
    #[serde(default = "sixty")]
    pub measurement_interval_s: f64,
    /// Seconds between deliveries (a positive multiple of the measurement interval; default 60).
    #[serde(default = "sixty")]
    pub delivery_interval_s: f64,
    /// How the measurements of a delivery interval are reduced (default `raw`).
    #[serde(default)]
    pub aggregation: Aggregation,
}

impl Default for MonitorSpec {
    fn default() -> Self {
        MonitorSpec {
            measurement_interval_s: sixty(),
            delivery_interval_s: sixty(),
            aggregation: Aggregation::Raw,
        }
    }
}

/// `s` seconds as whole milliseconds, or None when `s` is not positive and finite or not a whole
/// number of milliseconds.
fn exact_millis(s: f64) -> Option<Millis> {
    let ms = s * 1000.0;
    (s.is_finite() && s > 0.0 && (ms - ms.round()).abs() <= 1e-6 * ms.max(1.0))
        .then_some(ms.round() as Millis)
}

impl MonitorSpec {
    /// Checks the intervals; Err(message) says what is wrong (the caller adds file/key location).
    pub fn validate(&self) -> Result<(), String> {
        let m = exact_millis(self.measurement_interval_s).ok_or_else(|| {
            format!(
                "`measurement_interval_s` must be > 0 and a whole number of milliseconds, found {}",
                self.measurement_interval_s
            )
        })?;
        let d = exact_millis(self.delivery_interval_s).ok_or_else(|| {
            format!(
                "`delivery_interval_s` must be > 0 and a whole number of milliseconds, found {}",
                self.delivery_interval_s
            )
        })?;
        if d % m != 0 {
            return Err(format!(
                "`delivery_interval_s` ({}) must be a whole multiple of `measurement_interval_s` \
                 ({}), such as {}",
                self.delivery_interval_s,
                self.measurement_interval_s,
                ((d / m).max(1) * m) as f64 / 1000.0
            ));
        }
        Ok(())
    }
}

/// One monitored quantity: its pending measurements and its last delivered value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensor {
    start: Millis,
    measurement_interval: Millis,
    delivery_interval: Millis,
    aggregation: Aggregation,
    next_measurement: Millis,
    next_delivery: Millis,
    samples: Vec<f64>,
    delivered: Option<(Millis, f64)>,
}

/// The first point `start + k·step` (`k ≥ 1`) later than `t`.
fn next_after(start: Millis, step: Millis, t: Millis) -> Millis {
    start + (t.saturating_sub(start) / step + 1) * step
}

impl Sensor {
    /// A sensor configured by `spec`, started at `start`: its first measurement is due one
    /// measurement interval later, its first delivery one delivery interval later. Err is
    /// [`MonitorSpec::validate`]'s message.
    pub fn new(spec: &MonitorSpec, start: Millis) -> Result<Self, String> {
        spec.validate()?;
        let m = exact_millis(spec.measurement_interval_s).unwrap_or(1);
        let d = exact_millis(spec.delivery_interval_s).unwrap_or(1);
        Ok(Sensor {
            start,
            measurement_interval: m,
            delivery_interval: d,
            aggregation: spec.aggregation,
            next_measurement: start + m,
            next_delivery: start + d,
            samples: Vec::new(),
            delivered: None,
        })
    }

    /// The measurement interval in milliseconds.
    pub fn measurement_interval(&self) -> Millis {
        self.measurement_interval
    }

    /// The delivery interval in milliseconds.
    pub fn delivery_interval(&self) -> Millis {
        self.delivery_interval
    }

    /// When the next measurement is due.
    pub fn due_measurement(&self) -> Millis {
        self.next_measurement
    }

    /// When the next delivery is due.
    pub fn due_delivery(&self) -> Millis {
        self.next_delivery
    }

    /// Records `value` measured at `t` (non-finite values are ignored, e.g. a VM that is not
    /// running) and moves the next measurement to the first interval point after `t` (skipping
    /// any missed ones). Calls come in time order.
    pub fn measure(&mut self, t: Millis, value: f64) {
        if value.is_finite() {
            self.samples.push(value);
        }
        self.next_measurement = next_after(self.start, self.measurement_interval, t);
    }

    /// Delivers at `t`: aggregates the measurements taken since the previous delivery, clears
    /// them, remembers the value and `t`, and moves the next delivery to the first interval
    /// point after `t`. None (and the previous delivered value kept) when there were none.
    pub fn deliver(&mut self, t: Millis) -> Option<f64> {
        self.next_delivery = next_after(self.start, self.delivery_interval, t);
        let value = self.aggregation.apply(&self.samples);
        self.samples.clear();
        if let Some(v) = value {
            self.delivered = Some((t, v));
        }
        value
    }

    /// The last delivered value and its delivery time.
    pub fn delivered(&self) -> Option<(Millis, f64)> {
        self.delivered
    }
}

/// Sensors keyed by what they watch (e.g. `(service, role, vm, metric)`), in key order.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorSet<K> {
    sensors: BTreeMap<K, Sensor>,
}

impl<K> Default for SensorSet<K> {
    fn default() -> Self {
        SensorSet {
            sensors: BTreeMap::new(),
        }
    }
}

impl<K: Ord> SensorSet<K> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the sensor for `key`, returning the one it replaces.
    pub fn insert(&mut self, key: K, sensor: Sensor) -> Option<Sensor> {
        self.sensors.insert(key, sensor)
    }

    /// Removes the sensor for `key` (e.g. when its VM is gone).
    pub fn remove(&mut self, key: &K) -> Option<Sensor> {
        self.sensors.remove(key)
    }

    /// The sensor for `key`.
    pub fn get(&self, key: &K) -> Option<&Sensor> {
        self.sensors.get(key)
    }

    /// The last delivered value of the sensor for `key`.
    pub fn delivered(&self, key: &K) -> Option<(Millis, f64)> {
        self.sensors.get(key).and_then(Sensor::delivered)
    }

    /// The sensors in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Sensor)> {
        self.sensors.iter()
    }

    /// The earliest due measurement or delivery of any sensor (None when the set is empty).
    pub fn next_due(&self) -> Option<Millis> {
        self.sensors
            .values()
            .map(|s| s.due_measurement().min(s.due_delivery()))
            .min()
    }

    /// Advances every sensor to `t`: those whose measurement is due measure `value(key)` (None
    /// counts as a missing measurement), then those whose delivery is due deliver. Returns the
    /// keys that delivered a value, in key order.
    pub fn advance(&mut self, t: Millis, mut value: impl FnMut(&K) -> Option<f64>) -> Vec<&K> {
        let mut delivered = Vec::new();
        for (key, sensor) in &mut self.sensors {
            if sensor.due_measurement() <= t {
                sensor.measure(t, value(key).unwrap_or(f64::NAN));
            }
            if sensor.due_delivery() <= t && sensor.deliver(t).is_some() {
                delivered.push(key);
            }
        }
        delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SECOND;

    fn spec(m: f64, d: f64, aggregation: Aggregation) -> MonitorSpec {
        MonitorSpec {
            measurement_interval_s: m,
            delivery_interval_s: d,
            aggregation,
        }
    }

    #[test]
    fn each_aggregation_on_a_hand_series() {
        let xs = [4.0, 1.0, 7.0, 2.0];
        assert_eq!(Aggregation::Raw.apply(&xs), Some(2.0));
        assert_eq!(Aggregation::Min.apply(&xs), Some(1.0));
        assert_eq!(Aggregation::Max.apply(&xs), Some(7.0));
        assert_eq!(Aggregation::Mean.apply(&xs), Some(3.5));
        // Sorted 1 2 4 7: the middle two are 2 and 4.
        assert_eq!(Aggregation::Median.apply(&xs), Some(3.0));
        assert_eq!(Aggregation::Median.apply(&[5.0, 9.0, 1.0]), Some(5.0));
        assert_eq!(Aggregation::Mean.apply(&[]), None);
    }

    #[test]
    fn delivery_every_three_measurements_aggregates_exactly_those() {
        let mut s = Sensor::new(&spec(10.0, 30.0, Aggregation::Mean), 0).unwrap();
        let series = [1.0, 2.0, 6.0, 10.0, 20.0, 60.0];
        let mut out = Vec::new();
        for (k, v) in series.iter().enumerate() {
            let t = (k as u64 + 1) * 10 * SECOND;
            assert_eq!(s.due_measurement(), t);
            s.measure(t, *v);
            if s.due_delivery() <= t {
                out.push((t, s.deliver(t)));
            }
        }
        // (1 + 2 + 6)/3 = 3 at 30 s, (10 + 20 + 60)/3 = 30 at 60 s.
        assert_eq!(out, [(30_000, Some(3.0)), (60_000, Some(30.0))]);
        assert_eq!(s.delivered(), Some((60_000, 30.0)));
        assert_eq!(s.due_delivery(), 90_000);
    }

    #[test]
    fn a_value_measured_after_a_delivery_waits_for_the_next_one() {
        let mut s = Sensor::new(&spec(5.0, 60.0, Aggregation::Raw), 0).unwrap();
        s.measure(60_000, 0.2);
        assert_eq!(s.deliver(60_000), Some(0.2));
        // The load jumps right after the delivery: consumers still read 0.2 …
        s.measure(65_000, 0.9);
        assert_eq!(s.delivered(), Some((60_000, 0.2)));
        // … until the next delivery, a whole delivery interval later.
        assert_eq!(s.due_delivery(), 120_000);
        assert_eq!(s.deliver(120_000), Some(0.9));
        assert_eq!(s.delivered(), Some((120_000, 0.9)));
        // Nothing measured since: no new value, the old one stays.
        assert_eq!(s.deliver(180_000), None);
        assert_eq!(s.delivered(), Some((120_000, 0.9)));
    }

    #[test]
    fn non_finite_samples_are_ignored_and_missed_points_skipped() {
        let mut s = Sensor::new(&spec(10.0, 40.0, Aggregation::Max), 1_000).unwrap();
        assert_eq!(s.due_measurement(), 11_000);
        s.measure(11_000, f64::NAN);
        s.measure(21_000, 3.0);
        s.measure(31_000, f64::INFINITY);
        assert_eq!(s.deliver(41_000), Some(3.0));
        // Measuring late (at 75 s) skips the missed 51 s, 61 s, 71 s points.
        s.measure(75_000, 1.0);
        assert_eq!(s.due_measurement(), 81_000);
        s.measure(81_000, f64::NAN);
        assert_eq!(s.deliver(81_000), Some(1.0));
        let mut empty = Sensor::new(&spec(10.0, 10.0, Aggregation::Median), 0).unwrap();
        empty.measure(10_000, f64::NAN);
        assert_eq!(empty.deliver(10_000), None);
        assert_eq!(empty.delivered(), None);
    }

    #[test]
    fn sensor_set_measures_then_delivers_in_key_order() {
        let mut set = SensorSet::new();
        let every_20 = spec(10.0, 20.0, Aggregation::Median);
        set.insert(("web", 2), Sensor::new(&every_20, 0).unwrap());
        set.insert(("web", 1), Sensor::new(&every_20, 0).unwrap());
        set.insert(
            ("db", 1),
            Sensor::new(&spec(5.0, 5.0, Aggregation::Raw), 0).unwrap(),
        );
        assert_eq!(set.next_due(), Some(5_000));
        let load = |k: &(&str, i32), t: u64| match k {
            ("web", 2) => None,
            (_, n) => Some(f64::from(*n) * t as f64 / 1000.0),
        };
        assert_eq!(set.advance(5_000, |k| load(k, 5_000)), [&("db", 1)]);
        assert!(set.advance(10_000, |k| load(k, 10_000)).len() == 1);
        assert_eq!(
            set.advance(20_000, |k| load(k, 20_000)),
            [&("db", 1), &("web", 1)]
        );
        // web 1 measured 10 and 20: median 15; web 2 measured nothing.
        assert_eq!(set.delivered(&("web", 1)), Some((20_000, 15.0)));
        assert_eq!(set.delivered(&("web", 2)), None);
        assert_eq!(set.delivered(&("db", 1)), Some((20_000, 20.0)));
        assert!(set.remove(&("db", 1)).is_some());
        assert_eq!(set.iter().count(), 2);
        assert!(set.get(&("web", 2)).is_some());
    }

    #[test]
    fn spec_defaults_and_validation() {
        let s: MonitorSpec = toml::from_str("aggregation = \"median\"").unwrap();
        assert_eq!(s, spec(60.0, 60.0, Aggregation::Median));
        assert_eq!(
            toml::from_str::<MonitorSpec>("").unwrap(),
            MonitorSpec::default()
        );
        assert!(toml::from_str::<MonitorSpec>("interval = 3").is_err());
        assert!(toml::from_str::<MonitorSpec>("aggregation = \"sum\"").is_err());
        assert!(spec(0.5, 2.0, Aggregation::Raw).validate().is_ok());
        let e = spec(10.0, 25.0, Aggregation::Raw).validate().unwrap_err();
        assert!(e.contains("delivery_interval_s") && e.contains("20"), "{e}");
        assert!(spec(10.0, 5.0, Aggregation::Raw).validate().is_err());
        assert!(spec(0.0, 60.0, Aggregation::Raw)
            .validate()
            .unwrap_err()
            .contains("measurement_interval_s"));
        assert!(spec(1.0, 0.0005, Aggregation::Raw).validate().is_err());
        assert!(spec(0.0001, 1.0, Aggregation::Raw).validate().is_err());
        assert!(Sensor::new(&spec(f64::NAN, 1.0, Aggregation::Raw), 0).is_err());
    }
}
