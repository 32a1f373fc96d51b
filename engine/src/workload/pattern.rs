//! Utilisation patterns: a VM's CPU demand as a fraction 0..=1 of its capacity over absolute
//! simulation time.

use std::f64::consts::TAU;
use std::sync::Arc;

use rand::Rng as _;
use rand_distr::{Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

use super::series::SampledSeries;
use crate::rng::Rng;
use crate::time::{from_secs, Millis};

fn default_peak_hour() -> f64 {
    14.0
}
fn default_period_h() -> f64 {
    24.0
}
fn one() -> f64 {
    1.0
}
fn default_interval_s() -> f64 {
    300.0
}

/// How a VM's CPU demand evolves, as written in a scenario file (`pattern = "diurnal"`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "pattern", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PatternSpec {
    /// Always `level`.
    Constant {
        /// Demand fraction 0..=1.
        level: f64,
    },
    /// Sinusoid over a day: mean + amplitude·cos(2π (t − peak)/period), clamped to [0, 1].
    Diurnal {
        /// Average demand fraction 0..=1.
        mean: f64,
        /// Swing above and below the mean (≥ 0).
        amplitude: f64,
        /// Hour of the peak, counted from simulation time 0 (default 14).
        #[serde(default = "default_peak_hour")]
        peak_hour: f64,
        /// Period in hours (default 24).
        #[serde(default = "default_period_h")]
        period_h: f64,
    },
    /// Bounded random walk resampled every `interval_s`: x += N(0, step), reflected into
    /// [min, max].
    RandomWalk {
        /// Demand at the VM's start, within [min, max].
        start: f64,
        /// Standard deviation of each step (≥ 0).
        step: f64,
        /// Lower bound (default 0).
        #[serde(default)]
        min: f64,
        /// Upper bound (default 1).
        #[serde(default = "one")]
        max: f64,
        /// Seconds between steps (default 300).
        #[serde(default = "default_interval_s")]
        interval_s: f64,
    },
    /// Alternates between `on_level` and `off_level` with exponentially distributed durations,
    /// starting on.
    OnOff {
        /// Demand while on, 0..=1.
        on_level: f64,
        /// Demand while off, 0..=1.
        off_level: f64,
        /// Mean on duration in seconds (≥ 0.001).
        mean_on_s: f64,
        /// Mean off duration in seconds (≥ 0.001).
        mean_off_s: f64,
    },
}

fn fraction(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be a fraction from 0 to 1, found {v}"
        ))
    }
}

fn at_least(name: &str, v: f64, min: f64, unit: &str) -> Result<(), String> {
    if v.is_finite() && v >= min {
        Ok(())
    } else {
        Err(format!("`{name}` must be at least {min}{unit}, found {v}"))
    }
}

impl PatternSpec {
    /// Checks parameter ranges; Err(message) says what is wrong (the caller adds file/key
    /// location).
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            PatternSpec::Constant { level } => fraction("level", level),
            PatternSpec::Diurnal {
                mean,
                amplitude,
                peak_hour,
                period_h,
            } => {
                fraction("mean", mean)?;
                at_least("amplitude", amplitude, 0.0, "")?;
                at_least("peak_hour", peak_hour, 0.0, " h")?;
                if !(period_h.is_finite() && period_h > 0.0) {
                    return Err(format!("`period_h` must be positive, found {period_h}"));
                }
                Ok(())
            }
            PatternSpec::RandomWalk {
                start,
                step,
                min,
                max,
                interval_s,
            } => {
                fraction("min", min)?;
                fraction("max", max)?;
                if min > max {
                    return Err(format!("`min` ({min}) must not exceed `max` ({max})"));
                }
                if !(start.is_finite() && (min..=max).contains(&start)) {
                    return Err(format!(
                        "`start` must lie within `min`..`max` ({min} to {max}), found {start}"
                    ));
                }
                at_least("step", step, 0.0, "")?;
                at_least("interval_s", interval_s, 0.001, " s")
            }
            PatternSpec::OnOff {
                on_level,
                off_level,
                mean_on_s,
                mean_off_s,
            } => {
                fraction("on_level", on_level)?;
                fraction("off_level", off_level)?;
                at_least("mean_on_s", mean_on_s, 0.001, " s")?;
                at_least("mean_off_s", mean_off_s, 0.001, " s")
            }
        }
    }

    /// Instantiates a concrete demand curve for one VM that starts at `start` and runs until at
    /// most `end` (absolute ms). Random patterns draw their whole path over [start, end] here.
    pub fn instantiate(&self, start: Millis, end: Millis, rng: &mut Rng) -> Demand {
        match *self {
            PatternSpec::Constant { level } => Demand::Constant(level.clamp(0.0, 1.0)),
            PatternSpec::Diurnal {
                mean,
                amplitude,
                peak_hour,
                period_h,
            } => Demand::Diurnal {
                mean,
                amplitude,
                peak: from_secs(peak_hour * 3600.0),
                period: from_secs(period_h * 3600.0),
            },
            PatternSpec::RandomWalk {
                start: x0,
                step,
                min,
                max,
                interval_s,
            } => {
                let interval = from_secs(interval_s).max(1);
                let steps = end.saturating_sub(start) / interval;
                let mut values = Vec::with_capacity(steps as usize + 1);
                let mut x = reflect(x0, min, max);
                values.push(x);
                for _ in 0..steps {
                    let z: f64 = rng.sample(StandardNormal);
                    x = reflect(x + step * z, min, max);
                    values.push(x);
                }
                Demand::Steps {
                    start,
                    interval,
                    values,
                }
            }
            PatternSpec::OnOff {
                on_level,
                off_level,
                mean_on_s,
                mean_off_s,
            } => {
                let mut toggles = Vec::new();
                let mut t = start;
                let mut on = true;
                loop {
                    let mean = if on { mean_on_s } else { mean_off_s };
                    let e: f64 = rng.sample(Exp1);
                    t = t.saturating_add(from_secs(e * mean).max(1));
                    if t > end {
                        break;
                    }
                    toggles.push(t);
                    on = !on;
                }
                Demand::Switching {
                    start,
                    on_level,
                    off_level,
                    toggles,
                }
            }
        }
    }
}

/// Reflects `x` into [min, max] (any overshoot, folded back as often as needed).
fn reflect(x: f64, min: f64, max: f64) -> f64 {
    let w = max - min;
    if w.is_nan() || w <= 0.0 || !x.is_finite() {
        return min;
    }
    let mut y = (x - min).rem_euclid(2.0 * w);
    if y > w {
        y = 2.0 * w - y;
    }
    (min + y).clamp(min, max)
}

/// A concrete demand curve: `at(t)` gives demand in [0, 1] at absolute time t.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// Always this level.
    Constant(f64),
    /// mean + amplitude·cos(2π (t − peak)/period).
    Diurnal {
        /// Average level.
        mean: f64,
        /// Swing above and below the mean.
        amplitude: f64,
        /// A time of peak demand.
        peak: Millis,
        /// Period of the cycle.
        period: Millis,
    },
    /// Piecewise constant: `values[k]` holds over [start + k·interval, start + (k+1)·interval);
    /// before `start` the first value, after the last step the last value.
    Steps {
        /// Time of the first value.
        start: Millis,
        /// Length of each step.
        interval: Millis,
        /// The levels.
        values: Vec<f64>,
    },
    /// On from `start` (and before it), switching at each time in `toggles` (ascending,
    /// absolute) between `on_level` and `off_level`.
    Switching {
        /// Time the curve starts, on.
        start: Millis,
        /// Level while on.
        on_level: f64,
        /// Level while off.
        off_level: f64,
        /// Absolute switch times, ascending; a switch at t applies from t on.
        toggles: Vec<Millis>,
    },
    /// A recorded trace in absolute time from 0.
    Trace(Arc<SampledSeries>),
    /// Samples at arbitrary times (an orrery trace's): `values[k]` holds from `times[k]`
    /// (absolute, ascending) until the next; before the first, the first value.
    Samples {
        /// Sample times, ascending.
        times: Vec<Millis>,
        /// The levels.
        values: Vec<f64>,
    },
}

impl Demand {
    /// Demand at time `t` in seconds; traces use CloudSim's floating-point interpolation, the
    /// other curves the nearest millisecond.
    pub fn at_secs(&self, t: f64) -> f64 {
        match self {
            Demand::Trace(series) => series.at_secs(t).clamp(0.0, 1.0),
            _ => self.at(crate::time::from_secs(t)),
        }
    }

    /// Demand at absolute time `t`, clamped to [0, 1].
    pub fn at(&self, t: Millis) -> f64 {
        let v = match self {
            Demand::Constant(level) => *level,
            Demand::Diurnal {
                mean,
                amplitude,
                peak,
                period,
            } => {
                if *period == 0 {
                    *mean
                } else {
                    let phase = (t as i128 - *peak as i128).rem_euclid(*period as i128);
                    mean + amplitude * (TAU * phase as f64 / *period as f64).cos()
                }
            }
            Demand::Steps {
                start,
                interval,
                values,
            } => {
                let Some(last) = values.len().checked_sub(1) else {
                    return 0.0;
                };
                let k = t.saturating_sub(*start) / (*interval).max(1);
                values[usize::try_from(k).map_or(last, |k| k.min(last))]
            }
            Demand::Switching {
                on_level,
                off_level,
                toggles,
                ..
            } => {
                if toggles.partition_point(|&s| s <= t) % 2 == 0 {
                    *on_level
                } else {
                    *off_level
                }
            }
            Demand::Trace(series) => series.at(t),
            Demand::Samples { times, values } => {
                let k = times.partition_point(|&s| s <= t).saturating_sub(1);
                values.get(k).copied().unwrap_or(0.0)
            }
        };
        v.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_hold_until_the_next_and_the_first_holds_before_it() {
        let d = Demand::Samples {
            times: vec![1000, 5000],
            values: vec![0.25, 0.75],
        };
        assert_eq!(
            [0, 999, 1000, 4999, 5000, u64::MAX].map(|t| d.at(t)),
            [0.25, 0.25, 0.25, 0.25, 0.75, 0.75]
        );
        let none = Demand::Samples {
            times: vec![],
            values: vec![],
        };
        assert_eq!(none.at(7), 0.0);
    }
    use crate::rng::RngStreams;
    use crate::time::{HOUR, SECOND};

    fn rng() -> Rng {
        RngStreams::new(1).stream("t", 0)
    }

    #[test]
    fn constant_is_constant() {
        let d = PatternSpec::Constant { level: 0.3 }.instantiate(0, 10 * HOUR, &mut rng());
        assert_eq!(d.at(0), 0.3);
        assert_eq!(d.at(7 * HOUR + 1), 0.3);
        assert_eq!(d.at(100 * HOUR), 0.3);
    }

    #[test]
    fn diurnal_peaks_and_troughs_at_the_right_hours() {
        let spec = PatternSpec::Diurnal {
            mean: 0.5,
            amplitude: 0.3,
            peak_hour: 14.0,
            period_h: 24.0,
        };
        let d = spec.instantiate(0, 48 * HOUR, &mut rng());
        // Peak at 14 h: 0.5 + 0.3·cos 0 = 0.8; again one period later at 38 h.
        assert!((d.at(14 * HOUR) - 0.8).abs() < 1e-12);
        assert!((d.at(38 * HOUR) - 0.8).abs() < 1e-12);
        // Trough half a period away, at 2 h: 0.5 + 0.3·cos π = 0.2.
        assert!((d.at(2 * HOUR) - 0.2).abs() < 1e-12);
        // A quarter period after the peak (20 h): cos(π/2) = 0, so the mean 0.5.
        assert!((d.at(20 * HOUR) - 0.5).abs() < 1e-12);
        // Clamped: mean 0.9 + amplitude 0.3 would be 1.2 at the peak.
        let hot = PatternSpec::Diurnal {
            mean: 0.9,
            amplitude: 0.3,
            peak_hour: 14.0,
            period_h: 24.0,
        };
        assert_eq!(hot.instantiate(0, HOUR, &mut rng()).at(14 * HOUR), 1.0);
    }

    fn walk() -> PatternSpec {
        PatternSpec::RandomWalk {
            start: 0.5,
            step: 0.2,
            min: 0.1,
            max: 0.7,
            interval_s: 300.0,
        }
    }

    #[test]
    fn random_walk_stays_in_bounds_and_is_reproducible() {
        let (start, end) = (HOUR, 101 * HOUR);
        let a = walk().instantiate(start, end, &mut rng());
        let b = walk().instantiate(start, end, &mut rng());
        let c = walk().instantiate(start, end, &mut RngStreams::new(1).stream("t", 1));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let Demand::Steps {
            interval, values, ..
        } = &a
        else {
            panic!("random walk should give steps, got {a:?}")
        };
        assert_eq!(*interval, 300 * SECOND);
        // 100 h / 300 s = 1200 steps after the starting value.
        assert_eq!(values.len(), 1201);
        assert_eq!(values[0], 0.5);
        assert!(values.iter().all(|v| (0.1..=0.7).contains(v)));
        // With step 0.2 on a 0.6-wide band the walk really moves.
        assert!(values.windows(2).filter(|w| w[0] != w[1]).count() > 1000);
        // Piecewise constant, indexed from the VM's start.
        assert_eq!(a.at(start + 299_999), values[0]);
        assert_eq!(a.at(start + 300_000), values[1]);
        assert_eq!(a.at(end + 10 * HOUR), values[1200]);
        for t in (start..end).step_by(420_000) {
            assert!((0.1..=0.7).contains(&a.at(t)));
        }
    }

    #[test]
    fn reflection_folds_overshoot_back() {
        // 0.8 overshoots 0.7 by 0.1 → 0.6; 0.0 undershoots 0.1 by 0.1 → 0.2.
        assert!((reflect(0.8, 0.1, 0.7) - 0.6).abs() < 1e-12);
        assert!((reflect(0.0, 0.1, 0.7) - 0.2).abs() < 1e-12);
        // 1.4 is 1.3 past min on a 0.6 band: 1.3 mod 1.2 = 0.1 → 0.2.
        assert!((reflect(1.4, 0.1, 0.7) - 0.2).abs() < 1e-12);
        assert_eq!(reflect(0.9, 0.4, 0.4), 0.4);
    }

    #[test]
    fn on_off_uses_two_levels_and_matches_the_expected_on_fraction() {
        let (mean_on, mean_off) = (600.0, 1800.0);
        let spec = PatternSpec::OnOff {
            on_level: 0.9,
            off_level: 0.1,
            mean_on_s: mean_on,
            mean_off_s: mean_off,
        };
        // 100 000 mean cycles of 2400 s each.
        let start = 5 * SECOND;
        let end = start + 100_000 * 2_400 * SECOND;
        let d = spec.instantiate(start, end, &mut rng());
        let Demand::Switching { toggles, .. } = &d else {
            panic!("on/off should give switching, got {d:?}")
        };
        assert!(toggles.windows(2).all(|w| w[0] < w[1]));
        assert!(toggles.iter().all(|&t| t > start && t <= end));
        assert_eq!(d.at(start), 0.9);
        assert_eq!(d.at(toggles[0] - 1), 0.9);
        assert_eq!(d.at(toggles[0]), 0.1);
        assert_eq!(d.at(toggles[1]), 0.9);
        // Exact on-time over [start, end): on before even-indexed switches.
        let mut edges = vec![start];
        edges.extend(toggles);
        edges.push(end);
        let on: u64 = edges.windows(2).step_by(2).map(|w| w[1] - w[0]).sum();
        let fraction = on as f64 / (end - start) as f64;
        // Expected 600 / (600 + 1800) = 0.25; standard error ≈ 0.0008, tolerance 3% = 0.0075.
        let expected = mean_on / (mean_on + mean_off);
        assert!(
            (fraction - expected).abs() <= 0.03 * expected,
            "on fraction {fraction}"
        );
        // Sampling `at` on a grid sees only the two levels and about the same fraction.
        let samples: Vec<f64> = (start..end).step_by(997_000).map(|t| d.at(t)).collect();
        assert!(samples.iter().all(|&v| v == 0.9 || v == 0.1));
        let seen = samples.iter().filter(|&&v| v == 0.9).count() as f64 / samples.len() as f64;
        assert!((seen - expected).abs() <= 0.03 * expected, "sampled {seen}");
    }

    #[test]
    fn trace_demand_follows_the_series() {
        let s = Arc::new(SampledSeries::new(300_000, vec![0.2, 0.5]));
        let d = Demand::Trace(s);
        assert_eq!(d.at(0), 0.2);
        // Halfway between 0.2 and 0.5.
        assert!((d.at(150_000) - 0.35).abs() < 1e-12);
    }

    #[test]
    fn validation_reports_bad_ranges() {
        assert!(PatternSpec::Constant { level: 1.5 }.validate().is_err());
        assert!(walk().validate().is_ok());
        let bad = PatternSpec::RandomWalk {
            start: 0.9,
            step: 0.1,
            min: 0.1,
            max: 0.7,
            interval_s: 300.0,
        };
        assert!(bad.validate().unwrap_err().contains("start"));
        let bad = PatternSpec::OnOff {
            on_level: 1.0,
            off_level: 0.0,
            mean_on_s: 0.0,
            mean_off_s: 10.0,
        };
        assert!(bad.validate().unwrap_err().contains("mean_on_s"));
    }

    #[test]
    fn deserialises_from_toml_with_defaults_and_rejects_unknown_keys() {
        let d: PatternSpec =
            toml::from_str("pattern = \"diurnal\"\nmean = 0.5\namplitude = 0.2").unwrap();
        assert_eq!(
            d,
            PatternSpec::Diurnal {
                mean: 0.5,
                amplitude: 0.2,
                peak_hour: 14.0,
                period_h: 24.0
            }
        );
        let w: PatternSpec =
            toml::from_str("pattern = \"random-walk\"\nstart = 0.3\nstep = 0.05").unwrap();
        assert_eq!(
            w,
            PatternSpec::RandomWalk {
                start: 0.3,
                step: 0.05,
                min: 0.0,
                max: 1.0,
                interval_s: 300.0
            }
        );
        // Integers are accepted where floats are expected.
        let c: PatternSpec = toml::from_str("pattern = \"constant\"\nlevel = 1").unwrap();
        assert_eq!(c, PatternSpec::Constant { level: 1.0 });
        let o: PatternSpec = toml::from_str(
            "pattern = \"on-off\"\non_level = 0.8\noff_level = 0.1\nmean_on_s = 60\nmean_off_s = 120",
        )
        .unwrap();
        assert!(matches!(o, PatternSpec::OnOff { .. }));
        let e = toml::from_str::<PatternSpec>("pattern = \"constant\"\nlevel = 0.5\nlevl = 1")
            .unwrap_err();
        assert!(e.to_string().contains("levl"), "{e}");
    }
}
