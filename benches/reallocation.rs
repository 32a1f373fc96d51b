//! One reallocation round of each policy family over 10 000 hosts and 100 000 running VMs.
//!
//! Hosts are 32 cores × 2 500 MIPS, 256 GB, linear 150–350 W, thermal resistance 0.06 °C/W,
//! with inlet temperatures drawn uniformly in 20–27 °C. Each host runs 10 VMs of 4 vCPUs ×
//! 2 500 MIPS, 8 GB (CPU overcommit 1.5, so 20 000 MIPS of reservations are free), whose demand is drawn uniformly in 0–0.9 (the cluster averages 45 %
//! requested CPU, so some hosts are overloaded, some hot, some nearly idle and the load spread
//! is wide). Temperatures are the steady state at each host's load, as a monitoring update
//! shows them; every VM has 30 samples of history. Every family runs with a budget of 500
//! migrations per round, as a datacenter of this size would. One iteration times one
//! `reallocate` call on a fresh policy; building the view is outside the timing.
//!
//! Run: `cargo bench -p orrery-policies --bench reallocation`

// `criterion_group!` generates an undocumented `pub fn`; the workspace warns on missing docs.
#![allow(missing_docs)]

use std::collections::VecDeque;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use rand::Rng as _;

use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
use orrery_engine::policy::Reallocation;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::BalanceSection;
use orrery_engine::view::{ClusterView, Compat, HostView, VmView};
use orrery_policies::balance::{Balance, BalanceKind};
use orrery_policies::consolidation::{Consolidation, Detector, Selection};
use orrery_policies::constraints::Requirements;
use orrery_policies::governor::Governor;

const HOSTS: usize = 10_000;
const VMS_PER_HOST: usize = 10;
const BUDGET: usize = 500;

fn cluster() -> ClusterView {
    let streams = RngStreams::new(42);
    let mut rng = streams.stream("bench-reallocation", 0);
    let mut ty = HostType::new(
        "h",
        32,
        2500.0,
        262_144.0,
        PowerModel::Linear {
            idle_w: 150.0,
            max_w: 350.0,
        },
    );
    ty.thermal_resistance_c_per_w = 0.06;
    let mut view = ClusterView::new(
        Compat::None,
        vec![ty],
        vec![VmType::new("v", 4, 2500.0, 8192.0)],
    );
    view.overcommit.cpu = 1.5; // ten 10 000-MIPS VMs reserve 100 000 of 120 000 MIPS
    for h in 0..HOSTS {
        let mut host = HostView::new(format!("h{h}"), 0, PowerState::On);
        host.inlet_c = rng.random_range(20.0..27.0);
        for _ in 0..VMS_PER_HOST {
            let id = view.vms.len();
            let mut vm = VmView::new(format!("v{id}"), 0, 0);
            vm.state = VmState::Running;
            vm.host = Some(h);
            vm.demand = rng.random_range(0.0..0.9);
            vm.history = (0..30)
                .map(|_| (vm.demand + rng.random_range(-0.1..0.1)).clamp(0.0, 1.0))
                .collect::<VecDeque<f64>>();
            host.vms.push(id);
            host.reserved_mips += 10_000.0;
            host.reserved_memory_mb += 8192.0;
            view.vms.push(vm);
        }
        view.hosts.push(host);
    }
    for h in 0..HOSTS {
        let busy: f64 = view.hosts[h]
            .vms
            .iter()
            .map(|&v| view.requested_mips(v))
            .sum();
        let temp = view.steady_temperature_c(h, busy / view.capacity_mips(h));
        let host = &mut view.hosts[h];
        host.busy_mips = busy.min(80_000.0);
        host.requested_mips = busy;
        host.temperature_c = temp;
    }
    view
}

fn policy(family: &str, view: &ClusterView) -> Box<dyn Reallocation> {
    let params = BalanceSection {
        spread: 0.4,
        spread_target: 0.2,
        cpu: 0.8,
        cpu_target: 0.7,
        temperature_c: 45.0,
        temperature_target_c: 42.0,
    };
    let governor = Governor::new(BUDGET, 3);
    let requirements = Requirements::of(view);
    let balance = |kind| {
        Box::new(Balance::new(
            kind,
            params.clone(),
            requirements.clone(),
            governor.clone(),
        ))
    };
    match family {
        "consolidation" => {
            let mut c = Consolidation::new(Detector::Thr(0.8), Selection::Mmt);
            c.requirements = requirements.clone();
            c.governor = governor.clone();
            Box::new(c)
        }
        "workload-balance" => balance(BalanceKind::Workload),
        "cpu-balance" => balance(BalanceKind::Cpu),
        "thermal-balance" => balance(BalanceKind::Thermal),
        _ => unreachable!(),
    }
}

fn reallocation(c: &mut Criterion) {
    let view = cluster();
    let mut group = c.benchmark_group("reallocation");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for family in [
        "consolidation",
        "workload-balance",
        "cpu-balance",
        "thermal-balance",
    ] {
        let mut rng = RngStreams::new(42).stream("reallocation", 0);
        let plan = policy(family, &view).reallocate(&view, &mut rng);
        eprintln!("{family}: {} actions in one round", plan.len());
        assert!(!plan.is_empty(), "{family} must have work to do");
        group.bench_function(family, |b| {
            b.iter_with_large_drop(|| policy(family, &view).reallocate(&view, &mut rng))
        });
    }
    group.finish();
}

criterion_group!(benches, reallocation);
criterion_main!(benches);
