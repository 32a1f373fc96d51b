//! A corpus of hostile inputs, one for every way a careful user (or a fuzzer) has broken orrery:
//! malformed, huge, NaN and infinite numbers, memory bombs, inputs that used to hang, files
//! that are FIFOs or devices, broken traces, bad flags, for every file kind and command. Each
//! must end with exit 2 and one `error:` paragraph that names the file (or the flag) and the
//! place (line, column or key) and says how to fix it, with no panic, within a bounded time
//! and under a memory cap (the command runs under `prlimit`: 4 GiB of address space, 60 s of
//! CPU).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A small valid scenario: cases replace one of its lines or append to it.
const SCENARIO: &str = r#"name = "base"
seed = 1
duration_s = 7200

[datacenter]
update_interval_s = 300

[[hosts]]
type = "node"
count = 4
cores = 8
core_mips = 2000
memory_mb = 32768
power = { model = "linear", idle_w = 90.0, max_w = 200.0 }

[[vm_types]]
name = "web"
vcpus = 2
mips = 2000
memory_mb = 4096

[[workload.generators]]
vm_type = "web"
count = 8
arrival = { process = "batch", at_s = 0 }
lifetime = { dist = "exponential", mean_s = 1800 }
utilisation = { pattern = "constant", level = 0.5 }

[policies]
placement = "first-fit"
reallocation = "none"
reallocation_interval_s = 300
"#;

/// What a case writes and runs.
struct Case {
    name: &'static str,
    /// Files to write into the case's directory: (name, contents).
    files: Vec<(&'static str, String)>,
    /// Extra setup (FIFOs, links, directories) in the case's directory.
    setup: fn(&Path),
    /// The arguments, with `{dir}` replaced by the case's directory.
    args: Vec<String>,
    /// What the one error paragraph must contain (the file or flag, and the place).
    expect: Vec<&'static str>,
}

fn none(_: &Path) {}

fn case(name: &'static str, args: &[&str], expect: &[&'static str]) -> Case {
    Case {
        name,
        files: Vec::new(),
        setup: none,
        args: args.iter().map(|s| s.to_string()).collect(),
        expect: expect.to_vec(),
    }
}

impl Case {
    fn file(mut self, name: &'static str, text: String) -> Case {
        self.files.push((name, text));
        self
    }

    fn setup(mut self, f: fn(&Path)) -> Case {
        self.setup = f;
        self
    }
}

/// The base scenario with `from` replaced by `to` (which must be there).
fn scenario_with(from: &str, to: &str) -> String {
    assert!(SCENARIO.contains(from), "the base scenario has no `{from}`");
    SCENARIO.replacen(from, to, 1)
}

/// `orrery validate {dir}/s.toml` on the base scenario with `from` replaced by `to`.
fn bad_scenario(name: &'static str, from: &str, to: &str, expect: &[&'static str]) -> Case {
    case(name, &["validate", "{dir}/s.toml"], expect).file("s.toml", scenario_with(from, to))
}

/// `orrery validate` on the base scenario lengthened to 30 days, with `from` replaced by `to`.
fn thirty_days(name: &'static str, from: &str, to: &str, expect: &[&'static str]) -> Case {
    let text = scenario_with(from, to).replacen("duration_s = 7200", "duration_s = 2592000", 1);
    case(name, &["validate", "{dir}/s.toml"], expect).file("s.toml", text)
}

/// `orrery run {dir}/s.toml --out {dir}/out` on the base scenario with `extra` appended.
fn run_with(name: &'static str, extra: &str, expect: &[&'static str]) -> Case {
    case(name, &["run", "{dir}/s.toml", "--out", "{dir}/out"], expect)
        .file("s.toml", format!("{SCENARIO}{extra}"))
}

/// `orrery validate` on the base scenario with one `--set`.
fn bad_set(name: &'static str, set: &str, expect: &[&'static str]) -> Case {
    let mut c = case(name, &["validate", "{dir}/s.toml", "--set"], expect)
        .file("s.toml", SCENARIO.to_string());
    c.args.push(set.to_string());
    c
}

fn shipped(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap()
}

/// A trace scenario reading `{dir}/traces`.
fn trace_scenario() -> String {
    scenario_with(
        "[[workload.generators]]\nvm_type = \"web\"\ncount = 8\narrival = { process = \"batch\", at_s = 0 }\nlifetime = { dist = \"exponential\", mean_s = 1800 }\nutilisation = { pattern = \"constant\", level = 0.5 }\n",
        "[workload]\ntrace_dir = \"traces\"\ntrace_vm_types = [\"web\"]\n",
    )
}

fn trace_case(name: &'static str, setup: fn(&Path), expect: &[&'static str]) -> Case {
    case(name, &["run", "{dir}/s.toml", "--out", "{dir}/out"], expect)
        .file("s.toml", trace_scenario())
        .setup(setup)
}

fn traces_with(dir: &Path, files: &[(&str, &str)]) {
    let t = dir.join("traces");
    fs::create_dir_all(&t).unwrap();
    for (name, text) in files {
        fs::write(t.join(name), text).unwrap();
    }
}

/// A federation file: billing-period.toml with its site beside it.
fn federation_with(from: &str, to: &str) -> String {
    let text = shipped("scenarios/federation/billing-period.toml");
    assert!(text.contains(from), "billing-period.toml has no `{from}`");
    text.replacen(from, to, 1)
}

fn bad_federation(name: &'static str, from: &str, to: &str, expect: &[&'static str]) -> Case {
    case(
        name,
        &["federate", "{dir}/fed.toml", "--out", "{dir}/out"],
        expect,
    )
    .file("fed.toml", federation_with(from, to))
    .file(
        "sites/tiny.toml",
        shipped("scenarios/federation/sites/tiny.toml"),
    )
}

/// A live config: test-driver.toml with its node files beside it.
fn live_with(from: &str, to: &str) -> String {
    let text = shipped("scenarios/live/test-driver.toml");
    assert!(text.contains(from), "test-driver.toml has no `{from}`");
    text.replacen(from, to, 1)
}

fn live_nodes(dir: &Path) {
    for h in ["host0.xml", "host1.xml", "host2.xml"] {
        fs::copy(root().join("scenarios/live").join(h), dir.join(h)).unwrap();
    }
}

fn bad_live(name: &'static str, from: &str, to: &str, expect: &[&'static str]) -> Case {
    case(name, &["validate", "{dir}/live.toml"], expect)
        .file("live.toml", live_with(from, to))
        .setup(live_nodes)
}

fn bench_with(from: &str, to: &str) -> String {
    let text = shipped("benches/policies/suite.toml")
        .replace("../../scenarios/sweeps/policies.toml", "policies.toml");
    assert!(text.contains(from), "suite.toml has no `{from}`");
    text.replacen(from, to, 1)
}

fn bad_bench(name: &'static str, from: &str, to: &str, expect: &[&'static str]) -> Case {
    case(
        name,
        &[
            "bench",
            "{dir}/suite.toml",
            "--baseline",
            "{dir}/baseline.json",
        ],
        expect,
    )
    .file("suite.toml", bench_with(from, to))
    .file("policies.toml", shipped("scenarios/sweeps/policies.toml"))
}

/// A sweep: policies.toml with `from` replaced by `to`.
fn bad_sweep(name: &'static str, from: &str, to: &str, expect: &[&'static str]) -> Case {
    let text = shipped("scenarios/sweeps/policies.toml");
    assert!(text.contains(from), "policies.toml has no `{from}`");
    case(
        name,
        &["sweep", "{dir}/sweep.toml", "--out", "{dir}/out"],
        expect,
    )
    .file("sweep.toml", text.replacen(from, to, 1))
}

/// `n` swept keys of two values each: a grid of 2^n points.
fn wide_grid(n: usize) -> String {
    let mut text = scenario_with("reallocation = \"none\"\n", "reallocation = \"none\"\n");
    text.push_str("\n[sweep]\n");
    for i in 0..n {
        text.push_str(&format!("\"hosts.0.attributes.K{i}\" = [\"a\", \"b\"]\n"));
    }
    text
}

fn cases() -> Vec<Case> {
    let mut v = vec![
        // Numbers: NaN, infinities, huge, negative, zero, wrong types.
        bad_scenario("duration-nan", "duration_s = 7200", "duration_s = nan", &["key `duration_s`", "finite"]),
        bad_scenario("duration-inf", "duration_s = 7200", "duration_s = inf", &["key `duration_s`", "finite"]),
        bad_scenario("duration-1e300", "duration_s = 7200", "duration_s = 1e300", &["key `duration_s`", "31 years"]),
        bad_scenario("duration-negative", "duration_s = 7200", "duration_s = -5", &["key `duration_s`", "positive"]),
        bad_scenario("duration-string", "duration_s = 7200", "duration_s = \"long\"", &["key `duration_s`", "line 3"]),
        bad_scenario("update-interval-1e-9", "update_interval_s = 300", "update_interval_s = 1e-9", &["key `datacenter.update_interval_s`", "one millisecond"]),
        bad_scenario("realloc-interval-1e-9", "reallocation_interval_s = 300", "reallocation_interval_s = 1e-9", &["key `policies.reallocation_interval_s`", "one millisecond"]),
        bad_scenario("realloc-interval-1e300", "reallocation_interval_s = 300", "reallocation_interval_s = 1e300", &["key `policies.reallocation_interval_s`"]),
        bad_scenario("host-count-i64-max", "count = 4", "count = 9223372036854775807", &["key `hosts`", "over the limit", "limits.max_hosts"]),
        bad_scenario("host-count-10e12", "count = 4", "count = 1000000000000", &["key `hosts`", "limits.max_hosts"]),
        bad_scenario("host-count-float", "count = 4", "count = 4.5", &["key `hosts.0.count`"]),
        bad_scenario("host-count-negative", "count = 4", "count = -4", &["key `hosts.0.count`"]),
        bad_scenario("host-count-zero", "count = 4", "count = 0", &["key `hosts.0.count`", "at least 1"]),
        bad_scenario("vm-count-10e12", "count = 8", "count = 1000000000000", &["key `workload`", "limits.max_vms"]),
        bad_scenario("cores-zero", "cores = 8", "cores = 0", &["key `hosts.0.cores`"]),
        bad_scenario("cores-too-big", "cores = 8", "cores = 99999999999", &["key `hosts.0.cores`"]),
        bad_scenario("memory-negative", "memory_mb = 32768", "memory_mb = -1", &["key `hosts.0.memory_mb`"]),
        bad_scenario("mips-nan", "core_mips = 2000", "core_mips = nan", &["key `hosts.0.core_mips`", "finite"]),
        bad_scenario("power-idle-above-max", "idle_w = 90.0", "idle_w = 900.0", &["key `hosts.0.power`"]),
        bad_scenario("power-inf", "max_w = 200.0", "max_w = inf", &["hosts.0.power.max_w", "finite"]),
        bad_scenario("history-huge", "update_interval_s = 300", "update_interval_s = 300\nhistory_len = 1000000000000", &["limits.max_samples"]),
        thirty_days("random-walk-bomb", "utilisation = { pattern = \"constant\", level = 0.5 }", "utilisation = { pattern = \"random-walk\", start = 0.5, step = 0.1, interval_s = 0.001 }", &["limits.max_samples"]),
        thirty_days("steps-bomb", "update_interval_s = 300", "update_interval_s = 0.001", &["key `duration_s`", "steps of work", "limits.max_steps"]),
        thirty_days("mtbf-bomb", "max_w = 200.0 }", "max_w = 200.0 }\nmtbf_s = 0.001\nmttr_s = 0.001", &["limits.max_steps"]),
        bad_scenario("lifetime-negative", "mean_s = 1800", "mean_s = -1800", &["workload.generators.0.lifetime"]),
        bad_scenario("level-above-one", "level = 0.5", "level = 5.0", &["workload.generators.0.utilisation"]),
        bad_scenario("epoch-list", "seed = 1", "seed = 1\nepoch = [1, 2]", &["key `epoch`", "Unix seconds"]),
        bad_scenario("epoch-word", "seed = 1", "seed = 1\nepoch = \"yesterday\"", &["key `epoch`", "Unix seconds"]),
        bad_scenario("seed-negative", "seed = 1", "seed = -1", &["key `seed`"]),
        bad_scenario("compat-unknown", "seed = 1", "seed = 1\ncompat = \"cloudsim-9\"", &["key `compat`"]),
        // Structure: unknown keys, syntax, policies, expressions.
        bad_scenario("unknown-key", "cores = 8", "cores = 8\ncpus = 8", &["key `hosts.0.cpus`", "unknown field"]),
        bad_scenario("syntax-error", "[policies]", "[policies", &["line 29, column 10"]),
        bad_scenario("unknown-placement", "placement = \"first-fit\"", "placement = \"best-effort\"", &["key `policies.placement`", "use one of"]),
        bad_scenario("thermal-policy-without-thermal", "reallocation = \"none\"", "reallocation = \"thermal-balance\"", &["key `policies.reallocation`", "[thermal]"]),
        bad_scenario("requirements-syntax", "memory_mb = 4096", "memory_mb = 4096\nrequirements = \"FREE_CPU >\"", &["key `vm_types.0.requirements`"]),
        bad_scenario("rank-syntax", "placement = \"first-fit\"\nreallocation = \"none\"\nreallocation_interval_s = 300", "placement = \"rank\"\nreallocation = \"none\"\nreallocation_interval_s = 300\n[policies.rank]\nrank = \"FREE_CPU * (\"", &["key `policies.rank.rank`"]),
        bad_scenario("no-hosts", "[[hosts]]\ntype = \"node\"", "[[nodes]]\ntype = \"node\"", &["unknown field"]),
        bad_scenario("unknown-vm-type", "vm_type = \"web\"", "vm_type = \"db\"", &["key `workload.generators.0.vm_type`", "known types"]),
        bad_scenario("duplicate-vm-type", "[[workload.generators]]", "[[vm_types]]\nname = \"web\"\nmips = 1000\nmemory_mb = 1024\n\n[[workload.generators]]", &["key `vm_types.1.name`", "twice"]),
        bad_scenario("bandwidth-fraction", "update_interval_s = 300", "update_interval_s = 300\n[migration]\nbandwidth_fraction = 2.0", &["key `migration.bandwidth_fraction`"]),
        bad_scenario("thermal-redline-low", "update_interval_s = 300", "update_interval_s = 300\n[thermal]\nsupply_c = 25.0\nredline_c = 20.0", &["key `thermal.redline_c`"]),
        bad_scenario("unknown-vm-group", "memory_mb = 4096", "memory_mb = 4096\nvm_group = \"tier\"", &["key `vm_types.0.vm_group`"]),
        run_with("failure-trace-missing", "\n[failures]\ntrace = \"nope.csv\"\n", &["nope.csv", "failures.trace"]),
        bad_scenario("service-unknown-type", "[policies]", "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"r\"\nvm_type = \"db\"\nrequest_mi = 1\n\n[policies]", &["services", "db"]),
        bad_scenario("service-dependency-cycle", "[policies]", "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"a\"\nvm_type = \"web\"\ndepends_on = [\"b\"]\n[[services.roles]]\nname = \"b\"\nvm_type = \"web\"\ndepends_on = [\"a\"]\n\n[policies]", &["services", "cycle"]),
        bad_scenario("service-bad-rule", "[policies]", "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"a\"\nvm_type = \"web\"\nmax_vms = 3\nelasticity_policies = [{ type = \"CHANGE\", adjust = 1, expression = \"CPU >>> 3\" }]\n\n[policies]", &["elasticity_policies"]),
        // Overrides on the command line.
        bad_set("set-without-equals", "duration_s", &["--set", "KEY=VALUE"]),
        bad_set("set-inside-a-value", "duration_s.x=1", &["--set", "key `duration_s.x`"]),
        bad_set("set-index-out-of-range", "hosts.5.count=1", &["--set", "key `hosts.5.count`", "out of range"]),
        bad_set("set-unknown-key", "policies.placment=packing", &["--set", "key `policies.placment`"]),
        bad_set("set-nan", "duration_s=nan", &["--set", "key `duration_s`", "finite"]),
        bad_set("set-limit-too-low", "limits.max_hosts=1", &["key `hosts`", "limits.max_hosts"]),
        case("seed-not-a-number", &["run", "--seed", "abc"], &["--seed"]),
        case("missing-scenario-file", &["run", "{dir}/nope.toml"], &["nope.toml", "check the path"]),
        // Files that are not regular files, or too large, or not text.
        case("scenario-is-a-directory", &["validate", "{dir}"], &["a directory", "regular file"]),
        case("scenario-is-a-fifo", &["run", "{dir}/fifo.toml"], &["fifo.toml", "FIFO"]).setup(|d| mkfifo(&d.join("fifo.toml"))),
        case("scenario-is-dev-zero", &["validate", "{dir}/zero.toml"], &["zero.toml", "a device"]).setup(|d| link(&d.join("zero.toml"), "/dev/zero")),
        case("scenario-too-large", &["validate", "{dir}/big.toml"], &["big.toml", "larger than 16 MiB"]).file("big.toml", "#".repeat(17 << 20)),
        case("scenario-not-utf8", &["validate", "{dir}/latin.toml"], &["latin.toml", "UTF-8"]).setup(|d| fs::write(d.join("latin.toml"), b"name = \"caf\xe9\"\n").unwrap()),
        // Traces.
        trace_case("trace-dir-missing", none, &["traces", "does not exist"]),
        trace_case("trace-file-fifo", |d| { traces_with(d, &[("a", "10\n")]); mkfifo(&d.join("traces/b")); }, &["traces/b", "FIFO"]),
        trace_case("trace-file-dev-zero", |d| { traces_with(d, &[("a", "10\n")]); link(&d.join("traces/z"), "/dev/zero"); }, &["traces/z", "a device"]),
        trace_case("trace-bad-line", |d| traces_with(d, &[("a", "10\n20\nlots\n")]), &["traces/a", "line 3", "lots"]),
        trace_case("trace-percent-over-100", |d| traces_with(d, &[("a", "10\n101\n")]), &["traces/a", "line 2", "outside 0 to 100"]),
        trace_case("trace-empty-file", |d| traces_with(d, &[("a", "")]), &["traces/a", "empty"]),
        trace_case("trace-dir-empty", |d| fs::create_dir_all(d.join("traces")).unwrap(), &["traces", "no trace files"]),
        trace_case("trace-too-many-files", |d| {
            let files: Vec<(String, &str)> = (0..5).map(|i| (format!("vm{i}"), "10\n")).collect();
            let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), *t)).collect();
            traces_with(d, &refs);
            let text = fs::read_to_string(d.join("s.toml")).unwrap();
            fs::write(d.join("s.toml"), text + "\n[limits]\nmax_vms = 3\n").unwrap();
        }, &["traces", "over the limit of 3", "limits.max_vms"]),
        run_with("failure-trace-bad-row", "\n[failures]\ntrace = \"f.csv\"\n", &["f.csv", "line 2"]).file("f.csv", "time_s,target,event\n10,node-0,explode\n".into()),
        run_with("failure-trace-unknown-host", "\n[failures]\ntrace = \"f.csv\"\n", &["f.csv", "node-9"]).file("f.csv", "time_s,target,event\n10,node-9,fail\n".into()),
        // Sweeps.
        bad_sweep("sweep-replicas-zero", "replicas = 2", "replicas = 0", &["key `sweep.replicas`"]),
        bad_sweep("sweep-replicas-1e9", "replicas = 2", "replicas = 1000000000", &["key `sweep`", "limits.max_sweep_runs"]),
        bad_sweep("sweep-not-a-list", "\"policies.placement\" = [\"packing\", \"striping\", \"coolest\"]", "\"policies.placement\" = \"packing\"", &["key `sweep.policies.placement`", "list"]),
        bad_sweep("sweep-empty-list", "\"policies.placement\" = [\"packing\", \"striping\", \"coolest\"]", "\"policies.placement\" = []", &["key `sweep.policies.placement`", "empty"]),
        bad_sweep("sweep-bad-value", "\"policies.placement\" = [\"packing\", \"striping\", \"coolest\"]", "\"policies.placement\" = [\"packing\", \"nowhere\"]", &["[sweep]", "key `policies.placement`"]),
        case("sweep-grid-2-pow-64", &["validate", "{dir}/wide.toml"], &["key `sweep`", "18446744073709551616 runs", "limits.max_sweep_runs"]).file("wide.toml", wide_grid(64)),
        case("sweep-grid-10e6", &["sweep", "{dir}/wide.toml", "--out", "{dir}/out"], &["key `sweep`", "1048576 runs", "limits.max_sweep_runs"]).file("wide.toml", wide_grid(20)),
        case("sweep-jobs-zero", &["sweep", "{dir}/s.toml", "--jobs", "0"], &["--jobs"]).file("s.toml", SCENARIO.to_string()),
        case("sweep-bad-shard", &["sweep", "{dir}/s.toml", "--shard", "3/2"], &["--shard"]).file("s.toml", SCENARIO.to_string()),
        case("sweep-merge-expect-zero", &["sweep", "merge", "{dir}", "--expect", "0"], &["--expect"]),
        case("sweep-slurm-shards-zero", &["sweep", "slurm", "{dir}/s.toml", "--shards", "0"], &["--shards"]).file("s.toml", SCENARIO.to_string()),
        case("sweep-without-grid", &["sweep", "{dir}/s.toml", "--out", "{dir}/out"], &["s.toml", "no [sweep] table"]).file("s.toml", SCENARIO.to_string()),
        // Federation files.
        bad_federation("federation-interval-1e-9", "interval_s = 300", "interval_s = 1e-9", &["key `interval_s`", "one millisecond"]),
        bad_federation("federation-duration-1e12", "duration_s = 14400", "duration_s = 1e12", &["key `duration_s`"]),
        bad_federation("federation-steps-bomb", "interval_s = 300", "interval_s = 0.001\n[limits]\nmax_steps = 1000000", &["key `duration_s`", "limits.max_steps"]),
        bad_federation("federation-demand-bomb", "count = 12", "count = 1000000000000", &["key `demand`", "limits.max_vms"]),
        bad_federation("federation-unknown-site-in-link", "a = \"tiny\"\nb = \"hourly\"\nlatency_ms", "a = \"tiny\"\nb = \"moon\"\nlatency_ms", &["links.0.b", "moon"]),
        bad_federation("federation-missing-site-file", "scenario = \"sites/tiny.toml\"", "scenario = \"sites/huge.toml\"", &["key `sites.0.scenario`", "huge.toml"]),
        bad_federation("federation-bandwidth-nan", "bandwidth_mbps = 1000", "bandwidth_mbps = nan", &["links.0.bandwidth_mbps", "finite"]),
        bad_federation("federation-unknown-architecture", "kind = \"bursting\"", "kind = \"anarchy\"", &["architecture"]),
        bad_federation("federation-bad-coupling", "coupling = \"loose\"", "coupling = \"sticky\"", &["relations.0"]),
        case("federation-bad-site-scenario", &["federate", "{dir}/fed.toml"], &["sites/tiny.toml", "key `hosts.0.cores`"])
            .file("fed.toml", shipped("scenarios/federation/billing-period.toml"))
            .file("sites/tiny.toml", shipped("scenarios/federation/sites/tiny.toml").replace("cores = 4", "cores = 0")),
        case("federation-multitier-twins", &["validate", "{dir}/fed.toml"], &["key `architecture.children.1`", "twice"])
            .file("fed.toml", shipped("scenarios/federation/multitier.toml").replace("children = [\"campus\", \"partner\"]", "children = [\"campus\", \"campus\"]"))
            .file("sites/campus.toml", shipped("scenarios/federation/sites/campus.toml"))
            .file("sites/partner.toml", shipped("scenarios/federation/sites/partner.toml"))
            .file("sites/remote.toml", shipped("scenarios/federation/sites/remote.toml")),
        case("federation-set-typo", &["federate", "{dir}/fed.toml", "--set", "architecture.treshold=0.5"], &["--set", "key `architecture.treshold`"])
            .file("fed.toml", shipped("scenarios/federation/billing-period.toml"))
            .file("sites/tiny.toml", shipped("scenarios/federation/sites/tiny.toml")),
        // Live configs and flags.
        bad_live("live-interval-1e300", "interval_s = 60", "interval_s = 1e300", &["key `interval_s`", "31 years"]),
        bad_live("live-uri-empty", "uri = \"test://{config_dir}/host1.xml\"", "uri = \"\"", &["key `hosts.1.uri`", "empty"]),
        bad_live("live-uri-not-a-uri", "uri = \"test://{config_dir}/host1.xml\"", "uri = \"host one\"", &["key `hosts.1.uri`", "not a URI"]),
        bad_live("live-uri-missing-file", "uri = \"test://{config_dir}/host1.xml\"", "uri = \"test://{config_dir}/host9.xml\"", &["key `hosts.1.uri`", "does not exist"]),
        bad_live("live-retry-zero", "max_migrations = 2", "max_migrations = 2\n[retry]\nattempts = 0", &["key `retry.attempts`"]),
        bad_live("live-unknown-key", "max_migrations = 2", "max_migrations = 2\nmax_moves = 3", &["key `limits.max_moves`"]),
        bad_live("live-duplicate-host", "name = \"host-1\"", "name = \"host-0\"", &["key `hosts.1.name`", "twice"]),
        bad_live("live-bad-domain-type", "domain_type = \"test\"", "domain_type = \"k v m\"", &["key `templates.0.domain_type`"]),
        case("live-interval-negative", &["live", "--config", "{dir}/live.toml", "--interval=-1"], &["--interval"])
            .file("live.toml", live_with("interval_s = 60", "interval_s = 60")).setup(live_nodes),
        case("live-interval-nan", &["live", "--config", "{dir}/live.toml", "--interval", "nan"], &["--interval"])
            .file("live.toml", live_with("interval_s = 60", "interval_s = 60")).setup(live_nodes),
        case("live-config-missing", &["live", "--config", "{dir}/nope.toml", "--once"], &["nope.toml"]),
        // Bench suites and baselines.
        bad_bench("bench-unknown-metric", "[metrics.mean_active_hosts]", "[metrics.mean_hosts]", &["key `metrics.mean_hosts`", "not a run metric"]),
        bad_bench("bench-duplicate-name", "name = \"striping+workload-balance\"", "name = \"packing+consolidation\"", &["key `scenario.1.name`", "twice"]),
        bad_bench("bench-missing-scenario", "file = \"policies.toml\"", "file = \"gone.toml\"", &["gone.toml"]),
        case("bench-baseline-malformed", &["bench", "{dir}/suite.toml", "--baseline", "{dir}/baseline.json"], &["baseline.json", "line 1"])
            .file("suite.toml", bench_with("name = \"policies\"", "name = \"policies\""))
            .file("policies.toml", shipped("scenarios/sweeps/policies.toml").replace("duration_s = 43200", "duration_s = 3600"))
            .file("baseline.json", "{\"suite\": ".into()),
        // Result directories.
        case("report-missing-dir", &["report", "{dir}/nope"], &["nope", "no such directory"]),
        case("report-on-a-file", &["report", "{dir}/s.toml"], &["s.toml"]).file("s.toml", SCENARIO.to_string()),
        case("report-incomplete-run", &["report", "{dir}/run"], &["run", "incomplete"]).file("run/summary.json", "{}".into()),
        case("compare-bad-scenario", &["compare", "{dir}/s.toml"], &["s.toml", "key `duration_s`"]).file("s.toml", scenario_with("duration_s = 7200", "duration_s = -1")),
        case("run-out-is-a-file", &["run", "{dir}/s.toml", "--out", "{dir}/s.toml"], &["s.toml", "not a directory"]).file("s.toml", SCENARIO.to_string()),
        case("validate-unknown-kind-key", &["validate", "{dir}/x.toml"], &["x.toml"]).file("x.toml", "journal = 5\n".into()),
    ];
    v.retain(|c| !c.expect.is_empty());
    v
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

fn link(path: &Path, to: &str) {
    std::os::unix::fs::symlink(to, path).unwrap();
}

/// Runs `args` under a 4 GiB address-space and 60 s CPU cap, killing it after 90 s of wall
/// time; returns (exit code, stderr, seconds).
fn run_capped(args: &[String]) -> (Option<i32>, String, f64) {
    let started = Instant::now();
    let mut child = Command::new("prlimit")
        .args(["--as=4294967296", "--cpu=60", "--"])
        .arg(env!("CARGO_BIN_EXE_orrery"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs the command");
    drop(child.stdin.take());
    let deadline = Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err, started.elapsed().as_secs_f64());
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (None, "killed after 90 s".into(), 90.0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_hostile_input_is_a_located_input_error_in_bounded_time_and_memory() {
    let cases = cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for (name, text) in &c.files {
            let path = dir.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
        }
        (c.setup)(dir);
        let d = dir.display().to_string();
        let args: Vec<String> = c.args.iter().map(|a| a.replace("{dir}", &d)).collect();
        let (code, err, secs) = run_capped(&args);
        let mut wrong = Vec::new();
        if code != Some(2) {
            wrong.push(format!("exit {code:?}"));
        }
        if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
            wrong.push("panic".into());
        }
        if !err.starts_with("error: ") {
            wrong.push("no `error:` paragraph".into());
        }
        let clap = err.contains("For more information, try '--help'");
        if !clap && err.trim_end().lines().count() != 1 {
            wrong.push("not one paragraph".into());
        }
        if !clap && !has_hint(&err) {
            wrong.push("no hint".into());
        }
        // Without live mode, a live config is refused as such before its content is read.
        let expect =
            if !cfg!(feature = "live") && c.name.starts_with("live") && c.args[0] == "validate" {
                &["live.toml", "this orrery was built without live mode"][..]
            } else {
                &c.expect[..]
            };
        for e in expect {
            if !err.contains(e) {
                wrong.push(format!("lacks `{e}`"));
            }
        }
        if secs > 30.0 {
            wrong.push(format!("took {secs:.1} s"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n    {}",
                c.name,
                wrong.join(", "),
                err.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Whether a one-paragraph error says how to fix it: a second sentence after the message.
fn has_hint(err: &str) -> bool {
    let body = err.trim_end().trim_end_matches('.');
    // `FILE[, line L[, column C]][, key `K`]: message. hint` — the message and the hint are
    // separated by ". " after the location's colon.
    let after = body.split_once(": ").map_or(body, |(_, rest)| rest);
    after.contains(". ") || after.contains("; ")
}

#[test]
fn the_corpus_names_every_file_kind_and_command() {
    let cases = cases();
    let commands: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c.args[0].as_str()).collect();
    for cmd in [
        "run", "validate", "sweep", "federate", "live", "bench", "report", "compare",
    ] {
        assert!(commands.contains(cmd), "no case runs `{cmd}`");
    }
    let _ = PathBuf::new();
}
