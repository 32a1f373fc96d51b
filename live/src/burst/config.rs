//! The live config's `[burst]` section: the EC2-compatible cloud VMs burst to when no home host
//! has room, its credentials (read from an environment variable or a file, never from the
//! config itself, and never printed), the instance type and image each template runs as, and
//! its prices and stop rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;
use orrery_engine::time::Millis;
use orrery_policies::bursting::StopStrategy;
use serde::Deserialize;

/// The `[burst]` section as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstSection {
    /// The cloud's name in messages and the journal.
    #[serde(default = "default_cloud")]
    pub cloud: String,
    /// The EC2 Query API endpoint, `http://` or `https://`.
    pub endpoint: String,
    /// The region requests are signed for.
    #[serde(default = "default_region")]
    pub region: String,
    /// The access key id requests are signed with.
    pub access_key_id: String,
    /// The environment variable holding the secret access key.
    pub secret_env: Option<String>,
    /// A file holding the secret access key (relative to the config file's directory).
    pub secret_file: Option<PathBuf>,
    /// What each template runs as in the cloud, by template name (a VM of a template not
    /// listed is never burst).
    pub instance_types: BTreeMap<String, InstanceTypeMap>,
    /// Price of one instance for one billing period.
    #[serde(default)]
    pub price_per_period: f64,
    /// The billing period, seconds (started periods are charged whole).
    #[serde(default = "hour")]
    pub billing_period_s: f64,
    /// When an instance whose burst ended is terminated: `"period-end"` (`stop_margin_s`
    /// before its billing period ends) or `"immediate"`.
    #[serde(default)]
    pub stop: StopSpec,
    /// Seconds before the billing period's end a `period-end` stop happens.
    #[serde(default = "two_minutes")]
    pub stop_margin_s: f64,
    /// Seconds one request may take (connecting included).
    #[serde(default = "ten")]
    pub timeout_s: f64,
    /// Tries of a request that failed transiently (1: no retry).
    #[serde(default = "three")]
    pub attempts: u32,
    /// First backoff between tries, ms (doubled after each).
    #[serde(default = "two_hundred")]
    pub backoff_ms: u64,
}

/// A year in seconds: the longest billing period or stop margin a section may give.
const YEAR_S: f64 = 365.0 * 86_400.0;

/// What one template runs as in the cloud.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypeMap {
    /// The cloud's instance type.
    pub instance_type: String,
    /// The image (AMI id) it boots.
    pub image_id: String,
}

/// The `stop` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopSpec {
    /// Just before the billing period ends.
    #[default]
    PeriodEnd,
    /// As soon as the burst ends.
    Immediate,
}

fn default_cloud() -> String {
    "cloud".into()
}
fn default_region() -> String {
    "us-east-1".into()
}
fn hour() -> f64 {
    3600.0
}
fn two_minutes() -> f64 {
    120.0
}
fn ten() -> f64 {
    10.0
}
fn three() -> u32 {
    3
}
fn two_hundred() -> u64 {
    200
}

/// Seconds as whole milliseconds.
fn ms(s: f64) -> Millis {
    (s * 1000.0).round() as Millis
}

impl BurstSection {
    /// The stop rule, shared with the simulated public clouds.
    pub fn strategy(&self) -> StopStrategy {
        match self.stop {
            StopSpec::Immediate => StopStrategy::Immediate,
            StopSpec::PeriodEnd => StopStrategy::BeforePeriodEnd {
                margin: ms(self.stop_margin_s),
            },
        }
    }

    /// The billing period, ms.
    pub fn period_ms(&self) -> Millis {
        ms(self.billing_period_s)
    }

    /// Checks the section, given the config's `templates` by name; `error_at` locates an
    /// error at a key of the file.
    pub fn validate(
        &self,
        templates: &[&str],
        error_at: impl Fn(&str, String) -> InputError,
    ) -> Result<(), InputError> {
        let at = |k: &str| format!("burst.{k}");
        match url::Url::parse(&self.endpoint) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(
                    error_at(&at("endpoint"), "must be an http:// or https:// URL".into())
                        .hint("e.g. https://ec2.us-east-1.amazonaws.com"),
                )
            }
        }
        if self.secret_env.is_some() == self.secret_file.is_some() {
            return Err(error_at(
                &at("secret_env"),
                "give exactly one of secret_env and secret_file".into(),
            )
            .hint("the secret access key is never written in the config itself"));
        }
        let positive = |key: &str, v: f64| {
            orrery_engine::error::require_positive(v).map_err(|m| error_at(&at(key), m))
        };
        positive("billing_period_s", self.billing_period_s)?;
        positive("timeout_s", self.timeout_s)?;
        if !(self.price_per_period.is_finite() && self.price_per_period >= 0.0) {
            return Err(error_at(
                &at("price_per_period"),
                "must be 0 or more".into(),
            ));
        }
        if !(self.stop_margin_s.is_finite() && self.stop_margin_s >= 0.0) {
            return Err(error_at(&at("stop_margin_s"), "must be 0 or more".into()));
        }
        // Bounded so that no wait is endless and no duration overflows.
        for (key, v, max) in [
            ("billing_period_s", self.billing_period_s, YEAR_S),
            ("stop_margin_s", self.stop_margin_s, YEAR_S),
            ("timeout_s", self.timeout_s, 3_600.0),
            ("backoff_ms", self.backoff_ms as f64, 60_000.0),
        ] {
            if v > max {
                return Err(error_at(
                    &at(key),
                    format!("must be at most {max}, got {v}"),
                ));
            }
        }
        if !(1..=10).contains(&self.attempts) {
            return Err(error_at(&at("attempts"), "must be from 1 to 10".into()));
        }
        for t in self.instance_types.keys() {
            if !templates.contains(&t.as_str()) {
                return Err(
                    error_at(&at("instance_types"), format!("no template named `{t}`"))
                        .hint("instance_types maps template names to the cloud's types"),
                );
            }
        }
        Ok(())
    }

    /// The secret access key, from its environment variable or file (trailing whitespace
    /// removed); the error names where it was looked for, never what was found.
    /// `resolve` makes a relative `secret_file` relative to the config file's directory.
    pub fn secret(&self, resolve: impl Fn(&Path) -> PathBuf) -> Result<String, String> {
        let secret = match (&self.secret_env, &self.secret_file) {
            (Some(var), _) => std::env::var(var).map_err(|_| {
                format!("burst: the secret access key's environment variable {var} is not set")
            })?,
            (None, Some(file)) => {
                let path = resolve(file);
                orrery_engine::input::read_text(
                    &path,
                    "secret access key file",
                    orrery_engine::input::MAX_CONFIG_BYTES,
                    "secret_file names a file holding the key alone",
                )
                .map_err(|e| format!("burst: {e}"))?
            }
            (None, None) => return Err("burst: no secret_env or secret_file".into()),
        };
        let secret = secret.trim_end().to_string();
        if secret.is_empty() {
            return Err("burst: the secret access key is empty".into());
        }
        Ok(secret)
    }
}
