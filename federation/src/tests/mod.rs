//! The federation runtime against hand-worked timelines: coupling levels, the four
//! architectures and the shipped files; helpers for the SaaS layer's tests too.

use std::path::{Path, PathBuf};

use orrery_engine::model::VmState;

use super::*;
use crate::coupling::{FederationError, RemoteOp, RemoteView};
use crate::ids::{RequestId, SiteId};
use crate::requests::ledger::Loc;
use crate::spec::{SiteSpec, StopSpec};

mod architectures;

pub(crate) fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/federation")
        .join(name)
}

/// A private site's scenario: `hosts` hosts of `cores` cores at 1000 MIPS and 32 GB, host
/// type `host_type`, VM type `std` (2 vCPUs × 1000 MIPS, 4 GB), no load of its own.
pub(crate) fn site(host_type: &str, hosts: usize, cores: u32) -> String {
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
    let (at, view) = rt.remote_view_at("a", SiteId(1)).expect("a monitors b");
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
            rt.check("a", SiteId(1), op),
            Err(FederationError::Forbidden {
                from: "a".into(),
                to: "b".into(),
                op: op.name(),
                coupling: "loose",
            })
        );
    }
    let before = rt.tracked()[0].loc;
    assert!(matches!(
        before,
        Loc::Private {
            site: SiteId(0),
            ..
        }
    ));
    let err = rt
        .place_on_host("a", RequestId(0), SiteId(1), 0)
        .unwrap_err();
    assert!(matches!(
        err,
        FederationError::Forbidden {
            coupling: "loose",
            ..
        }
    ));
    assert!(rt.live_migrate("a", RequestId(0), SiteId(1), 0).is_err());
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
    let Some(RemoteView::Hosts(hosts)) = rt.remote_view("a", SiteId(1)) else {
        panic!("tight coupling shows every host");
    };
    assert_eq!(hosts.len(), 2);
    let Loc::Private {
        site: SiteId(0),
        vm: old,
    } = rt.tracked()[0].loc
    else {
        panic!("the broker put the request on the cheaper site a");
    };
    rt.live_migrate("a", RequestId(0), SiteId(1), 1).unwrap();
    // 4096 MB at 1000 Mbit/s is 32.768 s, plus 20 ms of latency.
    rt.run_until(500_000 + 32_787).unwrap();
    assert!(matches!(
        rt.tracked()[0].loc,
        Loc::InTransit { to: SiteId(1) }
    ));
    rt.run_until(500_000 + 32_788).unwrap();
    let Loc::Private {
        site: SiteId(1),
        vm,
    } = rt.tracked()[0].loc
    else {
        panic!("the VM arrived at b: {:?}", rt.tracked()[0].loc);
    };
    rt.run_until(600_000).unwrap();
    let b = rt.private(SiteId(1)).unwrap().view();
    assert_eq!(b.vms[vm].host, Some(1), "placed on the host a chose");
    assert_eq!(b.vms[vm].state, VmState::Running);
    assert_eq!(
        rt.private(SiteId(0)).unwrap().view().vms[old].state,
        VmState::Stopped
    );
    let o = rt.run().unwrap();
    assert_eq!(o.summary.traffic_mb.get("a->b"), Some(&4096.0));
    assert_eq!(kinds(&o, "live_migration"), vec![(500.0, "g0-0")]);

    let (_dir, fed) = pair("partial");
    let mut rt = Runtime::new(fed).unwrap();
    rt.run_until(500_000).unwrap();
    let err = rt
        .live_migrate("a", RequestId(0), SiteId(1), 1)
        .unwrap_err();
    assert!(matches!(
        err,
        FederationError::Forbidden {
            coupling: "partial",
            ..
        }
    ));
}

pub(crate) const BURST: &str = r#"
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
fn billing_period_aware_shutdown_saves_cost() {
    let fed = Federation::load(&shipped("billing-period.toml"), &[]).unwrap();
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
    let summaries = compare(&paths, &[]).unwrap();
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
fn a_run_is_reproducible() {
    let run_once = || run(&shipped("aggregated.toml"), &[]).unwrap();
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
    rt.live_migrate("a", RequestId(0), SiteId(1), 0).unwrap();
    let o = rt.run().unwrap();
    let extended: Vec<&str> = o
        .events
        .iter()
        .filter(|e| e.kind == "network_extend")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(extended, vec!["network web between a and b"]);
}
