//! What a run may cost, checked before anything is built: the `[limits]` table and the
//! estimate of a scenario's size and work it is held against. A scenario beyond a limit is a
//! located error that says how to raise the limit, never an allocation or a loop sized by an
//! unchecked value.

pub use super::schema::LimitsSection;
use super::Scenario;
use crate::error::InputError;
use crate::workload::PatternSpec;

/// A scenario's size and work, counted without building anything (wide integers: no count can
/// overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Estimate {
    /// Hosts.
    pub hosts: u128,
    /// VM requests known before any trace is read.
    pub vms: u128,
    /// Steps of work.
    pub steps: u128,
    /// Demand samples held.
    pub samples: u128,
}

/// Whole ticks of `interval_s` in `duration_s`, plus the one at the start (1 for a
/// non-positive interval: validation refuses those separately).
pub fn ticks(duration_s: f64, interval_s: f64) -> u128 {
    if interval_s > 0.0 && duration_s.is_finite() {
        (duration_s / interval_s).clamp(0.0, 1e30) as u128 + 1
    } else {
        1
    }
}

impl Scenario {
    /// The size and work of a run of this scenario (trace files not counted: they are counted
    /// against `max_vms` when read).
    pub fn estimate(&self) -> Estimate {
        let s = &self.spec;
        let duration = s.duration_s;
        let hosts: u128 = s.hosts.iter().map(|h| h.count as u128).sum();
        let mut vms: u128 = s.workload.generators.iter().map(|g| g.count as u128).sum();
        for svc in &s.services {
            for r in &svc.roles {
                vms += u128::from(r.cardinality.max(r.max_vms.unwrap_or(0)));
            }
        }
        let updates = ticks(duration, s.datacenter.update_interval_s);
        let rounds = if s.policies.reallocation == "none" {
            0
        } else {
            ticks(duration, s.policies.reallocation_interval_s)
        };
        let mut steps = (updates + rounds).saturating_mul(hosts + vms);
        for h in &s.hosts {
            if let Some(mtbf) = h.mtbf_s {
                steps += ticks(duration, mtbf).saturating_mul(2 * h.count as u128);
            }
        }
        for t in &s.vm_types {
            if t.crash_rate_per_day > 0.0 {
                let per_vm = ticks(duration, 86_400.0 / t.crash_rate_per_day);
                steps += per_vm.saturating_mul(vms);
            }
        }
        for svc in &s.services {
            let tick = ticks(duration, svc.monitoring.measurement_interval_s);
            steps += tick.saturating_mul(svc.roles.len() as u128 + vms);
        }
        let mut samples = (s.datacenter.history_len as u128).saturating_mul(vms);
        for g in &s.workload.generators {
            let per_vm = match g.utilisation {
                PatternSpec::RandomWalk { interval_s, .. } => ticks(duration, interval_s),
                PatternSpec::OnOff {
                    mean_on_s,
                    mean_off_s,
                    ..
                } => ticks(duration, mean_on_s.min(mean_off_s)),
                _ => 1,
            };
            samples += per_vm.saturating_mul(g.count as u128);
        }
        Estimate {
            hosts,
            vms,
            steps,
            samples,
        }
    }

    /// Refuses a scenario whose estimate exceeds its `[limits]`, naming the limit and how to
    /// raise it.
    pub(super) fn check_limits(&self) -> Result<(), InputError> {
        let l = &self.spec.limits;
        let e = self.estimate();
        let error = |key: &str, m: String| self.error_at(key, m);
        l.check("hosts", e.hosts, l.max_hosts, "max_hosts", "hosts", &error)?;
        l.check("VMs", e.vms, l.max_vms, "max_vms", "workload", &error)?;
        let samples = l.max_samples;
        l.check(
            "demand samples",
            e.samples,
            samples,
            "max_samples",
            "workload",
            &error,
        )?;
        l.check(
            "steps of work",
            e.steps,
            l.max_steps,
            "max_steps",
            "duration_s",
            &error,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn scenario(extra: &str) -> Result<Scenario, InputError> {
        let text = format!(
            r#"
duration_s = 3600
[policies]
placement = "first-fit"
[[hosts]]
type = "h"
count = 10
cores = 4
core_mips = 1000
memory_mb = 8192
power = {{ model = "linear", idle_w = 90.0, max_w = 200.0 }}
[[vm_types]]
name = "v"
mips = 1000
memory_mb = 1024
[[workload.generators]]
vm_type = "v"
count = 20
arrival = {{ process = "batch" }}
utilisation = {{ pattern = "random-walk", start = 0.5, step = 0.1, interval_s = 60 }}
{extra}
"#
        );
        Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[])
    }

    #[test]
    fn the_estimate_counts_hosts_vms_steps_and_samples_by_hand() {
        let e = scenario("").unwrap().estimate();
        assert_eq!((e.hosts, e.vms), (10, 20));
        // 3600 s / 300 s updates = 12 ticks + 1 = 13, no reallocation, 30 hosts and VMs.
        assert_eq!(e.steps, 13 * 30);
        // History of 30 per VM, plus a walk of 3600 / 60 + 1 = 61 samples per VM.
        assert_eq!(e.samples, 30 * 20 + 61 * 20);
    }

    #[test]
    fn a_scenario_over_a_limit_is_refused_and_the_limit_can_be_raised() {
        let e = scenario("[limits]\nmax_hosts = 5").unwrap_err();
        assert!(e.message.contains("10 hosts, over the limit of 5"), "{e}");
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .contains("--set limits.max_hosts=N"),
            "{e}"
        );
        let huge = "[[workload.generators]]\nvm_type = \"v\"\ncount = 1000000000000\n\
                    arrival = { process = \"batch\" }\nutilisation = { pattern = \"constant\", level = 0.5 }";
        let e = scenario(huge).unwrap_err();
        assert!(e.message.contains("1000000000020 VMs"), "{e}");
        let e = scenario("[datacenter]\nupdate_interval_s = 0.001\n[limits]\nmax_steps = 1000")
            .unwrap_err();
        assert!(e.message.contains("steps of work"), "{e}");
        assert!(scenario("[limits]\nmax_hosts = 10").is_ok());
    }
}
