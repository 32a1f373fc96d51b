//! `orrery decide` state files (TOML or JSON; the first byte picks which) through the real
//! loader, and every decision the cloud OS makes on them.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use orrery_engine::control::LoopStats;
use orrery_engine::infra::Decision;
use orrery_engine::model::VmState;
use orrery_engine::state_file::State;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let json = first % 2 == 1;
    let file = Path::new(if json { "fuzz.json" } else { "fuzz.toml" });
    let Ok(state) = State::parse(text, file, Path::new("."), json) else {
        return;
    };
    let view = state.view();
    let Ok(mut os) = orrery_policies::registry::cloud_os(&state, state.spec.seed) else {
        return;
    };
    let pending: Vec<usize> = (0..view.vms.len())
        .filter(|&v| view.vms[v].state == VmState::Pending)
        .collect();
    let mut stats = LoopStats::default();
    for d in [Decision::Scale, Decision::Place(pending), Decision::Reallocate] {
        let _ = os.decide(d, &view, &mut stats);
    }
});
