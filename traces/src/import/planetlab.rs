//! PlanetLab (CloudSim's workload): a directory of files, one VM each, one integer CPU percent a
//! line every 300 s, every VM present from the start to the end.
//!
//! Mapping: file name → `id`; arrival 0, no departure; line k → a sample at k × 300 s of
//! percent / 100 (the reader's extra final sample, which CloudSim appends, is not written: the
//! last value holds anyway). PlanetLab gives no VM sizes: every VM gets [`Options::vm`], and a
//! scenario usually assigns its own types (`workload.trace_vm_types`).

use std::path::Path;

use orrery_engine::error::InputError;
use orrery_engine::workload::{load_planetlab_dir, PLANETLAB_INTERVAL};

use super::{Import, Options};
use crate::format::VmRecord;

/// Most files a directory may hold.
const MAX_FILES: u64 = 1_000_000;

pub(super) fn read(source: &Path, options: &Options, out: &mut Import) -> Result<(), InputError> {
    let files = load_planetlab_dir(source, MAX_FILES)?;
    let step = i64::try_from(PLANETLAB_INTERVAL).expect("300 s fits");
    for f in files {
        let n = f.series.values.len().saturating_sub(1);
        let record = VmRecord {
            id: f.name.clone(),
            arrival_ms: 0,
            departure_ms: None,
            vcpus: options.vm.cores,
            cpu_mips: options.vm.core_mips,
            memory_mb: options.vm.memory_mb,
            sample_ms: (0..n as i64).map(|k| k * step).collect(),
            cpu_util: f.series.values[..n].to_vec(),
            ..VmRecord::default()
        };
        out.vm(&source.join(&f.name), "the file", record)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{import, Format, Options};
    use crate::TraceReader;

    #[test]
    fn vms_and_cpu_hours_are_conserved() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("day");
        std::fs::create_dir(&src).unwrap();
        // Two VMs: 10 %, 20 %, 30 % and 100 %, 0 %, each line held 300 s; the trace ends with
        // the longer VM's last sample held to 900 s.
        std::fs::write(src.join("b"), "10\n20\n30\n").unwrap();
        std::fs::write(src.join("a"), "100\n0\n").unwrap();
        std::fs::write(src.join(".hidden"), "junk").unwrap();
        let out = dir.path().join("t.parquet");
        let report = import(Format::Planetlab, &src, &out, &Options::default()).unwrap();
        assert_eq!((report.vms, report.samples), (2, 5));
        let vms: Vec<_> = TraceReader::open(&out)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(vms[0].id, "a");
        assert_eq!(vms[0].sample_ms, [0, 300_000]);
        assert_eq!(vms[1].cpu_util, [0.1, 0.2, 0.3]);
        // Source, by hand, up to 900 s: b 0.1 + 0.2 + 0.3 = 0.6 × 300 s; a 1.0 × 300 s + 0 ×
        // 600 s. 1 vCPU each: (180 + 300) / 3600 vCPU-hours.
        let used: f64 = vms.iter().map(|v| v.cpu_hours_used(900_000)).sum();
        assert!((used - 480.0 / 3600.0).abs() < 1e-12, "{used}");
        let e = import(
            Format::Planetlab,
            Path::new("/nonexistent"),
            &out,
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("the source does not exist"), "{e}");
    }
}
