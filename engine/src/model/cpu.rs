//! Proportional CPU sharing on one host, with per-core caps and live-migration overheads.

use crate::num::floor_non_negative;

/// What a VM is doing on the host being shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Running normally.
    Resident,
    /// Running here while it migrates away (loses `source_degradation` of its share).
    MigratingOut,
    /// Arriving here: the host carries `destination_fraction` of its demand as overhead.
    MigratingIn,
}

/// One VM's claim on the host's CPU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Claim {
    /// Requested MIPS (demand × nominal capacity), uncapped.
    pub requested: f64,
    /// Number of vCPUs (each is capped at one core's speed).
    pub vcpus: u32,
    /// What the VM is doing on this host.
    pub role: Role,
}

/// Host-level parameters of the sharing rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareRule {
    /// Speed of one core (the per-vCPU cap).
    pub core_mips: f64,
    /// Physical capacity in MIPS.
    pub capacity: f64,
    /// Fraction lost by a VM migrating out.
    pub source_degradation: f64,
    /// Fraction of demand carried for a VM migrating in.
    pub destination_fraction: f64,
    /// Round each allocation down to a whole MIPS when oversubscribed (CloudSim does).
    pub floor_when_oversubscribed: bool,
    /// Decide oversubscription as CloudSim's scheduler does, allocating the claims one by one in
    /// order, each from what is left ([`ShareRule::left_in_order`]), rather than by comparing
    /// the summed need with the capacity. The two differ only in rounding, on a host filled to
    /// exactly its capacity.
    pub fit_in_order: bool,
}

/// The result of sharing: what each VM gets and what the host does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shares {
    /// MIPS allocated per claim (for a VM migrating in: the overhead carried here).
    pub allocated: Vec<f64>,
    /// MIPS the host actually executes: the sum of allocations, with VMs migrating out counted
    /// at their undegraded share (the migration itself burns that CPU).
    pub busy_mips: f64,
    /// Whether demand exceeded capacity.
    pub oversubscribed: bool,
}

impl ShareRule {
    /// The capped request of a claim: each vCPU gets at most one core.
    pub fn capped(&self, c: &Claim) -> f64 {
        let per_vcpu = if c.vcpus == 0 {
            0.0
        } else {
            c.requested / c.vcpus as f64
        };
        per_vcpu.min(self.core_mips) * c.vcpus as f64
    }

    /// What a claim needs from the host's capacity (a migrating-in VM needs only its overhead).
    pub fn need(&self, c: &Claim) -> f64 {
        let capped = self.capped(c);
        match c.role {
            Role::MigratingIn => capped * self.destination_fraction,
            _ => capped,
        }
    }

    /// The capacity left once the claims are allocated one by one in this order, each taking its
    /// need from what is left; `None` once one does not fit (the host is oversubscribed).
    pub fn left_in_order(&self, claims: impl IntoIterator<Item = Claim>) -> Option<f64> {
        let mut left = self.capacity;
        for c in claims {
            let need = self.need(&c);
            if left < need {
                return None;
            }
            left -= need;
        }
        Some(left)
    }

    /// Shares the host's CPU among the claims: everyone gets their capped need when it fits;
    /// otherwise all needs are scaled by the same factor (capacity / total need).
    pub fn share(&self, claims: &[Claim]) -> Shares {
        let mut allocated = Vec::with_capacity(claims.len());
        let (busy_mips, oversubscribed) = self.share_into(claims, &mut allocated);
        Shares {
            allocated,
            busy_mips,
            oversubscribed,
        }
    }

    /// [`ShareRule::share`] into a caller's buffer (cleared first); returns (busy MIPS,
    /// oversubscribed).
    pub fn share_into(&self, claims: &[Claim], allocated: &mut Vec<f64>) -> (f64, bool) {
        allocated.clear();
        let (mut total_need, mut left) = (0.0, Some(self.capacity));
        for c in claims {
            let need = self.need(c);
            total_need += need;
            left = left.filter(|&l| l >= need).map(|l| l - need);
        }
        let oversubscribed = if self.fit_in_order {
            left.is_none()
        } else {
            total_need > self.capacity
        };
        let scale = if oversubscribed {
            self.capacity / total_need
        } else {
            1.0
        };
        let mut busy = 0.0;
        for c in claims {
            let capped = self.capped(c);
            let (mut got, undegrade) = match c.role {
                Role::Resident => (capped * scale, 1.0),
                Role::MigratingOut => (
                    capped * scale * (1.0 - self.source_degradation),
                    1.0 - self.source_degradation,
                ),
                Role::MigratingIn => (capped * self.destination_fraction * scale, 1.0),
            };
            if oversubscribed && self.floor_when_oversubscribed {
                got = floor_non_negative(got);
            }
            busy += if undegrade > 0.0 {
                got / undegrade
            } else {
                got
            };
            allocated.push(got);
        }
        (busy, oversubscribed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> ShareRule {
        ShareRule {
            core_mips: 1000.0,
            capacity: 2000.0,
            source_degradation: 0.1,
            destination_fraction: 0.1,
            floor_when_oversubscribed: false,
            fit_in_order: false,
        }
    }

    fn claim(requested: f64, role: Role) -> Claim {
        Claim {
            requested,
            vcpus: 1,
            role,
        }
    }

    #[test]
    fn undersubscribed_host_gives_everyone_their_request() {
        let s = rule().share(&[claim(500.0, Role::Resident), claim(700.0, Role::Resident)]);
        assert_eq!(s.allocated, vec![500.0, 700.0]);
        assert_eq!(s.busy_mips, 1200.0);
        assert!(!s.oversubscribed);
    }

    #[test]
    fn oversubscription_is_shared_proportionally() {
        // 1000 + 1000 + 500 requested on 2000 MIPS: scale 0.8 → 800, 800, 400.
        let s = rule().share(&[
            claim(1000.0, Role::Resident),
            claim(1000.0, Role::Resident),
            claim(500.0, Role::Resident),
        ]);
        assert_eq!(s.allocated, vec![800.0, 800.0, 400.0]);
        assert!((s.busy_mips - 2000.0).abs() < 1e-9);
        assert!(s.oversubscribed);
    }

    #[test]
    fn vcpus_are_capped_at_one_core() {
        // A 1-vCPU VM asking 1500 MIPS on 1000-MIPS cores gets 1000.
        let s = rule().share(&[claim(1500.0, Role::Resident)]);
        assert_eq!(s.allocated, vec![1000.0]);
        // A 2-vCPU VM asking 1500 gets 750 per vCPU: uncapped.
        let s = rule().share(&[Claim {
            requested: 1500.0,
            vcpus: 2,
            role: Role::Resident,
        }]);
        assert_eq!(s.allocated, vec![1500.0]);
    }

    #[test]
    fn migration_overheads_follow_cloudsim() {
        // Source: VM gets 90 % but the host is busy for 100 %; destination carries 10 %.
        let s = rule().share(&[
            claim(800.0, Role::MigratingOut),
            claim(800.0, Role::MigratingIn),
        ]);
        assert_eq!(s.allocated[0], 720.0);
        assert!((s.allocated[1] - 80.0).abs() < 1e-12);
        assert!((s.busy_mips - 880.0).abs() < 1e-9);
    }

    #[test]
    fn fitting_in_order_follows_the_running_subtraction() {
        // 0.1 + 0.2 + 0.3 sums to just over 0.6, but subtracted in turn from 0.6 it fits exactly;
        // in another order the subtraction falls short by a rounding error.
        let r = ShareRule {
            capacity: 0.6,
            fit_in_order: true,
            ..rule()
        };
        let fits = |needs: [f64; 3]| {
            let claims: Vec<Claim> = needs.iter().map(|&n| claim(n, Role::Resident)).collect();
            r.left_in_order(claims)
        };
        assert_eq!(fits([0.1, 0.2, 0.3]), Some(0.0));
        assert_eq!(fits([0.2, 0.3, 0.1]), None);
        assert!(
            !r.share(&[
                claim(0.1, Role::Resident),
                claim(0.2, Role::Resident),
                claim(0.3, Role::Resident)
            ])
            .oversubscribed
        );
        let by_sum = ShareRule {
            fit_in_order: false,
            ..r
        };
        assert!(
            by_sum
                .share(&[
                    claim(0.1, Role::Resident),
                    claim(0.2, Role::Resident),
                    claim(0.3, Role::Resident)
                ])
                .oversubscribed
        );
    }

    #[test]
    fn floors_allocations_when_oversubscribed_in_compat_mode() {
        let r = ShareRule {
            floor_when_oversubscribed: true,
            capacity: 1000.0,
            ..rule()
        };
        // 3 × 1000 on 1000: scale 1/3 → 333.33 floored to 333.
        let s = r.share(&[claim(1000.0, Role::Resident); 3]);
        assert_eq!(s.allocated, vec![333.0, 333.0, 333.0]);
        assert_eq!(s.busy_mips, 999.0);
    }
}
