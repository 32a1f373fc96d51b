//! When VMs arrive (arrival processes) and how long they run (lifetime distributions).

use rand::Rng as _;
use rand_distr::{Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::time::{from_secs, Millis};

/// How VM arrivals are spread over time, as written in a scenario file (`process = "poisson"`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "process", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ArrivalSpec {
    /// Poisson process: exponential gaps with mean 3600 / `rate_per_hour` seconds, the first
    /// one counted from `start_s`.
    Poisson {
        /// Mean arrivals per hour (≥ 0; 0 means none).
        rate_per_hour: f64,
        /// Time of the process start in seconds (default 0).
        #[serde(default)]
        start_s: f64,
    },
    /// One arrival every `interval_s`, the first at `start_s`.
    Fixed {
        /// Seconds between arrivals (≥ 0.001).
        interval_s: f64,
        /// Time of the first arrival in seconds (default 0).
        #[serde(default)]
        start_s: f64,
    },
    /// All VMs at once, at `at_s`.
    Batch {
        /// Arrival time in seconds (default 0).
        #[serde(default)]
        at_s: f64,
    },
}

fn non_negative(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be a number ≥ 0, found {v}"))
    }
}

fn positive(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be a number > 0, found {v}"))
    }
}

impl ArrivalSpec {
    /// Checks parameter ranges; Err(message) says what is wrong (the caller adds file/key
    /// location).
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            ArrivalSpec::Poisson {
                rate_per_hour,
                start_s,
            } => {
                non_negative("rate_per_hour", rate_per_hour)?;
                non_negative("start_s", start_s)
            }
            ArrivalSpec::Fixed {
                interval_s,
                start_s,
            } => {
                if !(interval_s.is_finite() && interval_s >= 0.001) {
                    return Err(format!(
                        "`interval_s` must be at least 0.001 s, found {interval_s}"
                    ));
                }
                non_negative("start_s", start_s)
            }
            ArrivalSpec::Batch { at_s } => non_negative("at_s", at_s),
        }
    }

    /// Arrival times in [0, horizon), at most `max_count` of them (Batch: exactly `max_count` at
    /// `at_s`, or none if `at_s` is at or beyond the horizon), ascending.
    pub fn times(&self, horizon: Millis, max_count: usize, rng: &mut Rng) -> Vec<Millis> {
        let mut out = Vec::new();
        if max_count == 0 {
            return out;
        }
        match *self {
            ArrivalSpec::Poisson {
                rate_per_hour,
                start_s,
            } => {
                if !(rate_per_hour.is_finite() && rate_per_hour > 0.0) {
                    return out;
                }
                let mean_gap_s = 3600.0 / rate_per_hour;
                // Accumulate in seconds and round each arrival, so rounding never drifts.
                let mut t_s = start_s;
                while out.len() < max_count {
                    let e: f64 = rng.sample(Exp1);
                    t_s += e * mean_gap_s;
                    let t = from_secs(t_s);
                    if t >= horizon {
                        break;
                    }
                    out.push(t);
                }
            }
            ArrivalSpec::Fixed {
                interval_s,
                start_s,
            } => {
                if !(interval_s.is_finite() && interval_s > 0.0) {
                    return out;
                }
                for k in 0..max_count {
                    let t = from_secs(start_s + k as f64 * interval_s);
                    if t >= horizon {
                        break;
                    }
                    out.push(t);
                }
            }
            ArrivalSpec::Batch { at_s } => {
                let t = from_secs(at_s);
                if t < horizon {
                    out.resize(max_count, t);
                }
            }
        }
        out
    }
}

/// How long a VM runs once started, as written in a scenario file (`dist = "exponential"`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "dist",
    rename_all = "kebab-case",
    deny_unknown_fields,
    from = "LifetimeRepr"
)]
pub enum LifetimeSpec {
    /// Runs until the end of the simulation.
    #[default]
    Forever,
    /// Exactly `s` seconds.
    Fixed {
        /// Lifetime in seconds (> 0).
        s: f64,
    },
    /// Exponentially distributed with mean `mean_s` seconds.
    Exponential {
        /// Mean lifetime in seconds (> 0).
        mean_s: f64,
    },
    /// Uniform between `min_s` and `max_s` seconds.
    Uniform {
        /// Shortest lifetime in seconds (≥ 0).
        min_s: f64,
        /// Longest lifetime in seconds (≥ `min_s`, > 0).
        max_s: f64,
    },
    /// Log-normal: `median_s` · exp(`sigma` · N(0, 1)) seconds.
    LogNormal {
        /// Median lifetime in seconds (> 0).
        median_s: f64,
        /// Standard deviation of the log lifetime (≥ 0).
        sigma: f64,
    },
}

/// Deserialisation form of [`LifetimeSpec`]: serde ignores extra keys next to the tag of a unit
/// variant, so `forever` is read as an empty struct variant to reject them too.
#[derive(Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
enum LifetimeRepr {
    Forever {},
    Fixed { s: f64 },
    Exponential { mean_s: f64 },
    Uniform { min_s: f64, max_s: f64 },
    LogNormal { median_s: f64, sigma: f64 },
}

impl From<LifetimeRepr> for LifetimeSpec {
    fn from(r: LifetimeRepr) -> Self {
        match r {
            LifetimeRepr::Forever {} => LifetimeSpec::Forever,
            LifetimeRepr::Fixed { s } => LifetimeSpec::Fixed { s },
            LifetimeRepr::Exponential { mean_s } => LifetimeSpec::Exponential { mean_s },
            LifetimeRepr::Uniform { min_s, max_s } => LifetimeSpec::Uniform { min_s, max_s },
            LifetimeRepr::LogNormal { median_s, sigma } => {
                LifetimeSpec::LogNormal { median_s, sigma }
            }
        }
    }
}

impl LifetimeSpec {
    /// Checks parameter ranges; Err(message) says what is wrong (the caller adds file/key
    /// location).
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            LifetimeSpec::Forever => Ok(()),
            LifetimeSpec::Fixed { s } => positive("s", s),
            LifetimeSpec::Exponential { mean_s } => positive("mean_s", mean_s),
            LifetimeSpec::Uniform { min_s, max_s } => {
                non_negative("min_s", min_s)?;
                positive("max_s", max_s)?;
                if min_s > max_s {
                    return Err(format!(
                        "`min_s` ({min_s}) must not exceed `max_s` ({max_s})"
                    ));
                }
                Ok(())
            }
            LifetimeSpec::LogNormal { median_s, sigma } => {
                positive("median_s", median_s)?;
                non_negative("sigma", sigma)
            }
        }
    }

    /// Draws one lifetime (at least 1 ms); None = runs until the end.
    pub fn sample(&self, rng: &mut Rng) -> Option<Millis> {
        let secs = match *self {
            LifetimeSpec::Forever => return None,
            LifetimeSpec::Fixed { s } => s,
            LifetimeSpec::Exponential { mean_s } => {
                let e: f64 = rng.sample(Exp1);
                e * mean_s
            }
            LifetimeSpec::Uniform { min_s, max_s } => min_s + (max_s - min_s) * rng.random::<f64>(),
            LifetimeSpec::LogNormal { median_s, sigma } => {
                let z: f64 = rng.sample(StandardNormal);
                median_s * (sigma * z).exp()
            }
        };
        Some(from_secs(secs).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;
    use crate::time::{to_secs, HOUR, SECOND};

    fn rng() -> Rng {
        RngStreams::new(1).stream("t", 0)
    }

    #[test]
    fn poisson_count_matches_rate_times_horizon() {
        let spec = ArrivalSpec::Poisson {
            rate_per_hour: 120.0,
            start_s: 0.0,
        };
        let horizon = 1_000 * HOUR;
        let t = spec.times(horizon, usize::MAX, &mut rng());
        // Expected count 120/h · 1000 h = 120 000, standard deviation √120 000 ≈ 346.
        let (mean, sd) = (120_000.0, 120_000f64.sqrt());
        assert!(
            (t.len() as f64 - mean).abs() < 4.0 * sd,
            "{} arrivals",
            t.len()
        );
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(t.iter().all(|&x| x < horizon));
        assert_eq!(t, spec.times(horizon, usize::MAX, &mut rng()));
    }

    #[test]
    fn poisson_respects_start_and_max_count() {
        let spec = ArrivalSpec::Poisson {
            rate_per_hour: 60.0,
            start_s: 7_200.0,
        };
        let t = spec.times(100 * HOUR, 10, &mut rng());
        assert_eq!(t.len(), 10);
        assert!(t[0] >= 2 * HOUR);
        let none = ArrivalSpec::Poisson {
            rate_per_hour: 0.0,
            start_s: 0.0,
        };
        assert!(none.times(HOUR, 10, &mut rng()).is_empty());
    }

    #[test]
    fn fixed_arrivals_are_exact() {
        let spec = ArrivalSpec::Fixed {
            interval_s: 90.5,
            start_s: 10.0,
        };
        // 10 s, 100.5 s, 191 s, 281.5 s; 372 s is past the 300 s horizon.
        assert_eq!(
            spec.times(300 * SECOND, 100, &mut rng()),
            [10_000, 100_500, 191_000, 281_500]
        );
        // Capped by max_count.
        assert_eq!(spec.times(300 * SECOND, 2, &mut rng()), [10_000, 100_500]);
    }

    #[test]
    fn batch_puts_everything_at_one_time() {
        let spec = ArrivalSpec::Batch { at_s: 60.0 };
        assert_eq!(spec.times(HOUR, 3, &mut rng()), [60_000; 3]);
        // At or beyond the horizon there are no arrivals.
        assert!(spec.times(60 * SECOND, 3, &mut rng()).is_empty());
    }

    #[test]
    fn validation_reports_bad_ranges() {
        assert!(ArrivalSpec::Poisson {
            rate_per_hour: -1.0,
            start_s: 0.0
        }
        .validate()
        .unwrap_err()
        .contains("rate_per_hour"));
        assert!(ArrivalSpec::Fixed {
            interval_s: 0.0,
            start_s: 0.0
        }
        .validate()
        .is_err());
        assert!(LifetimeSpec::Uniform {
            min_s: 5.0,
            max_s: 1.0
        }
        .validate()
        .is_err());
        assert!(LifetimeSpec::Exponential { mean_s: f64::NAN }
            .validate()
            .is_err());
        assert!(LifetimeSpec::default().validate().is_ok());
    }

    /// Mean of `n` lifetimes in seconds.
    fn mean_secs(spec: &LifetimeSpec, n: usize) -> f64 {
        let mut r = rng();
        (0..n)
            .map(|_| to_secs(spec.sample(&mut r).unwrap()))
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn lifetime_sample_means_match_closed_forms() {
        const N: usize = 100_000;
        let n = N as f64;
        assert_eq!(LifetimeSpec::Forever.sample(&mut rng()), None);
        assert_eq!(LifetimeSpec::default(), LifetimeSpec::Forever);
        assert_eq!(
            LifetimeSpec::Fixed { s: 12.5 }.sample(&mut rng()),
            Some(12_500)
        );
        // Exponential: mean 600 s, standard deviation 600 s, standard error 600/√N ≈ 1.9 s.
        let m = mean_secs(&LifetimeSpec::Exponential { mean_s: 600.0 }, N);
        assert!((m - 600.0).abs() < 4.0 * 600.0 / n.sqrt(), "exp mean {m}");
        // Uniform [100, 300]: mean 200, sd 200/√12 ≈ 57.7.
        let m = mean_secs(
            &LifetimeSpec::Uniform {
                min_s: 100.0,
                max_s: 300.0,
            },
            N,
        );
        assert!(
            (m - 200.0).abs() < 4.0 * (200.0 / 12f64.sqrt()) / n.sqrt(),
            "uniform mean {m}"
        );
        // Log-normal, median 100, σ = 0.5: mean = 100·e^{σ²/2} = 100·e^{0.125} ≈ 113.31,
        // variance = (e^{σ²} − 1)·100²·e^{σ²}, sd ≈ 60.4.
        let (median, sigma) = (100.0f64, 0.5f64);
        let expected = median * (sigma * sigma / 2.0).exp();
        let sd = (((sigma * sigma).exp() - 1.0) * median * median * (sigma * sigma).exp()).sqrt();
        let m = mean_secs(
            &LifetimeSpec::LogNormal {
                median_s: median,
                sigma,
            },
            N,
        );
        assert!(
            (m - expected).abs() < 4.0 * sd / n.sqrt(),
            "log-normal mean {m}, expected {expected}"
        );
    }

    #[test]
    fn deserialises_from_toml_and_rejects_unknown_keys() {
        let a: ArrivalSpec = toml::from_str("process = \"poisson\"\nrate_per_hour = 12").unwrap();
        assert_eq!(
            a,
            ArrivalSpec::Poisson {
                rate_per_hour: 12.0,
                start_s: 0.0
            }
        );
        let f: ArrivalSpec =
            toml::from_str("process = \"fixed\"\ninterval_s = 30\nstart_s = 5.5").unwrap();
        assert_eq!(
            f,
            ArrivalSpec::Fixed {
                interval_s: 30.0,
                start_s: 5.5
            }
        );
        let b: ArrivalSpec = toml::from_str("process = \"batch\"").unwrap();
        assert_eq!(b, ArrivalSpec::Batch { at_s: 0.0 });
        let e = toml::from_str::<ArrivalSpec>("process = \"batch\"\nat = 3").unwrap_err();
        assert!(e.to_string().contains("at"), "{e}");

        let l: LifetimeSpec =
            toml::from_str("dist = \"log-normal\"\nmedian_s = 3600\nsigma = 1.2").unwrap();
        assert_eq!(
            l,
            LifetimeSpec::LogNormal {
                median_s: 3600.0,
                sigma: 1.2
            }
        );
        let l: LifetimeSpec = toml::from_str("dist = \"forever\"").unwrap();
        assert_eq!(l, LifetimeSpec::Forever);
        let l: LifetimeSpec = toml::from_str("dist = \"uniform\"\nmin_s = 1\nmax_s = 2").unwrap();
        assert_eq!(
            l,
            LifetimeSpec::Uniform {
                min_s: 1.0,
                max_s: 2.0
            }
        );
        assert!(toml::from_str::<LifetimeSpec>("dist = \"fixed\"\ns = 1\nmean_s = 2").is_err());
        assert!(toml::from_str::<LifetimeSpec>("dist = \"forever\"\ns = 1").is_err());
        assert!(toml::from_str::<LifetimeSpec>("dist = \"gamma\"").is_err());
        // Serialises back to the same tagged form.
        let text = toml::to_string(&LifetimeSpec::Forever).unwrap();
        assert_eq!(
            toml::from_str::<LifetimeSpec>(&text).unwrap(),
            LifetimeSpec::Forever
        );
    }
}
