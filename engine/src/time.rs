//! Simulation time: integer milliseconds, so event order never depends on floating point.

/// A point in simulated time or a duration, in milliseconds since the start of the run.
pub type Millis = u64;

/// Milliseconds in one second.
pub const SECOND: Millis = 1_000;
/// Milliseconds in one hour.
pub const HOUR: Millis = 3_600_000;

/// Converts seconds (possibly fractional) to whole milliseconds, rounding to nearest.
pub fn from_secs(s: f64) -> Millis {
    (s * 1000.0).round().max(0.0) as Millis
}

/// Converts milliseconds to seconds.
pub fn to_secs(t: Millis) -> f64 {
    t as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_at_millisecond_resolution() {
        assert_eq!(from_secs(300.1), 300_100);
        assert_eq!(from_secs(13.92), 13_920);
        assert_eq!(from_secs(9.808), 9_808);
        assert_eq!(to_secs(27_840), 27.84);
    }
}
