//! Policies built from a scenario decide in the expression dialect `[policies] expressions`
//! names.

use std::path::Path;

use orrery_engine::action::Action;
use orrery_engine::error::InputError;
use orrery_engine::model::{PowerState, VmState};
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;
use orrery_engine::view::{ClusterView, Compat, HostView, VmView};

use super::placement;

/// Host 0 runs kvm, host 1 xen, both empty; one VM type with `requirements`, `[policies]` as
/// given.
fn scenario(policies: &str, requirements: &str) -> Result<Scenario, InputError> {
    let group = |name: &str, hypervisor: &str| {
        format!(
            r#"[[hosts]]
type = "{name}"
count = 1
cores = 8
core_mips = 1000
memory_mb = 16384
power = {{ model = "linear", idle_w = 100.0, max_w = 200.0 }}
attributes = {{ HYPERVISOR = "{hypervisor}" }}
"#
        )
    };
    let text = format!(
        r#"duration_s = 60
{}{}
[[vm_types]]
name = "v"
mips = 1000
memory_mb = 1024
requirements = '{requirements}'

[[workload.generators]]
vm_type = "v"
count = 1
arrival = {{ process = "batch" }}
utilisation = {{ pattern = "constant", level = 0.5 }}

[policies]
{policies}
"#,
        group("a", "kvm"),
        group("b", "xen"),
    );
    Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[])
}

/// Where the placement `scenario` names puts one pending VM on its two empty hosts.
fn placed(scenario: &Scenario) -> Vec<Action> {
    let mut view = ClusterView::new(Compat::None, scenario.host_types(), scenario.vm_types());
    for (t, name) in ["a-0", "b-1"].into_iter().enumerate() {
        view.hosts.push(HostView::new(name, t, PowerState::On));
    }
    let mut vm = VmView::new("vm", 0, 0);
    vm.state = VmState::Pending;
    view.vms.push(vm);
    let mut rng = RngStreams::new(1).stream("t", 0);
    placement(scenario).unwrap().place(&view, &[0], &mut rng)
}

#[test]
fn the_expression_dialect_decides_where_a_vm_goes() {
    // orrery: ID = 0 | (ID = 1 & …), so host 0. OpenNebula: (ID = 0 | ID = 1) & HYPERVISOR
    // = xen, so host 1.
    let requirements = "ID = 0 | ID = 1 & HYPERVISOR = \"xen\"";
    let deploy = |host| vec![Action::Deploy { vm: 0, host }];
    let first_fit = "placement = \"first-fit\"";
    let orrery = scenario(first_fit, requirements).unwrap();
    assert_eq!(placed(&orrery), deploy(0));
    let explicit = scenario(
        &format!("{first_fit}\nexpressions = \"orrery\""),
        requirements,
    );
    assert_eq!(placed(&explicit.unwrap()), deploy(0));
    let on = format!("{first_fit}\nexpressions = \"opennebula\"");
    assert_eq!(placed(&scenario(&on, requirements).unwrap()), deploy(1));

    // The rank too: ID * 7 / 2 - ID * 3 is 0 and 0.5 in orrery's f64 (host 1 wins), 0 and 0
    // once OpenNebula truncates it (a tie: the lowest id).
    let rank = "placement = \"rank\"\n[policies.rank]\nrank = \"ID * 7 / 2 - ID * 3\"";
    assert_eq!(placed(&scenario(rank, "").unwrap()), deploy(1));
    let rank_on = format!("expressions = \"opennebula\"\n{rank}");
    assert_eq!(placed(&scenario(&rank_on, "").unwrap()), deploy(0));
}

#[test]
fn syntax_errors_name_the_key_of_the_expression_in_its_dialect() {
    let on = "placement = \"first-fit\"\nexpressions = \"opennebula\"";
    // Valid in orrery's dialect only.
    assert!(placement(&scenario("placement = \"first-fit\"", "FREE_CPU >= 1").unwrap()).is_ok());
    let Err(e) = placement(&scenario(on, "FREE_CPU >= 1").unwrap()) else {
        panic!("`>=` parsed in the opennebula dialect");
    };
    assert_eq!(e.key.as_deref(), Some("vm_types.0.requirements"));
    assert!(e.line.is_some(), "{e}");
    assert!(e.message.contains("column 11"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("expr_bool.y"), "{e}");
    let rank = "placement = \"rank\"\nexpressions = \"opennebula\"\n\
                [policies.rank]\nrank = \"FREE_CPU -1\"";
    let Err(e) = placement(&scenario(rank, "").unwrap()) else {
        panic!("`FREE_CPU -1` parsed in the opennebula dialect");
    };
    assert_eq!(e.key.as_deref(), Some("policies.rank.rank"));
    assert!(e.hint.as_deref().unwrap().contains("expr_arith.y"), "{e}");
}

#[test]
fn an_unknown_dialect_is_located_at_its_key() {
    let e = scenario("placement = \"first-fit\"\nexpressions = \"nebula\"", "").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("policies.expressions"));
    assert!(e.line.is_some(), "{e}");
    assert!(e.message.contains("nebula"), "{e}");
    assert!(e.message.contains("opennebula"), "{e}");
}
