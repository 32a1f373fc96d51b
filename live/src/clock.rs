//! The wall clock live mode runs on, and a manual clock for tests and benchmarks (libvirt's
//! test driver reports synthetic CPU times, so orrery's own time must be controllable there).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Time since the loop started, and waiting.
pub trait Clock {
    /// Time elapsed since the clock was made.
    fn now(&self) -> Duration;
    /// Waits `d`.
    fn sleep(&mut self, d: Duration);
    /// The time of day, milliseconds since the Unix epoch (what the journal records).
    fn unix_ms(&self) -> u64;
}

/// The real clock.
pub struct WallClock {
    start: Instant,
}

impl WallClock {
    /// A clock starting now.
    pub fn new() -> Self {
        WallClock {
            start: Instant::now(),
        }
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for WallClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }

    fn unix_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// The time of day a [`ManualClock`] starts at: 2026-01-01 00:00:00 UTC, in ms.
pub const MANUAL_EPOCH_MS: u64 = 1_767_225_600_000;

/// A clock that moves only when slept on (or advanced); clones share the same time.
#[derive(Clone, Default)]
pub struct ManualClock {
    now: Rc<Cell<Duration>>,
}

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the time forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.now.set(self.now.get() + d);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.now.get()
    }

    fn sleep(&mut self, d: Duration) {
        self.advance(d);
    }

    /// [`MANUAL_EPOCH_MS`] plus the time advanced.
    fn unix_ms(&self) -> u64 {
        MANUAL_EPOCH_MS + self.now.get().as_millis() as u64
    }
}
