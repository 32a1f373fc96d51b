//! The read-only view of the cluster that policies decide on.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::{
    HostType, MigrationModel, Overcommit, PowerState, ServiceSlot, ServiceView, VmGroup, VmState,
    VmType,
};
use crate::time::Millis;

pub use crate::ids::{HostId, VmId};

/// Which simulator's semantics to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Compat {
    /// orrery's own, corrected semantics.
    #[default]
    #[serde(rename = "none")]
    None,
    /// CloudSim 3.0.3's power package, quirks included (see docs/validation.md).
    #[serde(rename = "cloudsim-3.0.3")]
    CloudSim303,
}

impl Compat {
    /// Whether CloudSim 3.0.3 semantics are on.
    pub fn cloudsim(self) -> bool {
        self == Compat::CloudSim303
    }
}

/// CloudSim 3.0.3 behaviours orrery can reproduce, one switch each. `compat` turns them all on
/// or off; a scenario's `[quirks]` table overrides single ones (docs/validation.md measures each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quirks {
    /// Updates at 0.1 s past each interval boundary and at every migration completion; VMs are
    /// created at once and first sampled at the next update.
    pub update_grid: bool,
    /// A VM whose demand is zero at an update is removed for good.
    pub remove_idle_vms: bool,
    /// Energy is a trapezoid between updates, nothing when the earlier utilisation was zero and
    /// nothing outside the first and last update; a host with zero utilisation counts as off.
    pub energy_window: bool,
    /// PABFD charges a sleeping host its idle power, so waking one looks free.
    pub free_wakeup: bool,
    /// The host SLA counts a VM migrating in at its full demand (not the transfer overhead).
    pub incoming_full_demand: bool,
    /// LR and LRR are plain least squares (CloudSim's weights never apply).
    pub ols_regression: bool,
    /// The underload phase may drain hosts the overload phase just chose as destinations.
    pub underload_keeps_destinations: bool,
    /// Memory binds only while a VM is being created.
    pub memory_at_creation_only: bool,
    /// CPU allocations are rounded down to whole MIPS when a host is oversubscribed.
    pub floor_allocations: bool,
    /// The scheduler's free MIPS is a running subtraction in CloudSim's allocation order: the VM
    /// list at updates, then a Java `HashMap`'s order after each removal (including the
    /// create-and-destroy of every overload check). On a host filled to exactly its capacity,
    /// which THR-1.0 packs often, the rounding of that subtraction decides whether a VM fits.
    pub allocation_order: bool,
}

impl Quirks {
    /// The switches of a compatibility mode: all on for CloudSim, all off otherwise.
    pub fn of(compat: Compat) -> Self {
        let on = compat.cloudsim();
        Quirks {
            update_grid: on,
            remove_idle_vms: on,
            energy_window: on,
            free_wakeup: on,
            incoming_full_demand: on,
            ols_regression: on,
            underload_keeps_destinations: on,
            memory_at_creation_only: on,
            floor_allocations: on,
            allocation_order: on,
        }
    }
}

/// Everything a policy may know about the cluster at one instant.
#[derive(Debug, Clone)]
pub struct ClusterView {
    /// Current time.
    pub now: Millis,
    /// Semantics in force.
    pub compat: Compat,
    /// The individual CloudSim behaviours in force.
    pub quirks: Quirks,
    /// Host types, indexed by [`HostView::host_type`].
    pub host_types: Vec<HostType>,
    /// VM types, indexed by [`VmView::vm_type`].
    pub vm_types: Vec<VmType>,
    /// Overcommit ratios for reservation-based placement.
    pub overcommit: Overcommit,
    /// The migration cost model.
    pub migration: MigrationModel,
    /// Interval between monitoring updates (the spacing of [`VmView::history`]).
    pub update_interval: Millis,
    /// VM groups, indexed by [`crate::model::GroupRole::group`].
    pub vm_groups: Vec<VmGroup>,
    /// Red-line temperature when the thermal model is on, in °C.
    pub redline_c: Option<f64>,
    /// Hosts, by id.
    pub hosts: Vec<HostView>,
    /// VMs, by id (every VM of the run, whatever its state).
    pub vms: Vec<VmView>,
    /// Services, by id (every service of the run, whatever its state).
    pub services: Vec<ServiceView>,
    /// The grid's carbon intensity now, gCO2/kWh (`None` without a carbon series).
    pub carbon_intensity: Option<f64>,
}

/// One host as policies see it.
#[derive(Debug, Clone)]
pub struct HostView {
    /// Host name.
    pub name: String,
    /// Index into [`ClusterView::host_types`].
    pub host_type: usize,
    /// Site (datacenter or cloud) the host belongs to.
    pub site: String,
    /// Cluster the host belongs to.
    pub cluster: String,
    /// Rack the host sits in.
    pub rack: String,
    /// Availability zone.
    pub zone: String,
    /// Power state.
    pub power: PowerState,
    /// VMs on the host in arrival order, including those migrating in.
    pub vms: Vec<VmId>,
    /// VMs migrating in (a subset of `vms`).
    pub incoming: Vec<VmId>,
    /// MIPS the host executed at the last monitoring update.
    pub busy_mips: f64,
    /// MIPS its VMs requested at the last monitoring update (uncapped).
    pub requested_mips: f64,
    /// Nominal MIPS of the VMs placed on it (for reservation-based placement).
    pub reserved_mips: f64,
    /// Memory of the VMs placed on it, in MB.
    pub reserved_memory_mb: f64,
    /// Temperature at the last update, in °C (the inlet temperature without a thermal model).
    pub temperature_c: f64,
    /// Inlet air temperature at the last update, in °C.
    pub inlet_c: f64,
}

/// One VM as policies see it.
#[derive(Debug, Clone)]
pub struct VmView {
    /// VM name.
    pub name: String,
    /// Index into [`ClusterView::vm_types`].
    pub vm_type: usize,
    /// Lifecycle state.
    pub state: VmState,
    /// Host it runs on (the source while it migrates).
    pub host: Option<HostId>,
    /// Whether a live migration of it is under way.
    pub in_migration: bool,
    /// CPU demand at the last update, as a fraction of its nominal capacity.
    pub demand: f64,
    /// Demand at past monitoring updates, newest first, bounded length.
    pub history: VecDeque<f64>,
    /// When the VM request arrived.
    pub arrival: Millis,
    /// When its last boot completed and it began running (`None`: it has not yet, or the
    /// infrastructure does not say). A migration or a resume does not change it.
    pub running_since: Option<Millis>,
    /// Its size after a resize (`None`: its type's vCPUs and memory).
    pub resized: Option<VmSize>,
    /// The service role it belongs to, if any.
    pub service: Option<ServiceSlot>,
    /// Metric values as monitoring last delivered them (`CPU` in percent, application
    /// metrics such as `RT`); empty when nothing monitors the VM.
    pub metrics: BTreeMap<String, f64>,
}

/// A VM's vCPUs and memory when a resize has changed them from its type's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmSize {
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MB.
    pub memory_mb: f64,
}

impl HostView {
    /// An empty host of type `host_type` in power state `power`, in site `local`, no cluster.
    pub fn new(name: impl Into<String>, host_type: usize, power: PowerState) -> Self {
        HostView {
            name: name.into(),
            host_type,
            site: "local".into(),
            cluster: String::new(),
            rack: String::new(),
            zone: String::new(),
            power,
            vms: Vec::new(),
            incoming: Vec::new(),
            busy_mips: 0.0,
            requested_mips: 0.0,
            reserved_mips: 0.0,
            reserved_memory_mb: 0.0,
            temperature_c: 0.0,
            inlet_c: 0.0,
        }
    }
}

impl VmView {
    /// A VM of type `vm_type` that has not arrived yet (arrives at `arrival`), with no demand.
    pub fn new(name: impl Into<String>, vm_type: usize, arrival: Millis) -> Self {
        VmView {
            name: name.into(),
            vm_type,
            state: VmState::Future,
            host: None,
            in_migration: false,
            demand: 0.0,
            history: VecDeque::new(),
            arrival,
            running_since: None,
            resized: None,
            service: None,
            metrics: BTreeMap::new(),
        }
    }
}

impl ClusterView {
    /// A cluster with these types and no hosts or VMs yet, at time 0, under `compat`'s quirks,
    /// with no overcommit, the default migration model and a 300 s update interval.
    pub fn new(compat: Compat, host_types: Vec<HostType>, vm_types: Vec<VmType>) -> Self {
        ClusterView {
            now: 0,
            compat,
            quirks: Quirks::of(compat),
            host_types,
            vm_types,
            overcommit: Overcommit::default(),
            migration: MigrationModel::default(),
            update_interval: 300_000,
            vm_groups: Vec::new(),
            redline_c: None,
            hosts: Vec::new(),
            vms: Vec::new(),
            services: Vec::new(),
            carbon_intensity: None,
        }
    }

    /// Adds every placed VM to its host's list, reservations and CPU asked (for a view built
    /// from outside the simulator, whose hosts start with none).
    pub fn attach_placed_vms(&mut self) {
        for v in 0..self.vms.len() {
            let vm = &self.vms[v];
            let Some(h) = vm.host.filter(|_| vm.state.is_placed()) else {
                continue;
            };
            let (mips, mb, busy) = (
                self.vm_mips(v),
                self.vm_memory_mb(v),
                self.requested_mips(v),
            );
            let host = &mut self.hosts[h];
            host.vms.push(v);
            host.reserved_mips += mips;
            host.reserved_memory_mb += mb;
            host.busy_mips += busy;
            host.requested_mips += busy;
        }
    }

    /// The type of host `h`.
    pub fn host_type(&self, h: HostId) -> &HostType {
        &self.host_types[self.hosts[h].host_type]
    }

    /// The type of VM `v`.
    pub fn vm_type(&self, v: VmId) -> &VmType {
        &self.vm_types[self.vms[v].vm_type]
    }

    /// Physical CPU capacity of host `h` in MIPS.
    pub fn capacity_mips(&self, h: HostId) -> f64 {
        self.host_type(h).total_mips()
    }

    /// CPU utilisation of host `h` at the last update (busy / capacity, in [0, 1]).
    pub fn utilisation(&self, h: HostId) -> f64 {
        let u = self.hosts[h].busy_mips / self.capacity_mips(h);
        // CloudSim clamps utilisation in (1, 1.01) to 1 (HostDynamicWorkload).
        if u > 1.0 && u < 1.01 {
            1.0
        } else {
            u
        }
    }

    /// The vCPUs and memory VM `v` has now: its type's unless a resize changed them.
    pub fn vm_size(&self, v: VmId) -> VmSize {
        self.vms[v].resized.unwrap_or_else(|| {
            let t = self.vm_type(v);
            VmSize {
                vcpus: t.vcpus,
                memory_mb: t.memory_mb,
            }
        })
    }

    /// Virtual CPUs of VM `v` (after any resize).
    pub fn vm_vcpus(&self, v: VmId) -> u32 {
        self.vm_size(v).vcpus
    }

    /// Memory of VM `v` in MB (after any resize).
    pub fn vm_memory_mb(&self, v: VmId) -> f64 {
        self.vm_size(v).memory_mb
    }

    /// Nominal CPU capacity of VM `v` in MIPS: its vCPUs (after any resize) × vCPU speed.
    pub fn vm_mips(&self, v: VmId) -> f64 {
        self.vm_vcpus(v) as f64 * self.vm_type(v).mips
    }

    /// The size a resize of running or suspended VM `v` to `vcpus` and/or `memory_mb` (`None`:
    /// unchanged) gives it, or why it is refused: outside its type's maxima, or growing beyond
    /// what its host has free for reservations.
    pub fn check_resize(
        &self,
        v: VmId,
        vcpus: Option<u32>,
        memory_mb: Option<f64>,
    ) -> Result<VmSize, String> {
        let vm = self.vms.get(v).ok_or("no such VM")?;
        if !matches!(vm.state, VmState::Running | VmState::Suspended) || vm.in_migration {
            return Err(format!("VM is {:?}, not running or suspended", vm.state));
        }
        let h = vm.host.ok_or("VM is not on a host")?;
        let ty = self.vm_type(v);
        let old = self.vm_size(v);
        let new = VmSize {
            vcpus: vcpus.unwrap_or(old.vcpus),
            memory_mb: memory_mb.unwrap_or(old.memory_mb),
        };
        if new.vcpus == 0 || new.vcpus > ty.max_vcpus {
            return Err(format!(
                "{} vCPUs is outside 1..={} (the type's maximum)",
                new.vcpus, ty.max_vcpus
            ));
        }
        if !(new.memory_mb > 0.0 && new.memory_mb <= ty.max_memory_mb) {
            return Err(format!(
                "{} MB is outside the type's maximum of {} MB",
                new.memory_mb, ty.max_memory_mb
            ));
        }
        let host = &self.hosts[h];
        let extra_mips = (new.vcpus as f64 - old.vcpus as f64) * ty.mips;
        if extra_mips > 0.0 && host.reserved_mips + extra_mips > self.reservable_mips(h) + 1e-9 {
            return Err(format!("not enough free CPU on host {h}"));
        }
        let extra_mb = new.memory_mb - old.memory_mb;
        if extra_mb > 0.0
            && host.reserved_memory_mb + extra_mb > self.reservable_memory_mb(h) + 1e-9
        {
            return Err(format!("not enough memory on host {h}"));
        }
        Ok(new)
    }

    /// Records VM `v` (on a host) at size `new`, moving its host's reservations with it.
    pub fn set_size(&mut self, v: VmId, new: VmSize) {
        let old = self.vm_size(v);
        let ty = self.vm_type(v);
        let base = (ty.vcpus, ty.memory_mb);
        let extra_mips = (new.vcpus as f64 - old.vcpus as f64) * ty.mips;
        if let Some(h) = self.vms[v].host {
            self.hosts[h].reserved_mips += extra_mips;
            self.hosts[h].reserved_memory_mb += new.memory_mb - old.memory_mb;
        }
        self.vms[v].resized = (base != (new.vcpus, new.memory_mb)).then_some(new);
    }

    /// MIPS VM `v` currently requests (demand × nominal capacity, uncapped).
    pub fn requested_mips(&self, v: VmId) -> f64 {
        self.vms[v].demand * self.vm_mips(v)
    }

    /// Live-migration rate into host `h`, in MB/s (NIC × migration share / 8).
    pub fn migration_rate_mbs(&self, h: HostId) -> f64 {
        self.host_type(h).nic_mbps * self.migration.bandwidth_fraction / 8.0
    }

    /// CPU capacity of host `h` available to reservations (capacity × CPU overcommit).
    pub fn reservable_mips(&self, h: HostId) -> f64 {
        self.capacity_mips(h) * self.overcommit_of(h).cpu
    }

    /// Memory of host `h` available to reservations, in MB.
    pub fn reservable_memory_mb(&self, h: HostId) -> f64 {
        self.host_type(h).memory_mb * self.overcommit_of(h).memory
    }

    /// Predicted steady temperature of host `h` at CPU utilisation `u` (clamped to [0, 1]) with
    /// its current inlet: inlet + thermal resistance × power, in °C.
    pub fn steady_temperature_c(&self, h: HostId, u: f64) -> f64 {
        let ty = self.host_type(h);
        self.hosts[h].inlet_c + ty.thermal_resistance_c_per_w * ty.power.power(u)
    }

    /// The overcommit ratios that apply on host `h` (none on no-overcommit hosts).
    pub fn overcommit_of(&self, h: HostId) -> Overcommit {
        if self.host_type(h).no_overcommit {
            Overcommit::default()
        } else {
            self.overcommit
        }
    }
}
