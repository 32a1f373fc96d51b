//! Properties that hold for any valid scenario, checked on random ones: every VM is in exactly
//! one place and every host reserves exactly what its VMs need (asserted after every event by
//! the simulator's own consistency check in test builds), a host never executes more than its
//! capacity, energy lies between the idle floor and the peak ceiling of the hosts that were
//! powered, VMs are conserved (every arrival ends pending, running, stopped, rejected or lost),
//! and a run is a pure function of the scenario and the seed.

use std::path::Path;

use orrery_engine::metrics::RunResult;
use orrery_engine::scenario::Scenario;
use proptest::prelude::*;

use crate::Simulator;

/// A random small scenario, as a file a user could write.
#[derive(Debug, Clone)]
struct Random {
    hosts: u32,
    cores: u32,
    idle_w: f64,
    max_w: f64,
    boot: bool,
    vms: u32,
    vcpus: u32,
    arrival_per_hour: f64,
    lifetime_s: f64,
    pattern: usize,
    level: f64,
    placement: usize,
    reallocation: usize,
    power_off_idle: bool,
    failures: bool,
    overcommit: f64,
    duration_h: u32,
    seed: u64,
}

const PLACEMENTS: [&str; 5] = ["first-fit", "packing", "striping", "load-aware", "pabfd"];
const REALLOCATIONS: [&str; 4] = ["none", "consolidation", "workload-balance", "cpu-balance"];

fn random() -> impl Strategy<Value = Random> {
    (
        (
            1u32..8,
            1u32..17,
            50.0..150.0f64,
            0.0..200.0f64,
            any::<bool>(),
        ),
        (1u32..40, 1u32..5, 1.0..200.0f64, 60.0..20_000.0f64),
        (0usize..4, 0.0..1.0f64, 0usize..5, 0usize..4),
        (
            any::<bool>(),
            any::<bool>(),
            1.0..3.0f64,
            1u32..6,
            0..=i64::MAX as u64,
        ),
    )
        .prop_map(|(h, v, p, r)| Random {
            hosts: h.0,
            cores: h.1,
            idle_w: h.2,
            max_w: h.2 + h.3,
            boot: h.4,
            vms: v.0,
            vcpus: v.1,
            arrival_per_hour: v.2,
            lifetime_s: v.3,
            pattern: p.0,
            level: p.1,
            placement: p.2,
            reallocation: p.3,
            power_off_idle: r.0,
            failures: r.1,
            overcommit: r.2,
            duration_h: r.3,
            seed: r.4,
        })
}

impl Random {
    fn text(&self) -> String {
        let pattern = match self.pattern {
            0 => format!("{{ pattern = \"constant\", level = {} }}", self.level),
            1 => format!(
                "{{ pattern = \"diurnal\", mean = {}, amplitude = {} }}",
                self.level * 0.5 + 0.25,
                self.level * 0.25
            ),
            2 => format!(
                "{{ pattern = \"random-walk\", start = {}, step = 0.1, interval_s = 600 }}",
                self.level
            ),
            _ => "{ pattern = \"on-off\", on_level = 0.9, off_level = 0.1, mean_on_s = 900, mean_off_s = 1800 }".into(),
        };
        let boot = if self.boot {
            "boot_s = 120\nboot_energy_j = 12000\nshutdown_s = 30\nshutdown_energy_j = 3000\n"
        } else {
            ""
        };
        let failures = if self.failures {
            "mtbf_s = 20000\nmttr_s = 1800\n"
        } else {
            ""
        };
        format!(
            r#"
name = "random"
seed = {seed}
duration_s = {duration}

[datacenter]
cpu_overcommit = {overcommit}

[[hosts]]
type = "node"
count = {hosts}
cores = {cores}
core_mips = 1000
memory_mb = 65536
power = {{ model = "linear", idle_w = {idle}, max_w = {max} }}
{boot}{failures}
[[vm_types]]
name = "v"
vcpus = {vcpus}
mips = 1000
memory_mb = 4096
crash_rate_per_day = {crash}

[workload]
vm_boot_s = 20

[[workload.generators]]
vm_type = "v"
count = {vms}
arrival = {{ process = "poisson", rate_per_hour = {rate} }}
lifetime = {{ dist = "exponential", mean_s = {life} }}
utilisation = {pattern}

[policies]
placement = "{placement}"
reallocation = "{reallocation}"
power_off_idle = {off}

[failures]
detection_s = 60
"#,
            seed = self.seed,
            duration = self.duration_h * 3600,
            overcommit = self.overcommit,
            hosts = self.hosts,
            cores = self.cores,
            idle = self.idle_w,
            max = self.max_w,
            vcpus = self.vcpus,
            crash = if self.failures { 2.0 } else { 0.0 },
            vms = self.vms,
            rate = self.arrival_per_hour,
            life = self.lifetime_s,
            placement = PLACEMENTS[self.placement],
            reallocation = REALLOCATIONS[self.reallocation],
            off = self.power_off_idle,
        )
    }

    fn run(&self) -> RunResult {
        let scenario = Scenario::parse(&self.text(), Path::new("p.toml"), Path::new("."), &[])
            .unwrap_or_else(|e| panic!("a generated scenario is valid: {e}\n{}", self.text()));
        let mut os = orrery_policies::registry::cloud_os(&scenario, scenario.spec.seed).unwrap();
        let mut sim = Simulator::new(&scenario, None).unwrap();
        os.run(&mut sim).unwrap();
        sim.finish()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_scenario_conserves_vms_energy_and_capacity(r in random()) {
        let result = r.run();
        let s = &result.summary;
        let duration = f64::from(r.duration_h) * 3600.0;
        // Energy between the idle floor and the peak ceiling of the hosts' powered time (boot
        // and shutdown energy on top of the ceiling; they are paid per transition).
        let powered_host_s = s.mean_active_hosts * duration;
        let joules = s.energy_kwh * 3.6e6;
        let transitions = (s.host_shutdowns as f64 + f64::from(r.hosts) * 2.0) * 12_000.0
            + s.host_failures as f64 * 12_000.0;
        if !r.boot {
            prop_assert!(joules >= r.idle_w * powered_host_s - 1e-6,
                "{joules} J below the idle floor {} J", r.idle_w * powered_host_s);
        }
        let ceiling = r.max_w * powered_host_s + if r.boot { transitions * 100.0 } else { 0.0 };
        prop_assert!(joules <= ceiling + 1e-6, "{joules} J above the ceiling {ceiling} J");
        // Capacity: no interval executes more than the hosts have, and shortfall is a fraction.
        for row in &result.intervals {
            prop_assert!((0.0..=1.0 + 1e-9).contains(&row.cpu_util_mean), "{row:?}");
            prop_assert!((0.0..=1.0).contains(&row.cpu_shortfall_ratio), "{row:?}");
            prop_assert!(row.active_hosts <= u64::from(r.hosts));
            let boot_w = if r.boot { 1000.0 } else { 0.0 };
            let peak_w = r.max_w * f64::from(r.hosts) + boot_w;
            prop_assert!(row.power_w <= peak_w + 1e-6, "{} W above {peak_w} W", row.power_w);
        }
        // VMs: every request that arrived is counted, none twice; the VMs each interval reports
        // running never exceed what arrived.
        prop_assert!(s.vms_rejected + s.vms_pending <= s.vms_total);
        prop_assert!(s.vms_total <= u64::from(r.vms));
        for row in &result.intervals {
            prop_assert!(row.vms_running <= s.vms_total);
        }
        // The usage books: a VM's stays never overlap, and lie within the run.
        let mut stays: Vec<(&str, f64, f64)> = result
            .usage
            .iter()
            .map(|u| (u.name.as_str(), u.start_s, u.end_s))
            .collect();
        stays.sort_by(|a, b| a.0.cmp(b.0).then(a.1.total_cmp(&b.1)));
        for w in stays.windows(2) {
            if w[0].0 == w[1].0 {
                prop_assert!(w[0].2 <= w[1].1 + 1e-9, "{} stays overlap: {:?} {:?}", w[0].0, w[0], w[1]);
            }
        }
        for st in &stays {
            prop_assert!(0.0 <= st.1 && st.1 <= st.2 && st.2 <= duration + 1e-9, "{st:?}");
        }
    }

    #[test]
    fn a_run_is_a_function_of_the_scenario_and_the_seed(r in random()) {
        let a = r.run();
        let b = r.run();
        let json = |x: &RunResult| {
            serde_json::to_string(&(&x.summary, &x.intervals, &x.events, &x.audit)).unwrap()
        };
        prop_assert_eq!(json(&a), json(&b));
    }
}
