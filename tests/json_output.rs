//! `--json` on every command that prints a table or a result summary: one valid JSON document
//! on stdout, nothing else there, and errors still on stderr with their exit codes.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;

/// stdout parsed as one JSON document (the whole of it).
fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", stdout(out)))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn run_json_is_summary_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let s = scenario("table1/consolidation.toml");
    let out = run_orrery(["run", path(&s), "--out", path(&dir), "--json"]);
    assert_success(&out);
    let printed = stdout(&out);
    let written = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert_eq!(printed, written, "the same fields, in the same form");
    assert_eq!(json(&out)["scenario"], "consolidation");
}

#[test]
fn compare_json_has_one_object_per_row_with_raw_values() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let s = scenario("table1/cpu-balance.toml");
    run_ok(Some(&s), &dir, &[]);
    let out = run_orrery(["compare", path(&s), path(&dir), "--json"]);
    assert_success(&out);
    let rows = json(&out);
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 2);
    let summary = summary(&dir);
    for row in rows {
        assert_eq!(row["name"], "cpu-balance");
        // Raw values: the summary's numbers, not rounded.
        assert_eq!(row["energy_kwh"], summary["energy_kwh"]);
        assert_eq!(row["cpu_shortfall_ratio"], summary["cpu_shortfall_ratio"]);
        assert!(row["energy_kwh_ci95"].is_null());
    }
    // --format json is the same document; csv and markdown still work.
    let same = run_orrery(["compare", path(&s), path(&dir), "--format", "json"]);
    assert_eq!(stdout(&same), stdout(&out));
    let csv = run_orrery(["compare", path(&dir), "--format", "csv"]);
    assert!(
        stdout(&csv).starts_with("name,energy_kwh,"),
        "{}",
        stdout(&csv)
    );
    // --json with another --format is a usage error.
    let both = run_orrery(["compare", path(&dir), "--format", "csv", "--json"]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn compare_json_of_a_sweep_carries_the_confidence_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    let s = scenario("sweeps/policies.toml");
    let out = run_orrery([
        "sweep",
        path(&s),
        "--out",
        path(&dir),
        "--jobs",
        "2",
        "--json",
    ]);
    assert_success(&out);
    let outcome = json(&out);
    assert_eq!(outcome["points"], 9);
    assert_eq!(outcome["replicas"], 2);
    assert_eq!(outcome["runs"], 18);
    assert_eq!(outcome["ran"], 18);
    assert_eq!(outcome["skipped"], 0);
    assert_eq!(
        outcome["table"],
        dir.join("results.csv").display().to_string()
    );
    // A second invocation skips every finished run.
    let again = json(&run_orrery([
        "sweep",
        path(&s),
        "--out",
        path(&dir),
        "--json",
    ]));
    assert_eq!(
        (again["ran"].clone(), again["skipped"].clone()),
        (0.into(), 18.into())
    );
    let out = run_orrery(["compare", path(&dir), "--json"]);
    assert_success(&out);
    let rows = json(&out);
    assert_eq!(rows.as_array().unwrap().len(), 9, "one row per point");
    assert!(rows[0]["energy_kwh_ci95"].is_number(), "{}", rows[0]);
}

#[test]
fn bench_json_lists_every_change_and_the_totals() {
    let suite = root().join("benches/policies/suite.toml");
    let baseline = root().join("benches/policies/baseline.json");
    let out = run_orrery([
        "bench",
        path(&suite),
        "--baseline",
        path(&baseline),
        "--json",
    ]);
    assert_success(&out);
    let v = json(&out);
    assert_eq!(v["suite"], "policies");
    assert_eq!(v["updated"], false);
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 21, "3 scenarios × 7 metrics");
    for key in [
        "scenario",
        "metric",
        "baseline",
        "current",
        "tolerance",
        "verdict",
    ] {
        assert!(
            changes[0].get(key).is_some(),
            "no `{key}` in {}",
            changes[0]
        );
    }
    assert_eq!(v["totals"]["unchanged"], 21);
    assert_eq!(v["totals"]["regressed"], 0);
}

#[test]
fn bench_json_on_a_regression_still_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = root().join("benches/policies/suite.toml");
    // A baseline claiming far less energy than any run uses: every energy figure regressed.
    let text = std::fs::read_to_string(root().join("benches/policies/baseline.json")).unwrap();
    let mut baseline: Value = serde_json::from_str(&text).unwrap();
    for metrics in baseline["results"].as_object_mut().unwrap().values_mut() {
        metrics["total_energy_kwh"] = 1.0.into();
    }
    let bad = tmp.path().join("baseline.json");
    std::fs::write(&bad, baseline.to_string()).unwrap();
    let out = run_orrery(["bench", path(&suite), "--baseline", path(&bad), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["totals"]["regressed"], 3);
    let regressed: Vec<&Value> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "regressed")
        .collect();
    assert!(regressed.iter().all(|c| c["metric"] == "total_energy_kwh"));
    assert!(
        stderr(&out).starts_with("error: 3 metrics regressed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn federate_json_prints_the_summaries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fed");
    let f = scenario("federation/bursting.toml");
    let out = run_orrery(["federate", path(&f), "--out", path(&dir), "--json"]);
    assert_success(&out);
    let printed = stdout(&out);
    let written = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert_eq!(printed, written, "the summary, as summary.json holds it");
    let g = scenario("federation/broker.toml");
    let out = run_orrery(["federate", "compare", path(&f), path(&g), "--json"]);
    assert_success(&out);
    let v = json(&out);
    let summaries = v.as_array().unwrap();
    assert_eq!(summaries.len(), 2);
    assert_eq!(
        summaries[0],
        serde_json::from_str::<Value>(&written).unwrap()
    );
    assert_eq!(summaries[1]["architecture"], "broker");
}

#[test]
fn validate_json_has_one_object_per_file_with_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    let text = std::fs::read_to_string(scenario("table1/consolidation.toml")).unwrap();
    let text = text.replace("placement = \"packing\"", "placement = \"nope\"");
    std::fs::write(&bad, &text).unwrap();
    let line = line_of(&text, "placement = \"nope\"");
    let good = scenario("sweeps/policies.toml");
    let out = run_orrery(["validate", path(&good), path(&bad), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    // The error is still one paragraph on stderr.
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    let v = json(&out);
    let files = v.as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[0]["kind"], "sweep");
    assert_eq!(files[0]["name"], "policies-sweep");
    assert_eq!(files[0]["detail"], "sweep of 9 points");
    assert_eq!(files[1]["ok"], false);
    assert_eq!(files[1]["kind"], "scenario");
    let e = &files[1]["error"];
    assert_eq!(e["file"], path(&bad));
    assert_eq!(e["line"], line);
    assert_eq!(e["key"], "policies.placement");
    assert!(
        e["message"].as_str().unwrap().contains("unknown policy"),
        "{e}"
    );
    assert!(e["hint"].as_str().unwrap().contains("first-fit"), "{e}");
    assert_eq!(e["exit_code"], 2);
}

#[test]
fn every_json_document_passes_python_json_tool() {
    let Ok(python) = which("python3") else {
        panic!("python3 is needed to cross-check the JSON");
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = run_orrery([
        "run",
        "--out",
        path(&tmp.path().join("o")),
        "--json",
        "--color",
        "always",
    ]);
    assert_success(&out);
    let mut tool = std::process::Command::new(python)
        .args(["-m", "json.tool"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    tool.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    assert!(tool.wait().unwrap().success(), "json.tool rejected it");
}

/// The path of `program` on PATH.
fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(program))
                .find(|p| p.is_file())
        })
        .ok_or(())
}
