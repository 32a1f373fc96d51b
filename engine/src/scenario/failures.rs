//! The checks of every failure and billing key, and what the failure model reads from a
//! scenario.

use super::Scenario;
use crate::error::InputError;

impl Scenario {
    /// Whether the scenario makes anything fail: exponential host failures, VM crash rates or a
    /// failure trace.
    pub fn has_failures(&self) -> bool {
        let s = &self.spec;
        s.failures.trace.is_some()
            || s.hosts.iter().any(|h| h.mtbf_s.is_some())
            || s.vm_types.iter().any(|t| t.crash_rate_per_day > 0.0)
    }

    /// Checks the failure, tenant and price keys.
    pub(super) fn validate_failures(&self) -> Result<(), InputError> {
        let s = &self.spec;
        let check = |key: String, v: f64, positive: bool| {
            if v.is_finite() && (v > 0.0 || (!positive && v == 0.0)) {
                Ok(())
            } else {
                let what = if positive {
                    "a positive number"
                } else {
                    "zero or positive"
                };
                Err(self.error_at(&key, format!("must be {what}, got {v}")))
            }
        };
        check("failures.detection_s".into(), s.failures.detection_s, false)?;
        for (i, h) in s.hosts.iter().enumerate() {
            match (h.mtbf_s, h.mttr_s) {
                (Some(mtbf), Some(mttr)) => {
                    check(format!("hosts.{i}.mtbf_s"), mtbf, true)?;
                    check(format!("hosts.{i}.mttr_s"), mttr, true)?;
                }
                (None, None) => {}
                (Some(_), None) => {
                    return Err(self
                        .error_at(&format!("hosts.{i}.mtbf_s"), "mtbf_s needs mttr_s")
                        .hint("add mttr_s, the mean time to repair in seconds"))
                }
                (None, Some(_)) => {
                    return Err(self
                        .error_at(&format!("hosts.{i}.mttr_s"), "mttr_s needs mtbf_s")
                        .hint("add mtbf_s, the mean time between failures in seconds"))
                }
            }
        }
        for (i, t) in s.vm_types.iter().enumerate() {
            check(
                format!("vm_types.{i}.crash_rate_per_day"),
                t.crash_rate_per_day,
                false,
            )?;
            check(format!("vm_types.{i}.price"), t.price, false)?;
        }
        if self.has_failures() && s.compat.cloudsim() {
            return Err(self
                .error_at(
                    "compat",
                    "failures are not available with compat = \"cloudsim-3.0.3\"",
                )
                .hint("CloudSim's power package has no failure model: drop the failure keys or compat"));
        }
        Ok(())
    }
}
