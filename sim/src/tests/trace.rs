//! Replaying an orrery trace: VMs arrive and leave as recorded, their demand follows their
//! samples, and each VM size becomes a type unless the scenario assigns its own.

use std::path::Path;

use orrery_engine::scenario::Scenario;
use orrery_traces::{TraceWriter, VmRecord};

use super::{assert_close, events, kwh, run, scenario, LINEAR};

/// A VM of a test trace: id, arrival s, departure s, vCPUs, [(sample s, level)].
type TestVm<'a> = (&'a str, i64, Option<i64>, u32, &'a [(i64, f64)]);

/// A trace at `path` of `vms`, all of 1000 MIPS a vCPU and 1000 MB.
fn write_trace(path: &Path, vms: &[TestVm]) {
    let mut w = TraceWriter::new(path, "test");
    for (id, arrival, departure, vcpus, samples) in vms {
        w.push(VmRecord {
            id: (*id).into(),
            arrival_ms: arrival * 1000,
            departure_ms: departure.map(|d| d * 1000),
            vcpus: *vcpus,
            cpu_mips: 1000.0,
            memory_mb: 1000.0,
            sample_ms: samples.iter().map(|s| s.0 * 1000).collect(),
            cpu_util: samples.iter().map(|s| s.1).collect(),
            ..VmRecord::default()
        })
        .unwrap();
    }
    w.finish().unwrap();
}

fn trace_workload(path: &Path, extra: &str) -> String {
    format!("trace = \"{}\"\n{extra}", path.display())
}

#[test]
fn vms_arrive_and_leave_as_recorded_and_follow_their_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    // a: 1 vCPU from 600 s to 2400 s, 50 % then 100 % from 1500 s.
    // b: 2 vCPUs from 1200 s to the end, 25 %.
    write_trace(
        &path,
        &[
            ("a", 600, Some(2400), 1, &[(600, 0.5), (1500, 1.0)]),
            ("b", 1200, None, 2, &[(1200, 0.25)]),
        ],
    );
    // One host of 4 × 1000 MIPS, 100 → 200 W: P = 100 + 100 · busy / 4000.
    //   0– 600 s: idle                      100 W ×  600 =  60 000 J
    //  600–1200 s: a 500                    112.5 W × 600 =  67 500 J
    // 1200–1500 s: a 500 + b 500            125 W × 300 =  37 500 J
    // 1500–2400 s: a 1000 + b 500           137.5 W × 900 = 123 750 J
    // 2400–3600 s: b 500                    112.5 W × 1200 = 135 000 J
    // E = 423 750 J.
    let r = run(
        &scenario(4, LINEAR, "", &trace_workload(&path, ""), ""),
        None,
    );
    assert_close(r.summary.energy_kwh, kwh(423_750.0), 1e-12, "energy");
    assert_eq!(r.summary.vms_total, 2);
    let arrivals: Vec<(f64, Option<usize>)> = events(&r, "arrival")
        .iter()
        .map(|e| (e.time_s, e.vm))
        .collect();
    assert_eq!(arrivals, [(600.0, Some(0)), (1200.0, Some(1))]);
    let stopped = events(&r, "stopped");
    assert_eq!(stopped.len(), 1);
    assert_eq!((stopped[0].time_s, stopped[0].vm), (2400.0, Some(0)));
}

#[test]
fn each_vm_size_becomes_a_type_unless_the_scenario_assigns_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    write_trace(
        &path,
        &[
            ("a", 0, None, 1, &[(0, 0.5)]),
            ("b", 0, None, 2, &[(0, 0.5)]),
            ("c", 0, None, 1, &[(0, 0.5)]),
        ],
    );
    let text = scenario(4, LINEAR, "", &trace_workload(&path, ""), "");
    let s = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let sim = crate::Simulator::new(&s, None).unwrap();
    let types: Vec<&str> = sim.vm_type_specs.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(types, ["v", "trace-1x1000-1000mb", "trace-2x1000-1000mb"]);
    // Assigned: all of type v (1 vCPU at 1000 MIPS) whatever the trace says, so 3 × 500 MIPS
    // of 4000: P = 137.5 W for the hour, 495 000 J.
    let assigned = trace_workload(&path, "trace_vm_types = [\"v\"]");
    let r = run(&scenario(4, LINEAR, "", &assigned, ""), None);
    assert_close(r.summary.energy_kwh, kwh(495_000.0), 1e-12, "energy");
}

#[test]
fn a_broken_trace_is_refused_before_the_run_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    std::fs::write(&path, "not parquet").unwrap();
    let text = scenario(4, LINEAR, "", &trace_workload(&path, ""), "");
    let s = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let e = crate::Simulator::new(&s, None)
        .err()
        .expect("a broken trace")
        .to_string();
    assert!(e.contains("not a readable Parquet trace"), "{e}");
    let bad = format!(
        "trace = \"{}\"\ntrace_import = {{ format = \"nope\" }}",
        path.display()
    );
    let text = scenario(4, LINEAR, "", &bad, "");
    let s = Scenario::parse(&text, Path::new("t.toml"), Path::new("."), &[]).unwrap();
    let e = crate::Simulator::check_layout(&s).unwrap_err().to_string();
    assert!(e.contains("workload.trace_import.format"), "{e}");
    assert!(e.contains("unknown trace format `nope`"), "{e}");
}

#[test]
fn a_vm_naming_its_host_starts_there_without_the_placement_policy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut w = TraceWriter::new(&path, "test");
    // Two hosts of 4 × 1000 MIPS and 3000 MB: first-fit would put the first VMs on h-0.
    // a (1000 MB) and c (1500 MB) name h-1 and start there (2500 MB); b names nothing, d a
    // host the scenario does not have; e names h-1 but does not fit there (3500 > 3000 MB).
    // Those three are placed by the policy as any arrival: on h-0 (3000 MB).
    for (id, host, memory_mb) in [
        ("a", Some("h-1"), 1000.0),
        ("b", None, 1000.0),
        ("c", Some("h-1"), 1500.0),
        ("d", Some("elsewhere"), 1000.0),
        ("e", Some("h-1"), 1000.0),
    ] {
        w.push(VmRecord {
            id: id.into(),
            vcpus: 1,
            cpu_mips: 1000.0,
            memory_mb,
            sample_ms: vec![0],
            cpu_util: vec![0.1],
            attributes: host
                .map(|h| [(crate::START_HOST.to_string(), h.to_string())].into())
                .unwrap_or_default(),
            ..VmRecord::default()
        })
        .unwrap();
    }
    w.finish().unwrap();
    let text = format!(
        "name = \"t\"\nduration_s = 600\n\
         [[hosts]]\ntype = \"h\"\ncount = 2\ncores = 4\ncore_mips = 1000\nmemory_mb = 3000\n\
         power = {LINEAR}\n\
         [workload]\ntrace = \"{}\"\n[policies]\nplacement = \"first-fit\"\n",
        path.display()
    );
    let r = run(&text, None);
    let placed: Vec<(Option<usize>, Option<usize>)> = events(&r, "deploy")
        .iter()
        .map(|e| (e.vm, e.host))
        .collect();
    // a and c at their arrival; then the placement policy: b, d and e on h-0 (first fit).
    assert_eq!(
        placed,
        [
            (Some(0), Some(1)),
            (Some(2), Some(1)),
            (Some(1), Some(0)),
            (Some(3), Some(0)),
            (Some(4), Some(0)),
        ]
    );
}
