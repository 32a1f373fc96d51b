//! Sweep progress on stderr: a bar with an ETA on a terminal, a log line every few seconds
//! otherwise (batch jobs, CI logs).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Seconds between two log lines when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Counts finished runs and shows it.
pub struct Progress {
    total: usize,
    done: AtomicUsize,
    started: Instant,
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
}

impl Progress {
    /// Progress over `total` runs.
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} runs · {elapsed_precise} elapsed · ETA {eta}",
                )
                .expect("a valid template"),
            );
            bar
        });
        let now = Instant::now();
        Progress {
            total,
            done: AtomicUsize::new(0),
            started: now,
            bar,
            last_log: Mutex::new(now),
        }
    }

    /// One more run finished.
    pub fn done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            return;
        }
        let mut last = self.last_log.lock().expect("progress lock");
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            self.log(done);
        }
    }

    /// Clears the bar, or logs the final count.
    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None if self.total > 0 => self.log(self.done.load(Ordering::Relaxed)),
            None => {}
        }
    }

    fn log(&self, done: usize) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = elapsed / done.max(1) as f64 * (self.total - done) as f64;
        eprintln!(
            "sweep: {done}/{} runs ({:.0} %), {elapsed:.0} s elapsed, about {left:.0} s left",
            self.total,
            100.0 * done as f64 / self.total.max(1) as f64
        );
    }
}
