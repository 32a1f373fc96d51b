//! The four policy families of Table 1 on the shipped datacenter: each wins on its own
//! criterion, and no reallocation policy oscillates or exceeds its budget.

mod common;

use std::collections::BTreeMap;

use orrery_engine::metrics::{RunResult, Summary};

const FAMILIES: [&str; 4] = [
    "consolidation",
    "workload-balance",
    "cpu-balance",
    "thermal-balance",
];

fn run(family: &str) -> RunResult {
    let path = common::root().join(format!("scenarios/table1/{family}.toml"));
    let scenario = orrery::load_scenario(Some(&path), &[]).expect("scenario loads");
    orrery::run(&scenario, None).expect("run")
}

#[test]
fn each_family_wins_on_its_own_criterion() {
    let paths: Vec<_> = FAMILIES
        .iter()
        .map(|f| common::root().join(format!("scenarios/table1/{f}.toml")))
        .collect();
    let runs: BTreeMap<&str, Summary> = FAMILIES
        .iter()
        .copied()
        .zip(orrery::compare(&paths, &[], None).expect("comparison runs"))
        .collect();
    let by = |f: &str| &runs[f];
    for s in runs.values() {
        assert_eq!(
            s.vms_rejected + s.vms_pending,
            0,
            "{}: every VM placed",
            s.scenario
        );
        assert!(s.cooling_energy_kwh > 0.0 && s.max_host_temperature_c.is_some());
    }
    // Consolidation runs on the fewest hosts, and so uses the least energy with cooling.
    for f in &FAMILIES[1..] {
        assert!(
            by("consolidation").mean_active_hosts < 0.7 * by(f).mean_active_hosts,
            "{f}"
        );
        assert!(
            by("consolidation").total_energy_kwh < by(f).total_energy_kwh,
            "{f}"
        );
    }
    // Thermal balance has the lowest peak temperature and never crosses the red line.
    let thermal = by("thermal-balance");
    for f in &FAMILIES[..3] {
        assert!(
            thermal.max_host_temperature_c < by(f).max_host_temperature_c,
            "{f}: {:?} vs {:?}",
            thermal.max_host_temperature_c,
            by(f).max_host_temperature_c
        );
    }
    assert_eq!(thermal.time_above_redline_s, 0.0);
    // The balance policies deliver the most CPU: lowest shortfall.
    for balanced in ["workload-balance", "cpu-balance"] {
        for other in ["consolidation", "thermal-balance"] {
            assert!(
                by(balanced).cpu_shortfall_ratio < by(other).cpu_shortfall_ratio,
                "{balanced} vs {other}"
            );
        }
    }
}

#[test]
fn reallocations_respect_budget_and_never_ping_pong() {
    for family in FAMILIES {
        let r = run(family);
        let scenario = orrery::load_scenario(
            Some(&common::root().join(format!("scenarios/table1/{family}.toml"))),
            &[],
        )
        .unwrap();
        let p = &scenario.spec.policies;
        // Every interval holds one reallocation round.
        for row in &r.intervals {
            assert!(
                row.migrations as usize <= p.migration_budget,
                "{family}: {} migrations at {} s",
                row.migrations,
                row.time_s
            );
        }
        // A VM that leaves a host does not come back within the cooldown.
        let round_s = scenario.spec.policies.reallocation_interval_s;
        let mut last: BTreeMap<usize, (f64, Option<usize>)> = BTreeMap::new();
        for e in r.events.iter().filter(|e| e.kind == "migration-start") {
            let vm = e.vm.unwrap();
            let from: Option<usize> = e
                .detail
                .strip_prefix("from ")
                .and_then(|d| d.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|d| d.parse().ok());
            if let Some(&(t, Some(left))) = last.get(&vm) {
                assert!(
                    !(e.host == Some(left)
                        && e.time_s - t <= round_s * f64::from(p.cooldown_rounds)),
                    "{family}: vm {vm} went back to host {left} at {} s",
                    e.time_s
                );
            }
            last.insert(vm, (e.time_s, from));
        }
    }
}

#[test]
fn per_host_temperatures_agree_with_the_interval_figures() {
    let r = run("thermal-balance");
    let hosts = r.summary.hosts_total as usize;
    assert_eq!(r.temperatures.len(), hosts * r.intervals.len());
    // One block of `hosts` rows per update, hosts in order; its maximum is the interval's.
    for (row, block) in r.intervals.iter().zip(r.temperatures.chunks(hosts)) {
        assert!(block.iter().enumerate().all(|(h, t)| t.host == h));
        assert!(block.iter().all(|t| t.time_s == row.time_s));
        let max = block
            .iter()
            .map(|t| t.temperature_c)
            .fold(f64::MIN, f64::max);
        assert_eq!(Some(max), row.max_temperature_c, "at {} s", row.time_s);
    }
}
