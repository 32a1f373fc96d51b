//! Live configs through the real loader, and the policies they name.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/live")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = dir();
    if let Ok(c) = orrery_live::config::LiveConfig::parse(text, &dir.join("fuzz.toml"), &dir) {
        let _ = orrery_policies::registry::cloud_os(&c, c.spec.seed);
        let _ = c.uris();
    }
});
