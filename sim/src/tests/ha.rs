//! Failures, restarts, availability, billing and the audit log on tiny scenarios worked out by
//! hand. Every run here (as every simulator test) also checks after each event that every VM is
//! in exactly one place (`Simulator::assert_consistent`).

use std::path::Path;

use orrery_engine::action::Action;
use orrery_engine::metrics::accounting::AuditRow;
use orrery_engine::metrics::RunResult;
use orrery_engine::scenario::Scenario;

use super::super::Simulator;
use super::{assert_close, events, kwh, migration_scenario, one_vm, run, run_scripted, LINEAR};

/// `hosts` hosts `h-0`, `h-1`, … of 2 × 1000 MIPS (100 → 200 W) with `host_extra` keys; VM type
/// `v` (1 × 1000 MIPS, 1000 MB) with `vm_extra` keys; a 3600 s run with 300 s updates, VM boot
/// `boot_s`, first-fit placement; `failures` is the body of `[failures]` and `workload` the
/// generators.
fn ha(
    hosts: u32,
    host_extra: &str,
    vm_extra: &str,
    boot_s: u32,
    failures: &str,
    workload: &str,
) -> String {
    format!(
        r#"
name = "t"
seed = 1
duration_s = 3600

[[hosts]]
type = "h"
count = {hosts}
cores = 2
core_mips = 1000
memory_mb = 100000
power = {LINEAR}
{host_extra}

[[vm_types]]
name = "v"
mips = 1000
memory_mb = 1000
{vm_extra}

[workload]
vm_boot_s = {boot_s}
{workload}

[policies]
placement = "first-fit"

[failures]
{failures}
"#
    )
}

/// `count` VMs of type `vm_type` arriving at 0 at a constant 0.5, living `life` if given.
fn vms(vm_type: &str, count: u32, life: &str, extra: &str) -> String {
    let life = if life.is_empty() {
        String::new()
    } else {
        format!("lifetime = {life}\n")
    };
    format!(
        r#"
[[workload.generators]]
vm_type = "{vm_type}"
count = {count}
arrival = {{ process = "batch", at_s = 0 }}
{life}utilisation = {{ pattern = "constant", level = 0.5 }}
{extra}
"#
    )
}

/// Writes failure-trace `rows` (after the header) to a file in `dir`; returns the `trace = …`
/// line naming it.
fn trace(dir: &tempfile::TempDir, rows: &str) -> String {
    let path = dir.path().join("failures.csv");
    std::fs::write(&path, format!("time_s,target,event\n{rows}")).unwrap();
    format!("trace = {:?}", path.display().to_string())
}

/// (time, kind, vm, host) of every event of the given kinds, in order.
fn log(r: &RunResult, kinds: &[&str]) -> Vec<(f64, String, Option<usize>, Option<usize>)> {
    r.events
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .map(|e| (e.time_s, e.kind.to_string(), e.vm, e.host))
        .collect()
}

fn ev(
    t: f64,
    kind: &str,
    vm: Option<usize>,
    host: Option<usize>,
) -> (f64, String, Option<usize>, Option<usize>) {
    (t, kind.to_string(), vm, host)
}

/// (time, actor, action, vm, host, result) of one audit row.
type Audited<'a> = (f64, &'a str, &'a str, Option<usize>, Option<usize>, &'a str);

/// Every audit row, in order.
fn audit(r: &RunResult) -> Vec<Audited<'_>> {
    r.audit
        .iter()
        .map(|a: &AuditRow| (a.time_s, a.actor.as_str(), a.action, a.vm, a.host, a.result))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Host failures from a trace

#[test]
fn a_failed_host_loses_its_vms_and_the_vm_manager_restarts_them_elsewhere() {
    // Hosts h-0, h-1 (both on). VMs 0 and 1 (0.5 each) are placed on h-0 at 0 (first fit) and
    // run from 30 s (VM boot). h-0 fails at 1000 s and is repaired at 2000 s; detection 60 s.
    //   1000 s: both VMs lost.  1060 s: restarted, placed on h-1 (h-0 has failed), running
    //   at 1090 s. 2000 s: h-0 comes back powered off and stays off (nothing asks for it).
    // Availability of each VM: up 30–1000 and 1090–3600 = 970 + 2510 = 3480 of 3600 s.
    // Energy (idle 100 W; two VMs at 0.5 on a host: u = 1000/2000 = 0.5, 150 W):
    //   h-0: 0–30 s 100 W (booting VMs ask nothing) = 3000 J; 30–1000 s 150 W = 145 500 J;
    //        failed then off: nothing.                                          148 500 J
    //   h-1: 0–1090 s 100 W = 109 000 J; 1090–3600 s 150 W = 376 500 J.          485 500 J
    //   total 634 000 J.
    let dir = tempfile::tempdir().unwrap();
    let failures = format!(
        "detection_s = 60\n{}",
        trace(&dir, "1000,h-0,fail\n2000,h-0,repair\n")
    );
    let r = run(&ha(2, "", "", 30, &failures, &vms("v", 2, "", "")), None);
    let kinds = [
        "host-failed",
        "host-repaired",
        "vm-lost",
        "vm-restarted",
        "deployed",
        "host-on",
    ];
    assert_eq!(
        log(&r, &kinds),
        vec![
            ev(30.0, "deployed", Some(0), Some(0)),
            ev(30.0, "deployed", Some(1), Some(0)),
            ev(1000.0, "host-failed", None, Some(0)),
            ev(1000.0, "vm-lost", Some(0), Some(0)),
            ev(1000.0, "vm-lost", Some(1), Some(0)),
            ev(1060.0, "vm-restarted", Some(0), None),
            ev(1060.0, "vm-restarted", Some(1), None),
            ev(1090.0, "deployed", Some(0), Some(1)),
            ev(1090.0, "deployed", Some(1), Some(1)),
            ev(2000.0, "host-repaired", None, Some(0)),
        ]
    );
    let s = &r.summary;
    assert_eq!((s.host_failures, s.vm_restarts, s.vm_crashes), (1, 2, 0));
    assert_eq!(s.availability_mean, Some(3480.0 / 3600.0));
    assert_eq!(s.availability_min, Some(3480.0 / 3600.0));
    assert_close(s.energy_kwh, kwh(634_000.0), 1e-12, "energy");
    // A failed host draws nothing: 150 + 100 W at 900 s, only h-1's 150 W at 1200 s; the
    // repaired host stays off (one active host at 2100 s).
    let at = |t: f64| r.intervals.iter().find(|i| i.time_s == t).unwrap();
    assert_eq!((at(900.0).power_w, at(900.0).active_hosts), (250.0, 2));
    assert_eq!((at(1200.0).power_w, at(1200.0).active_hosts), (150.0, 1));
    assert_eq!((at(2100.0).power_w, at(2100.0).active_hosts), (150.0, 1));
    // Usage: VM 0 on h-0 30–1000 s, then on h-1 1090–3600 s.
    let stays: Vec<_> = r
        .usage
        .iter()
        .filter(|u| u.vm == 0)
        .map(|u| (u.host, u.start_s, u.end_s))
        .collect();
    assert_eq!(stays, vec![(0, 30.0, 1000.0), (1, 1090.0, 3600.0)]);
    // The VM manager's restarts and first fit's new placements are audited.
    let rows = audit(&r);
    assert!(rows.contains(&(1060.0, "vm-manager", "restart", Some(0), None, "ok")));
    assert!(rows.contains(&(1060.0, "first-fit", "deploy", Some(1), Some(1), "ok")));
}

#[test]
fn without_restarts_lost_vms_stay_down() {
    // The same failure with restart = false: the VM manager gives the VMs up at 1060 s.
    // Availability 970 / 3600. Energy: h-0 148 500 J as above; h-1 idles 100 W · 3600 s
    // = 360 000 J; total 508 500 J.
    let dir = tempfile::tempdir().unwrap();
    let failures = format!(
        "detection_s = 60\nrestart = false\n{}",
        trace(&dir, "1000,h-0,fail\n")
    );
    let r = run(&ha(2, "", "", 30, &failures, &vms("v", 2, "", "")), None);
    assert_eq!(
        log(&r, &["vm-abandoned", "vm-restarted"]),
        vec![
            ev(1060.0, "vm-abandoned", Some(0), None),
            ev(1060.0, "vm-abandoned", Some(1), None)
        ]
    );
    assert_eq!(r.summary.vm_restarts, 0);
    assert_eq!(r.summary.availability_min, Some(970.0 / 3600.0));
    assert_close(r.summary.energy_kwh, kwh(508_500.0), 1e-12, "energy");
    assert!(audit(&r).contains(&(1060.0, "vm-manager", "restart", Some(0), None, "refused")));
}

#[test]
fn crashed_vms_restart_until_their_restarts_run_out() {
    // One host, one VM (boot 0 s) running from 0. It crashes at 500 s (named by id) and at
    // 1500 s (by name); detection 100 s; at most 1 restart.
    //   600 s: restarted and placed back on h-0, running at once. 1600 s: given up.
    // Availability (500 + 900) / 3600. Energy (one VM at 0.5 on 2 cores: u = 0.25, 125 W):
    //   0–500 125 W + 500–600 100 W + 600–1500 125 W + 1500–3600 100 W
    //   = 62 500 + 10 000 + 112 500 + 210 000 = 395 000 J.
    let dir = tempfile::tempdir().unwrap();
    let failures = format!(
        "detection_s = 100\nmax_restarts = 1\n{}",
        trace(&dir, "500,0,crash\n1500,v-0-0,crash\n")
    );
    let r = run(&ha(1, "", "", 0, &failures, &vms("v", 1, "", "")), None);
    assert_eq!(
        log(
            &r,
            &["vm-crashed", "vm-restarted", "vm-abandoned", "deployed"]
        ),
        vec![
            ev(0.0, "deployed", Some(0), Some(0)),
            ev(500.0, "vm-crashed", Some(0), Some(0)),
            ev(600.0, "vm-restarted", Some(0), None),
            ev(600.0, "deployed", Some(0), Some(0)),
            ev(1500.0, "vm-crashed", Some(0), Some(0)),
            ev(1600.0, "vm-abandoned", Some(0), None),
        ]
    );
    let s = &r.summary;
    assert_eq!((s.host_failures, s.vm_crashes, s.vm_restarts), (0, 2, 1));
    assert_eq!(s.availability_min, Some(1400.0 / 3600.0));
    assert_close(s.energy_kwh, kwh(395_000.0), 1e-12, "energy");
    // Billing by the hour: two runs of 500 s and 900 s, one started hour each.
    assert_eq!((r.billing[0].runs, r.billing[0].periods), (2, 2));
}

#[test]
fn a_vm_whose_lifetime_ends_while_down_is_not_restarted() {
    // The VM lives 1000 s; its host fails at 900 s; detection 200 s. At 1000 s its lifetime
    // is over: stopped, never restarted. Availability 900 / 1000.
    let dir = tempfile::tempdir().unwrap();
    let failures = format!("detection_s = 200\n{}", trace(&dir, "900,h-0,fail\n"));
    let life = r#"{ dist = "fixed", s = 1000 }"#;
    let r = run(&ha(2, "", "", 0, &failures, &vms("v", 1, life, "")), None);
    assert_eq!(
        log(&r, &["vm-lost", "stopped", "vm-restarted"]),
        vec![
            ev(900.0, "vm-lost", Some(0), Some(0)),
            ev(1000.0, "stopped", Some(0), None)
        ]
    );
    assert_eq!(r.summary.vm_restarts, 0);
    assert_eq!(r.summary.availability_min, Some(0.9));
}

// ---------------------------------------------------------------------------------------------
// Migrations and failures

#[test]
fn a_migration_into_a_failing_host_is_aborted_and_the_vm_stays() {
    // VM 0 (type b, 256 MB) on host 0 migrates to host 1 at 100 s: 256 MB / 128 MB/s = 2 s.
    // Host 1 fails at 101 s: the migration is aborted, the VM keeps running on host 0, no VM
    // is lost, and it was up the whole 300 s.
    let dir = tempfile::tempdir().unwrap();
    let text = migration_scenario("", &one_vm("b", None))
        + &format!("\n[failures]\n{}\n", trace(&dir, "101,h-1,fail\n"));
    let r = run_scripted(&text, &[0], &[(100.0, Action::Migrate { vm: 0, to: 1 })]);
    assert_eq!(
        log(
            &r,
            &[
                "migration-start",
                "migration-aborted",
                "migration-done",
                "vm-lost"
            ]
        ),
        vec![
            ev(100.0, "migration-start", Some(0), Some(1)),
            ev(101.0, "migration-aborted", Some(0), Some(1))
        ]
    );
    assert_eq!(r.summary.availability_min, Some(1.0));
    let stays: Vec<_> = r
        .usage
        .iter()
        .filter(|u| u.vm == 0)
        .map(|u| (u.host, u.end_s))
        .collect();
    assert_eq!(stays, vec![(0, 300.0)]);
    assert_eq!(r.intervals.last().unwrap().vms_running, 1);
}

#[test]
fn a_vm_migrating_out_of_a_failing_host_is_lost_from_both() {
    // The same migration, but the source host 0 fails at 101 s (no restarts): the VM is lost
    // and its destination frees it; the migration never completes. Availability 101 / 300.
    let dir = tempfile::tempdir().unwrap();
    let text = migration_scenario("", &one_vm("b", None))
        + &format!(
            "\n[failures]\nrestart = false\n{}\n",
            trace(&dir, "101,h-0,fail\n")
        );
    let r = run_scripted(&text, &[0], &[(100.0, Action::Migrate { vm: 0, to: 1 })]);
    assert_eq!(
        log(&r, &["migration-aborted", "migration-done", "vm-lost"]),
        vec![ev(101.0, "vm-lost", Some(0), Some(0))]
    );
    assert_eq!(r.summary.availability_min, Some(101.0 / 300.0));
    assert_eq!(r.intervals.last().unwrap().vms_running, 0);
}

// ---------------------------------------------------------------------------------------------
// Exponential failures and crashes

#[test]
fn exponential_failures_follow_the_seed() {
    // Four hosts failing every 2 h on average (repairs 30 min), VMs crashing 12 times a day,
    // consolidation migrating and idle hosts powering off: the run is the same for a seed,
    // different for another, and every VM stays in one place throughout (checked per event).
    let text = ha(
        4,
        "mtbf_s = 7200\nmttr_s = 1800",
        "crash_rate_per_day = 12",
        30,
        "detection_s = 120",
        &vms("v", 6, "", ""),
    )
    .replace("duration_s = 3600", "duration_s = 43200")
    .replace(
        "placement = \"first-fit\"",
        "placement = \"first-fit\"\nreallocation = \"consolidation\"\npower_off_idle = true",
    );
    let a = run(&text, Some(1));
    let b = run(&text, Some(1));
    let c = run(&text, Some(2));
    assert_eq!(a.events, b.events);
    assert_eq!(a.summary, b.summary);
    let failed = |r: &RunResult| log(r, &["host-failed", "vm-crashed"]);
    assert_ne!(failed(&a), failed(&c));
    for r in [&a, &c] {
        let s = &r.summary;
        assert!(s.host_failures > 0 && s.vm_crashes > 0, "{s:?}");
        assert_eq!(s.host_failures as usize, events(r, "host-failed").len());
        assert_eq!(s.vm_restarts as usize, events(r, "vm-restarted").len());
        assert!(s.availability_min.unwrap() < 1.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Billing and audit

#[test]
fn billing_rounds_started_periods_up_per_tenant() {
    // Three VMs on one 4-core host, each living 90 min in a 2 h run, boot 0 s:
    //   VM 0, type `hourly` (tenant acme by its type, 0.10 per hour): 2 started hours = 0.20.
    //   VM 1, type `persec` (0.0001 per second, tenant globex by its generator): 5400 s = 0.54.
    //   VM 2, type `v` (no tenant, price 0): tenant `default`, 2 hours (the default period)
    //   at 0.
    let life = r#"{ dist = "fixed", s = 5400 }"#;
    let workload = vms("hourly", 1, life, "")
        + &vms("persec", 1, life, "tenant = \"globex\"")
        + &vms("v", 1, life, "");
    let types = r#"
[[vm_types]]
name = "hourly"
vcpus = 2
mips = 1000
memory_mb = 2048
tenant = "acme"
price = 0.10
billing_period = "hour"

[[vm_types]]
name = "persec"
mips = 1000
memory_mb = 512
price = 0.0001
billing_period = "second"
"#;
    let text = ha(1, "", types, 0, "", &workload)
        .replace("cores = 2", "cores = 4")
        .replace("duration_s = 3600", "duration_s = 7200");
    let r = run(&text, None);
    let bills: Vec<_> = r
        .billing
        .iter()
        .map(|b| (b.tenant.as_str(), b.vm, b.periods))
        .collect();
    assert_eq!(
        bills,
        vec![("acme", 0, 2), ("globex", 1, 5400), ("default", 2, 2)]
    );
    let totals: Vec<_> = r
        .billing_totals
        .iter()
        .map(|b| (b.tenant.as_str(), b.periods))
        .collect();
    assert_eq!(totals, vec![("acme", 2), ("default", 2), ("globex", 5400)]);
    assert_close(r.billing[0].cost, 0.20, 1e-12, "hourly cost");
    assert_close(r.billing[1].cost, 0.54, 1e-12, "per-second cost");
    assert_close(r.summary.cost_total, 0.74, 1e-12, "total");
    // Usage: VM 0 ran 5400 s with 2 vCPUs and 2048 MB; acme's total is the same.
    let u0 = r.usage.iter().find(|u| u.vm == 0).unwrap();
    assert_eq!(
        (u0.start_s, u0.end_s, u0.vcpu_s, u0.memory_mb_s),
        (0.0, 5400.0, 10_800.0, 5400.0 * 2048.0)
    );
    let acme = r.usage_totals.iter().find(|u| u.tenant == "acme").unwrap();
    assert_eq!(acme.vcpu_s, 10_800.0);
    assert_eq!(r.summary.availability_min, Some(1.0));
}

#[test]
fn every_policy_action_is_audited_with_its_actor() {
    // Scripted: VM 0 deployed on host 0 at 0 (the placement's answer); at 100 s a migration to
    // host 1 and host 2 powered off; at 200 s host 2 powered on and host 0 (empty since 102 s)
    // off. Reallocation answers are attributed to the reallocation policy.
    let text = migration_scenario("", &one_vm("b", None));
    let script = [
        (100.0, Action::Migrate { vm: 0, to: 1 }),
        (100.0, Action::PowerOff { host: 2 }),
        (200.0, Action::PowerOn { host: 2 }),
        (200.0, Action::PowerOff { host: 0 }),
    ];
    let r = run_scripted(&text, &[0], &script);
    assert_eq!(
        audit(&r),
        vec![
            (0.0, "first-fit", "deploy", Some(0), Some(0), "ok"),
            (100.0, "consolidation", "migrate", Some(0), Some(1), "ok"),
            (100.0, "consolidation", "power-off", None, Some(2), "ok"),
            (200.0, "consolidation", "power-on", None, Some(2), "ok"),
            (200.0, "consolidation", "power-off", None, Some(0), "ok"),
        ]
    );
}

#[test]
fn rejections_deferrals_and_idle_power_offs_are_audited() {
    // Two hosts, idle ones powered off. VM 0 fits (deployed on h-0); VM 1 (`huge`, 200 000 MB)
    // fits nowhere and asks nothing else: rejected; VM 2 (`picky`) requires a zone no host
    // is in: deferred at 0 s and again at every update. At the 300 s update the power manager
    // powers idle h-1 off.
    let types = r#"
[[vm_types]]
name = "huge"
mips = 1000
memory_mb = 200000

[[vm_types]]
name = "picky"
mips = 1000
memory_mb = 1000
requirements = 'ZONE = "nowhere"'
"#;
    let workload = vms("v", 1, "", "") + &vms("huge", 1, "", "") + &vms("picky", 1, "", "");
    let text = ha(2, "", types, 0, "", &workload)
        .replace(
            "placement = \"first-fit\"",
            "placement = \"first-fit\"\npower_off_idle = true",
        )
        .replace("duration_s = 3600", "duration_s = 600");
    let r = run(&text, None);
    let rows = audit(&r);
    assert_eq!(
        rows[..4],
        [
            (0.0, "first-fit", "deploy", Some(0), Some(0), "ok"),
            (0.0, "first-fit", "reject", Some(1), None, "ok"),
            (0.0, "first-fit", "defer", Some(2), None, "ok"),
            (300.0, "power-manager", "power-off", None, Some(1), "ok"),
        ]
    );
    let defers: Vec<f64> = rows
        .iter()
        .filter(|r| r.2 == "defer")
        .map(|r| r.0)
        .collect();
    assert_eq!(defers, vec![0.0, 300.0, 600.0]);
    assert_eq!(r.audit[1].detail, "no host has room");
    // The rejected VM counts in no availability; the deferred one was never up.
    assert_eq!(r.summary.availability_min, Some(0.0));
    assert_eq!(r.summary.availability_mean, Some(0.5));
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn a_malformed_failure_trace_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = ha(
        2,
        "",
        "",
        0,
        &trace(&dir, "100,h-0,fail\n200,h-7,repair\n"),
        &vms("v", 1, "", ""),
    );
    let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let e = Simulator::new(&scenario, None)
        .err()
        .expect("the trace is refused");
    assert!(e.file.ends_with("failures.csv"), "{e}");
    assert_eq!(e.line, Some(3));
    assert!(e.to_string().contains("no host `h-7`"), "{e}");
}

#[test]
fn failures_are_refused_in_cloudsim_mode_and_need_both_means() {
    let text = ha(
        1,
        "mtbf_s = 100\nmttr_s = 10",
        "",
        0,
        "",
        &vms("v", 1, "", ""),
    );
    let e = Scenario::parse(
        &format!("compat = \"cloudsim-3.0.3\"\n{text}"),
        Path::new("t.toml"),
        Path::new("."),
        &[],
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("compat"), "{e}");
    let text = ha(1, "mtbf_s = 100", "", 0, "", &vms("v", 1, "", ""));
    let e = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("hosts.0.mtbf_s"), "{e}");
}
