//! The global flags every command takes: `-q/--quiet`, `-v/--verbose` and `--color`, and the
//! plain output they leave alone when absent.

mod common;

use common::*;

fn table1(name: &str) -> String {
    scenario(&format!("table1/{name}.toml"))
        .display()
        .to_string()
}

#[test]
fn help_lists_the_global_flags() {
    let out = run_orrery(["--help"]);
    assert_success(&out);
    let help = stdout(&out);
    for flag in [
        "-q, --quiet",
        "-v, --verbose",
        "--color <WHEN>",
        "Global options",
    ] {
        assert!(help.contains(flag), "`{flag}` is not in --help:\n{help}");
    }
    // Subcommands take them too, after their own name.
    let out = run_orrery(["run", "--help"]);
    assert!(stdout(&out).contains("-q, --quiet"), "{}", stdout(&out));
}

#[test]
fn quiet_run_prints_nothing_and_still_writes_its_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run_orrery([
        "-q",
        "run",
        &table1("cpu-balance"),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    assert_eq!(stdout(&out), "", "quiet printed on stdout");
    assert_eq!(stderr(&out), "", "quiet printed on stderr");
    assert!(dir.join("summary.json").is_file());
    // The flag works after the subcommand as well, and --json data is still printed.
    let out = run_orrery([
        "run",
        &table1("cpu-balance"),
        "--out",
        dir.to_str().unwrap(),
        "--force",
        "--quiet",
        "--json",
    ]);
    assert_success(&out);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(summary["scenario"], "cpu-balance");
}

#[test]
fn quiet_keeps_errors_on_stderr() {
    let out = run_orrery(["-q", "run", "/nonexistent/scenario.toml"]);
    let err = assert_input_error(&out);
    assert!(err.contains("/nonexistent/scenario.toml"), "{err}");
}

#[test]
fn quiet_validate_prints_nothing_but_the_exit_code_tells() {
    let out = run_orrery(["validate", "-q", &table1("consolidation")]);
    assert_success(&out);
    assert_eq!(stdout(&out), "");
}

#[test]
fn quiet_and_verbose_conflict() {
    for args in [&["-q", "-v", "run"][..], &["-v", "run", "--quiet"][..]] {
        let out = run_orrery(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("--quiet and --verbose cannot be used together"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn verbose_notes_go_to_stderr_with_paths_timings_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let plain = run_orrery([
        "run",
        &table1("cpu-balance"),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_success(&plain);
    let out = run_orrery([
        "-v",
        "run",
        &table1("cpu-balance"),
        "--out",
        dir.to_str().unwrap(),
        "--force",
    ]);
    assert_success(&out);
    // stdout is what it is without -v (apart from the timing).
    let mask = |s: String| {
        s.lines()
            .filter(|l| !l.starts_with("results in"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(mask(stdout(&out)), mask(stdout(&plain)));
    let err = stderr(&out);
    let resolved = scenario("table1/cpu-balance.toml");
    assert!(
        err.contains(&format!("Loading scenario {}", resolved.display())),
        "no resolved scenario path:\n{err}"
    );
    assert!(err.contains("Ran cpu-balance with seed"), "{err}");
    assert!(err.contains(" s\n"), "no timing:\n{err}");
    // As many files as the output's manifest lists.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("orrery-output.json")).unwrap())
            .unwrap();
    let files = manifest["files"].as_object().unwrap().len();
    assert!(
        err.contains(&format!("Wrote {files} files in {}", dir.display())),
        "{err}"
    );
    assert!(!err.contains("summary.json"), "-v lists every file:\n{err}");
    // -vv lists every file written and every override.
    let out = run_orrery([
        "-vv",
        "run",
        &table1("cpu-balance"),
        "--out",
        dir.to_str().unwrap(),
        "--force",
        "--set",
        "seed=3",
    ]);
    assert_success(&out);
    let err = stderr(&out);
    assert!(err.contains("Override seed=3"), "{err}");
    assert!(
        err.contains(&dir.join("summary.json").display().to_string()),
        "{err}"
    );
    assert!(err.contains("with seed 3"), "{err}");
}

#[test]
fn errors_are_coloured_only_when_asked() {
    let missing = "/nonexistent/scenario.toml";
    // Not a terminal: plain under auto (the default) and never.
    for flags in [&[][..], &["--color", "auto"][..], &["--color=never"][..]] {
        let out = orrery()
            .args(flags)
            .args(["run", missing])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{flags:?}: {err:?}");
        assert!(!err.contains('\x1b'), "{flags:?} coloured: {err:?}");
    }
    let out = run_orrery(["--color", "always", "run", missing]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with('\x1b'), "not coloured: {err:?}");
    assert!(err.contains("error:\x1b[0m "), "{err:?}");
    // An explicit --color always wins over NO_COLOR (which `auto` obeys: see the unit tests
    // of src/cli/output.rs, which need no terminal).
    let out = orrery()
        .env("NO_COLOR", "1")
        .args(["--color", "always", "run", missing])
        .output()
        .unwrap();
    assert!(stderr(&out).starts_with('\x1b'));
}

#[test]
fn validate_colours_ok_when_asked_and_never_in_json() {
    let file = table1("consolidation");
    let out = run_orrery(["--color", "always", "validate", &file]);
    assert_success(&out);
    assert!(stdout(&out).contains("\x1b["), "{:?}", stdout(&out));
    let out = run_orrery(["--color", "always", "validate", "--json", &file]);
    assert_success(&out);
    assert!(!stdout(&out).contains('\x1b'), "{:?}", stdout(&out));
    let plain = run_orrery(["validate", &file]);
    assert_eq!(
        stdout(&plain),
        format!("{file}: ok (consolidation)\n"),
        "plain output changed"
    );
}
