//! Bitbrains, GWA-T-12 (`bitbrains`, the Grid Workloads Archive's `fastStorage` and `Rnd`
//! sets): a directory of `N.csv` files, one VM each, a row about every 300 s. Fields are
//! separated by `;` and a tab, under the header `Timestamp [ms]; CPU cores; CPU capacity
//! provisioned [MHZ]; CPU usage [MHZ]; CPU usage [%]; Memory capacity provisioned [KB]; Memory
//! usage [KB]; Disk read throughput [KB/s]; Disk write throughput [KB/s]; Network received
//! throughput [KB/s]; Network transmitted throughput [KB/s]`. Despite its label the timestamp is
//! in seconds since the Unix epoch (1376314846 is 12 August 2013; OpenDC's reader takes it so
//! too). Columns are found by name; only the directory's own `*.csv` files are read (`Rnd`
//! keeps a month a subdirectory: import each).
//!
//! Mapping: a file → a VM request: `id` = the file's name without `.csv`; the trace starts at
//! the earliest timestamp of all files (its wall-clock start); arrival = the VM's first
//! timestamp, departure = its last + 300 s (the nominal interval, for the last sample);
//! `vcpus` = CPU cores, `cpu_mips` = CPU capacity provisioned / cores, `memory_mb` = memory
//! capacity provisioned / 1000 (KB of 1000 bytes), each the largest over the file's rows (the
//! memory capacity reads 0 in some rows); a row → a sample at its timestamp of CPU usage [MHZ] /
//! that capacity, held until the next (gaps hold the last value; usage above the capacity, which
//! the files show, is capped and counted). Rows are taken in time order. `CPU usage [%]` and the
//! disk and network columns are not used.
//!
//! Dropped and counted: rows repeating a timestamp of their file (the first is kept), files
//! without rows, and VMs with no CPU capacity (0 cores or MHz in every row).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;

use super::{open_text, Import, MemoryUnit, Options};
use crate::format::{VmRecord, MAX_VCPUS};

/// Seconds between rows: the last row's sample lasts this long.
const INTERVAL_S: i64 = 300;

/// The header columns read, in this order.
const COLUMNS: [&str; 5] = [
    "Timestamp [ms]",
    "CPU cores",
    "CPU capacity provisioned [MHZ]",
    "CPU usage [MHZ]",
    "Memory capacity provisioned [KB]",
];

/// One file's VM so far: the largest provision and the (timestamp s, usage MHz) rows.
#[derive(Default)]
struct Vm {
    cores: u32,
    capacity: f64,
    memory_kb: f64,
    rows: Vec<(i64, f64)>,
}

pub(super) fn read(source: &Path, _options: &Options, out: &mut Import) -> Result<(), InputError> {
    let mut vms: Vec<(PathBuf, String, Vm)> = Vec::new();
    for path in csv_files(source)? {
        let mut vm = read_file(&path)?;
        // In time order, a timestamp's first row kept.
        vm.rows.sort_by_key(|&(t, _)| t);
        let before = vm.rows.len();
        vm.rows.dedup_by_key(|&mut (t, _)| t);
        for _ in vm.rows.len()..before {
            out.drop("rows repeating a timestamp of their file");
        }
        if vm.rows.is_empty() {
            out.drop("files without rows");
            continue;
        }
        if vm.cores == 0 || vm.capacity <= 0.0 {
            out.drop("VMs with no CPU capacity");
            continue;
        }
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        vms.push((path, id, vm));
    }
    let Some(start_s) = vms.iter().map(|(_, _, vm)| vm.rows[0].0).min() else {
        return Ok(());
    };
    out.start_unix_ms(start_s.saturating_mul(1000));
    for (path, id, vm) in vms {
        // Rows are in order, their timestamps fit in ms (checked while reading).
        let at = |t: i64| (t - start_s) * 1000;
        let last = vm.rows[vm.rows.len() - 1].0;
        let record = VmRecord {
            id,
            arrival_ms: at(vm.rows[0].0),
            departure_ms: Some(at(last + INTERVAL_S)),
            vcpus: vm.cores,
            cpu_mips: vm.capacity / f64::from(vm.cores),
            memory_mb: vm.memory_kb * MemoryUnit::Kb.in_mb(),
            sample_ms: vm.rows.iter().map(|&(t, _)| at(t)).collect(),
            cpu_util: vm.rows.iter().map(|&(_, u)| u / vm.capacity).collect(),
            ..VmRecord::default()
        };
        out.vm(&path, "the file", record)?;
    }
    Ok(())
}

/// The `*.csv` files of `source`, by number where named so (`2.csv` before `10.csv`).
fn csv_files(source: &Path) -> Result<Vec<PathBuf>, InputError> {
    let fail = |e: std::io::Error| {
        InputError::file(source, format!("cannot list the directory: {e}"))
            .hint("give the directory of GWA-T-12's N.csv files")
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(source).map_err(fail)? {
        let path = entry.map_err(fail)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "csv") {
            let number = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok());
            files.push((number.is_none(), number, path));
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, _, p)| p).collect())
}

/// One VM's file.
fn read_file(path: &Path) -> Result<Vm, InputError> {
    let mut reader = std::io::BufReader::new(open_text(path)?);
    let mut text = String::new();
    let mut line = 0usize;
    let mut columns: Option<Vec<usize>> = None;
    let mut vm = Vm::default();
    loop {
        text.clear();
        let read = reader.read_line(&mut text).map_err(|e| {
            InputError::file(path, format!("cannot read after line {line}: {e}"))
                .hint("check that the file is the dataset's own, whole and unaltered")
        })?;
        if read == 0 {
            return Ok(vm);
        }
        line += 1;
        if text.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = text.split(';').map(str::trim).collect();
        match &columns {
            None => header(&fields).map(|c| columns = Some(c)),
            Some(c) => row(&mut vm, &fields, c),
        }
        .map_err(|m| {
            InputError::file(path, m)
                .at(line, None)
                .hint("fix or remove that row (docs/traces.md gives the dataset's schema)")
        })?;
    }
}

/// The positions of [`COLUMNS`] in the header's `fields`.
fn header(fields: &[&str]) -> Result<Vec<usize>, String> {
    COLUMNS
        .iter()
        .map(|name| {
            fields.iter().position(|h| h == name).ok_or_else(|| {
                format!("no `{name}` column in the header; is this a GWA-T-12 file?")
            })
        })
        .collect()
}

/// Field `k` of [`COLUMNS`] in a row's `fields`, a number.
fn number(fields: &[&str], c: &[usize], k: usize) -> Result<f64, String> {
    let text = fields.get(c[k]).copied().unwrap_or("");
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => {
            let shown: String = text.chars().take(40).collect();
            Err(format!("`{}` is `{shown}`, not a number", COLUMNS[k]))
        }
    }
}

/// Adds a row's `fields` (at the header's columns `c`) to `vm`.
fn row(vm: &mut Vm, fields: &[&str], c: &[usize]) -> Result<(), String> {
    let t = number(fields, c, 0)?;
    if !(t.fract() == 0.0 && (0.0..=1e15).contains(&t)) {
        return Err(format!(
            "`{}` is {t}, not a time in whole seconds",
            COLUMNS[0]
        ));
    }
    let t = t as i64;
    let cores = number(fields, c, 1)?;
    if !(cores.fract() == 0.0 && (0.0..=f64::from(MAX_VCPUS)).contains(&cores)) {
        return Err(format!(
            "`{}` is {cores}; a VM has a whole number of cores up to {MAX_VCPUS}",
            COLUMNS[1]
        ));
    }
    let amount = |k: usize| -> Result<f64, String> {
        let v = number(fields, c, k)?;
        if v >= 0.0 {
            Ok(v)
        } else {
            Err(format!("`{}` is {v}; it is 0 or more", COLUMNS[k]))
        }
    };
    let capacity = amount(2)?;
    let usage = amount(3)?;
    let memory = amount(4)?;
    vm.cores = vm.cores.max(cores as u32);
    vm.capacity = vm.capacity.max(capacity);
    vm.memory_kb = vm.memory_kb.max(memory);
    vm.rows.push((t, usage));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{import, Format, Options};
    use crate::TraceReader;

    const HEADER: &str = "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\t\
                          CPU usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned [KB];\t\
                          Memory usage [KB];\tDisk read throughput [KB/s];\t\
                          Disk write throughput [KB/s];\tNetwork received throughput [KB/s];\t\
                          Network transmitted throughput [KB/s]\n";

    /// A row: timestamp (s), cores, capacity and usage (MHz), memory provisioned (KB).
    fn row(t: i64, cores: u32, capacity: f64, usage: f64, memory_kb: f64) -> String {
        let pct = if capacity > 0.0 {
            usage / capacity * 100.0
        } else {
            0.0
        };
        format!(
            "{t};\t{cores};\t{capacity};\t{usage};\t{pct};\t{memory_kb};\t100;\t0;\t0;\t0;\t0\n"
        )
    }

    fn write(dir: &Path, name: &str, rows: &[String]) {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("src").join(name),
            format!("{HEADER}{}", rows.concat()),
        )
        .unwrap();
    }

    /// VM 1: 2 cores of 2500 MHz, 4 000 000 KB (0 in one row), three rows from 1376314846 s,
    /// two out of order; VM 2: 1 core of 2000 MHz, 1 000 000 KB, two rows from 300 s earlier
    /// and a third repeating the second's time; 3 has no capacity, 10 no rows.
    fn fixture(dir: &Path) {
        write(
            dir,
            "1.csv",
            &[
                row(1_376_314_846, 2, 5000.0, 2500.0, 4e6),
                row(1_376_315_446, 2, 5000.0, 5000.0, 4e6),
                row(1_376_315_146, 2, 5000.0, 1000.0, 0.0),
            ],
        );
        write(
            dir,
            "2.csv",
            &[
                row(1_376_314_546, 1, 2000.0, 500.0, 1e6),
                row(1_376_314_846, 1, 2000.0, 1500.0, 1e6),
                row(1_376_314_846, 1, 2000.0, 2000.0, 1e6),
            ],
        );
        write(dir, "3.csv", &[row(1_376_314_846, 0, 0.0, 0.0, 1e6)]);
        write(dir, "10.csv", &[]);
        std::fs::write(dir.join("src/README.txt"), "not a VM").unwrap();
    }

    #[test]
    fn conserves_vms_cpu_and_memory_hours() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path());
        let out = dir.path().join("t.parquet");
        let report = import(
            Format::Bitbrains,
            &dir.path().join("src"),
            &out,
            &Options::default(),
        )
        .unwrap();
        let vms: Vec<_> = TraceReader::open(&out)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // Hand-checked: core-seconds used are usage / MHz a core × 300 s a row: VM 1
        // (2500 + 1000 + 5000) / 2500 × 300, VM 2 (500 + 1500) / 2000 × 300.
        let cpu_hours = (1020.0 + 300.0) / 3600.0;
        // MB × s: VM 1 4000 MB over 3 rows of 300 s, VM 2 1000 MB over 2.
        let memory_hours = (4000.0 * 900.0 + 1000.0 * 600.0) / 3600.0;
        assert_eq!(vms.len(), 2);
        let used: f64 = vms.iter().map(|r| r.cpu_hours_used(i64::MAX)).sum();
        let memory: f64 = vms.iter().map(|r| r.memory_mb_hours(i64::MAX)).sum();
        assert!(
            (used - cpu_hours).abs() <= 1e-9 * cpu_hours,
            "{used} vs {cpu_hours}"
        );
        assert!((memory - memory_hours).abs() <= 1e-9 * memory_hours);
        let (two, one) = (&vms[0], &vms[1]);
        assert_eq!(
            (two.id.as_str(), two.arrival_ms, two.departure_ms),
            ("2", 0, Some(600_000))
        );
        assert_eq!(
            (one.id.as_str(), one.arrival_ms, one.departure_ms),
            ("1", 300_000, Some(1_200_000))
        );
        assert_eq!(
            (one.vcpus, one.cpu_mips, one.memory_mb),
            (2, 2500.0, 4000.0)
        );
        assert_eq!(one.sample_ms, [300_000, 600_000, 900_000]);
        assert_eq!(one.cpu_util, [0.5, 0.2, 1.0]);
        assert_eq!(report.dropped["VMs with no CPU capacity"], 1);
        assert_eq!(report.dropped["files without rows"], 1);
        assert_eq!(
            report.dropped["rows repeating a timestamp of their file"],
            1
        );
    }

    #[test]
    fn malformed_rows_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path());
        let src = dir.path().join("src");
        let out = dir.path().join("t.parquet");
        for (rows, line, what) in [
            (
                vec![row(100, 1, 10.0, 1.0, 1.0), row(-100, 1, 10.0, 1.0, 1.0)],
                3,
                "whole seconds",
            ),
            (vec![row(100, 1, 10.0, -1.0, 1.0)], 2, "CPU usage"),
            (
                vec![row(100, 1_000_000_000, 10.0, 1.0, 1.0)],
                2,
                "CPU cores",
            ),
        ] {
            write(dir.path(), "2.csv", &rows);
            let e = import(Format::Bitbrains, &src, &out, &Options::default()).unwrap_err();
            assert_eq!((e.file, e.line), (src.join("2.csv"), Some(line)));
            assert!(e.message.contains(what), "{}", e.message);
        }
        std::fs::write(src.join("2.csv"), "time;cores\n1;2\n").unwrap();
        let e = import(Format::Bitbrains, &src, &out, &Options::default()).unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
