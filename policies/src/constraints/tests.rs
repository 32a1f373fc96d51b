//! Each constraint class on hand-built clusters, and a sweep showing that no policy ever
//! produces a placement that breaks one (checked by an independent validator).

use std::collections::BTreeMap;

use orrery_engine::action::Action;
use orrery_engine::model::{
    GroupRole, HostType, PowerModel, PowerState, Role, RolePolicy, VmGroup, VmState, VmType,
};
use orrery_engine::policy::Placement;
use orrery_engine::rng::RngStreams;
use orrery_engine::view::{ClusterView, Compat, HostId, HostView, VmId, VmView};

use super::{Constraints, Requirements};
use crate::consolidation::{Consolidation, Detector, Selection};
use crate::placement::index::Order;
use crate::placement::Greedy;

fn linear() -> PowerModel {
    PowerModel::Linear {
        idle_w: 100.0,
        max_w: 200.0,
    }
}

/// Host types: 0 plain kvm in zone-less racks, 1 no-overcommit, 2 high-reliability xen.
fn types() -> Vec<HostType> {
    let mut plain = HostType::new("plain", 8, 1000.0, 16_000.0, linear());
    plain.attributes.insert("hypervisor".into(), "kvm".into());
    let mut guaranteed = HostType::new("guaranteed", 8, 1000.0, 16_000.0, linear());
    guaranteed.no_overcommit = true;
    guaranteed
        .attributes
        .insert("hypervisor".into(), "kvm".into());
    let mut reliable = HostType::new("reliable", 8, 1000.0, 16_000.0, linear());
    reliable.high_reliability = true;
    reliable
        .attributes
        .insert("hypervisor".into(), "xen".into());
    vec![plain, guaranteed, reliable]
}

/// A cluster of hosts of the given types (zones `a` for even ids, `b` for odd) and VM types.
fn cluster(host_types: &[usize], vm_types: Vec<VmType>, groups: Vec<VmGroup>) -> ClusterView {
    let mut view = ClusterView::new(Compat::None, types(), vm_types);
    view.overcommit.cpu = 2.0;
    view.vm_groups = groups;
    for (i, &t) in host_types.iter().enumerate() {
        let mut h = HostView::new(format!("node{i}"), t, PowerState::On);
        h.zone = if i % 2 == 0 { "a" } else { "b" }.into();
        view.hosts.push(h);
    }
    view
}

fn pending(view: &mut ClusterView, vm_type: usize, n: usize) -> Vec<VmId> {
    (0..n)
        .map(|_| {
            let id = view.vms.len();
            let mut vm = VmView::new(format!("vm{id}"), vm_type, 0);
            vm.state = VmState::Pending;
            view.vms.push(vm);
            id
        })
        .collect()
}

fn small(name: &str) -> VmType {
    VmType::new(name, 1, 500.0, 1000.0)
}

fn deployments(plan: &[Action]) -> Vec<(VmId, HostId)> {
    plan.iter()
        .filter_map(|a| match a {
            Action::Deploy { vm, host } => Some((*vm, *host)),
            _ => None,
        })
        .collect()
}

fn place_with(order: Order, view: &ClusterView, vms: &[VmId]) -> Vec<Action> {
    let mut rng = RngStreams::new(1).stream("test", 0);
    Greedy::new(order, Requirements::of(view)).place(view, vms, &mut rng)
}

#[test]
fn guaranteed_vms_go_only_to_no_overcommit_hosts() {
    let mut vm = small("gold");
    vm.constraints.guaranteed = true;
    let mut view = cluster(&[0, 0, 1, 0], vec![vm], vec![]);
    let vms = pending(&mut view, 0, 3);
    let plan = place_with(Order::FirstFit, &view, &vms);
    assert_eq!(deployments(&plan), vec![(0, 2), (1, 2), (2, 2)]);
    // No overcommit there: 8 000 MIPS hold 16 VMs of 500, not the 32 a 2× ratio would allow.
    let many = pending(&mut view, 0, 20);
    let plan = place_with(Order::FirstFit, &view, &many);
    assert_eq!(deployments(&plan).len(), 16);
    assert!(matches!(&plan[16], Action::Defer { reason, .. } if reason.contains("room")));
}

#[test]
fn high_reliability_vms_go_only_to_high_reliability_hosts() {
    let mut vm = small("critical");
    vm.constraints.high_reliability = true;
    let mut view = cluster(&[0, 1, 0, 2], vec![vm], vec![]);
    let vms = pending(&mut view, 0, 2);
    let plan = place_with(Order::Striping, &view, &vms);
    assert_eq!(deployments(&plan), vec![(0, 3), (1, 3)]);
}

#[test]
fn requirements_select_platform_and_location() {
    let mut xen = small("xen-only");
    xen.constraints.requirements = Some(r#"HYPERVISOR = "xen""#.into());
    let mut zone_b = small("zone-b");
    zone_b.constraints.requirements = Some(r#"ZONE = "b" & NAME = "node*""#.into());
    let mut view = cluster(&[0, 0, 2, 0, 0], vec![xen, zone_b], vec![]);
    let x = pending(&mut view, 0, 1);
    let z = pending(&mut view, 1, 2);
    assert_eq!(
        deployments(&place_with(Order::FirstFit, &view, &x)),
        vec![(0, 2)]
    );
    // Zone b is the odd hosts; packing keeps both VMs on the first of them.
    assert_eq!(
        deployments(&place_with(Order::Packing, &view, &z)),
        vec![(1, 1), (2, 1)]
    );
}

#[test]
fn unsatisfiable_requests_stay_pending_with_the_reason() {
    let mut vm = small("arm");
    vm.constraints.requirements = Some(r#"ARCH = "aarch64""#.into());
    let mut view = cluster(&[0, 1], vec![vm], vec![]);
    let vms = pending(&mut view, 0, 1);
    let plan = place_with(Order::FirstFit, &view, &vms);
    assert_eq!(
        plan,
        vec![Action::Defer {
            vm: 0,
            reason: "no host satisfies its constraints: VM requirements not met".into()
        }]
    );
}

fn group(policy: RolePolicy, affined: Vec<(usize, usize)>, anti: Vec<(usize, usize)>) -> VmGroup {
    let role = |name: &str, policy| Role {
        name: name.into(),
        policy,
        ..Role::default()
    };
    VmGroup {
        name: "app".into(),
        roles: vec![role("web", policy), role("db", RolePolicy::None)],
        affined,
        anti_affined: anti,
    }
}

fn member(name: &str, role: usize) -> VmType {
    let mut t = small(name);
    t.constraints.group = Some(GroupRole { group: 0, role });
    t
}

#[test]
fn anti_affined_role_spreads_and_affined_role_shares_a_host() {
    let mut view = cluster(
        &[0, 0, 0],
        vec![member("web", 0)],
        vec![group(RolePolicy::AntiAffined, vec![], vec![])],
    );
    let vms = pending(&mut view, 0, 4);
    let plan = place_with(Order::Packing, &view, &vms);
    assert_eq!(deployments(&plan), vec![(0, 0), (1, 1), (2, 2)]);
    assert!(matches!(&plan[3], Action::Defer { reason, .. } if reason.contains("anti-affined")));

    let mut view = cluster(
        &[0, 0, 0],
        vec![member("web", 0)],
        vec![group(RolePolicy::Affined, vec![], vec![])],
    );
    let vms = pending(&mut view, 0, 3);
    // Load-aware would spread them; affinity keeps them together.
    let plan = place_with(Order::LoadAware, &view, &vms);
    assert_eq!(deployments(&plan), vec![(0, 0), (1, 0), (2, 0)]);
}

#[test]
fn role_pairs_and_host_lists_bind() {
    // db is affined to web: it follows web's host. Then anti-affinity keeps them apart.
    let mut view = cluster(
        &[0, 0, 0],
        vec![member("web", 0), member("db", 1)],
        vec![group(RolePolicy::None, vec![(0, 1)], vec![])],
    );
    let web = pending(&mut view, 0, 1);
    let db = pending(&mut view, 1, 1);
    let mut both = web.clone();
    both.extend(&db);
    assert_eq!(
        deployments(&place_with(Order::LoadAware, &view, &both)),
        vec![(0, 0), (1, 0)]
    );

    let mut view = cluster(
        &[0, 0, 0],
        vec![member("web", 0), member("db", 1)],
        vec![group(RolePolicy::None, vec![], vec![(0, 1)])],
    );
    let web = pending(&mut view, 0, 1);
    let db = pending(&mut view, 1, 1);
    let mut both = web.clone();
    both.extend(&db);
    assert_eq!(
        deployments(&place_with(Order::Packing, &view, &both)),
        vec![(0, 0), (1, 1)]
    );

    let mut g = group(RolePolicy::None, vec![], vec![]);
    g.roles[0].host_affined = vec![1, 2];
    g.roles[0].host_anti_affined = vec![1];
    let mut view = cluster(&[0, 0, 0], vec![member("web", 0)], vec![g]);
    let web = pending(&mut view, 0, 2);
    assert_eq!(
        deployments(&place_with(Order::FirstFit, &view, &web)),
        vec![(0, 2), (1, 2)]
    );
}

#[test]
fn a_vm_does_not_conflict_with_itself_when_it_moves() {
    let mut view = cluster(
        &[0, 0],
        vec![member("web", 0)],
        vec![group(RolePolicy::AntiAffined, vec![], vec![])],
    );
    let vms = pending(&mut view, 0, 1);
    view.vms[vms[0]].state = VmState::Running;
    view.vms[vms[0]].host = Some(0);
    view.hosts[0].vms.push(vms[0]);
    let reqs = Requirements::of(&view);
    let c = Constraints::new(&view, &reqs);
    assert_eq!(c.check(0, vms[0]), Ok(()));
    assert_eq!(c.check(1, vms[0]), Ok(()));
}

/// Checks a final assignment against every rule, written out independently of `check`.
fn violations(view: &ClusterView, at: &BTreeMap<VmId, HostId>) -> Vec<String> {
    let mut out = Vec::new();
    let mut role_hosts: BTreeMap<(usize, usize), Vec<HostId>> = BTreeMap::new();
    for (&v, &h) in at {
        let c = &view.vm_type(v).constraints;
        let ty = view.host_type(h);
        if c.guaranteed && !ty.no_overcommit {
            out.push(format!("guaranteed vm {v} on host {h}"));
        }
        if c.high_reliability && !ty.high_reliability {
            out.push(format!("high-reliability vm {v} on host {h}"));
        }
        if c.requirements.is_some()
            && ty.attributes.get("hypervisor").map(String::as_str) != Some("xen")
        {
            out.push(format!("xen-only vm {v} on host {h}"));
        }
        if let Some(g) = c.group {
            role_hosts.entry((g.group, g.role)).or_default().push(h);
        }
    }
    let web = role_hosts.get(&(0, 0)).cloned().unwrap_or_default();
    let db = role_hosts.get(&(0, 1)).cloned().unwrap_or_default();
    let mut distinct = web.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != web.len() {
        out.push(format!("anti-affined web VMs share hosts: {web:?}"));
    }
    if db.iter().any(|h| web.contains(h)) {
        out.push(format!("web and db share a host: {web:?} {db:?}"));
    }
    out
}

#[test]
fn no_policy_ever_breaks_a_constraint() {
    let mut xen = small("xen");
    xen.constraints.requirements = Some(r#"HYPERVISOR = "xen""#.into());
    let mut gold = small("gold");
    gold.constraints.guaranteed = true;
    let mut critical = small("critical");
    critical.constraints.high_reliability = true;
    let vm_types = vec![
        small("plain"),
        xen,
        gold,
        critical,
        member("web", 0),
        member("db", 1),
    ];
    let streams = RngStreams::new(7);
    let mut placed_constrained = 0;
    for trial in 0..40u64 {
        let mut rng = streams.stream("constraint-sweep", trial);
        let hosts: Vec<usize> = (0..6)
            .map(|_| rand::Rng::random_range(&mut rng, 0..3))
            .collect();
        let mut view = cluster(
            &hosts,
            vm_types.clone(),
            vec![group(RolePolicy::AntiAffined, vec![], vec![(0, 1)])],
        );
        let mut vms = Vec::new();
        for _ in 0..30 {
            let t = rand::Rng::random_range(&mut rng, 0..vm_types.len());
            vms.extend(pending(&mut view, t, 1));
        }
        let mut policies: Vec<Box<dyn Placement>> = [
            Order::FirstFit,
            Order::Packing,
            Order::Striping,
            Order::LoadAware,
            Order::Coolest,
            Order::CoolestInlet,
        ]
        .into_iter()
        .map(|o| Box::new(Greedy::new(o, Requirements::of(&view))) as Box<dyn Placement>)
        .collect();
        let mut pabfd = Consolidation::new(Detector::Thr(0.8), Selection::Mmt);
        pabfd.requirements = Requirements::of(&view);
        policies.push(Box::new(pabfd));
        for (p, policy) in policies.iter_mut().enumerate() {
            let plan = policy.place(&view, &vms, &mut rng);
            assert_eq!(plan.len(), vms.len(), "one action per VM");
            let at: BTreeMap<VmId, HostId> = deployments(&plan).into_iter().collect();
            let bad = violations(&view, &at);
            assert!(bad.is_empty(), "trial {trial}, policy {p}: {bad:?}");
            // Whatever is not placed stays pending with a reason (or, unconstrained, is rejected).
            for a in &plan {
                if let Action::Defer { reason, .. } = a {
                    assert!(!reason.is_empty());
                }
            }
            placed_constrained += at.keys().filter(|&&v| view.vms[v].vm_type > 0).count();
        }
    }
    assert!(
        placed_constrained > 1000,
        "the sweep must exercise constrained placements, got {placed_constrained}"
    );
}
