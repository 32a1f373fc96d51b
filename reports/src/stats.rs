//! What a figure shows for a value measured over several replicas: the mean, and an interval
//! that is honest about the sample: a Student-t 95 % confidence interval from 3 replicas on,
//! the range (min–max) below that, never past the quantity's physical bounds. Captions say
//! which.

use crate::aggregate::t_quantile;

/// Replicas needed before a figure shows a confidence interval (below: the range).
pub const MIN_CI_REPLICAS: usize = 3;

/// The kind of interval around a mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// 95 % confidence interval of the mean (Student t, n − 1 degrees of freedom).
    Ci95,
    /// The range of the values, min to max (fewer than [`MIN_CI_REPLICAS`] values).
    Range,
    /// A single value: no interval.
    Single,
}

/// A mean over replicas with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Values behind it.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Low end of the interval.
    pub lo: f64,
    /// High end of the interval.
    pub hi: f64,
    /// What the interval is.
    pub spread: Spread,
    /// Whether the interval was cut at a physical bound.
    pub clamped: bool,
}

/// The estimate of the finite `values` of a quantity bounded by `bounds` (lower, upper): mean
/// and 95 % t-interval from [`MIN_CI_REPLICAS`] values, the range below, the interval clamped
/// into the bounds; none without values.
pub fn estimate(values: &[f64], bounds: (f64, f64)) -> Option<Estimate> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let (lo, hi, spread) = if n >= MIN_CI_REPLICAS {
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let h = t_quantile(n as u64 - 1) * var.sqrt() / (n as f64).sqrt();
        (mean - h, mean + h, Spread::Ci95)
    } else {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let spread = if n == 1 {
            Spread::Single
        } else {
            Spread::Range
        };
        (lo, hi, spread)
    };
    let (clo, chi) = (lo.max(bounds.0), hi.min(bounds.1));
    Some(Estimate {
        n,
        mean,
        lo: clo,
        hi: chi,
        spread,
        clamped: clo != lo || chi != hi,
    })
}

/// What the whiskers (or bands) of `estimates` show, for a caption: the interval kind with the
/// replica counts, and a note when an interval was clipped at a bound (`bound` names it).
pub fn spread_caption(estimates: &[Estimate], bound: &str) -> String {
    let mut ns: Vec<usize> = estimates.iter().map(|e| e.n).collect();
    ns.sort_unstable();
    ns.dedup();
    let counts = match ns.as_slice() {
        [] => return String::new(),
        [n] => format!("n = {n} replicas"),
        [a, .., b] => format!("n = {a}–{b} replicas"),
    };
    let ci = estimates.iter().any(|e| e.spread == Spread::Ci95);
    let range = estimates.iter().any(|e| e.spread == Spread::Range);
    let mut text = match (ci, range) {
        (true, false) => format!(
            "mean and 95 % confidence interval of the mean (Student t, n − 1 degrees of \
             freedom; {counts})"
        ),
        (false, true) => format!(
            "mean and range (min–max) of the replicas ({counts}): fewer than \
             {MIN_CI_REPLICAS} replicas give no meaningful confidence interval"
        ),
        (true, true) => format!(
            "mean with the 95 % confidence interval (Student t) where a point has at least \
             {MIN_CI_REPLICAS} values, the range (min–max) where it has fewer ({counts})"
        ),
        (false, false) => format!("a single replica each ({counts}): no interval"),
    };
    if estimates.iter().any(|e| e.clamped) {
        text.push_str(&format!("; intervals clipped at {bound}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const NON_NEGATIVE: (f64, f64) = (0.0, f64::INFINITY);

    #[test]
    fn a_confidence_interval_needs_three_replicas() {
        // Two replicas: the range, not a t-interval (which would be 12.7 sd wide).
        let e = estimate(&[1.0, 3.0], NON_NEGATIVE).unwrap();
        assert_eq!(
            (e.mean, e.lo, e.hi, e.spread),
            (2.0, 1.0, 3.0, Spread::Range)
        );
        let caption = spread_caption(&[e], "0");
        assert!(caption.contains("range (min–max)"), "{caption}");
        assert!(caption.contains("fewer than 3 replicas"), "{caption}");
        // Three: mean ± t(0.975, 2) · sd / √3 = 2 ± 4.302653 · 1 / √3.
        let e = estimate(&[1.0, 2.0, 3.0], NON_NEGATIVE).unwrap();
        assert_eq!(e.spread, Spread::Ci95);
        assert!((e.hi - (2.0 + 4.302653 / 3f64.sqrt())).abs() < 1e-5);
        assert!(spread_caption(&[e], "0").contains("95 % confidence interval"));
        assert_eq!(
            estimate(&[5.0], NON_NEGATIVE).unwrap().spread,
            Spread::Single
        );
        assert!(estimate(&[f64::NAN], NON_NEGATIVE).is_none());
    }

    #[test]
    fn intervals_never_cross_a_physical_bound() {
        // A small non-negative count with a wide interval: clipped at 0, and the caption says so.
        let e = estimate(&[0.0, 0.0, 9.0], NON_NEGATIVE).unwrap();
        assert_eq!(e.lo, 0.0);
        assert!(e.clamped);
        assert!(spread_caption(&[e], "0").ends_with("intervals clipped at 0"));
        let e = estimate(&[99.0, 100.0, 100.0], (0.0, 100.0)).unwrap();
        assert_eq!(e.hi, 100.0);
        // Temperatures have no such bound.
        let e = estimate(&[30.0, 31.0, 36.0], (f64::NEG_INFINITY, f64::INFINITY)).unwrap();
        assert!(!e.clamped && e.lo < 30.0);
    }
}
