//! Helpers shared by the end-to-end tests: run the `orrery` binary, read its outputs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where `scenarios/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Absolute path of a file under `scenarios/`.
pub fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// A command for the built `orrery` binary, with no backtrace variable inherited (so a panic
/// shows up as the plain "panicked" text the error tests look for).
pub fn orrery() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_orrery"));
    c.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    c
}

/// Runs `orrery` with `args` and returns its output.
pub fn run_orrery<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    orrery()
        .args(args)
        .output()
        .expect("cannot start the orrery binary")
}

/// Panics with the command's output unless it exited with 0.
pub fn assert_success(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "orrery failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// `orrery run [scenario] --out DIR [extra…]` that must succeed; returns stdout.
pub fn run_ok(scenario: Option<&Path>, out_dir: &Path, extra: &[&str]) -> String {
    let mut c = orrery();
    c.arg("run");
    if let Some(s) = scenario {
        c.arg(s);
    }
    c.arg("--out").arg(out_dir).args(extra);
    let out = c.output().expect("cannot start the orrery binary");
    assert_success(&out);
    stdout(&out)
}

/// The parsed `summary.json` in `dir`.
pub fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json is written");
    serde_json::from_str(&text).expect("summary.json is valid JSON")
}

/// A numeric field of a summary.
pub fn num(summary: &serde_json::Value, key: &str) -> f64 {
    summary[key]
        .as_f64()
        .unwrap_or_else(|| panic!("summary key `{key}` is not a number: {}", summary[key]))
}

/// A CSV file as (header, rows), every field a string.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let mut r = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let header = r
            .headers()
            .expect("a header row")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = r
            .records()
            .map(|rec| {
                rec.expect("a well-formed CSV row")
                    .iter()
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        Table { header, rows }
    }

    /// Index of column `name`.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column `{name}` in {:?}", self.header))
    }

    /// Column `name` of `row` as a number.
    pub fn f(&self, row: &[String], name: &str) -> f64 {
        let v = &row[self.col(name)];
        v.parse()
            .unwrap_or_else(|_| panic!("column `{name}` holds `{v}`, not a number"))
    }

    /// Column `name` of `row` as text.
    pub fn s<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        &row[self.col(name)]
    }
}

/// Asserts `out` is an input error: exit code 2, nothing on stdout, and stderr a single line
/// starting with `error:` without any trace of a panic. Returns stderr.
pub fn assert_input_error(out: &Output) -> String {
    let err = assert_input_error_paragraph(out);
    assert_eq!(
        err.lines().count(),
        1,
        "the error should be one line:\n{err}"
    );
    err
}

/// Like [`assert_input_error`], but only requires one paragraph (no blank line) on stderr.
pub fn assert_input_error_paragraph(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit code 2 for an input error; stderr:\n{err}"
    );
    assert!(
        err.starts_with("error: "),
        "stderr should start with `error: `:\n{err}"
    );
    assert!(
        err.ends_with('\n'),
        "stderr should end with a newline:\n{err:?}"
    );
    assert!(
        !err.trim_end().contains("\n\n"),
        "stderr should be one paragraph:\n{err}"
    );
    assert!(!err.contains("panicked"), "orrery panicked:\n{err}");
    assert!(!err.contains("RUST_BACKTRACE"), "orrery panicked:\n{err}");
    err
}

/// 1-based number of the first line of `text` that equals `line`.
pub fn line_of(text: &str, line: &str) -> usize {
    text.lines()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("no line `{line}` in the text"))
        + 1
}

/// Every file of every run folder of sweep directory `dir`, by relative path, after its
/// `results.csv` and `aggregate.csv`: what two sweeps must agree on byte for byte.
pub fn sweep_contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let sorted = |d: &Path| {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = ["results.csv", "aggregate.csv"]
        .iter()
        .map(|f| (f.into(), read(&dir.join(f))))
        .collect();
    for run in sorted(&dir.join("runs")) {
        for f in sorted(&run) {
            files.push((f.strip_prefix(dir).unwrap().into(), read(&f)));
        }
    }
    files
}

/// The folder (under `runs/`) of (point, replica) of the sweep in `dir`, from its results
/// table.
pub fn run_folder(dir: &Path, point: usize, replica: usize) -> String {
    let t = Table::read(&dir.join("results.csv"));
    let (p, r, run) = (t.col("point"), t.col("replica"), t.col("run"));
    t.rows
        .iter()
        .find(|row| row[p] == point.to_string() && row[r] == replica.to_string())
        .map(|row| row[run].clone())
        .expect("the run is in results.csv")
}
