//! The SaaS layer against hand-worked timelines.

use orrery_engine::model::VmState;

use crate::ids::SiteId;
use crate::runtime::Runtime;
use crate::tests::{federation, kinds, shipped, site_booting};
use crate::Outcome;

/// A private site with `hosts` 8-core hosts, VM type `std` (2 vCPUs, 4 GB) booting in 100 s,
/// no load of its own.
fn site(hosts: usize) -> String {
    site_booting("h", hosts, 8, 100)
}

/// A public cloud `cloud` (2-vCPU instances at 0.5 per hour, 100 s to provision, stopping
/// idle instances as `stop` says) offering `wrf` (600 s calls, deadline 1500 s) to six calls
/// at 0 s and two at 2000 s; `home` is a private site that takes no part.
fn public_desk(stop: &str) -> Outcome {
    let text = format!(
        r#"
duration_s = 7200
[[sites]]
kind = "private"
name = "home"
scenario = "home.toml"
[[sites]]
kind = "public"
name = "cloud"
stop = "{stop}"
stop_margin_s = 60
[[sites.instance_types]]
name = "small"
vcpus = 2
memory_mb = 4096
price_per_period = 0.5
billing_period_s = 3600
quota = 10
provisioning_s = 100
[architecture]
kind = "broker"
[[appliances]]
name = "wrf"
vm_type = "std"
exec_s = 600
deploy_s = 100
[[appliances.offers]]
site = "cloud"
max_vms = 4
[[demand.calls]]
entry = "cloud"
appliance = "wrf"
count = 6
arrival = {{ process = "batch" }}
exec = {{ dist = "fixed", s = 600 }}
deadline_s = 1500
[[demand.calls]]
entry = "cloud"
appliance = "wrf"
count = 2
arrival = {{ process = "batch", at_s = 2000 }}
exec = {{ dist = "fixed", s = 600 }}
deadline_s = 1500
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let fed = federation(&dir, &text, &[("home.toml", site(1))]);
    Runtime::new(fed).unwrap().run().unwrap()
}

#[test]
fn the_cloud_broker_starts_what_its_plan_needs_and_stops_before_the_period_ends() {
    // Six calls at 0 s, 1500 s to their deadline: a new worker serves ⌊(1500 − 100) / 600⌋ = 2
    // of them in time, so the broker starts 3 workers (one per call that the workers already
    // asked for cannot cover). They run at 100 s and serve two rounds: 100–700 s and 700–1300 s.
    let o = public_desk("period-end");
    let start = kinds(&o, "worker_start");
    assert_eq!(start.len(), 3, "{start:?}");
    assert!(start.iter().all(|(t, _)| *t == 0.0));
    let mut done: Vec<f64> = o.calls.iter().filter_map(|c| c.done_s).collect();
    done.sort_by(f64::total_cmp);
    assert_eq!(
        done,
        [700.0, 700.0, 700.0, 1300.0, 1300.0, 1300.0, 2600.0, 2600.0]
    );
    // Idle from 1300 s, each is kept until 60 s before its first hour ends (3540 s); the calls
    // of 2000 s reuse two of them at once, in the hour already paid.
    let stops = kinds(&o, "worker_stop");
    assert_eq!(stops.iter().map(|s| s.0).collect::<Vec<_>>(), [3540.0; 3]);
    assert_eq!(o.summary.calls.workers_started, 3);
    assert_eq!(o.summary.calls.done, 8);
    assert_eq!(o.summary.calls.deadline_misses, 0);
    assert!((o.summary.cost_by_site["cloud"] - 1.5).abs() < 1e-9);
    // (3·700 + 3·1300 + 2·600) / 8 = 900 s.
    assert!((o.summary.calls.mean_response_s - 900.0).abs() < 1e-9);
}

#[test]
fn stopping_idle_workers_at_once_pays_a_new_period_for_the_later_calls() {
    // The same calls: the three workers stop at 1300 s; at 2000 s one new worker (two calls,
    // two per worker in time) runs at 2100 s and serves 2100–2700 s and 2700–3300 s.
    let o = public_desk("immediate");
    let stops: Vec<f64> = kinds(&o, "worker_stop").iter().map(|s| s.0).collect();
    assert_eq!(stops, [1300.0, 1300.0, 1300.0, 3300.0]);
    assert_eq!(o.summary.calls.workers_started, 4);
    assert_eq!(o.summary.calls.deadline_misses, 0);
    assert!((o.summary.cost_by_site["cloud"] - 2.0).abs() < 1e-9);
    // (3·700 + 3·1300 + 700 + 1300) / 8 = 1000 s.
    assert!((o.summary.calls.mean_response_s - 1000.0).abs() < 1e-9);
}

/// Three sites offering `wrf`: `home` (one worker at most), `partner` (two, 0.2 a call) and
/// the public `cloud` (four, 0.5 a call); four 600 s calls enter at `home` at 0 s with 1500 s
/// to their deadline. `home` forwards when `forward`; its relationship with `partner` is loose.
fn three_sites(forward: bool) -> String {
    format!(
        r#"
duration_s = 7200
[[sites]]
kind = "private"
name = "home"
scenario = "home.toml"
[[sites]]
kind = "private"
name = "partner"
scenario = "partner.toml"
[[sites]]
kind = "public"
name = "cloud"
[[sites.instance_types]]
name = "small"
vcpus = 2
memory_mb = 4096
price_per_period = 0.5
billing_period_s = 3600
quota = 10
provisioning_s = 100
[[links]]
a = "home"
b = "partner"
latency_ms = 10
bandwidth_mbps = 800
[[links]]
a = "home"
b = "cloud"
latency_ms = 20
bandwidth_mbps = 400
[[relations]]
a = "home"
b = "partner"
coupling = "loose"
[architecture]
kind = "broker"
[[appliances]]
name = "wrf"
vm_type = "std"
exec_s = 600
deploy_s = 100
input_mb = 100
[[appliances.offers]]
site = "home"
max_vms = 1
forward = {forward}
[[appliances.offers]]
site = "partner"
max_vms = 2
price_per_call = 0.2
[[appliances.offers]]
site = "cloud"
max_vms = 4
price_per_call = 0.5
[[demand.calls]]
entry = "home"
appliance = "wrf"
count = 4
arrival = {{ process = "batch" }}
exec = {{ dist = "fixed", s = 600 }}
deadline_s = 1500
"#
    )
}

fn three_site_run(forward: bool) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let fed = federation(
        &dir,
        &three_sites(forward),
        &[("home.toml", site(1)), ("partner.toml", site(1))],
    );
    (dir, Runtime::new(fed).unwrap())
}

#[test]
fn calls_home_cannot_serve_in_time_go_to_the_cheapest_peer_that_quotes_in_time() {
    let (_dir, mut rt) = three_site_run(true);
    // At home one worker serves two calls by 1500 s (100–700 s, 700–1300 s): the third and
    // fourth calls are forwarded as they arrive. The partner quotes 1.01 s of transfer
    // (10 ms + 100 MB at 800 Mbit/s) + 100 s to deploy + 600 s at 0.2, the cloud 0.5: the
    // partner takes both, runs one worker from 101.01 s and serves 101.01–701.01 s and
    // 701.01–1301.01 s.
    rt.run_until(400_000).unwrap();
    let partner = rt.private(SiteId(1)).unwrap().view();
    let worker = partner
        .vms
        .iter()
        .find(|v| v.name == "wrf-w1")
        .expect("the partner's worker is a VM of its own cloud OS");
    assert_eq!(worker.state, VmState::Running);
    assert_eq!(worker.demand, 1.0, "a worker executing a call is busy");
    let o = rt.run().unwrap();
    let forwards = kinds(&o, "call_forward");
    assert_eq!(forwards, [(0.0, "c0-2"), (0.0, "c0-3")]);
    let mut done: Vec<(String, String, f64)> = o
        .calls
        .iter()
        .map(|c| (c.call.clone(), c.site.clone(), c.done_s.unwrap()))
        .collect();
    done.sort_by(|a, b| a.0.cmp(&b.0));
    let expect = [
        ("c0-0", "home", 700.0),
        ("c0-1", "home", 1300.0),
        ("c0-2", "partner", 701.01),
        ("c0-3", "partner", 1301.01),
    ];
    for ((c, s, t), (ec, es, et)) in done.iter().zip(expect) {
        assert_eq!((c.as_str(), s.as_str()), (ec, es));
        assert!((t - et).abs() < 1e-9, "{c} done at {t}, expected {et}");
    }
    let s = &o.summary;
    assert_eq!(
        (
            s.calls.forwarded,
            s.calls.deadline_misses,
            s.calls.workers_started
        ),
        (2, 0, 2)
    );
    assert!((s.calls.charges - 0.4).abs() < 1e-12);
    assert_eq!(s.traffic_mb["home->partner"], 200.0);
    assert_eq!(
        s.calls.executed_by_site["home"] + s.calls.executed_by_site["partner"],
        4
    );
    // Both workers stop once idle with nothing waiting; the cloud rented nothing.
    assert_eq!(kinds(&o, "worker_stop").len(), 2);
    assert_eq!(s.cost_by_site["cloud"], 0.0);
}

#[test]
fn without_forwarding_the_calls_wait_for_the_one_worker_and_miss_their_deadline() {
    let (_dir, rt) = three_site_run(false);
    let o = rt.run().unwrap();
    let mut done: Vec<f64> = o.calls.iter().map(|c| c.done_s.unwrap()).collect();
    done.sort_by(f64::total_cmp);
    assert_eq!(done, [700.0, 1300.0, 1900.0, 2500.0]);
    assert_eq!(o.summary.calls.deadline_misses, 2);
    assert_eq!(o.summary.calls.forwarded, 0);
    assert!(o.summary.traffic_mb.is_empty());
}

#[test]
fn the_shipped_saas_federation_forwards_its_burst_and_conserves_calls() {
    let o = crate::run(&shipped("saas.toml"), &[]).unwrap();
    let s = &o.summary.calls;
    assert!(s.calls > 0 && s.forwarded > 0, "{s:?}");
    // Every call that arrived is in calls.csv once; every call done ran at exactly one site.
    assert_eq!(o.calls.len() as u64, s.calls);
    assert_eq!(s.executed_by_site.values().sum::<u64>(), s.done);
    assert_eq!(
        o.calls.iter().filter(|c| c.done_s.is_some()).count() as u64,
        s.done
    );
    // A forwarded call ran away from its entry; a call not forwarded ran at its entry.
    for c in o.calls.iter().filter(|c| c.done_s.is_some()) {
        assert_eq!(c.forwarded, c.site != c.entry, "{c:?}");
    }
    // Every call started no earlier than it arrived and ran its whole execution.
    for c in &o.calls {
        if let (Some(a), Some(b)) = (c.start_s, c.done_s) {
            assert!(c.arrival_s <= a && a < b, "{c:?}");
        }
    }
    let paid: f64 = o.calls.iter().map(|c| c.charge).sum();
    assert!((paid - s.charges).abs() < 1e-9);
}

#[test]
fn bad_saas_tables_get_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("home.toml"), site(1)).unwrap();
    let base = three_sites(true);
    let cases = [
        (
            base.replace("site = \"partner\"", "site = \"nowhere\""),
            "no site `nowhere`",
        ),
        (
            base.replace(
                "site = \"partner\"\nmax_vms = 2",
                "site = \"cloud\"\nmax_vms = 2",
            ),
            "offers `wrf` twice",
        ),
        (
            base.replace("appliance = \"wrf\"", "appliance = \"wps\""),
            "no appliance `wps`",
        ),
        (
            base.replace(
                "exec = { dist = \"fixed\", s = 600 }",
                "exec = { dist = \"forever\" }",
            ),
            "must be finite",
        ),
        (
            base.replace("max_vms = 1\n", "max_vms = 0\n"),
            "must be at least 1",
        ),
    ];
    std::fs::write(dir.path().join("partner.toml"), site(1)).unwrap();
    for (text, needle) in cases {
        let err = crate::spec::Federation::parse(&text, &dir.path().join("fed.toml"), dir.path())
            .expect_err(needle)
            .to_string();
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(err.contains("fed.toml"), "{err}");
    }
}
