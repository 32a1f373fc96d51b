//! `orrery federate`: a run writes its three outputs, `compare` prints one row per file, and a
//! bad federation file is a one-line input error.

mod common;

use common::*;

#[test]
fn federate_writes_summary_intervals_and_events() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = run_orrery([
        "federate".as_ref(),
        scenario("federation/billing-period.toml").as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_success(&out);
    let s = summary(&out_dir);
    // Twelve bursts share four started hours at 0.10 (docs/federation.md works it out).
    assert_eq!(num(&s, "burst"), 12.0);
    assert!((num(&s, "cost_total") - 0.4).abs() < 1e-9);
    let events = Table::read(&out_dir.join("events.csv"));
    let kind = events.col("kind");
    let starts = events.rows.iter().filter(|r| r[kind] == "instance_start");
    assert_eq!(starts.count(), 12);
    let intervals = Table::read(&out_dir.join("intervals.csv"));
    // A row per site (2) per decision round (every 300 s of 14 400 s, both ends included).
    assert_eq!(intervals.rows.len(), 2 * 49);
}

#[test]
fn federate_compare_prints_one_row_per_architecture() {
    let files: Vec<_> = ["bursting", "broker", "aggregated", "multitier"]
        .iter()
        .map(|a| scenario(&format!("federation/{a}.toml")))
        .collect();
    let out = orrery()
        .arg("federate")
        .arg("compare")
        .args(&files)
        .output()
        .unwrap();
    assert_success(&out);
    let table = stdout(&out);
    let archs: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(archs, ["bursting", "broker", "aggregated", "multitier"]);
}

#[test]
fn a_bad_federation_file_is_a_located_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("federation/billing-period.toml"))
        .unwrap()
        .replace("home = \"tiny\"", "home = \"hourly\"");
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::create_dir(tmp.path().join("sites")).unwrap();
    std::fs::copy(
        scenario("federation/sites/tiny.toml"),
        tmp.path().join("sites/tiny.toml"),
    )
    .unwrap();
    let err = assert_input_error(&run_orrery(["federate".as_ref(), path.as_os_str()]));
    assert!(
        err.contains("key `architecture.home`") && err.contains("not a private site"),
        "{err}"
    );
}

#[test]
fn federate_writes_one_calls_row_per_service_call() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = run_orrery([
        "federate".as_ref(),
        scenario("federation/saas.toml").as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_success(&out);
    let s = summary(&out_dir);
    let calls = &s["calls"];
    let calls_csv = Table::read(&out_dir.join("calls.csv"));
    assert_eq!(calls_csv.rows.len() as f64, num(calls, "calls"));
    let (done, fwd, site, entry) = (
        calls_csv.col("done_s"),
        calls_csv.col("forwarded"),
        calls_csv.col("site"),
        calls_csv.col("entry"),
    );
    let count = |f: &dyn Fn(&Vec<String>) -> bool| calls_csv.rows.iter().filter(|r| f(r)).count();
    assert_eq!(count(&|r| !r[done].is_empty()) as f64, num(calls, "done"));
    assert_eq!(count(&|r| r[fwd] == "true") as f64, num(calls, "forwarded"));
    assert!(num(calls, "forwarded") > 0.0);
    // Forwarded calls ran away from their entry site.
    assert_eq!(
        count(&|r| r[fwd] == "true" && !r[done].is_empty() && r[site] == r[entry]),
        0
    );
}

#[test]
fn report_draws_a_federation_and_compare_refuses_it_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    assert_success(&run_orrery([
        "federate".as_ref(),
        scenario("federation/saas.toml").as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]));
    let out = run_orrery([
        "report".as_ref(),
        out_dir.as_os_str(),
        "--format".as_ref(),
        "svg".as_ref(),
    ]);
    assert_success(&out);
    let page = std::fs::read_to_string(out_dir.join("report/index.html")).unwrap();
    assert!(page.contains("<h2>Per site</h2>"), "{page}");
    assert!(out_dir.join("report/site-vms.svg").is_file());
    assert!(
        !out_dir.join("report/site-vms.png").exists(),
        "--format svg only"
    );
    // No empty row: a federation has none of a datacenter run's columns.
    let out = run_orrery(["compare".as_ref(), out_dir.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr(&out).contains("orrery federate compare"),
        "{}",
        stderr(&out)
    );
}
