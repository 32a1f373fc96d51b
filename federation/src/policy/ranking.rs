//! The meta-broker's ranking (seed 004, IMA4SSP): rank clouds by monitored health.
//!
//! Monitoring reports, per cloud, three metrics from a reference test service: availability
//! (fraction of successful pings, in \[0, 1\]), the response time of a fixed compute test and
//! the response time of a fixed data-transfer test (seconds; lower is better). Each sample
//! carries the time it was taken.
//!
//! Score of a cloud = `w_availability × a × f(a) + w_compute × c × f(c) + w_transfer × t × f(t)`
//! where `a` is the availability, `c` and `t` are capabilities (the best usable response time
//! among the clouds ranked divided by this cloud's, so the fastest scores 1), and `f` is a
//! sample's freshness: 1 up to `fresh_ms` old, falling linearly to 0 at `stale_ms`. A sample
//! `stale_ms` old or older, or not a finite value (a response time must be positive), is
//! unusable and contributes nothing; a cloud whose availability is unusable is not ranked at
//! all but listed in [`Ranking::stale`], so the caller can order fresh monitoring (as the
//! seed's IS agent does). Clouds are ranked by descending score, ties by name.

use orrery_engine::time::Millis;
use serde::{Deserialize, Serialize};

/// One monitored value and when it was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The value.
    pub value: f64,
    /// When it was measured.
    pub at: Millis,
}

/// A cloud's latest monitored health.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// The cloud's name.
    pub cloud: String,
    /// Fraction of successful availability probes, in \[0, 1\].
    pub availability: Sample,
    /// Response time of the reference compute test, seconds.
    pub compute_s: Sample,
    /// Response time of the reference transfer test, seconds.
    pub transfer_s: Sample,
}

/// Metric weights and staleness bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaBrokerConfig {
    /// Weight of availability.
    #[serde(default = "default_w_availability")]
    pub w_availability: f64,
    /// Weight of compute capability.
    #[serde(default = "default_w_compute")]
    pub w_compute: f64,
    /// Weight of transfer capability.
    #[serde(default = "default_w_transfer")]
    pub w_transfer: f64,
    /// Age up to which a sample counts fully, ms.
    #[serde(default = "default_fresh_ms")]
    pub fresh_ms: Millis,
    /// Age from which a sample is unusable, ms.
    #[serde(default = "default_stale_ms")]
    pub stale_ms: Millis,
}

fn default_w_availability() -> f64 {
    0.5
}
fn default_w_compute() -> f64 {
    0.3
}
fn default_w_transfer() -> f64 {
    0.2
}
fn default_fresh_ms() -> Millis {
    300_000
}
fn default_stale_ms() -> Millis {
    900_000
}

impl Default for MetaBrokerConfig {
    fn default() -> Self {
        MetaBrokerConfig {
            w_availability: default_w_availability(),
            w_compute: default_w_compute(),
            w_transfer: default_w_transfer(),
            fresh_ms: default_fresh_ms(),
            stale_ms: default_stale_ms(),
        }
    }
}

impl MetaBrokerConfig {
    /// Checks the configuration; the error names the field and the fix.
    pub fn check(&self) -> Result<(), String> {
        for (name, w) in [
            ("w_availability", self.w_availability),
            ("w_compute", self.w_compute),
            ("w_transfer", self.w_transfer),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!(
                    "{name} = {w}: a weight must be a finite number ≥ 0"
                ));
            }
        }
        if self.stale_ms <= self.fresh_ms {
            return Err(format!(
                "stale_ms = {} must be greater than fresh_ms = {}",
                self.stale_ms, self.fresh_ms
            ));
        }
        Ok(())
    }

    /// Weight in \[0, 1\] of a sample taken at `at`, judged at `now`; 0 means unusable.
    pub fn freshness(&self, at: Millis, now: Millis) -> f64 {
        let age = now.saturating_sub(at);
        if age <= self.fresh_ms {
            1.0
        } else if age >= self.stale_ms {
            0.0
        } else {
            (self.stale_ms - age) as f64 / (self.stale_ms - self.fresh_ms) as f64
        }
    }
}

/// A ranked cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The cloud's name.
    pub cloud: String,
    /// Its score (higher is better).
    pub score: f64,
}

/// The meta-broker's view: ranked clouds, best first, and clouds it could not judge.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ranking {
    /// Best first.
    pub ranked: Vec<Ranked>,
    /// Clouds whose availability sample is unusable, by name.
    pub stale: Vec<String>,
}

impl Ranking {
    /// The best cloud, if any could be judged.
    pub fn best(&self) -> Option<&str> {
        self.ranked.first().map(|r| r.cloud.as_str())
    }
}

/// Ranks `clouds` by health at time `now` under `config`.
pub fn rank(clouds: &[Health], now: Millis, config: &MetaBrokerConfig) -> Ranking {
    let fresh = |s: &Sample, positive: bool| {
        let usable = s.value.is_finite() && (!positive || s.value > 0.0);
        if usable {
            config.freshness(s.at, now)
        } else {
            0.0
        }
    };
    let best = |metric: fn(&Health) -> &Sample| {
        (clouds.iter().map(metric))
            .filter(|s| fresh(s, true) > 0.0)
            .map(|s| s.value)
            .fold(f64::INFINITY, f64::min)
    };
    let best_compute = best(|h| &h.compute_s);
    let best_transfer = best(|h| &h.transfer_s);
    let capability = |s: &Sample, best: f64| {
        let f = fresh(s, true);
        if f > 0.0 {
            best / s.value * f
        } else {
            0.0
        }
    };
    let mut out = Ranking::default();
    for h in clouds {
        let fa = fresh(&h.availability, false);
        if fa == 0.0 {
            out.stale.push(h.cloud.clone());
            continue;
        }
        let score = config.w_availability * h.availability.value.clamp(0.0, 1.0) * fa
            + config.w_compute * capability(&h.compute_s, best_compute)
            + config.w_transfer * capability(&h.transfer_s, best_transfer);
        out.ranked.push(Ranked {
            cloud: h.cloud.clone(),
            score,
        });
    }
    out.ranked
        .sort_by(|a, b| (b.score.total_cmp(&a.score)).then_with(|| a.cloud.cmp(&b.cloud)));
    out.stale.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(cloud: &str, a: f64, compute: f64, transfer: f64, at: Millis) -> Health {
        let s = |value| Sample { value, at };
        Health {
            cloud: cloud.to_string(),
            availability: s(a),
            compute_s: s(compute),
            transfer_s: s(transfer),
        }
    }

    #[test]
    fn ranks_by_weighted_health_with_stale_samples_discounted_or_excluded() {
        let now = 1_000_000;
        let clouds = [
            // 10 s old: fresh. Compute and transfer half as fast as the best.
            health("alpha", 1.0, 10.0, 4.0, 990_000),
            // Fresh, the fastest, but 90 % available.
            health("beta", 0.9, 5.0, 2.0, now),
            // 600 s old: freshness (900 − 600) / (900 − 300) = 0.5 on every metric.
            health("gamma", 1.0, 5.0, 2.0, 400_000),
            // 950 s old: unusable, not ranked.
            health("delta", 1.0, 1.0, 1.0, 50_000),
        ];
        let r = rank(&clouds, now, &MetaBrokerConfig::default());
        // alpha: 0.5·1 + 0.3·0.5 + 0.2·0.5 = 0.75; beta: 0.5·0.9 + 0.3 + 0.2 = 0.95;
        // gamma: 0.5 × (0.5 + 0.3 + 0.2) = 0.5. delta's fast samples set no baseline.
        let got: Vec<(&str, f64)> = (r.ranked.iter())
            .map(|x| (x.cloud.as_str(), (x.score * 1e9).round() / 1e9))
            .collect();
        assert_eq!(got, [("beta", 0.95), ("alpha", 0.75), ("gamma", 0.5)]);
        assert_eq!(r.stale, ["delta"]);
        assert_eq!(r.best(), Some("beta"));
    }

    #[test]
    fn weights_change_the_order_and_ties_break_by_name() {
        let now = 0;
        let clouds = [
            health("zeta", 1.0, 10.0, 10.0, 0),
            health("eta", 0.5, 5.0, 5.0, 0),
            health("theta", 0.5, 5.0, 5.0, 0),
        ];
        // Availability only: zeta 1.0, eta and theta 0.5 (tied, by name).
        let avail = MetaBrokerConfig {
            w_compute: 0.0,
            w_transfer: 0.0,
            ..MetaBrokerConfig::default()
        };
        let order = |c: &MetaBrokerConfig| -> Vec<String> {
            rank(&clouds, now, c)
                .ranked
                .into_iter()
                .map(|r| r.cloud)
                .collect()
        };
        assert_eq!(order(&avail), ["zeta", "eta", "theta"]);
        // Compute only: eta and theta 1.0 (tied), zeta 0.5.
        let compute = MetaBrokerConfig {
            w_availability: 0.0,
            w_compute: 1.0,
            w_transfer: 0.0,
            ..MetaBrokerConfig::default()
        };
        assert_eq!(order(&compute), ["eta", "theta", "zeta"]);
    }

    #[test]
    fn config_reads_with_defaults_and_rejects_bad_bounds() {
        let c: MetaBrokerConfig = serde_json::from_str(r#"{"w_compute": 0.6}"#).unwrap();
        assert_eq!(
            (c.w_availability, c.w_compute, c.w_transfer),
            (0.5, 0.6, 0.2)
        );
        assert_eq!(c.check(), Ok(()));
        let bad = MetaBrokerConfig {
            stale_ms: 1000,
            fresh_ms: 1000,
            ..c
        };
        assert!(bad.check().unwrap_err().contains("stale_ms"));
        let negative = MetaBrokerConfig {
            w_transfer: -1.0,
            ..MetaBrokerConfig::default()
        };
        assert!(negative.check().unwrap_err().starts_with("w_transfer"));
    }
}
