//! `orrery policies`: the catalogue lists exactly the names the registry accepts, with what
//! each needs, and every parameter of `[policies]` it lists is a documented scenario key.

mod common;

use common::*;
use serde_json::Value;

fn catalogue() -> Value {
    let out = run_orrery(["policies", "--json"]);
    assert_success(&out);
    serde_json::from_str(&stdout(&out)).expect("policies --json is one JSON document")
}

fn names(catalogue: &Value, table: &str) -> Vec<String> {
    catalogue[table]
        .as_array()
        .unwrap_or_else(|| panic!("no `{table}` array"))
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// `orrery validate FILE --set KEY=NAME`.
fn validate(file: &str, key: &str, name: &str) -> std::process::Output {
    let path = scenario(file);
    run_orrery([
        "validate",
        path.to_str().unwrap(),
        "--set",
        &format!("{key}={name}"),
    ])
}

#[test]
fn every_listed_policy_validates_in_a_scenario_with_a_thermal_section() {
    let c = catalogue();
    let placements = names(&c, "placements");
    let reallocations = names(&c, "reallocations");
    assert_eq!(placements.len(), 10, "{placements:?}");
    assert_eq!(reallocations.len(), 5, "{reallocations:?}");
    for (key, list) in [
        ("policies.placement", &placements),
        ("policies.reallocation", &reallocations),
    ] {
        for name in list {
            let out = validate("table1/thermal-balance.toml", key, name);
            assert_success(&out);
        }
    }
}

#[test]
fn the_registry_accepts_no_other_name_and_its_hint_is_the_catalogue() {
    let c = catalogue();
    for (key, table) in [
        ("policies.placement", "placements"),
        ("policies.reallocation", "reallocations"),
    ] {
        let out = validate("table1/thermal-balance.toml", key, "no-such-policy");
        let err = assert_input_error(&out);
        let hint = format!("use one of: {}", names(&c, table).join(", "));
        assert!(err.contains(&hint), "{err}\nshould hint {hint}");
    }
}

#[test]
fn what_a_policy_needs_is_what_the_registry_demands() {
    // power-cycling.toml has no [thermal] section.
    let c = catalogue();
    for (key, table) in [
        ("policies.placement", "placements"),
        ("policies.reallocation", "reallocations"),
    ] {
        for p in c[table].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let out = validate("power-cycling.toml", key, name);
            match p["needs"].as_str() {
                Some(needs) => {
                    assert!(needs.contains("[thermal]"), "{name}: {needs}");
                    let err = assert_input_error(&out);
                    assert!(err.contains("needs host temperatures"), "{name}: {err}");
                }
                None => assert_success(&out),
            }
        }
    }
}

#[test]
fn the_table_lists_every_name_and_parameter() {
    let out = run_orrery(["policies"]);
    assert_success(&out);
    let text = stdout(&out);
    let c = catalogue();
    for table in ["placements", "reallocations", "elasticity", "admission"] {
        for p in c[table].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            assert!(
                text.lines().any(|l| l.starts_with(&format!("  {name} "))),
                "`{name}` is not listed:\n{text}"
            );
            for s in p["sections"].as_array().unwrap() {
                for param in s["params"].as_array().unwrap() {
                    let key = param["key"].as_str().unwrap();
                    let default = param["default"].as_str().unwrap();
                    assert!(
                        text.lines()
                            .any(|l| l.starts_with(&format!("  {key} ")) && l.contains(default)),
                        "{name}: `{key}` (default {default}) has no row:\n{text}"
                    );
                }
            }
        }
    }
    for elasticity in ["oneflow", "scheduled", "target-tracking", "vertical"] {
        assert!(names(&c, "elasticity").contains(&elasticity.to_string()));
    }
    // -q keeps it: listing is what the command is for.
    let quiet = run_orrery(["-q", "policies"]);
    assert_eq!(stdout(&quiet), text);
}

#[test]
fn every_policies_parameter_is_a_documented_scenario_key() {
    let readme = std::fs::read_to_string(root().join("scenarios/README.md")).unwrap();
    let c = catalogue();
    let mut sections: Vec<&Value> = vec![&c["shared"]];
    for table in ["placements", "reallocations"] {
        for p in c[table].as_array().unwrap() {
            sections.extend(p["sections"].as_array().unwrap());
        }
    }
    for s in sections {
        assert!(
            s["section"].as_str().unwrap().starts_with("[policies"),
            "{s}"
        );
        for param in s["params"].as_array().unwrap() {
            let key = param["key"].as_str().unwrap();
            assert!(
                readme.contains(&format!("| `{key}` |")),
                "`{key}` is not in scenarios/README.md's tables"
            );
        }
    }
}
