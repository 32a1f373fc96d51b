//! Alibaba's cluster trace v2018 (alibaba/clusterdata, `cluster-trace-v2018/schema.txt`, whose
//! column order the files follow): a directory holding headerless CSV tables, each
//! `<table>.csv` (or `.csv.gz`).
//!
//! - `machine_meta`: machine_id, time_stamp, failure_domain_1, failure_domain_2, cpu_num (cores),
//!   mem_size (normalised to the largest machine, 0–100), status (optional).
//! - `container_meta`: container_id, machine_id, time_stamp, app_du (deploy unit), status,
//!   cpu_request (100 = 1 core), cpu_limit, mem_size (0–100 of the largest machine).
//! - `container_usage`: container_id, machine_id, time_stamp, cpu_util_percent,
//!   mem_util_percent, cpi, mem_gps, mpki, net_in, net_out, disk_io_percent (optional).
//!
//! Time stamps are seconds from the start of the 8-day window; 0 means before or after it.
//! Invalid values are written as -1 or 101.
//!
//! Mapping:
//! - Machines → hosts, one per machine_id, from its last row: cpu_num cores of
//!   [`Options::machine`]'s MIPS, mem_size / 100 × its memory. Machines without a positive
//!   cpu_num or a mem_size in 0–100 are dropped.
//! - Containers (the online services) → VM requests, one per container_id, sized by its
//!   earliest row: cpu_request / 100 cores → ⌈that⌉ vCPUs of the MIPS that keeps
//!   cpu_request / 100 × the machine's core MIPS; mem_size / 100 × the machine's MB. Arrival
//!   is its earliest time stamp in container_meta or container_usage (0: it existed before the
//!   window); no departure (container_meta records no terminations: containers run to the end).
//!   `app_du`, `machine_id`, `status` and `cpu_limit` are attributes.
//! - Usage → a sample at the time stamp (s → ms) of cpu_util_percent / 100, taken as a
//!   percentage of the container's requested CPU (the schema does not say; above 100 capped),
//!   each holding until the next; rows are sorted by time per container.
//! - Dropped, and counted: containers requesting no CPU or with an invalid mem_size; usage rows
//!   at time 0 (outside the window), without a utilisation or with an invalid one (outside
//!   0–100), of unknown containers or repeating a time stamp. The batch workload
//!   (batch_task, batch_instance) is not imported.
//!
//! A row that breaks the schema (too few columns, a non-number, a time outside 0 to 10^10 s) is
//! an error naming the file and line.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;

use super::{csv_rows, whole_cores, HostRecord, Import, Machine, Options, Row};
use crate::format::VmRecord;

/// Latest time stamp accepted, seconds (the trace spans 8 days).
const MAX_SECONDS: f64 = 1e10;

const MACHINE_FIX: &str = "machine_meta rows are: machine_id, time_stamp (s), failure_domain_1, \
                           failure_domain_2, cpu_num, mem_size (0-100), status; fix or remove the \
                           row";
const CONTAINER_FIX: &str = "container_meta rows are: container_id, machine_id, time_stamp (s), \
                             app_du, status, cpu_request (100 = 1 core), cpu_limit, mem_size \
                             (0-100); fix or remove the row";
const USAGE_FIX: &str = "container_usage rows are: container_id, machine_id, time_stamp (s), \
                         cpu_util_percent, mem_util_percent, …; fix or remove the row";

/// A container as its rows describe it.
struct Container {
    line: u64,
    first: i64,
    sized_at: i64,
    cores: f64,
    memory: f64,
    attributes: BTreeMap<String, String>,
    samples: Vec<(i64, f64)>,
}

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    let m = &options.machine;
    let containers_path = table(source, "container_meta").ok_or_else(|| {
        InputError::file(source, "no container_meta.csv").hint(
            "give the directory holding the trace's container_meta.csv (and machine_meta.csv, \
                 container_usage.csv)",
        )
    })?;

    if let Some(path) = table(source, "machine_meta") {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut machines: Vec<(String, Option<i64>, Option<f64>)> = Vec::new();
        csv_rows(&path, MACHINE_FIX, |row| {
            row.columns(6, "machine_meta")?;
            seconds(row, 1)?;
            let cores = row.opt_int(4, "cpu_num")?;
            let memory = row.opt_num(5, "mem_size")?;
            let id = row.text(0);
            let k = match index.get(id) {
                Some(&k) => k,
                None => {
                    index.insert(id.to_string(), machines.len());
                    machines.push((id.to_string(), None, None));
                    machines.len() - 1
                }
            };
            machines[k].1 = cores;
            machines[k].2 = memory;
            Ok(())
        })?;
        for (name, cores, memory) in machines {
            let cores = cores.and_then(|c| u32::try_from(c).ok()).filter(|&c| c > 0);
            let memory = memory.filter(|x| (0.0..=100.0).contains(x));
            match cores.zip(memory) {
                Some((cores, memory)) => out.host(HostRecord {
                    name,
                    machine: Machine {
                        cores,
                        core_mips: m.core_mips,
                        memory_mb: memory / 100.0 * m.memory_mb,
                    },
                }),
                None => out.drop("machines without a valid cpu_num and mem_size"),
            }
        }
    }

    let mut containers: HashMap<String, Container> = HashMap::new();
    csv_rows(&containers_path, CONTAINER_FIX, |row| {
        row.columns(8, "container_meta")?;
        let t = seconds(row, 2)?;
        let cores = row.num(5, "cpu_request")? / 100.0;
        let memory = row.num(7, "mem_size")?;
        let attributes = BTreeMap::from([
            ("machine_id".to_string(), row.text(1).to_string()),
            ("app_du".to_string(), row.text(3).to_string()),
            ("status".to_string(), row.text(4).to_string()),
            ("cpu_limit".to_string(), row.text(6).to_string()),
        ]);
        let sized = Container {
            line: row.line(),
            first: t,
            sized_at: t,
            cores,
            memory,
            attributes,
            samples: Vec::new(),
        };
        match containers.get_mut(row.text(0)) {
            Some(c) if t < c.sized_at => {
                *c = Container {
                    first: t.min(c.first),
                    samples: std::mem::take(&mut c.samples),
                    ..sized
                };
            }
            Some(c) => c.first = c.first.min(t),
            None => {
                containers.insert(row.text(0).to_string(), sized);
            }
        }
        Ok(())
    })?;

    if let Some(path) = table(source, "container_usage") {
        csv_rows(&path, USAGE_FIX, |row| {
            row.columns(4, "container_usage")?;
            let t = seconds(row, 2)?;
            let percent = row.opt_num(3, "cpu_util_percent")?;
            let Some(c) = containers.get_mut(row.text(0)) else {
                out.drop("usage of containers not in container_meta");
                return Ok(());
            };
            match percent {
                _ if t == 0 => out.drop("usage rows at time 0 (outside the window)"),
                None => out.drop("usage rows without a CPU utilisation"),
                Some(p) if !(0.0..=100.0).contains(&p) => {
                    out.drop("usage rows with an invalid utilisation (-1 or 101)");
                }
                Some(p) => c.samples.push((t, p / 100.0)),
            }
            Ok(())
        })?;
    }

    let mut containers: Vec<(String, Container)> = containers.into_iter().collect();
    containers.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, mut c) in containers {
        if c.cores <= 0.0 {
            out.drop("containers requesting no CPU");
            continue;
        }
        if !(0.0..=100.0).contains(&c.memory) {
            out.drop("containers with an invalid mem_size (-1 or 101)");
            continue;
        }
        c.samples.sort_by_key(|s| s.0);
        let before = c.samples.len();
        c.samples.dedup_by_key(|s| s.0);
        for _ in c.samples.len()..before {
            out.drop("usage rows repeating a time stamp");
        }
        let (vcpus, cpu_mips) = whole_cores(c.cores, m.core_mips);
        let record = VmRecord {
            id: id.clone(),
            arrival_ms: c.samples.first().map_or(c.first, |s| s.0.min(c.first)),
            departure_ms: None,
            vcpus,
            cpu_mips,
            memory_mb: c.memory / 100.0 * m.memory_mb,
            tenant: None,
            vm_type: None,
            attributes: c.attributes,
            sample_ms: c.samples.iter().map(|s| s.0).collect(),
            cpu_util: c.samples.iter().map(|s| s.1).collect(),
        };
        let place = format!("line {} (container {id})", c.line);
        out.vm(&containers_path, &place, record)?;
    }
    Ok(())
}

/// The file of `table` in `source`: `<table>.csv` or `<table>.csv.gz`, if either exists.
fn table(source: &Path, table: &str) -> Option<PathBuf> {
    [".csv", ".csv.gz"]
        .iter()
        .map(|ext| source.join(format!("{table}{ext}")))
        .find(|p| p.is_file())
}

/// Column `i` of `row`, a time stamp in seconds, in ms.
fn seconds(row: &Row, i: usize) -> Result<i64, String> {
    match row.num(i, "time_stamp")? {
        // In range: at most 10^13 ms.
        s if (0.0..=MAX_SECONDS).contains(&s) => Ok((s * 1000.0).round() as i64),
        s => Err(format!(
            "column {} (time_stamp) is {s}; time stamps are seconds from 0 to {MAX_SECONDS}",
            i + 1
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use crate::import::{import, Format, Machine, Options, Report};
    use crate::{TraceReader, VmRecord};

    /// A largest machine of 1000 MB and cores of 1000 MIPS.
    fn options(dir: &Path) -> Options {
        Options {
            machine: Machine {
                cores: 96,
                core_mips: 1000.0,
                memory_mb: 1000.0,
            },
            hosts_out: Some(dir.join("hosts.csv")),
            ..Options::default()
        }
    }

    fn run(src: &Path) -> (Report, Vec<VmRecord>) {
        let out = src.join("trace.parquet");
        let report = import(Format::Alibaba2018, src, &out, &options(src)).unwrap();
        let vms = TraceReader::open(&out)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (report, vms)
    }

    const MACHINES: &str = "\
m_1,0,1,a,96,100,USING
m_2,0,2,b,64,50,USING
m_2,1000,2,b,64,50,OFFLINE
m_3,0,3,c,0,100,USING
";
    /// c_1 existed before the window; c_2's earliest row comes last; c_3 requests no CPU;
    /// c_4's memory is the invalid 101.
    const CONTAINERS: &str = "\
c_1,m_1,0,app_1,started,400,400,10
c_1,m_1,3600,app_1,started,400,400,10
c_2,m_2,600,app_2,started,250,300,5
c_3,m_1,1200,app_1,allocated,0,0,5
c_4,m_2,1200,app_3,started,100,100,101
c_5,m_2,1800,app_2,started,100,100,2
c_2,m_2,300,app_2,started,250,300,5
";
    /// Out of time order; c_2's first sample precedes its first meta row.
    const USAGE: &str = "\
c_1,m_1,600,50,40,1.2,3,4,5,6,7
c_1,m_1,300,25,40,1.2,3,4,5,6,7
c_2,m_2,900,80
c_1,m_1,900,101
c_2,m_2,200,20
c_2,m_2,1500,40
c_5,m_2,0,50
c_5,m_2,1800,
c_9,m_9,100,10
c_5,m_2,2400,100
c_5,m_2,2400,90
c_1,m_1,150,10
";

    fn fixture(dir: &Path) {
        std::fs::write(dir.join("machine_meta.csv"), MACHINES).unwrap();
        std::fs::write(dir.join("container_meta.csv"), CONTAINERS).unwrap();
        std::fs::write(dir.join("container_usage.csv"), USAGE).unwrap();
    }

    #[test]
    fn containers_become_vm_requests_and_usage_samples() {
        let tmp = tempfile::tempdir().unwrap();
        fixture(tmp.path());
        let (report, vms) = run(tmp.path());
        let vm: BTreeMap<&str, &VmRecord> = vms.iter().map(|r| (r.id.as_str(), r)).collect();
        assert_eq!(
            vm.keys().copied().collect::<Vec<_>>(),
            ["c_1", "c_2", "c_5"]
        );
        let c1 = vm["c_1"];
        assert_eq!((c1.arrival_ms, c1.departure_ms), (0, None));
        assert_eq!((c1.vcpus, c1.cpu_mips, c1.memory_mb), (4, 1000.0, 100.0));
        assert_eq!(c1.sample_ms, [150_000, 300_000, 600_000]);
        assert_eq!(c1.cpu_util, [0.1, 0.25, 0.5]);
        assert_eq!(c1.attributes["app_du"], "app_1");
        assert_eq!(c1.attributes["machine_id"], "m_1");
        let c2 = vm["c_2"];
        // 2.5 cores: 3 vCPUs of 833.3 MIPS; arrival at its first sample.
        assert_eq!((c2.arrival_ms, c2.vcpus, c2.memory_mb), (200_000, 3, 50.0));
        assert!((c2.cpu_mips - 2500.0 / 3.0).abs() < 1e-9);
        assert_eq!(c2.cpu_util, [0.2, 0.8, 0.4]);
        assert_eq!(c2.attributes["cpu_limit"], "300");
        let c5 = vm["c_5"];
        assert_eq!(
            (
                c5.arrival_ms,
                c5.sample_ms.as_slice(),
                c5.cpu_util.as_slice()
            ),
            (1_800_000, &[2_400_000][..], &[1.0][..])
        );
        let dropped: Vec<(&str, usize)> = report
            .dropped
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            dropped,
            [
                ("containers requesting no CPU", 1),
                ("containers with an invalid mem_size (-1 or 101)", 1),
                ("machines without a valid cpu_num and mem_size", 1),
                ("usage of containers not in container_meta", 1),
                ("usage rows at time 0 (outside the window)", 1),
                ("usage rows repeating a time stamp", 1),
                ("usage rows with an invalid utilisation (-1 or 101)", 1),
                ("usage rows without a CPU utilisation", 1),
            ]
        );
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("hosts.csv")).unwrap(),
            "name,cores,core_mips,memory_mb\nm_1,96,1000,1000\nm_2,64,1000,500\n"
        );
    }

    #[test]
    fn vm_count_cpu_hours_and_memory_hours_are_conserved() {
        let tmp = tempfile::tempdir().unwrap();
        fixture(tmp.path());
        let (_, vms) = run(tmp.path());
        let end_ms = 3_600_000;
        // By hand, core-seconds, each sample held to the next or the end (3600 s): c_1 (4
        // cores) 0.1 × 150 + 0.25 × 300 + 0.5 × 3000 → × 4 = 6360; c_2 (2.5 cores)
        // 0.2 × 700 + 0.8 × 600 + 0.4 × 2100 → × 2.5 = 3650; c_5 (1 core) 1.0 × 1200.
        let core_hours = (6360.0 + 3650.0 + 1200.0) / 3600.0;
        // MB-seconds to the end: 100 × 3600 + 50 × 3400 + 20 × 1800.
        let memory_hours = (360_000.0 + 170_000.0 + 36_000.0) / 3600.0;
        assert_eq!(vms.len(), 3);
        let got_cpu: f64 = vms
            .iter()
            .map(|r| r.cpu_hours_used(end_ms) * r.cpu_mips / 1000.0)
            .sum();
        let got_memory: f64 = vms.iter().map(|r| r.memory_mb_hours(end_ms)).sum();
        assert!(
            (got_cpu - core_hours).abs() <= 1e-9 * core_hours,
            "{got_cpu} vs {core_hours}"
        );
        assert!((got_memory - memory_hours).abs() <= 1e-9 * memory_hours);
    }

    #[test]
    fn a_malformed_row_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = |name: &str, text: &str| {
            let src = tmp.path().join(name.replace('.', "_"));
            std::fs::create_dir_all(&src).unwrap();
            std::fs::write(
                src.join("container_meta.csv"),
                "c_1,m_1,0,a,started,100,100,1\n",
            )
            .unwrap();
            std::fs::write(src.join(name), text).unwrap();
            let e = import(
                Format::Alibaba2018,
                &src,
                &tmp.path().join("t.parquet"),
                &options(&src),
            )
            .unwrap_err();
            assert!(e.file.ends_with(name), "{e}");
            assert!(
                e.hint
                    .as_deref()
                    .unwrap()
                    .contains(name.trim_end_matches(".csv")),
                "{e}"
            );
            (e.line, e.message)
        };
        let (line, m) = bad(
            "container_meta.csv",
            "c_1,m_1,0,a,started,100,100,1\nc_2,m_1,0,a,started,many,100,1\n",
        );
        assert_eq!(line, Some(2));
        assert_eq!(m, "column 6 (cpu_request) is `many`, not a number");
        let (line, m) = bad("container_usage.csv", "c_1,m_1,5,10\nc_1,m_1,-5,10\n");
        assert_eq!(line, Some(2));
        assert!(m.contains("seconds from 0"), "{m}");
        let (line, m) = bad("machine_meta.csv", "m_1,0,1\n");
        assert_eq!(line, Some(1));
        assert!(m.contains("3 columns"), "{m}");
        let e = import(
            Format::Alibaba2018,
            tmp.path(),
            &tmp.path().join("t.parquet"),
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("no container_meta.csv"), "{e}");
    }
}
