//! When a burst to a public cloud stops: the billing-period-aware stop rule the simulated
//! public clouds (orrery-federation) and live mode's cloud driver (orrery-live) both follow.
//!
//! A cloud bills started periods, so an instance whose work ended is kept until just before
//! the end of the billing period it is in (`margin` before it, to allow for shutdown) and
//! stopped then unless new work arrived: [`stop_time`]. [`StopStrategy`] chooses between that
//! and stopping at once; [`billed_periods`] counts what an instance is charged.

use orrery_engine::time::Millis;

/// When to stop a VM started at `started` that went idle at `idle_since`, billed in periods of
/// `period`: `margin` before the end of the period it is in, or at once if that moment has
/// passed (stopping before the period ends still avoids the next one).
pub fn stop_time(started: Millis, idle_since: Millis, period: Millis, margin: Millis) -> Millis {
    let period = period.max(1);
    let used = idle_since.saturating_sub(started);
    let end = started + used.div_ceil(period).max(1) * period;
    end.saturating_sub(margin).max(idle_since)
}

/// Billing periods of `period` charged for an instance requested at `started` and stopped at
/// `stop`: every started period counts whole, and at least one is charged.
pub fn billed_periods(started: Millis, stop: Millis, period: Millis) -> u64 {
    stop.saturating_sub(started).div_ceil(period.max(1)).max(1)
}

/// When an idle instance is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStrategy {
    /// As soon as it is idle.
    Immediate,
    /// `margin` ms before its billing period ends ([`stop_time`]).
    BeforePeriodEnd {
        /// Safety margin for shutdown, ms.
        margin: Millis,
    },
}

impl StopStrategy {
    /// When an instance started at `started`, billed in periods of `period` and idle since
    /// `idle_since`, is stopped under this strategy.
    pub fn stop_at(self, started: Millis, idle_since: Millis, period: Millis) -> Millis {
        match self {
            StopStrategy::Immediate => idle_since,
            StopStrategy::BeforePeriodEnd { margin } => {
                stop_time(started, idle_since, period, margin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_engine::time::{HOUR, SECOND};

    #[test]
    fn stop_time_is_just_before_the_billing_period_ends() {
        let margin = 120 * SECOND;
        // Started at 0, idle at 11 min: stop at 58 min.
        assert_eq!(stop_time(0, 660 * SECOND, HOUR, margin), 3_480 * SECOND);
        // Idle at 1 h 30 min: in the second period, stop at 1 h 58 min.
        assert_eq!(stop_time(0, 5_400 * SECOND, HOUR, margin), 7_080 * SECOND);
        // Idle at 59 min, already inside the margin: stop at once (still one period).
        assert_eq!(stop_time(0, 3_540 * SECOND, HOUR, margin), 3_540 * SECOND);
        // Idle exactly at the period end: stop at once.
        assert_eq!(stop_time(0, HOUR, HOUR, margin), HOUR);
    }

    #[test]
    fn strategies_and_billed_periods_by_hand() {
        let margin = 120 * SECOND;
        let s = StopStrategy::BeforePeriodEnd { margin };
        assert_eq!(s.stop_at(0, 660 * SECOND, HOUR), 3_480 * SECOND);
        assert_eq!(
            StopStrategy::Immediate.stop_at(0, 660 * SECOND, HOUR),
            660 * SECOND
        );
        // 11 min: one period; 58 min: one; 1 h 0 min 1 ms: two; nothing used: one.
        assert_eq!(billed_periods(0, 660 * SECOND, HOUR), 1);
        assert_eq!(billed_periods(0, 3_480 * SECOND, HOUR), 1);
        assert_eq!(billed_periods(0, HOUR + 1, HOUR), 2);
        assert_eq!(billed_periods(5, 5, HOUR), 1);
    }
}
