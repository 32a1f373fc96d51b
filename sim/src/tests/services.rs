//! Services on tiny scenarios worked out by hand: dependency order, scaling and cooldown,
//! request KPIs against the M/M/1 closed form, monitoring delays and aggregation, leases,
//! lifetimes, admission verdicts and availability through a host failure. The decisions come
//! from a script here; the policies that make them are tested in the policies crate.

use std::path::Path;

use orrery_engine::action::Action;
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_engine::metrics::RunResult;
use orrery_engine::model::{RolePhase, ServiceState};
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_engine::view::ClusterView;
use orrery_policies::registry;

use super::super::Simulator;
use super::{assert_close, events};

/// One service `s` on `hosts` hosts of 4 × 1000 MIPS; VM type `v` (1 × 1000 MIPS, 1000 MB,
/// 0.1 per hour) and `big` (2 vCPUs); VM boot 30 s; a 3600 s run with 60 s updates; `roles`
/// and `service` are appended to the `[[services]]` table; `extra` at the end.
fn svc(hosts: u32, service: &str, roles: &str, extra: &str) -> String {
    format!(
        r#"
name = "t"
seed = 3
duration_s = 3600

[datacenter]
update_interval_s = 60

[[hosts]]
type = "h"
count = {hosts}
cores = 4
core_mips = 1000
memory_mb = 100000
power = {{ model = "linear", idle_w = 100.0, max_w = 200.0 }}

[[vm_types]]
name = "v"
mips = 1000
memory_mb = 1000
price = 0.1
billing_period = "hour"

[workload]
vm_boot_s = 30

[policies]
placement = "first-fit"

{extra}

[[services]]
name = "s"
{service}

{roles}
"#
    )
}

/// What a script sees at each decision and may answer.
type Script<'a> = dyn FnMut(&ClusterView, &Decision) -> Vec<Action> + 'a;

/// What a script's action got, and when (s).
type Answer = (f64, Action, Result<(), String>);

/// Runs `text`: placement by its policy, everything else by `script` (admission: every
/// service admitted when the script answers nothing). Returns the result and, per decision,
/// what the script's actions got.
fn drive(text: &str, script: &mut Script) -> (RunResult, Vec<Answer>) {
    let scenario = Scenario::parse(text, Path::new("t.toml"), Path::new("."), &[])
        .unwrap_or_else(|e| panic!("invalid test scenario: {e}"));
    let mut sim = Simulator::new(&scenario, None).expect("the scenario builds");
    let mut placement = registry::placement(&scenario).expect("placement policy");
    let mut rng = RngStreams::new(1).stream("placement", 0);
    let mut answers = Vec::new();
    while let Some(d) = sim.next_decision().expect("no infrastructure failure") {
        let mut plan = match &d {
            Decision::Place(vms) => placement.place(sim.view(), vms, &mut rng),
            _ => script(sim.view(), &d),
        };
        if let (Decision::Admit(services), true) = (&d, plan.is_empty()) {
            plan = services
                .iter()
                .map(|&service| Action::AdmitService { service })
                .collect();
        }
        let now = orrery_engine::time::to_secs(sim.view().now);
        for (action, result) in plan.clone().into_iter().zip(sim.apply(plan)) {
            if !matches!(action, Action::Deploy { .. } | Action::Defer { .. }) {
                answers.push((now, action, result));
            }
        }
    }
    (sim.finish(), answers)
}

/// Times (s) and details of the events of `kind`.
fn timeline(r: &RunResult, kind: &str) -> Vec<(f64, String)> {
    events(r, kind)
        .into_iter()
        .map(|e| (e.time_s, e.detail.clone()))
        .collect()
}

#[test]
fn roles_deploy_in_dependency_order() {
    // front depends on app, app on db: db deploys at 0, runs at 30 (boot); app deploys then
    // and runs at 60; front at 60, running at 90, when the service is running.
    let roles = r#"
[[services.roles]]
name = "front"
vm_type = "v"
depends_on = ["app"]
[[services.roles]]
name = "app"
vm_type = "v"
cardinality = 2
depends_on = ["db"]
[[services.roles]]
name = "db"
vm_type = "v"
"#;
    let (r, _) = drive(&svc(2, "", roles, ""), &mut |_, _| Vec::new());
    assert_eq!(
        timeline(&r, "role-deploying"),
        [
            (0.0, "s: db: 1 VMs".to_string()),
            (30.0, "s: app: 2 VMs".to_string()),
            (60.0, "s: front: 1 VMs".to_string()),
        ]
    );
    assert_eq!(
        timeline(&r, "service-state"),
        [(90.0, "s: running".to_string())]
    );
    // Up from 90 s on, admitted at 0: availability 1 − 90/3600.
    assert_close(
        r.summary.service_availability_mean.unwrap(),
        1.0 - 90.0 / 3600.0,
        1e-12,
        "availability",
    );
    assert_eq!(r.summary.services_total, 1);
    assert_eq!(r.summary.vms_total, 4);
}

#[test]
fn scaling_adds_vms_cools_down_and_removes_the_newest() {
    let roles = r#"
[[services.roles]]
name = "web"
vm_type = "v"
min_vms = 1
max_vms = 4
"#;
    // Monitoring delivers every 60 s (Decision::Scale). At 600 s: scale to 3 with a 120 s
    // cooldown; new VMs boot 30 s, so scaling settles at 630 and cooldown ends at 750. At 660
    // (in cooldown) and at 630 the role is not running: a second scale is refused while
    // scaling, accepted in cooldown. At 900: scale in to 1, which stops web.2 and web.1.
    let mut script = |view: &ClusterView, d: &Decision| {
        let now = view.now / 1000;
        let role = &view.services[0].roles[0];
        match (d, now) {
            (Decision::Scale, 600) => vec![Action::ScaleRole {
                service: 0,
                role: 0,
                cardinality: 3,
                cooldown_s: 120,
            }],
            (Decision::Scale, 900) => {
                assert_eq!(role.phase, RolePhase::Running, "cooldown is over");
                vec![Action::ScaleRole {
                    service: 0,
                    role: 0,
                    cardinality: 1,
                    cooldown_s: 0,
                }]
            }
            (Decision::Scale, 720) => {
                assert_eq!(role.phase, RolePhase::Cooldown);
                assert_eq!(role.cooldown_until, 750_000);
                assert_eq!(view.services[0].state, ServiceState::Cooldown);
                vec![Action::ScaleRole {
                    service: 0,
                    role: 0,
                    cardinality: 9,
                    cooldown_s: 0,
                }]
            }
            _ => Vec::new(),
        }
    };
    let (r, answers) = drive(&svc(2, "", roles, ""), &mut script);
    let results: Vec<(f64, bool)> = answers
        .iter()
        .filter(|(_, a, _)| matches!(a, Action::ScaleRole { .. }))
        .map(|(t, _, res)| (*t, res.is_ok()))
        .collect();
    // 9 is above max_vms: refused.
    assert_eq!(results, [(600.0, true), (720.0, false), (900.0, true)]);
    assert_eq!(
        timeline(&r, "role-cooldown"),
        [(630.0, "s: web".to_string())]
    );
    let running: Vec<f64> = timeline(&r, "role-running").iter().map(|e| e.0).collect();
    assert_eq!(running, [30.0, 750.0, 900.0]);
    let stopped: Vec<(f64, String)> = r
        .events
        .iter()
        .filter(|e| e.kind == "stopped")
        .map(|e| (e.time_s, e.detail.clone()))
        .collect();
    assert_eq!(
        stopped,
        [
            (900.0, "scaled in".to_string()),
            (900.0, "scaled in".to_string())
        ]
    );
    let names: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.kind == "stopped")
        .map(|e| r.billing[e.vm.unwrap()].name.as_str())
        .collect();
    assert_eq!(names, ["s.web.2", "s.web.1"]);
    assert_eq!(r.summary.scaling_actions, 2);
    // Billed per started hour: web.0 one hour, web.1 and web.2 one hour each.
    assert_close(r.summary.cost_total, 0.3, 1e-12, "cost");
}

#[test]
fn a_vm_records_when_its_boot_completed() {
    let roles = r#"
[[services.roles]]
name = "web"
vm_type = "v"
min_vms = 1
max_vms = 2
"#;
    // web.0 deploys at 0 and boots 30 s: running since 30 s. At 600 s the role scales to 2:
    // web.1 is pending, then boots until 630 s. Monitoring delivers every 60 s.
    let mut seen = Vec::new();
    let mut script = |view: &ClusterView, d: &Decision| {
        let now = view.now / 1000;
        let since = |v: usize| view.vms[v].running_since;
        let role = &view.services[0].roles[0];
        if matches!(d, Decision::Scale) && [60, 600, 660].contains(&now) {
            seen.push((now, role.vms.iter().map(|&v| since(v)).collect::<Vec<_>>()));
        }
        match (d, now) {
            (Decision::Scale, 600) => vec![Action::ScaleRole {
                service: 0,
                role: 0,
                cardinality: 2,
                cooldown_s: 0,
            }],
            _ => Vec::new(),
        }
    };
    drive(&svc(1, "", roles, ""), &mut script);
    assert_eq!(
        seen,
        [
            (60, vec![Some(30_000)]),
            (600, vec![Some(30_000)]),
            (660, vec![Some(30_000), Some(630_000)]),
        ]
    );
}

#[test]
fn request_kpis_follow_the_mm1_model() {
    // One VM of 1000 MIPS, 50 MI per request: μ = 20 req/s. Poisson arrivals at 10/s. Each
    // interval's measured rate λ = arrivals/60 gives mean response 1/(μ − λ), p95
    // ln(20)/(μ − λ), and the VM's CPU demand λ/μ.
    let service = r#"requests = { kind = "poisson", rate_per_s = 10 }"#;
    let roles = r#"
[[services.roles]]
name = "web"
vm_type = "v"
request_mi = 50
"#;
    let (r, _) = drive(&svc(1, service, roles, ""), &mut |_, _| Vec::new());
    let rows: Vec<_> = r.services.iter().filter(|s| s.vms_running == 1).collect();
    assert!(rows.len() > 50);
    for row in &rows {
        let lambda = row.arrivals as f64 / 60.0;
        let mean = row.mean_response_s.unwrap();
        assert_close(mean, 1.0 / (20.0 - lambda), 1e-9, "mean response");
        let p95 = row.p95_response_s.unwrap();
        assert_close(p95, 20f64.ln() / (20.0 - lambda), 1e-9, "p95");
        assert_close(row.throughput_per_s, lambda, 1e-9, "throughput");
        assert_eq!(row.dropped, 0.0);
    }
    let web: Vec<_> = r.roles.iter().filter(|x| x.vms_running == 1).collect();
    for (row, s) in web.iter().zip(&rows) {
        assert_close(
            row.cpu_utilisation,
            s.arrivals as f64 / 60.0 / 20.0,
            1e-9,
            "CPU",
        );
    }
    // 3600 s at 10/s: 36 000 arrivals, sd 190; 5 sd either side.
    let total = r.summary.requests_total as f64;
    assert!((total - 36_000.0).abs() < 5.0 * 190.0, "{total}");
}

#[test]
fn a_role_without_running_vms_drops_every_request() {
    // The service runs from 30 s (boot); the first interval (0–60 s) finds no VM running at
    // its end, so its requests are dropped.
    let service = r#"requests = { kind = "poisson", rate_per_s = 5 }"#;
    let roles = "[[services.roles]]\nname = \"web\"\nvm_type = \"v\"\nrequest_mi = 10\n";
    let (r, _) = drive(&svc(1, service, roles, ""), &mut |_, _| Vec::new());
    let first = &r.services[0];
    assert_eq!(first.time_s, 60.0);
    assert_eq!(first.vms_running, 1);
    // The VM runs at the end of the first interval: nothing dropped then either.
    assert_eq!(first.dropped, 0.0);
    let (r, _) = drive(
        &svc(1, service, roles, "").replace("vm_boot_s = 30", "vm_boot_s = 90"),
        &mut |_, _| Vec::new(),
    );
    let first = &r.services[0];
    assert_eq!(first.vms_running, 0);
    assert_eq!(first.dropped, first.arrivals as f64);
    assert_eq!(first.mean_response_s, None);
}

#[test]
fn monitoring_delivers_late_and_aggregated() {
    // Measured every 60 s, delivered every 180 s as the maximum: the view shows, at each
    // delivery, the largest of the three measured arrival rates, and nothing in between.
    let service = r#"
requests = { kind = "poisson", rate_per_s = 4 }
monitoring = { measurement_interval_s = 60, delivery_interval_s = 180, aggregation = "max" }
"#;
    let roles = "[[services.roles]]\nname = \"web\"\nvm_type = \"v\"\nrequest_mi = 10\n";
    let mut seen = Vec::new();
    let (r, _) = drive(&svc(1, service, roles, ""), &mut |view, d| {
        if let Decision::Scale = d {
            let vm = view.services[0].roles[0].vms[0];
            seen.push((view.now / 1000, view.vms[vm].metrics["REQUESTS"]));
        }
        Vec::new()
    });
    let times: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(times, (1..=20).map(|k| 180 * k).collect::<Vec<_>>());
    let measured: Vec<f64> = r.roles.iter().map(|x| x.arrival_rate_per_s).collect();
    for (k, &(_, delivered)) in seen.iter().enumerate() {
        let window = &measured[3 * k..3 * k + 3];
        let max = window.iter().copied().fold(f64::MIN, f64::max);
        assert_eq!(delivered, max, "delivery {k}");
    }
}

#[test]
fn lease_suspends_and_lifetime_undeploys() {
    let service = "runtime_lease_s = 600\nlifetime_s = 1200\n";
    let roles =
        "[[services.roles]]\nname = \"web\"\nvm_type = \"v\"\ncardinality = 2\nmax_vms = 2\n";
    let (r, _) = drive(&svc(1, service, roles, ""), &mut |_, _| Vec::new());
    let states: Vec<(f64, String)> = timeline(&r, "service-state");
    assert_eq!(
        states,
        [
            (30.0, "s: running".to_string()),
            (600.0, "s: suspended (runtime lease expired)".to_string()),
            (1200.0, "s: undeploying".to_string()),
            (1200.0, "s: done".to_string()),
        ]
    );
    assert_eq!(events(&r, "suspended").len(), 2);
    // Up from 30 to 600 s of the 1200 s from admission to undeployment.
    assert_close(
        r.summary.service_availability_mean.unwrap(),
        570.0 / 1200.0,
        1e-12,
        "availability",
    );
    assert!(r.services.iter().all(|x| x.time_s <= 1200.0));
}

#[test]
fn rejected_services_create_no_vms() {
    let roles = "[[services.roles]]\nname = \"web\"\nvm_type = \"v\"\n";
    let (r, answers) = drive(&svc(1, "", roles, ""), &mut |_, d| match d {
        Decision::Admit(s) => vec![Action::RejectService {
            service: s[0],
            reason: "quota of shop: vCPUs 40 used + 1 requested > 40".into(),
        }],
        _ => Vec::new(),
    });
    assert!(answers[0].2.is_ok());
    assert_eq!(r.summary.services_rejected, 1);
    assert_eq!(r.summary.vms_total, 0);
    assert_eq!(r.summary.service_availability_mean, None);
    let rejected = timeline(&r, "service-rejected");
    assert_eq!(
        rejected,
        [(
            0.0,
            "s: quota of shop: vCPUs 40 used + 1 requested > 40".to_string()
        )]
    );
    assert!(r
        .audit
        .iter()
        .any(|a| a.action == "reject-service" && a.actor == "admission"));
}

#[test]
fn a_host_failure_warns_and_the_restart_recovers() {
    // Two hosts; the web VM lands on h-0, which fails at 300 s (trace). Detection 60 s, then
    // the VM restarts on h-1 and boots 30 s: the service is down from 300 to 390 s.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.csv");
    std::fs::write(&path, "time_s,target,event\n300,h-0,fail\n").unwrap();
    let extra = format!(
        "[failures]\ndetection_s = 60\ntrace = {:?}\n",
        path.display().to_string()
    );
    let roles = "[[services.roles]]\nname = \"web\"\nvm_type = \"v\"\n";
    let (r, _) = drive(&svc(2, "", roles, &extra), &mut |_, _| Vec::new());
    assert_eq!(
        timeline(&r, "service-state"),
        [
            (30.0, "s: running".to_string()),
            (300.0, "s: warning".to_string()),
            (390.0, "s: running".to_string()),
        ]
    );
    let up = (300.0 - 30.0) + (3600.0 - 390.0);
    assert_close(
        r.summary.service_availability_mean.unwrap(),
        up / 3600.0,
        1e-12,
        "availability",
    );
    assert_eq!(r.summary.vm_restarts, 1);
}

#[test]
fn scaling_in_a_role_that_lost_its_vms_stops_nothing_more() {
    // Both VMs land on h-0 (first fit), which fails at 300 s; restarts are off, so the role
    // keeps no VM. Scaling it in from 2 to 1 at 600 s then has nothing to stop: the service
    // stays in warning with one VM missing.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.csv");
    std::fs::write(&path, "time_s,target,event\n300,h-0,fail\n").unwrap();
    let extra = format!(
        "[failures]\nrestart = false\ntrace = {:?}\n",
        path.display().to_string()
    );
    let roles =
        "[[services.roles]]\nname = \"web\"\nvm_type = \"v\"\ncardinality = 2\nmin_vms = 1\n";
    let (r, answers) = drive(
        &svc(2, "", roles, &extra),
        &mut |view, d| match (d, view.now) {
            (Decision::Scale, 600_000) => {
                assert!(view.services[0].roles[0].vms.is_empty());
                vec![Action::ScaleRole {
                    service: 0,
                    role: 0,
                    cardinality: 1,
                    cooldown_s: 0,
                }]
            }
            _ => Vec::new(),
        },
    );
    assert!(answers.iter().any(|(t, a, res)| *t == 600.0
        && matches!(a, Action::ScaleRole { cardinality: 1, .. })
        && res.is_ok()));
    assert_eq!(events(&r, "stopped").len(), 0);
    let states = timeline(&r, "service-state");
    assert_eq!(states.last().unwrap(), &(300.0, "s: warning".to_string()));
    assert_close(
        r.summary.service_availability_mean.unwrap(),
        270.0 / 3600.0,
        1e-12,
        "availability",
    );
}
