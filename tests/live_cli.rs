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
    assert!(
        lines[0].starts_with(
            "{\"record\":\"adopted\",\"seq\":1,\"vm\":\"web-1\",\"uuid\":\"5f0e3a8e-0000-4000-8000-000000000001\",\"at_ms\":"
        ),
        "{journal}"
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
        journal.contains("{\"record\":\"done\",\"seq\":3,\"at_ms\":"),
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

/// `orrery live …` with a subcommand.
fn live_sub(sub: &str, args: &[&str]) -> Command {
    let mut c = orrery();
    c.arg("live").arg(sub).args(args);
    c
}

#[test]
fn a_plan_is_written_reviewed_applied_once_and_read_back_from_the_journal() {
    let (tmp, config) = live_dir();
    let c = config.to_str().unwrap();
    let plan = tmp.path().join("plan.json");
    let p = plan.to_str().unwrap();
    let out = live_sub("plan", &["--config", c, "--out", p, "--measure", "0"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        stdout(&out).contains("(2 actions) written to"),
        "{}",
        stdout(&out)
    );
    assert!(
        !tmp.path().join("test-driver.journal").exists(),
        "a plan changes nothing"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(doc["format"], "orrery-live-plan/1");
    assert_eq!(
        doc["config"],
        std::fs::canonicalize(&config).unwrap().to_str().unwrap()
    );
    let steps: Vec<String> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["action"]["kind"], s["action"]["vm"], s["action"]["host"]
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            "\"deploy\" \"web-2\" \"host-1\"",
            "\"deploy\" \"db-1\" \"host-1\""
        ]
    );
    let uuid = doc["steps"][0]["action"]["uuid"]
        .as_str()
        .unwrap()
        .to_string();

    // Applied by the plan alone (it names its config), once.
    let out = live_sub("apply", &[p]).output().unwrap();
    assert_success(&out);
    assert!(
        stdout(&out).contains(": 2 done, 0 skipped, 0 failed"),
        "{}",
        stdout(&out)
    );
    let again = live_sub("apply", &[p]).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already applied"),
        "{}",
        stderr(&again)
    );

    // The journal: who, what, why, with the UUID the plan gave the deploy.
    let out = live_sub("journal", &["--config", c, "--kind", "deploy"])
        .output()
        .unwrap();
    assert_success(&out);
    let table = stdout(&out);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for (row, vm) in rows.iter().zip(["web-2 on host-1", "db-1 on host-1"]) {
        assert!(row.contains("operator") && row.contains("done"), "{row}");
        assert!(row.contains(&format!("deploy {vm}")), "{row}");
        assert!(row.contains("placement by packing"), "{row}");
    }
    let out = live_sub("journal", &["--config", c, "--json", "--vm", "web-2"])
        .output()
        .unwrap();
    assert_success(&out);
    let entries: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"]["uuid"], uuid.as_str());
    assert_eq!(entries[0]["actor"], "operator");
    assert_eq!(entries[0]["plan"], doc["id"]);
    let bad = live_sub("journal", &["--config", c, "--outcome", "maybe"])
        .output()
        .unwrap();
    assert!(assert_input_error(&bad).contains("--outcome"));

    // A plan cancelled before it is applied is never applied.
    let second = tmp.path().join("second.json");
    let s = second.to_str().unwrap();
    assert_success(
        &live_sub("plan", &["--config", c, "--out", s, "--measure", "0"])
            .output()
            .unwrap(),
    );
    let out = live_sub("cancel", &[s]).output().unwrap();
    assert_success(&out);
    assert!(stdout(&out).contains("cancelled: it will not be applied"));
    let refused = live_sub("apply", &[s]).output().unwrap();
    assert!(
        stderr(&refused).contains("was cancelled"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn maintenance_names_a_host_of_the_config() {
    let (tmp, config) = live_dir();
    let c = config.to_str().unwrap();
    let bad = live_sub("maintenance", &["--config", c, "host-9"])
        .output()
        .unwrap();
    let e = assert_input_error(&bad);
    assert!(
        e.contains("has no host `host-9`") && e.contains("host-0, host-1, host-2"),
        "{e}"
    );
    assert_success(
        &live_sub("maintenance", &["--config", c, "host-0"])
            .output()
            .unwrap(),
    );
    // The next round shows it, and places nothing there.
    let out = live(&config, &["--once"]).output().unwrap();
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("host-0 is in maintenance"), "{text}");
    assert!(!text.contains(" on host-0\n"), "{text}");
    let requests =
        std::fs::read_to_string(tmp.path().join("test-driver.journal.requests")).unwrap();
    assert!(requests.contains("\"request\":\"maintenance\",\"host\":\"host-0\",\"on\":true"));
}

/// Reads an HTTP response to `GET path` from `addr`.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn metrics_are_served_while_the_loop_runs_and_sigterm_stops_it_cleanly() {
    use std::io::BufRead;
    let (tmp, config) = live_dir();
    let mut child = live(
        &config,
        &["--apply", "--interval", "1", "--metrics", "127.0.0.1:0"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "no metrics address on stderr"
        );
        if let Some(rest) = line.split("metrics at http://").nth(1) {
            break rest.trim().trim_end_matches("/metrics").to_string();
        }
    };
    // Scraped until the first round is counted (its two deploys among the actions).
    let start = std::time::Instant::now();
    let body = loop {
        let body = http_get(&addr, "/metrics");
        if body.contains("orrery_live_rounds_total{config=\"test-driver\"} 2") {
            break body;
        }
        assert!(start.elapsed().as_secs() < 60, "no second round:\n{body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        body.starts_with("HTTP/1.0 200") || body.starts_with("HTTP/1.1 200"),
        "{body}"
    );
    assert!(
        body.contains(
            "orrery_live_actions_total{config=\"test-driver\",kind=\"deploy\",outcome=\"done\"} 2"
        ),
        "{body}"
    );
    assert!(
        body.contains("orrery_live_vms{config=\"test-driver\",state=\"running\"} 3"),
        "{body}"
    );
    assert!(http_get(&addr, "/nope").contains(" 404 "));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "SIGTERM ends the loop cleanly: {:?}",
        out.status
    );
    assert!(
        stdout(&out).contains("stopping on a signal"),
        "{}",
        stdout(&out)
    );
    // Nothing left open in the journal; the lock released.
    let journal = tmp.path().join("test-driver.journal");
    let out = live_sub(
        "journal",
        &["--journal", journal.to_str().unwrap(), "--outcome", "open"],
    )
    .output()
    .unwrap();
    assert_eq!(stdout(&out), "no journal records match\n");
    assert_success(&live(&config, &["--apply", "--once"]).output().unwrap());
}

#[test]
fn a_snapshot_runs_as_a_scenario_and_a_plan_is_simulated_before_it_is_applied() {
    let (tmp, config) = live_dir();
    let c = config.to_str().unwrap();
    let snap = tmp.path().join("snap");
    let s = snap.to_str().unwrap();
    let args = [
        "--config",
        c,
        "--out",
        s,
        "--samples",
        "2",
        "--every",
        "0.2",
        "--hours",
        "1",
    ];
    let out = live_sub("snapshot", &args).output().unwrap();
    assert_success(&out);
    assert!(
        stdout(&out).contains("3 hosts, 3 VMs, 2 samples each"),
        "{}",
        stdout(&out)
    );
    // The twin runs as any scenario: its VMs in order of name (db-1, web-1, web-2); web-1 starts
    // on host-1 (id 1), where it runs, and the pending db-1 and web-2 are placed by the twin's
    // placement policy.
    let run_dir = tmp.path().join("twin-run");
    let out = run_orrery([
        "run",
        snap.join("scenario.toml").to_str().unwrap(),
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    let events = std::fs::read_to_string(run_dir.join("events.csv")).unwrap();
    let first_deploy = events.lines().find(|l| l.contains(",deploy,")).unwrap();
    assert!(first_deploy.starts_with("0.0,deploy,1,1,"), "{events}");
    assert_eq!(events.matches(",deploy,").count(), 3, "{events}");

    let plan = tmp.path().join("plan.json");
    let p = plan.to_str().unwrap();
    let args = [
        "--config",
        c,
        "--out",
        p,
        "--measure",
        "0.2",
        "--what-if",
        "1",
    ];
    let out = live_sub("plan", &args).output().unwrap();
    assert_success(&out);
    let text = stdout(&out);
    for line in [
        "what-if over 1 h",
        "  as is ",
        "  with the plan ",
        "  plan, then consolidation ",
        "migrations not predicted: no calibration",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    // No live migration has run here: there is nothing to calibrate on, and it says so.
    let out = live_sub("calibrate", &["--config", c]).output().unwrap();
    let e = assert_input_error(&out);
    assert!(e.contains("records no measured live migration"), "{e}");
    let bad = live_sub("plan", &["--config", c, "--out", p, "--what-if", "0"])
        .output()
        .unwrap();
    assert!(assert_input_error(&bad).contains("--what-if"));
}

#[test]
fn bad_plans_journals_and_metrics_addresses_are_located_errors() {
    let (tmp, config) = live_dir();
    let c = config.to_str().unwrap();
    let missing = tmp.path().join("missing.json");
    let e = assert_input_error(
        &live_sub("apply", &[missing.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(e.contains("missing.json"), "{e}");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"format\": \"orrery-live-plan/1\",\n \"id\": 7}\n").unwrap();
    let e = assert_input_error(
        &live_sub("apply", &[bad.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(
        e.contains("bad.json") && e.contains("line 2") && e.contains("`id`"),
        "{e}"
    );
    let journal = tmp.path().join("corrupt.journal");
    std::fs::write(&journal, "{\"record\":\"done\",\"seq\":1}\nnot json\n").unwrap();
    let e = assert_input_error(
        &live_sub("journal", &["--journal", journal.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(e.contains("corrupt.journal") && e.contains("line 2"), "{e}");
    let e = assert_input_error(
        &live(&config, &["--once", "--metrics", "not-an-address"])
            .output()
            .unwrap(),
    );
    assert!(
        e.contains("--metrics") && e.contains("not-an-address"),
        "{e}"
    );
    let e = assert_input_error(
        &live_sub("journal", &["--config", c, "--actor", "robot"])
            .output()
            .unwrap(),
    );
    assert!(e.contains("--actor") && e.contains("robot"), "{e}");
}
