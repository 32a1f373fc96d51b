//! A federation site's scenario keeps its service manager: `orrery federate` builds every
//! private site's cloud OS with the builder `orrery run` uses, so a site with `[[services]]`
//! admits its services under its tenancy quota and scales their roles by their elasticity
//! rules, exactly as the same scenario does on its own.

use std::path::Path;

use orrery_engine::metrics::RunResult;

/// A shop site: 4 hosts of 16 × 2000 MIPS; organisation `shop` with a 12-vCPU quota;
/// service `web` (150 requests/s of 40 MI each on 2-vCPU × 1000 MIPS web VMs, 50 requests/s
/// each at full load: 300 % of its first VM; the OneFlow rule adds one VM after three
/// minutes over 70 %, so it grows to 4 VMs at 75 % and then 5 at 60 %, where it stops), and
/// service `big` (8 web VMs: 16 vCPUs, over the quota, so admission must reject it).
const SHOP: &str = r#"
name = "shop"
seed = 3
duration_s = 7200

[datacenter]
update_interval_s = 60

[[hosts]]
type = "node"
count = 4
cores = 16
core_mips = 2000
memory_mb = 65536
power = { model = "linear", idle_w = 90.0, max_w = 250.0 }

[[vm_types]]
name = "medium"
vcpus = 2
mips = 1000
memory_mb = 4096

[workload]
vm_boot_s = 30

[policies]
placement = "first-fit"

[[organisations]]
name = "shop"
users = { alice = "admin" }
quota = { vcpus = 12 }

[[services]]
name = "web"
tenant = "shop"
user = "alice"
requests = { kind = "poisson", rate_per_s = 150 }
monitoring = { measurement_interval_s = 60, delivery_interval_s = 60, aggregation = "mean" }

[[services.roles]]
name = "web"
vm_type = "medium"
cardinality = 1
min_vms = 1
max_vms = 5
request_mi = 40
elasticity_policies = [
  { type = "CHANGE", adjust = 1, expression = "CPU_UTILIZATION > 70", period = 60, period_number = 3, cooldown = 120 },
]

[[services]]
name = "big"
tenant = "shop"
user = "alice"
submit_s = 600

[[services.roles]]
name = "web"
vm_type = "medium"
cardinality = 8
request_mi = 40
"#;

/// The shop site bursting into a public cloud, with no federation demand of its own.
const FEDERATION: &str = r#"
name = "shop-federation"
seed = 5
duration_s = 7200
interval_s = 300

[[sites]]
kind = "private"
name = "shop"
scenario = "shop.toml"

[[sites]]
kind = "public"
name = "cloud"
[[sites.instance_types]]
name = "small"
vcpus = 2
memory_mb = 4096
price_per_period = 0.10
billing_period_s = 3600
quota = 4
provisioning_s = 90

[[links]]
a = "shop"
b = "cloud"
latency_ms = 10
bandwidth_mbps = 1000

[[relations]]
a = "shop"
b = "cloud"
coupling = "loose"

[architecture]
kind = "bursting"
home = "shop"
threshold = 0.8
return_below = 0.5

[[demand.generators]]
entry = "shop"
vm_type = "medium"
count = 0
arrival = { process = "batch" }
utilisation = { pattern = "constant", level = 0.5 }
"#;

fn write(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("shop.toml"), SHOP).unwrap();
    let path = dir.join("fed.toml");
    std::fs::write(&path, FEDERATION).unwrap();
    path
}

/// (time, VMs running) of the web role of service `service` (by index, in file order).
fn role_rows(site: &RunResult, service: usize) -> Vec<(f64, u64)> {
    site.roles
        .iter()
        .filter(|r| r.service == service && r.role == "web")
        .map(|r| (r.time_s, r.vms_running))
        .collect()
}

#[test]
fn a_federation_site_admits_and_scales_its_services() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = orrery_federation::run(&write(dir.path()), &[]).expect("the federation runs");
    let shop = &outcome.sites["shop"];
    let s = &shop.summary;
    // Admission: `web` fits the 12-vCPU quota, `big` (16 vCPUs) does not.
    assert_eq!(s.services_total, 2);
    assert_eq!(s.services_rejected, 1, "the quota must reject `big`");
    let rejected: Vec<_> = shop
        .audit
        .iter()
        .filter(|a| a.action == "reject-service")
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].detail.contains("quota"), "{:?}", rejected[0]);
    // Elasticity: the overloaded web role grows from 1 to 5 VMs, one VM per scaling action,
    // and stays there (60 % is under the 70 % threshold).
    let scalings: Vec<&str> = shop
        .audit
        .iter()
        .filter(|a| a.action == "scale-role")
        .map(|a| a.detail.as_str())
        .collect();
    assert_eq!(s.scaling_actions, 4, "{scalings:?}");
    for (i, detail) in scalings.iter().enumerate() {
        assert!(detail.contains(&format!("to {} VMs", i + 2)), "{detail}");
    }
    let web = role_rows(shop, 0);
    assert_eq!(web.last().map(|r| r.1), Some(5));
    assert!(web.iter().all(|r| r.1 <= 5));
}

#[test]
fn the_site_scales_exactly_as_its_scenario_does_alone() {
    // The same cloud OS builder: the site's service figures equal a plain run of its scenario
    // with the seed the federation derives for site 0.
    let dir = tempfile::tempdir().unwrap();
    let outcome = orrery_federation::run(&write(dir.path()), &[]).unwrap();
    let shop = &outcome.sites["shop"];
    let scenario =
        orrery_engine::scenario::Scenario::load(&dir.path().join("shop.toml"), &[]).unwrap();
    let seed = 5; // site 0: the federation seed xor 0
    let mut os = orrery_policies::registry::cloud_os(&scenario, seed).unwrap();
    let mut sim = orrery_sim::Simulator::new(&scenario, Some(seed)).unwrap();
    os.run(&mut sim).unwrap();
    let alone = sim.finish();
    assert_eq!(alone.summary.scaling_actions, shop.summary.scaling_actions);
    assert_eq!(
        alone.summary.services_rejected,
        shop.summary.services_rejected
    );
    assert_eq!(role_rows(&alone, 0), role_rows(shop, 0));
}
