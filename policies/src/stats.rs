//! Statistics used by the overload detectors and VM selectors.
//!
//! Numerical routines behind Beloglazov & Buyya's VM consolidation policies
//! (CCPE 2012) as implemented in CloudSim 3.0.3 (`MathUtil` on top of
//! Apache commons-math 3). Where a doc comment says *bit-identical*, the
//! floating-point operations are performed in the same order as the Java code
//! so that results match CloudSim to the last bit.
//!
//! No function panics on short or empty input: where the Java code would
//! throw, these return `None`.
//!
//! Note on CloudSim's LR/LRR: CloudSim's `getLoessParameterEstimates` and
//! `getRobustLoessParameterEstimates` pass weights that are always positive to
//! `createWeigthedLinearRegression`, which only applies them when at least 40%
//! of them are `<= 0`; both therefore reduce to plain OLS, i.e.
//! [`simple_regression`]. [`loess`] and [`robust_loess`] implement the paper's
//! weighted definitions instead and do *not* reproduce CloudSim's numbers.

use nalgebra::{DMatrix, DVector};

/// Returns `data` without its trailing zeros (CloudSim `MathUtil.trimZeroTail`).
///
/// Equivalent to `&data[..count_non_zero_beginning(data)]`. Unlike the Java
/// code (which yields a one-element `[0.0]` for empty or all-zero input), an
/// all-zero or empty slice gives an empty slice. `NaN` counts as non-zero.
pub fn trim_zero_tail(data: &[f64]) -> &[f64] {
    &data[..count_non_zero_beginning(data)]
}

/// Index of the last non-zero element plus one (CloudSim
/// `MathUtil.countNonZeroBeginning`, whose name is misleading).
///
/// Returns 0 for empty or all-zero input (the Java code returns 1 there).
/// `NaN` counts as non-zero, `-0.0` as zero.
pub fn count_non_zero_beginning(data: &[f64]) -> usize {
    data.iter().rposition(|&x| x != 0.0).map_or(0, |i| i + 1)
}

/// Sorted copy of `data` (ascending, IEEE total order).
fn sorted_copy(data: &[f64]) -> Vec<f64> {
    let mut v = data.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Legacy commons-math `Percentile` estimate at `p` (0 < p <= 100) of
/// already-sorted, non-empty data.
fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let pos = p * (n + 1) as f64 / 100.0;
    let fpos = pos.floor();
    let dif = pos - fpos;
    if pos < 1.0 {
        return sorted[0];
    }
    if pos >= n as f64 {
        return sorted[n - 1];
    }
    // 1 <= pos < n, so 1 <= int_pos <= n - 1.
    let int_pos = fpos as usize;
    let lower = sorted[int_pos - 1];
    let upper = sorted[int_pos];
    lower + dif * (upper - lower)
}

/// Median as commons-math `Percentile(50)` with the default (legacy)
/// estimation, as used by CloudSim `MathUtil.median`; bit-identical.
///
/// With `pos = 50 (n + 1) / 100` on the ascending sort: `sorted[0]` if
/// `pos < 1`, `sorted[n-1]` if `pos >= n`, otherwise linear interpolation
/// between `sorted[floor(pos) - 1]` and `sorted[floor(pos)]`.
/// `None` for empty input.
pub fn median(data: &[f64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    Some(percentile_sorted(&sorted_copy(data), 50.0))
}

/// Median absolute deviation `median(|x_i - median(x)|)` (CloudSim
/// `MathUtil.mad`, unscaled); bit-identical. `None` for empty input.
pub fn mad(data: &[f64]) -> Option<f64> {
    let m = median(data)?;
    let deviations: Vec<f64> = data.iter().map(|&x| (m - x).abs()).collect();
    median(&deviations)
}

/// Interquartile range with CloudSim's index convention (`MathUtil.iqr`);
/// bit-identical where the Java code does not throw.
///
/// On the ascending sort, `q1 = round(0.25 (n + 1)) - 1` and
/// `q3 = round(0.75 (n + 1)) - 1` with Java `Math.round` (`floor(x + 0.5)`);
/// returns `sorted[q3] - sorted[q1]`. Both indices are clamped to `[0, n-1]`
/// (this only matters for `n == 1`, where Java would throw; the result is
/// then 0). `None` for empty input.
pub fn iqr(data: &[f64]) -> Option<f64> {
    let n = data.len();
    if n == 0 {
        return None;
    }
    let sorted = sorted_copy(data);
    let index = |q: f64| -> usize {
        let i = (q * (n + 1) as f64 + 0.5).floor() as i64 - 1;
        i.clamp(0, n as i64 - 1) as usize
    };
    Some(sorted[index(0.75)] - sorted[index(0.25)])
}

/// OLS `(intercept, slope)` of `y` on `x = 1..=n`, computed exactly like
/// commons-math `SimpleRegression` (with intercept) fed by `addData(i, y_i)`,
/// so the result is bit-identical to CloudSim.
///
/// `None` when commons-math's `getSlope` would be `NaN`: fewer than 2 points
/// or `|sumXX| < 10 * 4.9e-324`. (CloudSim calls `regress()`, which also
/// throws for `n < 3`; callers that need that must check the length.)
pub fn simple_regression(y: &[f64]) -> Option<(f64, f64)> {
    let mut n = 0u64;
    let (mut xbar, mut ybar) = (0.0f64, 0.0f64);
    let (mut sum_x, mut sum_y) = (0.0f64, 0.0f64);
    let (mut sum_xx, mut sum_xy) = (0.0f64, 0.0f64);
    for (i, &yi) in y.iter().enumerate() {
        let xi = (i + 1) as f64;
        if n == 0 {
            xbar = xi;
            ybar = yi;
        } else {
            let nf = n as f64;
            let fact1 = 1.0 + nf;
            let fact2 = nf / (1.0 + nf);
            let dx = xi - xbar;
            let dy = yi - ybar;
            sum_xx += dx * dx * fact2;
            sum_xy += dx * dy * fact2;
            xbar += dx / fact1;
            ybar += dy / fact1;
        }
        sum_x += xi;
        sum_y += yi;
        n += 1;
    }
    // Double.MIN_VALUE in Java is the smallest positive subnormal.
    const MIN_VALUE: f64 = 4.9e-324;
    if n < 2 || sum_xx.abs() < 10.0 * MIN_VALUE {
        return None;
    }
    let slope = sum_xy / sum_xx;
    let intercept = (sum_y - slope * sum_x) / n as f64;
    Some((intercept, slope))
}

/// Tricube weights for a local regression on the last `n` observations at
/// `x_i = i` (`i = 1..=n`, element `i - 1`), predicting at `x = n + 1`
/// (Beloglazov & Buyya 2012, eqs. 29–30).
///
/// `w_i = T(d_i / Δ)` with `T(u) = (1 - |u|³)³`, distance
/// `d_i = n + 1 - x_i` and spread `Δ = n + 1` (not the paper's `Δ = n`, the
/// largest distance, which would give the oldest point weight exactly 0).
/// Every weight is therefore in `(0, 1)`, increasing towards the newest point.
pub fn tricube_weights(n: usize) -> Vec<f64> {
    let spread = (n + 1) as f64;
    (1..=n)
        .map(|x| {
            let u = (n + 1 - x) as f64 / spread;
            let t = 1.0 - u * u * u;
            t * t * t
        })
        .collect()
}

/// Weighted least squares `(a, b)` minimising `Σ w_i (y_i - a - b x_i)²`
/// with `x_i = i` (`i = 1..=n`).
///
/// Uses weighted means and centred sums. `None` if the lengths differ, any
/// weight is negative or not finite, fewer than two weights are positive
/// (`Σw == 0` or zero weighted x-variance), or the weighted x-variance
/// underflows to zero.
pub fn weighted_regression(y: &[f64], w: &[f64]) -> Option<(f64, f64)> {
    if y.len() != w.len() || w.iter().any(|&wi| !(wi.is_finite() && wi >= 0.0)) {
        return None;
    }
    if w.iter().filter(|&&wi| wi > 0.0).count() < 2 {
        return None;
    }
    let xs = || (1..=y.len()).map(|i| i as f64);
    let sum_w: f64 = w.iter().sum();
    let x_mean = w.iter().zip(xs()).map(|(&wi, x)| wi * x).sum::<f64>() / sum_w;
    let y_mean = w.iter().zip(y).map(|(&wi, &yi)| wi * yi).sum::<f64>() / sum_w;
    let (mut sxx, mut sxy) = (0.0f64, 0.0f64);
    for ((&wi, &yi), x) in w.iter().zip(y).zip(xs()) {
        let dx = x - x_mean;
        sxx += wi * dx * dx;
        sxy += wi * dx * (yi - y_mean);
    }
    if !(sxx > 0.0 && sxx.is_finite()) {
        return None;
    }
    let b = sxy / sxx;
    Some((y_mean - b * x_mean, b))
}

/// The paper's local regression (LR): `(a, b)` of
/// [`weighted_regression`] with [`tricube_weights`]`(n)`.
///
/// `None` for fewer than two points. Not CloudSim's numbers (see module docs).
pub fn loess(y: &[f64]) -> Option<(f64, f64)> {
    weighted_regression(y, &tricube_weights(y.len()))
}

/// Number of bisquare reweighting passes in [`robust_loess`].
const ROBUSTNESS_ITERATIONS: usize = 2;

/// Bisquare function `B(u) = (1 - u²)²` for `|u| < 1`, else 0.
fn bisquare(u: f64) -> f64 {
    if u.abs() < 1.0 {
        let t = 1.0 - u * u;
        t * t
    } else {
        0.0
    }
}

/// The paper's robust local regression (LRR, eqs. 31–33): `(a, b)`.
///
/// Starts from the [`loess`] fit, then performs 2 robustness iterations: from
/// the current fit's residuals `e_i`, `s = median(|e_i|)`, robustness weights
/// `δ_i = B(e_i / (6 s))` with `B(u) = (1 - u²)²` for `|u| < 1` else 0, and a
/// refit with weights `w_i δ_i` (tricube times bisquare). If `s == 0` (the
/// current fit already passes through at least half of the points) or a
/// refit is degenerate, the current fit is returned — the tricube fit when
/// this happens in the first iteration. `None` only when [`loess`] is `None`.
pub fn robust_loess(y: &[f64]) -> Option<(f64, f64)> {
    let weights = tricube_weights(y.len());
    let mut fit = weighted_regression(y, &weights)?;
    for _ in 0..ROBUSTNESS_ITERATIONS {
        let (a, b) = fit;
        let residuals: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, &yi)| yi - (a + b * (i + 1) as f64))
            .collect();
        let abs_residuals: Vec<f64> = residuals.iter().map(|e| e.abs()).collect();
        let s = median(&abs_residuals)?;
        if s.is_nan() || s <= 0.0 {
            break;
        }
        let robust: Vec<f64> = weights
            .iter()
            .zip(&residuals)
            .map(|(&wi, &e)| wi * bisquare(e / (6.0 * s)))
            .collect();
        match weighted_regression(y, &robust) {
            Some(next) => fit = next,
            None => break,
        }
    }
    Some(fit)
}

/// Relative tolerance on `|R_jj|` (of the column-normalised design) below
/// which [`multiple_correlation_r2`] treats the design as rank-deficient.
const RANK_TOLERANCE: f64 = 1e-10;

/// R² of the OLS regression with intercept of `y` on the columns `xs`, as
/// commons-math `OLSMultipleLinearRegression.calculateRSquared()`
/// (used by CloudSim's maximum-correlation VM selection).
///
/// `R² = 1 - SSR / SST` with `SST = Σ (y - ȳ)²` (accumulated like
/// commons-math `SecondMoment`) and `SSR` the residual sum of squares of a
/// Householder-QR least-squares fit (not bit-identical to commons-math).
/// `None` when commons-math would throw or the ratio is undefined: a column
/// length differs from `y.len()`, `y.len() <= xs.len()` (too few rows),
/// `SST == 0`, or the design `[1 | X]` is rank-deficient. Rank deficiency is
/// judged after scaling each design column to unit Euclidean norm (which
/// leaves R² unchanged): an all-zero column, or some
/// `|R_jj| <= 1e-10 · max_k |R_kk|`. This is stricter than commons-math,
/// whose default threshold only rejects an exactly-zero pivot.
pub fn multiple_correlation_r2(y: &[f64], xs: &[&[f64]]) -> Option<f64> {
    let n = y.len();
    let p = xs.len() + 1;
    if n < p || xs.iter().any(|c| c.len() != n) {
        return None;
    }

    // SecondMoment: m2 += (k - 1) * dev * (dev / k), m1 += dev / k.
    let (mut m1, mut sst) = (0.0f64, 0.0f64);
    for (k, &yi) in y.iter().enumerate() {
        let kf = (k + 1) as f64;
        let dev = yi - m1;
        let n_dev = dev / kf;
        m1 += n_dev;
        sst += (kf - 1.0) * dev * n_dev;
    }
    if sst.is_nan() || sst <= 0.0 {
        return None;
    }

    let mut design = DMatrix::from_fn(n, p, |i, j| if j == 0 { 1.0 } else { xs[j - 1][i] });
    for mut col in design.column_iter_mut() {
        let norm = col.norm();
        if !(norm > 0.0 && norm.is_finite()) {
            return None;
        }
        col /= norm;
    }

    let qr = design.clone().qr();
    let r = qr.r();
    let diag_max = r.diagonal().iter().fold(0.0f64, |m, d| m.max(d.abs()));
    if r.diagonal()
        .iter()
        .any(|d| d.is_nan() || d.abs() <= RANK_TOLERANCE * diag_max)
    {
        return None;
    }
    let y_vec = DVector::from_column_slice(y);
    let mut qty = y_vec.clone();
    qr.q_tr_mul(&mut qty);
    let beta = r.solve_upper_triangular(&qty.rows(0, p).into_owned())?;
    let residuals = y_vec - design * beta;
    let ssr = residuals.dot(&residuals);
    Some(1.0 - ssr / sst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn count_and_trim_zero_tail() {
        // Last non-zero at index 2 -> 3.
        assert_eq!(count_non_zero_beginning(&[0.5, 0.0, 0.3, 0.0, 0.0]), 3);
        assert_eq!(count_non_zero_beginning(&[]), 0);
        assert_eq!(count_non_zero_beginning(&[0.0, 0.0]), 0);
        assert_eq!(count_non_zero_beginning(&[0.0, 0.2]), 2);
        assert_eq!(count_non_zero_beginning(&[0.1, -0.0]), 1);
        assert_eq!(trim_zero_tail(&[0.5, 0.0, 0.3, 0.0, 0.0]), &[0.5, 0.0, 0.3]);
        assert!(trim_zero_tail(&[0.0, 0.0]).is_empty());
        assert!(trim_zero_tail(&[]).is_empty());
    }

    #[test]
    fn median_legacy_percentile() {
        assert_eq!(median(&[]), None);
        // n=1: pos = 1 >= n -> the element.
        assert_eq!(median(&[7.0]), Some(7.0));
        // n=3: pos = 2 -> sorted[1] + 0 = 2.
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        // n=4: pos = 2.5 -> 2 + 0.5 * (3 - 2) = 2.5.
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        // n=2: pos = 1.5 -> 10 + 0.5 * (20 - 10) = 15.
        assert_eq!(median(&[20.0, 10.0]), Some(15.0));
    }

    #[test]
    fn mad_examples() {
        assert_eq!(mad(&[]), None);
        // median 3; deviations 2,1,0,1,97 -> sorted 0,1,1,2,97 -> median 1.
        assert_eq!(mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some(1.0));
        // median 2.5; deviations 1.5,0.5,0.5,1.5 -> median 1.
        assert_eq!(mad(&[1.0, 2.0, 3.0, 4.0]), Some(1.0));
        assert_eq!(mad(&[5.0]), Some(0.0));
    }

    #[test]
    fn iqr_cloudsim_indices() {
        assert_eq!(iqr(&[]), None);
        // n=10: q1 = round(2.75)-1 = 2 -> 3; q3 = round(8.25)-1 = 7 -> 8; iqr 5.
        let ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(iqr(&ten), Some(5.0));
        // n=12, values 0.5*k: q1 = round(3.25)-1 = 2 -> 1.5;
        // q3 = round(9.75)-1 = 9 -> 5.0; iqr 3.5.
        let twelve: Vec<f64> = (1..=12).rev().map(|k| 0.5 * f64::from(k)).collect();
        assert_eq!(iqr(&twelve), Some(3.5));
        // n=30, values k²: q1 = round(7.75)-1 = 7 -> 8² = 64;
        // q3 = round(23.25)-1 = 22 -> 23² = 529; iqr 465.
        let thirty: Vec<f64> = (1..=30)
            .map(|k| f64::from((k * 7 % 31) * (k * 7 % 31)))
            .collect();
        assert_eq!(iqr(&thirty), Some(465.0));
        // n=1: q1 = 0, q3 = 1 clamped to 0 -> 0.
        assert_eq!(iqr(&[4.0]), Some(0.0));
        // n=2: q1 = round(0.75)-1 = 0, q3 = round(2.25)-1 = 1 -> 9 - 2.
        assert_eq!(iqr(&[9.0, 2.0]), Some(7.0));
    }

    #[test]
    fn simple_regression_perfect_line() {
        let y: Vec<f64> = (1..=10).map(|x| 0.1 + 0.05 * f64::from(x)).collect();
        let (a, b) = simple_regression(&y).unwrap();
        assert!(close(a, 0.1, 1e-15), "{a}");
        assert!(close(b, 0.05, 1e-15), "{b}");
    }

    #[test]
    fn simple_regression_three_points_exact() {
        // Trace of addData on (1,1),(2,3),(3,2): sumXX = 0.5 + 2.25*(2/3) = 2,
        // sumXY = 1 + 0 = 1 -> slope 0.5; intercept (6 - 0.5*6)/3 = 1.
        assert_eq!(simple_regression(&[1.0, 3.0, 2.0]), Some((1.0, 0.5)));
        // Two points: slope (5 - 2)/1 = 3, intercept 2 - 3 = -1.
        assert_eq!(simple_regression(&[2.0, 5.0]), Some((-1.0, 3.0)));
    }

    #[test]
    fn simple_regression_degenerate() {
        assert_eq!(simple_regression(&[]), None);
        assert_eq!(simple_regression(&[1.0]), None);
    }

    #[test]
    fn simple_regression_matches_textbook_formula() {
        let y = [0.31, 0.42, 0.29, 0.55, 0.61, 0.48, 0.70, 0.66, 0.81, 0.77];
        let n = y.len() as f64;
        let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
        for (i, &yi) in y.iter().enumerate() {
            let x = (i + 1) as f64;
            sx += x;
            sy += yi;
            sxx += x * x;
            sxy += x * yi;
        }
        let b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        let a = (sy - b * sx) / n;
        let (ra, rb) = simple_regression(&y).unwrap();
        assert!(close(ra, a, 1e-12), "{ra} vs {a}");
        assert!(close(rb, b, 1e-12), "{rb} vs {b}");
    }

    #[test]
    fn tricube_weights_formula() {
        assert!(tricube_weights(0).is_empty());
        // n=1: u = 1/2, (1 - 1/8)^3 = 343/512.
        assert_eq!(tricube_weights(1), vec![343.0 / 512.0]);
        // n=3, Δ=4: d = 3,2,1 -> (1 - 27/64)^3, (1 - 8/64)^3, (1 - 1/64)^3.
        let w = tricube_weights(3);
        let expect = [
            (37.0f64 / 64.0).powi(3),
            (56.0f64 / 64.0).powi(3),
            (63.0f64 / 64.0).powi(3),
        ];
        for (wi, ei) in w.iter().zip(expect) {
            assert!(close(*wi, ei, 1e-15), "{wi} vs {ei}");
        }
        let w10 = tricube_weights(10);
        assert!(w10.iter().all(|&x| x > 0.0 && x < 1.0));
        assert!(w10.windows(2).all(|p| p[0] < p[1]));
    }

    #[test]
    fn weighted_regression_hand_example() {
        // x = 1,2,3; y = 1,3,2; w = 1,1,2. W = 4, x̄ = 9/4, ȳ = 2,
        // Sxx = 25/16 + 1/16 + 2·9/16 = 11/4, Sxy = 5/4 - 1/4 + 0 = 1,
        // b = 4/11, a = 2 - (4/11)(9/4) = 13/11.
        let (a, b) = weighted_regression(&[1.0, 3.0, 2.0], &[1.0, 1.0, 2.0]).unwrap();
        assert!(close(a, 13.0 / 11.0, 1e-15), "{a}");
        assert!(close(b, 4.0 / 11.0, 1e-15), "{b}");
    }

    #[test]
    fn weighted_regression_equal_weights_is_ols() {
        let y = [0.31, 0.42, 0.29, 0.55, 0.61, 0.48, 0.70, 0.66, 0.81, 0.77];
        let (oa, ob) = simple_regression(&y).unwrap();
        let (wa, wb) = weighted_regression(&y, &[0.7; 10]).unwrap();
        assert!(close(oa, wa, 1e-12) && close(ob, wb, 1e-12));
    }

    #[test]
    fn weighted_regression_degenerate() {
        assert_eq!(weighted_regression(&[], &[]), None);
        assert_eq!(weighted_regression(&[1.0], &[1.0]), None);
        assert_eq!(weighted_regression(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(
            weighted_regression(&[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0]),
            None
        );
        assert_eq!(
            weighted_regression(&[1.0, 2.0, 3.0], &[0.0, 0.3, 0.0]),
            None
        );
        assert_eq!(weighted_regression(&[1.0, 2.0], &[-1.0, 1.0]), None);
        assert_eq!(weighted_regression(&[1.0, 2.0], &[f64::NAN, 1.0]), None);
        // Zero-weight points are ignored: line through (1,1) and (3,5).
        let (a, b) = weighted_regression(&[1.0, 100.0, 5.0], &[1.0, 0.0, 1.0]).unwrap();
        assert!(close(a, -1.0, 1e-14) && close(b, 2.0, 1e-14));
    }

    #[test]
    fn loess_perfect_line() {
        let y: Vec<f64> = (1..=10).map(|x| 0.1 + 0.05 * f64::from(x)).collect();
        let (a, b) = loess(&y).unwrap();
        assert!(close(a, 0.1, 1e-12) && close(b, 0.05, 1e-12), "{a} {b}");
        let (a, b) = robust_loess(&y).unwrap();
        assert!(close(a, 0.1, 1e-12) && close(b, 0.05, 1e-12), "{a} {b}");
        assert_eq!(loess(&[0.3]), None);
        assert_eq!(robust_loess(&[]), None);
    }

    /// y = 0.1 + 0.05 x for x = 1..10 with +0.55 added at `x = j`.
    fn line_with_outlier(j: usize) -> Vec<f64> {
        (1..=10)
            .map(|x| 0.1 + 0.05 * x as f64 + if x == j { 0.55 } else { 0.0 })
            .collect()
    }

    fn err(fit: (f64, f64)) -> f64 {
        (fit.0 - 0.1).abs() + (fit.1 - 0.05).abs()
    }

    #[test]
    fn robust_loess_rejects_outlier_first_pass() {
        let y = line_with_outlier(3);
        // OLS closed form: shift δ = 0.55 at x_j = 3, x̄ = 5.5, Sxx = 82.5:
        // Δb = δ (x_j - x̄) / Sxx = -1/60, Δa = δ/n - x̄ Δb = 0.055 + 11/120,
        // so (a, b) = (37/150, 1/30).
        let ols = simple_regression(&y).unwrap();
        assert!(close(ols.0, 37.0 / 150.0, 1e-12) && close(ols.1, 1.0 / 30.0, 1e-12));
        // Tricube fit, exact rationals (weights (1331 - d³)³ / 1331³):
        // a = 780492872397373699373/2928740446109481591680 ≈ 0.26649438103474654,
        // b = 87727201224351627343/2928740446109481591680 ≈ 0.029953900947722368.
        // Its residual at x=3 is ≈ 0.44364 > 6 s ≈ 0.33745, so the outlier gets
        // bisquare weight 0 and the other nine points, exactly on the line,
        // give back the line.
        let lr = loess(&y).unwrap();
        assert!(close(lr.0, 0.266_494_381_034_746_54, 1e-12), "{}", lr.0);
        assert!(close(lr.1, 0.029_953_900_947_722_368, 1e-12), "{}", lr.1);
        let lrr = robust_loess(&y).unwrap();
        assert!(
            close(lrr.0, 0.1, 1e-12) && close(lrr.1, 0.05, 1e-12),
            "{lrr:?}"
        );
        assert!(err(lrr) < err(ols) && err(lrr) < err(lr));
    }

    #[test]
    fn robust_loess_rejects_outlier_second_pass() {
        let y = line_with_outlier(5);
        // OLS: Δb = 0.55 (5 - 5.5) / 82.5 = -1/300, Δa = 0.055 + 5.5/300 = 11/150.
        let ols = simple_regression(&y).unwrap();
        assert!(close(ols.0, 0.1 + 11.0 / 150.0, 1e-12));
        assert!(close(ols.1, 0.05 - 1.0 / 300.0, 1e-12));
        // Tricube fit (exact rationals):
        // a = 762115784239523173501/2196555334582111193760 ≈ 0.34695951986318324,
        // b = 51432845915100302063/2196555334582111193760 ≈ 0.023415228883767347.
        let lr = loess(&y).unwrap();
        assert!(close(lr.0, 0.346_959_519_863_183_24, 1e-12), "{}", lr.0);
        assert!(close(lr.1, 0.023_415_228_883_767_347, 1e-12), "{}", lr.1);
        // First pass only down-weights x=5 (fit ≈ (0.20948, 0.03814)); the
        // second pass gives it weight 0, recovering the line exactly.
        let lrr = robust_loess(&y).unwrap();
        assert!(
            close(lrr.0, 0.1, 1e-12) && close(lrr.1, 0.05, 1e-12),
            "{lrr:?}"
        );
        assert!(err(lrr) < err(ols) && err(lrr) < err(lr));
    }

    #[test]
    fn r2_exact_linear() {
        let x1 = [1.0, 2.0, 4.0, 7.0, 11.0];
        let y: Vec<f64> = x1.iter().map(|x| 2.0 * x + 3.0).collect();
        let r2 = multiple_correlation_r2(&y, &[&x1]).unwrap();
        assert!(close(r2, 1.0, 1e-12), "{r2}");
    }

    #[test]
    fn r2_single_regressor_is_pearson_squared() {
        // x̄ = 3, ȳ = 4, Sxy = 6, Sxx = 10, Syy = 6 -> r² = 36/60 = 0.6.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 5.0, 4.0, 5.0];
        let r2 = multiple_correlation_r2(&y, &[&x]).unwrap();
        assert!(close(r2, 0.6, 1e-12), "{r2}");
    }

    #[test]
    fn r2_two_regressors_hand_example() {
        // 2x2 factorial: b1 = (2+5)/2 - (1+3)/2 = 1.5, b2 = (3+5)/2 - (1+2)/2 = 2.5,
        // a = 2.75 - 0.75 - 1.25 = 0.75; fitted 0.75, 2.25, 3.25, 4.75;
        // SSR = 4 · 0.25² = 0.25; SST = 1.75² + 0.75² + 0.25² + 2.25² = 8.75;
        // R² = 1 - 0.25/8.75 = 34/35.
        let x1 = [0.0, 1.0, 0.0, 1.0];
        let x2 = [0.0, 0.0, 1.0, 1.0];
        let y = [1.0, 2.0, 3.0, 5.0];
        let r2 = multiple_correlation_r2(&y, &[&x1, &x2]).unwrap();
        assert!(close(r2, 34.0 / 35.0, 1e-12), "{r2}");
    }

    #[test]
    fn r2_ill_posed() {
        let x1 = [1.0, 2.0, 3.0];
        let x2 = [2.0, 1.0, 5.0];
        // Too few rows: n = 2 <= 2 regressors.
        assert_eq!(
            multiple_correlation_r2(&[1.0, 2.0], &[&x1[..2], &x2[..2]]),
            None
        );
        assert_eq!(multiple_correlation_r2(&[], &[]), None);
        // n = p + 1 is allowed: exact fit.
        let r2 = multiple_correlation_r2(&[1.0, 4.0, 2.0], &[&x1, &x2]).unwrap();
        assert!(close(r2, 1.0, 1e-12), "{r2}");
        // Collinear columns, and a column collinear with the intercept.
        let y = [1.0, 3.0, 2.0, 5.0];
        let a = [1.0, 2.0, 3.0, 4.0];
        let twice = [2.0, 4.0, 6.0, 8.0];
        assert_eq!(multiple_correlation_r2(&y, &[&a, &twice]), None);
        assert_eq!(multiple_correlation_r2(&y, &[&a, &[0.3; 4]]), None);
        assert_eq!(multiple_correlation_r2(&y, &[&[0.0; 4]]), None);
        // Constant y: SST = 0.
        assert_eq!(multiple_correlation_r2(&[0.1; 4], &[&a]), None);
        // Length mismatch.
        assert_eq!(multiple_correlation_r2(&y, &[&a[..3]]), None);
    }
}
