//! Unit tests of the greedy placements on small hand-built clusters.
//!
//! Every expected host follows from the free capacities written next to each cluster; nothing
//! was obtained by running the policies.

use crate::constraints::Requirements;
use orrery_engine::action::Action;
use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
use orrery_engine::policy::Placement;
use orrery_engine::rng::{Rng, RngStreams};
use orrery_engine::view::{ClusterView, Compat, HostId, HostView, VmId, VmView};

use super::index::Order;
use super::Greedy;

const ORDERS: [Order; 4] = [
    Order::FirstFit,
    Order::Packing,
    Order::Striping,
    Order::LoadAware,
];

fn host_type(name: &str, cores: u32, core_mips: f64, memory_mb: f64) -> HostType {
    let power = PowerModel::Linear {
        idle_w: 100.0,
        max_w: 200.0,
    };
    HostType::new(name, cores, core_mips, memory_mb, power)
}

fn vm_type(name: &str, vcpus: u32, mips: f64, memory_mb: f64) -> VmType {
    VmType::new(name, vcpus, mips, memory_mb)
}

/// An empty cluster with the given types, no overcommit and orrery's own semantics.
fn cluster(host_types: Vec<HostType>, vm_types: Vec<VmType>) -> ClusterView {
    ClusterView::new(Compat::None, host_types, vm_types)
}

fn vm_view(vm_type: usize, state: VmState, host: Option<HostId>) -> VmView {
    VmView {
        state,
        host,
        ..VmView::new(format!("vm-{vm_type}"), vm_type, 0)
    }
}

/// Adds a host of type `ty` in `power` state running one VM of each type in `residents`,
/// with the reservations those VMs make.
fn add_host(view: &mut ClusterView, ty: usize, power: PowerState, residents: &[usize]) -> HostId {
    let h = view.hosts.len();
    let mut host = HostView::new(format!("h{h}"), ty, power);
    for &t in residents {
        let v = view.vms.len();
        view.vms.push(vm_view(t, VmState::Running, Some(h)));
        host.vms.push(v);
        host.reserved_mips += view.vm_types[t].total_mips();
        host.reserved_memory_mb += view.vm_types[t].memory_mb;
    }
    view.hosts.push(host);
    h
}

/// Adds a pending VM request of type `ty`.
fn add_pending(view: &mut ClusterView, ty: usize) -> VmId {
    view.vms.push(vm_view(ty, VmState::Pending, None));
    view.vms.len() - 1
}

fn rng() -> Rng {
    RngStreams::new(1).stream("placement", 0)
}

fn place(order: Order, view: &ClusterView, pending: &[VmId]) -> Vec<Action> {
    Greedy::new(order, Requirements::of(view)).place(view, pending, &mut rng())
}

/// The host of the single Deploy in `plan` (panics on anything else).
fn only_host(plan: &[Action]) -> HostId {
    match plan {
        [Action::Deploy { host, .. }] => *host,
        other => panic!("expected one Deploy, got {other:?}"),
    }
}

// VM types shared by the tests below.
const NEW: usize = 0; // 1 vCPU × 1000 MIPS, 1000 MB: the request being placed
const F1000: usize = 1; // 1 × 1000 MIPS, 1000 MB
const F250: usize = 2; // 1 × 250 MIPS, 250 MB
const F1500: usize = 3; // 2 × 750 = 1500 MIPS, 1500 MB

fn vm_types() -> Vec<VmType> {
    vec![
        vm_type("new", 1, 1000.0, 1000.0),
        vm_type("f1000", 1, 1000.0, 1000.0),
        vm_type("f250", 1, 250.0, 250.0),
        vm_type("f1500", 2, 750.0, 1500.0),
    ]
}

/// Five hosts on which the four orders choose four different hosts for a `NEW` VM.
///
/// | host | type                  | residents     | free CPU             | VMs |
/// |------|-----------------------|---------------|----------------------|-----|
/// | 0    | slow: 8 × 500 MIPS    | none          | 4000 (cores too slow) | 0  |
/// | 1    | fast: 4 × 1000 MIPS   | 2 × f1000     | 4000 − 2000 = 2000   | 2   |
/// | 2    | fast                  | 3 × f1000     | 4000 − 3000 = 1000   | 3   |
/// | 3    | fast                  | 4 × f250      | 4000 − 1000 = 3000   | 4   |
/// | 4    | fast                  | 1 × f1500     | 4000 − 1500 = 2500   | 1   |
///
/// Host 0 has the most free CPU and the fewest VMs but a 1000-MIPS vCPU does not fit on a
/// 500-MIPS core, so no order may pick it. Memory (16000 MB per host) never binds here.
fn five_hosts() -> (ClusterView, VmId) {
    let mut view = cluster(
        vec![
            host_type("slow", 8, 500.0, 16000.0),
            host_type("fast", 4, 1000.0, 16000.0),
        ],
        vm_types(),
    );
    add_host(&mut view, 0, PowerState::On, &[]);
    add_host(&mut view, 1, PowerState::On, &[F1000, F1000]);
    add_host(&mut view, 1, PowerState::On, &[F1000, F1000, F1000]);
    add_host(&mut view, 1, PowerState::On, &[F250, F250, F250, F250]);
    add_host(&mut view, 1, PowerState::On, &[F1500]);
    let v = add_pending(&mut view, NEW);
    (view, v)
}

#[test]
fn the_four_orders_choose_four_different_hosts() {
    let (view, v) = five_hosts();
    // Feasible hosts: 1, 2, 3, 4 (each has ≥ 1000 free MIPS and 1000-MIPS cores).
    // first-fit: lowest feasible id = 1.
    // packing: least free CPU that fits = host 2 (1000, an exact fit).
    // striping: fewest VMs among feasible = host 4 (1 VM).
    // load-aware: most free CPU among feasible = host 3 (3000).
    let expected = [
        (Order::FirstFit, 1),
        (Order::Packing, 2),
        (Order::Striping, 4),
        (Order::LoadAware, 3),
    ];
    for (order, host) in expected {
        let plan = place(order, &view, &[v]);
        assert_eq!(
            plan,
            vec![Action::Deploy { vm: v, host }],
            "{order:?} should choose host {host}"
        );
    }
}

#[test]
fn a_favourite_without_memory_is_skipped_for_the_runner_up() {
    // Each order's favourite from the table above gets only 500 MB free (16000 − 15500), less
    // than the 1000 MB the VM needs; the order's second choice wins instead:
    // first-fit: 1 → next feasible id 2; packing: 2 → next least free, host 1 (2000);
    // striping: 4 → next fewest VMs, host 1 (2); load-aware: 3 → next most free, host 4 (2500).
    let cases = [
        (Order::FirstFit, 1, 2),
        (Order::Packing, 2, 1),
        (Order::Striping, 4, 1),
        (Order::LoadAware, 3, 4),
    ];
    for (order, favourite, runner_up) in cases {
        let (mut view, v) = five_hosts();
        view.hosts[favourite].reserved_memory_mb = 15500.0;
        let host = only_host(&place(order, &view, &[v]));
        assert_eq!(
            host, runner_up,
            "{order:?} with host {favourite} out of memory"
        );
    }
}

#[test]
fn memory_overcommit_makes_room() {
    // Host 1 alone, 2000 MB, already holding 1500 MB: a 1000-MB VM does not fit at ratio 1.0
    // (1500 + 1000 > 2000) but does at 1.5 (1500 + 1000 ≤ 3000).
    let mut view = cluster(vec![host_type("fast", 4, 1000.0, 2000.0)], vm_types());
    add_host(&mut view, 0, PowerState::On, &[F1500]);
    let v = add_pending(&mut view, NEW);
    for order in ORDERS {
        assert!(
            matches!(place(order, &view, &[v])[..], [Action::Reject { .. }]),
            "{order:?} overfilled memory"
        );
    }
    view.overcommit.memory = 1.5;
    for order in ORDERS {
        assert_eq!(only_host(&place(order, &view, &[v])), 0, "{order:?}");
    }
}

/// Hosts for the power-state tests:
///
/// | host | type          | power  | free CPU | VMs |
/// |------|---------------|--------|----------|-----|
/// | 0    | 4 × 1000      | Off    | 4000     | 0   |
/// | 1    | 4 × 1000      | On     | 4000 − 1000·k (k residents) | k |
/// | 2    | 1 × 1000      | Off    | 1000     | 0   |
/// | 3    | 8 × 1000      | Failed | 8000     | 0   |
fn power_hosts(residents_on_host_1: usize) -> (ClusterView, VmId) {
    let mut view = cluster(
        vec![
            host_type("fast", 4, 1000.0, 16000.0),
            host_type("one", 1, 1000.0, 16000.0),
            host_type("big", 8, 1000.0, 16000.0),
        ],
        vm_types(),
    );
    add_host(&mut view, 0, PowerState::Off, &[]);
    add_host(
        &mut view,
        0,
        PowerState::On,
        &vec![F1000; residents_on_host_1],
    );
    add_host(&mut view, 1, PowerState::Off, &[]);
    add_host(&mut view, 2, PowerState::Failed, &[]);
    let v = add_pending(&mut view, NEW);
    (view, v)
}

#[test]
fn off_hosts_are_used_only_when_no_up_host_fits() {
    // Host 1 (on, 1 resident, 3000 free) is the only up host with room. Were the off hosts up,
    // first-fit, striping and load-aware would prefer host 0 and packing host 2; all must take
    // host 1.
    let (view, v) = power_hosts(1);
    for order in ORDERS {
        assert_eq!(only_host(&place(order, &view, &[v])), 1, "{order:?}");
    }
    // Host 1 full (4 residents, 0 free): an off host is woken, in the order's preference:
    // first-fit → 0 (lowest id), packing → 2 (1000 free < 4000), load-aware → 0 (4000 > 1000),
    // striping → 0 or 2 (both have 0 VMs; the tie-break is not specified). The failed host 3,
    // though the largest, is never chosen.
    let (view, v) = power_hosts(4);
    assert_eq!(only_host(&place(Order::FirstFit, &view, &[v])), 0);
    assert_eq!(only_host(&place(Order::Packing, &view, &[v])), 2);
    assert_eq!(only_host(&place(Order::LoadAware, &view, &[v])), 0);
    let striped = only_host(&place(Order::Striping, &view, &[v]));
    assert!(striped == 0 || striped == 2, "striping woke host {striped}");
}

#[test]
fn failed_and_shutting_down_hosts_are_never_used() {
    // Only a failed host and a host shutting down, both empty and large: nothing fits.
    let mut view = cluster(vec![host_type("big", 8, 1000.0, 16000.0)], vm_types());
    add_host(&mut view, 0, PowerState::Failed, &[]);
    add_host(&mut view, 0, PowerState::ShuttingDown, &[]);
    let v = add_pending(&mut view, NEW);
    for order in ORDERS {
        let plan = place(order, &view, &[v]);
        assert!(
            matches!(plan[..], [Action::Reject { vm, .. }] if vm == v),
            "{order:?}: {plan:?}"
        );
    }
}

#[test]
fn a_vcpu_faster_than_the_cores_never_goes_there() {
    // One host of 8 × 500 = 4000 MIPS. A 1 × 1000-MIPS VM needs only a quarter of the host's
    // capacity but its vCPU exceeds a core: rejected. A 2 × 500-MIPS VM (same 1000 MIPS) fits.
    let mut view = cluster(vec![host_type("slow", 8, 500.0, 16000.0)], vm_types());
    view.vm_types.push(vm_type("two-slow", 2, 500.0, 1000.0));
    add_host(&mut view, 0, PowerState::On, &[]);
    let fast = add_pending(&mut view, NEW);
    let slow = add_pending(&mut view, 4);
    for order in ORDERS {
        let plan = place(order, &view, &[fast, slow]);
        assert!(
            matches!(plan[0], Action::Reject { vm, .. } if vm == fast),
            "{order:?} placed a 1000-MIPS vCPU on 500-MIPS cores: {plan:?}"
        );
        assert_eq!(plan[1], Action::Deploy { vm: slow, host: 0 }, "{order:?}");
    }
}

/// The host of each action in order, `None` for a rejection.
fn hosts_of(plan: &[Action]) -> Vec<Option<HostId>> {
    plan.iter()
        .map(|a| match a {
            Action::Deploy { host, .. } => Some(*host),
            Action::Reject { .. } => None,
            other => panic!("unexpected action {other:?}"),
        })
        .collect()
}

fn check_batch(view: &ClusterView, pending: &[VmId], what: &str) {
    for order in ORDERS {
        let plan = place(order, view, pending);
        // One action per request, in request order.
        let vms: Vec<VmId> = plan
            .iter()
            .map(|a| match a {
                Action::Deploy { vm, .. } | Action::Reject { vm, .. } => *vm,
                other => panic!("unexpected action {other:?}"),
            })
            .collect();
        assert_eq!(vms, pending, "{order:?} ({what})");
        let hosts = hosts_of(&plan);
        // Room for 2 + 2: the first four are deployed, two per host, the fifth rejected.
        assert!(
            hosts[..4].iter().all(Option::is_some),
            "{order:?} ({what}): {hosts:?}"
        );
        assert_eq!(hosts[4], None, "{order:?} ({what}): {hosts:?}");
        for h in 0..2 {
            let n = hosts.iter().filter(|&&x| x == Some(h)).count();
            assert_eq!(
                n, 2,
                "{order:?} ({what}) put {n} VMs on host {h}: {hosts:?}"
            );
        }
        if order == Order::FirstFit {
            assert_eq!(
                hosts,
                vec![Some(0), Some(0), Some(1), Some(1), None],
                "first-fit fills host 0 before host 1 ({what})"
            );
        }
    }
}

#[test]
fn a_batch_never_overfills_a_host_by_cpu() {
    // Two empty hosts of 2 × 1000 MIPS: room for two 1000-MIPS VMs each; 5 requests.
    let mut view = cluster(vec![host_type("two", 2, 1000.0, 16000.0)], vm_types());
    add_host(&mut view, 0, PowerState::On, &[]);
    add_host(&mut view, 0, PowerState::On, &[]);
    let pending: Vec<VmId> = (0..5).map(|_| add_pending(&mut view, NEW)).collect();
    check_batch(&view, &pending, "CPU binds");
}

#[test]
fn a_batch_never_overfills_a_host_by_memory() {
    // Two empty hosts of 16 × 1000 MIPS but 2000 MB: room for two 1000-MB VMs each.
    let mut view = cluster(vec![host_type("wide", 16, 1000.0, 2000.0)], vm_types());
    add_host(&mut view, 0, PowerState::On, &[]);
    add_host(&mut view, 0, PowerState::On, &[]);
    let pending: Vec<VmId> = (0..5).map(|_| add_pending(&mut view, NEW)).collect();
    check_batch(&view, &pending, "memory binds");
}

/// Thermal placements on three empty fast hosts (4 × 1000 MIPS, linear 100–200 W, R = 0.05
/// °C/W) with inlets 24, 20 and 22 °C and reservations of 0, 3000 and 1000 MIPS.
///
/// Predicted steady temperature at the reserved load (inlet + R · P(u)):
/// host 0: 24 + 0.05 · 100 = 29; host 1: 20 + 0.05 · 175 = 28.75; host 2: 22 + 0.05 · 125 =
/// 28.25. `coolest` picks host 2; `coolest-inlet` picks host 1 (20 °C).
#[test]
fn thermal_orders_pick_the_coolest_host() {
    let mut view = cluster(vec![host_type("fast", 4, 1000.0, 16000.0)], vm_types());
    for (inlet, reserved) in [(24.0, 0), (20.0, 3), (22.0, 1)] {
        let h = add_host(&mut view, 0, PowerState::On, &vec![F1000; reserved]);
        view.hosts[h].inlet_c = inlet;
    }
    let v = add_pending(&mut view, NEW);
    assert_eq!(only_host(&place(Order::Coolest, &view, &[v])), 2);
    assert_eq!(only_host(&place(Order::CoolestInlet, &view, &[v])), 1);
    // A batch spreads over cool hosts as their predicted temperature rises: with 2000 MIPS
    // reserved host 2 would reach 22 + 0.05 · 150 = 29.5 °C, so the next VM goes to host 1
    // (28.75 °C).
    let w = add_pending(&mut view, NEW);
    let plan = place(Order::Coolest, &view, &[v, w]);
    assert_eq!(
        plan,
        vec![
            Action::Deploy { vm: v, host: 2 },
            Action::Deploy { vm: w, host: 1 }
        ]
    );
}
