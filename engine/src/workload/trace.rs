//! The PlanetLab trace format used by CloudSim: one file per VM, one integer CPU utilisation
//! percent (0 to 100) per line, sampled every 300 s.

// `InputError` (crate::error) is large; errors here are a cold path and the signatures are part of
// the crate's API, so the lint is silenced for this module rather than boxing the error.

use std::fs;
use std::path::{Path, PathBuf};

use super::series::SampledSeries;
use crate::error::InputError;
use crate::time::{Millis, SECOND};

/// Sample interval of PlanetLab traces: 300 s.
pub const PLANETLAB_INTERVAL: Millis = 300 * SECOND;

/// One VM's trace: its file name and its utilisation series (fractions 0..=1).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceFile {
    /// The file name (not the full path), lossily converted to UTF-8.
    pub name: String,
    /// The utilisation series, with CloudSim's extra final sample.
    pub series: SampledSeries,
}

/// Loads every trace in `dir`, in byte order of the file names.
///
/// Sub-directories and hidden files (names starting with `.`) are skipped. Fails when the
/// directory is missing, unreadable or holds no trace files, when it holds more than
/// `max_files` (checked before any is read), or when any file is malformed.
pub fn load_planetlab_dir(dir: &Path, max_files: u64) -> Result<Vec<TraceFile>, InputError> {
    if !dir.exists() {
        return Err(
            InputError::file(dir, "trace directory does not exist").hint(
                "pass `--set workload.trace_dir=DIR` with a directory holding one PlanetLab trace \
             file per VM",
            ),
        );
    }
    if !dir.is_dir() {
        return Err(InputError::file(dir, "trace path is not a directory").hint(
            "pass `--set workload.trace_dir=DIR` with a directory (not a file) holding one \
             PlanetLab trace file per VM",
        ));
    }
    let read_err = |e: std::io::Error| {
        InputError::file(dir, format!("cannot read trace directory: {e}"))
            .hint("check that the directory exists and is readable")
    };
    let mut files: Vec<(Vec<u8>, String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name();
        let bytes = name.as_encoded_bytes().to_vec();
        if bytes.first() == Some(&b'.') {
            continue;
        }
        let path = entry.path();
        // Follows symlinks, so a link to a directory is skipped too.
        if path.is_dir() {
            continue;
        }
        files.push((bytes, name.to_string_lossy().into_owned(), path));
    }
    if files.is_empty() {
        return Err(
            InputError::file(dir, "trace directory holds no trace files").hint(
                "put one PlanetLab trace file per VM in the directory (hidden files and \
                 sub-directories are ignored), or pass `--set workload.trace_dir=DIR` with \
                 another directory",
            ),
        );
    }
    if files.len() as u64 > max_files {
        return Err(InputError::file(
            dir,
            format!(
                "the trace directory holds {} files (one VM each), over the limit of {max_files} VMs",
                files.len()
            ),
        )
        .hint("if the machine can take it, raise the limit: --set limits.max_vms=N"));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
        .into_iter()
        .map(|(_, name, path)| {
            Ok(TraceFile {
                name,
                series: load_planetlab_file(&path)?,
            })
        })
        .collect()
}

/// Loads one PlanetLab trace file into a series with a 300 s interval.
///
/// Each non-blank line holds an integer percent 0..=100 (surrounding whitespace is ignored, as
/// are blank lines at the end of the file). Values become fractions (percent / 100), and the last
/// value is appended once more, as CloudSim does (288 lines give 289 samples).
pub fn load_planetlab_file(path: &Path) -> Result<SampledSeries, InputError> {
    let bytes = crate::input::read_bytes(
        path,
        "trace file",
        crate::input::MAX_TRACE_BYTES,
        "check that the file exists and is readable",
    )?;
    parse_planetlab(path, &bytes)
}

/// Parses PlanetLab trace `bytes` read from `path` (named in errors); see
/// [`load_planetlab_file`].
pub fn parse_planetlab(path: &Path, bytes: &[u8]) -> Result<SampledSeries, InputError> {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    // Blank lines at the end are allowed; anything blank before the last value is an error.
    let used = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    if used == 0 {
        return Err(InputError::file(path, "trace file is empty")
            .at(1, None)
            .hint("write one CPU utilisation percent (an integer 0 to 100) per line"));
    }
    let mut values = Vec::with_capacity(used + 1);
    for (i, raw) in lines[..used].iter().enumerate() {
        let line = i + 1;
        let word = raw.trim();
        let column = raw.len() - raw.trim_start().len() + 1;
        if word.is_empty() {
            return Err(InputError::file(path, "blank line inside the trace")
                .at(line, None)
                .hint("remove the blank line or write a CPU utilisation percent (0 to 100)"));
        }
        let percent: i64 = word.parse().map_err(|_| {
            let shown: String = word.chars().take(40).collect();
            InputError::file(
                path,
                format!("expected an integer CPU utilisation percent (0 to 100), found `{shown}`"),
            )
            .at(line, Some(column))
            .hint("write one whole number per line, such as `37`")
        })?;
        if !(0..=100).contains(&percent) {
            return Err(InputError::file(
                path,
                format!("CPU utilisation {percent}% is outside 0 to 100"),
            )
            .at(line, Some(column))
            .hint("utilisation is a percent of the VM's capacity: use a value from 0 to 100"));
        }
        values.push(percent as f64 / 100.0);
    }
    let last = values[values.len() - 1];
    values.push(last);
    Ok(SampledSeries::new(PLANETLAB_INTERVAL, values))
}

/// Environment variable naming the folder with `planetlab/` and `reference/` (PlanetLab traces
/// and CloudSim's results), when it is not `shared/data` beside the clone.
pub const SHARED_DATA_VAR: &str = "ORRERY_SHARED_DATA";

/// The shared data folder: `$ORRERY_SHARED_DATA` if set, else `../shared/data` from `repo` (the
/// repository's root).
pub fn shared_data(repo: &Path) -> PathBuf {
    std::env::var_os(SHARED_DATA_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn directory_is_read_in_byte_order_skipping_hidden_files_and_subdirectories() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        // Byte order: 'A' (0x41) < 'B' (0x42) < '_' (0x5F) < 'a' (0x61). A locale-aware or
        // case-insensitive order would put "a" first or "_x" first instead.
        write(d, "B", "20\n50\n");
        write(d, "a", "  7 \n100\n\n");
        write(d, "_x", "0");
        write(d, "A1", "1\n2\n3\n");
        write(d, ".hidden", "not a number\n");
        fs::create_dir(d.join("sub")).unwrap();
        write(&d.join("sub"), "inner", "5\n");

        let traces = load_planetlab_dir(d, u64::MAX).unwrap();
        let names: Vec<&str> = traces.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["A1", "B", "_x", "a"]);
        // Values are percent / 100 with the last one appended once more.
        assert_eq!(traces[0].series.values, [0.01, 0.02, 0.03, 0.03]);
        assert_eq!(traces[1].series.values, [0.2, 0.5, 0.5]);
        assert_eq!(traces[2].series.values, [0.0, 0.0]);
        assert_eq!(traces[3].series.values, [0.07, 1.0, 1.0]);
        assert!(traces.iter().all(|t| t.series.interval == 300_000));
    }

    #[test]
    fn a_288_line_file_gets_a_289th_sample_equal_to_the_288th() {
        let tmp = tempfile::tempdir().unwrap();
        // Line k (1-based) holds k % 101, so line 288 holds 288 - 2*101 = 86.
        let text: String = (1..=288).map(|k| format!("{}\n", k % 101)).collect();
        let s = load_planetlab_file(&write(tmp.path(), "vm", &text)).unwrap();
        assert_eq!(s.len(), 289);
        assert_eq!(s.values[287], 0.86);
        assert_eq!(s.values[288], 0.86);
        // 288 samples * 300 s = 86 400 s: the 289th sample sits exactly at 24 h.
        assert_eq!(s.at(86_400_000), 0.86);
    }

    #[test]
    fn missing_directory_is_an_error_with_a_hint() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let e = load_planetlab_dir(&missing, u64::MAX).unwrap_err();
        assert_eq!(e.file, missing);
        assert_eq!(e.line, None);
        assert!(e.message.contains("trace directory does not exist"));
        assert!(e.hint.unwrap().contains("--set workload.trace_dir=DIR"));
    }

    #[test]
    fn empty_directory_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), ".only_hidden", "5\n");
        let e = load_planetlab_dir(tmp.path(), u64::MAX).unwrap_err();
        assert_eq!(e.file, tmp.path());
        assert!(e.message.contains("no trace files"), "{e}");
        assert!(e.hint.is_some());
    }

    #[test]
    fn non_integer_line_names_file_line_and_what_was_found() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "vm1", "10\n20\n 12.5\n30\n");
        let e = load_planetlab_dir(tmp.path(), u64::MAX).unwrap_err();
        assert_eq!(e.file, p);
        // "12.5" is on the third line, after one leading space.
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column, Some(2));
        assert!(e.message.contains("`12.5`"), "{e}");
        assert!(e.hint.is_some());
    }

    #[test]
    fn blank_line_in_the_middle_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "vm", "10\n\n20\n");
        let e = load_planetlab_file(&p).unwrap_err();
        assert_eq!((e.file, e.line), (p, Some(2)));
    }

    #[test]
    fn out_of_range_value_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "vm", "10\n101\n");
        let e = load_planetlab_file(&p).unwrap_err();
        assert_eq!(e.file, p);
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("101"), "{e}");
        let p = write(tmp.path(), "neg", "-1\n");
        let e = load_planetlab_file(&p).unwrap_err();
        assert_eq!((e.file, e.line), (p, Some(1)));
    }

    #[test]
    fn empty_file_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "vm", " \n\n");
        let e = load_planetlab_dir(tmp.path(), u64::MAX).unwrap_err();
        assert_eq!(e.file, p);
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("empty"), "{e}");
    }

    #[test]
    fn real_planetlab_day_has_1052_files_of_289_samples() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = shared_data(&repo).join("planetlab/20110303");
        assert!(
            dir.is_dir(),
            "PlanetLab traces are expected at {} (`shared/data` next to the workspace root, or \
             ${SHARED_DATA_VAR}); it is missing",
            dir.display()
        );
        let traces = load_planetlab_dir(&dir, u64::MAX).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(traces.len(), 1052);
        assert!(traces.iter().all(|t| t.series.len() == 289));
        assert!(traces
            .windows(2)
            .all(|w| w[0].name.as_bytes() < w[1].name.as_bytes()));
        // First file in byte order; its first lines are 24, 34, 29 (read with `head -3`).
        assert_eq!(
            traces[0].name,
            "146-179_surfsnel_dsl_internl_net_colostate_557"
        );
        assert_eq!(traces[0].series.values[..3], [0.24, 0.34, 0.29]);
    }
}
