//! The shipped service scenarios end to end: a diurnal three-tier web service scaled out and in
//! by OneFlow rules and by target tracking, with response time, VM count and cost per interval.

mod common;

use std::path::Path;

use orrery::run;
use orrery_engine::metrics::RunResult;
use orrery_engine::scenario::Scenario;

fn run_scenario(name: &str) -> RunResult {
    let path = common::scenario(name);
    let scenario = Scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    run(&scenario, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The web role's cardinality over the day, and the hours (of the run) of its peak.
fn web_cardinality(r: &RunResult) -> Vec<(f64, u32)> {
    r.roles
        .iter()
        .filter(|x| x.role == "web")
        .map(|x| (x.time_s, x.cardinality))
        .collect()
}

fn check_scales_with_the_day(r: &RunResult) {
    let web = web_cardinality(r);
    let at = |t: f64| web.iter().find(|x| x.0 == t).unwrap().1;
    // Night (02:00–05:00, ~12 req/s): one web server is enough; the 14:00 peak (108 req/s,
    // 54 req/s per server at 2) needs at least three at 50 req/s each.
    assert_eq!(at(3.0 * 3600.0), 1, "{web:?}");
    assert!(at(14.0 * 3600.0) >= 3, "{web:?}");
    assert!(at(24.0 * 3600.0) < at(14.0 * 3600.0), "it scales back in");
    assert!(r.summary.scaling_actions >= 4);
    // Response time and VM count per interval, and the peak is served.
    let peak = r
        .services
        .iter()
        .find(|s| s.time_s == 14.0 * 3600.0)
        .unwrap();
    assert!(peak.vms_running >= 5, "lb + db + ≥3 web: {peak:?}");
    assert!(peak.mean_response_s.unwrap() < 0.5, "{peak:?}");
    assert!(peak.p95_response_s.unwrap() >= peak.mean_response_s.unwrap());
    // Cost per interval adds up to the bill (only the service's VMs run).
    let billed: f64 = r.services.iter().map(|s| s.cost).sum();
    assert!(
        (billed - r.summary.cost_total).abs() < 1e-9,
        "{billed} vs {}",
        r.summary.cost_total
    );
    // Requests are conserved: served + dropped = arrived, interval by interval.
    for s in &r.services {
        let served = s.throughput_per_s * 60.0;
        assert!(
            (served + s.dropped - s.arrivals as f64).abs() < 1e-6,
            "{s:?}"
        );
    }
}

#[test]
fn oneflow_rules_scale_the_web_tier_with_the_day() {
    let r = run_scenario("services/web-oneflow.toml");
    check_scales_with_the_day(&r);
    assert!(r
        .audit
        .iter()
        .any(|a| a.action == "scale-role" && a.actor == "elasticity"));
}

#[test]
fn target_tracking_scales_the_web_tier_with_the_day() {
    let r = run_scenario("services/web-target-tracking.toml");
    check_scales_with_the_day(&r);
}

#[test]
fn the_cli_writes_the_service_tables() {
    let out = tempfile::tempdir().unwrap();
    let scenario = common::scenario("services/web-target-tracking.toml");
    let result = common::run_orrery([
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.path().as_os_str(),
    ]);
    common::assert_success(&result);
    let services = std::fs::read_to_string(out.path().join("services.csv")).unwrap();
    assert!(services.starts_with(
        "time_s,service,name,state,vms_running,arrivals,throughput_per_s,dropped,mean_response_s,p95_response_s,cost\n"
    ));
    assert_eq!(services.lines().count(), 1 + 1440);
    assert!(Path::new(&out.path().join("roles.csv")).exists());
}
