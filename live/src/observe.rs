//! Building the cluster view from what the hosts report: node resources, orrery's domains
//! (those carrying its metadata tag) as VMs, and CPU-time deltas turned into utilisation.
//! Domains without the tag are never VMs to orrery: their memory is withheld from their host's
//! capacity and their CPU use counts as the host's background load.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use orrery_engine::model::{HostType, Overcommit, PowerState, VmState, VmType};
use orrery_engine::view::{ClusterView, Compat, HostView, VmSize, VmView};

use super::clock::Clock;
use super::config::{default_power, LiveConfig};
use super::hypervisor::{Calls, DomState, DomainFacts, Hypervisor, NodeFacts};
use super::owner::Ownership;
use super::retry::with_backoff;

/// What observation carries from one round to the next.
pub struct Memory {
    /// Last CPU-time sample per VM name (`host/name` for unmanaged domains): nanoseconds,
    /// when, and the utilisation it gave.
    samples: BTreeMap<String, (u64, Duration, f64)>,
    /// Samples kept in each VM's history.
    history_len: usize,
    /// Utilisation history per VM name, newest first.
    history: BTreeMap<String, VecDeque<f64>>,
    /// Last node facts per host (kept for hosts that are off now).
    nodes: BTreeMap<usize, NodeFacts>,
}

impl Memory {
    /// Nothing observed yet; keep `history_len` samples per VM.
    pub fn new(history_len: usize) -> Self {
        Memory {
            samples: BTreeMap::new(),
            history_len,
            history: BTreeMap::new(),
            nodes: BTreeMap::new(),
        }
    }
}

impl Memory {
    /// What host `h`'s node reported last.
    pub fn node(&self, h: usize) -> Option<NodeFacts> {
        self.nodes.get(&h).copied()
    }

    /// Takes `facts` as what host `h`'s node reported last (a powered-off host's, from the
    /// journal).
    pub fn remember_node(&mut self, h: usize, facts: NodeFacts) {
        self.nodes.insert(h, facts);
    }
}

/// One round's observation.
pub struct Observation {
    /// The view policies decide on.
    pub view: ClusterView,
    /// Hosts that did not answer and that orrery did not power off: VMs may run there unseen.
    pub unreachable: Vec<String>,
    /// Free memory per host in MB, where the driver reports it (for the log; policies use
    /// orrery's own reservations).
    pub free_mb: Vec<Option<f64>>,
    /// Anomalies worth a line in the log (a VM defined on two hosts, an unknown template…).
    pub warnings: Vec<String>,
    /// This config's tagged domains seen with no UUID in the journal yet: VM name and UUID,
    /// to be journaled as adopted.
    pub adopted: Vec<(String, String)>,
}

/// Everything `observe` reads besides the hypervisor.
pub struct Context<'a> {
    /// The live config.
    pub config: &'a LiveConfig,
    /// Its templates as VM types.
    pub vm_types: &'a [VmType],
    /// Hosts orrery powered off (from the journal).
    pub powered_off: &'a BTreeSet<String>,
    /// VMs placement rejected (left alone until restart).
    pub rejected: &'a BTreeSet<String>,
    /// The UUID the journal recorded for each VM, by name.
    pub uuids: &'a BTreeMap<String, String>,
    /// Interval between rounds.
    pub interval: Duration,
}

/// A domain found on a host.
struct Found {
    host: usize,
    facts: DomainFacts,
    template: usize,
}

/// Observes every host at `now` and builds the view.
pub fn observe(
    hv: &mut dyn Hypervisor,
    cx: &Context<'_>,
    memory: &mut Memory,
    clock: &mut dyn Clock,
) -> Observation {
    let now = clock.now();
    let config = cx.config;
    let own = Ownership {
        owner: &config.name,
        uuids: cx.uuids,
    };
    let listed: BTreeSet<&str> = config.spec.vms.iter().map(|v| v.name.as_str()).collect();
    let mut adopted = Vec::new();
    let mut warnings = Vec::new();
    let mut unreachable = Vec::new();
    let mut host_types = Vec::new();
    let mut hosts = Vec::new();
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut background = Vec::new();
    let mut free_mb = Vec::new();
    for (h, hc) in config.spec.hosts.iter().enumerate() {
        let answer = with_backoff(&config.spec.retry, clock, || {
            hv.node(h).and_then(|n| Ok((n, hv.domains(h)?)))
        });
        let (node, power, domains) = match answer {
            Ok((n, d)) => {
                memory.nodes.insert(h, n);
                (Some(n), PowerState::On, d)
            }
            Err(e) => {
                let off = cx.powered_off.contains(&hc.name);
                if !off {
                    unreachable.push(hc.name.clone());
                    warnings.push(format!("host {} is unreachable: {e}", hc.name));
                }
                let power = if off {
                    PowerState::Off
                } else {
                    PowerState::Failed
                };
                (memory.nodes.get(&h).copied(), power, Vec::new())
            }
        };
        free_mb.push(if power == PowerState::On {
            node.and_then(|n| n.free_kib).map(|k| k as f64 / 1024.0)
        } else {
            None
        });
        let node = node.unwrap_or(NodeFacts {
            cpus: 0,
            mhz: 0,
            memory_kib: 0,
            free_kib: None,
        });
        let mut withheld_mb = 0.0;
        let mut busy_cpus = 0.0;
        for d in domains {
            let key = format!("{}/{}", hc.name, d.name);
            let foreign = own.why_foreign(&d);
            let template = d.template.as_deref().map(|t| (t, config.template_index(t)));
            match (foreign, template) {
                (Some(why), _) => {
                    // Another owner's VMs are their business; a collision with one of ours
                    // is worth saying.
                    if listed.contains(d.name.as_str())
                        || cx.uuids.contains_key(&d.name)
                        || (d.template.is_some() && d.owner.is_none())
                    {
                        warnings.push(format!(
                            "domain {} on {} is not this config's ({why}): left alone",
                            d.name, hc.name
                        ));
                    }
                    withhold(memory, &key, &d, now, &mut withheld_mb, &mut busy_cpus);
                }
                (None, Some((_, Some(t)))) => {
                    if !cx.uuids.contains_key(&d.name)
                        && !adopted.iter().any(|(n, _): &(String, String)| n == &d.name)
                    {
                        adopted.push((d.name.clone(), d.uuid.clone()));
                    }
                    if let Some(other) = found.get(&d.name) {
                        warnings.push(format!(
                            "VM {} is defined on {} and on {}",
                            d.name, config.spec.hosts[other.host].name, hc.name
                        ));
                        // The running copy is the VM; a defined-only copy is left to
                        // reconciliation.
                        if other.facts.state.is_active() || !d.state.is_active() {
                            continue;
                        }
                    }
                    found.insert(
                        d.name.clone(),
                        Found {
                            host: h,
                            facts: d,
                            template: t,
                        },
                    );
                }
                (None, tagged) => {
                    if let Some((t, None)) = tagged {
                        warnings.push(format!(
                            "domain {} on {} names unknown template `{t}`: left alone",
                            d.name, hc.name
                        ));
                    }
                    withhold(memory, &key, &d, now, &mut withheld_mb, &mut busy_cpus);
                }
            }
        }
        let core_mips = hc.core_mips.unwrap_or(node.mhz as f64);
        host_types.push(HostType {
            nic_mbps: hc.nic_mbps,
            attributes: hc.attributes.clone(),
            ..HostType::new(
                hc.name.clone(),
                node.cpus,
                core_mips,
                (node.memory_kib as f64 / 1024.0 - withheld_mb).max(0.0),
                hc.power.clone().unwrap_or_else(default_power),
            )
        });
        background.push(busy_cpus * core_mips);
        hosts.push(HostView {
            site: if hc.site.is_empty() {
                "local".into()
            } else {
                hc.site.clone()
            },
            cluster: hc.cluster.clone(),
            rack: hc.rack.clone(),
            zone: hc.zone.clone(),
            ..HostView::new(hc.name.clone(), h, power)
        });
    }

    // VMs: the config's first (in its order), then other tagged domains by host and name.
    let mut names: Vec<(String, usize)> = config
        .spec
        .vms
        .iter()
        .map(|v| {
            (
                v.name.clone(),
                config.template_index(&v.template).expect("validated"),
            )
        })
        .collect();
    let mut extra: Vec<(usize, &String)> = found
        .iter()
        .filter(|(n, _)| !listed.contains(n.as_str()))
        .map(|(n, f)| (f.host, n))
        .collect();
    extra.sort();
    names.extend(
        extra
            .into_iter()
            .map(|(_, n)| (n.clone(), found[n].template)),
    );

    let mut vms = Vec::with_capacity(names.len());
    for (name, template) in names {
        let mut vm = VmView::new(name.clone(), template, 0);
        match found.get(&name) {
            None => {
                vm.state = if cx.rejected.contains(&name) {
                    VmState::Failed
                } else {
                    VmState::Pending
                };
            }
            Some(f) => {
                let t = &cx.vm_types[f.template];
                vm.vm_type = f.template;
                vm.host = Some(f.host);
                vm.state = match f.facts.state {
                    DomState::Running => VmState::Running,
                    DomState::Paused => VmState::Suspended,
                    DomState::ShutOff | DomState::Other => VmState::Stopped,
                };
                let size = VmSize {
                    vcpus: f.facts.vcpus,
                    memory_mb: f.facts.memory_kib as f64 / 1024.0,
                };
                vm.resized =
                    (size.vcpus != t.vcpus || size.memory_mb != t.memory_mb).then_some(size);
                // By name: a VM keeps its history when it moves.
                let (u, fresh) = utilisation(memory, &name, &f.facts, now);
                let history = memory.history.entry(name.clone()).or_default();
                if fresh {
                    history.push_front(u);
                    history.truncate(memory.history_len);
                }
                if vm.state == VmState::Running {
                    vm.demand = u;
                }
                vm.history = history.clone();
            }
        }
        vms.push(vm);
    }

    let mut view = ClusterView {
        now: now.as_millis() as u64,
        overcommit: Overcommit {
            cpu: config.spec.cpu_overcommit,
            memory: config.spec.memory_overcommit,
        },
        update_interval: cx.interval.as_millis() as u64,
        hosts,
        vms,
        ..ClusterView::new(Compat::None, host_types, cx.vm_types.to_vec())
    };
    view.attach_placed_vms();
    for (host, b) in view.hosts.iter_mut().zip(background) {
        host.busy_mips += b;
        host.requested_mips += b;
    }
    Observation {
        view,
        unreachable,
        free_mb,
        warnings,
        adopted,
    }
}

/// A domain that is not one of this config's VMs: while it runs, its memory is withheld from
/// its host and its CPU use is the host's background load.
fn withhold(
    memory: &mut Memory,
    key: &str,
    d: &DomainFacts,
    now: Duration,
    withheld_mb: &mut f64,
    busy_cpus: &mut f64,
) {
    if d.state.is_active() {
        *withheld_mb += d.memory_kib as f64 / 1024.0;
        *busy_cpus += utilisation(memory, key, d, now).0 * d.vcpus as f64;
    }
}

/// Utilisation of domain `key` since its last sample: CPU-time delta / (elapsed × vCPUs), in
/// [0, 1], and whether it is a new sample. A first sample gives 0; no time elapsed, or a
/// counter that restarted (the domain was restarted or moved cold), gives the previous value.
fn utilisation(memory: &mut Memory, key: &str, d: &DomainFacts, now: Duration) -> (f64, bool) {
    let previous = memory.samples.get(key).copied();
    let (u, fresh) = match previous {
        Some((cpu, at, u)) if now == at || d.cpu_time_ns < cpu => {
            memory
                .samples
                .insert(key.to_string(), (d.cpu_time_ns, now, u));
            return (u, false);
        }
        Some((cpu, at, _)) if now > at && d.state == DomState::Running && d.vcpus > 0 => {
            let elapsed = (now - at).as_nanos() as f64 * d.vcpus as f64;
            let u = (d.cpu_time_ns.saturating_sub(cpu) as f64 / elapsed).clamp(0.0, 1.0);
            (u, true)
        }
        _ => (0.0, previous.is_some()),
    };
    memory
        .samples
        .insert(key.to_string(), (d.cpu_time_ns, now, u));
    (u, fresh)
}
