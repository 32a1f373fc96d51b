//! Live-mode safety on libvirt's test driver: an injected failure at every call of a plan
//! loses and duplicates nothing, and start-up reconciliation settles every way a crash can
//! interrupt an action (the partial states are built in the node files, as a crash would
//! leave them on real hosts).

mod live;

use std::collections::BTreeMap;

use live::*;
use orrery_engine::action::Action;
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_live::clock::ManualClock;
use orrery_live::config::LiveConfig;
use orrery_live::hypervisor::{Call, Calls, DomState, ErrorKind};
use orrery_live::journal::{Journal, Planned, Record};
use orrery_live::Libvirt;

const FIRST_FIT: &str = "placement = \"first-fit\"";

/// h-0 runs a and b, h-1 runs c, h-2 is empty; d is to be deployed.
fn setup(dir: &std::path::Path) -> LiveConfig {
    node(dir, 0, &[running("a"), running("b")]);
    node(dir, 1, &[running("c")]);
    node(dir, 2, &[]);
    config(dir, 3, &["a", "b", "c", "d"], FIRST_FIT, "")
}

/// Ids: a 0, b 1, c 2, d 3 (the config's order).
fn plan() -> Vec<Action> {
    vec![
        Action::Deploy { vm: 3, host: 2 },
        Action::Migrate { vm: 0, to: 1 },
        Action::Migrate { vm: 1, to: 2 },
        Action::Suspend { vm: 2 },
        Action::Resize {
            vm: 2,
            vcpus: Some(3),
            memory_mb: None,
        },
        Action::Resume { vm: 2 },
    ]
}

type Where = BTreeMap<String, Vec<(usize, DomState)>>;

/// Observes, then runs the plan with its call number `fail_at` failing with `kind`, then
/// restarts (reconciling) on the same hosts; returns where every VM ended up, how many calls
/// the plan made and the journal.
fn run(fail_at: usize, kind: ErrorKind) -> (Where, usize, Vec<Record>) {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let hv = Flaky {
        inner: open(&config, &[]),
        calls: 0,
        fail_at: usize::MAX,
        kind,
    };
    let mut first = live(config.clone(), hv, ManualClock::new(), true, 1);
    first.observe();
    let before = first.hypervisor().calls;
    first.hypervisor().fail_at = before.saturating_add(fail_at);
    first.apply(plan());
    let hv = first.into_hypervisor();
    let calls = hv.calls - before;
    let restarted = live(config, hv, ManualClock::new(), true, 1);
    let records = restarted.journal().to_vec();
    let mut hv = restarted.into_hypervisor();
    (placement(&mut hv, 3), calls, records)
}

#[test]
fn a_failure_at_any_call_of_a_plan_loses_and_duplicates_no_vm() {
    let (clean, calls, _) = run(usize::MAX, ErrorKind::Permanent);
    // Without failures: d deployed on h-2, a moved cold to h-1, b to h-2, c resized and running.
    assert_eq!(clean["a"], vec![(1, DomState::Running)]);
    assert_eq!(clean["b"], vec![(2, DomState::Running)]);
    assert_eq!(clean["c"], vec![(1, DomState::Running)]);
    assert_eq!(clean["d"], vec![(2, DomState::Running)]);
    assert!(calls > 20, "the plan makes {calls} calls");
    for k in 1..=calls {
        // A transient failure is retried: the outcome is the failure-free one.
        let (at, _, records) = run(k, ErrorKind::Transient);
        assert_eq!(at, clean, "transient failure at call {k}");
        assert!(open_intents(&records).is_empty(), "call {k}: {records:?}");
        // A permanent failure fails (at most) its action, which is undone or finished: every
        // VM that ran still runs on exactly one host and is defined nowhere else; d runs at
        // most once.
        let (at, _, records) = run(k, ErrorKind::Permanent);
        for v in ["a", "b", "c"] {
            let copies = &at[v];
            assert_eq!(copies.len(), 1, "{v} after a failure at call {k}: {at:?}");
            assert!(
                copies[0].1.is_active(),
                "{v} after a failure at call {k}: {at:?}"
            );
        }
        assert!(
            at.get("d").is_none_or(|c| c.len() == 1),
            "d after a failure at call {k}: {at:?}"
        );
        assert!(open_intents(&records).is_empty(), "call {k}: {records:?}");
    }
}

fn open_intents(records: &[Record]) -> Vec<u64> {
    let mut open = Vec::new();
    for r in records {
        match r {
            Record::Intent { seq, .. } => open.push(*seq),
            Record::Done { seq, .. }
            | Record::Failed { seq, .. }
            | Record::Reconciled { seq, .. } => open.retain(|s| s != seq),
            _ => {}
        }
    }
    open
}

/// Journals `action` as begun but not ended, as a crash right after its intent leaves it.
fn interrupted(config: &LiveConfig, action: Planned) {
    let mut j = Journal::open(&config.journal_path()).unwrap();
    j.intent(action, &Default::default()).unwrap();
}

fn migrate_a() -> Planned {
    Planned::Migrate {
        vm: "a".into(),
        from: "h-0".into(),
        to: "h-1".into(),
    }
}

/// Restarts on `hv`, returning where the managed VMs are and the reconciliation outcome.
fn restart(config: LiveConfig, hv: Libvirt, hosts: usize) -> (Where, String) {
    let live = live(config, hv, ManualClock::new(), true, 1);
    let outcome = live
        .journal()
        .iter()
        .find_map(|r| match r {
            Record::Reconciled { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .expect("the interrupted action was reconciled");
    let mut hv = live.into_hypervisor();
    (placement(&mut hv, hosts), outcome)
}

#[test]
fn a_cold_move_cut_after_defining_on_the_target_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[stopped("a")]);
    node(dir.path(), 1, &[stopped("a")]);
    let config = config(dir.path(), 2, &["a"], FIRST_FIT, "");
    interrupted(&config, migrate_a());
    let hv = open(&config, &[(0, "a"), (1, "a")]);
    let (at, outcome) = restart(config, hv, 2);
    assert_eq!(at["a"], vec![(1, DomState::Running)], "{outcome}");
    assert!(outcome.starts_with("finished"), "{outcome}");
}

#[test]
fn a_cold_move_cut_after_stopping_the_source_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[stopped("a")]);
    node(dir.path(), 1, &[]);
    let config = config(dir.path(), 2, &["a"], FIRST_FIT, "");
    interrupted(&config, migrate_a());
    let hv = open(&config, &[(0, "a")]);
    let (at, outcome) = restart(config, hv, 2);
    assert_eq!(at["a"], vec![(0, DomState::Running)], "{outcome}");
    assert!(outcome.starts_with("rolled back"), "{outcome}");
}

#[test]
fn a_cold_move_cut_after_starting_on_the_target_undefines_the_source() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[stopped("a")]);
    node(dir.path(), 1, &[running("a")]);
    let config = config(dir.path(), 2, &["a"], FIRST_FIT, "");
    interrupted(&config, migrate_a());
    let hv = open(&config, &[(0, "a")]);
    let (at, outcome) = restart(config, hv, 2);
    assert_eq!(at["a"], vec![(1, DomState::Running)], "{outcome}");
}

/// A live migration cut while the destination held its paused incoming copy (cancelled, or
/// the daemon froze): the source still runs the VM, so the copy is removed, after waiting for
/// the destination to tear it down itself.
#[test]
fn a_live_migration_cut_with_an_incoming_copy_keeps_the_source() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[running("a")]);
    node(dir.path(), 1, &[running("a")]);
    let config = config(dir.path(), 2, &["a"], FIRST_FIT, "");
    interrupted(&config, migrate_a());
    let mut hv = open(&config, &[]);
    hv.act(1, Call::Suspend("a")).unwrap();
    let (at, outcome) = restart(config, hv, 2);
    assert_eq!(at["a"], vec![(0, DomState::Running)], "{outcome}");
    assert_eq!(
        outcome,
        "rolled back: it never left h-0; the incomplete copy on h-1 was removed"
    );
}

#[test]
fn a_deploy_cut_after_defining_is_finished_and_one_cut_before_is_placed_once() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[stopped("a")]);
    node(dir.path(), 1, &[]);
    let config = config(dir.path(), 2, &["a", "b"], FIRST_FIT, "");
    let deploy = |vm: &str, host: &str| Planned::Deploy {
        vm: vm.into(),
        host: host.into(),
        template: "small".into(),
        uuid: None,
    };
    interrupted(&config, deploy("a", "h-0"));
    interrupted(&config, deploy("b", "h-1"));
    let hv = open(&config, &[(0, "a")]);
    let mut live = live(config, hv, ManualClock::new(), true, 1);
    let outcomes: Vec<String> = live
        .journal()
        .iter()
        .filter_map(|r| match r {
            Record::Reconciled { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].starts_with("finished"), "{outcomes:?}");
    assert!(outcomes[1].starts_with("rolled back"), "{outcomes:?}");
    // b was never defined: it is pending again, and placing it deploys it exactly once.
    assert_eq!(
        live.next_decision().unwrap(),
        Some(Decision::Place(vec![1]))
    );
    assert_eq!(
        live.apply(vec![Action::Deploy { vm: 1, host: 0 }]),
        vec![Ok(())]
    );
    let mut hv = live.into_hypervisor();
    let at = placement(&mut hv, 2);
    assert_eq!(at["a"], vec![(0, DomState::Running)]);
    assert_eq!(at["b"], vec![(0, DomState::Running)]);
}

/// One domain as a host lists it: name, UUID, state and owner tag (CPU time left out).
type Listed = (String, String, DomState, Option<String>);

/// Every domain on every host.
fn everything(hv: &mut Libvirt, hosts: usize) -> Vec<Vec<Listed>> {
    use orrery_live::hypervisor::Calls;
    (0..hosts)
        .map(|h| {
            hv.domains(h)
                .unwrap()
                .into_iter()
                .map(|d| (d.name, d.uuid, d.state, d.owner))
                .collect()
        })
        .collect()
}

/// A deploy of a listed VM whose name is taken on the target host by an untagged domain or
/// by another owner's is refused, and neither domain is touched.
#[test]
fn a_deploy_onto_a_same_name_domain_orrery_does_not_own_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    node(
        dir.path(),
        0,
        &[foreign("a"), owned_by("b", "someone-else")],
    );
    let config = config(dir.path(), 1, &["a", "b"], FIRST_FIT, "");
    let mut hv = open(&config, &[(0, "a"), (0, "b")]);
    let before = everything(&mut hv, 1);
    let mut live = live(config, hv, ManualClock::new(), true, 1);
    assert_eq!(
        live.next_decision().unwrap(),
        Some(Decision::Place(vec![0, 1]))
    );
    let results = live.apply(vec![
        Action::Deploy { vm: 0, host: 0 },
        Action::Deploy { vm: 1, host: 0 },
    ]);
    let a = results[0].as_ref().unwrap_err();
    let b = results[1].as_ref().unwrap_err();
    assert!(
        a.contains("not this config's (it carries no orrery tag)"),
        "{a}"
    );
    assert!(b.contains("it belongs to `someone-else`"), "{b}");
    assert_eq!(everything(live.hypervisor(), 1), before);
    // Refused before anything started: the journal says so, nothing is left open.
    assert!(open_intents(live.journal()).is_empty());
}

/// A move onto a host where the VM's name is taken by a domain orrery does not own is
/// refused: the VM keeps running where it was (never undefined), the other domain untouched.
#[test]
fn a_move_onto_a_same_name_domain_orrery_does_not_own_is_refused() {
    for other in [foreign("a"), owned_by("a", "someone-else")] {
        let dir = tempfile::tempdir().unwrap();
        node(dir.path(), 0, &[running("a")]);
        node(dir.path(), 1, &[other]);
        let config = config(dir.path(), 2, &["a"], FIRST_FIT, "");
        let mut hv = open(&config, &[]);
        let before = everything(&mut hv, 2);
        let mut live = live(config, hv, ManualClock::new(), true, 1);
        live.next_decision().unwrap();
        let r = live.apply(vec![Action::Migrate { vm: 0, to: 1 }]);
        let e = r[0].as_ref().unwrap_err();
        assert!(e.contains("is not this config's"), "{e}");
        assert_eq!(everything(live.hypervisor(), 2), before);
    }
}

/// A domain that carries this config's tag but not the UUID the journal recorded for that VM
/// (a different domain under the same name) is not the VM: it is left alone, and the VM is not
/// deployed over it.
#[test]
fn a_tagged_domain_with_another_uuid_than_the_journaled_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[stopped("a")]);
    let config = config(dir.path(), 1, &["a"], FIRST_FIT, "");
    // The journal knows a as another domain.
    Journal::open(&config.journal_path())
        .unwrap()
        .adopt("a", "11111111-2222-4333-8444-555555555555", 0)
        .unwrap();
    let mut hv = open(&config, &[(0, "a")]);
    let before = everything(&mut hv, 1);
    let mut live = live(config, hv, ManualClock::new(), true, 1);
    // Not the VM: a is pending.
    assert_eq!(
        live.next_decision().unwrap(),
        Some(Decision::Place(vec![0]))
    );
    let r = live.apply(vec![Action::Deploy { vm: 0, host: 0 }]);
    let e = r[0].as_ref().unwrap_err();
    // (The deploy's intent recorded the UUID the new domain would have had.)
    assert!(e.contains("the journal recorded"), "{e}");
    assert_eq!(everything(live.hypervisor(), 1), before);
}
