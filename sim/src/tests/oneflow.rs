//! A service scaled by its OneFlow rules through the whole cloud OS, with orrery's autoscaler
//! (at each monitoring delivery) and with OneFlow's (`autoscaler = "oneflow"`: at the ticks of
//! a 90 s loop from time 0, the whole service blocked while a role scales or cools down).

use std::path::Path;

use orrery_engine::scenario::Scenario;
use orrery_policies::registry;

use super::super::Simulator;
use super::events;

/// One host of 16 × 1000 MIPS; service `s` of two roles, `a` and `b`, each of one VM of 1 ×
/// 1000 MIPS booting in 30 s, loaded at 0.8 of a vCPU per VM by 80 requests/s whatever the
/// cardinality would make it; monitoring delivers every 60 s. `a` adds a VM while
/// `CPU_UTILIZATION > 50` (cooldown 100 s), up to 3; `b` likewise, up to 2.
fn scenario(autoscaler: &str) -> String {
    format!(
        r#"
name = "t"
seed = 3
duration_s = 900

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

[workload]
vm_boot_s = 30

[policies]
placement = "first-fit"

[[services]]
name = "s"
requests = {{ kind = "poisson", rate_per_s = 80 }}
{autoscaler}

[[services.roles]]
name = "a"
vm_type = "v"
request_mi = 10
max_vms = 3
cooldown = 100
elasticity_policies = [{{ type = "CHANGE", adjust = 1, expression = "CPU_UTILIZATION > 50" }}]

[[services.roles]]
name = "b"
vm_type = "v"
request_mi = 10
max_vms = 2
cooldown = 100
elasticity_policies = [{{ type = "CHANGE", adjust = 1, expression = "CPU_UTILIZATION > 50" }}]
"#
    )
}

/// The times (s) and details of the run's role scalings.
fn scalings(autoscaler: &str) -> Vec<(f64, String)> {
    let text = scenario(autoscaler);
    let scenario = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[])
        .unwrap_or_else(|e| panic!("invalid test scenario: {e}"));
    let mut os = registry::cloud_os(&scenario, scenario.spec.seed).unwrap();
    let mut sim = Simulator::new(&scenario, None).unwrap();
    os.run(&mut sim).unwrap();
    let result = sim.finish();
    events(&result, "role-scaling")
        .into_iter()
        .map(|e| (e.time_s, e.detail.clone()))
        .collect()
}

#[test]
fn oneflow_scales_a_service_at_its_ticks_one_role_at_a_time() {
    let at = |list: &[(f64, &str)]| -> Vec<(f64, String)> {
        list.iter().map(|&(t, d)| (t, d.to_owned())).collect()
    };
    // Deployed at 0, running from 30 s; requests split evenly: 80 req/s × 10 MI over the
    // role's VMs of 1000 MIPS is 80 % on one VM, 40 % on two, 27 % on three.
    // orrery's autoscaler, at the deliveries (every 60 s): both roles at 60 s; the new VMs
    // boot by 90 s and cool down until 190 s; at 240 s `a` (at 40 %) stays.
    assert_eq!(
        scalings(""),
        at(&[(60.0, "s: a: 1 → 2 VMs"), (60.0, "s: b: 1 → 2 VMs")])
    );
    // OneFlow's, at the ticks: at 90 s `a` scales and `b`'s firing is refused (the service is
    // SCALING); the service scales until 120 s and cools down until 220 s, so the ticks of
    // 180 s pass it by; at 270 s `b` fires again (still at 80 %).
    assert_eq!(
        scalings("autoscaler = \"oneflow\""),
        at(&[(90.0, "s: a: 1 → 2 VMs"), (270.0, "s: b: 1 → 2 VMs")])
    );
}
