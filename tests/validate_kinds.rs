//! `orrery validate` takes every kind of configuration file, told apart by its keys: each
//! shipped file validates and says what it is; a broken file of each kind exits 2 with a
//! message that names the file, the line and the key.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Every shipped TOML file under `dir` (recursively), sorted.
fn tomls(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            tomls(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn every_shipped_file_of_every_kind_validates() {
    let mut files = Vec::new();
    tomls(&root().join("scenarios"), &mut files);
    tomls(&root().join("benches"), &mut files);
    files.sort();
    let out = orrery().arg("validate").args(&files).output().unwrap();
    if cfg!(feature = "live") {
        assert_success(&out);
    }
    let so = stdout(&out);
    let line = |name: &str| {
        let path = files.iter().find(|f| f.ends_with(name)).unwrap();
        so.lines()
            .find(|l| l.starts_with(&format!("{}: ok", path.display())))
            .unwrap_or_else(|| panic!("{name} not reported ok:\n{so}"))
            .to_string()
    };
    assert!(line("scenarios/default.toml").ends_with("ok (default)"));
    assert!(line("sweeps/policies.toml").ends_with("(policies-sweep, sweep of 9 points)"));
    assert!(line("federation/saas.toml").ends_with("(saas, federation of 3 sites)"));
    assert!(line("federation/sites/tiny.toml").ends_with("(tiny)"));
    assert!(line("policies/suite.toml").ends_with("(policies, bench suite of 3 scenarios)"));
    assert!(line("decide/balance.toml").ends_with("(balance, state of 2 hosts and 4 VMs)"));
    if cfg!(feature = "live") {
        assert!(line("live/test-driver.toml").ends_with("(test-driver, live config of 3 hosts)"));
    }
    // Every file is accounted for.
    let reported = so.lines().filter(|l| l.contains(": ok (")).count();
    // Without live mode, live configs are reported as needing it.
    let live = if cfg!(feature = "live") {
        0
    } else {
        files
            .iter()
            .filter(|f| f.parent().is_some_and(|d| d.ends_with("scenarios/live")))
            .count()
    };
    assert_eq!(reported + live, files.len(), "{so}");
}

/// Validates `text` written as `name` in a temporary directory (with `extra` files beside it)
/// and returns the single error line, asserting exit 2.
fn broken(name: &str, text: &str, extra: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (file, body) in extra {
        std::fs::write(dir.path().join(file), body).unwrap();
    }
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let out = run_orrery(["validate".as_ref(), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one paragraph: {err}");
    assert!(
        err.starts_with(&format!("error: {}", path.display())),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap()
}

#[test]
fn a_broken_scenario_names_its_line_and_key() {
    let text = shipped("scenarios/default.toml").replace("count = 160", "count = \"many\"");
    let err = broken("s.toml", &text, &[]);
    assert!(err.contains("key `hosts.0.count`"), "{err}");
    assert!(err.contains(", line "), "{err}");
}

#[test]
fn a_broken_sweep_names_its_line_and_key() {
    let text = shipped("scenarios/sweeps/policies.toml").replace("replicas = 2", "replicas = 0");
    let err = broken("sweep.toml", &text, &[]);
    assert!(err.contains("key `sweep.replicas`"), "{err}");
    assert!(err.contains(", line "), "{err}");
}

#[test]
fn a_broken_federation_file_names_its_line_and_key() {
    let text = shipped("scenarios/federation/billing-period.toml")
        .replace("scenario = \"sites/tiny.toml\"", "scenario = \"tiny.toml\"")
        .replace("interval_s = 300", "interval_s = -5");
    let site = shipped("scenarios/federation/sites/tiny.toml");
    let err = broken("fed.toml", &text, &[("tiny.toml", &site)]);
    assert!(err.contains("key `interval_s`"), "{err}");
    assert!(err.contains("line 8, column 14"), "{err}");
}

#[test]
fn a_broken_live_config_names_its_line_and_key() {
    let text = shipped("scenarios/live/test-driver.toml")
        .replace("max_migrations = 2", "max_migrations = 2\nmax_moves = 3");
    let err = broken("live.toml", &text, &[]);
    if cfg!(feature = "live") {
        assert!(err.contains("key `limits.max_moves`"), "{err}");
        assert!(err.contains(", line "), "{err}");
    } else {
        assert!(err.contains("built without live mode"), "{err}");
    }
}

#[test]
fn a_broken_decide_state_names_its_line_and_key() {
    let text = shipped("scenarios/decide/balance.toml").replace("cores = 3", "cores = 0");
    let err = broken("state.toml", &text, &[]);
    assert!(
        err.contains("line 11") && err.contains("hosts.0.cores"),
        "{err}"
    );
    assert!(err.contains("must be at least 1"), "{err}");
}

#[test]
fn a_broken_bench_suite_names_its_line_and_key() {
    let text = shipped("benches/policies/suite.toml")
        .replace("[metrics.mean_active_hosts]", "[metrics.mean_hosts]");
    let err = broken("suite.toml", &text, &[]);
    assert!(err.contains("key `metrics.mean_hosts`"), "{err}");
    assert!(err.contains("not a run metric"), "{err}");
    assert!(err.contains(", line "), "{err}");
}

#[test]
fn federate_takes_set_like_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    // billing-period.toml with its public cloud stopping idle instances at once: every one of
    // the 12 bursts starts a fresh instance and pays its own hour (docs/federation.md).
    let out = run_orrery([
        "federate".as_ref(),
        scenario("federation/billing-period.toml").as_os_str(),
        "--set".as_ref(),
        "sites.1.stop=immediate".as_ref(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_success(&out);
    let s = summary(&out_dir);
    assert_eq!(num(&s, "burst"), 12.0);
    assert!((num(&s, "cost_total") - 1.2).abs() < 1e-9, "{s}");
    // A key the file does not know is blamed on --set.
    let out = run_orrery([
        "federate".as_ref(),
        scenario("federation/billing-period.toml").as_os_str(),
        "--set".as_ref(),
        "architecture.treshold=0.5".as_ref(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: --set, key `architecture.treshold`"),
        "{}",
        stderr(&out)
    );
}

#[cfg(not(feature = "live"))]
#[test]
fn without_the_live_feature_live_mode_says_how_to_get_it() {
    let out = run_orrery([
        "live".as_ref(),
        "--config".as_ref(),
        scenario("live/test-driver.toml").as_os_str(),
        "--once".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("built without live mode"), "{err}");
    assert!(err.contains("apt install libvirt-dev"), "{err}");
}
