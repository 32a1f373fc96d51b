//! Every class of bad input exits with code 2 and one located `error:` paragraph (file, line,
//! key, what is wrong), never a panic, and writes no results.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// `orrery run ARGS… --out <tmp>/out`; asserts no output directory was created.
fn run_failing(args: &[&str]) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = orrery()
        .arg("run")
        .args(args)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        stdout(&out).is_empty(),
        "a failed run printed results:\n{}",
        stdout(&out)
    );
    assert!(
        !out_dir.exists(),
        "a failed run created its output directory"
    );
    out
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// power-cycling.toml with `extra` inserted right after the line `after`; returns the file
/// (in `dir`), its text and the 1-based line number of the first inserted line.
fn power_cycling_with(
    dir: &Path,
    name: &str,
    after: &str,
    extra: &str,
) -> (PathBuf, String, usize) {
    let base = fs::read_to_string(scenario("power-cycling.toml")).unwrap();
    let mut text = String::new();
    let mut line = None;
    for (i, l) in base.lines().enumerate() {
        text.push_str(l);
        text.push('\n');
        if l == after && line.is_none() {
            text.push_str(extra);
            text.push('\n');
            line = Some(i + 2);
        }
    }
    let line = line.unwrap_or_else(|| panic!("no line `{after}` in power-cycling.toml"));
    let path = dir.join(name);
    fs::write(&path, &text).unwrap();
    (path, text, line)
}

/// power-cycling.toml with the line `from` replaced by `to`; returns the file and the line number.
fn power_cycling_replacing(dir: &Path, name: &str, from: &str, to: &str) -> (PathBuf, usize) {
    let base = fs::read_to_string(scenario("power-cycling.toml")).unwrap();
    let line = line_of(&base, from);
    let text: String = base
        .lines()
        .map(|l| {
            if l == from {
                format!("{to}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let path = dir.join(name);
    fs::write(&path, &text).unwrap();
    assert_eq!(line_of(&text, to), line);
    (path, line)
}

// (a) An unknown key.
#[test]
fn unknown_key_names_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, text, line) = power_cycling_with(
        tmp.path(),
        "unknown-key.toml",
        "[policies]",
        "colour = \"red\"",
    );
    assert_eq!(text.lines().nth(line - 1), Some("colour = \"red\""));
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(
        err.contains(path_str(&path)),
        "the file is not named: {err}"
    );
    assert!(
        err.contains(&format!("line {line},")),
        "expected line {line}: {err}"
    );
    assert!(err.contains("colour"), "the key is not named: {err}");
    assert!(
        err.contains("policies"),
        "the key's table is not named: {err}"
    );
    // And it says which keys would have been right.
    assert!(
        err.contains("placement"),
        "valid keys are not listed: {err}"
    );
}

// (a') An unknown key added with --set is blamed on --set.
#[test]
fn unknown_key_from_set_is_blamed_on_set() {
    let s = scenario("power-cycling.toml");
    let err = assert_input_error(&run_failing(&[
        path_str(&s),
        "--set",
        "policies.colour=red",
    ]));
    assert!(err.starts_with("error: --set"), "{err}");
    assert!(err.contains("colour"), "{err}");
    assert!(
        !err.contains("line "),
        "a --set error has no line in the file: {err}"
    );
}

// (b) A value of the wrong type.
#[test]
fn wrong_type_names_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) = power_cycling_replacing(
        tmp.path(),
        "wrong-type.toml",
        "count = 32",
        "count = \"many\"",
    );
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(
        err.contains(path_str(&path)),
        "the file is not named: {err}"
    );
    assert!(
        err.contains(&format!("line {line},")),
        "expected line {line}: {err}"
    );
    assert!(
        err.contains("hosts") && err.contains("count"),
        "the key is not named: {err}"
    );
    assert!(err.contains("many"), "the bad value is not shown: {err}");
}

// (b') The same mistake made with --set.
#[test]
fn wrong_type_from_set_is_blamed_on_set() {
    let s = scenario("power-cycling.toml");
    let err = assert_input_error(&run_failing(&[path_str(&s), "--set", "hosts.0.count=many"]));
    assert!(err.starts_with("error: --set"), "{err}");
    assert!(err.contains("hosts") && err.contains("count"), "{err}");
}

// (b'') Line numbers point into the user's file even when --set adds a key the file lacks.
#[test]
fn line_numbers_survive_a_set_that_adds_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) = power_cycling_replacing(
        tmp.path(),
        "wrong-type.toml",
        "count = 32",
        "count = \"many\"",
    );
    // power-cycling.toml has no `compat` key: the override inserts one.
    let err = assert_input_error(&run_failing(&[path_str(&path), "--set", "compat=none"]));
    assert!(err.contains(path_str(&path)), "{err}");
    assert!(
        err.contains(&format!("line {line},")),
        "expected line {line} of the file: {err}"
    );
}

// (c) The scenario file does not exist.
#[test]
fn missing_scenario_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("no-such-scenario.toml");
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(
        err.contains(path_str(&path)),
        "the file is not named: {err}"
    );
    assert!(err.to_lowercase().contains("cannot read"), "{err}");
}

// (d) A malformed line in one trace file.
#[test]
fn bad_trace_line_names_the_trace_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let traces = tmp.path().join("traces");
    fs::create_dir(&traces).unwrap();
    fs::write(traces.join("vm-a"), "10\n20\n30\n40\n").unwrap();
    let bad = traces.join("vm-b");
    fs::write(&bad, "10\n20\nabc\n40\n").unwrap();
    let s = scenario("planetlab-day.toml");
    let set = format!("workload.trace_dir={}", traces.display());
    let err = assert_input_error(&run_failing(&[path_str(&s), "--set", &set]));
    assert!(
        err.contains(path_str(&bad)),
        "the trace file is not named: {err}"
    );
    assert!(err.contains("line 3"), "the line is not named: {err}");
    assert!(err.contains("abc"), "the bad text is not shown: {err}");
    assert!(
        !err.contains("vm-a"),
        "the good trace file is blamed: {err}"
    );
}

// (e) The trace directory does not exist.
#[test]
fn missing_trace_dir_is_named() {
    let s = scenario("planetlab-day.toml");
    let err = assert_input_error(&run_failing(&[
        path_str(&s),
        "--set",
        "workload.trace_dir=/nonexistent/x",
    ]));
    assert!(
        err.contains("/nonexistent/x"),
        "the directory is not named: {err}"
    );
    assert!(err.contains("does not exist"), "{err}");
    assert!(
        err.contains("workload.trace_dir"),
        "no hint at the key to change: {err}"
    );
}

// (f) An unknown policy name.
#[test]
fn unknown_policy_lists_the_valid_names() {
    let s = scenario("power-cycling.toml");
    let err = assert_input_error(&run_failing(&[
        path_str(&s),
        "--set",
        "policies.placement=nonsense",
    ]));
    assert!(
        err.contains("policies.placement"),
        "the key is not named: {err}"
    );
    assert!(err.contains("nonsense"), "the bad name is not shown: {err}");
    for name in ["first-fit", "packing", "striping", "load-aware"] {
        assert!(
            err.contains(name),
            "valid name `{name}` is not listed: {err}"
        );
    }
}

// (f') An unknown policy name in the file is located in the file.
#[test]
fn unknown_policy_in_the_file_names_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) = power_cycling_replacing(
        tmp.path(),
        "bad-policy.toml",
        "placement = \"packing\"",
        "placement = \"nonsense\"",
    );
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(err.contains(path_str(&path)), "{err}");
    assert!(
        err.contains(&format!("line {line},")),
        "expected line {line}: {err}"
    );
    assert!(
        err.contains("policies.placement") && err.contains("first-fit"),
        "{err}"
    );
}

// (g) A semantic error: a value of the right type that makes no sense.
#[test]
fn negative_duration_names_the_key() {
    let s = scenario("power-cycling.toml");
    let err = assert_input_error(&run_failing(&[path_str(&s), "--set", "duration_s=-5"]));
    assert!(err.contains("duration_s"), "the key is not named: {err}");
    assert!(err.contains("-5"), "the bad value is not shown: {err}");
}

// (g') A semantic error in the file is located in the file.
#[test]
fn negative_boot_time_in_the_file_names_its_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) =
        power_cycling_replacing(tmp.path(), "bad-boot.toml", "boot_s = 180", "boot_s = -1");
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(err.contains(path_str(&path)), "{err}");
    assert!(
        err.contains(&format!("line {line},")),
        "expected line {line}: {err}"
    );
    assert!(err.contains("hosts.0.boot_s"), "{err}");
}

// (h) --set without `=`.
#[test]
fn set_without_equals_is_rejected() {
    let s = scenario("power-cycling.toml");
    let err = assert_input_error(&run_failing(&[path_str(&s), "--set", "duration_s"]));
    assert!(err.contains("--set"), "{err}");
    assert!(
        err.contains("duration_s"),
        "the bad argument is not shown: {err}"
    );
    assert!(err.contains("KEY=VALUE"), "{err}");
}

// (i) validate: a good and a bad file.
#[test]
fn validate_reports_the_bad_file_and_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (bad, _, line) =
        power_cycling_with(tmp.path(), "bad.toml", "[policies]", "colour = \"red\"");
    let good = scenario("power-cycling.toml");
    let out = run_orrery(["validate", path_str(&good), path_str(&bad)]);
    let err = assert_input_error(&out);
    assert!(
        err.contains(path_str(&bad)),
        "the bad file is not named: {err}"
    );
    assert!(err.contains(&format!("line {line},")), "{err}");
    assert!(
        !err.contains(path_str(&good)),
        "the good file is blamed: {err}"
    );
    let so = stdout(&out);
    assert!(
        so.contains(path_str(&good)) && so.contains("ok"),
        "the good file is not reported ok: {so}"
    );
    assert!(
        !so.contains(path_str(&bad)),
        "the bad file is reported ok: {so}"
    );

    // The order of the files does not matter: the good one is still checked after a bad one.
    let out = run_orrery(["validate", path_str(&bad), path_str(&good)]);
    assert_input_error(&out);
    assert!(stdout(&out).contains(path_str(&good)));
}

// (i') validate checks policy names too.
#[test]
fn validate_rejects_an_unknown_policy() {
    let good = scenario("power-cycling.toml");
    let out = run_orrery([
        "validate",
        path_str(&good),
        "--set",
        "policies.reallocation=nonsense",
    ]);
    let err = assert_input_error(&out);
    assert!(
        err.contains("policies.reallocation") && err.contains("consolidation"),
        "{err}"
    );
}

// (j) Malformed TOML.
#[test]
fn toml_syntax_error_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) =
        power_cycling_replacing(tmp.path(), "syntax.toml", "[policies]", "[policies");
    for extra in [&[][..], &["--set", "seed=3"][..]] {
        let mut args = vec![path_str(&path)];
        args.extend_from_slice(extra);
        let err = assert_input_error_paragraph(&run_failing(&args));
        assert!(
            err.contains(path_str(&path)),
            "the file is not named: {err}"
        );
        assert!(
            err.contains(&format!("line {line},")),
            "expected line {line}: {err}"
        );
    }
}

// (j') …and that error is one line, like every other.
#[test]
fn toml_syntax_error_is_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = power_cycling_replacing(tmp.path(), "syntax.toml", "[policies]", "[policies");
    assert_input_error(&run_failing(&[path_str(&path)]));
}

#[test]
fn every_shipped_scenario_validates() {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/beloglazov", "scenarios/services"] {
        for entry in fs::read_dir(root().join(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 18,
        "expected the 3 top-level, 14 beloglazov and 1 services scenarios, found {}",
        files.len()
    );
    let out = orrery().arg("validate").args(&files).output().unwrap();
    assert_success(&out);
    let so = stdout(&out);
    for f in &files {
        assert!(
            so.lines()
                .any(|l| l.starts_with(&format!("{}: ok", f.display()))),
            "{} not reported ok:\n{so}",
            f.display()
        );
    }
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn validate_does_not_need_the_trace_data() {
    // Traces are read only when a scenario runs.
    let s = scenario("beloglazov/thr-mmt-0.8.toml");
    let out = run_orrery([
        "validate",
        path_str(&s),
        "--set",
        "workload.trace_dir=/nonexistent/x",
    ]);
    assert_success(&out);
}

// Hints must point somewhere real.
#[test]
fn the_readme_named_in_hints_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) = power_cycling_replacing(
        tmp.path(),
        "wrong-type.toml",
        "count = 32",
        "count = \"many\"",
    );
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(err.contains(&format!("line {line},")), "{err}");
    if err.contains("scenarios/README.md") {
        assert!(
            root().join("scenarios/README.md").is_file(),
            "the hint names a missing file: {err}"
        );
    }
}

// (j) A malformed requirements expression: the key, its line and the column in the expression.
#[test]
fn bad_requirements_expression_names_key_line_and_column() {
    let s = scenario("table1/cpu-balance.toml");
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&s).unwrap().replace(
        "dirty_rate_mbs = 40",
        "dirty_rate_mbs = 40\nrequirements = 'HYPERVISOR = \"kvm\" & (FREE_CPU > '",
    );
    let path = tmp.path().join("bad-requirements.toml");
    std::fs::write(&path, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("requirements"))
        .unwrap()
        + 1;
    let err = assert_input_error(&run_failing(&[path_str(&path)]));
    assert!(err.contains("vm_types.0.requirements"), "{err}");
    assert!(
        err.contains(&format!("line {line},")),
        "expected line {line}: {err}"
    );
    assert!(
        err.contains("column 34"),
        "the column in the expression: {err}"
    );
}

// (k) A thermal policy without a thermal model says what to add.
#[test]
fn thermal_policy_without_thermal_section_says_what_to_add() {
    let s = scenario("power-cycling.toml");
    let err = assert_input_error(&run_failing(&[
        path_str(&s),
        "--set",
        "policies.placement=coolest",
    ]));
    assert!(
        err.contains("policies.placement") && err.contains("[thermal]"),
        "{err}"
    );
}

// (l) `validate` resolves VM-group host names as `run` does.
#[test]
fn validate_names_an_unknown_host_in_a_vm_group() {
    let s = scenario("table1/cpu-balance.toml");
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&s).unwrap().replace(
        "dirty_rate_mbs = 40",
        "dirty_rate_mbs = 40\nvm_group = \"app\"",
    ) + "\n[[vm_groups]]\nname = \"app\"\n[[vm_groups.roles]]\nname = \"web\"\nhost_affined = [\"old-0\", \"nope-7\"]\n";
    let path = tmp.path().join("bad-group.toml");
    std::fs::write(&path, text).unwrap();
    let out = orrery().arg("validate").arg(&path).output().unwrap();
    let err = assert_input_error(&out);
    assert!(err.contains("vm_groups.0.roles.0.host_affined.1"), "{err}");
    assert!(err.contains("nope-7"), "{err}");
}
