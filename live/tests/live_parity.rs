//! Parity: the same cluster state, built once in the simulator and once on libvirt test-driver
//! hosts, gets the same plans from the same policies.

mod live;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use live::*;
use orrery_engine::action::Action;
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_engine::view::ClusterView;
use orrery_live::clock::ManualClock;
use orrery_policies::registry;
use orrery_sim::Simulator;

/// Three hosts like the test-driver nodes (8 × 2000 MIPS, 16 GiB, 100–200 W), VMs of type
/// `small` (2 × 2000 MIPS, 2 GiB) at a constant 20 %: one per host at 0 s (striping), one more
/// arriving at 301 s, after the update at 300 s.
const SCENARIO: &str = r#"
seed = 1
duration_s = 600

[[hosts]]
type = "h"
count = 3
cores = 8
core_mips = 2000
memory_mb = 16384
power = { model = "linear", idle_w = 100.0, max_w = 200.0 }

[[vm_types]]
name = "small"
vcpus = 2
max_vcpus = 4
mips = 2000
memory_mb = 2048
max_memory_mb = 4096

[workload]
vm_boot_s = 0

[[workload.generators]]
vm_type = "small"
count = 3
arrival = { process = "batch", at_s = 0 }
utilisation = { pattern = "constant", level = 0.2 }

[[workload.generators]]
vm_type = "small"
count = 1
arrival = { process = "batch", at_s = 301 }
utilisation = { pattern = "constant", level = 0.2 }

[policies]
placement = "striping"
"#;

/// The policies compared: PABFD placement and consolidation (THR 0.8, MMT).
const POLICIES: &str = "placement = \"pabfd\"\nreallocation = \"consolidation\"\n\
                        [policies.consolidation]\ndetector = \"thr\"\nparameter = 0.8\nselection = \"mmt\"";

/// An action with names in place of ids.
fn named(view: &ClusterView, a: &Action) -> String {
    let vm = |v: usize| view.vms[v].name.clone();
    let host = |h: usize| view.hosts[h].name.clone();
    match a {
        Action::Deploy { vm: v, host: h } => format!("deploy {} on {}", vm(*v), host(*h)),
        Action::Migrate { vm: v, to } => format!("migrate {} to {}", vm(*v), host(*to)),
        Action::PowerOn { host: h } => format!("power on {}", host(*h)),
        Action::PowerOff { host: h } => format!("power off {}", host(*h)),
        other => format!("{other:?}"),
    }
}

/// The placement plan for the pending VMs and the reallocation plan, with names.
fn plans(
    config: &impl orrery_engine::policy::PolicyConfig,
    view: &ClusterView,
) -> (Vec<String>, Vec<String>) {
    let pending: Vec<usize> = (0..view.vms.len())
        .filter(|&v| view.vms[v].state == orrery_engine::model::VmState::Pending)
        .collect();
    let streams = RngStreams::new(0);
    let mut placement = registry::placement(config).unwrap();
    let mut reallocation = registry::reallocation(config).unwrap().unwrap();
    let place = placement.place(view, &pending, &mut streams.stream("placement", 0));
    let realloc = reallocation.reallocate(view, &mut streams.stream("reallocation", 0));
    let names = |p: Vec<Action>| p.iter().map(|a| named(view, a)).collect();
    (names(place), names(realloc))
}

#[test]
fn the_simulator_and_test_driver_hosts_get_the_same_plans() {
    // The simulator, up to the placement decision at 301 s.
    let scenario =
        Scenario::parse(SCENARIO, Path::new("parity.toml"), Path::new("."), &[]).unwrap();
    let mut sim = Simulator::new(&scenario, None).unwrap();
    assert_eq!(
        sim.next_decision().unwrap(),
        Some(Decision::Place(vec![0, 1, 2]))
    );
    let striped: Vec<Action> = (0..3).map(|v| Action::Deploy { vm: v, host: v }).collect();
    assert_eq!(sim.apply(striped), vec![Ok(()); 3]);
    assert_eq!(sim.next_decision().unwrap(), Some(Decision::Place(vec![3])));
    let sim_view = sim.view();

    // The same state on test-driver hosts: one `small` domain per host, the fourth VM in the
    // config only, CPU times scripted at 20 % over a 300 s round.
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<&str> = sim_view.vms.iter().map(|v| v.name.as_str()).collect();
    for (h, name) in names.iter().take(3).enumerate() {
        node(dir.path(), h, &[running(name)]);
    }
    let config = config(dir.path(), 3, &[names[3]], POLICIES, "");
    let clock = ManualClock::new();
    let demand: BTreeMap<String, f64> = names.iter().map(|n| (n.to_string(), 0.2)).collect();
    let hv = Loads {
        inner: open(&config, &[]),
        clock: clock.clone(),
        demand,
    };
    let mut live = live(config.clone(), hv, clock.clone(), false, 1);
    live.observe();
    clock.advance(Duration::from_secs(300));
    live.observe();
    let live_view = live.view();

    // Same utilisations, reservations and VM states (by name).
    for (h, s) in sim_view.hosts.iter().enumerate() {
        let l = &live_view.hosts[h];
        assert_eq!(s.name, l.name);
        assert_eq!(
            (s.busy_mips, s.reserved_mips, s.reserved_memory_mb),
            (l.busy_mips, l.reserved_mips, l.reserved_memory_mb),
            "{}",
            s.name
        );
        assert_eq!(sim_view.capacity_mips(h), live_view.capacity_mips(h));
    }
    let (sim_place, sim_realloc) = plans(&config, sim_view);
    let (live_place, live_realloc) = plans(&config, live_view);
    assert!(
        !sim_place.is_empty() && !sim_realloc.is_empty(),
        "{sim_place:?} {sim_realloc:?}"
    );
    assert_eq!(live_place, sim_place);
    assert_eq!(live_realloc, sim_realloc);
}
