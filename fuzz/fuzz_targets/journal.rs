//! The live journal's replay: one JSON record a line, a torn last line tolerated.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use orrery_live::journal::Journal;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(records) = Journal::parse_records(Path::new("j.journal"), text) {
        let _ = records.iter().map(|r| r.seq()).max();
    }
});
