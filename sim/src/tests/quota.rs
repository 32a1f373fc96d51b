//! Quotas on plain VMs, worked out by hand: the tenant `shop`'s VMs are admitted at arrival
//! against its `[[organisations]]` quota counting everything it holds, refused for good beyond
//! it, and release their slot when they end.

use std::path::Path;

use orrery_engine::control::{CloudOs, LoopStats};
use orrery_engine::infra::Infrastructure;
use orrery_engine::metrics::RunResult;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_engine::view::VmView;
use orrery_engine::workload::Demand;
use orrery_policies::registry;
use orrery_policies::tenancy::ledger::holds_quota;
use proptest::prelude::*;

use super::super::{Simulator, VmPlan};
use super::{events, run};

/// One host of 16 × 1000 MIPS and 100 000 MB; VM type `v` (1 vCPU, 1000 MB, 20 GB of disk)
/// and `v2` (2 vCPUs); VM boot 0 s; a 3600 s run; organisation `shop` with `quota`; `workload`
/// appended to `[workload]`, `extra` at the end.
fn shop(quota: &str, workload: &str, extra: &str) -> String {
    format!(
        r#"
name = "t"
seed = 1
duration_s = 3600

[[hosts]]
type = "h"
count = 1
cores = 16
core_mips = 1000
memory_mb = 100000
power = {{ model = "linear", idle_w = 100.0, max_w = 200.0 }}

[[vm_types]]
name = "v"
mips = 1000
memory_mb = 1000
disk_gb = 20

[[vm_types]]
name = "v2"
vcpus = 2
mips = 1000
memory_mb = 1000

[workload]
vm_boot_s = 0
{workload}

[policies]
placement = "first-fit"

[[organisations]]
name = "shop"
quota = {{ {quota} }}
{extra}
"#
    )
}

/// A generator of `count` VMs of type `v` arriving together at `at_s`, of `tenant` (none when
/// empty), living `life_s` seconds (to the end when 0).
fn vms(count: u32, at_s: f64, tenant: &str, life_s: u32) -> String {
    let tenant = if tenant.is_empty() {
        String::new()
    } else {
        format!("tenant = \"{tenant}\"\n")
    };
    let life = if life_s == 0 {
        String::new()
    } else {
        format!("lifetime = {{ dist = \"fixed\", s = {life_s} }}\n")
    };
    format!(
        r#"
[[workload.generators]]
vm_type = "v"
count = {count}
arrival = {{ process = "batch", at_s = {at_s} }}
utilisation = {{ pattern = "constant", level = 0.5 }}
{tenant}{life}"#
    )
}

/// `(time s, VM, detail)` of the events of `kind`.
fn timeline(r: &RunResult, kind: &str) -> Vec<(f64, Option<usize>, String)> {
    events(r, kind)
        .into_iter()
        .map(|e| (e.time_s, e.vm, e.detail.clone()))
        .collect()
}

/// The VMs deployed, in order.
fn deployed(r: &RunResult) -> Vec<usize> {
    events(r, "deployed").iter().filter_map(|e| e.vm).collect()
}

#[test]
fn a_vm_quota_of_two_runs_two_of_eight_and_refuses_six_with_the_reason() {
    let r = run(&shop("vms = 2", &vms(8, 0.0, "shop", 0), ""), None);
    // VMs 0 and 1 are admitted (0 then 1 held); 2..7 find 2 held of 2.
    assert_eq!(deployed(&r), [0, 1]);
    let reason = "quota of shop: VMs 2 used + 1 requested > 2";
    let refused: Vec<_> = (2..8).map(|v| (0.0, Some(v), reason.to_string())).collect();
    assert_eq!(timeline(&r, "rejected"), refused);
    assert_eq!(r.summary.vms_rejected, 6);
    let audit: Vec<_> = r
        .audit
        .iter()
        .filter(|a| a.action == "reject")
        .map(|a| (a.actor.as_str(), a.vm, a.result, a.detail.as_str()))
        .collect();
    let expected: Vec<_> = (2..8)
        .map(|v| ("admission", Some(v), "ok", reason))
        .collect();
    assert_eq!(audit, expected);
}

#[test]
fn a_vcpu_quota_counts_the_services_vms_and_the_plain_ones() {
    // The service holds one v2 (2 vCPUs) from 0 s; at 10 s plain VMs of 1 vCPU bring it to 3
    // and 4 of 4, and the third is refused.
    let service = r#"
[[services]]
name = "web"
tenant = "shop"
roles = [{ name = "app", vm_type = "v2" }]
"#;
    let r = run(&shop("vcpus = 4", &vms(3, 10.0, "shop", 0), service), None);
    // The plain VMs are built first (0 to 2), the service's at its submission (3).
    assert_eq!(deployed(&r), [3, 0, 1]);
    assert_eq!(
        timeline(&r, "rejected"),
        [(
            10.0,
            Some(2),
            "quota of shop: vCPUs 4 used + 1 requested > 4".to_string()
        )]
    );
    assert_eq!(r.summary.vms_rejected, 1);
}

#[test]
fn a_finished_vm_releases_its_slot_for_a_later_one() {
    // vms = 1: VM 0 runs from 0 to 100 s; VM 1 at 50 s finds it held and is refused; VM 2 at
    // 150 s finds the slot free and runs from 150 s.
    let workload = vms(1, 0.0, "shop", 100) + &vms(1, 50.0, "shop", 0) + &vms(1, 150.0, "shop", 0);
    let r = run(&shop("vms = 1", &workload, ""), None);
    let times = |kind| -> Vec<(f64, Option<usize>)> {
        timeline(&r, kind)
            .into_iter()
            .map(|(t, v, _)| (t, v))
            .collect()
    };
    assert_eq!(times("deployed"), [(0.0, Some(0)), (150.0, Some(2))]);
    assert_eq!(times("stopped"), [(100.0, Some(0))]);
    assert_eq!(
        timeline(&r, "rejected"),
        [(
            50.0,
            Some(1),
            "quota of shop: VMs 1 used + 1 requested > 1".to_string()
        )]
    );
}

#[test]
fn memory_and_disk_quotas_bind_plain_vms() {
    // 1000 MB each: 2000 + 1000 > 2500 refuses the third.
    let r = run(&shop("memory_mb = 2500", &vms(3, 0.0, "shop", 0), ""), None);
    assert_eq!(
        timeline(&r, "rejected"),
        [(
            0.0,
            Some(2),
            "quota of shop: memory MiB 2000 used + 1000 requested > 2500".to_string()
        )]
    );
    // 20 GB each: 40 + 20 > 50 refuses the third.
    let r = run(&shop("disk_gb = 50", &vms(3, 0.0, "shop", 0), ""), None);
    assert_eq!(
        timeline(&r, "rejected"),
        [(
            0.0,
            Some(2),
            "quota of shop: disk GB 40 used + 20 requested > 50".to_string()
        )]
    );
}

#[test]
fn vms_without_a_tenant_are_never_refused() {
    let r = run(&shop("vms = 1, disk_gb = 1", &vms(8, 0.0, "", 0), ""), None);
    assert_eq!(deployed(&r), (0..8).collect::<Vec<_>>());
    assert_eq!(r.summary.vms_rejected, 0);
}

#[test]
fn a_vm_submitted_later_is_admitted_against_the_quota() {
    let text = shop("vms = 2", &vms(2, 0.0, "shop", 0), "");
    let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let mut sim = Simulator::new(&scenario, None).unwrap();
    let plan = |name: &str, tenant: &str| VmPlan {
        view: VmView::new(name, 0, 10_000),
        demand: Demand::Constant(0.5),
        arrival: 10_000,
        end: None,
        tenant: tenant.into(),
        host: None,
    };
    let late = sim.submit(plan("late", "shop")).unwrap();
    let other = sim.submit(plan("other", "default")).unwrap();
    let placement = registry::placement(&scenario).unwrap();
    let mut os = CloudOs::new(placement, None, &RngStreams::new(1));
    os.run(&mut sim).unwrap();
    let r = sim.finish();
    assert_eq!(
        timeline(&r, "rejected"),
        [(
            10.0,
            Some(late),
            "quota of shop: VMs 2 used + 1 requested > 2".to_string()
        )]
    );
    assert!(deployed(&r).contains(&other));
}

#[test]
fn a_crashed_vm_awaiting_its_restart_keeps_its_slot() {
    // vms = 1: VM 0 runs from 0 s, crashes at 100 s and is restarted at 160 s (detection
    // 60 s); VM 1, arriving at 120 s while VM 0 is down, is refused.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("f.csv"),
        "time_s,target,event\n100,0,crash\n",
    )
    .unwrap();
    let failures = "[failures]\ndetection_s = 60\ntrace = \"f.csv\"\n";
    let workload = vms(1, 0.0, "shop", 0) + &vms(1, 120.0, "shop", 0);
    let text = shop("vms = 1", &workload, failures);
    let scenario = Scenario::parse(&text, &dir.path().join("t.toml"), dir.path(), &[]).unwrap();
    let mut sim = Simulator::new(&scenario, None).unwrap();
    let placement = registry::placement(&scenario).unwrap();
    CloudOs::new(placement, None, &RngStreams::new(1))
        .run(&mut sim)
        .unwrap();
    let r = sim.finish();
    let times = |kind| -> Vec<(f64, Option<usize>)> {
        timeline(&r, kind)
            .into_iter()
            .map(|(t, v, _)| (t, v))
            .collect()
    };
    assert_eq!(times("vm-restarted"), [(160.0, Some(0))]);
    assert_eq!(times("deployed"), [(0.0, Some(0)), (160.0, Some(0))]);
    assert_eq!(
        timeline(&r, "rejected"),
        [(
            120.0,
            Some(1),
            "quota of shop: VMs 1 used + 1 requested > 1".to_string()
        )]
    );
}

/// Random arrivals and lifetimes of `shop`'s VMs under a random quota.
fn random_run() -> impl Strategy<Value = (u32, u32, u32, f64, f64, u64)> {
    (
        1u32..30,
        0u32..5,
        1u32..8,
        10.0..400.0f64,
        60.0..3000.0f64,
        0..=i64::MAX as u64,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_tenants_usage_never_exceeds_its_quota(
        (count, max_vms, max_vcpus, rate, life, seed) in random_run()
    ) {
        let workload = format!(
            r#"
[[workload.generators]]
vm_type = "v"
count = {count}
tenant = "shop"
arrival = {{ process = "poisson", rate_per_hour = {rate} }}
lifetime = {{ dist = "exponential", mean_s = {life} }}
utilisation = {{ pattern = "constant", level = 0.5 }}

[[workload.generators]]
vm_type = "v2"
count = {count}
tenant = "shop"
arrival = {{ process = "poisson", rate_per_hour = {rate} }}
lifetime = {{ dist = "exponential", mean_s = {life} }}
utilisation = {{ pattern = "constant", level = 0.5 }}
"#
        );
        let quota = format!("vms = {max_vms}, vcpus = {max_vcpus}");
        let text = shop(&quota, &workload, "");
        let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
        let mut sim = Simulator::new(&scenario, Some(seed)).unwrap();
        let placement = registry::placement(&scenario).unwrap();
        let mut os = CloudOs::new(placement, None, &RngStreams::new(seed));
        let mut stats = LoopStats::default();
        while let Some(d) = sim.next_decision().unwrap() {
            let view = sim.view();
            let held: Vec<_> = view.vms.iter().filter(|v| holds_quota(v.state)).collect();
            let vcpus: u32 = held.iter().map(|v| view.vm_types[v.vm_type].vcpus).sum();
            prop_assert!(held.len() <= max_vms as usize, "{} VMs > {max_vms}", held.len());
            prop_assert!(vcpus <= max_vcpus, "{vcpus} vCPUs > {max_vcpus}");
            if let Some(plan) = os.decide(d, sim.view(), &mut stats) {
                sim.apply(plan);
            }
        }
        let r = sim.finish();
        // Every arrival is admitted or refused: the refusals are the quota's, with its reason.
        for e in events(&r, "rejected") {
            prop_assert!(e.detail.starts_with("quota of shop: "), "{}", e.detail);
        }
    }
}
