//! Live mode against libvirt's test driver: each action on real (in-process) test-driver hosts,
//! dry runs, unmanaged domains, limits, and a consolidation plan carried out end to end.

mod live;

use live::*;
use orrery_engine::action::Action;
use orrery_engine::control::CloudOs;
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_engine::model::VmState;
use orrery_engine::rng::RngStreams;
use orrery_live::clock::ManualClock;
use orrery_live::hypervisor::{Calls, DomState};
use orrery_live::journal::{Planned, Record};
use orrery_policies::registry;

const FIRST_FIT: &str = "placement = \"first-fit\"";

#[test]
fn deploy_suspend_resume_resize_and_shutdown_act_on_the_hosts() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[]);
    node(dir.path(), 1, &[]);
    let config = config(dir.path(), 2, &["a"], FIRST_FIT, "");
    let hv = open(&config, &[]);
    let mut live = live(config, hv, ManualClock::new(), true, 1);
    assert_eq!(
        live.next_decision().unwrap(),
        Some(Decision::Place(vec![0]))
    );
    assert_eq!(live.view().vms[0].state, VmState::Pending);

    assert_eq!(
        live.apply(vec![Action::Deploy { vm: 0, host: 1 }]),
        vec![Ok(())]
    );
    let a = live
        .hypervisor()
        .domain(1, "a")
        .unwrap()
        .expect("defined on h-1");
    assert_eq!(a.state, DomState::Running);
    assert_eq!(a.template.as_deref(), Some("small"));
    assert_eq!(
        (a.vcpus, a.memory_kib, a.max_memory_kib),
        (2, 2048 * 1024, 4096 * 1024)
    );
    assert_eq!(live.hypervisor().domain(0, "a").unwrap(), None);

    live.observe();
    assert_eq!(live.view().vms[0].state, VmState::Running);
    assert_eq!(live.view().vms[0].host, Some(1));
    assert_eq!(live.apply(vec![Action::Suspend { vm: 0 }]), vec![Ok(())]);
    assert_eq!(
        live.hypervisor().domain(1, "a").unwrap().unwrap().state,
        DomState::Paused
    );
    live.observe();
    assert_eq!(live.view().vms[0].state, VmState::Suspended);
    assert_eq!(live.apply(vec![Action::Resume { vm: 0 }]), vec![Ok(())]);
    assert_eq!(
        live.hypervisor().domain(1, "a").unwrap().unwrap().state,
        DomState::Running
    );

    live.observe();
    let resize = |vcpus, memory_mb| Action::Resize {
        vm: 0,
        vcpus,
        memory_mb,
    };
    let r = live.apply(vec![resize(Some(3), Some(3072.0)), resize(Some(8), None)]);
    assert_eq!(r[0], Ok(()));
    assert!(r[1].as_ref().unwrap_err().contains("maximum"), "{r:?}");
    let a = live.hypervisor().domain(1, "a").unwrap().unwrap();
    assert_eq!((a.vcpus, a.memory_kib), (3, 3072 * 1024));
    live.observe();
    let v = live.view();
    assert_eq!((v.vm_vcpus(0), v.vm_memory_mb(0)), (3, 3072.0));
    assert_eq!(v.hosts[1].reserved_memory_mb, 3072.0);

    assert_eq!(live.apply(vec![Action::Shutdown { vm: 0 }]), vec![Ok(())]);
    assert_eq!(live.hypervisor().domain(1, "a").unwrap(), None);

    // Every attempted action was journaled before it ran and closed after; the refused resize
    // never reached the journal.
    let kinds: Vec<&str> = live
        .journal()
        .iter()
        .map(|r| match r {
            Record::Intent { action, .. } => match action {
                Planned::Deploy { .. } => "deploy",
                Planned::Suspend { .. } => "suspend",
                Planned::Resume { .. } => "resume",
                Planned::Resize { .. } => "resize",
                Planned::Shutdown { .. } => "shutdown",
                _ => "other",
            },
            Record::Done { .. } => "done",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "deploy", "done", "suspend", "done", "resume", "done", "resize", "done", "shutdown",
            "done"
        ]
    );
}

fn consolidation_setup(dir: &std::path::Path) -> (orrery_live::config::LiveConfig, ManualClock) {
    (consolidation(dir), ManualClock::new())
}

fn loads(clock: &ManualClock, hv: orrery_live::Libvirt) -> Loads<orrery_live::Libvirt> {
    loads_of_consolidation(clock, hv)
}

fn run_loop<H: orrery_live::hypervisor::Hypervisor>(
    config: &orrery_live::config::LiveConfig,
    live: &mut orrery_live::Live<H>,
) -> orrery_engine::control::LoopStats {
    let placement = registry::placement(config).unwrap();
    let reallocation = registry::reallocation(config).unwrap();
    CloudOs::new(placement, reallocation, &RngStreams::new(0))
        .run(live)
        .unwrap()
}

#[test]
fn a_consolidation_plan_runs_end_to_end_and_leaves_unmanaged_domains_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (config, clock) = consolidation_setup(dir.path());
    let hv = loads(&clock, open(&config, &[]));
    let mut live = live(config.clone(), hv, clock, true, 2);
    run_loop(&config, &mut live);
    // Round 1 has no CPU-time delta yet: every host reads 0 % and consolidation (which skips
    // idle hosts) moves nothing. Round 2: h-0 carries a's 800 MIPS and legacy's 800 of 16 000
    // (10 %), h-1 and h-2 5 % each, all below THR 0.8. The underload phase drains the least
    // utilised host, h-1 (first of the two at 5 %): PABFD's power increase is the same on every
    // identical linear host, so b goes to the first that fits, h-0. Then h-2 (h-1 is being
    // drained): c to h-0. Both emptied hosts are powered off.
    let view = live.view();
    assert_eq!(
        view.host_type(0).memory_mb,
        16384.0 - 2048.0,
        "legacy's memory is withheld"
    );
    let at = placement(live.hypervisor(), 3);
    for v in ["a", "b", "c"] {
        assert_eq!(at[v], vec![(0, DomState::Running)], "{v}: {at:?}");
    }
    let log = std::fs::read_to_string(dir.path().join("power.log")).unwrap();
    assert_eq!(log, "off h-1\noff h-2\n");
    // The unmanaged domain was never touched.
    let legacy = live.hypervisor().domain(0, "legacy").unwrap().unwrap();
    assert_eq!((legacy.state, legacy.template), (DomState::Running, None));
}

#[test]
fn a_dry_run_changes_nothing_and_writes_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    let (config, clock) = consolidation_setup(dir.path());
    let mut hv = loads(&clock, open(&config, &[]));
    let before = snapshot(&mut hv, 3);
    let mut live = live(config.clone(), hv, clock, false, 2);
    let stats = run_loop(&config, &mut live);
    assert!(
        stats.actions > 0,
        "the policies planned something: {stats:?}"
    );
    assert_eq!(stats.refused, stats.actions, "a dry run applies nothing");
    assert_eq!(snapshot(live.hypervisor(), 3), before);
    assert!(!dir.path().join("live.journal").exists());
    assert!(!dir.path().join("power.log").exists());
}

#[test]
fn limits_cap_actions_and_migrations_per_interval() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[running("a"), running("b"), running("c")]);
    node(dir.path(), 1, &[]);
    let extra = "[limits]\nmax_actions = 2\nmax_migrations = 1";
    let config = config(dir.path(), 2, &[], FIRST_FIT, extra);
    let hv = open(&config, &[]);
    let mut live = live(config, hv, ManualClock::new(), true, 1);
    live.observe();
    let r = live.apply(vec![
        Action::Migrate { vm: 0, to: 1 },
        Action::Migrate { vm: 1, to: 1 },
        Action::Suspend { vm: 2 },
        Action::Suspend { vm: 1 },
    ]);
    assert_eq!(r[0], Ok(()));
    assert!(r[1].as_ref().unwrap_err().contains("1 migrations"), "{r:?}");
    assert_eq!(r[2], Ok(()));
    assert!(r[3].as_ref().unwrap_err().contains("2 actions"), "{r:?}");
    let at = placement(live.hypervisor(), 2);
    assert_eq!(at["a"], vec![(1, DomState::Running)]);
    assert_eq!(at["b"], vec![(0, DomState::Running)]);
    assert_eq!(at["c"], vec![(0, DomState::Paused)]);
}

#[test]
fn unmanaged_domains_are_not_vms_and_cannot_be_targeted() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[foreign("legacy"), running("a")]);
    let config = config(dir.path(), 1, &[], FIRST_FIT, "");
    let hv = open(&config, &[]);
    let mut live = live(config, hv, ManualClock::new(), true, 1);
    live.observe();
    let names: Vec<&str> = live.view().vms.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["a"], "only the tagged domain is a VM");
    // Id 1 does not exist: nothing can name `legacy`.
    let r = live.apply(vec![Action::Shutdown { vm: 1 }]);
    assert!(r[0].is_err());
    let legacy = live.hypervisor().domain(0, "legacy").unwrap().unwrap();
    assert_eq!(legacy.state, DomState::Running);
}
