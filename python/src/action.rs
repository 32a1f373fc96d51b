//! `orrery.Action`: one change a policy asks for, wrapping the engine's `Action` exactly.

use orrery_engine::action::Action;
use pyo3::prelude::*;

/// One change a policy asks the infrastructure to make (see `orrery.actions` for the
/// constructors). Compares equal to an action with the same kind and fields.
#[pyclass(frozen, eq, module = "orrery._orrery", name = "Action")]
#[derive(Clone, PartialEq)]
pub struct PyAction {
    /// The engine's action.
    pub action: Action,
}

fn new(action: Action) -> PyAction {
    PyAction { action }
}

#[pymethods]
impl PyAction {
    /// Start pending VM `vm` on host `host` (powering the host on first if it is off).
    #[staticmethod]
    fn deploy(vm: usize, host: usize) -> PyAction {
        new(Action::Deploy { vm, host })
    }

    /// Refuse pending VM `vm`; `reason` goes to the event and audit logs.
    #[staticmethod]
    #[pyo3(signature = (vm, reason = String::new()))]
    fn reject(vm: usize, reason: String) -> PyAction {
        new(Action::Reject { vm, reason })
    }

    /// Leave pending VM `vm` pending; it is offered to placement again at the next update.
    #[staticmethod]
    #[pyo3(signature = (vm, reason = String::new()))]
    fn defer(vm: usize, reason: String) -> PyAction {
        new(Action::Defer { vm, reason })
    }

    /// Live-migrate running VM `vm` to host `host`.
    #[staticmethod]
    fn migrate(vm: usize, host: usize) -> PyAction {
        new(Action::Migrate { vm, to: host })
    }

    /// Suspend running VM `vm` (its memory stays on the host).
    #[staticmethod]
    fn suspend(vm: usize) -> PyAction {
        new(Action::Suspend { vm })
    }

    /// Resume suspended VM `vm` on its host.
    #[staticmethod]
    fn resume(vm: usize) -> PyAction {
        new(Action::Resume { vm })
    }

    /// Stop VM `vm` for good.
    #[staticmethod]
    fn shutdown(vm: usize) -> PyAction {
        new(Action::Shutdown { vm })
    }

    /// Change placed VM `vm`'s vCPUs and/or memory (`None`: unchanged).
    #[staticmethod]
    #[pyo3(signature = (vm, vcpus = None, memory_mb = None))]
    fn resize(vm: usize, vcpus: Option<u32>, memory_mb: Option<f64>) -> PyAction {
        new(Action::Resize {
            vm,
            vcpus,
            memory_mb,
        })
    }

    /// Power host `host` on.
    #[staticmethod]
    fn power_on(host: usize) -> PyAction {
        new(Action::PowerOn { host })
    }

    /// Power host `host` off once the VMs migrating away from it have left.
    #[staticmethod]
    fn power_off(host: usize) -> PyAction {
        new(Action::PowerOff { host })
    }

    /// Admit pending service `service`.
    #[staticmethod]
    fn admit_service(service: usize) -> PyAction {
        new(Action::AdmitService { service })
    }

    /// Refuse pending service `service`.
    #[staticmethod]
    #[pyo3(signature = (service, reason = String::new()))]
    fn reject_service(service: usize, reason: String) -> PyAction {
        new(Action::RejectService { service, reason })
    }

    /// Set role `role` of service `service` to `cardinality` VMs, then cool down `cooldown_s`.
    #[staticmethod]
    #[pyo3(signature = (service, role, cardinality, cooldown_s = 0))]
    fn scale_role(service: usize, role: usize, cardinality: u32, cooldown_s: u64) -> PyAction {
        new(Action::ScaleRole {
            service,
            role,
            cardinality,
            cooldown_s,
        })
    }

    /// The kind: `deploy`, `reject`, `defer`, `migrate`, `suspend`, `resume`, `shutdown`,
    /// `resize`, `power-on`, `power-off`, `admit-service`, `reject-service` or `scale-role`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.action.kind()
    }

    /// The VM acted on (`None` for host and service actions).
    #[getter]
    fn vm(&self) -> Option<usize> {
        match self.action {
            Action::Deploy { vm, .. }
            | Action::Reject { vm, .. }
            | Action::Defer { vm, .. }
            | Action::Migrate { vm, .. }
            | Action::Suspend { vm }
            | Action::Resume { vm }
            | Action::Shutdown { vm }
            | Action::Resize { vm, .. } => Some(vm),
            _ => None,
        }
    }

    /// The host: where a VM is deployed or migrated to, or the host powered on or off.
    #[getter]
    fn host(&self) -> Option<usize> {
        match self.action {
            Action::Deploy { host, .. }
            | Action::Migrate { to: host, .. }
            | Action::PowerOn { host }
            | Action::PowerOff { host } => Some(host),
            _ => None,
        }
    }

    /// The service of a service action.
    #[getter]
    fn service(&self) -> Option<usize> {
        match self.action {
            Action::AdmitService { service }
            | Action::RejectService { service, .. }
            | Action::ScaleRole { service, .. } => Some(service),
            _ => None,
        }
    }

    /// The reason of a reject, defer or service rejection.
    #[getter]
    fn reason(&self) -> Option<&str> {
        match &self.action {
            Action::Reject { reason, .. }
            | Action::Defer { reason, .. }
            | Action::RejectService { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The role, cardinality and cooldown of a `scale-role` action.
    #[getter]
    fn scale(&self) -> Option<(usize, u32, u64)> {
        match self.action {
            Action::ScaleRole {
                role,
                cardinality,
                cooldown_s,
                ..
            } => Some((role, cardinality, cooldown_s)),
            _ => None,
        }
    }

    /// The new vCPUs and memory (MB) of a `resize` action (`None`: unchanged).
    #[getter]
    fn size(&self) -> Option<(Option<u32>, Option<f64>)> {
        match self.action {
            Action::Resize {
                vcpus, memory_mb, ..
            } => Some((vcpus, memory_mb)),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        let a = &self.action;
        match a {
            Action::Deploy { vm, host } => format!("Action.deploy(vm={vm}, host={host})"),
            Action::Reject { vm, reason } => format!("Action.reject(vm={vm}, reason={reason:?})"),
            Action::Defer { vm, reason } => format!("Action.defer(vm={vm}, reason={reason:?})"),
            Action::Migrate { vm, to } => format!("Action.migrate(vm={vm}, host={to})"),
            Action::Suspend { vm } => format!("Action.suspend(vm={vm})"),
            Action::Resume { vm } => format!("Action.resume(vm={vm})"),
            Action::Shutdown { vm } => format!("Action.shutdown(vm={vm})"),
            Action::Resize {
                vm,
                vcpus,
                memory_mb,
            } => format!(
                "Action.resize(vm={vm}, vcpus={}, memory_mb={})",
                vcpus.map_or("None".into(), |n| n.to_string()),
                memory_mb.map_or("None".into(), |m| format!("{m:?}"))
            ),
            Action::PowerOn { host } => format!("Action.power_on(host={host})"),
            Action::PowerOff { host } => format!("Action.power_off(host={host})"),
            Action::AdmitService { service } => format!("Action.admit_service(service={service})"),
            Action::RejectService { service, reason } => {
                format!("Action.reject_service(service={service}, reason={reason:?})")
            }
            Action::ScaleRole {
                service,
                role,
                cardinality,
                cooldown_s,
            } => format!(
                "Action.scale_role(service={service}, role={role}, cardinality={cardinality}, \
                 cooldown_s={cooldown_s})"
            ),
        }
    }

    fn __str__(&self) -> String {
        self.action.to_string()
    }
}

/// A policy's return value as a plan: an iterable of `Action`s, or why it is not one.
pub fn plan(value: &Bound<'_, PyAny>) -> Result<Vec<Action>, String> {
    if value.is_none() {
        return Err("returned None: return a list of actions (an empty list for none)".into());
    }
    if value.is_instance_of::<pyo3::types::PyString>() {
        return Err("returned a string, not a list of actions".into());
    }
    let items = value
        .try_iter()
        .map_err(|_| format!("returned a {}, not a list of actions", type_name(value)))?;
    let mut plan = Vec::new();
    for (i, item) in items.enumerate() {
        let item = item.map_err(|e| format!("iterating over its result raised {e}"))?;
        let action = item.cast::<PyAction>().map_err(|_| {
            format!(
                "item {i} of its result is a {} ({}), not an orrery Action",
                type_name(&item),
                item.repr().map(|r| r.to_string()).unwrap_or_default()
            )
        })?;
        plan.push(action.get().action.clone());
    }
    Ok(plan)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "value".into())
}

/// Actions as Python `Action` objects.
pub fn to_python<'py>(py: Python<'py>, plan: Vec<Action>) -> PyResult<Vec<Bound<'py, PyAction>>> {
    plan.into_iter()
        .map(|action| Bound::new(py, new(action)))
        .collect()
}
