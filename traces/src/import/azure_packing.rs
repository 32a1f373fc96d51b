//! Azure Packing Trace 2020 (`azure-packing`, the Protean paper's VM requests): the published
//! SQLite database's two tables exported as CSV with their header rows, `vm.csv` and
//! `vmType.csv`, in a directory (sqlite3: `.headers on`, `.mode csv`, `.output vm.csv`,
//! `select * from vm;`, and likewise for `vmType`). Columns are found by name, in any order.
//!
//! - `vm`: `vmId, tenantId, vmTypeId, priority` (0 high, 1 low: evictable, its recorded end then
//!   the eviction), `starttime, endtime` in fractional days from the start of the 14-day
//!   collection (a negative start: alive when it began; `endtime` empty or `NULL`: alive past
//!   the 90-day cap).
//! - `vmType`: `id, vmTypeId, machineId, core, memory, hdd, ssd, nic`, one row a type and machine
//!   generation: what the type asks of that machine, as fractions of it.
//!
//! Mapping: a vm row → a VM request: `id` = vmId, `tenant` = tenantId, `type` = vmTypeId,
//! attribute `priority`; arrival = max(starttime, 0) (VMs alive at the start arrive at 0),
//! departure = endtime (none when it is empty), days × 86 400 000 ms. The fractions scale by
//! one machine, [`Options::machine`], so every type is sized from its row on one reference
//! machine, the machineId that offers the most types (ties: the lowest), or, for a type it does
//! not offer, from its row of the lowest machineId. `vcpus` = core × the machine's cores,
//! rounded up (at least 1; within 10⁻⁹ of a whole number counts as it, the tables' fractions
//! such as 1/24 being rounded), and `cpu_mips` = core × cores × MIPS a core / `vcpus`, so the
//! VM's whole CPU is exactly its fraction of the machine's and no vCPU is faster than a core;
//! `memory_mb` = memory × the machine's MB. hdd, ssd and nic are not used.
//!
//! Utilisation: the trace has none; it records requests to pack. Every VM gets one sample of 1.0
//! at arrival: it uses what it reserved. The simulated demand is then what the trace measures,
//! the allocations a host holds for a VM's lifetime whatever the VM does with them; with no
//! sample every VM would count as idle, hosts full by allocation drawing idle power.
//!
//! Dropped and counted: VMs of a type not in `vmType`, VMs whose type asks for no CPU, and VMs
//! that end no later than they arrive (ended before the collection began, or zero-length).

use std::collections::BTreeMap;
use std::path::Path;

use orrery_engine::error::InputError;

use super::{csv_rows, whole_cores, Import, Options, Row};
use crate::format::VmRecord;

/// How to fix a row this importer refuses.
const FIX: &str = "fix or remove that row (docs/traces.md gives the dataset's schema)";
/// Milliseconds a day.
const DAY_MS: f64 = 86_400_000.0;
/// Largest |time| in days accepted (far beyond the trace's 90-day cap, far below overflow).
const MAX_DAYS: f64 = 1e6;
/// A share of cores this close to a whole number is that number (the tables' fractions, 1/24
/// say, are rounded).
const WHOLE: f64 = 1e-9;

/// What a VM type asks of one machine, as fractions of it.
#[derive(Debug, Clone, Copy)]
struct Share {
    machine: i64,
    core: f64,
    memory: f64,
}

/// The columns named `names` in the header `row`, in that order.
fn columns(row: &Row, names: &[&str]) -> Result<Vec<usize>, String> {
    let header: Vec<&str> = (0..)
        .map(|i| row.text(i))
        .take_while(|h| !h.is_empty())
        .collect();
    names
        .iter()
        .map(|name| {
            header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!(
                        "no `{name}` column in the header; export the table with its header \
                         row (sqlite3: `.headers on`, `.mode csv`)"
                    )
                })
        })
        .collect()
}

/// Column `i` of `row`, a fraction of a machine in [0, 1].
fn fraction(row: &Row, i: usize, name: &str) -> Result<f64, String> {
    let f = row.num(i, name)?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!(
            "column {} ({name}) is {f}; it is a fraction of a machine, from 0 to 1",
            i + 1
        ))
    }
}

/// Column `i` of `row`, fractional days, as ms (`None` when empty or `NULL`).
fn days_ms(row: &Row, i: usize, name: &str) -> Result<Option<i64>, String> {
    if row.text(i).eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    let Some(days) = row.opt_num(i, name)? else {
        return Ok(None);
    };
    if days.abs() > MAX_DAYS {
        return Err(format!(
            "column {} ({name}) is {days} days, not a time in the trace",
            i + 1
        ));
    }
    Ok(Some((days * DAY_MS).round() as i64))
}

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    if !source.is_dir() {
        return Err(InputError::file(source, "not a directory")
            .hint("give the directory holding vm.csv and vmType.csv"));
    }
    let types_path = source.join("vmType.csv");
    let vms_path = source.join("vm.csv");
    // Each type's share on each machine.
    let mut shares: BTreeMap<String, BTreeMap<i64, Share>> = BTreeMap::new();
    let mut header: Option<Vec<usize>> = None;
    csv_rows(&types_path, FIX, |row| {
        let Some(c) = &header else {
            header = Some(columns(row, &["vmTypeId", "machineId", "core", "memory"])?);
            return Ok(());
        };
        let share = Share {
            machine: row.int(c[1], "machineId")?,
            core: fraction(row, c[2], "core")?,
            memory: fraction(row, c[3], "memory")?,
        };
        let id = row.text(c[0]);
        if shares
            .entry(id.to_string())
            .or_default()
            .insert(share.machine, share)
            .is_some()
        {
            return Err(format!(
                "type `{id}` on machine {} appears twice",
                share.machine
            ));
        }
        Ok(())
    })?;
    let reference = reference_machine(&shares);
    let sizes: BTreeMap<String, Share> = shares
        .into_iter()
        .filter_map(|(id, on)| {
            let share = reference
                .and_then(|m| on.get(&m))
                .or_else(|| on.values().next())
                .copied()?;
            Some((id, share))
        })
        .collect();
    let machine = options.machine;
    let mut header: Option<Vec<usize>> = None;
    csv_rows(&vms_path, FIX, |row| {
        let Some(c) = &header else {
            let names = [
                "vmId",
                "tenantId",
                "vmTypeId",
                "priority",
                "starttime",
                "endtime",
            ];
            header = Some(columns(row, &names)?);
            return Ok(());
        };
        let start = days_ms(row, c[4], "starttime")?
            .ok_or_else(|| format!("column {} (starttime) is empty", c[4] + 1))?;
        let end = days_ms(row, c[5], "endtime")?;
        if end.is_some_and(|e| e < start) {
            return Err(format!(
                "endtime {} is before starttime {}",
                row.text(c[5]),
                row.text(c[4])
            ));
        }
        let Some(share) = sizes.get(row.text(c[2])) else {
            out.drop("VMs of a type not in vmType.csv");
            return Ok(());
        };
        if share.core == 0.0 {
            out.drop("VMs whose type asks for no CPU");
            return Ok(());
        }
        let arrival = start.max(0);
        if end.is_some_and(|e| e <= arrival) {
            out.drop("VMs that end no later than they arrive");
            return Ok(());
        }
        let cores = share.core * f64::from(machine.cores);
        let cores = if (cores - cores.round()).abs() < WHOLE {
            cores.round()
        } else {
            cores
        };
        let (vcpus, cpu_mips) = whole_cores(cores, machine.core_mips);
        let record = VmRecord {
            id: row.text(c[0]).to_string(),
            arrival_ms: arrival,
            departure_ms: end,
            vcpus,
            cpu_mips,
            memory_mb: share.memory * machine.memory_mb,
            tenant: Some(row.text(c[1]).to_string()),
            vm_type: Some(row.text(c[2]).to_string()),
            attributes: [("priority".to_string(), row.text(c[3]).to_string())].into(),
            sample_ms: vec![arrival],
            cpu_util: vec![1.0],
        };
        let place = format!("VM `{}`", record.id);
        out.vm(&vms_path, &place, record).map_err(|e| e.message)
    })
}

/// The machine offering the most VM types (ties: the lowest id).
fn reference_machine(shares: &BTreeMap<String, BTreeMap<i64, Share>>) -> Option<i64> {
    let mut offered: BTreeMap<i64, usize> = BTreeMap::new();
    for on in shares.values() {
        for &m in on.keys() {
            *offered.entry(m).or_default() += 1;
        }
    }
    offered
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{import, Format, Machine, Options};
    use crate::TraceReader;

    /// A 16-core machine of 2000 MIPS a core and 64 000 MB.
    fn options() -> Options {
        Options {
            machine: Machine {
                cores: 16,
                core_mips: 2000.0,
                memory_mb: 64_000.0,
            },
            ..Options::default()
        }
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src").join(name), text).unwrap();
    }

    /// Machine 1 offers types 10, 11 and 13, machine 2 types 10 and 12: machine 1 is the
    /// reference, type 12 is sized on machine 2, type 13 asks for no CPU.
    const TYPES: &str = "id,vmTypeId,machineId,core,memory,hdd,ssd,nic\n\
                         1,10,1,0.125,0.0625,0,0.01,0.01\n\
                         2,10,2,0.25,0.125,0,0.02,0.02\n\
                         3,11,1,0.5,0.25,0,0,0\n\
                         4,12,2,0.1,0.1,0,0,0\n\
                         5,13,1,0,0.01,0,0,0\n";

    /// VMs 1–4 are kept (1 alive at the start, 3 and 4 past the end); 5 asks for no CPU, 6 is
    /// of an unknown type, 7 ended before the collection began.
    const VMS: &str = "vmId,tenantId,vmTypeId,priority,starttime,endtime\n\
                       1,100,10,0,-0.5,0.25\n\
                       2,100,11,1,0.5,1.0\n\
                       3,101,12,0,1.0,\n\
                       4,102,10,0,2.0,NULL\n\
                       5,103,13,0,0.1,0.2\n\
                       6,104,99,0,0.1,0.2\n\
                       7,105,10,0,-2.0,-1.0\n";

    #[test]
    fn conserves_vms_cpu_and_memory_hours() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "vmType.csv", TYPES);
        write(dir.path(), "vm.csv", VMS);
        let out = dir.path().join("trace.parquet");
        let report = import(
            Format::AzurePacking,
            &dir.path().join("src"),
            &out,
            &options(),
        )
        .unwrap();
        let vms: Vec<_> = TraceReader::open(&out)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let end = 3 * 86_400_000;
        // Hand-checked: hours each VM lives to day 3 are 6, 12, 48 and 24; the cores it asks
        // (its share × 16) are 2, 8, 1.6 and 2; its MB (share × 64 000) 4000, 16 000, 6400 and
        // 4000. MIPS-hours: cores × 2000 × hours.
        let mips_hours = (2.0 * 6.0 + 8.0 * 12.0 + 1.6 * 48.0 + 2.0 * 24.0) * 2000.0;
        let memory_hours = 4000.0 * 6.0 + 16_000.0 * 12.0 + 6400.0 * 48.0 + 4000.0 * 24.0;
        assert_eq!(vms.len(), 4);
        let used: f64 = vms.iter().map(|r| r.cpu_hours_used(end) * r.cpu_mips).sum();
        let memory: f64 = vms.iter().map(|r| r.memory_mb_hours(end)).sum();
        assert!(
            (used - mips_hours).abs() <= 1e-9 * mips_hours,
            "{used} vs {mips_hours}"
        );
        assert!((memory - memory_hours).abs() <= 1e-9 * memory_hours);
        // vCPU-hours: the 1.6 cores of VM 3 take 2 vCPUs.
        let vcpu_hours: f64 = vms.iter().map(|r| r.cpu_hours_used(end)).sum();
        assert!((vcpu_hours - (12.0 + 96.0 + 96.0 + 48.0)).abs() < 1e-9);
        let v3 = &vms[2];
        assert_eq!((v3.vcpus, v3.cpu_mips, v3.memory_mb), (2, 1600.0, 6400.0));
        assert_eq!((v3.arrival_ms, v3.departure_ms), (86_400_000, None));
        assert_eq!(vms[0].arrival_ms, 0);
        assert_eq!(vms[0].departure_ms, Some(21_600_000));
        assert_eq!(vms[1].attributes["priority"], "1");
        assert_eq!(vms[1].tenant.as_deref(), Some("100"));
        assert_eq!(vms[1].vm_type.as_deref(), Some("11"));
        assert_eq!(
            (vms[1].sample_ms.as_slice(), vms[1].cpu_util.as_slice()),
            (&[43_200_000][..], &[1.0][..])
        );
        assert_eq!(report.dropped["VMs whose type asks for no CPU"], 1);
        assert_eq!(report.dropped["VMs of a type not in vmType.csv"], 1);
        assert_eq!(report.dropped["VMs that end no later than they arrive"], 1);
    }

    #[test]
    fn malformed_rows_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let out = dir.path().join("t.parquet");
        write(dir.path(), "vmType.csv", TYPES);
        write(
            dir.path(),
            "vm.csv",
            "vmId,tenantId,vmTypeId,priority,starttime,endtime\n1,1,10,0,2.0,1.0\n",
        );
        let e = import(Format::AzurePacking, &src, &out, &options()).unwrap_err();
        assert_eq!((e.file, e.line), (src.join("vm.csv"), Some(2)));
        assert!(e.message.contains("before"), "{}", e.message);
        write(
            dir.path(),
            "vmType.csv",
            "id,vmTypeId,machineId,core,memory\n1,10,1,1.5,0.1\n",
        );
        let e = import(Format::AzurePacking, &src, &out, &options()).unwrap_err();
        assert_eq!((e.file, e.line), (src.join("vmType.csv"), Some(2)));
        assert!(e.message.contains("core"), "{}", e.message);
        write(dir.path(), "vmType.csv", "vmTypeId,core,memory\n");
        let e = import(Format::AzurePacking, &src, &out, &options()).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("machineId"), "{}", e.message);
    }
}
