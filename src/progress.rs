//! Progress of a long command on stderr, one tick per finished unit of work (a sweep's runs,
//! the scenarios `compare` or `bench` runs, `cloudsim-report`'s runs, the files of
//! `federate compare`): a bar with an ETA on a terminal, a log line every few seconds
//! otherwise (batch jobs, CI logs), nothing at all under `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Seconds between two log lines when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// How progress is shown.
enum Show {
    /// Nothing (`--quiet`, or nothing to do).
    Off,
    /// A bar on the terminal.
    Bar(ProgressBar),
    /// A log line every [`LOG_EVERY`].
    Log,
}

/// Counts finished units of work and shows it. Shared between worker threads (`&Progress` is
/// all [`Progress::done`] needs).
pub struct Progress {
    /// What is counted, as the log line's prefix (`sweep`, `compare`).
    label: &'static str,
    /// The unit, plural (`runs`, `scenarios`).
    unit: &'static str,
    total: usize,
    done: AtomicUsize,
    started: Instant,
    show: Show,
    last_log: Mutex<Instant>,
    /// Whether a log line was written (then [`Progress::finish`] writes the final count).
    logged: AtomicBool,
    /// Whether [`Progress::finish`] logs the final count even when nothing was logged before.
    always_log_total: bool,
}

impl Progress {
    /// Progress over `total` `unit`s (plural: `"runs"`) of the command `label`, shown when
    /// `enabled` (off under `--quiet`): a bar when stderr is a terminal, else a log line every
    /// 10 s and the final count at the end when anything was logged.
    pub fn new(label: &'static str, unit: &'static str, total: usize, enabled: bool) -> Progress {
        let show = if !enabled || total == 0 {
            Show::Off
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total as u64);
            let template = format!(
                "{{bar:40}} {{pos}}/{{len}} {unit} · {{elapsed_precise}} elapsed · ETA {{eta}}"
            );
            bar.set_style(ProgressStyle::with_template(&template).expect("a valid template"));
            Show::Bar(bar)
        } else {
            Show::Log
        };
        let now = Instant::now();
        Progress {
            label,
            unit,
            total,
            done: AtomicUsize::new(0),
            started: now,
            show,
            last_log: Mutex::new(now),
            logged: AtomicBool::new(false),
            always_log_total: false,
        }
    }

    /// This progress, logging the final count at the end even when the work took less than
    /// one log interval (the sweep's log always ends with its count).
    pub fn always_log_total(mut self) -> Progress {
        self.always_log_total = true;
        self
    }

    /// One more unit finished.
    pub fn done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.show {
            Show::Off => {}
            Show::Bar(bar) => bar.inc(1),
            Show::Log => {
                let mut last = self.last_log.lock().expect("progress lock");
                if last.elapsed() >= LOG_EVERY {
                    *last = Instant::now();
                    self.log(done);
                }
            }
        }
    }

    /// Clears the bar, or logs the final count.
    pub fn finish(&self) {
        match &self.show {
            Show::Off => {}
            Show::Bar(bar) => bar.finish_and_clear(),
            Show::Log => {
                if self.always_log_total || self.logged.load(Ordering::Relaxed) {
                    self.log(self.done.load(Ordering::Relaxed));
                }
            }
        }
    }

    fn log(&self, done: usize) {
        self.logged.store(true, Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = elapsed / done.max(1) as f64 * self.total.saturating_sub(done) as f64;
        eprintln!(
            "{}: {done}/{} {} ({:.0} %), {elapsed:.0} s elapsed, about {left:.0} s left",
            self.label,
            self.total,
            self.unit,
            100.0 * done as f64 / self.total.max(1) as f64
        );
    }
}
