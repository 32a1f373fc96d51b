//! `orrery live` on the bundled test-driver config: a dry run changes nothing; a crash right
//! after a journal intent is followed by a restart that reconciles it; credentials in URIs
//! never reach the output.
//!
//! What the crash test proves, and its limits: the intent record is on disk (fsync'd) when the
//! process aborts; the restarted process reads it, compares it with what the hosts report, and
//! rolls back the deploy that never started, after which the VM is placed exactly once. The
//! test driver keeps its hosts in the process, so the restart sees the hosts as their node
//! files describe them: here that is the truth (the action never ran). Crashes that leave an
//! action half done are covered in-process (live/tests/live_safety.rs), with the partial
//! state written into the node files as a crash would leave it on real hosts.
//!
//! Built with the `live` feature only; without it, `orrery live` explains how to get live
//! mode (tests/validate_kinds.rs checks that).

#![cfg(feature = "live")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A copy of scenarios/live in a temporary directory (the journal is written beside it).
fn live_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/live");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    let config = tmp.path().join("test-driver.toml");
    (tmp, config)
}

fn live(config: &Path, args: &[&str]) -> Command {
    let mut c = orrery();
    c.arg("live").arg("--config").arg(config).args(args);
    c
}

/// The lines of the cluster listing after the last round.
fn after(out: &str) -> &str {
    out.split("after the last round:")
        .nth(1)
        .unwrap_or_else(|| panic!("no final listing in:\n{out}"))
}

#[test]
fn once_prints_the_cluster_and_the_plan_and_changes_nothing() {
    let (tmp, config) = live_dir();
    let out = live(&config, &["--once"]).output().unwrap();
    assert_success(&out);
    let text = stdout(&out);
    for expected in [
        "host-0",
        "web-1 Running",
        "pending: web-2, db-1",
        "placement plan (2 actions, dry run):",
        "deploy web-2 on host-1",
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
    // `legacy` has no orrery tag: it is not a VM.
    assert!(!text.contains("legacy"), "{text}");
    assert!(!tmp.path().join("test-driver.journal").exists());
}

#[test]
fn a_crash_after_the_journal_intent_is_reconciled_on_restart() {
    let (tmp, config) = live_dir();
    let crashed = live(&config, &["--once", "--apply"])
        .env("ORRERY_LIVE_CRASH_AFTER_INTENT", "1")
        .output()
        .unwrap();
    assert!(!crashed.status.success(), "the process should have aborted");
    // web-1, tagged in its node file, was adopted by its UUID; then web-2's deploy was
    // journaled (with the UUID it would get) and nothing after it.
    let journal = std::fs::read_to_string(tmp.path().join("test-driver.journal")).unwrap();
    let lines: Vec<&str> = journal.lines().collect();
    assert_eq!(lines.len(), 2, "{journal}");
    assert_eq!(
        lines[0],
        "{\"record\":\"adopted\",\"seq\":1,\"vm\":\"web-1\",\"uuid\":\"5f0e3a8e-0000-4000-8000-000000000001\"}"
    );
    assert!(
        lines[1].starts_with(
            "{\"record\":\"intent\",\"seq\":2,\"action\":{\"kind\":\"deploy\",\"vm\":\"web-2\",\"host\":\"host-1\",\"template\":\"small\",\"uuid\":\""
        ),
        "{journal}"
    );

    let out = live(&config, &["--once", "--apply"]).output().unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.contains("reconciled #2 (deploy web-2 (small) on host-1): rolled back"),
        "{text}"
    );
    // After the restart's round, web-2 and db-1 each run exactly once.
    let listing = after(&text);
    for vm in ["web-1", "web-2", "db-1"] {
        assert_eq!(
            listing.matches(&format!("{vm} Running")).count(),
            1,
            "{vm} in:\n{listing}"
        );
    }
    let journal = std::fs::read_to_string(tmp.path().join("test-driver.journal")).unwrap();
    assert!(
        journal
            .lines()
            .nth(2)
            .unwrap()
            .starts_with("{\"record\":\"reconciled\",\"seq\":2,"),
        "{journal}"
    );
    assert!(
        journal.contains("{\"record\":\"done\",\"seq\":3}"),
        "{journal}"
    );
}

/// Every form a password can take in a host URI (with `/`, `)`, `'`, `?`, `@`, a space,
/// percent-encoded, or as a query parameter): whether the URI is valid (the host is then
/// unreachable and named in a warning) or not (a located config error), the secret is in no
/// line of the output, the errors or the journal.
#[test]
fn credentials_in_uris_never_reach_the_output_in_any_form() {
    let forms = [
        (
            "test://admin:hunter2@localhost/nonexistent/host2.xml?password=swordfish",
            "hunter2",
        ),
        (
            "test://admin:pa/ss9@localhost/nonexistent/host2.xml",
            "pa/ss9",
        ),
        (
            "test://admin:pa)ss9@localhost/nonexistent/host2.xml",
            "pa)ss9",
        ),
        (
            "test://admin:it'sme@localhost/nonexistent/host2.xml",
            "it'sme",
        ),
        (
            "test://admin:wh?at9@localhost/nonexistent/host2.xml",
            "wh?at9",
        ),
        (
            "test://admin:two words@localhost/nonexistent/host2.xml",
            "two words",
        ),
        (
            "test://admin:p@ss9@localhost/nonexistent/host2.xml",
            "p@ss9",
        ),
        (
            "test://admin:p%40ss9@localhost/nonexistent/host2.xml",
            "p@ss9",
        ),
        (
            "test://localhost/nonexistent/host2.xml?pw=swordfish",
            "swordfish",
        ),
        (
            "test://localhost/nonexistent/host2.xml?password=swordfish",
            "swordfish",
        ),
    ];
    for (uri, secret) in forms {
        let (tmp, config) = live_dir();
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace("test://{config_dir}/host2.xml", uri);
        std::fs::write(&config, text).unwrap();
        let out = live(&config, &["--once", "--apply"]).output().unwrap();
        let journal =
            std::fs::read_to_string(tmp.path().join("test-driver.journal")).unwrap_or_default();
        let all = format!("{}{}{journal}", stdout(&out), stderr(&out));
        assert!(
            all.contains("host host-2 is unreachable") || all.contains("key `hosts.2.uri`"),
            "{uri}: {all}"
        );
        for shown in [secret.to_string(), secret.replace('@', "%40")] {
            assert!(!all.contains(&shown), "{uri} shows `{shown}`:\n{all}");
        }
    }
}

/// A config named by its bare file name (from its own directory) finds its node files:
/// `{config_dir}` is the working directory, not empty.
#[test]
fn a_config_given_by_its_bare_name_resolves_paths_against_its_directory() {
    let (tmp, _) = live_dir();
    let out = orrery()
        .current_dir(tmp.path())
        .args(["live", "--config", "test-driver.toml", "--once"])
        .output()
        .unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(!text.contains("unreachable"), "{text}");
    assert!(text.contains("web-1 Running"), "{text}");
}

/// A second `--apply` on the same config refuses to start while the first runs, naming the
/// first's pid; once the first has gone (killed outright), the lock is free again.
#[test]
fn a_second_apply_on_one_config_is_refused_while_the_first_runs() {
    let (tmp, config) = live_dir();
    let mut first = live(&config, &["--apply", "--interval", "3600"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = tmp.path().join("test-driver.journal.lock");
    let pid = first.id().to_string();
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != pid {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the first instance never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = live(&config, &["--apply", "--once"]).output().unwrap();
    let err = stderr(&second);
    assert!(!second.status.success(), "{err}");
    assert!(err.contains(&format!("in use by process {pid}")), "{err}");
    // A dry run only reads the journal: it still runs.
    assert_success(&live(&config, &["--once"]).output().unwrap());
    first.kill().unwrap();
    first.wait().unwrap();
    assert_success(&live(&config, &["--apply", "--once"]).output().unwrap());
}

#[test]
fn a_bad_live_config_is_a_located_error() {
    let (_tmp, config) = live_dir();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_migrations = 2", "max_migration = 2");
    std::fs::write(&config, text).unwrap();
    let out = live(&config, &["--once"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("test-driver.toml, line 12, column 1"), "{err}");
    assert!(err.contains("limits.max_migration"), "{err}");
    assert!(err.contains("docs/live.md"), "{err}");
}
