//! Progress of a long command on stderr, one tick per finished unit of work (a sweep's runs,
//! the scenarios `compare` or `bench` runs, `cloudsim-report`'s runs, the files of
//! `federate compare`): a bar with an ETA on a terminal, a log line every few seconds
//! otherwise (batch jobs, CI logs), nothing at all under `--quiet`.

use std::io::{IsTerminal, Write};
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
    /// A log line every `every` on `sink` (stderr but in tests).
    Log {
        every: Duration,
        sink: Mutex<Box<dyn Write + Send>>,
    },
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
            Show::Log {
                every: LOG_EVERY,
                sink: Mutex::new(Box::new(std::io::stderr())),
            }
        };
        Progress::showing(label, unit, total, show)
    }

    fn showing(label: &'static str, unit: &'static str, total: usize, show: Show) -> Progress {
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
            Show::Log { every, sink } => {
                let mut last = self.last_log.lock().expect("progress lock");
                if last.elapsed() >= *every {
                    *last = Instant::now();
                    self.log(sink, done);
                }
            }
        }
    }

    /// Clears the bar, or logs the final count.
    pub fn finish(&self) {
        match &self.show {
            Show::Off => {}
            Show::Bar(bar) => bar.finish_and_clear(),
            Show::Log { sink, .. } => {
                if self.always_log_total || self.logged.load(Ordering::Relaxed) {
                    self.log(sink, self.done.load(Ordering::Relaxed));
                }
            }
        }
    }

    fn log(&self, sink: &Mutex<Box<dyn Write + Send>>, done: usize) {
        self.logged.store(true, Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = elapsed / done.max(1) as f64 * self.total.saturating_sub(done) as f64;
        let mut sink = sink.lock().expect("progress sink lock");
        // A closed stderr is no reason to stop the work.
        let _ = writeln!(
            sink,
            "{}: {done}/{} {} ({:.0} %), {elapsed:.0} s elapsed, about {left:.0} s left",
            self.label,
            self.total,
            self.unit,
            100.0 * done as f64 / self.total.max(1) as f64
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A sink the test reads back.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn logging(every: Duration, lines: &Lines) -> Progress {
        let show = Show::Log {
            every,
            sink: Mutex::new(Box::new(lines.clone())),
        };
        Progress::showing("compare", "scenarios", 3, show)
    }

    #[test]
    fn log_lines_count_the_units_and_end_with_the_total() {
        let lines = Lines::default();
        let p = logging(Duration::ZERO, &lines);
        for _ in 0..3 {
            p.done();
        }
        p.finish();
        let text = lines.text();
        let counts: Vec<&str> = text.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
        assert_eq!(counts, ["1/3", "2/3", "3/3", "3/3"], "{text}");
        assert!(
            text.starts_with("compare: 1/3 scenarios (33 %), "),
            "{text}"
        );
    }

    #[test]
    fn short_work_logs_nothing_unless_asked_for_its_total() {
        let lines = Lines::default();
        let p = logging(LOG_EVERY, &lines);
        p.done();
        p.finish();
        assert_eq!(lines.text(), "", "a quick command stays silent");
        let p = logging(LOG_EVERY, &lines).always_log_total();
        p.done();
        p.finish();
        assert!(
            lines.text().starts_with("compare: 1/3 scenarios"),
            "{}",
            lines.text()
        );
    }

    #[test]
    fn off_shows_nothing() {
        let p = Progress::new("sweep", "runs", 5, false);
        assert!(matches!(p.show, Show::Off));
        p.done();
        p.finish();
    }
}
