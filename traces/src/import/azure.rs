//! Azure Public Dataset V1 (2017, `azure-v1`) and V2 (2019, `azure-v2`): 30 days of one
//! region's first-party VMs. The source is a directory holding, itself or one level down as the
//! download lays them out, `vmtable.csv` (or `.csv.gz`) and the `vm_cpu_readings-file-N-of-M.csv`
//! (or `.csv.gz`) files, all CSV without a header row:
//!
//! - vmtable: `vmid, subscriptionid, deploymentid, vmcreated, vmdeleted, maxcpu, avgcpu,
//!   p95maxcpu, vmcategory,` then the size. Times are s from the trace's start, multiples of
//!   300 (`vmdeleted` is the time of the VM's last reading); CPU is a percentage of the VM's
//!   cores. The releases differ only in the size: V1 gives `vmcorecount` (cores) and `vmmemory`
//!   (GB, e.g. 1.75); V2 gives buckets, `vmcorecountbucket` (`2`, `4`, `8`, `24`, `>24`) and
//!   `vmmemorybucket` (`2`, `4`, `8`, `32`, `64`, `>64`), whose definitions the dataset's
//!   `schema.csv` names but its download list leaves out.
//! - readings (the same in both): `timestamp, vmid, mincpu, maxcpu, avgcpu`, one a VM every
//!   300 s, the percentages over the 5 minutes from `timestamp`. The files are shards (of time,
//!   in V2): a VM's readings are gathered from all of them.
//!
//! Mapping: a vmtable row → a VM request: `id` = vmid, `tenant` = subscriptionid, `type` =
//! vmcategory, attribute `deployment` = deploymentid; arrival = vmcreated; departure = 300 s
//! after vmdeleted, the end of the last reading's 5 minutes (VMs alive at the end leave at day
//! 30); `vcpus` = the cores; `cpu_mips` = [`Options::vm`]'s (Azure gives no CPU speed);
//! `memory_mb` = GB × 1000. A V2 bucket counts as its label, its upper bound (as the dataset's
//! own analysis notebook counts it), with that notebook's `>24` → 30 cores and `>64` → 70 GB;
//! the labels are kept as the attributes `core_bucket` and `memory_bucket`. `azure-v2` reads
//! V1's exact sizes too; `azure-v1` refuses bucket labels. A reading → a sample at its timestamp
//! of avgcpu / 100, held until the next (so a gap holds the last value); a VM without readings
//! (vmtable imported alone, say) gets one sample at arrival of its lifetime avgcpu / 100.
//!
//! Dropped and counted: readings of VMs not in vmtable, readings outside their VM's
//! [vmcreated, vmdeleted + 300 s), and repeated readings of a VM at one time (the first read is
//! kept).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;

use super::{csv_rows, Import, MemoryUnit, Options, Row};
use crate::format::{VmRecord, MAX_VCPUS};

/// Which release a vmtable is from: they differ in how they give a VM's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Release {
    /// 2017: cores and GB.
    V1,
    /// 2019: buckets of cores and GB.
    V2,
}

/// How to fix a row this importer refuses.
const FIX: &str = "fix or remove that row (docs/traces.md gives the dataset's schema)";
/// Seconds a reading covers (and between a VM's readings).
const READING_S: i64 = 300;
/// Cores of the `>24` bucket (the dataset's analysis notebook's value).
const CORES_ABOVE_24: u32 = 30;
/// GB of the `>64` bucket (the dataset's analysis notebook's value).
const GB_ABOVE_64: f64 = 70.0;

/// A vmtable row and the readings gathered for it.
struct Vm {
    id: String,
    line: u64,
    tenant: String,
    category: String,
    deployment: String,
    arrival_ms: i64,
    departure_ms: i64,
    cores: u32,
    memory_mb: f64,
    /// Lifetime average, a fraction.
    average: f64,
    buckets: Option<(String, String)>,
    readings: Vec<(i64, f64)>,
}

pub(super) fn read(
    release: Release,
    source: &Path,
    options: &Options,
    out: &mut Import,
) -> Result<(), InputError> {
    let (vmtable, reading_files) = find_files(source)?;
    let mut vms: Vec<Vm> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    csv_rows(&vmtable, FIX, |row| {
        if row.line() == 1 && row.text(0).eq_ignore_ascii_case("vmid") {
            return Ok(());
        }
        let vm = vm_row(release, row)?;
        if let Some(&k) = index.get(&vm.id) {
            let first = vms[k].line;
            return Err(format!(
                "VM `{}` appears twice (also on line {first})",
                vm.id
            ));
        }
        index.insert(vm.id.clone(), vms.len());
        vms.push(vm);
        Ok(())
    })?;
    for path in &reading_files {
        csv_rows(path, FIX, |row| {
            if row.line() == 1 && row.text(0).eq_ignore_ascii_case("timestamp") {
                return Ok(());
            }
            row.columns(
                5,
                "vm_cpu_readings (timestamp, vmid, mincpu, maxcpu, avgcpu)",
            )?;
            let t = ms(row.int(0, "timestamp")?, "timestamp")?;
            let average = percent(row, 4)?;
            let Some(&k) = index.get(row.text(1)) else {
                out.drop("readings of VMs not in vmtable");
                return Ok(());
            };
            let vm = &mut vms[k];
            if t < vm.arrival_ms || t >= vm.departure_ms {
                out.drop("readings outside their VM's lifetime");
                return Ok(());
            }
            vm.readings.push((t, average / 100.0));
            Ok(())
        })?;
    }
    for vm in vms {
        let place = format!("row {} (VM `{}`)", vm.line, vm.id);
        let record = vm_record(vm, options, out);
        out.vm(&vmtable, &place, record)?;
    }
    Ok(())
}

/// The vmtable file and the readings files (by file number) in `source` or one level down.
fn find_files(source: &Path) -> Result<(PathBuf, Vec<PathBuf>), InputError> {
    let fix = "give the directory holding vmtable.csv(.gz) and the vm_cpu_readings files";
    if !source.is_dir() {
        return Err(InputError::file(source, "not a directory").hint(fix));
    }
    let list = |dir: &Path| -> Result<Vec<PathBuf>, InputError> {
        let fail = |e: std::io::Error| {
            InputError::file(dir, format!("cannot list the directory: {e}")).hint(fix)
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(fail)? {
            paths.push(entry.map_err(fail)?.path());
        }
        Ok(paths)
    };
    let mut paths = Vec::new();
    for path in list(source)? {
        if path.is_dir() {
            paths.extend(list(&path)?);
        } else {
            paths.push(path);
        }
    }
    let mut vmtables = Vec::new();
    let mut readings = Vec::new();
    for path in paths {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let csv = name.ends_with(".csv") || name.ends_with(".csv.gz");
        if name == "vmtable.csv" || name == "vmtable.csv.gz" {
            vmtables.push(path);
        } else if csv && name.starts_with("vm_cpu_readings") {
            let number = name
                .split("-file-")
                .nth(1)
                .and_then(|rest| rest.split('-').next())
                .and_then(|n| n.parse::<u64>().ok());
            readings.push((number, path));
        }
    }
    let vmtable = match vmtables.len() {
        1 => vmtables.remove(0),
        0 => return Err(InputError::file(source, "no vmtable.csv or vmtable.csv.gz").hint(fix)),
        n => {
            let names: Vec<String> = vmtables.iter().map(|p| p.display().to_string()).collect();
            return Err(InputError::file(
                source,
                format!("{n} vmtable files ({})", names.join(", ")),
            )
            .hint("keep one vmtable in the source directory"));
        }
    };
    readings.sort();
    Ok((vmtable, readings.into_iter().map(|(_, p)| p).collect()))
}

/// `seconds` in ms, refusing what overflows.
fn ms(seconds: i64, name: &str) -> Result<i64, String> {
    seconds
        .checked_mul(1000)
        .ok_or_else(|| format!("{name} {seconds} s is beyond any trace's length"))
}

/// Column `i` of `row`, an `avgcpu`: a percentage, 0 or more.
fn percent(row: &Row, i: usize) -> Result<f64, String> {
    let average = row.num(i, "avgcpu")?;
    if average >= 0.0 {
        Ok(average)
    } else {
        Err(format!(
            "column {} (avgcpu) is {average}; it is a percentage, 0 or more",
            i + 1
        ))
    }
}

/// A vmtable row.
fn vm_row(release: Release, row: &Row) -> Result<Vm, String> {
    row.columns(
        11,
        "vmtable (vmid, subscriptionid, deploymentid, vmcreated, vmdeleted, maxcpu, avgcpu, \
         p95maxcpu, vmcategory, cores, memory)",
    )?;
    let created = row.int(3, "vmcreated")?;
    let deleted = row.int(4, "vmdeleted")?;
    if created < 0 || deleted < created {
        return Err(format!(
            "vmcreated {created} and vmdeleted {deleted}: times are 0 or more and a VM is \
             deleted no earlier than it is created"
        ));
    }
    let average = percent(row, 6)?;
    let (core_text, memory_text) = (row.text(9), row.text(10));
    let bucket = |text: &str| text.starts_with('>');
    if release == Release::V1 && (bucket(core_text) || bucket(memory_text)) {
        return Err(format!(
            "size `{core_text}` cores, `{memory_text}` GB is a bucket: this is a V2 vmtable, \
             import it as `azure-v2`"
        ));
    }
    let cores = match core_text {
        ">24" => CORES_ABOVE_24,
        _ => {
            let cores = row.num(9, "cores")?;
            if !(cores.fract() == 0.0 && (1.0..=f64::from(MAX_VCPUS)).contains(&cores)) {
                return Err(format!(
                    "column 10 (cores) is {core_text}; a VM has a whole number of cores from 1 \
                     to {MAX_VCPUS}"
                ));
            }
            cores as u32
        }
    };
    let gb = match memory_text {
        ">64" => GB_ABOVE_64,
        _ => {
            let gb = row.num(10, "memory")?;
            if gb < 0.0 {
                return Err(format!("column 11 (memory) is {gb} GB; it is 0 or more"));
            }
            gb
        }
    };
    Ok(Vm {
        id: row.text(0).to_string(),
        line: row.line(),
        tenant: row.text(1).to_string(),
        category: row.text(8).to_string(),
        deployment: row.text(2).to_string(),
        arrival_ms: ms(created, "vmcreated")?,
        departure_ms: ms(deleted.saturating_add(READING_S), "vmdeleted")?,
        cores,
        memory_mb: gb * MemoryUnit::Gb.in_mb(),
        average: average / 100.0,
        buckets: (release == Release::V2).then(|| (core_text.into(), memory_text.into())),
        readings: Vec::new(),
    })
}

/// `vm` as a VM request, counting the repeated readings it drops.
fn vm_record(mut vm: Vm, options: &Options, out: &mut Import) -> VmRecord {
    vm.readings.sort_by_key(|&(t, _)| t);
    let mut sample_ms = Vec::with_capacity(vm.readings.len().max(1));
    let mut cpu_util = Vec::with_capacity(vm.readings.len().max(1));
    for (t, u) in vm.readings {
        if sample_ms.last() == Some(&t) {
            out.drop("repeated readings of a VM at one time");
            continue;
        }
        sample_ms.push(t);
        cpu_util.push(u);
    }
    if sample_ms.is_empty() {
        sample_ms.push(vm.arrival_ms);
        cpu_util.push(vm.average);
    }
    let mut attributes = std::collections::BTreeMap::new();
    attributes.insert("deployment".to_string(), vm.deployment);
    if let Some((cores, memory)) = vm.buckets {
        attributes.insert("core_bucket".to_string(), cores);
        attributes.insert("memory_bucket".to_string(), memory);
    }
    VmRecord {
        id: vm.id,
        arrival_ms: vm.arrival_ms,
        departure_ms: Some(vm.departure_ms),
        vcpus: vm.cores,
        cpu_mips: options.vm.core_mips,
        memory_mb: vm.memory_mb,
        tenant: Some(vm.tenant),
        vm_type: Some(vm.category),
        attributes,
        sample_ms,
        cpu_util,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::path::Path;

    use super::super::{import, Format, Options, Report};
    use crate::{TraceReader, VmRecord};

    /// Imports `dir/src` as `format` and reads the trace back.
    fn import_back(format: Format, dir: &Path) -> (Report, Vec<VmRecord>) {
        let out = dir.join("trace.parquet");
        let report = import(format, &dir.join("src"), &out, &Options::default()).unwrap();
        let records = TraceReader::open(&out)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (report, records)
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src").join(name), text).unwrap();
    }

    fn write_gz(dir: &Path, name: &str, text: &str) {
        let file = std::fs::File::create(dir.join("src").join(name)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap();
    }

    /// Three V1 VMs: vmA (2 cores, 3.5 GB, 0–900 s), vmB (4 cores, 7 GB, 300–600 s) and vmC
    /// (1 core, 1.75 GB, 1200–2100 s, no readings); readings in two time shards, the second
    /// gzipped, with one of an unknown VM, two outside their VM's life and one repeated.
    fn v1_fixture(dir: &Path) {
        write(
            dir,
            "vmtable.csv",
            "vmA,sub1,dep1,0,600,90,40,80,Interactive,2,3.5\n\
             vmB,sub2,dep2,300,300,50,25,45,Delay-insensitive,4,7\n\
             vmC,sub1,dep1,1200,1800,10,10,10,Unknown,1,1.75\n",
        );
        write(
            dir,
            "vm_cpu_readings-file-1-of-2.csv",
            "0,vmA,10,80,50\n300,vmA,5,70,20\n300,vmB,1,90,40\n300,vmX,1,2,3\n",
        );
        write_gz(
            dir,
            "vm_cpu_readings-file-2-of-2.csv.gz",
            "600,vmA,0,100,30\n900,vmA,0,1,1\n600,vmB,1,1,1\n300,vmA,1,1,99\n",
        );
    }

    #[test]
    fn v1_conserves_vms_cpu_and_memory_hours() {
        let dir = tempfile::tempdir().unwrap();
        v1_fixture(dir.path());
        let (report, vms) = import_back(Format::AzureV1, dir.path());
        // Hand-checked from the fixture: core-seconds used are vmA 2 × (0.5 + 0.2 + 0.3) × 300,
        // vmB 4 × 0.4 × 300 and vmC, at its vmtable average for its 900 s, 1 × 0.1 × 900.
        let cpu_hours = (600.0 + 480.0 + 90.0) / 3600.0;
        // MB × s: vmA 3500 × 900, vmB 7000 × 300, vmC 1750 × 900.
        let memory_hours = (3500.0 * 900.0 + 7000.0 * 300.0 + 1750.0 * 900.0) / 3600.0;
        assert_eq!(vms.len(), 3);
        let used: f64 = vms.iter().map(|r| r.cpu_hours_used(i64::MAX)).sum();
        let memory: f64 = vms.iter().map(|r| r.memory_mb_hours(i64::MAX)).sum();
        assert!(
            (used - cpu_hours).abs() <= 1e-9 * cpu_hours,
            "{used} vs {cpu_hours}"
        );
        assert!((memory - memory_hours).abs() <= 1e-9 * memory_hours);
        assert_eq!(report.dropped["readings of VMs not in vmtable"], 1);
        assert_eq!(report.dropped["readings outside their VM's lifetime"], 2);
        assert_eq!(report.dropped["repeated readings of a VM at one time"], 1);
        let a = &vms[0];
        assert_eq!((a.id.as_str(), a.vcpus, a.memory_mb), ("vmA", 2, 3500.0));
        assert_eq!((a.arrival_ms, a.departure_ms), (0, Some(900_000)));
        assert_eq!(a.sample_ms, [0, 300_000, 600_000]);
        assert_eq!(a.cpu_util, [0.5, 0.2, 0.3]);
        assert_eq!(a.tenant.as_deref(), Some("sub1"));
        assert_eq!(a.vm_type.as_deref(), Some("Interactive"));
        assert_eq!(a.attributes["deployment"], "dep1");
        let c = &vms[2];
        assert_eq!(
            (c.sample_ms.as_slice(), c.cpu_util.as_slice()),
            (&[1_200_000][..], &[0.1][..])
        );
    }

    #[test]
    fn v2_maps_buckets_and_v1_refuses_them() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "vmtable.csv",
            "vmA,sub1,dep1,0,300,90,40,80,Unknown,>24,>64\nvmB,sub1,dep1,0,300,9,4,8,Unknown,8,32\n",
        );
        let (_, vms) = import_back(Format::AzureV2, dir.path());
        assert_eq!((vms[0].vcpus, vms[0].memory_mb), (30, 70_000.0));
        assert_eq!(vms[0].attributes["core_bucket"], ">24");
        assert_eq!(vms[0].attributes["memory_bucket"], ">64");
        assert_eq!((vms[1].vcpus, vms[1].memory_mb), (8, 32_000.0));
        let out = dir.path().join("v1.parquet");
        let src = dir.path().join("src");
        let e = import(Format::AzureV1, &src, &out, &Options::default()).unwrap_err();
        assert_eq!((e.file, e.line), (src.join("vmtable.csv"), Some(1)));
        assert!(e.message.contains("azure-v2"), "{}", e.message);
    }

    #[test]
    fn malformed_rows_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        v1_fixture(dir.path());
        let src = dir.path().join("src");
        let out = dir.path().join("t.parquet");
        write(
            dir.path(),
            "vm_cpu_readings-file-1-of-2.csv",
            "0,vmA,10,80,50\n300,vmA,5,70,-20\n",
        );
        let e = import(Format::AzureV1, &src, &out, &Options::default()).unwrap_err();
        assert_eq!(
            (e.file, e.line),
            (src.join("vm_cpu_readings-file-1-of-2.csv"), Some(2))
        );
        assert!(e.message.contains("avgcpu"), "{}", e.message);
        write(
            dir.path(),
            "vmtable.csv",
            "vmA,sub1,dep1,0,600,90,40,80,Interactive,2,3.5\nvmB,sub2,dep2,soon,300,1,1,1,U,4,7\n",
        );
        let e = import(Format::AzureV1, &src, &out, &Options::default()).unwrap_err();
        assert_eq!((e.file, e.line), (src.join("vmtable.csv"), Some(2)));
        assert!(e.message.contains("vmcreated"), "{}", e.message);
        write(
            dir.path(),
            "vmtable.csv",
            "vmA,sub1,dep1,0,600,90,40,80,Interactive,1000000000000,3.5\n",
        );
        let e = import(Format::AzureV1, &src, &out, &Options::default()).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("cores"), "{}", e.message);
    }
}
