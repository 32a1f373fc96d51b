//! Retrying transient failures with exponential backoff. Only idempotent steps are retried:
//! each step looks at the domain's state before acting, so a retry after a lost reply does not
//! act twice.

use std::time::Duration;

use super::clock::Clock;
use super::config::RetrySection;
use super::hypervisor::{DriverError, ErrorKind};

/// Runs `step` until it succeeds, fails for good, or has been tried `policy.attempts` times,
/// sleeping `backoff_ms`, then twice that, … (at most `max_backoff_ms`) between tries.
pub fn with_backoff<T>(
    policy: &RetrySection,
    clock: &mut dyn Clock,
    mut step: impl FnMut() -> Result<T, DriverError>,
) -> Result<T, DriverError> {
    let mut wait = policy.backoff_ms;
    let mut tries = 0;
    loop {
        tries += 1;
        match step() {
            Err(e) if e.kind == ErrorKind::Transient && tries < policy.attempts => {
                clock.sleep(Duration::from_millis(wait.min(policy.max_backoff_ms)));
                wait = wait.saturating_mul(2);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn policy(attempts: u32) -> RetrySection {
        RetrySection {
            attempts,
            backoff_ms: 100,
            max_backoff_ms: 250,
        }
    }

    #[test]
    fn transient_errors_are_retried_with_doubling_capped_backoff() {
        let mut clock = ManualClock::new();
        let mut calls = 0;
        let r = with_backoff(&policy(4), &mut clock, || {
            calls += 1;
            if calls < 4 {
                Err(DriverError::transient("busy"))
            } else {
                Ok(calls)
            }
        });
        assert_eq!(r, Ok(4));
        // Waits 100, 200, then 400 capped to 250 ms.
        assert_eq!(clock.now(), Duration::from_millis(550));
    }

    #[test]
    fn permanent_errors_and_exhausted_tries_are_returned() {
        let mut clock = ManualClock::new();
        let mut calls = 0;
        let r: Result<(), _> = with_backoff(&policy(3), &mut clock, || {
            calls += 1;
            Err(DriverError::permanent("no"))
        });
        assert_eq!((r.unwrap_err().message.as_str(), calls), ("no", 1));
        let mut calls = 0;
        let r: Result<(), _> = with_backoff(&policy(3), &mut clock, || {
            calls += 1;
            Err(DriverError::transient("busy"))
        });
        assert_eq!((r.unwrap_err().kind, calls), (ErrorKind::Transient, 3));
    }
}
