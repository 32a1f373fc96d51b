//! Unit tests of the overload detectors, the VM selections and PABFD on hand-built clusters.
//!
//! Every expected value is worked out by hand in the comments (quartiles, medians, regression
//! lines, R², power increases); none was obtained by running the code under test.

use std::collections::VecDeque;

use orrery_engine::action::Action;
use orrery_engine::model::{HostType, PowerModel, PowerState, VmState, VmType};
use orrery_engine::policy::{Placement, Reallocation};
use orrery_engine::rng::{Rng, RngStreams};
use orrery_engine::view::{ClusterView, Compat, HostId, HostView, VmId, VmView};

use super::scratch::Scratch;
use super::{Consolidation, Detector, Fit, Selection};
use crate::stats;

fn host_type(cores: u32, power: PowerModel) -> HostType {
    HostType::new(format!("h{cores}"), cores, 1000.0, 100_000.0, power)
}

fn linear(idle_w: f64, max_w: f64) -> PowerModel {
    PowerModel::Linear { idle_w, max_w }
}

fn vm_type(vcpus: u32, mips: f64, memory_mb: f64) -> VmType {
    VmType::new(
        format!("v{vcpus}x{mips}-{memory_mb}"),
        vcpus,
        mips,
        memory_mb,
    )
}

fn cluster(compat: Compat, host_types: Vec<HostType>, vm_types: Vec<VmType>) -> ClusterView {
    // Default migration model: bandwidth fraction 0.5; updates every 300 s.
    ClusterView::new(compat, host_types, vm_types)
}

fn add_host(view: &mut ClusterView, ty: usize) -> HostId {
    let name = format!("h{}", view.hosts.len());
    view.hosts.push(HostView::new(name, ty, PowerState::On));
    view.hosts.len() - 1
}

/// Adds a running VM of type `ty` on host `h` (at the end of its list) with the given current
/// demand and history (newest first). The host's monitoring fields follow, as after an update.
fn add_vm(view: &mut ClusterView, h: HostId, ty: usize, demand: f64, history: &[f64]) -> VmId {
    let v = view.vms.len();
    view.vms.push(VmView {
        state: VmState::Running,
        host: Some(h),
        demand,
        history: history.iter().copied().collect::<VecDeque<f64>>(),
        ..VmView::new(format!("vm{v}"), ty, 0)
    });
    let mips = view.vm_types[ty].total_mips();
    let mem = view.vm_types[ty].memory_mb;
    let host = &mut view.hosts[h];
    host.vms.push(v);
    host.reserved_mips += mips;
    host.reserved_memory_mb += mem;
    host.requested_mips += demand * mips;
    host.busy_mips += demand * mips;
    v
}

fn rng() -> Rng {
    RngStreams::new(1).stream("t", 0)
}

fn overloaded(view: &ClusterView, detector: Detector, fit: Fit) -> bool {
    let s = Scratch::new(view, false);
    detector.overloaded(&s, 0, None, fit)
}

// ---------------------------------------------------------------------------------------------
// THR

#[test]
fn thr_compares_requested_utilisation_with_the_threshold() {
    // Host of 2 × 1000 = 2000 MIPS; VMs of 1000 MIPS at 0.9 and 0.8: (900 + 800) / 2000 = 0.85.
    let mut view = cluster(
        Compat::None,
        vec![host_type(2, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types.push(vm_type(1, 1000.0, 1000.0));
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, 0.9, &[]);
    add_vm(&mut view, 0, 0, 0.8, &[]);
    assert!(
        overloaded(&view, Detector::Thr(0.8), Fit::Paper),
        "0.85 > 0.8"
    );
    assert!(
        !overloaded(&view, Detector::Thr(0.9), Fit::Paper),
        "0.85 ≤ 0.9"
    );
    // Strictly greater: exactly at the threshold is not an overload.
    assert!(
        !overloaded(&view, Detector::Thr(0.85), Fit::Paper),
        "0.85 ≯ 0.85"
    );
}

#[test]
fn thr_counts_requests_beyond_capacity_uncapped() {
    // Demand is requested, not allocated: a 1000-MIPS host with two 1000-MIPS VMs at 0.6 each
    // requests 1200 / 1000 = 1.2, above a threshold of 1.0 (allocation alone would be 1.0).
    let mut view = cluster(
        Compat::None,
        vec![host_type(1, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types.push(vm_type(1, 1000.0, 1000.0));
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, 0.6, &[]);
    add_vm(&mut view, 0, 0, 0.6, &[]);
    assert!(overloaded(&view, Detector::Thr(1.0), Fit::Paper));
    assert!(!overloaded(&view, Detector::Thr(1.25), Fit::Paper));
}

// ---------------------------------------------------------------------------------------------
// IQR and MAD

/// VM B's history (newest first): 0.20, 0.25, …, 0.75 in a scrambled order, so that the
/// detectors must sort it.
const B_HISTORY: [f64; 12] = [
    0.45, 0.20, 0.70, 0.35, 0.60, 0.25, 0.75, 0.50, 0.30, 0.65, 0.40, 0.55,
];

/// Host 0 of 2 × 1000 MIPS with two 1000-MIPS VMs: A (history 0.4 throughout) and B
/// (`B_HISTORY`), both truncated to `samples`, with current demands `da` and `db`.
///
/// Host history sample i = (0.4 · 1000 + b_i · 1000) / 2000 = 0.2 + b_i / 2, and the requested
/// utilisation is (da + db) · 1000 / 2000 = (da + db) / 2.
fn spread_host(samples: usize, da: f64, db: f64) -> ClusterView {
    let mut view = cluster(
        Compat::None,
        vec![host_type(2, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types.push(vm_type(1, 1000.0, 1000.0));
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, da, &[0.4; 12][..samples]);
    add_vm(&mut view, 0, 0, db, &B_HISTORY[..samples]);
    view
}

#[test]
fn iqr_threshold_is_one_minus_safety_times_iqr() {
    // Sorted b: 0.20, 0.25, 0.30, …, 0.75. With n = 12 CloudSim's quartile indices are
    // round(0.25 · 13) − 1 = 2 and round(0.75 · 13) − 1 = 9, so IQR(b) = 0.65 − 0.30 = 0.35 and,
    // the host history being 0.2 + b/2, IQR(host) = 0.35 / 2 = 0.175.
    // Threshold with safety 1.5: 1 − 1.5 · 0.175 = 1 − 0.2625 = 0.7375.
    let iqr = Detector::Iqr(1.5);
    // (0.7 + 0.8) / 2 = 0.75 > 0.7375: overloaded.
    assert!(overloaded(&spread_host(12, 0.7, 0.8), iqr, Fit::Paper));
    // (0.7 + 0.75) / 2 = 0.725 ≤ 0.7375: not overloaded (though above the 0.7 fallback).
    assert!(!overloaded(&spread_host(12, 0.7, 0.75), iqr, Fit::Paper));
    // A larger safety lowers the threshold: 1 − 2 · 0.175 = 0.65 < 0.725.
    assert!(overloaded(
        &spread_host(12, 0.7, 0.75),
        Detector::Iqr(2.0),
        Fit::Paper
    ));
}

#[test]
fn mad_threshold_is_one_minus_safety_times_mad() {
    // Host history sorted: 0.2 + b/2 = 0.300, 0.325, …, 0.575 (step 0.025).
    // Median (n = 12, position 6.5): (0.425 + 0.450) / 2 = 0.4375.
    // Absolute deviations 0.025 · |k − 5.5| for k = 0..11: 0.0125 (×2), 0.0375 (×2),
    // 0.0625 (×2), 0.0875 (×2), 0.1125 (×2), 0.1375 (×2); their median is
    // (0.0625 + 0.0875) / 2 = 0.075. Threshold with safety 2.5: 1 − 2.5 · 0.075 = 0.8125.
    let mad = Detector::Mad(2.5);
    // (0.8 + 0.85) / 2 = 0.825 > 0.8125: overloaded.
    assert!(overloaded(&spread_host(12, 0.8, 0.85), mad, Fit::Paper));
    // (0.8 + 0.8) / 2 = 0.8 ≤ 0.8125: not overloaded (though above the 0.7 fallback).
    assert!(!overloaded(&spread_host(12, 0.8, 0.8), mad, Fit::Paper));
}

#[test]
fn iqr_and_mad_fall_back_to_thr_0_7_with_fewer_than_12_samples() {
    // With 11 samples both use the static threshold 0.7: 0.725 and 0.8 (not overloaded with
    // 12 samples above) are now overloaded, and 0.69 is not.
    assert!(overloaded(
        &spread_host(11, 0.7, 0.75),
        Detector::Iqr(1.5),
        Fit::Paper
    ));
    assert!(overloaded(
        &spread_host(11, 0.8, 0.8),
        Detector::Mad(2.5),
        Fit::Paper
    ));
    // (0.69 + 0.69) / 2 = 0.69 ≤ 0.7.
    assert!(!overloaded(
        &spread_host(11, 0.69, 0.69),
        Detector::Iqr(1.5),
        Fit::Paper
    ));
    assert!(!overloaded(
        &spread_host(11, 0.69, 0.69),
        Detector::Mad(2.5),
        Fit::Paper
    ));
}

// ---------------------------------------------------------------------------------------------
// LR and LRR

/// Newest first: 0.90, 0.85, …, 0.45. Oldest first at x = 1..10 that is y = 0.40 + 0.05 x.
const LINE: [f64; 10] = [0.90, 0.85, 0.80, 0.75, 0.70, 0.65, 0.60, 0.55, 0.50, 0.45];

/// Host 0 of 1 × 1000 MIPS with one 1000-MIPS VM of `memory_mb` whose history is the first
/// `samples` points of `LINE` (so the host history is the same line) and whose demand is `d`.
fn line_host(samples: usize, memory_mb: f64, d: f64) -> ClusterView {
    let mut view = cluster(
        Compat::None,
        vec![host_type(1, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types.push(vm_type(1, 1000.0, memory_mb));
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, d, &LINE[..samples]);
    view
}

#[test]
fn regression_of_the_line_is_exact() {
    // Sanity check of the inputs: OLS and the tricube-weighted fit of a perfect line both return
    // the line itself, a = 0.40 and b = 0.05.
    let y: Vec<f64> = LINE.iter().rev().copied().collect();
    for (name, fit) in [
        ("ols", stats::simple_regression(&y)),
        ("loess", stats::loess(&y)),
    ] {
        let (a, b) = fit.expect("a line can be fitted");
        assert!((a - 0.40).abs() < 1e-12, "{name}: a = {a}");
        assert!((b - 0.05).abs() < 1e-12, "{name}: b = {b}");
    }
}

#[test]
fn lr_predicts_one_migration_ahead_and_applies_the_safety_factor() {
    // Migration of the host's largest VM: 1000 MB / (1000 Mbit/s · 0.5 / 8 = 62.5 MB/s) = 16 s,
    // ceil(16 / 300) = 1 interval, so the prediction is at x = 10 + 1 = 11:
    // 0.40 + 0.05 · 11 = 0.95. The current demand (0.5, below the 0.7 fallback) plays no part.
    let view = line_host(10, 1000.0, 0.5);
    for detector in [Detector::Lr(1.2), Detector::Lrr(1.2)] {
        for fit in [Fit::CloudSim, Fit::Paper] {
            // 1.2 · 0.95 = 1.14 ≥ 1: overloaded.
            assert!(overloaded(&view, detector, fit), "{detector:?} {fit:?}");
        }
    }
    for detector in [Detector::Lr(1.0), Detector::Lrr(1.0)] {
        for fit in [Fit::CloudSim, Fit::Paper] {
            // 1.0 · 0.95 = 0.95 < 1: not overloaded.
            assert!(!overloaded(&view, detector, fit), "{detector:?} {fit:?}");
        }
    }
}

#[test]
fn lr_looks_further_ahead_when_migrations_are_longer() {
    // Safety 1.03. With 1000 MB the horizon is x = 11: 1.03 · 0.95 = 0.9785 < 1.
    // With 20000 MB a migration takes 20000 / 62.5 = 320 s, ceil(320 / 300) = 2 intervals, so
    // x = 12: 1.03 · (0.40 + 0.60) = 1.03 ≥ 1.
    for fit in [Fit::CloudSim, Fit::Paper] {
        assert!(!overloaded(
            &line_host(10, 1000.0, 0.5),
            Detector::Lr(1.03),
            fit
        ));
        assert!(overloaded(
            &line_host(10, 20000.0, 0.5),
            Detector::Lr(1.03),
            fit
        ));
    }
}

#[test]
fn lr_falls_back_to_thr_0_7_with_fewer_than_10_samples() {
    // 9 samples of the same rising line: LR is not used, whatever the safety factor.
    for detector in [Detector::Lr(1.2), Detector::Lrr(1.2)] {
        for fit in [Fit::CloudSim, Fit::Paper] {
            assert!(
                !overloaded(&line_host(9, 1000.0, 0.5), detector, fit),
                "0.5 ≤ 0.7"
            );
            assert!(
                overloaded(&line_host(9, 1000.0, 0.75), detector, fit),
                "0.75 > 0.7"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Selections

/// Host 0 (4 × 1000 MIPS) with VMs in list order 0, 2, 1, 3 (ids), of memory 2000, 1000,
/// 1000, 3000 MB for ids 0, 1, 2, 3 respectively, and demands 0.5, 0.3, 0.4, 0.6.
fn selection_host() -> ClusterView {
    let mut view = cluster(
        Compat::None,
        vec![host_type(4, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types = vec![
        vm_type(1, 1000.0, 2000.0),
        vm_type(1, 1000.0, 1000.0),
        vm_type(1, 1000.0, 3000.0),
    ];
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, 0.5, &[]); // id 0: 2000 MB
    add_vm(&mut view, 0, 1, 0.3, &[]); // id 1: 1000 MB
    add_vm(&mut view, 0, 1, 0.4, &[]); // id 2: 1000 MB
    add_vm(&mut view, 0, 2, 0.6, &[]); // id 3: 3000 MB
    view.hosts[0].vms = vec![0, 2, 1, 3];
    view
}

#[test]
fn mmt_picks_the_least_memory_first_in_host_order() {
    let mut view = selection_host();
    // VMs 1 and 2 tie at 1000 MB; VM 2 comes first in the host's list.
    let s = Scratch::new(&view, false);
    assert_eq!(Selection::Mmt.pick(&s, 0, &mut rng()), Some(2));
    // A VM already migrating is not a candidate: then VM 1.
    view.vms[2].in_migration = true;
    let s = Scratch::new(&view, false);
    assert_eq!(Selection::Mmt.pick(&s, 0, &mut rng()), Some(1));
}

#[test]
fn mu_picks_the_least_demand() {
    // Demands 0.5, 0.3, 0.4, 0.6: VM 1.
    let view = selection_host();
    let s = Scratch::new(&view, false);
    assert_eq!(Selection::Mu.pick(&s, 0, &mut rng()), Some(1));
}

#[test]
fn mu_compares_utilisation_fractions_not_mips() {
    // As CloudSim's minimum-utilisation policy (utilisation MIPS / VM MIPS): VM 0 of 500 MIPS
    // at 0.5 (250 MIPS) against VM 1 of 2000 MIPS at 0.3 (600 MIPS): VM 1, the lower fraction.
    let mut view = cluster(
        Compat::None,
        vec![host_type(4, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types = vec![vm_type(1, 500.0, 1000.0), vm_type(2, 1000.0, 1000.0)];
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, 0.5, &[]);
    add_vm(&mut view, 0, 1, 0.3, &[]);
    let s = Scratch::new(&view, false);
    assert_eq!(Selection::Mu.pick(&s, 0, &mut rng()), Some(1));
}

#[test]
fn rs_is_reproducible_and_always_returns_a_candidate() {
    let mut view = selection_host();
    view.vms[3].in_migration = true; // candidates: 0, 2, 1
    let s = Scratch::new(&view, false);
    let draw = |rng: &mut Rng| -> Vec<VmId> {
        (0..60)
            .map(|_| Selection::Rs.pick(&s, 0, rng).expect("a candidate"))
            .collect()
    };
    let a = draw(&mut rng());
    let b = draw(&mut rng());
    assert_eq!(a, b, "the same seeded stream gives the same picks");
    assert!(a.iter().all(|v| [0, 1, 2].contains(v)), "{a:?}");
    // Over 60 uniform draws each of the 3 candidates shows up (a miss would have probability
    // 3 · (2/3)^60 < 1e-10 for a uniform choice).
    for v in [0, 1, 2] {
        assert!(a.contains(&v), "VM {v} never drawn: {a:?}");
    }
    // Another stream gives another sequence.
    let c = draw(&mut RngStreams::new(2).stream("t", 0));
    assert_ne!(a, c);
}

#[test]
fn selections_return_none_when_every_vm_is_migrating() {
    let mut view = selection_host();
    for vm in &mut view.vms {
        vm.in_migration = true;
    }
    let s = Scratch::new(&view, false);
    for sel in [Selection::Mmt, Selection::Mu, Selection::Rs, Selection::Mc] {
        assert_eq!(sel.pick(&s, 0, &mut rng()), None, "{sel:?}");
    }
}

/// Host 0 with VMs a, b, c (ids 0, 1, 2, in that list order) of memory 2000, 1000, 3000 MB and
/// the first `samples` of these 4-sample histories (newest first):
///
/// a = 0.5 + 0.1·e1 = [0.6, 0.6, 0.4, 0.4]
/// b = 0.5 + 0.1·e2 = [0.6, 0.4, 0.6, 0.4]
/// c = 0.5 + 0.1·(e1 + e2 + e3) = [0.8, 0.4, 0.4, 0.4]
///
/// with the orthogonal, centred e1 = [1, 1, −1, −1], e2 = [1, −1, 1, −1], e3 = [1, −1, −1, 1]
/// (each of squared norm 4).
fn correlated_host(samples: usize) -> ClusterView {
    let mut view = cluster(
        Compat::None,
        vec![host_type(4, linear(100.0, 200.0))],
        vec![],
    );
    view.vm_types = vec![
        vm_type(1, 1000.0, 2000.0),
        vm_type(1, 1000.0, 1000.0),
        vm_type(1, 1000.0, 3000.0),
    ];
    add_host(&mut view, 0);
    add_vm(&mut view, 0, 0, 0.5, &[0.6, 0.6, 0.4, 0.4][..samples]);
    add_vm(&mut view, 0, 1, 0.5, &[0.6, 0.4, 0.6, 0.4][..samples]);
    add_vm(&mut view, 0, 2, 0.5, &[0.8, 0.4, 0.4, 0.4][..samples]);
    view
}

#[test]
fn mc_picks_the_vm_the_others_explain_best() {
    // R² with intercept only depends on the centred vectors. In the (orthogonal) e-basis:
    // - c on (a, b): a, b span {e1, e2}; c's centred part e1 + e2 + e3 leaves e3 unexplained:
    //   R² = 1 − |e3|² / |e1 + e2 + e3|² = 1 − 4/12 = 2/3.
    // - a on (b, c): span{e2, e1 + e3} has unit normal (e1 − e3)/√8 (orthogonal to both);
    //   the residual of e1 is its component along it: (e1·(e1 − e3))² / |e1 − e3|² = 16/8 = 2,
    //   so R² = 1 − 2/4 = 1/2.
    // - b on (a, c): by symmetry 1/2.
    // The maximum, 2/3, is c's: VM 2 (though MMT would pick VM 1, the least memory).
    let view = correlated_host(4);
    let s = Scratch::new(&view, false);
    assert_eq!(Selection::Mc.pick(&s, 0, &mut rng()), Some(2));
    // The R² values themselves, via the same statistic.
    let (a, b, c) = (
        [0.6, 0.6, 0.4, 0.4],
        [0.6, 0.4, 0.6, 0.4],
        [0.8, 0.4, 0.4, 0.4],
    );
    let r2 = |y: &[f64], x1: &[f64], x2: &[f64]| {
        stats::multiple_correlation_r2(y, &[x1, x2]).expect("regular design")
    };
    assert!((r2(&c, &a, &b) - 2.0 / 3.0).abs() < 1e-9);
    assert!((r2(&a, &b, &c) - 0.5).abs() < 1e-9);
    assert!((r2(&b, &a, &c) - 0.5).abs() < 1e-9);
}

#[test]
fn mc_falls_back_to_mmt_with_too_few_samples() {
    // 2 samples for 3 VMs: the regression is impossible, so MMT decides: VM 1 (1000 MB).
    let view = correlated_host(2);
    let s = Scratch::new(&view, false);
    assert_eq!(Selection::Mc.pick(&s, 0, &mut rng()), Some(1));
}

// ---------------------------------------------------------------------------------------------
// PABFD

/// Non-linear SPECpower table: W at 0 %, 10 %, …, 100 %.
const TABLE: [f64; 11] = [
    50.0, 80.0, 100.0, 115.0, 125.0, 135.0, 145.0, 155.0, 165.0, 175.0, 185.0,
];

/// Two empty hosts that are on, in CloudSim mode: host 0 of 4 × 1000 MIPS with `TABLE`, host 1
/// of 2 × 1000 MIPS, linear from 100 W to `max_w`; and one pending 1 × 1000-MIPS VM.
fn pabfd_cluster(max_w: f64) -> (ClusterView, VmId) {
    let mut view = cluster(
        Compat::CloudSim303,
        vec![
            host_type(4, PowerModel::Specpower { watts: TABLE }),
            host_type(2, linear(100.0, max_w)),
        ],
        vec![vm_type(1, 1000.0, 1000.0)],
    );
    add_host(&mut view, 0);
    add_host(&mut view, 1);
    view.vms.push(VmView {
        state: VmState::Pending,
        ..VmView::new("new", 0, 0)
    });
    (view, 0)
}

#[test]
fn pabfd_chooses_the_smallest_power_increase() {
    // A VM being created asks for its full 1000 MIPS.
    // Host 0: u = 1000 / 4000 = 0.25, between the 20 % (100 W) and 30 % (115 W) points:
    //   P = 100 + (115 − 100)/10 · (0.25 − 0.2) · 100 = 107.5 W; increase 107.5 − 50 = 57.5 W.
    // Host 1 (100 → 200 W): u = 1000 / 2000 = 0.5, P = 150 W; increase 50 W < 57.5: host 1,
    //   although host 0 idles at half the power.
    let policy = || Consolidation::new(Detector::Thr(0.8), Selection::Mmt);
    let (view, v) = pabfd_cluster(200.0);
    let plan = policy().place(&view, &[v], &mut rng());
    assert_eq!(plan, vec![Action::Deploy { vm: v, host: 1 }]);
    // Host 1 at 100 → 230 W: P(0.5) = 165 W, increase 65 W > 57.5: host 0.
    let (view, v) = pabfd_cluster(230.0);
    let plan = policy().place(&view, &[v], &mut rng());
    assert_eq!(plan, vec![Action::Deploy { vm: v, host: 0 }]);
}

// ---------------------------------------------------------------------------------------------
// The whole round

/// Three hosts of 2 × 1000 MIPS (100 → 200 W): host 0 runs VM 0 at 0.3 (u = 300/2000 = 0.15),
/// host 1 runs VM 1 at 0.5 (u = 0.25), host 2 is on and empty (u = 0).
fn underloaded_cluster(compat: Compat) -> ClusterView {
    let mut view = cluster(
        compat,
        vec![host_type(2, linear(100.0, 200.0))],
        vec![vm_type(1, 1000.0, 1000.0)],
    );
    for _ in 0..3 {
        add_host(&mut view, 0);
    }
    add_vm(&mut view, 0, 0, 0.3, &[]);
    add_vm(&mut view, 1, 0, 0.5, &[]);
    view
}

#[test]
fn underload_drains_the_least_used_host_and_powers_it_off() {
    // THR 0.8: no host is overloaded. Underload phase: host 2 (u = 0) counts as switched off
    // and is skipped; the least used is host 0 (0.15 < 0.25). Its VM (300 MIPS) goes by PABFD
    // to host 1, the only candidate: (500 + 300) / 2000 = 0.4 ≤ 0.8, so not overloaded after.
    // Host 1 is then a destination and is not searched: one migration. Under orrery's
    // semantics the emptied host 0 is powered off once drained.
    let mut policy = Consolidation::new(Detector::Thr(0.8), Selection::Mmt);
    let view = underloaded_cluster(Compat::None);
    let plan = policy.reallocate(&view, &mut rng());
    assert_eq!(
        plan,
        vec![
            Action::Migrate { vm: 0, to: 1 },
            Action::PowerOff { host: 0 }
        ]
    );
    // CloudSim leaves the emptied host on (it counts idle hosts as off).
    let view = underloaded_cluster(Compat::CloudSim303);
    let plan = policy.reallocate(&view, &mut rng());
    assert_eq!(plan, vec![Action::Migrate { vm: 0, to: 1 }]);
}

#[test]
fn underload_keeps_a_host_whose_vms_do_not_all_fit() {
    // As above but THR 0.35: host 1 would reach (500 + 300) / 2000 = 0.4 > 0.35 with VM 0, so
    // host 0 cannot be drained. Next, host 1's VM has no destination: host 0 has been searched
    // (and would reach 0.4 > 0.35 anyway) and host 2 counts as switched off. No action.
    let mut policy = Consolidation::new(Detector::Thr(0.35), Selection::Mmt);
    let view = underloaded_cluster(Compat::None);
    assert_eq!(policy.reallocate(&view, &mut rng()), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Carbon-aware consolidation

#[test]
fn the_detector_parameter_follows_the_grid_intensity_when_carbon_aware() {
    // Threshold 0.7 at or below 100 gCO2/kWh, 0.9 at or above 300, linear in between:
    // 150 → 0.7 + 0.2 × 0.25 = 0.75; 250 → 0.85.
    let carbon = super::CarbonAware {
        low: 100.0,
        high: 300.0,
        at_low: 0.7,
        at_high: 0.9,
    };
    let mut policy = Consolidation::new(Detector::Thr(0.8), Selection::Mmt);
    policy.carbon = Some(carbon);
    let mut view = cluster(
        Compat::None,
        vec![host_type(2, linear(100.0, 200.0))],
        vec![],
    );
    let threshold = |view: &ClusterView| match policy.ctx(view).detector {
        Detector::Thr(t) => t,
        other => panic!("{other:?}"),
    };
    // No series: the fixed parameter.
    assert_eq!(threshold(&view), 0.8);
    for (g, want) in [
        (0.0, 0.7),
        (100.0, 0.7),
        (150.0, 0.75),
        (250.0, 0.85),
        (300.0, 0.9),
        (900.0, 0.9),
    ] {
        view.carbon_intensity = Some(g);
        assert!(
            (threshold(&view) - want).abs() < 1e-12,
            "{g}: {}",
            threshold(&view)
        );
    }
    // A carbon-blind policy ignores the intensity.
    let blind = Consolidation::new(Detector::Thr(0.8), Selection::Mmt);
    assert_eq!(blind.ctx(&view).detector, Detector::Thr(0.8));
}
