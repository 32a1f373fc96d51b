//! Test fixtures for the service manager: a small scenario and hand-built cluster views with
//! services in them.

use std::collections::BTreeMap;
use std::path::Path;

use orrery_engine::model::{
    PowerState, RolePhase, RoleView, ServiceId, ServiceSlot, ServiceState, ServiceView, VmState,
};
use orrery_engine::scenario::Scenario;
use orrery_engine::time::Millis;
use orrery_engine::{ClusterView, Compat, HostView, VmId, VmView};

/// Two hosts of 8 cores and 16 GiB; VM types `web` (2 vCPUs, 2 GiB, resizable to 4 vCPUs and
/// 4 GiB, owned by `acme`) and `big` (4 vCPUs, 4 GiB, default tenant). `extra` is appended.
pub fn scenario(extra: &str) -> Scenario {
    parse(&text("", extra))
}

/// Parses a scenario text.
pub fn parse(text: &str) -> Scenario {
    Scenario::parse(text, Path::new("t.toml"), Path::new("."), &[])
        .unwrap_or_else(|e| panic!("invalid test scenario: {e}"))
}

/// The text of [`scenario`], with top-level keys `top` first and `extra` appended.
pub fn text(top: &str, extra: &str) -> String {
    format!(
        r#"{top}
duration_s = 3600

[[hosts]]
type = "node"
count = 2
cores = 8
core_mips = 1000
memory_mb = 16384
nic_mbps = 1000
power = {{ model = "linear", idle_w = 100.0, max_w = 200.0 }}

[[vm_types]]
name = "web"
vcpus = 2
mips = 1000
memory_mb = 2048
max_vcpus = 4
max_memory_mb = 4096
tenant = "acme"

[[vm_types]]
name = "big"
vcpus = 4
mips = 1000
memory_mb = 4096

# (The engine still asks for a VM workload next to services.)
[[workload.generators]]
vm_type = "big"
count = 1
arrival = {{ process = "batch", at_s = 0 }}
utilisation = {{ pattern = "constant", level = 0.1 }}

[policies]
placement = "first-fit"
{extra}"#
    )
}

/// The scenario's hosts (all on) and VM types, no VMs or services, at time 0.
pub fn view(s: &Scenario) -> ClusterView {
    let mut v = ClusterView::new(Compat::None, s.host_types(), s.vm_types());
    let types = s.spec.hosts.iter().enumerate();
    let of_type = types.flat_map(|(t, g)| std::iter::repeat_n(t, g.count));
    v.hosts = of_type
        .enumerate()
        .map(|(h, t)| HostView::new(format!("node-{h}"), t, PowerState::On))
        .collect();
    v
}

/// Adds service `name` of `tenant` (and `vdc`) in `state`, with roles `(name, VM type,
/// cardinality)` that have no VMs yet, all running since 0.
pub fn add_service(
    v: &mut ClusterView,
    name: &str,
    tenant: &str,
    vdc: Option<&str>,
    state: ServiceState,
    roles: &[(&str, usize, u32)],
) -> ServiceId {
    let roles = roles
        .iter()
        .map(|&(name, vm_type, cardinality)| RoleView {
            name: name.into(),
            vm_type,
            cardinality,
            min_vms: cardinality,
            max_vms: cardinality,
            depends_on: Vec::new(),
            vms: Vec::new(),
            phase: RolePhase::Running,
            phase_since: 0,
            cooldown_until: 0,
        })
        .collect();
    v.services.push(ServiceView {
        name: name.into(),
        tenant: tenant.into(),
        user: "admin".into(),
        vdc: vdc.map(Into::into),
        state,
        submitted: 0,
        roles,
        kpis: BTreeMap::new(),
        rejection: None,
    });
    v.services.len() - 1
}

/// Adds a running VM of type `vm_type` on `host` (of role `slot`, if any).
pub fn add_vm(v: &mut ClusterView, vm_type: usize, host: usize, slot: Option<ServiceSlot>) -> VmId {
    let id = v.vms.len();
    let mut vm = VmView::new(format!("vm-{id}"), vm_type, 0);
    vm.state = VmState::Running;
    vm.host = Some(host);
    vm.service = slot;
    v.vms.push(vm);
    v.hosts[host].vms.push(id);
    v.hosts[host].reserved_mips += v.vm_mips(id);
    v.hosts[host].reserved_memory_mb += v.vm_memory_mb(id);
    if let Some(s) = slot {
        v.services[s.service].roles[s.role].vms.push(id);
    }
    id
}

/// Sets the delivered metrics of VM `vm`.
pub fn deliver(v: &mut ClusterView, vm: VmId, metrics: &[(&str, f64)]) {
    v.vms[vm].metrics = metrics.iter().map(|&(k, x)| (k.to_owned(), x)).collect();
}

/// Puts role `role` of `service` in `phase` since `since`.
pub fn set_phase(
    v: &mut ClusterView,
    service: ServiceId,
    role: usize,
    phase: RolePhase,
    since: Millis,
) {
    let r = &mut v.services[service].roles[role];
    r.phase = phase;
    r.phase_since = since;
}
