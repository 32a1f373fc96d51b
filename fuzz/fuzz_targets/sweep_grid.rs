//! Sweeps: the `[sweep]` grid of a scenario text, its size and its points, and the sweep
//! directory's manifest (`sweep.json`) read back on resume.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use orrery_engine::scenario::sweep::{Grid, Manifest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(grid)) = Grid::parse(text, Path::new("sweep.toml")) {
        let runs = grid.runs();
        if runs <= 1_000 {
            for k in 0..grid.points() {
                let _ = grid.point(k);
            }
        }
    }
    let _ = serde_json::from_str::<Manifest>(text);
});
