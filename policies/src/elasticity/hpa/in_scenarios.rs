//! The `hpa` mode in a scenario: read from a role's `target_tracking` table, located errors,
//! and the service manager's decisions on a cluster view.

use orrery_engine::model::{ServiceSlot, ServiceState};
use orrery_engine::rng::RngStreams;
use orrery_engine::Action;

use crate::elasticity::manager::ServiceElasticity;
use crate::service_fixtures::{add_service, add_vm, deliver, parse, text, view};
use orrery_engine::policy::Elasticity;

/// A scenario whose service `app` has role `web` (4 VMs, 1..=10) with `tracking` as its
/// `target_tracking` table's body.
fn scenario_text(tracking: &str) -> String {
    text(
        "",
        &format!(
            r#"
[[organisations]]
name = "acme"

[[services]]
name = "app"
tenant = "acme"

[[services.roles]]
name = "web"
vm_type = "web"
cardinality = 4
min_vms = 1
max_vms = 10

[services.roles.target_tracking]
{tracking}
"#
        ),
    )
}

const HPA: &str = r#"mode = "hpa"
metrics = [{ type = "Pods", pods = { metric = { name = "REQUESTS" }, target = { type = "AverageValue", averageValue = "20" } } }]
behavior = { scaleUp = { policies = [{ type = "Pods", value = 2, periodSeconds = 60 }] } }"#;

#[test]
fn hpa_mode_scales_a_role_in_a_scenario() {
    let s = parse(&scenario_text(HPA));
    let mut e = ServiceElasticity::from_scenario(&s).expect("mode = \"hpa\" is accepted");
    let mut v = view(&s);
    let app = add_service(
        &mut v,
        "app",
        "acme",
        None,
        ServiceState::Running,
        &[("web", 0, 4)],
    );
    let slot = Some(ServiceSlot {
        service: app,
        role: 0,
    });
    for i in 0..4 {
        let vm = add_vm(&mut v, 0, i % 2, slot);
        deliver(&mut v, vm, &[("REQUESTS", 50.0)]);
    }
    // 50 against 20: ceil(2.5 × 4) = 10, at most 2 VMs more per 60 s: 6.
    let plan = e.scale(&v, &mut RngStreams::new(0).stream("elasticity", 0));
    assert_eq!(
        plan,
        [Action::ScaleRole {
            service: 0,
            role: 0,
            cardinality: 6,
            cooldown_s: 0
        }]
    );
}

#[test]
fn modes_are_named_and_bad_keys_located() {
    let err = |tracking: &str| {
        let text = scenario_text(tracking);
        let e = ServiceElasticity::from_scenario(&parse(&text))
            .err()
            .expect("a bad rule");
        (e, text)
    };
    // The default mode may be named.
    let ratio = r#"mode = "ratio"
metrics = [{ metric = "CPU_UTILIZATION", target = 60 }]"#;
    assert!(ServiceElasticity::from_scenario(&parse(&scenario_text(ratio))).is_ok());
    // An unknown mode: located at its value, with the modes in the hint.
    let (e, text) = err("mode = \"keda\"\nmetrics = []");
    assert_eq!(
        e.key.as_deref(),
        Some("services[0].roles[0].target_tracking.mode")
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("mode = \"keda\""))
        .unwrap();
    assert_eq!(e.line, Some(line + 1), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("`hpa`"), "{e}");
    // A key of the ratio mode in the hpa mode, and a bad policy period.
    let (e, _) = err("mode = \"hpa\"\nscale_up_window_s = 30");
    assert_eq!(
        e.key.as_deref(),
        Some("services[0].roles[0].target_tracking.scale_up_window_s")
    );
    let (e, _) = err(&HPA.replace("periodSeconds = 60", "periodSeconds = 0"));
    assert_eq!(
        e.key.as_deref(),
        Some("services[0].roles[0].target_tracking.behavior.scaleUp.policies[0].periodSeconds")
    );
}

#[test]
fn the_documented_example_is_a_valid_rule() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/services.md"))
        .expect("docs/services.md");
    let section = &docs[docs.find("### The `hpa` mode").expect("the hpa section")..];
    let start = section.find("```toml\n").expect("an example") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let body = example
        .strip_prefix("[services.roles.target_tracking]\n")
        .expect("the example is a target_tracking table");
    let s = parse(&scenario_text(body));
    ServiceElasticity::from_scenario(&s).expect("the documented example is valid");
}
