//! Huawei Cloud's VM placement dataset Huawei-East-1 (one month of VM requests in East China,
//! published with VMAgent, mail-ecnu/VMAgent `vmagent/data/Huawei-East-1.csv`; schema in its
//! `vmagent/data/README.md`): one CSV file (or a directory holding `Huawei-East-1.csv`, or a
//! single `.csv`), an optional header line, then one request a row: `vmid` (int), `cpu`
//! (cores), `memory` (GB), `time` (seconds from the dataset's start), `type` (0 creation,
//! 1 deletion), in time order.
//!
//! Mapping: a creation → a VM request `vmid` arriving at `time` (s → ms), its deletion the
//! departure (none: it runs to the end); a vmid created again after its deletion becomes
//! `vmid#2`, `vmid#3`, …. `cpu` cores → ⌈cpu⌉ vCPUs holding cpu ×
//! [`Options::machine`]'s core MIPS (the dataset gives no CPU speed); `memory` GB → × 1024 MB
//! (flavours such as 2U4G are binary sizes); the type is the flavour, `<cpu>U<memory>G`. The
//! dataset has no utilisation: VMs have no samples. The deletion row's sizes are not read.
//!
//! Dropped, and counted: creations of a vmid already running, deletions of one not running,
//! VMs requesting no CPU, and VMs deleted no later than they were created. A row that breaks
//! the schema (too few columns, a non-number, a negative size or time, a type neither 0 nor 1)
//! is an error naming the file and line. The header, if any, is recognised by a first row
//! whose `cpu` is not a number.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;

use super::{csv_rows, whole_cores, Import, Options};
use crate::format::VmRecord;

/// The dataset's file name in VMAgent's repository.
const FILE: &str = "Huawei-East-1.csv";

/// Latest time accepted, seconds (the dataset spans 30 days).
const MAX_SECONDS: f64 = 1e10;

const FIX: &str = "rows are: vmid, cpu (cores), memory (GB), time (s), type (0 create, 1 delete); \
                   fix or remove the row";

/// A VM while the rows are read.
struct Vm {
    id: String,
    line: u64,
    cpu: f64,
    memory: f64,
    arrival: i64,
    departure: Option<i64>,
}

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    let path = file(source)?;
    let mut vms: Vec<Vm> = Vec::new();
    // The VM each running vmid is, and how many VMs each vmid has been.
    let mut running: HashMap<String, usize> = HashMap::new();
    let mut created: HashMap<String, u32> = HashMap::new();
    let mut first = true;
    csv_rows(&path, FIX, |row| {
        if std::mem::take(&mut first) && row.text(1).parse::<f64>().is_err() {
            return Ok(());
        }
        row.columns(5, "Huawei-East-1")?;
        let cpu = row.num(1, "cpu")?;
        let memory = row.num(2, "memory")?;
        if cpu < 0.0 || memory < 0.0 {
            return Err(format!("cpu {cpu} or memory {memory} is negative"));
        }
        let time = row.num(3, "time")?;
        if !(0.0..=MAX_SECONDS).contains(&time) {
            return Err(format!(
                "column 4 (time) is {time}; times are seconds from 0 to {MAX_SECONDS}"
            ));
        }
        // In range: at most 10^13 ms.
        let ms = (time * 1000.0).round() as i64;
        let vmid = row.text(0);
        match row.int(4, "type")? {
            0 if running.contains_key(vmid) => out.drop("creations of a VM already running"),
            0 => {
                let n = created.entry(vmid.to_string()).or_insert(0);
                *n += 1;
                let id = match *n {
                    1 => vmid.to_string(),
                    n => format!("{vmid}#{n}"),
                };
                running.insert(vmid.to_string(), vms.len());
                vms.push(Vm {
                    id,
                    line: row.line(),
                    cpu,
                    memory,
                    arrival: ms,
                    departure: None,
                });
            }
            1 => match running.remove(vmid) {
                Some(k) => vms[k].departure = Some(ms),
                None => out.drop("deletions of VMs not running"),
            },
            k => {
                return Err(format!(
                    "column 5 (type) is {k}; it is 0 (create) or 1 (delete)"
                ))
            }
        }
        Ok(())
    })?;
    for vm in vms {
        if vm.cpu <= 0.0 {
            out.drop("VMs requesting no CPU");
            continue;
        }
        if vm.departure.is_some_and(|d| d <= vm.arrival) {
            out.drop("VMs deleted no later than they were created");
            continue;
        }
        let (vcpus, cpu_mips) = whole_cores(vm.cpu, options.machine.core_mips);
        let record = VmRecord {
            arrival_ms: vm.arrival,
            departure_ms: vm.departure,
            vcpus,
            cpu_mips,
            memory_mb: vm.memory * 1024.0,
            vm_type: Some(format!("{}U{}G", vm.cpu, vm.memory)),
            id: vm.id,
            ..VmRecord::default()
        };
        let place = format!("line {} (VM {})", vm.line, record.id);
        out.vm(&path, &place, record)?;
    }
    Ok(())
}

/// The dataset's file: `source` itself, or in the directory `source` the file `FILE` or else
/// its only `.csv` file.
fn file(source: &Path) -> Result<PathBuf, InputError> {
    if !source.is_dir() {
        return Ok(source.to_path_buf());
    }
    let named = source.join(FILE);
    if named.is_file() {
        return Ok(named);
    }
    let entries = std::fs::read_dir(source).map_err(|e| {
        InputError::file(source, format!("cannot list: {e}")).hint("check the source directory")
    })?;
    let csv: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "csv"))
        .take(2)
        .collect();
    match csv.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(
            InputError::file(source, format!("no {FILE} (nor a single .csv file)"))
                .hint("give the dataset's CSV file, or the directory holding it"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use crate::import::{import, Format, Machine, Options, Report};
    use crate::{TraceReader, VmRecord};

    fn options() -> Options {
        Options {
            machine: Machine {
                cores: 40,
                core_mips: 1000.0,
                memory_mb: 92_160.0,
            },
            ..Options::default()
        }
    }

    fn run(src: &Path) -> (Report, Vec<VmRecord>) {
        let out = src.with_extension("parquet");
        let report = import(Format::Huawei, src, &out, &options()).unwrap();
        let vms = TraceReader::open(&out)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (report, vms)
    }

    /// VM 1 is created again after its deletion; 4 requests no CPU; 5 is deleted when created;
    /// 6 is deleted without being created; 3 is created twice; 7 asks for half a core.
    const DATA: &str = "\
vmid,cpu,memory,time,type
1,1,2,0,0
2,4,8,60,0
3,2,4,120,0
4,0,1,200,0
5,1,1,300,0
5,1,1,300,1
6,1,1,400,1
3,2,4,500,0
7,0.5,1,600,0
1,1,2,3600,1
1,1,2,4000,0
1,1,2,5000,1
2,4,8,7200,1
";

    fn fixture(dir: &Path) -> std::path::PathBuf {
        let src = dir.join("huawei");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("Huawei-East-1.csv"), DATA).unwrap();
        src
    }

    #[test]
    fn creations_and_deletions_become_vm_requests() {
        let tmp = tempfile::tempdir().unwrap();
        let (report, vms) = run(&fixture(tmp.path()));
        let vm: BTreeMap<&str, &VmRecord> = vms.iter().map(|r| (r.id.as_str(), r)).collect();
        assert_eq!(
            vm.keys().copied().collect::<Vec<_>>(),
            ["1", "1#2", "2", "3", "7"]
        );
        let one = vm["1"];
        assert_eq!((one.arrival_ms, one.departure_ms), (0, Some(3_600_000)));
        assert_eq!(
            (one.vcpus, one.cpu_mips, one.memory_mb),
            (1, 1000.0, 2048.0)
        );
        assert_eq!(one.vm_type.as_deref(), Some("1U2G"));
        assert!(one.sample_ms.is_empty());
        assert_eq!(
            (vm["1#2"].arrival_ms, vm["1#2"].departure_ms),
            (4_000_000, Some(5_000_000))
        );
        assert_eq!((vm["3"].arrival_ms, vm["3"].departure_ms), (120_000, None));
        let half = vm["7"];
        assert_eq!(
            (half.vcpus, half.cpu_mips, half.vm_type.as_deref()),
            (1, 500.0, Some("0.5U1G"))
        );
        let dropped: Vec<(&str, usize)> = report
            .dropped
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            dropped,
            [
                ("VMs deleted no later than they were created", 1),
                ("VMs requesting no CPU", 1),
                ("creations of a VM already running", 1),
                ("deletions of VMs not running", 1),
            ]
        );
    }

    #[test]
    fn vm_count_cpu_hours_and_memory_hours_are_conserved() {
        let tmp = tempfile::tempdir().unwrap();
        let (_, vms) = run(&fixture(tmp.path()));
        let end_ms = 7_200_000;
        let held = |r: &VmRecord| (r.departure_ms.unwrap_or(end_ms) - r.arrival_ms) as f64 / 3.6e6;
        // By hand, seconds alive to the end (7200 s) × cores and × GB × 1024:
        // 1: 3600, 2: 7140, 3: 7080, 7: 6600, 1#2: 1000.
        let core_hours = (3600.0 + 4.0 * 7140.0 + 2.0 * 7080.0 + 0.5 * 6600.0 + 1000.0) / 3600.0;
        let memory_hours =
            1024.0 * (2.0 * 3600.0 + 8.0 * 7140.0 + 4.0 * 7080.0 + 6600.0 + 2.0 * 1000.0) / 3600.0;
        assert_eq!(vms.len(), 5);
        // The dataset has no utilisation: nothing used, the requests as given.
        assert_eq!(
            vms.iter().map(|r| r.cpu_hours_used(end_ms)).sum::<f64>(),
            0.0
        );
        let got_cores: f64 = vms.iter().map(|r| r.total_mips() / 1000.0 * held(r)).sum();
        let got_memory: f64 = vms.iter().map(|r| r.memory_mb * held(r)).sum();
        assert!(
            (got_cores - core_hours).abs() <= 1e-9 * core_hours,
            "{got_cores} vs {core_hours}"
        );
        assert!((got_memory - memory_hours).abs() <= 1e-9 * memory_hours);
    }

    #[test]
    fn a_malformed_row_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = |text: &str| {
            let path = tmp.path().join("data.csv");
            std::fs::write(&path, text).unwrap();
            let e = import(
                Format::Huawei,
                &path,
                &tmp.path().join("t.parquet"),
                &options(),
            )
            .unwrap_err();
            assert!(e.file.ends_with("data.csv"), "{e}");
            assert!(e.hint.as_deref().unwrap().contains("vmid, cpu"), "{e}");
            (e.line, e.message)
        };
        // Headerless: the first row is data.
        let (line, m) = bad("1,1,2,0,0\n2,1,2,5,0\n1,1,2,9,2\n");
        assert_eq!(line, Some(3));
        assert!(m.contains("column 5 (type) is 2"), "{m}");
        let (line, m) = bad("vmid,cpu,memory,time,type\n1,1,lots,0,0\n");
        assert_eq!(line, Some(2));
        assert_eq!(m, "column 3 (memory) is `lots`, not a number");
        let (line, m) = bad("1,-1,2,0,0\n");
        assert_eq!(line, Some(1));
        assert!(m.contains("negative"), "{m}");
        let (_, m) = bad("1,1,2,1e300,0\n");
        assert!(m.contains("seconds from 0"), "{m}");
        let (_, m) = bad("1,1,2\n");
        assert!(m.contains("3 columns"), "{m}");
        let empty = tmp.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let e = import(
            Format::Huawei,
            &empty,
            &tmp.path().join("t.parquet"),
            &options(),
        )
        .unwrap_err();
        assert!(e.message.contains("no Huawei-East-1.csv"), "{e}");
    }
}
