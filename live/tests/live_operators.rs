//! Live mode for operators, against libvirt's test driver: plans written, reviewed, partly
//! invalidated and applied exactly; cancelled plans; maintenance (drain, then hold); the
//! residence rules; a stop signal between actions; the metrics the loop counts.

mod live;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use live::*;
use orrery_engine::action::Action;
use orrery_engine::control::CloudOs;
use orrery_engine::infra::Infrastructure;
use orrery_engine::policy::Reallocation;
use orrery_engine::rng::{Rng, RngStreams};
use orrery_engine::view::ClusterView;
use orrery_live::clock::{Clock, ManualClock};
use orrery_live::config::LiveConfig;
use orrery_live::history::{self, Outcome};
use orrery_live::hypervisor::{Call, Calls, DomState, DriverError, Hypervisor, Reply};
use orrery_live::journal::{Actor, Planned, Record};
use orrery_live::plan::PlanFile;
use orrery_live::{requests, ApplyReport, Live, LiveOptions};
use orrery_policies::registry;

fn loads<H: Hypervisor>(clock: &ManualClock, hv: H) -> Loads<H> {
    loads_of_consolidation(clock, hv)
}

fn with<H: Hypervisor>(
    config: &LiveConfig,
    hv: H,
    clock: &ManualClock,
    opts: LiveOptions,
) -> Live<H> {
    Live::new(
        config.clone(),
        hv,
        Box::new(clock.clone()),
        Box::new(std::io::sink()),
        opts,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn run<H: Hypervisor>(config: &LiveConfig, live: &mut Live<H>) {
    let placement = registry::placement(config).unwrap();
    let reallocation = registry::reallocation(config).unwrap();
    CloudOs::new(placement, reallocation, &RngStreams::new(0))
        .run(live)
        .unwrap();
}

fn records(config: &LiveConfig) -> Vec<Record> {
    let path = config.journal_path();
    let text = std::fs::read_to_string(&path).unwrap();
    orrery_live::journal::Journal::parse_records(&path, &text).unwrap()
}

#[test]
fn a_reviewed_plan_is_applied_exactly_and_steps_a_change_invalidated_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let config = consolidation(dir.path());
    let clock = ManualClock::new();
    let plan_path = dir.path().join("plan.json");
    // Plan: one round, after measuring utilisation for an interval; nothing changes.
    let mut live = with(
        &config,
        loads(&clock, open(&config, &[])),
        &clock,
        LiveOptions {
            rounds: Some(1),
            plan_out: Some(plan_path.clone()),
            warmup: Some(Duration::from_secs(300)),
            ..LiveOptions::default()
        },
    );
    run(&config, &mut live);
    let mut hv = live.into_hypervisor();
    assert!(
        !config.journal_path().exists(),
        "planning writes no journal"
    );
    let plan = PlanFile::load(&plan_path).unwrap();
    let migrate = |vm: &str, from: &str| Planned::Migrate {
        vm: vm.into(),
        from: from.into(),
        to: "h-0".into(),
    };
    let off = |h: &str| (h.to_string(), "power-off");
    let steps: Vec<(String, &str)> = plan
        .steps
        .iter()
        .map(|s| match &s.action {
            Planned::PowerOff { host, .. } => (host.clone(), "power-off"),
            a => (format!("{a:?}"), "other"),
        })
        .collect();
    assert_eq!(plan.steps[0].action, migrate("b", "h-1"));
    assert_eq!(plan.steps[1].action, migrate("c", "h-2"));
    assert_eq!(&steps[2..], [off("h-1"), off("h-2")]);
    assert!(plan
        .steps
        .iter()
        .all(|s| s.decision == "reallocation" && s.reason == "reallocation by consolidation"));
    // The cluster the plan was computed from: as observed, before its own steps.
    let hosts: Vec<(&str, &str, Vec<String>)> = plan
        .observed
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.power.as_str(), h.vms.clone()))
        .collect();
    assert_eq!(
        hosts,
        [
            ("h-0", "on", vec!["a".to_string()]),
            ("h-1", "on", vec!["b".to_string()]),
            ("h-2", "on", vec!["c".to_string()]),
        ]
    );
    assert!((plan.observed.vms[1].utilisation - 0.2).abs() < 1e-9);

    // Between plan and apply, an operator shuts c down by hand: its move no longer holds.
    hv.act(2, Call::Destroy("c")).unwrap();
    hv.act(2, Call::Undefine("c")).unwrap();

    let mut live = with(
        &config,
        hv,
        &clock,
        LiveOptions {
            apply: true,
            rounds: Some(1),
            ..LiveOptions::default()
        },
    );
    let report = live.apply_plan(&plan).unwrap();
    assert_eq!(
        report,
        ApplyReport {
            done: 3,
            skipped: 1,
            failed: 0
        }
    );
    let at = placement(live.hypervisor(), 3);
    assert_eq!(at["a"], vec![(0, DomState::Running)]);
    assert_eq!(at["b"], vec![(0, DomState::Running)]);
    assert!(!at.contains_key("c"), "{at:?}");
    let log = std::fs::read_to_string(dir.path().join("power.log")).unwrap();
    assert_eq!(log, "off h-1\noff h-2\n");
    // The same plan is applied at most once.
    let again = live.apply_plan(&plan).unwrap_err().to_string();
    assert!(again.contains("already applied"), "{again}");
    drop(live);

    // The journal says who, why and from which plan; the skipped step with its reason.
    let entries = history::entries(&records(&config));
    // (The test driver's domains carry orrery's tag: the first run with apply adopts them.)
    let lines: Vec<(String, Actor, String, Option<String>)> = entries
        .iter()
        .filter(|e| e.kind != "adopt")
        .map(|e| {
            let outcome = match &e.outcome {
                Outcome::Skipped(why) => format!("skipped: {why}"),
                o => format!("{o:?}").to_lowercase(),
            };
            (e.text.clone(), e.actor, outcome, e.plan.clone())
        })
        .collect();
    let id = Some(plan.id.clone());
    let op = |text: &str, outcome: &str| {
        (
            text.to_string(),
            Actor::Operator,
            outcome.to_string(),
            id.clone(),
        )
    };
    assert_eq!(
        lines,
        [
            op(&format!("apply plan {}", plan.id), "done"),
            op("migrate b from h-1 to h-0", "done"),
            op(
                "migrate c from h-2 to h-0",
                "skipped: c is pending and on no host now, the plan saw it on h-2"
            ),
            op("power off h-1", "done"),
            op("power off h-2", "done"),
        ]
    );
    let b = entries
        .iter()
        .find(|e| e.text.starts_with("migrate b"))
        .unwrap();
    assert!(b.reason == "reallocation by consolidation" && b.at_ms > 0);
}

#[test]
fn a_cancelled_plan_is_not_applied_and_a_plan_for_another_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = consolidation(dir.path());
    let clock = ManualClock::new();
    let plan_path = dir.path().join("plan.json");
    let opts = LiveOptions {
        rounds: Some(1),
        plan_out: Some(plan_path.clone()),
        warmup: Some(Duration::from_secs(300)),
        ..LiveOptions::default()
    };
    let mut live = with(&config, loads(&clock, open(&config, &[])), &clock, opts);
    run(&config, &mut live);
    let hv = live.into_hypervisor();
    let mut plan = PlanFile::load(&plan_path).unwrap();
    assert_eq!(plan.steps.len(), 4);
    requests::append(
        &config.journal_path(),
        &requests::Request::Cancel {
            plan: plan.id.clone(),
            at_ms: 1,
        },
    )
    .unwrap();
    let apply = LiveOptions {
        apply: true,
        ..LiveOptions::default()
    };
    let mut live = with(&config, hv, &clock, apply);
    let e = live.apply_plan(&plan).unwrap_err().to_string();
    assert!(e.contains("was cancelled"), "{e}");
    let at = placement(live.hypervisor(), 3);
    assert_eq!(at["b"], vec![(1, DomState::Running)], "nothing moved");
    plan.config_name = "other".into();
    plan.id = "p2".into();
    let e = live.apply_plan(&plan).unwrap_err().to_string();
    assert!(e.contains("made for config `other`"), "{e}");
    drop(live);
    assert!(matches!(
        records(&config).as_slice(),
        [Record::PlanCancelled { .. }]
    ));
}

/// First-fit over three hosts, a and b on h-0, c on h-1.
fn three_hosts(dir: &std::path::Path, vms: &[&str]) -> LiveConfig {
    node(dir, 0, &[running("a"), running("b")]);
    node(dir, 1, &[running("c")]);
    node(dir, 2, &[]);
    config(dir, 3, vms, "placement = \"first-fit\"", "")
}

#[test]
fn maintenance_drains_a_host_through_the_placement_policy_then_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = three_hosts(dir.path(), &["d"]);
    let clock = ManualClock::new();
    let journal = config.journal_path();
    let maintenance = |on: bool| {
        requests::append(
            &journal,
            &requests::Request::Maintenance {
                host: "h-0".into(),
                on,
                at_ms: 1,
            },
        )
        .unwrap()
    };
    maintenance(true);
    let apply = LiveOptions {
        apply: true,
        rounds: Some(1),
        ..LiveOptions::default()
    };
    let mut live = with(&config, open(&config, &[]), &clock, apply.clone());
    run(&config, &mut live);
    // First-fit would put d on h-0, the first host; in maintenance h-0 takes nothing, and its
    // VMs go where first-fit puts them: h-1.
    let at = placement(live.hypervisor(), 3);
    for vm in ["a", "b", "c", "d"] {
        assert_eq!(at[vm], vec![(1, DomState::Running)], "{vm}: {at:?}");
    }
    let drains: Vec<String> = history::entries(&records(&config))
        .iter()
        .filter(|e| e.kind == "migrate")
        .map(|e| format!("{} ({})", e.text, e.reason))
        .collect();
    assert_eq!(
        drains,
        [
            "migrate a from h-0 to h-1 (drain of h-0 (maintenance))",
            "migrate b from h-0 to h-1 (drain of h-0 (maintenance))"
        ]
    );
    // Held: a power action on it is refused.
    live.observe();
    let r = live.apply(vec![Action::PowerOff { host: 0 }]);
    assert!(
        r[0].as_ref().unwrap_err().contains("in maintenance"),
        "{r:?}"
    );
    let hv = live.into_hypervisor();
    // Out of maintenance, it is a host like the others again: e goes to the first, h-0.
    maintenance(false);
    let config = config_with(dir.path(), &["d", "e"]);
    let mut live = with(&config, hv, &clock, apply);
    run(&config, &mut live);
    let at = placement(live.hypervisor(), 3);
    assert_eq!(at["e"], vec![(0, DomState::Running)], "{at:?}");
}

fn config_with(dir: &std::path::Path, vms: &[&str]) -> LiveConfig {
    config(dir, 3, vms, "placement = \"first-fit\"", "")
}

/// Moves every running VM to the next host, every time it is asked.
struct Restless;

impl Reallocation for Restless {
    fn reallocate(&mut self, view: &ClusterView, _rng: &mut Rng) -> Vec<Action> {
        (0..view.vms.len())
            .filter_map(|vm| {
                let h = view.vms[vm].host?;
                Some(Action::Migrate {
                    vm,
                    to: (h + 1) % view.hosts.len(),
                })
            })
            .collect()
    }
}

/// When Restless first moves VM a, deployed at t = 0, under `min_residence_s`, in s since the
/// start (rounds every 300 s).
fn first_move_s(min_residence_s: u32) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[]);
    node(dir.path(), 1, &[]);
    let policies = "placement = \"first-fit\"\nreallocation = \"consolidation\"\n\
                    reallocation_interval_s = 300";
    let extra = format!("min_residence_s = {min_residence_s}");
    let config = config(dir.path(), 2, &["a"], policies, &extra);
    let clock = ManualClock::new();
    let opts = LiveOptions {
        apply: true,
        rounds: Some(3),
        ..LiveOptions::default()
    };
    let mut live = with(&config, open(&config, &[]), &clock, opts);
    let placement = registry::placement(&config).unwrap();
    CloudOs::new(placement, Some(Box::new(Restless)), &RngStreams::new(0))
        .run(&mut live)
        .unwrap();
    let moves: Vec<u64> = records(&config)
        .iter()
        .filter_map(|r| match r {
            Record::Intent {
                action: Planned::Migrate { .. },
                at_ms,
                ..
            } => Some((at_ms - orrery_live::clock::MANUAL_EPOCH_MS) / 1000),
            _ => None,
        })
        .collect();
    moves[0]
}

#[test]
fn a_vm_is_not_moved_in_its_deploy_round_nor_before_its_residence_time() {
    // Deployed in round 1 (t = 0), where the move is refused however short the residence
    // time; with 600 s, round 2's move (300 s) is refused too.
    assert_eq!(first_move_s(0), 300);
    assert_eq!(first_move_s(600), 600);
    assert_eq!(first_move_s(599), 600);
}

/// Sets `stop` (as SIGTERM's handler does) at the first domain definition: the deploy in
/// flight then.
struct SignalDuring<H> {
    inner: H,
    stop: Arc<AtomicBool>,
}

impl<H: Hypervisor> Hypervisor for SignalDuring<H> {
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError> {
        if matches!(call, Call::Define(_)) {
            self.stop.store(true, Ordering::SeqCst);
        }
        self.inner.call(host, call)
    }
}

#[test]
fn a_stop_signal_finishes_the_action_in_flight_and_begins_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let config = three_hosts(dir.path(), &["d", "e", "f"]);
    let clock = ManualClock::new();
    let stop = Arc::new(AtomicBool::new(false));
    let opts = LiveOptions {
        apply: true,
        rounds: None,
        stop: Arc::clone(&stop),
        ..LiveOptions::default()
    };
    let hv = SignalDuring {
        inner: open(&config, &[]),
        stop,
    };
    let mut live = with(&config, hv, &clock, opts);
    // No round limit: only the signal ends the loop.
    run(&config, &mut live);
    let at = placement(live.hypervisor(), 3);
    assert_eq!(at["d"], vec![(0, DomState::Running)]);
    assert!(!at.contains_key("e") && !at.contains_key("f"), "{at:?}");
    let entries = history::entries(live.journal());
    let outcomes: Vec<String> = entries
        .iter()
        .filter(|e| e.kind != "adopt")
        .map(|e| format!("{}: {}", e.text, e.outcome.word()))
        .collect();
    assert_eq!(outcomes, ["deploy d on h-0: done"]);
    assert_eq!(clock.now(), Duration::ZERO, "no second round began");
}

#[test]
fn the_loop_counts_rounds_and_actions_by_kind_and_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let config = consolidation(dir.path());
    let clock = ManualClock::new();
    let metrics = orrery_live::metrics::Metrics::new("live");
    let opts = LiveOptions {
        apply: true,
        rounds: Some(2),
        metrics: Some(metrics.clone()),
        ..LiveOptions::default()
    };
    let mut live = with(&config, loads(&clock, open(&config, &[])), &clock, opts);
    run(&config, &mut live);
    let text = metrics.encode();
    for line in [
        "orrery_live_rounds_total{config=\"live\"} 2",
        "orrery_live_actions_total{config=\"live\",kind=\"migrate\",outcome=\"done\"} 2",
        "orrery_live_actions_total{config=\"live\",kind=\"power-off\",outcome=\"done\"} 2",
        "orrery_live_hosts{config=\"live\",state=\"on\"} 1",
        "orrery_live_hosts{config=\"live\",state=\"off\"} 2",
        "orrery_live_vms{config=\"live\",state=\"running\"} 3",
        "orrery_live_unreachable_hosts{config=\"live\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
}
