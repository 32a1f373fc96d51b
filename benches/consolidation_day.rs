//! One PlanetLab day of LR-MMT-1.2 in CloudSim-compatibility mode (the consolidation issue's
//! speed target: at most 0.4 s, where CloudSim 3.0.3 needs 30–45 CPU-seconds).

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};

fn one_day(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let traces = orrery::validation::shared_data(root).join("planetlab/20110303");
    assert!(
        traces.is_dir(),
        "PlanetLab traces expected in {}",
        traces.display()
    );
    let sets = [format!("workload.trace_dir={}", traces.display())];
    let scenario = orrery::load_scenario(
        Some(&root.join("scenarios/beloglazov/lr-mmt-1.2.toml")),
        &sets,
    )
    .expect("scenario");
    let mut group = c.benchmark_group("consolidation");
    group.sample_size(10);
    group.bench_function("lr-mmt-1.2/20110303", |b| {
        b.iter(|| {
            orrery::run(&scenario, None)
                .expect("run")
                .summary
                .vm_migrations
        })
    });
    group.finish();
}

criterion_group!(benches, one_day);
criterion_main!(benches);
