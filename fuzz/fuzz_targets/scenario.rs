//! Scenario files through the real loader: parse with overrides, validate, build the cloud OS
//! and check the layout, as `orrery validate` does; and the `[sweep]` grid of any that has one.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use orrery_engine::scenario::sweep::Grid;
use orrery_engine::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(s) = Scenario::parse(text, Path::new("fuzz.toml"), Path::new("."), &[]) else {
        return;
    };
    if orrery_policies::registry::cloud_os(&s, s.spec.seed).is_err() {
        return;
    }
    let _ = orrery_sim::Simulator::check_layout(&s);
    let _ = s.estimate();
    if let Ok(Some(grid)) = Grid::of(&s) {
        if grid.check_size(&s).is_ok() {
            for k in 0..grid.points().min(4) {
                let _ = s.with_values(&grid.point(k));
            }
        }
    }
});
