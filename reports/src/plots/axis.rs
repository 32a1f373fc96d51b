//! Where an axis starts and ends, and its ticks, by what it measures: counts and other
//! non-negative quantities from zero, percentages within 0–100, and quantities without a
//! meaningful zero (temperatures) padded around their data.

/// What an axis measures, which decides its range and ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Whole numbers ≥ 0 (hosts, VMs, migrations): from 0, integer ticks, drawn as steps.
    Count,
    /// Non-negative amounts (energy, power, cost, time): from 0.
    NonNegative,
    /// A percentage (0–100): from 0, never above 100.
    Percent,
    /// No meaningful zero (temperatures): padded around the data, 0 only if the data reach it.
    Free,
}

impl Quantity {
    /// The physical bounds of a value of this quantity, (lower, upper).
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Quantity::Count | Quantity::NonNegative => (0.0, f64::INFINITY),
            Quantity::Percent => (0.0, 100.0),
            Quantity::Free => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// Whether its ticks must be whole numbers.
    pub fn integer(self) -> bool {
        self == Quantity::Count
    }
}

/// The fraction of the data span added as headroom.
const PAD: f64 = 0.06;

/// The axis range of `values` (finite ones) for quantity `q`: counts, non-negative amounts and
/// percentages from 0 to a little above the largest value (at least 1 for counts; at most 100
/// for percentages unless the data pass it); free quantities padded on both sides of the data
/// (at least ±0.5 around a single value); (0, 1) without values.
pub fn range(q: Quantity, values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    match q {
        Quantity::Count | Quantity::NonNegative | Quantity::Percent => {
            let lo = lo.min(0.0);
            let span = hi - lo;
            let mut top = if span > 0.0 {
                hi + PAD * span
            } else {
                hi.abs().max(1.0)
            };
            if q == Quantity::Count {
                top = top.max(1.0);
            }
            if q == Quantity::Percent && hi <= 100.0 {
                top = top.min(100.0);
            }
            (lo, top)
        }
        Quantity::Free => {
            let span = hi - lo;
            if span > 0.0 {
                (lo - PAD * span, hi + PAD * span)
            } else {
                (lo - 0.5, hi + 0.5)
            }
        }
    }
}

/// The axis range of `values` padded around the data (as for [`Quantity::Free`]) but never past
/// the bounds of `q`: for comparing values by position (dots and their intervals), where a
/// zero baseline would squeeze the differences into a few pixels.
pub fn around(q: Quantity, values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = range(Quantity::Free, values);
    let (min, max) = q.bounds();
    (lo.max(min), hi.min(max))
}

/// The smallest "nice" tick step (1, 2 or 5 × 10^k) with at most `max` ticks within `lo..hi`;
/// at least 1 for integer axes.
pub fn step(lo: f64, hi: f64, max: usize, integer: bool) -> f64 {
    let span = (hi - lo).abs().max(f64::MIN_POSITIVE);
    let max = max.max(2) as f64;
    let raw = span / (max - 1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| ((hi.max(lo) / s + 1e-9).floor() - (hi.min(lo) / s).ceil()) <= max - 1.0)
        .unwrap_or(10.0 * mag);
    if integer {
        step = step.max(1.0).round();
    }
    step
}

/// The ticks of `lo..hi`: multiples of [`step`] within the range.
pub fn ticks(lo: f64, hi: f64, max: usize, integer: bool) -> Vec<f64> {
    let s = step(lo, hi, max, integer);
    let first = (lo / s).ceil() as i64;
    let last = (hi / s + 1e-9).floor() as i64;
    // Rounded to the step's decimals: 3 × 0.2 is 0.6, not 0.6000000000000001.
    let decimals = (-s.log10().floor()).max(0.0) as i32 + 1;
    let unit = 10f64.powi(decimals);
    (first..=last)
        .map(|k| (k as f64 * s * unit).round() / unit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperatures_are_padded_around_the_data_not_from_zero() {
        let (lo, hi) = range(Quantity::Free, [34.2, 36.0, 38.1]);
        assert!(lo > 33.0 && lo < 34.2, "{lo}");
        assert!(hi > 38.1 && hi < 39.0, "{hi}");
        assert!(lo > 0.0, "0 °C is not on the axis");
        assert_eq!(range(Quantity::Free, [20.0]), (19.5, 20.5));
    }

    #[test]
    fn counts_and_amounts_start_at_zero() {
        assert_eq!(range(Quantity::Count, [3.0, 40.0]).0, 0.0);
        assert!(range(Quantity::Count, [3.0, 40.0]).1 > 40.0);
        assert_eq!(range(Quantity::Count, [0.0, 0.0]), (0.0, 1.0));
        assert_eq!(
            range(Quantity::NonNegative, [2.0, 4.0]),
            (0.0, 4.0 + 0.06 * 4.0)
        );
        assert_eq!(range(Quantity::Percent, [0.0, 99.0]), (0.0, 100.0));
        assert_eq!(range(Quantity::NonNegative, std::iter::empty()), (0.0, 1.0));
        assert_eq!(range(Quantity::NonNegative, [f64::NAN, 0.0]), (0.0, 1.0));
    }

    #[test]
    fn compared_values_are_framed_around_the_data_within_their_bounds() {
        let (lo, hi) = around(Quantity::NonNegative, [20.0, 24.0]);
        assert!(
            lo > 19.0 && lo < 20.0 && hi > 24.0 && hi < 25.0,
            "{lo}..{hi}"
        );
        assert_eq!(around(Quantity::NonNegative, [0.0, 10.0]).0, 0.0);
        assert_eq!(around(Quantity::Percent, [50.0, 100.0]).1, 100.0);
    }

    #[test]
    fn the_step_is_the_finest_that_keeps_the_ticks_within_the_maximum() {
        assert_eq!(ticks(0.0, 0.095, 5, false), [0.0, 0.02, 0.04, 0.06, 0.08]);
        assert_eq!(ticks(0.0, 0.101, 5, false), [0.0, 0.05, 0.1]);
    }

    #[test]
    fn integer_axes_have_whole_ticks() {
        let t = ticks(0.0, 3.2, 6, true);
        assert_eq!(t, [0.0, 1.0, 2.0, 3.0]);
        assert!(ticks(0.0, 1.06, 6, true).iter().all(|v| v.fract() == 0.0));
        assert_eq!(ticks(0.0, 1.0, 6, false), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(33.7, 38.4, 6, false), [34.0, 35.0, 36.0, 37.0, 38.0]);
    }
}
