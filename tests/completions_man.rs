//! `orrery completions SHELL` and `orrery man [SUBCOMMAND...]`: generated from the command
//! line's own definition, so they name every subcommand and flag there is.

mod common;

use common::*;

/// The subcommands `orrery --help` lists (clap's own `help` aside).
fn subcommands() -> Vec<String> {
    let out = run_orrery(["--help"]);
    assert_success(&out);
    let help = stdout(&out);
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 12, "too few subcommands in --help:\n{help}");
    names
}

#[test]
fn bash_completion_mentions_every_subcommand_and_global_flag() {
    let out = run_orrery(["completions", "bash"]);
    assert_success(&out);
    let script = stdout(&out);
    assert!(
        script.contains("_orrery()"),
        "not a bash completion function"
    );
    assert!(
        script.contains("complete -F _orrery"),
        "the function is not registered"
    );
    for name in subcommands() {
        assert!(script.contains(&name), "`{name}` is not completed");
    }
    for flag in ["--quiet", "--verbose", "--color", "--json", "--set"] {
        assert!(script.contains(flag), "`{flag}` is not completed");
    }
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("bash", "complete -F _orrery"),
        ("zsh", "#compdef orrery"),
        ("fish", "complete -c orrery"),
        ("elvish", "edit:completion:arg-completer[orrery]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run_orrery(["completions", shell]);
        assert_success(&out);
        assert!(stdout(&out).contains(marker), "{shell}: no `{marker}`");
    }
    let out = run_orrery(["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_man_page_is_roff_and_names_every_subcommand() {
    let out = run_orrery(["man"]);
    assert_success(&out);
    let page = stdout(&out);
    assert!(
        page.lines().any(|l| l.starts_with(".TH ORRERY 1 ")),
        "no .TH ORRERY title:\n{page}"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "no `{section}`:\n{page}");
    }
    for name in subcommands() {
        // roff escapes the hyphens of a page reference: orrery\-cloudsim\-report(1).
        let reference = format!("orrery\\-{}(1)", name.replace('-', "\\-"));
        assert!(page.contains(&reference), "no `{reference}`:\n{page}");
    }
    assert!(page.contains("\\-\\-quiet"), "the global flags are missing");
}

#[test]
fn each_subcommand_has_its_page() {
    for name in subcommands() {
        let out = run_orrery(["man", &name]);
        assert_success(&out);
        let title = format!(".TH ORRERY-{} 1 ", name.to_uppercase());
        assert!(stdout(&out).contains(&title), "no `{title}` for {name}");
    }
    let out = run_orrery(["man", "sweep", "merge"]);
    assert_success(&out);
    assert!(stdout(&out).contains(".TH ORRERY-SWEEP-MERGE 1 "));
    let out = run_orrery(["man", "nope"]);
    let err = assert_input_error(&out);
    assert!(
        err.contains("no subcommand `nope`") && err.contains("use one of: run,"),
        "{err}"
    );
}

#[test]
fn man_dir_writes_every_page() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let out = run_orrery(["man", "--dir", dir.to_str().unwrap()]);
    assert_success(&out);
    let mut expected = vec!["orrery.1".to_string()];
    expected.extend(subcommands().iter().map(|n| format!("orrery-{n}.1")));
    expected.extend(
        [
            "sweep-merge",
            "sweep-slurm",
            "federate-compare",
            "trace-import",
            "trace-inspect",
            "live-plan",
            "live-apply",
            "live-cancel",
            "live-journal",
            "live-snapshot",
            "live-calibrate",
            "live-maintenance",
        ]
        .map(|n| format!("orrery-{n}.1")),
    );
    for file in &expected {
        let text =
            std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(text.contains(".TH ORRERY"), "{file} is not a man page");
    }
    let written = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(written, expected.len());
    assert_eq!(
        stdout(&out),
        format!("wrote {} man pages in {}\n", expected.len(), dir.display())
    );
}
