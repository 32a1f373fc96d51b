//! Initial-placement cost: one `Greedy::place` call over a large batch of pending VMs.
//!
//! The cluster has `N` empty, powered-on hosts of two types (half each, drawn at random) and
//! `10·N` pending VMs of mixed types. Host capacity is sized so that every VM fits (about ten
//! VMs per host, CPU reservations ≈ 73 % of the cluster on average), so each call really places
//! `10·N` VMs. One iteration times exactly one `place` call; building the view and dropping the
//! plan are outside the timing.
//!
//! Run: `cargo bench -p orrery-policies --bench placement`

// `criterion_group!` generates an undocumented `pub fn`; the workspace warns on missing docs.
#![allow(missing_docs)]

use orrery_policies::constraints::Requirements;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rand::Rng as _;

use orrery_engine::action::Action;
use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
use orrery_engine::policy::Placement;
use orrery_engine::rng::{Rng, RngStreams};
use orrery_engine::view::{ClusterView, Compat, HostView, VmId, VmView};
use orrery_policies::placement::index::Order;
use orrery_policies::placement::Greedy;

/// Scenario seed of the random streams.
const SEED: u64 = 42;
/// Pending VMs per host.
const VMS_PER_HOST: usize = 10;

fn host_type(
    name: &str,
    cores: u32,
    core_mips: f64,
    memory_gb: f64,
    idle_w: f64,
    max_w: f64,
) -> HostType {
    HostType {
        disk_gb: 1_000.0,
        nic_mbps: 10_000.0,
        boot_delay: 60_000,
        shutdown_delay: 30_000,
        ..HostType::new(
            name,
            cores,
            core_mips,
            memory_gb * 1024.0,
            PowerModel::Linear { idle_w, max_w },
        )
    }
}

fn vm_type(name: &str, vcpus: u32, memory_gb: f64) -> VmType {
    VmType {
        disk_gb: 20.0,
        image: "ubuntu-24.04".into(),
        owner: "bench".into(),
        ..VmType::new(name, vcpus, 2_000.0, memory_gb * 1024.0)
    }
}

/// `n` empty hosts (on) and `10·n` pending VMs; returns the view and the pending list.
fn cluster(n: usize) -> (ClusterView, Vec<VmId>) {
    let streams = RngStreams::new(SEED);
    let mut rng = streams.stream("bench-placement-hosts", n as u64);
    // 83 200 MIPS / 256 GB and 179 200 MIPS / 512 GB.
    let host_types = vec![
        host_type("small", 32, 2_600.0, 256.0, 90.0, 250.0),
        host_type("large", 64, 2_800.0, 512.0, 150.0, 450.0),
    ];
    // Mean 9 600 MIPS and 15.2 GB per VM: ten VMs need 96 000 MIPS of the mean host's 131 200.
    let vm_types = vec![
        vm_type("c2.4g", 2, 4.0),
        vm_type("c2.8g", 2, 8.0),
        vm_type("c4.16g", 4, 16.0),
        vm_type("c8.16g", 8, 16.0),
        vm_type("c8.32g", 8, 32.0),
    ];
    let hosts = (0..n)
        .map(|h| HostView {
            site: "dc-0".into(),
            cluster: format!("rack-{}", h / 40),
            ..HostView::new(
                format!("host-{h}"),
                rng.random_range(0..host_types.len()),
                PowerState::On,
            )
        })
        .collect();
    let mut rng = streams.stream("bench-placement-vms", n as u64);
    let vms = (0..VMS_PER_HOST * n)
        .map(|v| VmView {
            state: VmState::Pending,
            ..VmView::new(format!("vm-{v}"), rng.random_range(0..vm_types.len()), 0)
        })
        .collect();
    let view = ClusterView {
        hosts,
        vms,
        ..ClusterView::new(Compat::None, host_types, vm_types)
    };
    let pending = (0..view.vms.len()).collect();
    (view, pending)
}

/// Checks one plan (outside the timing): one action per pending VM, and reports the fill.
fn check(order: Order, view: &ClusterView, pending: &[VmId], rng: &mut Rng) {
    let plan = Greedy::new(order, Requirements::of(view)).place(view, pending, rng);
    assert_eq!(
        plan.len(),
        VMS_PER_HOST * view.hosts.len(),
        "one action per pending VM"
    );
    let mut used = vec![false; view.hosts.len()];
    let mut deployed = 0usize;
    for a in &plan {
        if let Action::Deploy { host, .. } = a {
            used[*host] = true;
            deployed += 1;
        }
    }
    eprintln!(
        "placement {order:?} N = {}: {} actions, {deployed} deployed, {} rejected, {} hosts used",
        view.hosts.len(),
        plan.len(),
        plan.len() - deployed,
        used.iter().filter(|&&u| u).count(),
    );
}

fn bench_order(c: &mut Criterion, name: &str, order: Order, sizes: &[usize]) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    for &n in sizes {
        let (view, pending) = cluster(n);
        let mut rng = RngStreams::new(SEED).stream("placement", 0);
        check(order, &view, &pending, &mut rng);
        group.throughput(Throughput::Elements(pending.len() as u64));
        // Small enough to keep the run short; criterion stretches it when one call is slower.
        group.measurement_time(Duration::from_secs(if n >= 100_000 { 5 } else { 3 }));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter_with_large_drop(|| {
                Greedy::new(order, Requirements::of(&view)).place(&view, &pending, &mut rng)
            })
        });
    }
    group.finish();
}

fn placement(c: &mut Criterion) {
    bench_order(
        c,
        "placement/first_fit",
        Order::FirstFit,
        &[1_000, 10_000, 100_000],
    );
    bench_order(c, "placement/packing", Order::Packing, &[10_000]);
}

criterion_group!(benches, placement);
criterion_main!(benches);
