//! PlanetLab trace files: one integer percent per line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(series) = orrery_engine::workload::parse_planetlab(Path::new("vm"), data) {
        let _ = series;
    }
});
