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
