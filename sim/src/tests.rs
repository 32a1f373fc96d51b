//! End-to-end tests of the simulator on tiny scenarios whose results follow in closed form.
//!
//! Each scenario is small enough that its energy, SLA figures and event times can be worked
//! out by hand; the arithmetic is in the comments. Nothing was obtained by running the
//! simulator.

use std::path::Path;

use orrery_engine::action::Action;
use orrery_engine::control::CloudOs;
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_engine::metrics::{EventRow, RunResult};
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_engine::time::to_secs;
use orrery_policies::registry;

use super::Simulator;

mod carbon;
mod ha;
mod oneflow;
mod props;
mod quota;
mod services;
mod trace;

/// Parses `text`, runs it with its policies (seed overridden by `seed` when given) and returns
/// the result.
fn run(text: &str, seed: Option<u64>) -> RunResult {
    let scenario = Scenario::parse(text, Path::new("t.toml"), Path::new("."), &[])
        .unwrap_or_else(|e| panic!("invalid test scenario: {e}"));
    let mut sim = Simulator::new(&scenario, seed).expect("the scenario builds");
    let placement = registry::placement(&scenario).expect("placement policy");
    let reallocation = registry::reallocation(&scenario).expect("reallocation policy");
    let seed = seed.unwrap_or(scenario.spec.seed);
    let mut os = CloudOs::new(placement, reallocation, &RngStreams::new(seed));
    os.run(&mut sim).expect("the run completes");
    sim.finish()
}

/// Joules to kWh.
fn kwh(joules: f64) -> f64 {
    joules / 3.6e6
}

fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, expected {expected} (±{tol})"
    );
}

/// Events of one kind, in order.
fn events<'a>(r: &'a RunResult, kind: &str) -> Vec<&'a EventRow> {
    r.events.iter().filter(|e| e.kind == kind).collect()
}

/// One host of `cores` × 1000 MIPS with the given power table and extra host keys, one VM type
/// `v` of 1 vCPU × 1000 MIPS and 1000 MB, a 3600 s run with 300 s updates, first-fit placement;
/// `generators` and `extra` are appended (generators as `[[workload.generators]]` tables).
fn scenario(cores: u32, power: &str, host_extra: &str, workload: &str, extra: &str) -> String {
    format!(
        r#"
name = "t"
seed = 1
duration_s = 3600
{extra}

[[hosts]]
type = "h"
count = 1
cores = {cores}
core_mips = 1000
memory_mb = 100000
power = {power}
{host_extra}

[[vm_types]]
name = "v"
vcpus = 1
mips = 1000
memory_mb = 1000

[workload]
vm_boot_s = 0
{workload}

[policies]
placement = "first-fit"
"#
    )
}

const LINEAR: &str = r#"{ model = "linear", idle_w = 100.0, max_w = 200.0 }"#;

/// One generator of `count` VMs of type `v`, all arriving at 0, constant `level`, with an
/// optional lifetime table.
fn batch(count: u32, level: f64, lifetime: &str) -> String {
    let lifetime = if lifetime.is_empty() {
        String::new()
    } else {
        format!("lifetime = {lifetime}\n")
    };
    format!(
        r#"
[[workload.generators]]
vm_type = "v"
count = {count}
arrival = {{ process = "batch", at_s = 0 }}
{lifetime}utilisation = {{ pattern = "constant", level = {level} }}
"#
    )
}

#[test]
fn a_demand_held_mid_run_changes_the_power_from_then_on() {
    // One host of 2 × 1000 MIPS (100 → 200 W) and one 1-vCPU VM at 0.5: 500 of 2000 MIPS, 125 W.
    // At 1800 s its demand is held at 1: 1000 of 2000 MIPS, 150 W. Energy
    // 125 × 1800 + 150 × 1800 = 495 000 J.
    let text = scenario(2, LINEAR, "", &batch(1, 0.5, ""), "");
    let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let mut sim = Simulator::new(&scenario, None).unwrap();
    let mut os = CloudOs::new(
        registry::placement(&scenario).unwrap(),
        registry::reallocation(&scenario).unwrap(),
        &RngStreams::new(1),
    );
    sim.pause_at(Some(1_800_000));
    os.run(&mut sim).unwrap();
    assert_eq!(sim.view().now, 1_800_000);
    assert!(sim.set_demand(1, 1.0).is_err(), "there is no VM 1");
    assert!(sim.set_demand(0, 1.5).is_err(), "a demand is a fraction");
    sim.set_demand(0, 1.0).unwrap();
    assert_eq!(sim.view().vms[0].demand, 1.0);
    assert_eq!(sim.view().hosts[0].requested_mips, 1000.0);
    sim.pause_at(None);
    os.run(&mut sim).unwrap();
    let r = sim.finish();
    assert_close(r.summary.energy_kwh, kwh(495_000.0), 1e-9, "energy");
}

// ---------------------------------------------------------------------------------------------
// a. Energy of a constant load

#[test]
fn constant_load_energy_is_power_times_duration_linear() {
    // 1 host (1 × 1000 MIPS, 100 → 200 W), 1 VM of 1000 MIPS at 0.5 from t = 0 (boot 0 s):
    // u = 500 / 1000 = 0.5, P = 100 + 100 · 0.5 = 150 W from 0 to 3600 s.
    // E = 150 W · 3600 s = 540 000 J = 0.15 kWh.
    // Exact: the Hold rule adds 150 · 300 = 45 000 J per update interval (and 0 J for the
    // zero-length steps at t = 0), integers that f64 sums exactly, so joules = 540 000 exactly,
    // and 540 000 / 3 600 000 is correctly rounded to the same double as the literal 0.15.
    let r = run(&scenario(1, LINEAR, "", &batch(1, 0.5, ""), ""), None);
    assert_eq!(r.summary.energy_kwh, 0.15);
    assert_eq!(r.summary.vms_total, 1);
    assert_eq!(r.summary.vms_rejected, 0);
    // The host drew power the whole run.
    assert_eq!(r.summary.mean_active_hosts, 1.0);
    // Updates at 300, 600, …, 3600 s, each seeing 150 W: events at the end time still happen,
    // so the last interval is recorded (12 rows).
    let times: Vec<f64> = r.intervals.iter().map(|i| i.time_s).collect();
    let expected: Vec<f64> = (1..=12).map(|k| 300.0 * k as f64).collect();
    assert_eq!(times, expected);
    assert!(r.intervals.iter().all(|i| i.power_w == 150.0));
    // After the first interval: 45 000 J.
    assert_close(
        r.intervals[0].energy_kwh,
        kwh(45_000.0),
        1e-15,
        "energy at 300 s",
    );
}

#[test]
fn constant_load_energy_is_power_times_duration_specpower() {
    // Non-linear table, W at 0 %, 10 %, …, 100 %. At u = 0.25 (a 1000-MIPS VM at 0.25 on a
    // 1000-MIPS host) interpolate between 20 % (130 W) and 30 % (135 W):
    // P = 130 + (135 − 130)/10 · (0.25 − 0.20) · 100 = 130 + 2.5 = 132.5 W.
    // E = 132.5 · 3600 = 477 000 J = 0.1325 kWh.
    let power = r#"{ model = "specpower", watts = [100, 120, 130, 135, 140, 150, 160, 170, 180, 190, 200] }"#;
    let r = run(&scenario(1, power, "", &batch(1, 0.25, ""), ""), None);
    assert_close(r.summary.energy_kwh, kwh(477_000.0), 1e-12, "energy");
}

// ---------------------------------------------------------------------------------------------
// b. A piecewise profile

#[test]
fn energy_follows_a_vm_ending_between_updates() {
    // Host of 2 × 1000 MIPS (100 → 200 W). VM 0 at 0.5 lives 0–1000 s; VM 1 at 0.3 lives for
    // the whole run. Both boot at once at t = 0.
    // 0–1000 s: busy 500 + 300 = 800 MIPS, u = 0.4, P = 140 W → 140 000 J.
    // VM 0 expires at 1000 s (between the 900 s and 1200 s updates) and the host is re-shared
    // at once: 1000–3600 s: busy 300, u = 0.15, P = 115 W → 115 · 2600 = 299 000 J.
    // E = 439 000 J. (Waiting for the 1200 s update would give 140 · 1200 + 115 · 2400
    // = 444 000 J.)
    let workload = batch(1, 0.5, r#"{ dist = "fixed", s = 1000 }"#) + &batch(1, 0.3, "");
    let r = run(&scenario(2, LINEAR, "", &workload, ""), None);
    assert_close(r.summary.energy_kwh, kwh(439_000.0), 1e-12, "energy");
    let stopped = events(&r, "stopped");
    assert_eq!(stopped.len(), 1);
    assert_eq!(
        (stopped[0].time_s, stopped[0].vm, stopped[0].host),
        (1000.0, Some(0), Some(0))
    );
    // Power at the 900 s update: 140 W; at 1200 s: 115 W. Energy at 1200 s:
    // 140 · 1000 + 115 · 200 = 163 000 J.
    let at = |t: f64| {
        r.intervals
            .iter()
            .find(|i| i.time_s == t)
            .expect("an update")
    };
    assert_eq!(at(900.0).power_w, 140.0);
    assert_eq!(at(1200.0).power_w, 115.0);
    assert_eq!(at(1200.0).vms_running, 1);
    assert_close(
        at(1200.0).energy_kwh,
        kwh(163_000.0),
        1e-12,
        "energy at 1200 s",
    );
}

// ---------------------------------------------------------------------------------------------
// c. Proportional sharing under oversubscription

#[test]
fn oversubscribed_host_shares_proportionally() {
    // 1 host of 2 × 1000 = 2000 MIPS with CPU overcommit 2 (room for 4000 reserved MIPS);
    // 3 VMs of 1 × 1000 MIPS at 1.0 request 3000 MIPS. Each capped request is 1000 (one core),
    // scaled by 2000 / 3000: each VM gets 2000/3 MIPS.
    // Shortfall = (3000 − 2000) / 3000 = 1/3 over the whole run.
    // The host is saturated (allocated 2000 < requested 3000) whenever it is active: SLATAH = 1.
    // Power: u = 2000/2000 = 1, P = 200 W → 200 · 3600 = 720 000 J = 0.2 kWh.
    let r = run(
        &scenario(
            2,
            LINEAR,
            "",
            &batch(3, 1.0, ""),
            "[datacenter]\ncpu_overcommit = 2.0",
        ),
        None,
    );
    assert_eq!(r.summary.vms_rejected, 0, "overcommit makes room for all 3");
    assert_close(r.summary.cpu_shortfall_ratio, 1.0 / 3.0, 1e-9, "shortfall");
    assert_close(r.summary.slatah, 1.0, 1e-12, "SLATAH");
    assert_close(r.summary.energy_kwh, 0.2, 1e-9, "energy");
    assert_eq!(r.summary.pdm, 0.0, "no migrations");
    // The same third is missing at every update once the three VMs run.
    let full: Vec<_> = r.intervals.iter().filter(|i| i.vms_running == 3).collect();
    assert!(!full.is_empty());
    for i in full {
        assert_close(i.cpu_shortfall_ratio, 1.0 / 3.0, 1e-9, "interval shortfall");
    }
}

#[test]
fn a_load_that_fits_has_no_shortfall() {
    // 1 host of 2 × 1000 MIPS; one 2-vCPU VM of 2 × 1000 MIPS at 0.25 asks 500 MIPS, 250 per
    // vCPU, well under a core: it gets all 500, u = 0.25, P = 125 W, no shortfall.
    // E = 125 · 3600 = 450 000 J = 0.125 kWh.
    let text = scenario(2, LINEAR, "", &batch(1, 0.25, ""), "")
        .replace("vcpus = 1\nmips = 1000", "vcpus = 2\nmips = 1000");
    let r = run(&text, None);
    assert_eq!(r.summary.cpu_shortfall_ratio, 0.0);
    assert!(r.intervals.iter().all(|i| i.cpu_shortfall_ratio == 0.0));
    assert_eq!(r.summary.slatah, 0.0);
    assert_close(r.summary.energy_kwh, 0.125, 1e-12, "energy");
}

// ---------------------------------------------------------------------------------------------
// d. VM and host boot delays

#[test]
fn host_boot_and_vm_boot_delays() {
    // The only host starts off (boot 100 s, 5000 J). A VM at 0.5 arrives at t = 0 and takes
    // 20 s to boot once placed.
    // 0 s: placement wakes the host; it boots, drawing 5000 J / 100 s = 50 W → 5000 J.
    // 100 s: the host is on, idle while the VM boots: 100 W for 20 s → 2000 J.
    // 120 s: the VM runs: u = 0.5, P = 150 W until 3600 s → 150 · 3480 = 522 000 J.
    // E = 5000 + 2000 + 522 000 = 529 000 J.
    let r = run(
        &scenario(
            1,
            LINEAR,
            "boot_s = 100\nboot_energy_j = 5000\ninitially_on = false",
            &batch(1, 0.5, ""),
            "",
        )
        .replace("vm_boot_s = 0", "vm_boot_s = 20"),
        None,
    );
    let one = |kind: &str| -> (f64, Option<usize>, Option<usize>) {
        let e = events(&r, kind);
        assert_eq!(e.len(), 1, "one {kind} event: {:?}", r.events);
        (e[0].time_s, e[0].vm, e[0].host)
    };
    assert_eq!(one("host-boot"), (0.0, None, Some(0)));
    assert_eq!(one("host-on"), (100.0, None, Some(0)));
    assert_eq!(one("deployed"), (120.0, Some(0), Some(0)));
    assert_close(r.summary.energy_kwh, kwh(529_000.0), 1e-12, "energy");
    // At the 300 s update the host shows 150 W and 5000 + 2000 + 150 · 180 = 34 000 J.
    assert_eq!(r.intervals[0].time_s, 300.0);
    assert_eq!(r.intervals[0].power_w, 150.0);
    assert_close(
        r.intervals[0].energy_kwh,
        kwh(34_000.0),
        1e-12,
        "energy at 300 s",
    );
}

#[test]
fn vm_boot_delay_on_a_running_host() {
    // The host is on; the VM (0.5) is placed at 0 and runs from 20 s. Idle 100 W for 20 s,
    // then 150 W for 3580 s: E = 2000 + 537 000 = 539 000 J.
    let r = run(
        &scenario(1, LINEAR, "", &batch(1, 0.5, ""), "").replace("vm_boot_s = 0", "vm_boot_s = 20"),
        None,
    );
    let deploy = events(&r, "deploy");
    let deployed = events(&r, "deployed");
    assert_eq!((deploy.len(), deployed.len()), (1, 1));
    assert_eq!(deploy[0].time_s, 0.0);
    assert_eq!(deployed[0].time_s, 20.0);
    assert_close(r.summary.energy_kwh, kwh(539_000.0), 1e-12, "energy");
}

#[test]
fn instant_boot_adds_its_energy_at_once() {
    // Boot delay 0 with 5000 J: the energy is added at t = 0, then the VM runs at once at
    // 150 W: E = 5000 + 150 · 3600 = 545 000 J.
    let r = run(
        &scenario(
            1,
            LINEAR,
            "boot_energy_j = 5000\ninitially_on = false",
            &batch(1, 0.5, ""),
            "",
        ),
        None,
    );
    assert_eq!(events(&r, "deployed")[0].time_s, 0.0);
    assert_close(r.summary.energy_kwh, kwh(545_000.0), 1e-12, "energy");
}

#[test]
fn idle_host_shuts_down_with_delay_and_energy() {
    // One host on (100 → 200 W) with power_off_idle, shutdown 50 s and 2000 J. A VM at 0.5
    // lives 0–1000 s.
    // 0–1000 s: 150 W → 150 000 J. At 1000 s the host is empty and shuts down, drawing
    // 2000 J / 50 s = 40 W → 2000 J; off from 1050 s: 0 W. E = 152 000 J.
    // One shutdown, 1050 s after the host came on at 0; it drew power for 1050 of 3600 s:
    // mean active hosts = 1050 / 3600 = 7/24.
    let r = run(
        &scenario(
            1,
            LINEAR,
            "shutdown_s = 50\nshutdown_energy_j = 2000",
            &batch(1, 0.5, r#"{ dist = "fixed", s = 1000 }"#),
            "",
        )
        .replace(
            "placement = \"first-fit\"",
            "placement = \"first-fit\"\npower_off_idle = true",
        ),
        None,
    );
    let times = |kind: &str| -> Vec<f64> { events(&r, kind).iter().map(|e| e.time_s).collect() };
    assert_eq!(times("host-off-requested"), vec![1000.0]);
    assert_eq!(times("host-off"), vec![1050.0]);
    assert_close(r.summary.energy_kwh, kwh(152_000.0), 1e-12, "energy");
    assert_eq!(r.summary.host_shutdowns, 1);
    assert_eq!(r.summary.mean_time_before_host_shutdown_s, Some(1050.0));
    assert_close(
        r.summary.mean_active_hosts,
        7.0 / 24.0,
        1e-12,
        "mean active hosts",
    );
}

#[test]
fn non_power_aware_hosts_draw_full_power() {
    // energy = "non-power-aware": the host draws its full-load 200 W whatever its load (a VM
    // at 0.25 would give 125 W otherwise): E = 200 · 3600 = 720 000 J = 0.2 kWh.
    let r = run(
        &scenario(
            1,
            LINEAR,
            "",
            &batch(1, 0.25, ""),
            "[datacenter]\nenergy = \"non-power-aware\"",
        ),
        None,
    );
    assert_close(r.summary.energy_kwh, 0.2, 1e-15, "energy");
}

// ---------------------------------------------------------------------------------------------
// e. Migration time

#[test]
fn one_migration_takes_memory_over_bandwidth() {
    // 2 hosts of 2 × 1000 MIPS; 2 VMs of 1000 MIPS and 1000 MB at 0.6. First-fit puts both on
    // host 0 (2000 reserved ≤ 2000). At the first reallocation (t = 300 s) host 0 requests
    // (600 + 600) / 2000 = 0.6 > 0.5 (THR 0.5): MMT picks the first of the two equal-memory
    // VMs, VM 0, after which host 0 requests 0.3 ≤ 0.5; PABFD sends it to host 1, the only
    // other host. Host 1 was idle, so the underload phase skips it; host 0 is the overloaded
    // source: nothing more happens.
    // Duration: 1000 MB / (1000 Mbit/s · 0.5 / 8 = 62.5 MB/s) = 16 s → done at 316 s.
    // Later rounds: both hosts at 0.3; draining either would put 0.6 > 0.5 on the other, so
    // no further migration.
    let text = format!(
        "{}\n[policies.consolidation]\ndetector = \"thr\"\nparameter = 0.5\nselection = \"mmt\"\n",
        scenario(2, LINEAR, "", &batch(2, 0.6, ""), "")
            .replace("count = 1\ncores", "count = 2\ncores")
            .replace(
                "placement = \"first-fit\"",
                "placement = \"first-fit\"\nreallocation = \"consolidation\"",
            )
    );
    let r = run(&text, None);
    let start = events(&r, "migration-start");
    let done = events(&r, "migration-done");
    assert_eq!(start.len(), 1, "{:?}", r.events);
    assert_eq!(done.len(), 1, "{:?}", r.events);
    assert_eq!(
        (start[0].time_s, start[0].vm, start[0].host),
        (300.0, Some(0), Some(1))
    );
    assert_eq!(
        (done[0].time_s, done[0].vm, done[0].host),
        (316.0, Some(0), Some(1))
    );
    assert_eq!(r.summary.vm_migrations, 1);
    assert_eq!(r.summary.mean_migration_time_s, Some(16.0));
    assert!(events(&r, "action-refused").is_empty(), "{:?}", r.events);
    // PDM: while it migrates (300–316 s) VM 0 loses 10 % of its 600 MIPS on the source (the
    // host is not oversubscribed: 600 + 600 ≤ 2000), a shortfall of 60 MIPS · 16 s = 960.
    // Requested in all: 2 VMs · 600 MIPS · 3600 s = 4 320 000. PDM = 960 / 4 320 000 = 1/4500.
    assert_close(r.summary.pdm, 1.0 / 4500.0, 1e-15, "PDM");
    // No host is ever short of CPU: the source executes 540 / 0.9 + 600 = 1200 of 1200
    // requested, the destination carries 10 % of 600 = 60 of 60. SLATAH = 0, so SLAV = 0.
    assert_eq!(r.summary.slatah, 0.0);
    assert_eq!(r.summary.slav, 0.0);
}

// ---------------------------------------------------------------------------------------------
// f. Determinism

const POISSON: &str = r#"
name = "poisson"
seed = 3
duration_s = 7200

[[hosts]]
type = "h"
count = 4
cores = 4
core_mips = 1000
memory_mb = 16000
power = { model = "linear", idle_w = 100.0, max_w = 200.0 }
boot_s = 30
boot_energy_j = 3000

[[vm_types]]
name = "v"
vcpus = 2
mips = 1000
memory_mb = 2000

[[workload.generators]]
vm_type = "v"
count = 30
arrival = { process = "poisson", rate_per_hour = 20 }
lifetime = { dist = "exponential", mean_s = 1800 }
utilisation = { pattern = "random-walk", start = 0.5, step = 0.1 }

[policies]
placement = "packing"
reallocation = "consolidation"
power_off_idle = true
"#;

#[test]
fn the_same_seed_gives_the_same_run() {
    let a = run(POISSON, None);
    let b = run(POISSON, None);
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.intervals, b.intervals);
    assert_eq!(a.events, b.events);
    assert!(a.summary.vms_total > 0 && a.summary.energy_kwh > 0.0);
}

#[test]
fn another_seed_gives_another_run() {
    let arrivals =
        |r: &RunResult| -> Vec<f64> { events(r, "arrival").iter().map(|e| e.time_s).collect() };
    let a = run(POISSON, Some(1));
    let b = run(POISSON, Some(2));
    assert_eq!(a.summary.seed, 1);
    assert_eq!(b.summary.seed, 2);
    assert_ne!(
        arrivals(&a),
        arrivals(&b),
        "Poisson arrivals depend on the seed"
    );
    assert_ne!(a.summary.energy_kwh, b.summary.energy_kwh);
    // Overriding the seed is the same as writing it in the file.
    let c = run(&POISSON.replace("seed = 3", "seed = 1"), None);
    assert_eq!(a.summary, c.summary);
    assert_eq!(a.events, c.events);
}

// ---------------------------------------------------------------------------------------------
// g. CloudSim compatibility basics

#[test]
fn cloudsim_mode_updates_on_its_grid_and_removes_idle_vms() {
    // 2 hosts of 2 × 1000 MIPS, 1200 s, compat cloudsim-3.0.3. Updates at 300.1 s + k · 300 s:
    // 300.1, 600.1, 900.1 (1200.1 is past the end). Two VMs arrive at 0: VM 0 at a constant 0
    // and VM 1 at 0.5; first-fit puts both on host 0.
    // At 300.1 s VM 0's demand is 0: it is removed; VM 1 keeps running.
    // Energy (trapezoid, nothing from a zero-utilisation start, nothing after the last update):
    // host 0 is at u = 0 until the 300.1 s update (VMs are first sampled then): 0 J;
    // 300.1–600.1 and 600.1–900.1 at u = 500/2000 = 0.25, P = 125 W: 2 · 125 · 300 = 75 000 J;
    // host 1 stays at u = 0: 0 J. E = 75 000 J.
    let workload = batch(1, 0.0, "") + &batch(1, 0.5, "");
    let text = scenario(2, LINEAR, "", &workload, "compat = \"cloudsim-3.0.3\"")
        .replace("count = 1\ncores", "count = 2\ncores")
        .replace("duration_s = 3600", "duration_s = 1200");
    let r = run(&text, None);
    assert_eq!(r.summary.compat, "cloudsim-3.0.3");
    let times: Vec<f64> = r.intervals.iter().map(|i| i.time_s).collect();
    assert_eq!(times, vec![300.1, 600.1, 900.1]);
    let removed = events(&r, "removed");
    assert_eq!(removed.len(), 1, "{:?}", r.events);
    assert_eq!(
        (removed[0].time_s, removed[0].vm, removed[0].host),
        (300.1, Some(0), Some(0))
    );
    assert!(r.intervals.iter().all(|i| i.vms_running == 1));
    assert_close(r.summary.energy_kwh, kwh(75_000.0), 1e-12, "energy");
}

#[test]
fn orrery_mode_keeps_idle_vms() {
    // The same VM at demand 0 under compat "none" stays: no `removed` event, and the VM runs
    // at every update.
    let r = run(&scenario(1, LINEAR, "", &batch(1, 0.0, ""), ""), None);
    assert!(events(&r, "removed").is_empty());
    assert!(r.intervals.iter().all(|i| i.vms_running == 1));
    // The host idles at 100 W: E = 100 · 3600 = 360 000 J = 0.1 kWh.
    assert_close(r.summary.energy_kwh, 0.1, 1e-15, "energy");
}

// ---------------------------------------------------------------------------------------------
// h. Pre-copy live migration

/// Runs `text` under a scripted controller instead of its policies: VM i is deployed on host
/// `hosts[i]` when it arrives, and at each reallocation instant the actions of `script` due
/// then (time in seconds) are applied; every action must be accepted.
fn run_scripted(text: &str, hosts: &[usize], script: &[(f64, Action)]) -> RunResult {
    let scenario = Scenario::parse(text, Path::new("t.toml"), Path::new("."), &[])
        .unwrap_or_else(|e| panic!("invalid test scenario: {e}"));
    let mut sim = Simulator::new(&scenario, None).expect("the scenario builds");
    while let Some(decision) = sim.next_decision().expect("no infrastructure failure") {
        let plan: Vec<Action> = match decision {
            Decision::Place(vms) => vms
                .into_iter()
                .map(|vm| Action::Deploy {
                    vm,
                    host: hosts[vm],
                })
                .collect(),
            Decision::Reallocate => {
                let now = to_secs(sim.view().now);
                script
                    .iter()
                    .filter(|(t, _)| *t == now)
                    .map(|(_, a)| a.clone())
                    .collect()
            }
            Decision::Admit(_) | Decision::Scale => panic!("these scenarios have no services"),
        };
        for result in sim.apply(plan) {
            result.expect("the action is accepted");
        }
    }
    sim.finish()
}

/// Three hosts of 2 × 1000 MIPS whose migration links carry 2048 Mbit/s × 0.5 / 8 = 128 MB/s
/// each way; VM type `a` (1 × 1000 MIPS, 1024 MB, dirtying 32 MB/s) and `b` (1 × 1000 MIPS,
/// 256 MB, no dirtying); reallocation instants every 100 s (for scripted migrations), a 300 s
/// run. `migration` is the body of `[migration]`, `workload` the generators.
fn migration_scenario(migration: &str, workload: &str) -> String {
    format!(
        r#"
name = "t"
seed = 1
duration_s = 300

[migration]
bandwidth_fraction = 0.5
{migration}

[[hosts]]
type = "h"
count = 3
cores = 2
core_mips = 1000
memory_mb = 100000
nic_mbps = 2048
power = {LINEAR}

[[vm_types]]
name = "a"
mips = 1000
memory_mb = 1024
dirty_rate_mbs = 32

[[vm_types]]
name = "b"
mips = 1000
memory_mb = 256

[workload]
vm_boot_s = 0
{workload}

[policies]
placement = "first-fit"
reallocation = "consolidation"
reallocation_interval_s = 100
"#
    )
}

const PRECOPY: &str = "model = \"pre-copy\"\nstop_threshold_mb = 16";

/// One VM of type `vm_type` arriving at 0 at a constant 0.5, living `life_s` seconds if given.
fn one_vm(vm_type: &str, life_s: Option<u32>) -> String {
    let lifetime = life_s
        .map(|s| format!("lifetime = {{ dist = \"fixed\", s = {s} }}\n"))
        .unwrap_or_default();
    format!(
        r#"
[[workload.generators]]
vm_type = "{vm_type}"
count = 1
arrival = {{ process = "batch", at_s = 0 }}
{lifetime}utilisation = {{ pattern = "constant", level = 0.5 }}
"#
    )
}

#[test]
fn precopy_migration_on_an_idle_link_follows_the_round_sequence() {
    // VM 0 (type a) on host 0 migrates to host 1 at t = 100 s, alone on 128 MB/s links:
    //   round 0: 1024 MB / 128 = 8 s    → dirties 32 × 8   = 256 MB
    //   round 1:  256 MB / 128 = 2 s    → dirties 32 × 2   =  64 MB
    //   round 2:   64 MB / 128 = 0.5 s  → dirties 32 × 0.5 =  16 MB ≤ 16: stop-and-copy
    //   stop-and-copy: 16 / 128 = 0.125 s of downtime.
    // Every boundary is a whole millisecond: done at 110.625 s after 10.625 s; data
    // 1024 + 256 + 64 + 16 = 1360 MB = 1.328 125 GB.
    let text = migration_scenario(PRECOPY, &one_vm("a", None));
    let r = run_scripted(&text, &[0], &[(100.0, Action::Migrate { vm: 0, to: 1 })]);
    let done = events(&r, "migration-done");
    assert_eq!(done.len(), 1, "{:?}", r.events);
    assert_eq!(
        (done[0].time_s, done[0].vm, done[0].host),
        (110.625, Some(0), Some(1))
    );
    assert_eq!(
        done[0].detail,
        "from 0; 10.625 s, downtime 0.125 s, 1360 MB, 3 rounds"
    );
    assert_eq!(r.summary.vm_migrations, 1);
    assert_eq!(r.summary.mean_migration_time_s, Some(10.625));
    assert_eq!(r.summary.mean_migration_downtime_s, Some(0.125));
    assert_eq!(r.summary.migration_data_gb, 1360.0 / 1024.0);
    // PDM: the VM requests 500 MIPS throughout. Pre-copy (100–110.5 s) loses 10 % on the
    // source: 50 MIPS · 10.5 s = 525; stop-and-copy (110.5–110.625 s) delivers nothing:
    // 500 · 0.125 = 62.5. Requested: 500 · 300 = 150 000. PDM = 587.5 / 150 000.
    assert_eq!(r.summary.pdm, 587.5 / 150_000.0);
    assert_eq!(r.summary.cpu_shortfall_ratio, 587.5 / 150_000.0);
}

#[test]
fn precopy_migrations_leaving_one_host_share_its_link() {
    // At t = 100 s VM 0 (type a, 1024 MB) leaves host 0 for host 1 and VM 1 (type b, 256 MB,
    // no dirtying) leaves host 0 for host 2. Both use host 0's outgoing link: 64 MB/s each.
    //   VM 1: round 0 = 256 / 64 = 4 s (alone: 2 s), nothing dirtied: empty stop-and-copy,
    //   done at 104 s with no downtime.
    //   VM 0: 256 MB by 104 s, then alone at 128 MB/s: 768 / 128 = 6 s → round 0 ends at
    //   110 s, having dirtied 32 × 10 = 320 MB; round 1: 320 / 128 = 2.5 s → 80 MB;
    //   round 2: 80 / 128 = 0.625 s → 20 MB; round 3: 20 / 128 = 0.156 25 s, scheduled at the
    //   next whole millisecond, 0.157 s → 5 MB ≤ 16; stop-and-copy 5 / 128 = 0.039 062 5 s,
    //   0.040 s on the clock. Done after 10 + 2.5 + 0.625 + 0.157 + 0.040 = 13.322 s
    //   (13.320 312 5 s unrounded): 2.697 s later than the 10.625 s it takes alone.
    //   Data 1024 + 320 + 80 + 20 + 5 = 1449 MB.
    let workload = one_vm("a", None) + &one_vm("b", None);
    let text = migration_scenario(PRECOPY, &workload);
    let script = [
        (100.0, Action::Migrate { vm: 0, to: 1 }),
        (100.0, Action::Migrate { vm: 1, to: 2 }),
    ];
    let r = run_scripted(&text, &[0, 0], &script);
    let done: Vec<_> = events(&r, "migration-done")
        .iter()
        .map(|e| (e.time_s, e.vm, e.detail.as_str()))
        .collect();
    assert_eq!(
        done,
        vec![
            (
                104.0,
                Some(1),
                "from 0; 4 s, downtime 0 s, 256 MB, 1 rounds"
            ),
            (
                113.322,
                Some(0),
                "from 0; 13.322 s, downtime 0.04 s, 1449 MB, 4 rounds"
            ),
        ]
    );
    assert_close(13.322 - 10.625, 2.697, 1e-12, "delay of VM 0");
    assert_close(
        r.summary.mean_migration_time_s.unwrap(),
        (4.0 + 13.322) / 2.0,
        1e-12,
        "mean migration time",
    );
    assert_close(
        r.summary.mean_migration_downtime_s.unwrap(),
        0.02,
        1e-12,
        "mean downtime",
    );
    assert_eq!(r.summary.migration_data_gb, (256.0 + 1449.0) / 1024.0);
}

#[test]
fn a_vm_stopped_mid_migration_frees_the_link() {
    // As above, but VM 1 (type b) is 512 MB and its lifetime ends at 104 s, halfway through
    // its 8 s round 0: its transfer is dropped after sending 4 · 64 = 256 MB, and VM 0 goes on
    // alone from 104 s exactly as when VM 1 finished then: done at 113.322 s. Data sent:
    // 256 + 1449 MB. One migration completed.
    let workload = one_vm("a", None) + &one_vm("b", Some(104));
    let text = migration_scenario(PRECOPY, &workload).replace("memory_mb = 256", "memory_mb = 512");
    let script = [
        (100.0, Action::Migrate { vm: 0, to: 1 }),
        (100.0, Action::Migrate { vm: 1, to: 2 }),
    ];
    let r = run_scripted(&text, &[0, 0], &script);
    let stopped = events(&r, "stopped");
    assert_eq!(
        (stopped.len(), stopped[0].time_s, stopped[0].vm),
        (1, 104.0, Some(1))
    );
    let done = events(&r, "migration-done");
    assert_eq!(done.len(), 1, "{:?}", r.events);
    assert_eq!(
        (done[0].time_s, done[0].vm, done[0].detail.as_str()),
        (
            113.322,
            Some(0),
            "from 0; 13.322 s, downtime 0.04 s, 1449 MB, 4 rounds"
        )
    );
    assert_eq!(r.summary.vm_migrations, 2);
    assert_eq!(r.summary.mean_migration_time_s, Some(13.322));
    assert_eq!(r.summary.mean_migration_downtime_s, Some(0.04));
    assert_eq!(r.summary.migration_data_gb, (256.0 + 1449.0) / 1024.0);
}

#[test]
fn simple_migration_model_is_unchanged() {
    // The same migration as the idle-link pre-copy one under the default (simple) model, and
    // with `model = "simple"` spelled out: memory / rate = 1024 / 128 = 8 s, no downtime
    // figure, the memory counted as data; the source loses 10 % of 500 MIPS for 8 s:
    // PDM = 400 / 150 000.
    for migration in ["", "model = \"simple\""] {
        let text = migration_scenario(migration, &one_vm("a", None));
        let r = run_scripted(&text, &[0], &[(100.0, Action::Migrate { vm: 0, to: 1 })]);
        let done = events(&r, "migration-done");
        assert_eq!(done.len(), 1, "{:?}", r.events);
        assert_eq!(
            (done[0].time_s, done[0].vm, done[0].detail.as_str()),
            (108.0, Some(0), "from 0")
        );
        assert_eq!(r.summary.mean_migration_time_s, Some(8.0));
        assert_eq!(r.summary.mean_migration_downtime_s, None);
        assert_eq!(r.summary.migration_data_gb, 1.0);
        assert_eq!(r.summary.pdm, 400.0 / 150_000.0);
    }
}

#[test]
fn precopy_is_refused_in_cloudsim_mode() {
    let text = migration_scenario(PRECOPY, &one_vm("a", None)).replace(
        "duration_s = 300",
        "duration_s = 300\ncompat = \"cloudsim-3.0.3\"",
    );
    let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[])
        .expect("the scenario parses");
    let err = Simulator::new(&scenario, None)
        .err()
        .expect("pre-copy is refused");
    assert!(err.to_string().contains("migration.model"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// g. Resize

#[test]
fn resize_stays_within_the_type_maximum_and_the_host_room() {
    // One host of 4 × 1000 MIPS and 3500 MB; type v: 1 vCPU × 1000 MIPS, 1000 MB, resizable
    // to 2 vCPUs and 2000 MB. Two VMs at 0.5 arrive at 0 (first-fit: both on host 0, reserving
    // 2000 MIPS and 2000 MB); a third arrives at 10 s, when both run (boot takes 0 s).
    let text = scenario(
        4,
        LINEAR,
        "",
        &format!(
            "{}{}",
            batch(2, 0.5, ""),
            batch(1, 0.5, "").replace("at_s = 0", "at_s = 10")
        ),
        "",
    )
    .replace("memory_mb = 100000", "memory_mb = 3500")
    .replace(
        "memory_mb = 1000\n",
        "memory_mb = 1000\nmax_vcpus = 2\nmax_memory_mb = 2000\n",
    );
    let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let mut sim = Simulator::new(&scenario, None).unwrap();
    let first = sim.next_decision().unwrap();
    assert_eq!(first, Some(Decision::Place(vec![0, 1])));
    let deploy = |vm| Action::Deploy { vm, host: 0 };
    assert_eq!(sim.apply(vec![deploy(0), deploy(1)]), vec![Ok(()), Ok(())]);
    assert_eq!(sim.next_decision().unwrap(), Some(Decision::Place(vec![2])));
    assert_eq!(sim.view().now, 10_000);
    let resize = |vm, vcpus, memory_mb| Action::Resize {
        vm,
        vcpus,
        memory_mb,
    };
    let results = sim.apply(vec![
        // 2000 + 1000 MIPS ≤ 4000 and 2000 + 1000 MB ≤ 3500: accepted.
        resize(0, Some(2), Some(2000.0)),
        // Beyond the type's maximum of 2 vCPUs.
        resize(0, Some(3), None),
        // 3000 + 1000 MB > 3500 MB.
        resize(1, None, Some(2000.0)),
        // 3000 + 1000 MIPS ≤ 4000: accepted.
        resize(1, Some(2), None),
        // Pending, not placed.
        resize(2, Some(2), None),
        Action::Reject {
            vm: 2,
            reason: "test".into(),
        },
    ]);
    assert_eq!(results[0], Ok(()));
    assert!(
        results[1].as_ref().unwrap_err().contains("maximum"),
        "{results:?}"
    );
    assert!(
        results[2].as_ref().unwrap_err().contains("memory"),
        "{results:?}"
    );
    assert_eq!(results[3], Ok(()));
    assert!(results[4].is_err(), "{results:?}");
    assert_eq!(results[5], Ok(()));
    let v = sim.view();
    assert_eq!(v.vm_vcpus(0), 2);
    assert_eq!(v.vm_memory_mb(0), 2000.0);
    assert_eq!(v.vm_memory_mb(1), 1000.0);
    assert_eq!(v.vm_mips(1), 2000.0);
    assert_eq!(v.hosts[0].reserved_mips, 4000.0);
    assert_eq!(v.hosts[0].reserved_memory_mb, 3000.0);
    // From the resize on, each VM requests 0.5 × 2000 MIPS: 2000 in all.
    assert_eq!(sim.next_decision().unwrap(), None);
    assert_eq!(sim.view().hosts[0].requested_mips, 2000.0);
    // Shrinking back to the type's size clears the override and frees the reservation.
    assert_eq!(
        sim.apply(vec![resize(0, Some(1), Some(1000.0))]),
        vec![Ok(())]
    );
    assert_eq!(sim.view().vms[0].resized, None);
    assert_eq!(sim.view().hosts[0].reserved_memory_mb, 2000.0);
}
