//! Host overload detectors (Beloglazov & Buyya 2012): THR, IQR, MAD, LR and LRR.

use crate::stats;

use super::scratch::Scratch;
use orrery_engine::view::{HostId, VmId};

/// Threshold of the static fallback used while history is short.
pub const FALLBACK_THRESHOLD: f64 = 0.7;

/// Which overload detector, with its parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detector {
    /// Static threshold: overloaded when requested utilisation > the threshold.
    Thr(f64),
    /// Interquartile range: threshold 1 − s·IQR(history) (≥ 12 samples, else THR 0.7).
    Iqr(f64),
    /// Median absolute deviation: threshold 1 − s·MAD(history) (≥ 12 samples, else THR 0.7).
    Mad(f64),
    /// Local regression on the last 10 samples: overloaded when s·predicted ≥ 1.
    Lr(f64),
    /// Robust local regression (bisquare reweighting).
    Lrr(f64),
}

/// How LR and LRR fit their line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// As the paper defines them: tricube-weighted (LR) and bisquare-robust (LRR) LOESS.
    Paper,
    /// As CloudSim 3.0.3 runs them: plain least squares for both (its weights never apply).
    CloudSim,
}

impl Detector {
    /// Parses `thr`, `iqr`, `mad`, `lr` or `lrr` with its parameter.
    pub fn from_name(name: &str, parameter: f64) -> Option<Detector> {
        Some(match name {
            "thr" => Detector::Thr(parameter),
            "iqr" => Detector::Iqr(parameter),
            "mad" => Detector::Mad(parameter),
            "lr" => Detector::Lr(parameter),
            "lrr" => Detector::Lrr(parameter),
            _ => return None,
        })
    }

    /// The same detector with parameter `p`.
    pub fn with_parameter(self, p: f64) -> Detector {
        match self {
            Detector::Thr(_) => Detector::Thr(p),
            Detector::Iqr(_) => Detector::Iqr(p),
            Detector::Mad(_) => Detector::Mad(p),
            Detector::Lr(_) => Detector::Lr(p),
            Detector::Lrr(_) => Detector::Lrr(p),
        }
    }

    /// Whether host `h` of the tentative allocation is overloaded — with VM `extra` added, if
    /// given (CloudSim's `isHostOverUtilizedAfterAllocation`, without touching the allocation).
    pub fn overloaded(&self, s: &Scratch, h: HostId, extra: Option<VmId>, fit: Fit) -> bool {
        let static_threshold = |t: f64| s.requested_utilisation(h, extra) > t;
        match *self {
            Detector::Thr(t) => static_threshold(t),
            Detector::Iqr(k) | Detector::Mad(k) => {
                let hist = s.history(h, extra);
                if stats::count_non_zero_beginning(&hist) < 12 {
                    return static_threshold(FALLBACK_THRESHOLD);
                }
                let spread = match self {
                    Detector::Iqr(_) => stats::iqr(&hist),
                    _ => stats::mad(&hist),
                };
                match spread {
                    Some(x) => static_threshold(1.0 - k * x),
                    None => static_threshold(FALLBACK_THRESHOLD),
                }
            }
            Detector::Lr(k) | Detector::Lrr(k) => {
                const LEN: usize = 10;
                let hist = s.history(h, extra);
                if hist.len() < LEN {
                    return static_threshold(FALLBACK_THRESHOLD);
                }
                let y: Vec<f64> = hist[..LEN].iter().rev().copied().collect();
                let robust = matches!(self, Detector::Lrr(_));
                let line = match (fit, robust) {
                    (Fit::CloudSim, _) => stats::simple_regression(&y),
                    (Fit::Paper, false) => stats::loess(&y),
                    (Fit::Paper, true) => stats::robust_loess(&y),
                };
                let Some((a, b)) = line else {
                    return static_threshold(FALLBACK_THRESHOLD);
                };
                let intervals = (max_migration_secs(s, h, extra)
                    / orrery_engine::time::to_secs(s.view.update_interval))
                .ceil();
                k * (a + b * (LEN as f64 + intervals)) >= 1.0
            }
        }
    }
}

/// Longest migration off host `h`: its largest VM's memory over the migration bandwidth.
fn max_migration_secs(s: &Scratch, h: HostId, extra: Option<VmId>) -> f64 {
    let view = s.view;
    let nic = view.host_type(h).nic_mbps;
    s.max_memory(h, extra) / (nic * view.migration.bandwidth_fraction / 8.0)
}
