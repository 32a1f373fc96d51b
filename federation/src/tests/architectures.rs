//! The architectures' routing against hand-worked timelines: bursting, the broker, the
//! aggregated architecture's protocol chains and hand-backs, and the meta-broker.

use orrery_engine::model::VmState;

use super::{federation, kinds, site, BURST};
use crate::ids::SiteId;
use crate::requests::ledger::Loc;
use crate::{Outcome, Runtime};

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
    let d = SiteId(3);
    assert!(matches!(
        rt.tracked()[0].loc,
        Loc::Private {
            site: SiteId(3),
            ..
        }
    ));
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
    assert!(matches!(
        rt.tracked()[2].loc,
        Loc::Private {
            site: SiteId(1),
            ..
        }
    ));
    // g0's VMs end at 310 s; the 400 s round hands g1-0 back to a.
    rt.run_until(500_000).unwrap();
    let Loc::Private {
        site: SiteId(0),
        vm,
    } = rt.tracked()[2].loc
    else {
        panic!("g1-0 is back at a: {:?}", rt.tracked()[2].loc);
    };
    assert_eq!(
        rt.private(SiteId(0)).unwrap().view().vms[vm].state,
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
