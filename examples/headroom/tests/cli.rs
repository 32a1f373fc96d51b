//! The example extension through its own binary: its policies run, sweep and are listed like
//! built-in ones, and their parameters are checked like built-in ones.

use std::path::Path;
use std::process::{Command, Output};

/// Three hosts of 4 cores × 1000 MIPS, five 1-vCPU VMs at 50 % arriving together.
const PLACEMENT: &str = r#"
name = "headroom"
seed = 3
duration_s = 900

[datacenter]
update_interval_s = 300

[[hosts]]
type = "node"
count = 3
cores = 4
core_mips = 1000
memory_mb = 16384
power = { model = "linear", idle_w = 100.0, max_w = 200.0 }

[[vm_types]]
name = "small"
vcpus = 1
mips = 1000
memory_mb = 2048

[[workload.generators]]
vm_type = "small"
count = 5
arrival = { process = "batch", at_s = 0 }
utilisation = { pattern = "constant", level = 0.5 }

[policies]
placement = "headroom-best-fit"
"#;

/// Two hosts of 4000 MIPS; first-fit packs four 90 % VMs onto host 0 (3600 of 4000 MIPS busy).
const SHEDDING: &str = r#"
name = "shedding"
seed = 5
duration_s = 1800

[datacenter]
update_interval_s = 300

[[hosts]]
type = "node"
count = 2
cores = 4
core_mips = 1000
memory_mb = 16384
power = { model = "linear", idle_w = 100.0, max_w = 200.0 }

[[vm_types]]
name = "small"
vcpus = 1
mips = 1000
memory_mb = 2048

[[workload.generators]]
vm_type = "small"
count = 4
arrival = { process = "batch", at_s = 0 }
utilisation = { pattern = "constant", level = 0.9 }

[policies]
placement = "first-fit"
reallocation = "shed-hottest"
reallocation_interval_s = 300
"#;

fn orrery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orrery-headroom"))
        .args(args)
        .output()
        .expect("the example binary runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// (vm, host) of every `deployed` event of a run directory, in VM order.
fn deployments(dir: &Path) -> Vec<(usize, usize)> {
    let mut r = csv::Reader::from_path(dir.join("events.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (kind, vm, host) = (col("kind"), col("vm"), col("host"));
    let mut out: Vec<(usize, usize)> = r
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[kind] == "deployed")
        .map(|r| (r[vm].parse().unwrap(), r[host].parse().unwrap()))
        .collect();
    out.sort();
    out
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn best_fit_fills_each_host_up_to_its_headroom() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "s.toml", PLACEMENT);
    // Each host has 4000 MIPS; each VM reserves 1000. Keeping 25 % (1000) free, host 0 takes
    // three VMs (best fit: the fullest host that still fits), host 1 the other two.
    let out = tmp.path().join("quarter");
    ok(orrery(&[
        "run",
        &scenario,
        "--out",
        out.to_str().unwrap(),
        "--set",
        "policies.params.headroom-best-fit.headroom=0.25",
    ]));
    assert_eq!(deployments(&out), [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]);
    // With no headroom host 0 takes four.
    let out = tmp.path().join("none");
    ok(orrery(&[
        "run",
        &scenario,
        "--out",
        out.to_str().unwrap(),
        "--set",
        "policies.params.headroom-best-fit.headroom=0",
    ]));
    assert_eq!(deployments(&out), [(0, 0), (1, 0), (2, 0), (3, 0), (4, 1)]);
}

#[test]
fn shedding_moves_one_vm_off_the_hot_host_then_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "s.toml", SHEDDING);
    // Host 0 runs at 0.9 > 0.8: VM 0 (the lowest id of four equal VMs) moves to host 1
    // (0.225 after the move); host 0 is then at 0.675 and nothing moves again.
    let out = tmp.path().join("shed");
    ok(orrery(&["run", &scenario, "--out", out.to_str().unwrap()]));
    assert_eq!(summary(&out)["vm_migrations"], 1);
    let mut r = csv::Reader::from_path(out.join("migrations.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let field = |row: &csv::StringRecord, name: &str| {
        row[header.iter().position(|h| h == name).unwrap()].to_string()
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            field(&rows[0], "vm"),
            field(&rows[0], "source"),
            field(&rows[0], "destination")
        ),
        ("0".into(), "0".into(), "1".into())
    );
    // Above the hot host's utilisation, nothing moves.
    let out = tmp.path().join("calm");
    ok(orrery(&[
        "run",
        &scenario,
        "--out",
        out.to_str().unwrap(),
        "--set",
        "policies.params.shed-hottest.threshold=0.95",
    ]));
    assert_eq!(summary(&out)["vm_migrations"], 0);
}

#[test]
fn a_sweep_varies_an_extension_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "{PLACEMENT}\n[sweep]\n\"policies.params.headroom-best-fit.headroom\" = [0.0, 0.25, 0.5]\n"
    );
    let scenario = write(tmp.path(), "sweep.toml", &text);
    let out = tmp.path().join("sweep");
    ok(orrery(&[
        "sweep",
        &scenario,
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]));
    let mut r = csv::Reader::from_path(out.join("results.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    // Each point's run is exactly `run --set` with its value: the hosts used grow with the
    // headroom (2, 2, then 3 hosts: at 50 % a host takes two VMs).
    let mut used = Vec::new();
    for row in &rows {
        let dir = out.join("runs").join(&row[col("run")]);
        let hosts: std::collections::BTreeSet<usize> =
            deployments(&dir).into_iter().map(|(_, h)| h).collect();
        used.push(hosts.len());
    }
    assert_eq!(used, [2, 2, 3]);
    let headroom: Vec<&str> = rows
        .iter()
        .map(|r| &r[col("policies.params.headroom-best-fit.headroom")])
        .collect();
    assert_eq!(headroom, ["0.0", "0.25", "0.5"]);
}

#[test]
fn the_catalogue_lists_the_extensions_with_their_parameters() {
    let json: serde_json::Value =
        serde_json::from_str(&ok(orrery(&["policies", "--json"]))).unwrap();
    let placement = json["placements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "headroom-best-fit")
        .expect("listed with the placements");
    let params = &placement["sections"][0];
    assert_eq!(params["section"], "[policies.params.headroom-best-fit]");
    assert_eq!(params["params"][0]["key"], "headroom");
    assert_eq!(params["params"][0]["type"], "float");
    assert_eq!(params["params"][0]["default"], "0.1");
    assert_eq!(params["params"][0]["range"], "0.0 ..= 0.9");
    let text = ok(orrery(&["policies"]));
    assert!(text.contains("shed-hottest"), "{text}");
    assert!(text.contains("[policies.params.shed-hottest]"), "{text}");
}

#[test]
fn bad_parameters_are_located_input_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "s.toml", PLACEMENT);
    let cases: [(&str, &[&str]); 4] = [
        (
            "policies.params.headroom-best-fit.headroom=2.0",
            &[
                "policies.params.headroom-best-fit.headroom",
                "out of range",
                "0.0 ..= 0.9",
            ],
        ),
        (
            "policies.params.headroom-best-fit.headroom=\"lots\"",
            &["expected a float"],
        ),
        (
            "policies.params.headroom-best-fit.margin=0.1",
            &["unknown parameter `margin`", "headroom, wake"],
        ),
        (
            "policies.params.first-fit.x=1",
            &["policies.params.first-fit", "not an extension policy"],
        ),
    ];
    for (set, expect) in cases {
        let out = orrery(&["run", &scenario, "--set", set]);
        assert_eq!(out.status.code(), Some(2), "{set}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("--set, key `{}`", set.split('=').next().unwrap()))
                || err.contains("s.toml"),
            "{set}: {err}"
        );
        for e in expect {
            assert!(err.contains(e), "{set}: missing {e:?} in\n{err}");
        }
    }
    // A bad value in the file is located in the file.
    let bad = write(
        tmp.path(),
        "bad.toml",
        &format!("{PLACEMENT}\n[policies.params.headroom-best-fit]\nwake = 1\n"),
    );
    let out = orrery(&["run", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml"), "{err}");
    assert!(
        err.contains("policies.params.headroom-best-fit.wake"),
        "{err}"
    );
    assert!(
        err.contains("expected a boolean, found integer `1`"),
        "{err}"
    );
    // An unknown placement's hint lists the extensions beside the built-in ones.
    let out = orrery(&["run", &scenario, "--set", "policies.placement=\"best-fit\""]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("first-fit") && err.contains("headroom-best-fit"),
        "{err}"
    );
}

#[test]
fn live_mode_plans_with_the_extensions() {
    // The repository's libvirt test-driver config (three in-process hosts), copied so its
    // journal lands in a temporary directory; a dry run changes nothing.
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/live");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    let config = tmp.path().join("test-driver.toml");
    let text = ok(orrery(&[
        "live",
        "--config",
        config.to_str().unwrap(),
        "--once",
        "--set",
        "policies.placement=headroom-best-fit",
        "--set",
        "policies.reallocation=shed-hottest",
    ]));
    // web-2 (2 × 2000 MIPS) joins web-1 on host-1, the fullest host it fits on with 10 %
    // free; db-1 (4 × 2000) fits on host-0 (16000 − 8000 − 1600 ≥ 0) but not on host-1
    // (16000 − 4000 − 4000 − 8000 − 1600 < 0), and host-0 is fuller than host-2.
    for line in [
        "placement plan (2 actions, dry run):",
        "deploy web-2 on host-1",
        "deploy db-1 on host-0",
        "reallocation plan (0 actions, dry run):",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
}

/// Every file of a directory, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_router_at_its_extremes_is_the_brokers_cheapest_and_fastest_goals() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/federation/broker.toml");
    let run = |name: &str, sets: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec![
            "federate",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        for s in sets {
            args.extend(["--set", s]);
        }
        ok(orrery(&args));
        files(&out)
    };
    let cheapest = run("cheapest", &["architecture.goal=cheapest"]);
    let fastest = run("fastest", &["architecture.goal=fastest"]);
    // The two goals route differently on this federation, so the comparison below can fail.
    assert_ne!(cheapest, fastest);
    let router = ["architecture.router=weighted"];
    let weight_1 = run("w1", &[router[0], "architecture.params.cost_weight=1"]);
    let weight_0 = run("w0", &[router[0], "architecture.params.cost_weight=0"]);
    assert!(cheapest == weight_1, "weight 1 is not `cheapest`");
    assert!(fastest == weight_0, "weight 0 is not `fastest`");

    // Bad router names and parameters are located input errors.
    for (sets, expect) in [
        (
            vec!["architecture.router=nearest"],
            "unknown router `nearest`",
        ),
        (
            vec![router[0], "architecture.params.cost_weight=2"],
            "architecture.params.cost_weight",
        ),
        (
            vec!["architecture.params.cost_weight=1"],
            "parameters without a `router`",
        ),
    ] {
        let mut args = vec!["federate", file.to_str().unwrap(), "--out"];
        let out = tmp.path().join("bad");
        args.push(out.to_str().unwrap());
        for s in &sets {
            args.extend(["--set", s]);
        }
        let out = orrery(&args);
        assert_eq!(out.status.code(), Some(2), "{sets:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{sets:?}: {err}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(orrery(&["policies", "--json"]))).unwrap();
    assert_eq!(json["routers"][0]["name"], "weighted");
    assert_eq!(
        json["routers"][0]["sections"][0]["section"],
        "[architecture.params]"
    );
}
