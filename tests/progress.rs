//! Progress on stderr for the commands that can run long (sweep, compare over scenario files,
//! bench, federate compare, cloudsim-report): a bar on a terminal, silence in a pipe for work
//! shorter than the 10-second log interval, nothing under `-q`. The terminal is a
//! pseudo-terminal made by util-linux's `script`.

mod common;

use std::process::Command;

use common::*;

/// Runs `orrery ARGS` on a pseudo-terminal and returns everything it showed there.
fn on_a_terminal(args: &[String]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(env!("CARGO_BIN_EXE_orrery"));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .expect("util-linux's `script` runs the command on a pseudo-terminal");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{line} failed on a terminal:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn table1() -> Vec<String> {
    [
        "consolidation",
        "cpu-balance",
        "thermal-balance",
        "workload-balance",
    ]
    .iter()
    .map(|n| scenario(&format!("table1/{n}.toml")).display().to_string())
    .collect()
}

fn args(words: &[&str], files: &[String]) -> Vec<String> {
    words
        .iter()
        .map(|w| w.to_string())
        .chain(files.iter().cloned())
        .collect()
}

#[test]
fn compare_shows_a_bar_per_scenario_on_a_terminal_and_nothing_with_quiet() {
    let shown = on_a_terminal(&args(&["compare"], &table1()));
    assert!(shown.contains("/4 scenarios"), "no bar:\n{shown}");
    assert!(shown.contains("| cpu-balance |"), "no table:\n{shown}");
    let shown = on_a_terminal(&args(&["-q", "compare"], &table1()));
    assert!(!shown.contains("scenarios ·"), "a bar under -q:\n{shown}");
    assert!(
        shown.contains("| cpu-balance |"),
        "-q hid the table:\n{shown}"
    );
}

#[test]
fn quick_commands_in_a_pipe_print_no_progress() {
    let out = run_orrery(args(&["compare"], &table1()));
    assert_success(&out);
    assert_eq!(stderr(&out), "", "a log line for a quick comparison");
    let fed = ["bursting", "broker"]
        .iter()
        .map(|n| {
            scenario(&format!("federation/{n}.toml"))
                .display()
                .to_string()
        })
        .collect::<Vec<_>>();
    let out = run_orrery(args(&["federate", "compare"], &fed));
    assert_success(&out);
    assert_eq!(stderr(&out), "");
}

#[test]
fn bench_and_federate_compare_show_bars_on_a_terminal() {
    let suite = root().join("benches/policies/suite.toml");
    let baseline = root().join("benches/policies/baseline.json");
    let shown = on_a_terminal(&args(
        &["bench"],
        &[
            suite.display().to_string(),
            "--baseline".into(),
            baseline.display().to_string(),
        ],
    ));
    assert!(shown.contains("/3 scenarios"), "no bar:\n{shown}");
    let fed = ["bursting", "broker"]
        .iter()
        .map(|n| {
            scenario(&format!("federation/{n}.toml"))
                .display()
                .to_string()
        })
        .collect::<Vec<_>>();
    let shown = on_a_terminal(&args(&["federate", "compare"], &fed));
    assert!(shown.contains("/2 files"), "no bar:\n{shown}");
}
