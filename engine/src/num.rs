//! Floating-point helpers for hot paths. Baseline x86-64 has no rounding instruction, so
//! `f64::floor` and `%` are library calls; these give the same results with plain conversions.

/// ⌊x⌋ for 0 ≤ x < 2⁶⁴ (truncation equals the floor there); exact, like `f64::floor`.
#[inline]
pub fn floor_non_negative(x: f64) -> f64 {
    debug_assert!(x >= 0.0, "floor_non_negative({x})");
    (x as u64) as f64
}

/// Whether `t` is an exact multiple of `s` (`t % s == 0.0`, as Java and Rust compute it), for
/// t ≥ 0 and s > 0. The remainder is only computed when t / s is whole: a multiple of s divides
/// exactly, so a fractional quotient already proves there is a remainder.
#[inline]
pub fn is_multiple(t: f64, s: f64) -> bool {
    let x = t / s;
    x == floor_non_negative(x.max(0.0)) && remainder_is_zero(t, s)
}

/// The remainder test kept out of line, so the compiler cannot evaluate it speculatively.
#[cold]
#[inline(never)]
fn remainder_is_zero(t: f64, s: f64) -> bool {
    t % s == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_matches_std_on_non_negative_values() {
        for x in [0.0, 0.4, 1.0, 1.999_999, 2.5, 1e15 + 0.5, 300.1] {
            assert_eq!(floor_non_negative(x), x.floor(), "{x}");
        }
    }

    #[test]
    fn multiples_match_the_remainder_operator() {
        let s = 300.0;
        for t in [
            0.0,
            300.0,
            600.0,
            300.1,
            599.999_999_999_9,
            86_400.0,
            86_400.1,
            1e-300,
        ] {
            assert_eq!(is_multiple(t, s), t % s == 0.0, "{t}");
        }
        // A quotient that rounds to a whole number although a remainder is left.
        let t = 3.0 * 0.1 + 1e-17;
        assert_eq!(is_multiple(t, 0.1), t % 0.1 == 0.0);
    }
}
