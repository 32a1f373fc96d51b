//! Which VM to move off an overloaded host: MMT, MC, MU or RS.

use rand::Rng as _;

use orrery_engine::rng::Rng;
use orrery_engine::view::{HostId, VmId};

use super::scratch::Scratch;
use crate::stats;

/// A VM selection policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Minimum migration time: the VM with the least memory.
    Mmt,
    /// Maximum correlation: the VM whose history is best explained by the others' (R² of OLS),
    /// falling back to MMT when the regression is not possible.
    Mc,
    /// Minimum utilisation.
    Mu,
    /// Random selection, from the seeded stream.
    Rs,
}

impl Selection {
    /// Parses `mmt`, `mc`, `mu` or `rs`.
    pub fn from_name(name: &str) -> Option<Selection> {
        Some(match name {
            "mmt" => Selection::Mmt,
            "mc" => Selection::Mc,
            "mu" => Selection::Mu,
            "rs" => Selection::Rs,
            _ => return None,
        })
    }

    /// The VM to migrate off host `h`, among those not already migrating.
    pub fn pick(&self, s: &Scratch, h: HostId, rng: &mut Rng) -> Option<VmId> {
        let view = s.view;
        let candidates: Vec<VmId> = s.hosts[h]
            .vms
            .iter()
            .copied()
            .filter(|&v| s.movable(v))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let min_by = |metric: &dyn Fn(VmId) -> f64| {
            let mut best = (f64::MAX, None);
            for &v in &candidates {
                let m = metric(v);
                if m < best.0 {
                    best = (m, Some(v));
                }
            }
            best.1
        };
        match self {
            Selection::Mmt => min_by(&|v| view.vm_memory_mb(v)),
            Selection::Mu => min_by(&|v| view.vms[v].demand),
            Selection::Rs => Some(candidates[rng.random_range(0..candidates.len())]),
            Selection::Mc => match max_correlation(s, &candidates) {
                Some(v) => Some(v),
                None => Selection::Mmt.pick(s, h, rng),
            },
        }
    }
}

/// CloudSim's maximum-correlation choice, or `None` where its regression throws (fewer
/// samples than regressors, a single candidate, no history, a singular design).
fn max_correlation(s: &Scratch, candidates: &[VmId]) -> Option<VmId> {
    let view = s.view;
    let n = candidates.len();
    let m = candidates
        .iter()
        .map(|&v| view.vms[v].history.len())
        .min()?;
    if n < 2 || m < n {
        return None;
    }
    let rows: Vec<Vec<f64>> = candidates
        .iter()
        .map(|&v| view.vms[v].history.iter().take(m).copied().collect())
        .collect();
    let mut best = (f64::from_bits(1), 0); // Java's Double.MIN_VALUE
    for i in 0..n {
        let y = &rows[i];
        let others: Vec<&[f64]> = (0..n)
            .filter(|&j| j != i)
            .map(|j| rows[j].as_slice())
            .collect();
        let r2 = if y.iter().all(|&x| x == y[0]) {
            f64::NAN // zero total variance: R² is undefined and never the maximum
        } else {
            stats::multiple_correlation_r2(y, &others)?
        };
        if r2 > best.0 {
            best = (r2, i);
        }
    }
    Some(candidates[best.1])
}
