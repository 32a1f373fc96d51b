//! `orrery.View`: a read-only snapshot of everything a policy may know, shared (never
//! borrowed) so it stays valid after the decision it was taken at.

use std::sync::Arc;

use orrery_engine::model::{PowerState, VmState};
use orrery_engine::time::to_secs;
use orrery_engine::view::ClusterView;
use orrery_policies::placement::capacity;
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The cluster at one instant, as policies see it. Hosts and VMs are numbered from 0 (the ids
/// actions take). Cheap to keep: it is a snapshot, unaffected by later decisions.
#[pyclass(frozen, module = "orrery._orrery", name = "View")]
pub struct View {
    /// The snapshot.
    pub view: Arc<ClusterView>,
}

impl View {
    /// A view over a copy of `view`.
    pub fn snapshot(view: &ClusterView) -> View {
        View {
            view: Arc::new(view.clone()),
        }
    }

    fn host(&self, h: usize) -> PyResult<usize> {
        if h < self.view.hosts.len() {
            Ok(h)
        } else {
            Err(PyIndexError::new_err(format!(
                "no host {h} (the view has {} hosts)",
                self.view.hosts.len()
            )))
        }
    }

    fn vm(&self, v: usize) -> PyResult<usize> {
        if v < self.view.vms.len() {
            Ok(v)
        } else {
            Err(PyIndexError::new_err(format!(
                "no VM {v} (the view has {} VMs)",
                self.view.vms.len()
            )))
        }
    }

    /// Whether VM `v` fits on host `h` as the built-in placements test it.
    pub fn fits_at(view: &ClusterView, h: usize, v: usize) -> bool {
        let host = &view.hosts[h];
        let cpu = view.reservable_mips(h) - host.reserved_mips;
        let memory = view.reservable_memory_mb(h) - host.reserved_memory_mb;
        capacity::usable(host.power) && capacity::fits_free(view, h, v, cpu, memory)
    }
}

/// A host's power state as text.
pub fn power_name(p: PowerState) -> &'static str {
    match p {
        PowerState::On => "on",
        PowerState::Off => "off",
        PowerState::Booting => "booting",
        PowerState::ShuttingDown => "shutting-down",
        PowerState::Failed => "failed",
    }
}

/// A VM's lifecycle state as text.
pub fn state_name(s: VmState) -> &'static str {
    match s {
        VmState::Future => "future",
        VmState::Pending => "pending",
        VmState::Deploying => "deploying",
        VmState::Running => "running",
        VmState::Migrating => "migrating",
        VmState::Suspended => "suspended",
        VmState::Stopped => "stopped",
        VmState::Failed => "failed",
    }
}

#[pymethods]
impl View {
    /// Simulated (or wall-clock) time of the snapshot, in seconds.
    #[getter]
    fn now(&self) -> f64 {
        to_secs(self.view.now)
    }

    /// Number of hosts.
    #[getter]
    fn n_hosts(&self) -> usize {
        self.view.hosts.len()
    }

    /// Number of VMs (every VM of the run, whatever its state).
    #[getter]
    fn n_vms(&self) -> usize {
        self.view.vms.len()
    }

    /// Seconds between monitoring updates (the spacing of `vm_history`).
    #[getter]
    fn update_interval_s(&self) -> f64 {
        to_secs(self.view.update_interval)
    }

    /// The grid's carbon intensity now, gCO2/kWh (`None` without a carbon series).
    #[getter]
    fn carbon_intensity(&self) -> Option<f64> {
        self.view.carbon_intensity
    }

    /// Power the hosts draw now by their power models at their last utilisation (hosts off
    /// or failed draw nothing; boot and shutdown energy is not included), W.
    #[getter]
    fn power_w(&self) -> f64 {
        let v = &*self.view;
        (0..v.hosts.len())
            .filter(|&h| !matches!(v.hosts[h].power, PowerState::Off | PowerState::Failed))
            .map(|h| v.host_type(h).power.power(v.utilisation(h)))
            .sum()
    }

    /// CPU requested but not available now: Σ over hosts of max(0, requested − capacity),
    /// as a fraction of all MIPS requested (0 when nothing is requested).
    #[getter]
    fn shortfall(&self) -> f64 {
        let v = &*self.view;
        let (mut short, mut requested) = (0.0, 0.0);
        for (h, host) in v.hosts.iter().enumerate() {
            requested += host.requested_mips;
            short += (host.requested_mips - v.capacity_mips(h)).max(0.0);
        }
        if requested > 0.0 {
            short / requested
        } else {
            0.0
        }
    }

    /// Ids of the VMs waiting for placement.
    #[getter]
    fn pending(&self) -> Vec<usize> {
        (0..self.view.vms.len())
            .filter(|&v| self.view.vms[v].state == VmState::Pending)
            .collect()
    }

    /// Host names, by id.
    #[getter]
    fn host_names(&self) -> Vec<String> {
        self.view.hosts.iter().map(|h| h.name.clone()).collect()
    }

    /// Host `h`'s name.
    fn host_name(&self, h: usize) -> PyResult<String> {
        Ok(self.view.hosts[self.host(h)?].name.clone())
    }

    /// Host `h`'s type name.
    fn host_type(&self, h: usize) -> PyResult<String> {
        Ok(self.view.host_type(self.host(h)?).name.clone())
    }

    /// Host `h`'s power state: `on`, `off`, `booting`, `shutting-down` or `failed`.
    fn power(&self, h: usize) -> PyResult<&'static str> {
        Ok(power_name(self.view.hosts[self.host(h)?].power))
    }

    /// Whether host `h` is on or booting.
    fn is_up(&self, h: usize) -> PyResult<bool> {
        Ok(self.view.hosts[self.host(h)?].power.is_up())
    }

    /// VMs on host `h` (including those migrating in), in arrival order.
    fn host_vms(&self, h: usize) -> PyResult<Vec<usize>> {
        Ok(self.view.hosts[self.host(h)?].vms.clone())
    }

    /// Host `h`'s CPU utilisation at the last update (busy / capacity).
    fn utilisation(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.utilisation(self.host(h)?))
    }

    /// Host `h`'s CPU capacity, MIPS.
    fn capacity_mips(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.capacity_mips(self.host(h)?))
    }

    /// Speed of one of host `h`'s cores, MIPS (a VM's vCPU must fit on one).
    fn core_mips(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.host_type(self.host(h)?).core_mips)
    }

    /// Host `h`'s memory, MB.
    fn memory_mb(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.host_type(self.host(h)?).memory_mb)
    }

    /// CPU of host `h` available to reservations (capacity × CPU overcommit), MIPS.
    fn reservable_mips(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.reservable_mips(self.host(h)?))
    }

    /// Memory of host `h` available to reservations, MB.
    fn reservable_memory_mb(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.reservable_memory_mb(self.host(h)?))
    }

    /// Nominal MIPS of the VMs placed on host `h`.
    fn reserved_mips(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.hosts[self.host(h)?].reserved_mips)
    }

    /// Memory of the VMs placed on host `h`, MB.
    fn reserved_memory_mb(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.hosts[self.host(h)?].reserved_memory_mb)
    }

    /// MIPS host `h`'s VMs requested at the last update (uncapped).
    fn host_requested_mips(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.hosts[self.host(h)?].requested_mips)
    }

    /// Host `h`'s temperature at the last update, °C (its inlet's without a thermal model).
    fn temperature_c(&self, h: usize) -> PyResult<f64> {
        Ok(self.view.hosts[self.host(h)?].temperature_c)
    }

    /// Whether VM `v` fits on host `h` now, as the built-in placements decide it: the host is
    /// on, booting or off (not failed or shutting down), a vCPU fits on one of its cores, and
    /// the VM's nominal MIPS and memory fit in what is not reserved.
    fn fits(&self, h: usize, v: usize) -> PyResult<bool> {
        Ok(Self::fits_at(&self.view, self.host(h)?, self.vm(v)?))
    }

    /// VM `v`'s name.
    fn vm_name(&self, v: usize) -> PyResult<String> {
        Ok(self.view.vms[self.vm(v)?].name.clone())
    }

    /// VM `v`'s type name.
    fn vm_type(&self, v: usize) -> PyResult<String> {
        Ok(self.view.vm_type(self.vm(v)?).name.clone())
    }

    /// VM `v`'s state: `future`, `pending`, `deploying`, `running`, `migrating`, `suspended`,
    /// `stopped` or `failed`.
    fn vm_state(&self, v: usize) -> PyResult<&'static str> {
        Ok(state_name(self.view.vms[self.vm(v)?].state))
    }

    /// The host VM `v` is on (the source while it migrates), `None` when not placed.
    fn vm_host(&self, v: usize) -> PyResult<Option<usize>> {
        Ok(self.view.vms[self.vm(v)?].host)
    }

    /// Whether VM `v` is being live-migrated.
    fn in_migration(&self, v: usize) -> PyResult<bool> {
        Ok(self.view.vms[self.vm(v)?].in_migration)
    }

    /// VM `v`'s CPU demand at the last update, a fraction of its nominal capacity.
    fn vm_demand(&self, v: usize) -> PyResult<f64> {
        Ok(self.view.vms[self.vm(v)?].demand)
    }

    /// VM `v`'s demand at past monitoring updates, newest first.
    fn vm_history(&self, v: usize) -> PyResult<Vec<f64>> {
        Ok(self.view.vms[self.vm(v)?].history.iter().copied().collect())
    }

    /// VM `v`'s nominal CPU (vCPUs × vCPU speed), MIPS.
    fn vm_mips(&self, v: usize) -> PyResult<f64> {
        Ok(self.view.vm_mips(self.vm(v)?))
    }

    /// The speed of one of VM `v`'s vCPUs, MIPS.
    fn vcpu_mips(&self, v: usize) -> PyResult<f64> {
        Ok(self.view.vm_type(self.vm(v)?).mips)
    }

    /// VM `v`'s vCPUs (after any resize).
    fn vm_vcpus(&self, v: usize) -> PyResult<u32> {
        Ok(self.view.vm_vcpus(self.vm(v)?))
    }

    /// VM `v`'s memory (after any resize), MB.
    fn vm_memory_mb(&self, v: usize) -> PyResult<f64> {
        Ok(self.view.vm_memory_mb(self.vm(v)?))
    }

    /// MIPS VM `v` requests now (demand × nominal capacity, uncapped).
    fn requested_mips(&self, v: usize) -> PyResult<f64> {
        Ok(self.view.requested_mips(self.vm(v)?))
    }

    /// When VM `v`'s request arrived, seconds.
    fn vm_arrival(&self, v: usize) -> PyResult<f64> {
        Ok(to_secs(self.view.vms[self.vm(v)?].arrival))
    }

    /// One row per host: id, name, type, power, capacity, utilisation, reservations, VM count
    /// and temperature, as columns (a dict of equal-length lists; `host_frame` makes it a
    /// polars DataFrame).
    fn host_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let v = &*self.view;
        let n = v.hosts.len();
        let d = PyDict::new(py);
        d.set_item("host", (0..n).collect::<Vec<_>>())?;
        d.set_item(
            "name",
            v.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "type",
            (0..n)
                .map(|h| v.host_type(h).name.as_str())
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "power",
            v.hosts
                .iter()
                .map(|h| power_name(h.power))
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "capacity_mips",
            (0..n).map(|h| v.capacity_mips(h)).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "utilisation",
            (0..n).map(|h| v.utilisation(h)).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "requested_mips",
            v.hosts.iter().map(|h| h.requested_mips).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "reserved_mips",
            v.hosts.iter().map(|h| h.reserved_mips).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "reservable_mips",
            (0..n).map(|h| v.reservable_mips(h)).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "reserved_memory_mb",
            v.hosts
                .iter()
                .map(|h| h.reserved_memory_mb)
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "reservable_memory_mb",
            (0..n)
                .map(|h| v.reservable_memory_mb(h))
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "vms",
            v.hosts
                .iter()
                .map(|h| h.vms.len() as u64)
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "temperature_c",
            v.hosts.iter().map(|h| h.temperature_c).collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// One row per VM: id, name, type, state, host, demand, requested and nominal MIPS,
    /// memory, arrival, as columns (`vm_frame` makes it a polars DataFrame).
    fn vm_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let v = &*self.view;
        let n = v.vms.len();
        let d = PyDict::new(py);
        d.set_item("vm", (0..n).collect::<Vec<_>>())?;
        d.set_item(
            "name",
            v.vms.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "type",
            (0..n)
                .map(|m| v.vm_type(m).name.as_str())
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "state",
            v.vms
                .iter()
                .map(|m| state_name(m.state))
                .collect::<Vec<_>>(),
        )?;
        d.set_item("host", v.vms.iter().map(|m| m.host).collect::<Vec<_>>())?;
        d.set_item(
            "in_migration",
            v.vms.iter().map(|m| m.in_migration).collect::<Vec<_>>(),
        )?;
        d.set_item("demand", v.vms.iter().map(|m| m.demand).collect::<Vec<_>>())?;
        d.set_item(
            "requested_mips",
            (0..n).map(|m| v.requested_mips(m)).collect::<Vec<_>>(),
        )?;
        d.set_item("mips", (0..n).map(|m| v.vm_mips(m)).collect::<Vec<_>>())?;
        d.set_item(
            "vcpus",
            (0..n).map(|m| v.vm_vcpus(m) as u64).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "memory_mb",
            (0..n).map(|m| v.vm_memory_mb(m)).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "arrival_s",
            v.vms.iter().map(|m| to_secs(m.arrival)).collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// Per-host features as a flat row-major list of `n_hosts × 4` floats: CPU utilisation,
    /// reserved CPU fraction, reserved memory fraction, 1.0 when on or booting (the fractions
    /// are of what is reservable; `host_array` reshapes it with numpy).
    fn host_features(&self) -> Vec<f64> {
        let v = &*self.view;
        let mut out = Vec::with_capacity(v.hosts.len() * 4);
        for (h, host) in v.hosts.iter().enumerate() {
            out.push(v.utilisation(h));
            out.push(host.reserved_mips / v.reservable_mips(h));
            out.push(host.reserved_memory_mb / v.reservable_memory_mb(h));
            out.push(if host.power.is_up() { 1.0 } else { 0.0 });
        }
        out
    }

    /// `host_columns` as a polars DataFrame, one row per host.
    fn host_frame<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("polars")?
            .getattr("DataFrame")?
            .call1((self.host_columns(py)?,))
    }

    /// `vm_columns` as a polars DataFrame, one row per VM.
    fn vm_frame<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("polars")?
            .getattr("DataFrame")?
            .call1((self.vm_columns(py)?,))
    }

    /// `host_features` as a numpy float64 array of shape `(n_hosts, 4)`.
    fn host_array<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let np = py.import("numpy")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", np.getattr("float64")?)?;
        np.getattr("array")?
            .call((self.host_features(),), Some(&kwargs))?
            .call_method1("reshape", (self.view.hosts.len(), 4))
    }

    fn __repr__(&self) -> String {
        let v = &*self.view;
        let up = v.hosts.iter().filter(|h| h.power.is_up()).count();
        let running = v.vms.iter().filter(|m| m.state.is_active()).count();
        format!(
            "<orrery.View t={} s: {} hosts ({up} up), {} VMs ({running} running)>",
            to_secs(v.now),
            v.hosts.len(),
            v.vms.len()
        )
    }
}
