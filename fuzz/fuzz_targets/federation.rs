//! Federation files through the real loader, with the shipped site scenarios beside them.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;

fn sites() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/federation")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = sites();
    let _ = orrery_federation::Federation::parse(text, &dir.join("fuzz.toml"), &dir);
});
