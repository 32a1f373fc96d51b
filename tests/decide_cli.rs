//! `orrery decide`: one decision of the configured policies on a state file, checked against
//! decisions worked out by hand from the policies' documented rules; TOML and JSON states
//! give the same answer; bad states are located errors; `--out` is written whole.

mod common;

use common::*;
use serde_json::{json, Value};

fn decide(args: &[&str]) -> Value {
    let mut all = vec!["decide"];
    all.extend_from_slice(args);
    let out = run_orrery(&all);
    assert_success(&out);
    serde_json::from_str(&stdout(&out)).expect("decide prints one JSON document")
}

/// The actions of decision `kind` in `answer`.
fn actions(answer: &Value, kind: &str) -> Value {
    answer["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["decision"] == kind)
        .unwrap_or_else(|| panic!("no {kind} decision in {answer}"))["actions"]
        .clone()
}

#[test]
fn placement_and_workload_balance_decide_as_worked_out_by_hand() {
    let state = scenario("decide/balance.toml");
    let answer = decide(&[state.to_str().unwrap()]);
    assert_eq!(answer["format"], "orrery-decisions/1");
    assert_eq!(answer["now_s"], 3600.0);
    // First fit: h1 holds three 1024 MB VMs in 3072 MB, so d goes to h2.
    assert_eq!(
        actions(&answer, "placement"),
        json!([{ "kind": "deploy", "vm": "d", "host": "h2" }])
    );
    // h1 is at (0.9 + 0.5 + 0.2) / 3 = 0.533, h2 at 0: the spread 0.533 exceeds 0.35. Moving
    // a leaves max(0.7 / 3, 0.9 / 3) = 0.3, b 0.367, c 0.467: a moves; the spread is then
    // 0.3 − 0.233 = 0.067, within the target 0.2, and the round ends.
    assert_eq!(
        actions(&answer, "reallocation"),
        json!([{ "kind": "migrate", "vm": "a", "from": "h1", "host": "h2" }])
    );
    assert_eq!(
        actions(&answer, "elasticity"),
        json!([]),
        "no service, nothing to scale"
    );
}

#[test]
fn a_oneflow_rule_scales_a_role_and_the_json_state_reads_as_toml_would() {
    let json_state = scenario("decide/shop.json");
    let answer = decide(&[json_state.to_str().unwrap(), "--only", "elasticity"]);
    // Mean CPU over the running VMs (90 + 100) / 2 = 95 > 80: CHANGE +2 from 2 is 4, within
    // max_vms 5, with OneFlow's default cooldown of 300 s.
    assert_eq!(
        answer["decisions"],
        json!([{
            "decision": "elasticity",
            "policy": "the roles' rules",
            "actions": [{
                "kind": "scale-role", "service": "shop", "role": "web",
                "from_vms": 2, "to_vms": 4, "cooldown_s": 300,
                "reason": "CPU[95] > 80 held for 0 consecutive period(s): Change 2 \
                           (elasticity_policies[0])"
            }]
        }])
    );
    // The same state as TOML.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&json_state).unwrap();
    let value: toml::Value = serde_json::from_str(&text).unwrap();
    let toml_state = dir.path().join("shop.toml");
    std::fs::write(&toml_state, toml::to_string(&value).unwrap()).unwrap();
    let again = decide(&[toml_state.to_str().unwrap(), "--only", "elasticity"]);
    assert_eq!(again, answer);
    // A role cooling down is not scaled; nor is one whose VMs read below the threshold.
    let cooling = decide(&[
        json_state.to_str().unwrap(),
        "--only",
        "elasticity",
        "--set",
        "roles.shop.web.phase=cooldown",
        "--set",
        "roles.shop.web.cooldown_until_s=7500",
    ]);
    assert_eq!(actions(&cooling, "elasticity"), json!([]));
    let quiet = decide(&[
        json_state.to_str().unwrap(),
        "--only",
        "elasticity",
        "--set",
        "vms.1.metrics.CPU=60",
    ]);
    assert_eq!(
        actions(&quiet, "elasticity"),
        json!([]),
        "(90 + 60) / 2 = 75 is not above 80"
    );
}

#[test]
fn target_tracking_sizes_a_role_by_the_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tt.toml");
    let mut text = String::from(
        "format = \"orrery-decide/1\"\nnow_s = 600\n\
         [[hosts]]\nname = \"h\"\ncores = 16\ncore_mips = 1000\nmemory_mb = 65536\n\
         [[vm_types]]\nname = \"w\"\nmips = 1000\nmemory_mb = 1024\n",
    );
    for i in 1..=3 {
        text.push_str(&format!(
            "[[vms]]\nname = \"w-{i}\"\ntype = \"w\"\nstate = \"running\"\nhost = \"h\"\n\
             utilisation = 0.8\nmetrics = {{ CPU_UTILIZATION = 80 }}\nservice = \"s\"\nrole = \"w\"\n"
        ));
    }
    text.push_str(
        "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"w\"\nvm_type = \"w\"\n\
         cardinality = 3\nmin_vms = 1\nmax_vms = 10\n\
         target_tracking = { metrics = [{ metric = \"CPU_UTILIZATION\", target = 50 }] }\n\
         [policies]\nplacement = \"first-fit\"\n",
    );
    std::fs::write(&state, text).unwrap();
    let answer = decide(&[state.to_str().unwrap(), "--only", "elasticity"]);
    // ceil(3 × 80 / 50) = ceil(4.8) = 5.
    let a = &actions(&answer, "elasticity")[0];
    assert_eq!(
        (a["from_vms"].clone(), a["to_vms"].clone()),
        (json!(3), json!(5))
    );
}

#[test]
fn out_writes_the_answer_whole_and_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.json");
    std::fs::write(&file, "an older answer").unwrap();
    let state = scenario("decide/balance.toml");
    let out = run_orrery([
        "decide",
        state.to_str().unwrap(),
        "--only",
        "placement,reallocation",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_success(&out);
    assert_eq!(stdout(&out), "");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let kinds: Vec<&str> = written["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["placement", "reallocation"]);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind");
}

#[test]
fn bad_states_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let balance = std::fs::read_to_string(scenario("decide/balance.toml")).unwrap();
    let cases: [(&str, String, &str); 6] = [
        (
            "format.toml",
            balance.replace("orrery-decide/1", "orrery-decide/9"),
            "`orrery-decide/9` is not a format orrery reads",
        ),
        (
            "nan.toml",
            balance.replace("utilisation = 0.9", "utilisation = nan"),
            "vms.0.utilisation",
        ),
        (
            "host.toml",
            balance.replace(
                "host = \"h1\"\nutilisation = 0.5",
                "host = \"h9\"\nutilisation = 0.5",
            ),
            "no host `h9`",
        ),
        (
            "placed.toml",
            balance.replace(
                "name = \"d\"\ntype = \"small\"",
                "name = \"d\"\ntype = \"small\"\nstate = \"running\"",
            ),
            "a running VM needs its host",
        ),
        (
            "broken.json",
            "{ \"format\": \"orrery-decide/1\", \"hosts\": [ }".into(),
            "line 1, column 43: not JSON",
        ),
        (
            "role.json",
            std::fs::read_to_string(scenario("decide/shop.json"))
                .unwrap()
                .replace(
                    "\"role\": \"web\" },\n    { \"name\": \"shop-web-2\"",
                    "\"role\": \"api\" },\n    { \"name\": \"shop-web-2\"",
                ),
            "no role `api` in a service `shop`",
        ),
    ];
    for (name, text, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, &text).unwrap();
        assert_ne!(
            text,
            std::fs::read_to_string(scenario("decide/balance.toml")).unwrap()
        );
        let out = run_orrery(["decide", file.to_str().unwrap()]);
        let err = assert_input_error_paragraph(&out);
        assert!(err.contains(name), "{name}: the file is named: {err}");
        assert!(err.contains(expected), "{name}: {err}");
    }
}

/// A state of `n` running VMs of role `s/w` at `cpu_utilization` percent, with `role_keys`
/// on the role and `extra` after everything.
fn role_state(n: usize, cpu_utilization: f64, role_keys: &str, extra: &str) -> String {
    let mut text = String::from(
        "format = \"orrery-decide/1\"\nnow_s = 7200\n\
         [[hosts]]\nname = \"h\"\ncores = 256\ncore_mips = 1000\nmemory_mb = 1048576\n\
         [[vm_types]]\nname = \"w\"\nmips = 1000\nmemory_mb = 1024\n",
    );
    for i in 1..=n {
        text.push_str(&format!(
            "[[vms]]\nname = \"w-{i}\"\ntype = \"w\"\nstate = \"running\"\nhost = \"h\"\n\
             utilisation = {u}\nmetrics = {{ CPU = {cpu_utilization}, CPU_UTILIZATION = {cpu_utilization} }}\n\
             service = \"s\"\nrole = \"w\"\n",
            u = cpu_utilization / 100.0
        ));
    }
    text.push_str(&format!(
        "[[services]]\nname = \"s\"\n{role_keys}\n[policies]\nplacement = \"first-fit\"\n{extra}"
    ));
    text
}

#[test]
fn hpa_mode_limits_ten_vms_wanting_fifty_to_twenty_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("hpa.toml");
    // Ten VMs at 100 % against a 20 % target want 10 × 100 / 20 = 50; without `behavior` the
    // controller's fixed rule allows max(2 × 10, 4) = 20 in one step.
    let role = "[[services.roles]]\nname = \"w\"\nvm_type = \"w\"\ncardinality = 10\n\
                min_vms = 1\nmax_vms = 100\n\
                [services.roles.target_tracking]\nmode = \"hpa\"\nmetrics = [{ type = \"Resource\", \
                resource = { name = \"cpu\", target = { type = \"Utilization\", averageUtilization = 20 } } }]\n";
    std::fs::write(&state, role_state(10, 100.0, role, "")).unwrap();
    let answer = decide(&[state.to_str().unwrap(), "--only", "elasticity"]);
    let a = &actions(&answer, "elasticity")[0];
    assert_eq!(
        (a["from_vms"].clone(), a["to_vms"].clone()),
        (json!(10), json!(20))
    );
    let reason = a["reason"].as_str().unwrap();
    assert!(reason.contains("ScaleUpLimit"), "{reason}");
    // The recommendations are remembered for the next decision: the count the controller
    // found (recordInitialRecommendation), then the unstabilised 50.
    let history = &answer["roles"]["s"]["w"]["history"];
    assert_eq!(
        history["recommendations"],
        json!([[7_200_000, 10], [7_200_000, 50]]),
        "{history}"
    );
}

#[test]
fn a_oneflow_rule_over_two_periods_fires_when_its_history_is_given_back() {
    let dir = tempfile::tempdir().unwrap();
    let role = "autoscaler = \"oneflow\"\n[[services.roles]]\nname = \"w\"\nvm_type = \"w\"\n\
                cardinality = 2\nmin_vms = 1\nmax_vms = 6\n\
                elasticity_policies = [{ type = \"CHANGE\", adjust = 1, expression = \"CPU > 60\", \
                period_number = 2 }]\n";
    let first = dir.path().join("first.toml");
    std::fs::write(&first, role_state(2, 70.0, role, "")).unwrap();
    // 7200 s is a OneFlow tick (80 × 90 s): the rule holds once, not yet twice.
    let answer = decide(&[first.to_str().unwrap(), "--only", "elasticity"]);
    assert_eq!(actions(&answer, "elasticity"), json!([]));
    let history = answer["roles"]["s"]["w"]["history"].clone();
    assert_eq!(
        history["elasticity_policies"][0]["true_evals"], 1,
        "{history}"
    );
    // The next tick, 90 s later, with that history: the second period fires CHANGE +1.
    let second = dir.path().join("second.json");
    let mut value: Value = serde_json::to_value(
        role_state(2, 70.0, role, "")
            .parse::<toml::Value>()
            .unwrap(),
    )
    .unwrap();
    value["now_s"] = json!(7290);
    value["roles"] = json!({ "s": { "w": { "history": history } } });
    std::fs::write(&second, value.to_string()).unwrap();
    let answer = decide(&[second.to_str().unwrap(), "--only", "elasticity"]);
    let a = &actions(&answer, "elasticity")[0];
    assert_eq!(
        (a["from_vms"].clone(), a["to_vms"].clone()),
        (json!(2), json!(3))
    );
    // Without the history the same state does nothing: the count starts again.
    value["roles"] = json!({});
    std::fs::write(&second, value.to_string()).unwrap();
    let answer = decide(&[second.to_str().unwrap(), "--only", "elasticity"]);
    assert_eq!(actions(&answer, "elasticity"), json!([]));
    // A history that does not fit the rules is a located error.
    value["roles"] = json!({ "s": { "w": { "history": { "elasticity_policies": [{}, {}] } } } });
    std::fs::write(&second, value.to_string()).unwrap();
    let out = run_orrery(["decide", second.to_str().unwrap()]);
    let err = assert_input_error_paragraph(&out);
    assert!(err.contains("roles.s.w.history"), "{err}");
}
