//! Request arrivals at a service: a rate over time (constant, diurnal, flash crowd or a recorded
//! trace) and Poisson counts drawn from it.
//!
//! A scenario writes a [`RequestSpec`] (`kind = "diurnal"`, …); [`RequestSpec::load`] turns it
//! into a [`RequestRate`] (reading the trace file, if any), whose [`RequestRate::rate_at`] is the
//! rate λ(t) in requests per second. Arrivals in `[t0, t1)` form a non-homogeneous Poisson
//! process, so their count is Poisson with mean `∫ λ(t) dt` over the window:
//! [`RequestRate::arrivals`] computes that integral exactly (closed forms for the formulas, a step
//! sum for traces) and draws one count with `rand_distr::Poisson` (exact at any mean: inversion
//! for small means, Hörmann's PTRS rejection for large ones; no normal approximation).

use std::path::{Path, PathBuf};

use rand::Rng as _;
use rand_distr::Poisson;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::rng::Rng;
use crate::time::{to_secs, Millis};

fn day() -> f64 {
    86_400.0
}

/// How requests arrive at a service, as written in a scenario file (`kind = "poisson"`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RequestSpec {
    /// A constant rate.
    Poisson {
        /// Requests per second (≥ 0).
        rate_per_s: f64,
    },
    /// A daily cycle ([`Diurnal`]).
    Diurnal(Diurnal),
    /// A flash crowd ([`FlashCrowd`]).
    FlashCrowd(FlashCrowd),
    /// A recorded rate: a CSV file with one rate (requests per second, ≥ 0) per row, each held
    /// for `interval_s`; after the last row the last rate is held.
    Trace {
        /// The CSV file, relative to the scenario file's directory.
        file: PathBuf,
        /// The header of the column to read; without it the file must have a single column
        /// (a header line is then optional).
        #[serde(default)]
        column: Option<String>,
        /// Seconds each row lasts (> 0, whole milliseconds).
        interval_s: f64,
    },
}

/// A daily cycle: `mean_per_s · (1 + amplitude · cos(2π(t − peak_at_s)/period_s))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diurnal {
    /// Mean requests per second over a period (≥ 0).
    pub mean_per_s: f64,
    /// Swing as a fraction of the mean (0 to 1; the rate never goes negative).
    pub amplitude: f64,
    /// Length of the cycle in seconds (> 0, default 86 400).
    #[serde(default = "day")]
    pub period_s: f64,
    /// Time of the peak in seconds (≥ 0, e.g. 50 400 for 14:00).
    pub peak_at_s: f64,
}

impl Diurnal {
    fn validate(&self) -> Result<(), String> {
        non_negative("mean_per_s", self.mean_per_s)?;
        if !(0.0..=1.0).contains(&self.amplitude) {
            return Err(format!(
                "`amplitude` is a fraction of the mean from 0 to 1, found {}",
                self.amplitude
            ));
        }
        if !(self.period_s.is_finite() && self.period_s > 0.0) {
            return Err(format!(
                "`period_s` must be a number > 0 (86400 for a day), found {}",
                self.period_s
            ));
        }
        non_negative("peak_at_s", self.peak_at_s)
    }

    /// The rate at `s` seconds.
    fn rate_at(&self, s: f64) -> f64 {
        let phase = std::f64::consts::TAU * (s - self.peak_at_s) / self.period_s;
        self.mean_per_s * (1.0 + self.amplitude * phase.cos())
    }

    /// `∫ rate` over `[a, b)` seconds.
    fn integral(&self, a: f64, b: f64) -> f64 {
        let w = std::f64::consts::TAU / self.period_s;
        let sin = |x: f64| (w * (x - self.peak_at_s)).sin();
        self.mean_per_s * ((b - a) + self.amplitude / w * (sin(b) - sin(a)))
    }
}

/// A flash crowd: `base_per_s`, rising linearly from `start_s` over `ramp_s` to `peak_per_s`,
/// held for `hold_s`, falling linearly over `decay_s` back to `base_per_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlashCrowd {
    /// Requests per second outside the crowd (≥ 0).
    pub base_per_s: f64,
    /// Requests per second at the top of the crowd (≥ 0).
    pub peak_per_s: f64,
    /// When the ramp starts, in seconds (≥ 0).
    pub start_s: f64,
    /// Ramp-up length in seconds (≥ 0; 0 is a step).
    pub ramp_s: f64,
    /// Time at the peak in seconds (≥ 0).
    pub hold_s: f64,
    /// Ramp-down length in seconds (≥ 0; 0 is a step).
    pub decay_s: f64,
}

impl FlashCrowd {
    fn validate(&self) -> Result<(), String> {
        non_negative("base_per_s", self.base_per_s)?;
        non_negative("peak_per_s", self.peak_per_s)?;
        non_negative("start_s", self.start_s)?;
        non_negative("ramp_s", self.ramp_s)?;
        non_negative("hold_s", self.hold_s)?;
        non_negative("decay_s", self.decay_s)
    }

    /// The linear pieces `(t0, t1, rate at t0, rate at t1)` in seconds; the rate is
    /// `base_per_s` outside them.
    fn pieces(&self) -> [(f64, f64, f64, f64); 3] {
        let (base, peak) = (self.base_per_s, self.peak_per_s);
        let up = self.start_s + self.ramp_s;
        let down = up + self.hold_s;
        [
            (self.start_s, up, base, peak),
            (up, down, peak, peak),
            (down, down + self.decay_s, peak, base),
        ]
    }

    /// The rate at `s` seconds.
    fn rate_at(&self, s: f64) -> f64 {
        self.pieces()
            .into_iter()
            .find(|&(a, b, _, _)| a <= s && s < b)
            .map_or(self.base_per_s, |(a, b, ya, yb)| {
                ya + (yb - ya) * (s - a) / (b - a)
            })
    }

    /// `∫ rate` over `[a, b)` seconds: the base plus each piece's excess (trapezoids).
    fn integral(&self, a: f64, b: f64) -> f64 {
        let base = self.base_per_s;
        let excess: f64 = self
            .pieces()
            .into_iter()
            .filter(|&(x0, x1, _, _)| x1 > x0)
            .map(|(x0, x1, y0, y1)| {
                let (lo, hi) = (a.max(x0), b.min(x1));
                if hi <= lo {
                    return 0.0;
                }
                let y = |x: f64| y0 + (y1 - y0) * (x - x0) / (x1 - x0) - base;
                0.5 * (y(lo) + y(hi)) * (hi - lo)
            })
            .sum();
        base * (b - a) + excess
    }
}

fn non_negative(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be a number ≥ 0, found {v}"))
    }
}

impl RequestSpec {
    /// Checks parameter ranges; Err(message) says what is wrong (the caller adds file/key
    /// location).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            RequestSpec::Poisson { rate_per_s } => non_negative("rate_per_s", *rate_per_s),
            RequestSpec::Diurnal(d) => d.validate(),
            RequestSpec::FlashCrowd(f) => f.validate(),
            RequestSpec::Trace {
                file,
                column,
                interval_s,
            } => {
                if file.as_os_str().is_empty() {
                    return Err("`file` must name a CSV file of rates".into());
                }
                if column.as_deref().is_some_and(|c| c.trim().is_empty()) {
                    return Err(
                        "`column` must name a header of the CSV file, or be left out \
                                for a single-column file"
                            .into(),
                    );
                }
                trace_interval(*interval_s).map(|_| ())
            }
        }
    }

    /// The rate this spec describes, reading the trace file (relative to `base_dir`, the
    /// scenario file's directory) for `trace`. Errors: the spec is invalid (file `base_dir`, the
    /// message of [`RequestSpec::validate`]) or the trace is unreadable or malformed (file, line
    /// and fix).
    pub fn load(&self, base_dir: &Path) -> Result<RequestRate, InputError> {
        self.validate().map_err(|m| {
            InputError::file(base_dir, m).hint("fix the request generator of the service")
        })?;
        Ok(match self {
            RequestSpec::Poisson { rate_per_s } => RequestRate::Constant {
                rate_per_s: *rate_per_s,
            },
            RequestSpec::Diurnal(d) => RequestRate::Diurnal(*d),
            RequestSpec::FlashCrowd(f) => RequestRate::FlashCrowd(*f),
            RequestSpec::Trace {
                file,
                column,
                interval_s,
            } => {
                let path = base_dir.join(file);
                let text = crate::input::read_text(
                    &path,
                    "request trace",
                    crate::input::MAX_TRACE_BYTES,
                    "`file` is relative to the scenario file's directory; check that it exists \
                     and is readable",
                )?;
                RequestRate::Steps {
                    interval: trace_interval(*interval_s).unwrap_or(1),
                    rates: parse_rates(&path, &text, column.as_deref())?,
                }
            }
        })
    }
}

/// `interval_s` as whole milliseconds > 0.
fn trace_interval(interval_s: f64) -> Result<Millis, String> {
    let ms = interval_s * 1000.0;
    if interval_s.is_finite() && ms >= 1.0 && (ms - ms.round()).abs() <= 1e-6 * ms {
        Ok(ms.round() as Millis)
    } else {
        Err(format!(
            "`interval_s` must be > 0 and a whole number of milliseconds, found {interval_s}"
        ))
    }
}

const TRACE_FORMAT: &str =
    "write one rate in requests per second (a number ≥ 0) per row, optionally under a header";

/// Parses a CSV of rates read from `path` (named in errors): the column headed `column`, or
/// the only column. Blank lines are skipped.
pub fn parse_rates(path: &Path, text: &str, column: Option<&str>) -> Result<Vec<f64>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut index = None;
    let mut rates = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(1, |p| p.line() as usize);
            InputError::file(path, e.to_string())
                .at(line, None)
                .hint(TRACE_FORMAT)
        })?;
        let line = record.position().map_or(row + 1, |p| p.line() as usize);
        let err = |m: String| InputError::file(path, m).at(line, None);
        let col = match index {
            Some(i) => i,
            None => {
                let found = match column {
                    Some(name) => record.iter().position(|h| h == name).ok_or_else(|| {
                        err(format!(
                            "no column `{name}` in the header `{}`",
                            record.iter().collect::<Vec<_>>().join(",")
                        ))
                        .hint("the first row must be a header naming the `column` of the spec")
                    })?,
                    None if record.len() > 1 => {
                        return Err(err(format!("the trace has {} columns", record.len()))
                            .hint("name the one to read with `column = \"HEADER\"`"))
                    }
                    None => 0,
                };
                index = Some(found);
                // A header row (always with `column`, else a first row that is not a number).
                if column.is_some() || record[0].parse::<f64>().is_err() {
                    continue;
                }
                found
            }
        };
        let word = record.get(col).unwrap_or("");
        let rate: f64 = word
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| {
                let shown: String = word.chars().take(40).collect();
                err(format!(
                    "expected a rate in requests per second (a number ≥ 0) in column {}, \
                     found `{shown}`",
                    col + 1
                ))
                .hint(TRACE_FORMAT)
            })?;
        rates.push(rate);
    }
    if rates.is_empty() {
        return Err(InputError::file(path, "the request trace holds no rates")
            .at(1, None)
            .hint(TRACE_FORMAT));
    }
    Ok(rates)
}

/// A request rate over time, ready to evaluate (from [`RequestSpec::load`]); times are
/// simulation [`Millis`], rates requests per second.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestRate {
    /// A constant rate.
    Constant {
        /// Requests per second.
        rate_per_s: f64,
    },
    /// A daily cycle.
    Diurnal(Diurnal),
    /// A flash crowd.
    FlashCrowd(FlashCrowd),
    /// A step-held trace: `rates[k]` over `[k·interval, (k+1)·interval)`, the last held after.
    Steps {
        /// Length of each step.
        interval: Millis,
        /// Requests per second of each step (at least one).
        rates: Vec<f64>,
    },
}

impl RequestRate {
    /// The rate at `t`, requests per second.
    pub fn rate_at(&self, t: Millis) -> f64 {
        let s = to_secs(t);
        match self {
            RequestRate::Constant { rate_per_s } => *rate_per_s,
            RequestRate::Diurnal(d) => d.rate_at(s),
            RequestRate::FlashCrowd(f) => f.rate_at(s),
            RequestRate::Steps { interval, rates } => {
                rates[((t / interval) as usize).min(rates.len() - 1)]
            }
        }
    }

    /// The expected number of requests in `[t0, t1)`: `∫ rate` exactly (0 when `t1 ≤ t0`).
    pub fn expected_arrivals(&self, t0: Millis, t1: Millis) -> f64 {
        if t1 <= t0 {
            return 0.0;
        }
        let (a, b) = (to_secs(t0), to_secs(t1));
        match self {
            RequestRate::Constant { rate_per_s } => rate_per_s * (b - a),
            RequestRate::Diurnal(d) => d.integral(a, b),
            RequestRate::FlashCrowd(f) => f.integral(a, b),
            RequestRate::Steps { interval, rates } => {
                // The last step lasts forever.
                let last = rates.len() as u64 - 1;
                let (mut total, mut t) = (0.0, t0);
                while t < t1 {
                    let k = (t / interval).min(last);
                    let end = if k == last {
                        t1
                    } else {
                        t1.min((k + 1) * interval)
                    };
                    total += rates[k as usize] * to_secs(end - t);
                    t = end;
                }
                total
            }
        }
    }

    /// The mean rate over `[t0, t1)`, requests per second: the integral over the length (the
    /// rate at `t0` when `t1 ≤ t0`).
    pub fn mean_rate(&self, t0: Millis, t1: Millis) -> f64 {
        if t1 <= t0 {
            return self.rate_at(t0);
        }
        self.expected_arrivals(t0, t1) / to_secs(t1 - t0)
    }

    /// The number of requests arriving in `[t0, t1)`: one Poisson draw with mean
    /// [`RequestRate::expected_arrivals`] (means above `Poisson::MAX_LAMBDA` ≈ 1.8e19 are
    /// clamped to it).
    pub fn arrivals(&self, t0: Millis, t1: Millis, rng: &mut Rng) -> u64 {
        poisson_count(self.expected_arrivals(t0, t1), rng)
    }
}

/// One Poisson draw with mean `mean` (0 when the mean is not positive).
fn poisson_count(mean: f64, rng: &mut Rng) -> u64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    let lambda = mean.min(Poisson::<f64>::MAX_LAMBDA);
    Poisson::new(lambda).map_or(0, |d| rng.sample(d) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;
    use crate::time::SECOND;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn load(spec: &RequestSpec) -> RequestRate {
        spec.load(Path::new(".")).unwrap()
    }

    fn crowd() -> RequestRate {
        load(&RequestSpec::FlashCrowd(FlashCrowd {
            base_per_s: 2.0,
            peak_per_s: 10.0,
            start_s: 20.0,
            ramp_s: 10.0,
            hold_s: 20.0,
            decay_s: 30.0,
        }))
    }

    #[test]
    fn constant_rate_integral() {
        let r = load(&RequestSpec::Poisson { rate_per_s: 12.5 });
        assert_eq!(r.rate_at(5 * SECOND), 12.5);
        assert!(close(r.expected_arrivals(1_000, 61_000), 750.0));
        assert!(close(r.mean_rate(1_000, 61_000), 12.5));
        assert_eq!(r.expected_arrivals(5_000, 5_000), 0.0);
    }

    #[test]
    fn diurnal_rate_and_integral_in_closed_form() {
        let r = load(&RequestSpec::Diurnal(Diurnal {
            mean_per_s: 100.0,
            amplitude: 0.5,
            period_s: 86_400.0,
            peak_at_s: 50_400.0,
        }));
        assert!(close(r.rate_at(50_400 * SECOND), 150.0));
        assert!(close(r.rate_at(93_600 * SECOND), 50.0));
        assert!(close(r.rate_at(72_000 * SECOND), 100.0));
        // 08:00 to 20:00, centred on the 14:00 peak: 100·43 200 + 100·0.5·(86 400/2π)·2
        // = 4 320 000 + 4 320 000/π.
        let expected = 4_320_000.0 + 4_320_000.0 / std::f64::consts::PI;
        assert!(close(
            r.expected_arrivals(28_800 * SECOND, 72_000 * SECOND),
            expected
        ));
        assert!(close(
            r.mean_rate(28_800 * SECOND, 72_000 * SECOND),
            expected / 43_200.0
        ));
        // Any whole period averages to the mean.
        assert!(close(r.mean_rate(1_000 * SECOND, 87_400 * SECOND), 100.0));
    }

    #[test]
    fn flash_crowd_is_piecewise_linear() {
        let r = crowd();
        assert_eq!(r.rate_at(19_999), 2.0);
        assert!(close(r.rate_at(25 * SECOND), 6.0));
        assert!(close(r.rate_at(40 * SECOND), 10.0));
        // Decay from 10 at 50 s to 2 at 80 s: at 55 s, 10 − 8·5/30.
        assert!(close(r.rate_at(55 * SECOND), 10.0 - 8.0 / 6.0));
        assert_eq!(r.rate_at(80 * SECOND), 2.0);
        // Base 2·100 plus the excess 8 over a trapezoid: ramp 40 + hold 160 + decay 120.
        assert!(close(r.expected_arrivals(0, 100 * SECOND), 520.0));
        // [25, 65): 5 s at mean 8, 20 s at 10, 15 s at mean 8.
        assert!(close(r.expected_arrivals(25 * SECOND, 65 * SECOND), 360.0));
        // Zero-length ramps are steps.
        let step = load(&RequestSpec::FlashCrowd(FlashCrowd {
            base_per_s: 1.0,
            peak_per_s: 5.0,
            start_s: 10.0,
            ramp_s: 0.0,
            hold_s: 5.0,
            decay_s: 0.0,
        }));
        assert_eq!(step.rate_at(9_999), 1.0);
        assert_eq!(step.rate_at(10_000), 5.0);
        assert_eq!(step.rate_at(15_000), 1.0);
        assert!(close(step.expected_arrivals(0, 20 * SECOND), 40.0));
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }

    fn trace(file: &str, column: Option<&str>) -> RequestSpec {
        RequestSpec::Trace {
            file: file.into(),
            column: column.map(str::to_owned),
            interval_s: 60.0,
        }
    }

    #[test]
    fn trace_steps_are_held_and_integrated_exactly() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir, "rates.csv", "rate\n5\n10\n\n20\n");
        write(&dir, "two.csv", "time,rps\n0,1.5\n60,2.5\n");
        let r = trace("rates.csv", None).load(dir.path()).unwrap();
        assert_eq!(
            r,
            RequestRate::Steps {
                interval: 60 * SECOND,
                rates: vec![5.0, 10.0, 20.0]
            }
        );
        assert_eq!(r.rate_at(59_999), 5.0);
        assert_eq!(r.rate_at(60_000), 10.0);
        assert_eq!(r.rate_at(10_000 * SECOND), 20.0);
        // [30 s, 150 s): 30 s at 5, 60 s at 10, 30 s at 20 → 1350 over 120 s.
        assert!(close(
            r.expected_arrivals(30 * SECOND, 150 * SECOND),
            1_350.0
        ));
        assert!(close(r.mean_rate(30 * SECOND, 150 * SECOND), 11.25));
        // Past the end the last rate holds.
        assert!(close(
            r.expected_arrivals(500 * SECOND, 600 * SECOND),
            2_000.0
        ));
        let r = trace("two.csv", Some("rps")).load(dir.path()).unwrap();
        assert!(close(r.expected_arrivals(0, 120 * SECOND), 240.0));
        // No header is needed for a single column.
        write(&dir, "bare.csv", "3\n4\n");
        let r = trace("bare.csv", None).load(dir.path()).unwrap();
        assert!(close(r.expected_arrivals(0, 120 * SECOND), 420.0));
    }

    #[test]
    fn trace_errors_name_file_line_and_fix() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir, "bad.csv", "rate\n5\nlots\n");
        let e = trace("bad.csv", None).load(dir.path()).unwrap_err();
        assert_eq!(e.file, dir.path().join("bad.csv"));
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("`lots`"), "{e}");
        assert!(e.hint.is_some());

        write(&dir, "neg.csv", "1\n2\n-4\n");
        let e = trace("neg.csv", None).load(dir.path()).unwrap_err();
        assert_eq!(e.line, Some(3));

        write(&dir, "two.csv", "time,rps\n0,1.5\n60\n");
        let e = trace("two.csv", None).load(dir.path()).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.to_string().contains("`column"), "{e}");
        let e = trace("two.csv", Some("rate")).load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("no column `rate`"), "{e}");
        // A short row is located too.
        let e = trace("two.csv", Some("rps")).load(dir.path()).unwrap_err();
        assert_eq!(e.line, Some(3));

        write(&dir, "empty.csv", "rate\n");
        let e = trace("empty.csv", None).load(dir.path()).unwrap_err();
        assert!(e.message.contains("no rates"), "{e}");
        let e = trace("missing.csv", None).load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("relative to the scenario"), "{e}");
    }

    #[test]
    fn validation_and_toml() {
        let d: RequestSpec =
            toml::from_str("kind = \"diurnal\"\nmean_per_s = 50\namplitude = 0.3\npeak_at_s = 0")
                .unwrap();
        assert_eq!(
            d,
            RequestSpec::Diurnal(Diurnal {
                mean_per_s: 50.0,
                amplitude: 0.3,
                period_s: 86_400.0,
                peak_at_s: 0.0
            })
        );
        let f: RequestSpec = toml::from_str(
            "kind = \"flash-crowd\"\nbase_per_s = 1\npeak_per_s = 9\nstart_s = 0\nramp_s = 1\n\
             hold_s = 2\ndecay_s = 3",
        )
        .unwrap();
        assert!(f.validate().is_ok());
        let t: RequestSpec =
            toml::from_str("kind = \"trace\"\nfile = \"r.csv\"\ninterval_s = 300").unwrap();
        assert_eq!(t, trace("r.csv", None).with_interval(300.0));
        assert!(toml::from_str::<RequestSpec>("kind = \"poisson\"\nrate = 3").is_err());
        assert!(toml::from_str::<RequestSpec>(
            "kind = \"diurnal\"\nmean_per_s = 1\namplitude = 0\npeak_at_s = 0\nbogus = 1"
        )
        .is_err());
        let e = RequestSpec::Diurnal(Diurnal {
            mean_per_s: 1.0,
            amplitude: 1.5,
            period_s: 86_400.0,
            peak_at_s: 0.0,
        })
        .validate()
        .unwrap_err();
        assert!(e.contains("amplitude"), "{e}");
        assert!(RequestSpec::Poisson { rate_per_s: -1.0 }
            .validate()
            .unwrap_err()
            .contains("rate_per_s"));
        assert!(trace("r.csv", None)
            .with_interval(0.0005)
            .validate()
            .unwrap_err()
            .contains("interval_s"));
        assert!(RequestSpec::Poisson {
            rate_per_s: f64::NAN
        }
        .load(Path::new("."))
        .is_err());
    }

    impl RequestSpec {
        fn with_interval(self, s: f64) -> Self {
            match self {
                RequestSpec::Trace { file, column, .. } => RequestSpec::Trace {
                    file,
                    column,
                    interval_s: s,
                },
                other => other,
            }
        }
    }

    /// Sample mean and (unbiased) variance of `n` counts over `[t0, t1)`.
    fn moments(r: &RequestRate, t0: Millis, t1: Millis, n: usize) -> (f64, f64) {
        let mut rng = RngStreams::new(3).stream("requests", 0);
        let xs: Vec<f64> = (0..n)
            .map(|_| r.arrivals(t0, t1, &mut rng) as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (mean, var)
    }

    /// Checks the sample mean and variance of Poisson(λ) counts: the mean's standard error is
    /// √(λ/n); the sample variance's is √((λ + 2λ²)/n) (fourth central moment λ(1 + 3λ)).
    fn assert_poisson(r: &RequestRate, t0: Millis, t1: Millis, lambda: f64, n: usize) {
        let (mean, var) = moments(r, t0, t1, n);
        let nf = n as f64;
        assert!(
            (mean - lambda).abs() < 4.0 * (lambda / nf).sqrt(),
            "mean {mean}, λ {lambda}"
        );
        assert!(
            (var - lambda).abs() < 4.5 * ((lambda + 2.0 * lambda * lambda) / nf).sqrt(),
            "variance {var}, λ {lambda}"
        );
    }

    #[test]
    fn arrival_counts_follow_the_poisson_law_of_the_integral() {
        // Flash crowd over [0, 100 s): λ = 520 (hand-computed above).
        assert_poisson(&crowd(), 0, 100 * SECOND, 520.0, 20_000);
        // Large mean (rejection sampler): λ = 10⁷.
        let big = load(&RequestSpec::Poisson { rate_per_s: 1e5 });
        assert_poisson(&big, 0, 100 * SECOND, 1e7, 2_000);
        // Small mean: P(0) = e^{−0.3}; standard error √(p(1 − p)/n) ≈ 0.0031.
        let small = load(&RequestSpec::Poisson { rate_per_s: 0.3 });
        let mut rng = RngStreams::new(3).stream("requests", 1);
        let n = 20_000;
        let zeros = (0..n)
            .filter(|_| small.arrivals(0, SECOND, &mut rng) == 0)
            .count() as f64
            / n as f64;
        let p = (-0.3f64).exp();
        assert!((zeros - p).abs() < 4.0 * (p * (1.0 - p) / n as f64).sqrt());
        assert_poisson(&small, 0, SECOND, 0.3, n);
        // No rate, no arrivals; same seed, same count.
        let none = load(&RequestSpec::Poisson { rate_per_s: 0.0 });
        assert_eq!(none.arrivals(0, 100 * SECOND, &mut rng), 0);
        let draw =
            |seed| crowd().arrivals(0, 100 * SECOND, &mut RngStreams::new(seed).stream("r", 0));
        assert_eq!(draw(9), draw(9));
    }
}
