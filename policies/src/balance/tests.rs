//! Each balance policy's choice on hand-built clusters, and rounds that settle instead of
//! oscillating.

use orrery_engine::action::Action;
use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
use orrery_engine::policy::Reallocation;
use orrery_engine::rng::RngStreams;
use orrery_engine::view::{ClusterView, Compat, HostId, HostView, VmView};

use orrery_engine::scenario::BalanceSection;

use super::{Balance, BalanceKind};
use crate::constraints::Requirements;
use crate::governor::Governor;

const PARAMS: BalanceSection = BalanceSection {
    spread: 0.4,
    spread_target: 0.2,
    cpu: 0.8,
    cpu_target: 0.7,
    temperature_c: 40.0,
    temperature_target_c: 35.0,
};

/// Hosts of 10 000 MIPS (linear 100–200 W, R = 0.1 °C/W); one 1 000-MIPS VM type per tenth of
/// load so that `loads[h]` lists each host's VMs as fractions of a host.
fn cluster(loads: &[&[f64]]) -> ClusterView {
    let power = PowerModel::Linear {
        idle_w: 100.0,
        max_w: 200.0,
    };
    let mut ty = HostType::new("h", 10, 1000.0, 100_000.0, power);
    ty.thermal_resistance_c_per_w = 0.1;
    let mut view = ClusterView::new(
        Compat::None,
        vec![ty],
        vec![VmType::new("v", 10, 1000.0, 1000.0)],
    );
    for (h, vms) in loads.iter().enumerate() {
        let mut host = HostView::new(format!("h{h}"), 0, PowerState::On);
        host.inlet_c = 20.0;
        for &u in vms.iter() {
            let id = view.vms.len();
            let mut vm = VmView::new(format!("v{id}"), 0, 0);
            vm.state = VmState::Running;
            vm.host = Some(h);
            vm.demand = u;
            host.vms.push(id);
            host.reserved_memory_mb += 1000.0;
            view.vms.push(vm);
        }
        view.hosts.push(host);
    }
    refresh(&mut view);
    view
}

/// Busy MIPS and temperatures as a monitoring update would show them at steady state.
fn refresh(view: &mut ClusterView) {
    for h in 0..view.hosts.len() {
        let busy: f64 = view.hosts[h]
            .vms
            .iter()
            .map(|&v| view.requested_mips(v))
            .sum();
        let temp = view.steady_temperature_c(h, busy / view.capacity_mips(h));
        let host = &mut view.hosts[h];
        host.busy_mips = busy;
        host.requested_mips = busy;
        host.temperature_c = temp;
    }
}

fn policy(kind: BalanceKind, budget: usize, cooldown: u32) -> Balance {
    Balance::new(
        kind,
        PARAMS,
        Requirements::default(),
        Governor::new(budget, cooldown),
    )
}

fn run(policy: &mut Balance, view: &ClusterView) -> Vec<Action> {
    policy.reallocate(view, &mut RngStreams::new(1).stream("t", 0))
}

/// Applies a plan as if every migration completed at once.
fn apply(view: &mut ClusterView, plan: &[Action]) {
    for a in plan {
        if let Action::Migrate { vm, to } = *a {
            let from = view.vms[vm].host.unwrap();
            view.hosts[from].vms.retain(|&x| x != vm);
            view.hosts[from].reserved_memory_mb -= 1000.0;
            view.hosts[to].vms.push(vm);
            view.hosts[to].reserved_memory_mb += 1000.0;
            view.vms[vm].host = Some(to);
        }
    }
    refresh(view);
}

#[test]
fn cpu_balance_sheds_the_smallest_sufficient_vm_to_the_least_loaded_host() {
    // Host 0 at 90 % (40 + 30 + 20): leaving 20 % reaches the 70 % target. Host 1 (10 %) is
    // the least loaded and stays at 30 % ≤ 70 %.
    let view = cluster(&[&[0.4, 0.3, 0.2], &[0.1], &[0.5]]);
    let plan = run(&mut policy(BalanceKind::Cpu, 0, 0), &view);
    assert_eq!(plan, vec![Action::Migrate { vm: 2, to: 1 }]);
}

#[test]
fn cpu_balance_never_pushes_a_destination_past_the_target() {
    // 95 % and 65 %: any 10 % VM would take host 1 to 75 % > 70 %, so nothing moves.
    let view = cluster(&[&[0.5, 0.45], &[0.65]]);
    assert!(run(&mut policy(BalanceKind::Cpu, 0, 0), &view).is_empty());
}

#[test]
fn workload_balance_moves_while_the_spread_exceeds_the_target() {
    // 80 % / 20 % / 50 %: spread 0.6 > 0.4. Moving the 30 % VM from host 0 to host 1 gives
    // 50 / 50 / 50; the spread 0 ≤ 0.2 ends the round.
    let view = cluster(&[&[0.5, 0.3], &[0.2], &[0.5]]);
    let plan = run(&mut policy(BalanceKind::Workload, 0, 0), &view);
    assert_eq!(plan, vec![Action::Migrate { vm: 1, to: 1 }]);
    // Below the trigger nothing happens (0.3 spread, not engaged).
    let calm = cluster(&[&[0.5], &[0.2]]);
    assert!(run(&mut policy(BalanceKind::Workload, 0, 0), &calm).is_empty());
}

#[test]
fn thermal_balance_moves_load_to_the_coolest_host() {
    // Steady temperature = inlet + 0.1 °C/W · (100 + 100 u) W. Host 0 (inlet 21 °C, u = 1)
    // is at 41 °C > 40; reaching 35 °C needs u ≤ 0.4. Host 1 (u = 0.6) is at 36 °C, host 2
    // (u = 0.1) at 31 °C, and a destination must stay ≤ 35 °C (u ≤ 0.5 at a 20 °C inlet).
    let mut view = cluster(&[&[0.5, 0.3, 0.2], &[0.6], &[0.1]]);
    view.hosts[0].inlet_c = 21.0;
    refresh(&mut view);
    assert!((view.hosts[0].temperature_c - 41.0).abs() < 1e-9);
    let plan = run(&mut policy(BalanceKind::Thermal, 0, 0), &view);
    // No single VM brings host 0 to 0.4, so the largest goes first: 0.5 fits nowhere (host 2
    // would reach u = 0.6), 0.3 fits host 2 (u = 0.4, 34 °C). Then host 0 is at 0.7: losing
    // the 0.5 VM would reach the target, but neither it nor the 0.2 VM fits anywhere now.
    assert_eq!(plan, vec![Action::Migrate { vm: 1, to: 2 }]);
}

#[test]
fn budget_caps_a_round() {
    let view = cluster(&[&[0.3, 0.3, 0.3], &[0.3, 0.3, 0.3], &[], &[]]);
    let plan = run(&mut policy(BalanceKind::Cpu, 1, 0), &view);
    assert_eq!(plan.len(), 1);
}

/// Rounds against a cluster whose demand flips between two patterns every round: without
/// hysteresis a balance policy would chase it back and forth.
#[test]
fn rounds_settle_instead_of_oscillating() {
    for kind in [
        BalanceKind::Workload,
        BalanceKind::Cpu,
        BalanceKind::Thermal,
    ] {
        let mut view = cluster(&[&[0.3, 0.3, 0.3], &[0.1], &[0.2, 0.2], &[]]);
        if kind == BalanceKind::Thermal {
            view.hosts[0].inlet_c = 22.0;
            refresh(&mut view);
        }
        let mut p = policy(kind, 2, 3);
        let mut moves_per_round = Vec::new();
        let mut history: Vec<Vec<HostId>> = vec![Vec::new(); view.vms.len()];
        for round in 0..20 {
            // The demand wobbles by ±5 % between rounds.
            let wobble = if round % 2 == 0 { 1.05 } else { 1.0 / 1.05 };
            for v in 0..view.vms.len() {
                view.vms[v].demand *= wobble;
            }
            refresh(&mut view);
            let plan = run(&mut p, &view);
            assert!(plan.len() <= 2, "{kind:?}: budget");
            for a in &plan {
                if let Action::Migrate { vm, to } = *a {
                    history[vm].push(to);
                }
            }
            moves_per_round.push(plan.len());
            apply(&mut view, &plan);
        }
        let late: usize = moves_per_round[5..].iter().sum();
        assert_eq!(late, 0, "{kind:?} still moving: {moves_per_round:?}");
        for (v, hops) in history.iter().enumerate() {
            assert!(hops.len() <= 1, "{kind:?}: vm {v} moved {hops:?}");
        }
    }
}
