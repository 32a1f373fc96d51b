//! Request-rate traces of services: a CSV column of requests per second, with or without a
//! header naming the column.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("r.csv");
    let _ = orrery_engine::workload::requests::parse_rates(path, text, None);
    let _ = orrery_engine::workload::requests::parse_rates(path, text, Some("rate"));
});
