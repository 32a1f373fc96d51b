//! Vertical scaling: resize the vCPUs and memory of a role's VMs within the VM's maximum.
//!
//! OpenNebula resizes a running VM's `VCPU` and `MEMORY` by hotplug up to its `VCPU_MAX` and
//! `MEMORY_MAX`; this decides the new size from the same delivered metrics the horizontal
//! rules read, with target tracking's arithmetic applied to the size instead of the count:
//!
//! * `vcpus' = ceil(vcpus × cpu_utilisation / target_cpu)`, where the utilisation is the
//!   role mean of [`CPU_UTILIZATION`] in percent of the VM's vCPUs;
//! * `memory' = ceil(memory × memory_utilisation / target_memory)`, rounded up to a multiple
//!   of `memory_step_mb`;
//! * each dimension changes only when `|1 − utilisation / target|` exceeds the tolerance
//!   (as the HPA's), and is clamped to `[min, VM maximum]`; a dimension whose metric no VM
//!   reports keeps its size.
//!
//! The same size applies to every VM of the role (they share one template). Pacing — how
//! often a resize may happen — is the caller's, like OneFlow's cooldown.

use super::hpa::{CPU_UTILIZATION, DEFAULT_TOLERANCE, MEMORY_UTILIZATION};
use super::RoleMetrics;
use serde::{Deserialize, Serialize};

/// A VM size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmSize {
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mb: u64,
}

/// A vertical scaling rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerticalRule {
    /// Target CPU utilisation, percent of the VM's vCPUs.
    pub target_cpu: f64,
    /// Target memory utilisation, percent of the VM's memory.
    pub target_memory: f64,
    /// No change in a dimension while `|1 − utilisation / target|` is at most this.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// The least size a VM is shrunk to.
    pub min: VmSize,
    /// Memory sizes are multiples of this, MiB.
    #[serde(default = "default_step")]
    pub memory_step_mb: u64,
}

fn default_tolerance() -> f64 {
    DEFAULT_TOLERANCE
}
fn default_step() -> u64 {
    256
}

/// The new size of the role's VMs, `None` when neither dimension changes.
pub fn resize(
    rule: &VerticalRule,
    current: VmSize,
    max: VmSize,
    metrics: &RoleMetrics,
) -> Option<VmSize> {
    // The scaled size of one dimension, or `None` within tolerance or without a metric.
    let scaled = |size: f64, metric: &str, target: f64| {
        let ratio = metrics.mean(metric)? / target;
        ((1.0 - ratio).abs() > rule.tolerance).then(|| (size * ratio).ceil())
    };
    let vcpus = scaled(current.vcpus as f64, CPU_UTILIZATION, rule.target_cpu)
        .map_or(current.vcpus, |v| {
            (v as u32).clamp(rule.min.vcpus, max.vcpus)
        });
    let step = rule.memory_step_mb.max(1);
    let memory_mb = scaled(
        current.memory_mb as f64,
        MEMORY_UTILIZATION,
        rule.target_memory,
    )
    .map_or(current.memory_mb, |m| {
        ((m as u64).div_ceil(step) * step).clamp(rule.min.memory_mb, max.memory_mb)
    });
    let new = VmSize { vcpus, memory_mb };
    (new != current).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> VerticalRule {
        VerticalRule {
            target_cpu: 60.0,
            target_memory: 70.0,
            tolerance: 0.1,
            min: VmSize {
                vcpus: 1,
                memory_mb: 512,
            },
            memory_step_mb: 256,
        }
    }

    const MAX: VmSize = VmSize {
        vcpus: 8,
        memory_mb: 8192,
    };

    fn m(cpu: f64, mem: f64) -> RoleMetrics {
        RoleMetrics::from_vms([[(CPU_UTILIZATION, cpu), (MEMORY_UTILIZATION, mem)]])
    }

    #[test]
    fn grows_and_shrinks_each_dimension_within_bounds() {
        let cur = VmSize {
            vcpus: 2,
            memory_mb: 2048,
        };
        // CPU 2 × 90/60 = 3; memory 2048 × 35/70 = 1024.
        assert_eq!(
            resize(&rule(), cur, MAX, &m(90.0, 35.0)),
            Some(VmSize {
                vcpus: 3,
                memory_mb: 1024
            })
        );
        // CPU 2 × 100/60 = 3.33 → 4; memory 2048 × 80/70 = 2340.6 → 2341 → 2560 (step 256).
        assert_eq!(
            resize(&rule(), cur, MAX, &m(100.0, 80.0)),
            Some(VmSize {
                vcpus: 4,
                memory_mb: 2560
            })
        );
        // Within tolerance in both: 63/60 and 65/70.
        assert_eq!(resize(&rule(), cur, MAX, &m(63.0, 65.0)), None);
        // Clamped to the VM maximum and to the minimum.
        assert_eq!(
            resize(&rule(), cur, MAX, &m(600.0, 5.0)),
            Some(VmSize {
                vcpus: 8,
                memory_mb: 512
            })
        );
        // No memory metric: memory keeps its size.
        let only_cpu = RoleMetrics::from_vms([[(CPU_UTILIZATION, 15.0)]]);
        assert_eq!(
            resize(&rule(), cur, MAX, &only_cpu),
            Some(VmSize {
                vcpus: 1,
                memory_mb: 2048
            })
        );
    }
}
