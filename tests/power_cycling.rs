//! Behaviour of scenarios/power-cycling.toml checked against numbers worked out by hand from
//! the scenario file:
//!
//! * 32 blades, 16 cores × 2500 MIPS (40 000 MIPS), 128 GiB, linear power 95 W idle → 260 W,
//!   boot 180 s / 36 000 J (200 W while booting), shutdown 60 s / 6 000 J, all initially off;
//! * workers of 8 vCPU × 2500 MIPS (20 000 MIPS) and 32 GiB: two fit on a blade (CPU binds);
//! * wave 1: 40 workers at t = 600 s at 80 % for 7 200 s; wave 2: 20 at 14 400 s; wave 3: 60,
//!   one a minute from 28 800 s; VM boot 30 s; packing placement, idle hosts power off.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;

const HOSTS: f64 = 32.0;
const IDLE_W: f64 = 95.0;
const MAX_W: f64 = 260.0;
const BOOT_S: f64 = 180.0;
const BOOT_J: f64 = 36_000.0;
const VM_BOOT_S: f64 = 30.0;
const FIRST_ARRIVAL_S: f64 = 600.0;
const VMS_TOTAL: f64 = 40.0 + 20.0 + 60.0;
const DURATION_S: f64 = 43_200.0;

struct Run {
    _dir: tempfile::TempDir,
    summary: serde_json::Value,
    intervals: Table,
    events: Table,
}

fn run() -> Run {
    let dir = tempfile::tempdir().unwrap();
    run_ok(Some(&scenario("power-cycling.toml")), dir.path(), &[]);
    let p: &Path = dir.path();
    Run {
        summary: summary(p),
        intervals: Table::read(&p.join("intervals.csv")),
        events: Table::read(&p.join("events.csv")),
        _dir: dir,
    }
}

/// (time, kind, vm, host) of every event.
fn events(r: &Run) -> Vec<(f64, String, String, String)> {
    let e = &r.events;
    e.rows
        .iter()
        .map(|row| {
            (
                e.f(row, "time_s"),
                e.s(row, "kind").to_string(),
                e.s(row, "vm").to_string(),
                e.s(row, "host").to_string(),
            )
        })
        .collect()
}

fn times_of(r: &Run, kind: &str) -> Vec<f64> {
    events(r)
        .into_iter()
        .filter(|e| e.1 == kind)
        .map(|e| e.0)
        .collect()
}

#[test]
fn hosts_start_off_and_draw_nothing_before_the_first_wave() {
    let r = run();
    let t = &r.intervals;
    let first = &t.rows[0];
    assert_eq!(t.f(first, "vms_running"), 0.0);
    assert_eq!(t.f(first, "active_hosts"), 0.0, "hosts start off");
    assert_eq!(t.f(first, "power_w"), 0.0, "hosts start off");
    assert_eq!(t.f(first, "energy_kwh"), 0.0);
    // Nothing happens at all before the first arrival.
    for row in t
        .rows
        .iter()
        .filter(|row| t.f(row, "time_s") <= FIRST_ARRIVAL_S)
    {
        assert_eq!(t.f(row, "active_hosts"), 0.0);
        assert_eq!(t.f(row, "energy_kwh"), 0.0);
    }
    assert!(
        events(&r).iter().all(|e| e.0 >= FIRST_ARRIVAL_S),
        "events before the first arrival"
    );
}

#[test]
fn every_generated_request_arrives_and_is_deployed() {
    let r = run();
    assert_eq!(num(&r.summary, "vms_total"), VMS_TOTAL);
    assert_eq!(
        num(&r.summary, "vms_rejected"),
        0.0,
        "32 hosts hold 64 workers; at most 60 run at once"
    );
    assert_eq!(num(&r.summary, "hosts_total"), HOSTS);
    assert_eq!(
        num(&r.summary, "vm_migrations"),
        0.0,
        "no reallocation policy"
    );
    assert!(r.summary["mean_migration_time_s"].is_null());
    assert_eq!(times_of(&r, "arrival").len() as f64, VMS_TOTAL);
    assert_eq!(times_of(&r, "deployed").len() as f64, VMS_TOTAL);
    assert_eq!(
        times_of(&r, "stopped").len() as f64,
        VMS_TOTAL,
        "every VM's lifetime ends within the run"
    );
    assert!(times_of(&r, "action-refused").is_empty());
    // Each VM: arrival ≤ deploy, and running no sooner than VM boot after that.
    let mut arrived = BTreeMap::new();
    let mut deploy = BTreeMap::new();
    for (t, kind, vm, _) in events(&r) {
        match kind.as_str() {
            "arrival" => {
                arrived.insert(vm, t);
            }
            "deploy" => {
                assert!(t >= arrived[&vm], "VM {vm} deployed before it arrived");
                deploy.insert(vm, t);
            }
            "deployed" => assert!(
                t >= deploy[&vm] + VM_BOOT_S,
                "VM {vm} running before its boot ended"
            ),
            _ => {}
        }
    }
}

#[test]
fn hosts_boot_before_the_first_vm_runs() {
    let r = run();
    let first_deployed = times_of(&r, "deployed")
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    let boots = times_of(&r, "host-boot");
    assert!(
        boots.iter().any(|&t| t < first_deployed),
        "no host-boot before the first deployed"
    );
    assert!(
        boots.iter().all(|&t| t >= FIRST_ARRIVAL_S),
        "a host booted before any request"
    );
    assert!(
        first_deployed >= FIRST_ARRIVAL_S + BOOT_S + VM_BOOT_S,
        "first VM running at {first_deployed} s, before host boot + VM boot allow ({} s)",
        FIRST_ARRIVAL_S + BOOT_S + VM_BOOT_S
    );
    let first_on = times_of(&r, "host-on")
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    assert_eq!(first_on, FIRST_ARRIVAL_S + BOOT_S);
}

#[test]
fn no_host_ever_holds_more_than_two_workers() {
    // CPU reservations: 2 × 20 000 MIPS fill a 40 000 MIPS blade.
    let r = run();
    let mut on: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, kind, vm, host) in events(&r) {
        match kind.as_str() {
            "deploy" => {
                let set = on.entry(host.clone()).or_default();
                set.insert(vm);
                assert!(
                    set.len() <= 2,
                    "host {host} holds {} VMs at {t} s",
                    set.len()
                );
            }
            "stopped" => {
                assert!(
                    on.get_mut(&host).is_some_and(|s| s.remove(&vm)),
                    "VM {vm} stopped on host {host} it was not on"
                );
            }
            _ => {}
        }
    }
    assert!(
        on.values().all(BTreeSet::is_empty),
        "VMs still placed at the end"
    );
    // Hence at every update at least ceil(running / 2) hosts are on.
    let t = &r.intervals;
    for row in &t.rows {
        let need = (t.f(row, "vms_running") / 2.0).ceil();
        assert!(
            t.f(row, "active_hosts") >= need,
            "too few active hosts at {} s",
            t.f(row, "time_s")
        );
    }
}

#[test]
fn first_wave_power_and_energy_match_the_hand_computation() {
    // 40 workers packed two to a blade: 20 blades at 80 % → 95 + 165 × 0.8 = 227 W each.
    let r = run();
    let t = &r.intervals;
    let row = t
        .rows
        .iter()
        .find(|row| t.f(row, "time_s") == 900.0)
        .expect("a row at 900 s");
    let per_host = IDLE_W + (MAX_W - IDLE_W) * 0.8;
    assert_eq!(t.f(row, "active_hosts"), 20.0);
    assert_eq!(t.f(row, "vms_running"), 40.0);
    assert!(
        (t.f(row, "power_w") - 20.0 * per_host).abs() < 1e-6,
        "power {}",
        t.f(row, "power_w")
    );
    assert!((t.f(row, "cpu_util_mean") - 0.8).abs() < 1e-9);
    // Energy by 900 s, per blade: boot 36 000 J (600 → 780 s), idle 780 → 810 s (VMs booting),
    // then 227 W for 810 → 900 s.
    let joules = 20.0 * (BOOT_J + IDLE_W * VM_BOOT_S + per_host * 90.0);
    let kwh = t.f(row, "energy_kwh");
    assert!(
        (kwh - joules / 3.6e6).abs() < 1e-9,
        "energy at 900 s: {kwh} kWh, expected {}",
        joules / 3.6e6
    );
    // Next interval: 300 s more at 20 × 227 W.
    let next = t
        .rows
        .iter()
        .find(|row| t.f(row, "time_s") == 1200.0)
        .expect("a row at 1200 s");
    let expected = (joules + 20.0 * per_host * 300.0) / 3.6e6;
    assert!((t.f(next, "energy_kwh") - expected).abs() < 1e-9);
}

#[test]
fn summary_energy_is_the_last_interval_plus_at_most_the_tail() {
    let r = run();
    let t = &r.intervals;
    let last = t.rows.last().unwrap();
    let (last_t, last_e) = (t.f(last, "time_s"), t.f(last, "energy_kwh"));
    let total = num(&r.summary, "energy_kwh");
    assert!(
        total >= last_e,
        "summary energy {total} < last interval's {last_e}"
    );
    // The tail after the last row can add at most every host at full power.
    let tail_max = HOSTS * MAX_W * (DURATION_S - last_t) / 3.6e6;
    assert!(
        total <= last_e + tail_max + 1e-9,
        "summary energy {total} exceeds {last_e} + {tail_max}"
    );
    // Here every host is off long before the end, so the tail adds nothing.
    assert_eq!(t.f(last, "active_hosts"), 0.0);
    assert!((total - last_e).abs() < 1e-9);
}

#[test]
fn mean_active_hosts_is_powered_time_over_duration() {
    // A host draws power from its boot until it is off (booting 200 W, shutting down 100 W).
    let r = run();
    let mut booted_at = BTreeMap::new();
    let mut powered = 0.0;
    for (t, kind, _, host) in events(&r) {
        match kind.as_str() {
            "host-boot" => assert!(booted_at.insert(host, t).is_none(), "a host booted twice"),
            "host-off" => {
                powered += t - booted_at.remove(&host).expect("host-off without host-boot")
            }
            _ => {}
        }
    }
    for (_, t) in booted_at {
        powered += DURATION_S - t;
    }
    let mean = num(&r.summary, "mean_active_hosts");
    assert!(
        (mean - powered / DURATION_S).abs() < 1e-6,
        "mean_active_hosts {mean}, expected {}",
        powered / DURATION_S
    );
}

#[test]
fn every_boot_is_matched_by_a_shutdown() {
    let r = run();
    let (boots, ons, offs) = (
        times_of(&r, "host-boot"),
        times_of(&r, "host-on"),
        times_of(&r, "host-off"),
    );
    assert!(!boots.is_empty());
    assert_eq!(boots.len(), ons.len());
    assert_eq!(boots.len(), offs.len(), "all hosts are off at the end");
    // Three waves, and at least the first wave's 20 blades boot.
    assert!(boots.len() >= 20);
}

#[test]
fn host_shutdowns_count_only_real_shutdowns() {
    let r = run();
    let mut booted = BTreeMap::new();
    let mut on = BTreeMap::new();
    let (mut since_boot, mut since_on) = (Vec::new(), Vec::new());
    for (t, kind, _, host) in events(&r) {
        match kind.as_str() {
            "host-boot" => {
                booted.insert(host, t);
            }
            "host-on" => {
                on.insert(host, t);
            }
            "host-off" => {
                since_boot.push(t - booted[&host]);
                since_on.push(t - on[&host]);
            }
            _ => {}
        }
    }
    assert_eq!(
        num(&r.summary, "host_shutdowns"),
        since_boot.len() as f64,
        "shutdowns ≠ host-off events"
    );
    // Time before shutdown is measured from the boot or from the end of the boot.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let m = num(&r.summary, "mean_time_before_host_shutdown_s");
    assert!(
        m >= mean(&since_on) - 1e-6 && m <= mean(&since_boot) + 1e-6,
        "mean time before shutdown {m} outside [{}, {}]",
        mean(&since_on),
        mean(&since_boot)
    );
}
