//! Quotas on plain VMs: a VM outside services whose tenant is an organisation with a quota is
//! admitted at arrival against everything the tenant holds (its services' VMs and its plain
//! VMs, by `orrery_policies::tenancy::ledger`), or refused for good with the reason.
//!
//! A plain VM holds its slot from its admission until it stops or fails for good: a VM that
//! crashed and awaits its restart by the VM manager keeps it.

use orrery_engine::action::Action;
use orrery_engine::view::VmId;
use orrery_policies::tenancy::ledger::{disk_gb, holds_quota, size_of};

use super::Simulator;

/// The actor the audit trail names for quota refusals.
const ADMISSION: &str = "admission";

impl Simulator {
    /// Admits plain VM `v`, arriving now (and pending), against its tenant's quota, or rejects
    /// it with the reason; whether it was admitted.
    pub(crate) fn admit_arrival(&mut self, v: VmId) -> bool {
        let tenant = self.vms[v].tenant.as_str();
        if self.view.vms[v].service.is_some() || !self.tenants.has_quota(tenant) {
            return true;
        }
        let (view, vms, ha) = (&self.view, &self.vms, &self.ha);
        let mut ledger = self.tenants.ledger_with(view, |u| {
            let state = view.vms[u].state;
            let holds = u != v && (holds_quota(state) || ha.awaiting_restart(u));
            holds.then(|| vms[u].tenant.as_str())
        });
        let t = view.vms[v].vm_type;
        let Err(reason) = ledger.admit_vm(tenant, size_of(view, v), disk_gb(view, t)) else {
            return true;
        };
        self.audit(ADMISSION, "reject", Some(v), None, Ok(reason.clone()));
        self.execute(Action::Reject { vm: v, reason })
            .expect("an arriving VM is pending");
        false
    }
}
