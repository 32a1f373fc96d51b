//! The simulation twin of a live cluster: a scenario of the hosts and VMs live mode observed
//! (capacities, power models, templates, where each VM runs) and a trace of each VM's measured
//! utilisation, so that the simulator can predict what a plan will do before it runs.
//!
//! The trace's VMs arrive at t = 0 on the host they run on (trace attribute `orrery.host`);
//! each follows its observed utilisation samples, oldest first, repeated for as long as the
//! twin runs (a persistence forecast: the next hours look like the hours observed). Hosts that
//! are off stay off until a policy wakes them. What the twin leaves out is listed in
//! docs/live.md (foreign domains' CPU load, guests' boot, resizes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use orrery_engine::error::{InputError, RunError};
use orrery_engine::metrics::RunResult;
use orrery_engine::scenario::Scenario;
use orrery_live::calibrate::Calibration;
use orrery_live::config::{default_power, LiveConfig};
use orrery_live::journal::Planned;
use orrery_live::plan::{Observed, Step};
use orrery_traces::{TraceWriter, VmRecord};

/// The scenario file of a snapshot directory.
pub const SCENARIO: &str = "scenario.toml";
/// The trace file of a snapshot directory.
pub const TRACE: &str = "trace.parquet";

/// Where each VM runs and which hosts are on: as observed, or after a plan's steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Host of each VM by name (`None`: pending or stopped).
    pub vm_host: BTreeMap<String, Option<String>>,
    /// Whether each host (by name) is on.
    pub host_on: BTreeMap<String, bool>,
    /// VMs with no demand (suspended).
    pub idle: Vec<String>,
    /// VMs that do not run (stopped, failed, or shut down by a plan).
    pub gone: Vec<String>,
}

impl Layout {
    /// The cluster as observed.
    pub fn observed(obs: &Observed) -> Layout {
        Layout {
            vm_host: obs
                .vms
                .iter()
                .map(|v| (v.name.clone(), v.host.clone()))
                .collect(),
            // A host in maintenance still runs what it runs; one that did not answer is left
            // out (its size and VMs are unknown).
            host_on: obs
                .hosts
                .iter()
                .map(|h| (h.name.clone(), h.power == "on" || h.power == "maintenance"))
                .collect(),
            idle: obs
                .vms
                .iter()
                .filter(|v| v.state == "suspended")
                .map(|v| v.name.clone())
                .collect(),
            gone: obs
                .vms
                .iter()
                .filter(|v| !["running", "pending", "suspended"].contains(&v.state.as_str()))
                .map(|v| v.name.clone())
                .collect(),
        }
    }

    /// The layout once `steps` are carried out (a resize keeps the VM's template size: the
    /// twin does not model it).
    pub fn after(mut self, steps: &[Step]) -> Layout {
        for s in steps {
            match &s.action {
                Planned::Deploy { vm, host, .. } => {
                    self.vm_host.insert(vm.clone(), Some(host.clone()));
                }
                Planned::Migrate { vm, to, .. } => {
                    self.vm_host.insert(vm.clone(), Some(to.clone()));
                }
                Planned::Shutdown { vm, .. } => self.gone.push(vm.clone()),
                Planned::Suspend { vm, .. } => self.idle.push(vm.clone()),
                Planned::Resume { vm, .. } => self.idle.retain(|x| x != vm),
                Planned::PowerOn { host } => {
                    self.host_on.insert(host.clone(), true);
                }
                Planned::PowerOff { host, .. } => {
                    self.host_on.insert(host.clone(), false);
                }
                Planned::Resize { .. } => {}
            }
        }
        self
    }
}

/// The most utilisation samples a twin's trace holds over all its VMs.
const MAX_SAMPLES: f64 = 2e6;

/// Seconds between a twin's samples and updates: the observations', at least 1 s.
fn step_s(obs: &Observed) -> f64 {
    obs.sample_interval_s.max(1.0)
}

/// The simulated name of host `h` named `name` (a scenario names hosts `<type>-<id>`, and
/// each real host is a type of its own).
fn sim_host(name: &str, h: usize) -> String {
    format!("{name}-{h}")
}

fn toml_value<T: serde::Serialize>(v: &T) -> toml::Value {
    toml::Value::try_from(v).expect("plain data serialises to TOML")
}

/// The `[migration]` table of a calibrated twin: pre-copy with the fitted parameters.
fn migration_table(c: &Calibration) -> toml::Table {
    let mut m = toml::Table::new();
    m.insert("model".into(), "pre-copy".into());
    m.insert("bandwidth_fraction".into(), c.bandwidth_fraction.into());
    m.insert("stop_threshold_mb".into(), c.stop_threshold_mb.into());
    m.insert(
        "max_rounds".into(),
        toml::Value::Integer(c.max_rounds as i64),
    );
    m.insert("resume_overhead_s".into(), 0.0.into());
    m
}

/// Scenario `text` with calibration `c`: its `[migration]` table, and each VM type's fitted
/// dirty rate (for `orrery live calibrate --snapshot`).
pub fn calibrated(text: &str, c: &Calibration) -> Result<String, String> {
    let mut doc: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    doc.insert("migration".into(), migration_table(c).into());
    if let Some(toml::Value::Array(types)) = doc.get_mut("vm_types") {
        for t in types.iter_mut().filter_map(toml::Value::as_table_mut) {
            let name = t
                .get("name")
                .and_then(toml::Value::as_str)
                .unwrap_or_default();
            if let Some(&d) = c.dirty_rate_mbs.get(name) {
                t.insert("dirty_rate_mbs".into(), d.into());
            }
        }
    }
    toml::to_string(&doc).map_err(|e| e.to_string())
}

/// The twin scenario's text: `config`'s hosts as `obs` saw them, its templates as VM types,
/// its policies, `duration_s` long, VMs from `trace` laid out as `layout` says, with the
/// migration model `calibration` fitted (`None`: the simulator's default).
fn scenario_text(
    config: &LiveConfig,
    obs: &Observed,
    layout: &Layout,
    duration_s: f64,
    calibration: Option<&Calibration>,
) -> Result<String, InputError> {
    let mut doc = toml::Table::new();
    doc.insert("name".into(), format!("twin of {}", config.name).into());
    doc.insert(
        "description".into(),
        format!(
            "the simulation twin of live config {}: {} hosts and {} VMs as observed",
            config.name,
            obs.hosts.len(),
            obs.vms.len()
        )
        .into(),
    );
    doc.insert("seed".into(), toml::Value::Integer(config.spec.seed as i64));
    doc.insert("duration_s".into(), duration_s.into());
    let mut dc = toml::Table::new();
    dc.insert("cpu_overcommit".into(), config.spec.cpu_overcommit.into());
    dc.insert(
        "memory_overcommit".into(),
        config.spec.memory_overcommit.into(),
    );
    // The twin samples and decides as often as the loop observes.
    dc.insert(
        "update_interval_s".into(),
        step_s(obs).min(duration_s).into(),
    );
    dc.insert(
        "history_len".into(),
        toml::Value::Integer(config.spec.history_len as i64),
    );
    doc.insert("datacenter".into(), dc.into());
    if let Some(c) = calibration {
        doc.insert("migration".into(), migration_table(c).into());
    }
    let mut hosts = Vec::new();
    for (observed, section) in obs.hosts.iter().zip(&config.spec.hosts) {
        let mut t = toml::Table::new();
        t.insert("type".into(), observed.name.clone().into());
        t.insert("count".into(), toml::Value::Integer(1));
        t.insert(
            "cores".into(),
            toml::Value::Integer(observed.cpus.max(1) as i64),
        );
        t.insert("core_mips".into(), observed.core_mips.max(1.0).into());
        t.insert("memory_mb".into(), observed.memory_mb.max(1.0).into());
        t.insert("nic_mbps".into(), section.nic_mbps.into());
        let power = section.power.clone().unwrap_or_else(default_power);
        t.insert("power".into(), toml_value(&power));
        t.insert(
            "initially_on".into(),
            layout
                .host_on
                .get(&observed.name)
                .copied()
                .unwrap_or(true)
                .into(),
        );
        for (key, value) in [
            ("site", &section.site),
            ("cluster", &section.cluster),
            ("rack", &section.rack),
            ("zone", &section.zone),
        ] {
            if !value.is_empty() {
                t.insert(key.into(), value.clone().into());
            }
        }
        if !section.attributes.is_empty() {
            t.insert("attributes".into(), toml_value(&section.attributes));
        }
        hosts.push(toml::Value::Table(t));
    }
    doc.insert("hosts".into(), toml::Value::Array(hosts));
    let mut types = Vec::new();
    for t in &config.spec.templates {
        let mut v = toml::Table::new();
        v.insert("name".into(), t.name.clone().into());
        v.insert("vcpus".into(), toml::Value::Integer(t.vcpus as i64));
        v.insert(
            "max_vcpus".into(),
            toml::Value::Integer(t.max_vcpus.unwrap_or(t.vcpus) as i64),
        );
        v.insert("mips".into(), t.mips.into());
        v.insert("memory_mb".into(), t.memory_mb.into());
        v.insert(
            "max_memory_mb".into(),
            t.max_memory_mb.unwrap_or(t.memory_mb).into(),
        );
        if let Some(r) = &t.requirements {
            v.insert("requirements".into(), r.clone().into());
        }
        if let Some(&d) = calibration.and_then(|c| c.dirty_rate_mbs.get(&t.name)) {
            v.insert("dirty_rate_mbs".into(), d.into());
        }
        types.push(toml::Value::Table(v));
    }
    doc.insert("vm_types".into(), toml::Value::Array(types));
    let mut workload = toml::Table::new();
    workload.insert("trace".into(), TRACE.into());
    // VM i of the trace gets type i: each VM its own template.
    let vm_types: Vec<toml::Value> = obs
        .vms
        .iter()
        .map(|v| toml::Value::String(v.template.clone()))
        .collect();
    workload.insert("trace_vm_types".into(), toml::Value::Array(vm_types));
    workload.insert("vm_type_assignment".into(), "round-robin".into());
    workload.insert("vm_boot_s".into(), 0.0.into());
    doc.insert("workload".into(), workload.into());
    doc.insert("policies".into(), policies(config)?.into());
    toml::to_string(&doc).map_err(|e| InputError::file(config.source.path(), e.to_string()))
}

/// The config's `[policies]` table as written.
fn policies(config: &LiveConfig) -> Result<toml::Table, InputError> {
    let table: toml::Table = toml::from_str(config.source.text())
        .map_err(|e| InputError::file(config.source.path(), e.to_string()))?;
    match table.get("policies") {
        Some(toml::Value::Table(p)) => Ok(p.clone()),
        _ => Err(InputError::file(
            config.source.path(),
            "has no [policies] table",
        )),
    }
}

/// Each VM's trace record: its template's size, starting on its host in `layout` (a pending
/// VM, on none: the twin's placement policy places it), following its observed utilisation
/// (oldest first, one sample per `obs.sample_interval_s`) repeated over `duration_s`. VMs that
/// do not run are left out.
fn records(config: &LiveConfig, obs: &Observed, layout: &Layout, duration_s: f64) -> Vec<VmRecord> {
    let host_index: BTreeMap<&str, usize> = obs
        .hosts
        .iter()
        .enumerate()
        .map(|(h, x)| (x.name.as_str(), h))
        .collect();
    let step_ms = (step_s(obs) * 1000.0) as i64;
    let end_ms = (duration_s * 1000.0) as i64;
    let mut out = Vec::new();
    for vm in &obs.vms {
        if layout.gone.contains(&vm.name) {
            continue;
        }
        let host = layout.vm_host.get(&vm.name).cloned().flatten();
        let Some(t) = config.template_index(&vm.template) else {
            continue;
        };
        let t = &config.spec.templates[t];
        let mut series: Vec<f64> = if vm.history.is_empty() {
            vec![vm.utilisation]
        } else {
            vm.history.iter().rev().copied().collect()
        };
        if layout.idle.contains(&vm.name) {
            series = vec![0.0];
        }
        let (mut sample_ms, mut cpu_util) = (Vec::new(), Vec::new());
        let mut at = 0;
        'fill: loop {
            for &u in &series {
                if at >= end_ms.max(1) {
                    break 'fill;
                }
                sample_ms.push(at);
                cpu_util.push(u.clamp(0.0, 1.0));
                at += step_ms;
            }
        }
        let mut attributes = BTreeMap::new();
        if let Some((name, &h)) = host.as_deref().and_then(|n| host_index.get_key_value(n)) {
            attributes.insert(orrery_sim::START_HOST.to_string(), sim_host(name, h));
        }
        out.push(VmRecord {
            id: vm.name.clone(),
            arrival_ms: 0,
            departure_ms: None,
            vcpus: t.vcpus,
            cpu_mips: t.mips,
            memory_mb: t.memory_mb,
            attributes,
            sample_ms,
            cpu_util,
            ..VmRecord::default()
        });
    }
    out
}

/// Writes the twin of `config` as `obs` saw it (laid out as `layout` says) to `dir`: the
/// scenario (`scenario.toml`) and the trace (`trace.parquet`), `hours` long; returns the
/// scenario's path.
pub fn write(
    config: &LiveConfig,
    obs: &Observed,
    layout: &Layout,
    hours: f64,
    calibration: Option<&Calibration>,
    dir: &Path,
) -> Result<PathBuf, InputError> {
    let duration_s = hours * 3600.0;
    let samples = (duration_s / step_s(obs)).ceil() * obs.vms.len().max(1) as f64;
    if samples > MAX_SAMPLES {
        return Err(InputError::file(
            dir,
            format!(
                "a twin of {} VMs over {hours} h, sampled every {} s, would hold {samples:.0} \
                 samples, more than {MAX_SAMPLES:.0}",
                obs.vms.len(),
                step_s(obs)
            ),
        )
        .hint("fewer hours (--hours, --what-if) or samples further apart (--every, interval_s)"));
    }
    // A trace's rows are in order of arrival, ties by id: every VM arrives at 0, so by name.
    let mut vms = records(config, obs, layout, duration_s);
    vms.sort_by(|a, b| a.id.cmp(&b.id));
    // The trace lists only the VMs that run; the scenario's types follow the same order.
    let placed: Vec<&str> = vms.iter().map(|r| r.id.as_str()).collect();
    let mut kept = obs.clone();
    kept.vms.retain(|v| placed.contains(&v.name.as_str()));
    kept.vms.sort_by(|a, b| a.name.cmp(&b.name));
    let text = scenario_text(config, &kept, layout, duration_s, calibration)?;
    std::fs::create_dir_all(dir).map_err(|e| InputError::file(dir, e.to_string()))?;
    let mut w = TraceWriter::new(&dir.join(TRACE), "orrery live snapshot");
    for r in vms {
        w.push(r)
            .map_err(|e| InputError::file(dir.join(TRACE), e))?;
    }
    w.finish()?;
    let path = dir.join(SCENARIO);
    let header = format!(
        "# The simulation twin of live config `{}` ({}), written by `orrery live \
         snapshot`.\n# {} hosts and {} VMs as observed; {TRACE} holds each VM's measured \
         utilisation.\n",
        config.name,
        config.source.path().display(),
        kept.hosts.len(),
        kept.vms.len()
    );
    std::fs::write(&path, header + &text).map_err(|e| InputError::file(&path, e.to_string()))?;
    Ok(path)
}

/// What the twin predicts for one way forward.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// Which way: `as is`, `with the plan`, `plan, then <policy>`.
    pub case: String,
    /// Energy over the horizon, kWh.
    pub energy_kwh: f64,
    /// CPU demanded but not delivered, as a fraction of the demand.
    pub cpu_shortfall_ratio: f64,
    /// Migrations: the plan's, plus those the simulated policies start.
    pub migrations: u64,
    /// CPU demanded of the most loaded host over its capacity, at its peak.
    pub peak_host_load: f64,
    /// Hosts drawing power at the end of the horizon.
    pub active_hosts: u64,
}

/// Runs the twin scenario at `path` (with `sets`) and summarises it as `case`, counting
/// `planned` migrations before it.
fn predict(
    path: &Path,
    sets: &[String],
    case: String,
    planned: u64,
) -> Result<Prediction, RunError> {
    let scenario = Scenario::load(path, sets)?;
    let r: RunResult = crate::runs::run(&scenario, None)?;
    Ok(Prediction {
        case,
        energy_kwh: r.summary.energy_kwh,
        cpu_shortfall_ratio: r.summary.cpu_shortfall_ratio,
        migrations: planned + r.summary.vm_migrations,
        peak_host_load: r
            .intervals
            .iter()
            .map(|i| i.cpu_load_max)
            .fold(0.0, f64::max),
        active_hosts: r.intervals.last().map_or(0, |i| i.active_hosts),
    })
}

/// The twin's what-if over `hours` from the cluster `obs` observed: as it is (no
/// reallocation), with `steps` carried out (no reallocation after), and with them followed by
/// the config's reallocation policy when it has one. `dir` receives the twins' files.
pub fn what_if(
    config: &LiveConfig,
    obs: &Observed,
    steps: &[Step],
    hours: f64,
    calibration: Option<&Calibration>,
    dir: &Path,
) -> Result<Vec<Prediction>, RunError> {
    let now = Layout::observed(obs);
    let planned = now.clone().after(steps);
    let moves = steps
        .iter()
        .filter(|s| matches!(s.action, Planned::Migrate { .. }))
        .count() as u64;
    let still = ["policies.reallocation=none".to_string()];
    let as_is = write(config, obs, &now, hours, calibration, &dir.join("as-is"))?;
    let with = write(
        config,
        obs,
        &planned,
        hours,
        calibration,
        &dir.join("with-plan"),
    )?;
    let mut out = vec![
        predict(&as_is, &still, "as is".into(), 0)?,
        predict(&with, &still, "with the plan".into(), moves)?,
    ];
    let policy = &config.spec.policies.reallocation;
    if policy != "none" {
        out.push(predict(&with, &[], format!("plan, then {policy}"), moves)?);
    }
    Ok(out)
}

/// Each migration of `steps` through the calibrated pre-copy model: one line each, with its
/// predicted duration and downtime (none without a calibration).
pub fn migration_lines(config: &LiveConfig, steps: &[Step], c: Option<&Calibration>) -> String {
    let Some(c) = c else {
        return "  (migrations not predicted: no calibration; `orrery live calibrate` fits the \
                model to the real migrations journaled)\n"
            .into();
    };
    let mut s = String::new();
    for step in steps {
        let Planned::Migrate { vm, from, to } = &step.action else {
            continue;
        };
        let template = config
            .spec
            .vms
            .iter()
            .find(|v| &v.name == vm)
            .and_then(|v| config.template_index(&v.template))
            .map(|t| &config.spec.templates[t]);
        let Some(t) = template else {
            continue;
        };
        let nic = config
            .spec
            .hosts
            .iter()
            .find(|h| &h.name == to)
            .map_or(1000.0, |h| h.nic_mbps);
        let memory = t.memory_mb * 1.048_576;
        let p = orrery_engine::model::precopy::plan(
            c.sent_mb(&t.name, memory),
            c.bandwidth_fraction * nic / 8.0,
            &c.params(&t.name),
        );
        s += &format!(
            "  migrate {vm} from {from} to {to}: {memory:.0} MB, predicted {:.1} s, downtime \
             {:.0} ms, {:.0} MB sent in {} rounds\n",
            p.duration_s,
            p.downtime_s * 1000.0,
            p.data_mb,
            p.rounds.len()
        );
    }
    s
}

/// The predictions as a table, one line each.
pub fn render(hours: f64, predictions: &[Prediction]) -> String {
    let mut s = format!(
        "what-if over {hours} h (the twin: the cluster as observed, each VM's measured \
         utilisation repeated):\n  {:<28} {:>10} {:>10} {:>10} {:>10} {:>12}\n",
        "case", "energy kWh", "shortfall", "migrations", "peak load", "active hosts"
    );
    for p in predictions {
        s += &format!(
            "  {:<28} {:>10.5} {:>9.2}% {:>10} {:>9.0}% {:>12}\n",
            p.case,
            p.energy_kwh,
            p.cpu_shortfall_ratio * 100.0,
            p.migrations,
            p.peak_host_load * 100.0,
            p.active_hosts
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_live::plan::{ObservedHost, ObservedVm};

    /// Two hosts of 4 × 1000 MIPS (100 W idle, 200 W at full load), VM a on h0 and b on h1,
    /// each 1 vCPU of 1000 MIPS at 50 %; the plan moves a to h1 and powers h0 off.
    fn cluster(dir: &Path) -> (LiveConfig, Observed, Vec<Step>) {
        let mut text = String::from(
            "journal = \"j\"\ninterval_s = 300\n\
             [[templates]]\nname = \"t\"\nvcpus = 1\nmips = 1000\nmemory_mb = 1024\n",
        );
        for h in ["h0", "h1"] {
            text += &format!(
                "[[hosts]]\nname = \"{h}\"\nuri = \"test:///default\"\ncore_mips = 1000\n\
                 power = {{ model = \"linear\", idle_w = 100.0, max_w = 200.0 }}\n"
            );
        }
        text += "[policies]\nplacement = \"first-fit\"\nreallocation = \"consolidation\"\n\
                 reallocation_interval_s = 300\n";
        let file = dir.join("c.toml");
        std::fs::write(&file, &text).unwrap();
        let config = LiveConfig::load(&file, &[]).unwrap();
        let host = |name: &str, vm: &str| ObservedHost {
            name: name.into(),
            power: "on".into(),
            cpus: 4,
            core_mips: 1000.0,
            memory_mb: 16384.0,
            reserved_memory_mb: 1024.0,
            cpu_utilisation: 0.125,
            vms: vec![vm.into()],
        };
        let vm = |name: &str, host: &str| ObservedVm {
            name: name.into(),
            template: "t".into(),
            state: "running".into(),
            host: Some(host.into()),
            utilisation: 0.5,
            history: vec![0.5, 0.5],
        };
        let obs = Observed {
            hosts: vec![host("h0", "a"), host("h1", "b")],
            vms: vec![vm("a", "h0"), vm("b", "h1")],
            sample_interval_s: 300.0,
        };
        let step = |action| Step {
            decision: "reallocation".into(),
            reason: "test".into(),
            action,
        };
        let steps = vec![
            step(Planned::Migrate {
                vm: "a".into(),
                from: "h0".into(),
                to: "h1".into(),
            }),
            step(Planned::PowerOff {
                host: "h0".into(),
                node: None,
            }),
        ];
        (config, obs, steps)
    }

    #[test]
    fn the_what_if_predicts_a_consolidation_plan_in_closed_form() {
        let dir = tempfile::tempdir().unwrap();
        let (config, obs, steps) = cluster(dir.path());
        let p = what_if(&config, &obs, &steps, 1.0, None, dir.path()).unwrap();
        // As is: each host carries 500 of 4000 MIPS, 112.5 W, for an hour: 0.225 kWh.
        // With the plan: h1 carries 1000 of 4000 MIPS, 125 W; h0 is off: 0.125 kWh, one
        // host, its peak load 25 %, one migration (the plan's). Consolidation after it finds
        // nothing more to do.
        let row = |i: usize| {
            (
                p[i].case.as_str(),
                (p[i].energy_kwh * 1e6).round() / 1e6,
                p[i].migrations,
                p[i].peak_host_load,
                p[i].active_hosts,
            )
        };
        assert_eq!(row(0), ("as is", 0.225, 0, 0.125, 2));
        assert_eq!(row(1), ("with the plan", 0.125, 1, 0.25, 1));
        assert_eq!(row(2), ("plan, then consolidation", 0.125, 1, 0.25, 1));
        assert!(p.iter().all(|x| x.cpu_shortfall_ratio == 0.0));
        // The snapshot runs as a scenario of its own: a and b start where they run.
        let scenario = Scenario::load(&dir.path().join("as-is").join(SCENARIO), &[]).unwrap();
        let r = crate::runs::run(&scenario, None).unwrap();
        let deploys: Vec<(Option<usize>, Option<usize>)> = r
            .events
            .iter()
            .filter(|e| e.kind == "deploy")
            .map(|e| (e.vm, e.host))
            .collect();
        assert_eq!(deploys, [(Some(0), Some(0)), (Some(1), Some(1))]);
    }

    #[test]
    fn a_twin_too_long_for_its_sampling_is_a_located_error_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let (config, mut obs, steps) = cluster(dir.path());
        obs.sample_interval_s = 0.001;
        // A year at one sample a second (the least spacing) for two VMs: 63 million samples.
        let e = what_if(&config, &obs, &steps, 8760.0, None, &dir.path().join("t"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("63072000 samples, more than 2000000"), "{e}");
        assert!(!dir.path().join("t").exists());
    }

    #[test]
    fn a_calibration_sets_the_migration_model_and_dirty_rates() {
        let dir = tempfile::tempdir().unwrap();
        let (config, obs, _) = cluster(dir.path());
        let c = Calibration {
            migrations: 1,
            rate_mbs: 20.0,
            bandwidth_fraction: 0.16,
            stop_threshold_mb: 3.0,
            max_rounds: 9,
            dirty_rate_mbs: [("t".to_string(), 4.0)].into(),
            sent_fraction: Default::default(),
        };
        let path = write(
            &config,
            &obs,
            &Layout::observed(&obs),
            1.0,
            Some(&c),
            dir.path(),
        )
        .unwrap();
        let scenario = Scenario::load(&path, &[]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("model = \"pre-copy\""), "{text}");
        assert!(text.contains("dirty_rate_mbs = 4.0"), "{text}");
        assert_eq!(
            calibrated(&text, &c).unwrap(),
            calibrated(&calibrated(&text, &c).unwrap(), &c).unwrap()
        );
        drop(scenario);
    }
}
