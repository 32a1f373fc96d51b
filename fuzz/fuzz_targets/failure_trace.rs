//! Failure traces: `time_s,target,event` rows naming hosts and VMs.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let hosts = ["node-0".to_string(), "node-1".to_string()];
    let vms = ["web-1".to_string(), "db".to_string()];
    let _ = orrery_engine::model::failures::parse_trace(Path::new("f.csv"), text, &hosts, &vms);
});
