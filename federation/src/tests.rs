use std::path::{Path, PathBuf};

use orrery_engine::model::VmState;

use super::*;
use crate::coupling::{FederationError, RemoteOp, RemoteView};
use crate::runtime::Loc;
use crate::spec::{SiteSpec, StopSpec};

pub(crate) fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/federation")
        .join(name)
}

/// A private site's scenario: `hosts` hosts of `cores` cores at 1000 MIPS and 32 GB, host
/// type `host_type`, VM type `std` (2 vCPUs × 1000 MIPS, 4 GB), no load of its own.
fn site(host_type: &str, hosts: usize, cores: u32) -> String {
    site_booting(host_type, hosts, cores, 0)
}

/// [`site`] with VMs booting in `boot_s` seconds.
pub(crate) fn site_booting(host_type: &str, hosts: usize, cores: u32, boot_s: u32) -> String {
    format!(
        r#"
duration_s = 7200
[[hosts]]
type = "{host_type}"
count = {hosts}
cores = {cores}
core_mips = 1000
memory_mb = 32768
power = {{ model = "linear", idle_w = 90.0, max_w = 220.0 }}
[[vm_types]]
name = "std"
vcpus = 2
mips = 1000
memory_mb = 4096
[workload]
vm_boot_s = {boot_s}
[[workload.generators]]
vm_type = "std"
count = 0
arrival = {{ process = "batch" }}
utilisation = {{ pattern = "constant", level = 0.5 }}
[policies]
placement = "packing"
"#
    )
}

/// A federation from `text` with its private sites' scenarios `sites` (file name, text)
/// written beside it.
pub(crate) fn federation(
    dir: &tempfile::TempDir,
    text: &str,
    sites: &[(&str, String)],
) -> Federation {
    for (name, body) in sites {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    Federation::parse(text, &dir.path().join("fed.toml"), dir.path()).unwrap()
}

pub(crate) fn kinds<'a>(o: &'a Outcome, kind: &str) -> Vec<(f64, &'a str)> {
    o.events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| (e.time_s, e.request.as_str()))
        .collect()
}

const PAIR: &str = r#"
duration_s = 2000
interval_s = 100
[[sites]]
kind = "private"
name = "a"
scenario = "a.toml"
[[sites]]
kind = "private"
name = "b"
scenario = "b.toml"
price_per_vm_hour = 1.0
[[links]]
a = "a"
b = "b"
latency_ms = 20
bandwidth_mbps = 1000
[[relations]]
a = "a"
b = "b"
coupling = "COUPLING"
monitor_interval_s = 100
[architecture]
kind = "broker"
[[demand.generators]]
entry = "a"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 10 }
utilisation = { pattern = "constant", level = 0.5 }
"#;

fn pair(coupling: &str) -> (tempfile::TempDir, Federation) {
    let dir = tempfile::tempdir().unwrap();
    let fed = federation(
        &dir,
        &PAIR.replace("COUPLING", coupling),
        &[
            ("a.toml", site("anode", 2, 8)),
            ("b.toml", site("bnode", 2, 8)),
        ],
    );
    (dir, fed)
}

#[test]
fn a_loosely_coupled_site_shows_aggregates_only_and_refuses_remote_placement() {
    let (_dir, fed) = pair("loose");
    let mut rt = Runtime::new(fed).unwrap();
    rt.run_until(500_000).unwrap();
    // Snapshots every 100 s, delivered after the 20 ms latency: the 400 s one is in.
    let (at, view) = rt.remote_view_at("a", 1).expect("a monitors b");
    assert_eq!(at, 400_000);
    assert!(
        view.hosts().is_none(),
        "loose coupling revealed hosts: {view:?}"
    );
    let RemoteView::Aggregate(agg) = view else {
        panic!("expected an aggregate, got {view:?}");
    };
    assert_eq!(agg.capacity_mips, 16_000.0);
    for op in [
        RemoteOp::PlaceOnHost,
        RemoteOp::LiveMigrate,
        RemoteOp::ProtocolHandover,
        RemoteOp::CrossSiteNetwork,
    ] {
        assert_eq!(
            rt.check("a", 1, op),
            Err(FederationError::Forbidden {
                from: "a".into(),
                to: "b".into(),
                op: op.name(),
                coupling: "loose",
            })
        );
    }
    let before = rt.tracked()[0].loc;
    assert!(matches!(before, Loc::Private { site: 0, .. }));
    let err = rt.place_on_host("a", 0, 1, 0).unwrap_err();
    assert!(matches!(
        err,
        FederationError::Forbidden {
            coupling: "loose",
            ..
        }
    ));
    assert!(rt.live_migrate("a", 0, 1, 0).is_err());
    rt.run_until(1_000_000).unwrap();
    assert_eq!(
        rt.tracked()[0].loc,
        before,
        "a refused action changed nothing"
    );
    let o = rt.run().unwrap();
    assert!(kinds(&o, "remote_placement").is_empty());
    assert!(o.events.iter().all(|e| !e.detail.contains("bnode")));
}

#[test]
fn a_tightly_coupled_pair_live_migrates_across_sites() {
    let (_dir, fed) = pair("tight");
    let mut rt = Runtime::new(fed).unwrap();
    rt.run_until(500_000).unwrap();
    let Some(RemoteView::Hosts(hosts)) = rt.remote_view("a", 1) else {
        panic!("tight coupling shows every host");
    };
    assert_eq!(hosts.len(), 2);
    let Loc::Private { site: 0, vm: old } = rt.tracked()[0].loc else {
        panic!("the broker put the request on the cheaper site a");
    };
    rt.live_migrate("a", 0, 1, 1).unwrap();
    // 4096 MB at 1000 Mbit/s is 32.768 s, plus 20 ms of latency.
    rt.run_until(500_000 + 32_787).unwrap();
    assert!(matches!(rt.tracked()[0].loc, Loc::InTransit { to: 1 }));
    rt.run_until(500_000 + 32_788).unwrap();
    let Loc::Private { site: 1, vm } = rt.tracked()[0].loc else {
        panic!("the VM arrived at b: {:?}", rt.tracked()[0].loc);
    };
    rt.run_until(600_000).unwrap();
    let b = rt.private(1).unwrap().view();
    assert_eq!(b.vms[vm].host, Some(1), "placed on the host a chose");
    assert_eq!(b.vms[vm].state, VmState::Running);
    assert_eq!(
        rt.private(0).unwrap().view().vms[old].state,
        VmState::Stopped
    );
    let o = rt.run().unwrap();
    assert_eq!(o.summary.traffic_mb.get("a->b"), Some(&4096.0));
    assert_eq!(kinds(&o, "live_migration"), vec![(500.0, "g0-0")]);

    let (_dir, fed) = pair("partial");
    let mut rt = Runtime::new(fed).unwrap();
    rt.run_until(500_000).unwrap();
    let err = rt.live_migrate("a", 0, 1, 1).unwrap_err();
    assert!(matches!(
        err,
        FederationError::Forbidden {
            coupling: "partial",
            ..
        }
    ));
}

const BURST: &str = r#"
duration_s = 1000
interval_s = 100
[[sites]]
kind = "private"
name = "home"
scenario = "home.toml"
[[sites]]
kind = "public"
name = "pub"
[[sites.instance_types]]
name = "m"
vcpus = 2
memory_mb = 4096
price_per_period = 1.0
billing_period_s = 3600
quota = 4
provisioning_s = 20
[[links]]
a = "home"
b = "pub"
latency_ms = 10
bandwidth_mbps = 1000
[architecture]
kind = "bursting"
home = "home"
threshold = 0.5
return_below = 0.5
[[demand.generators]]
entry = "home"
vm_type = "std"
count = 4
arrival = { process = "fixed", interval_s = 100, start_s = 10 }
lifetime = { dist = "fixed", s = 250 }
utilisation = { pattern = "constant", level = 0.5 }
image_mb = 1000
"#;

#[test]
fn bursting_bursts_exactly_when_its_rule_says_and_returns() {
    let dir = tempfile::tempdir().unwrap();
    let fed = federation(&dir, BURST, &[("home.toml", site("hnode", 1, 8))]);
    let o = Runtime::new(fed).unwrap().run().unwrap();
    // One 8000-MIPS host, 2000-MIPS VMs, threshold 0.5. g0-0 (10 s) and g0-1 (110 s) take it
    // to 0.5; g0-2 (210 s) would make it 0.75 and bursts. g0-0 ends at 260 s, so the 300 s
    // round brings g0-2 back (0.25 + 0.25). g0-3 (310 s) finds g0-1 and g0-2 there and
    // bursts; g0-1 ends at 360 s and the 400 s round brings g0-3 back.
    assert_eq!(kinds(&o, "burst"), vec![(210.0, "g0-2"), (310.0, "g0-3")]);
    assert_eq!(kinds(&o, "return"), vec![(300.0, "g0-2"), (400.0, "g0-3")]);
    // 1000 MB at 1000 Mbit/s: 8 s + 10 ms each way; instances run 20 s after delivery.
    assert_eq!(
        kinds(&o, "instance_start"),
        vec![(218.01, "g0-2"), (318.01, "g0-3")]
    );
    assert_eq!(o.summary.burst, 2);
    assert_eq!(o.summary.returned, 2);
    // Each instance ran under an hour: one period each.
    assert_eq!(o.summary.cost_by_site["pub"], 2.0);
    assert_eq!(o.summary.traffic_mb["home->pub"], 2000.0);
    assert_eq!(o.summary.traffic_mb["pub->home"], 2000.0);
    assert_eq!(o.summary.served, 4);
}

const BROKER: &str = r#"
duration_s = 7200
[[sites]]
kind = "private"
name = "home"
scenario = "home.toml"
price_per_vm_hour = 1.0
[[sites]]
kind = "public"
name = "slow"
[[sites.instance_types]]
name = "m"
vcpus = 2
memory_mb = 4096
price_per_period = 0.1
billing_period_s = 3600
quota = 4
provisioning_s = 0
speed = 0.5
[[sites]]
kind = "public"
name = "fast"
[[sites.instance_types]]
name = "m"
vcpus = 2
memory_mb = 4096
price_per_period = 0.3
billing_period_s = 3600
quota = 4
provisioning_s = 0
speed = 2.0
[architecture]
kind = "broker"
[[demand.generators]]
entry = "home"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 0 }
lifetime = { dist = "fixed", s = 1800 }
utilisation = { pattern = "constant", level = 0.5 }
deadline_s = 3000
[[demand.generators]]
entry = "home"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 0 }
lifetime = { dist = "fixed", s = 1800 }
utilisation = { pattern = "constant", level = 0.5 }
deadline_s = 4000
[[demand.generators]]
entry = "home"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 0 }
lifetime = { dist = "fixed", s = 1800 }
utilisation = { pattern = "constant", level = 0.5 }
deadline_s = 1000
"#;

#[test]
fn the_broker_picks_the_cheapest_cloud_that_meets_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let fed = federation(&dir, BROKER, &[("home.toml", site("hnode", 1, 8))]);
    let o = Runtime::new(fed).unwrap().run().unwrap();
    let chosen: Vec<(&str, &str)> = o
        .events
        .iter()
        .filter(|e| e.kind == "broker_choice")
        .map(|e| (e.request.as_str(), e.site.as_str()))
        .collect();
    // 1800 s of work: slow (0.1) needs 3600 s, home (1.0) 1800 s, fast (0.3) 900 s.
    // Deadline 3000 s: slow misses it, fast is the cheaper of the rest.
    // Deadline 4000 s: slow makes it and is cheapest. Deadline 1000 s: only fast.
    assert_eq!(
        chosen,
        vec![("g0-0", "fast"), ("g1-0", "slow"), ("g2-0", "fast")]
    );
    assert_eq!(o.summary.deadline_misses, 0);
    assert_eq!(o.summary.cost_by_site["slow"], 0.1);
    assert_eq!(o.summary.cost_by_site["fast"], 0.6);
}

const CHAIN: &str = r#"
duration_s = 1000
interval_s = 100
[[sites]]
kind = "private"
name = "a"
scenario = "a.toml"
[[sites]]
kind = "private"
name = "b"
scenario = "b.toml"
[[sites]]
kind = "private"
name = "c"
scenario = "c.toml"
[[sites]]
kind = "private"
name = "d"
scenario = "d.toml"
[[links]]
a = "a"
b = "b"
latency_ms = 10
bandwidth_mbps = 1000
[[links]]
a = "b"
b = "c"
latency_ms = 10
bandwidth_mbps = 1000
[[links]]
a = "c"
b = "d"
latency_ms = 10
bandwidth_mbps = 1000
[[links]]
a = "a"
b = "d"
latency_ms = 30
bandwidth_mbps = 1000
[[relations]]
a = "a"
b = "b"
coupling = "partial"
[[relations]]
a = "b"
b = "c"
coupling = "partial"
[[relations]]
a = "c"
b = "d"
coupling = "partial"
[architecture]
kind = "aggregated"
max_depth = DEPTH
partners = [
  { site = "a", partners = ["b"] },
  { site = "b", partners = ["c"] },
  { site = "c", partners = ["d"] },
]
[[demand.generators]]
entry = "a"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 10 }
utilisation = { pattern = "constant", level = 0.5 }
image_mb = 1000
"#;

fn chain(depth: u32) -> Outcome {
    chain_with(depth, "").1.run().unwrap()
}

/// The chain with `cd_contract` (e.g. `limit_vms = 0`) added to the c–d relationship.
fn chain_with(depth: u32, cd_contract: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let sites = [
        ("a.toml", site("anode", 1, 1)),
        ("b.toml", site("bnode", 1, 1)),
        ("c.toml", site("cnode", 1, 1)),
        ("d.toml", site("dnode", 3, 4)),
    ];
    let text = CHAIN.replace("DEPTH", &depth.to_string()).replace(
        "b = \"d\"\ncoupling = \"partial\"",
        &format!("b = \"d\"\ncoupling = \"partial\"\n{cd_contract}"),
    );
    let fed = federation(&dir, &text, &sites);
    (dir, Runtime::new(fed).unwrap())
}

#[test]
fn an_intermediary_delegates_only_within_its_own_contract() {
    // c's contract at d admits no VM: c, the last intermediary, does not pass the VM on, and
    // a's request finds no site.
    let full = chain_with(2, "limit_vms = 0").1.run().unwrap();
    assert_eq!(full.summary.rejected, 1);
    let asks = full
        .events
        .iter()
        .filter(|e| e.kind == "migration_request" && e.detail.contains("c -> d"))
        .count();
    assert_eq!(asks, 0, "c never asks d");
    // With room for one VM the chain completes, and the VM counts against c's contract at d
    // (c handed it over), not a's (a has none with d).
    let (_dir, mut rt) = chain_with(2, "limit_vms = 1");
    rt.run_until(1_000_000).unwrap();
    let d = 3;
    assert!(matches!(rt.tracked()[0].loc, Loc::Private { site: 3, .. }));
    assert_eq!(rt.contract("c", d).used_vms, 1);
    assert_eq!(rt.contract("a", d).used_vms, 0);
    let room = rt.run().unwrap();
    assert_eq!((room.summary.served, room.summary.rejected), (1, 0));
}

#[test]
fn a_delegation_chain_of_depth_two_completes_with_opaque_tokens() {
    let o = chain(2);
    // a, b and c have one core each: a asks b, b delegates to c (depth 1), c to d (depth 2),
    // and d offers a token that travels back along the chain.
    let asks: Vec<&str> = o
        .events
        .iter()
        .filter(|e| e.kind == "migration_request" && e.detail.contains(": request vm"))
        .map(|e| e.detail.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        asks,
        vec![
            "migration_request a#1 a -> b",
            "migration_request a#1 b -> c",
            "migration_request a#1 c -> d"
        ]
    );
    for kind in ["initiate_transfer", "transfer_verification"] {
        assert!(!kinds(&o, kind).is_empty(), "no {kind} message");
    }
    assert_eq!((o.summary.served, o.summary.forwarded), (1, 1));
    assert_eq!(o.sites["d"].summary.vms_total, 1, "the VM runs at d");
    // No message names a host of any site: tokens stand for them.
    for e in &o.events {
        for host in ["anode", "bnode", "cnode", "dnode"] {
            assert!(
                !e.detail.contains(host),
                "{} reveals a host: {}",
                e.kind,
                e.detail
            );
        }
    }
    // The image went once, straight from a's proxy to d's (1000 MB at 1000 Mbit/s: 8 s).
    assert_eq!(o.summary.traffic_mb, [("a->d".to_string(), 1000.0)].into());

    let shallow = chain(1);
    assert_eq!(shallow.summary.rejected, 1);
    let reject = shallow.events.iter().find(|e| e.kind == "reject").unwrap();
    assert!(reject.detail.contains("depth"), "{}", reject.detail);
}

#[test]
fn billing_period_aware_shutdown_saves_cost() {
    let fed = Federation::load(&shipped("billing-period.toml")).unwrap();
    let mut immediate = fed.clone();
    for s in &mut immediate.spec.sites {
        if let SiteSpec::Public { stop, .. } = s {
            *stop = StopSpec::Immediate;
        }
    }
    let aware = Runtime::new(fed).unwrap().run().unwrap().summary;
    let eager = Runtime::new(immediate).unwrap().run().unwrap().summary;
    assert_eq!(aware.burst, 12);
    assert_eq!(eager.burst, 12);
    // Period-end: bursts 20 min apart share an instance for its paid hour, three per hour.
    assert!((aware.cost_by_site["hourly"] - 0.4).abs() < 1e-9);
    assert!((eager.cost_by_site["hourly"] - 1.2).abs() < 1e-9);
}

#[test]
fn every_shipped_architecture_serves_the_shared_demand() {
    let paths: Vec<PathBuf> = [
        "bursting",
        "broker",
        "aggregated",
        "multitier",
        "metabroker",
    ]
    .iter()
    .map(|a| shipped(&format!("{a}.toml")))
    .collect();
    let summaries = compare(&paths).unwrap();
    for s in &summaries {
        assert_eq!(s.requests, 60, "{}", s.name);
        assert_eq!(s.served + s.rejected, s.requests, "{}", s.name);
    }
    assert!(summaries[0].burst > 0 && summaries[0].returned > 0);
    assert!(summaries[2].protocol_messages["migration_request"] > 0);
    assert!(summaries[2].protocol_messages["forced_migration"] > 0);
    assert!(summaries[2].returned > 0);
    assert!(summaries[3].forwarded > 0);
    assert!(summaries[4].served > 0);
    let table = comparison_table(&summaries);
    assert_eq!(table.lines().count(), 6);
}

#[test]
fn bad_files_get_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), site("anode", 1, 4)).unwrap();
    std::fs::write(dir.path().join("b.toml"), site("bnode", 1, 4)).unwrap();
    let parse = |text: &str| {
        Federation::parse(text, &dir.path().join("fed.toml"), dir.path())
            .unwrap_err()
            .to_string()
    };
    let base = PAIR.replace("COUPLING", "loose");
    let e = parse(&base.replace("latency_ms = 20", "latency_ms = 20\nlatency = 3"));
    assert!(e.contains("line 17") && e.contains("latency"), "{e}");
    let e = parse(&base.replace("b = \"b\"\nlatency_ms", "b = \"z\"\nlatency_ms"));
    assert!(e.contains("links.0.b") && e.contains("no site `z`"), "{e}");
    let e = parse(&base.replace("monitor_interval_s = 100", "limit_vms = 2"));
    assert!(
        e.contains("relations.0.coupling") && e.contains("partial"),
        "{e}"
    );
    let e = parse(&base.replace("vm_type = \"std\"", "vm_type = \"huge\""));
    assert!(
        e.contains("demand.generators.0.vm_type") && e.contains("huge"),
        "{e}"
    );
}

#[test]
fn aggregation_hands_a_vm_back_to_its_entry_site_by_forced_migration() {
    let dir = tempfile::tempdir().unwrap();
    let text = CHAIN.replace("DEPTH", "2").replace(
        "count = 1\n",
        "count = 2\nlifetime = { dist = \"fixed\", s = 300 }\n",
    ) + r#"
[[demand.generators]]
entry = "a"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 10 }
utilisation = { pattern = "constant", level = 0.5 }
image_mb = 1000
"#;
    let sites = [
        ("a.toml", site("anode", 1, 4)),
        ("b.toml", site("bnode", 1, 4)),
        ("c.toml", site("cnode", 1, 1)),
        ("d.toml", site("dnode", 1, 1)),
    ];
    let fed = federation(&dir, &text, &sites);
    let mut rt = Runtime::new(fed).unwrap();
    rt.run_until(399_000).unwrap();
    // a holds two VMs (4 cores): the third request went to b.
    assert!(matches!(rt.tracked()[2].loc, Loc::Private { site: 1, .. }));
    // g0's VMs end at 310 s; the 400 s round hands g1-0 back to a.
    rt.run_until(500_000).unwrap();
    let Loc::Private { site: 0, vm } = rt.tracked()[2].loc else {
        panic!("g1-0 is back at a: {:?}", rt.tracked()[2].loc);
    };
    assert_eq!(
        rt.private(0).unwrap().view().vms[vm].state,
        VmState::Running
    );
    let o = rt.run().unwrap();
    let forced: Vec<&str> = o
        .events
        .iter()
        .filter(|e| e.kind == "forced_migration")
        .map(|e| e.detail.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        forced,
        vec!["forced_migration a#2 a -> b", "forced_migration a#2 b -> a"]
    );
    assert_eq!(o.summary.returned, 1);
    // Out: the image (1000 MB); back: image and memory state (1000 + 4096 MB).
    assert_eq!(o.summary.traffic_mb["a->b"], 1000.0);
    assert_eq!(o.summary.traffic_mb["b->a"], 5096.0);
    assert_eq!(o.sites["b"].summary.vms_total, 1);
}

const META: &str = r#"
duration_s = 2000
interval_s = 100
[[sites]]
kind = "private"
name = "home"
scenario = "home.toml"
price_per_vm_hour = 1.0
[[sites]]
kind = "public"
name = "cheap"
[[sites.instance_types]]
name = "m"
vcpus = 2
memory_mb = 4096
price_per_period = 0.1
billing_period_s = 3600
quota = 4
provisioning_s = 600
speed = 0.5
[[sites]]
kind = "public"
name = "quick"
[[sites.instance_types]]
name = "m"
vcpus = 2
memory_mb = 4096
price_per_period = 0.3
billing_period_s = 3600
quota = 4
provisioning_s = 0
speed = 2.0
[[links]]
a = "home"
b = "cheap"
latency_ms = 100
bandwidth_mbps = 100
[[links]]
a = "home"
b = "quick"
latency_ms = 10
bandwidth_mbps = 1000
[architecture]
kind = "broker"
probe_interval_s = 5000
[architecture.metabroker]
fresh_ms = 300000
stale_ms = 900000
[[demand.generators]]
entry = "home"
vm_type = "std"
count = 2
arrival = { process = "fixed", interval_s = 10, start_s = 10 }
lifetime = { dist = "fixed", s = 100 }
utilisation = { pattern = "constant", level = 0.5 }
[[demand.generators]]
entry = "home"
vm_type = "std"
count = 1
arrival = { process = "batch", at_s = 1000 }
lifetime = { dist = "fixed", s = 100 }
utilisation = { pattern = "constant", level = 0.5 }
"#;

#[test]
fn the_meta_broker_takes_the_healthiest_feasible_cloud_and_ignores_stale_probes() {
    let dir = tempfile::tempdir().unwrap();
    let fed = federation(&dir, META, &[("home.toml", site("hnode", 1, 2))]);
    let o = Runtime::new(fed).unwrap().run().unwrap();
    // Probes at 0 s of a 2-vCPU × 1000-MIPS VM (60 s of work, 1024 MB image, 100 MB test):
    //   home:  compute 60 s, transfer 0.001 s (within the site), available;
    //   cheap: compute 600 + 82.02 (image) + 120 s = 802.02 s, transfer 8.1 s;
    //   quick: compute 8.202 + 30 s = 38.202 s, transfer 0.81 s.
    // Scores 0.5·a + 0.3·(38.202/c) + 0.2·(0.001/t): home 0.891, quick 0.800, cheap 0.514.
    let ranks: Vec<&str> = o
        .events
        .iter()
        .filter(|e| e.kind == "metabroker_rank")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(ranks[0], "ranked: home 0.891, quick 0.800, cheap 0.514");
    // g0-0 takes home's only slot; g0-1 finds home full and takes quick, not cheap.
    assert_eq!(kinds(&o, "submit"), vec![(10.0, "g0-0")]);
    assert_eq!(kinds(&o, "instance_start"), vec![(28.202, "g0-1")]);
    // At 1000 s the probes from 0 s are 1000 s old, past stale_ms: nothing is ranked.
    assert_eq!(ranks[2], "ranked: none; stale: cheap, home, quick");
    let reject = o.events.iter().find(|e| e.kind == "reject").unwrap();
    assert_eq!(reject.request, "g1-0");
}

#[test]
fn a_run_is_reproducible() {
    let run_once = || run(&shipped("aggregated.toml")).unwrap();
    let (a, b) = (run_once(), run_once());
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.events, b.events);
    assert_eq!(a.intervals, b.intervals);
}

#[test]
fn a_virtual_network_spans_sites_only_where_the_coupling_allows_it() {
    // Loose: a networked request that would burst may not leave its network's site.
    let dir = tempfile::tempdir().unwrap();
    let text = BURST.replace("image_mb = 1000", "image_mb = 1000\nnetwork = \"web\"")
        + "[[relations]]\na = \"home\"\nb = \"pub\"\ncoupling = \"loose\"\n";
    let fed = federation(&dir, &text, &[("home.toml", site("hnode", 1, 8))]);
    let o = Runtime::new(fed).unwrap().run().unwrap();
    assert_eq!(o.summary.burst, 0);
    let rejected: Vec<(&str, &str)> = o
        .events
        .iter()
        .filter(|e| e.kind == "reject")
        .map(|e| (e.request.as_str(), e.detail.as_str()))
        .collect();
    let why = "reserved fraction 0.750 would exceed 0.5; cross-site network from `home` to \
               `pub` is not allowed under loose coupling";
    assert_eq!(rejected, vec![("g0-2", why)]);

    // Tight: the network follows a VM that live-migrates to the other site.
    let dir = tempfile::tempdir().unwrap();
    let text = PAIR
        .replace("COUPLING", "tight")
        .replace("count = 1", "count = 2\nnetwork = \"web\"");
    let sites = [
        ("a.toml", site("anode", 2, 8)),
        ("b.toml", site("bnode", 2, 8)),
    ];
    let mut rt = Runtime::new(federation(&dir, &text, &sites)).unwrap();
    rt.run_until(500_000).unwrap();
    rt.live_migrate("a", 0, 1, 0).unwrap();
    let o = rt.run().unwrap();
    let extended: Vec<&str> = o
        .events
        .iter()
        .filter(|e| e.kind == "network_extend")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(extended, vec!["network web between a and b"]);
}
