//! Live mode at scale: one control-loop round over 1 000 libvirt test-driver hosts — observe
//! every host (node info and every domain with its orrery tag), decide (PABFD placement of the
//! pending VMs, then a consolidation round) and print the dry-run plans.
//!
//! Each host is its own `test:///…/hostN.xml` connection (8 CPUs × 2000 MHz, 16 GiB) running
//! four orrery VMs of 2 vCPUs; 100 more VMs are pending. CPU times are scripted (the test
//! driver's are synthetic): VM k runs at 10 % + (k mod 7) × 10 %, so some hosts are overloaded
//! under THR 0.8 and others underloaded. One iteration is one round: two decisions with their
//! observations and dry-run plans; setting up the hosts is outside the timing.
//!
//! Run: `cargo bench -p orrery-live --bench live_loop`

// `criterion_group!` generates an undocumented `pub fn`; the workspace warns on missing docs.
#![allow(missing_docs)]

#[path = "../live/tests/live/mod.rs"]
mod live;

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_engine::rng::RngStreams;
use orrery_live::clock::ManualClock;
use orrery_live::Live;
use orrery_live::LiveOptions;
use orrery_policies::registry;

const HOSTS: usize = 1000;
const VMS_PER_HOST: usize = 4;
const PENDING: usize = 100;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut demand = BTreeMap::new();
    for h in 0..HOSTS {
        let names: Vec<String> = (0..VMS_PER_HOST).map(|i| format!("vm-{h}-{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            demand.insert(n.clone(), 0.1 + ((h * VMS_PER_HOST + i) % 7) as f64 * 0.1);
        }
        let doms: Vec<live::Dom<'_>> = names.iter().map(|n| live::running(n)).collect();
        live::node(dir.path(), h, &doms);
    }
    let pending: Vec<String> = (0..PENDING).map(|p| format!("new-{p}")).collect();
    let pending: Vec<&str> = pending.iter().map(String::as_str).collect();
    let policies = "placement = \"pabfd\"\nreallocation = \"consolidation\"\n\
                    reallocation_interval_s = 300\n[policies.consolidation]\n\
                    detector = \"thr\"\nparameter = 0.8\nselection = \"mmt\"";
    let config = live::config(dir.path(), HOSTS, &pending, policies, "");
    let clock = ManualClock::new();
    let hv = live::Loads {
        inner: live::open(&config, &[]),
        clock: clock.clone(),
        demand,
    };
    let opts = LiveOptions {
        apply: false,
        rounds: None,
        interval: Some(Duration::from_secs(300)),
        ..LiveOptions::default()
    };
    let mut infra = Live::new(
        config.clone(),
        hv,
        Box::new(clock),
        Box::new(std::io::sink()),
        opts,
    )
    .unwrap();
    let mut placement = registry::placement(&config).unwrap();
    let mut reallocation = registry::reallocation(&config).unwrap().unwrap();
    let streams = RngStreams::new(0);
    let (mut prng, mut rrng) = (
        streams.stream("placement", 0),
        streams.stream("reallocation", 0),
    );
    let mut round = || {
        let mut actions = 0;
        for _ in 0..2 {
            let plan = match infra.next_decision().unwrap().unwrap() {
                Decision::Place(p) => placement.place(infra.view(), &p, &mut prng),
                Decision::Reallocate => reallocation.reallocate(infra.view(), &mut rrng),
                Decision::Admit(_) | Decision::Scale => unreachable!("live mode has no services"),
            };
            actions += plan.len();
            infra.apply(plan);
        }
        actions
    };
    // The first round has no CPU-time deltas yet; measure from the second on.
    round();
    assert!(round() > 0, "the policies planned nothing");
    let mut g = c.benchmark_group("live_loop");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("observe_decide_dry_run/1000_hosts", |b| b.iter(&mut round));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
