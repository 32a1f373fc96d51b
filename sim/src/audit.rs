//! The audit log of every action, with who took it and what came of it.

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::view::{HostId, VmId};

use super::Simulator;

impl Simulator {
    /// Records that `actor` took `action` on `vm` / `host`: `Ok(detail)` or `Err(why refused)`.
    pub(super) fn audit(
        &mut self,
        actor: &str,
        action: &'static str,
        vm: Option<VmId>,
        host: Option<HostId>,
        result: Result<String, String>,
    ) {
        self.record
            .audit(self.view.now, actor, action, vm, host, result);
    }

    /// Records a policy's action and the answer it got.
    pub(super) fn audit_action(&mut self, action: &Action, result: &ActionResult) {
        let (kind, vm, host, reason) = match action {
            Action::Deploy { vm, host } => ("deploy", Some(*vm), Some(*host), None),
            Action::Reject { vm, reason } => ("reject", Some(*vm), None, Some(reason.clone())),
            Action::Defer { vm, reason } => ("defer", Some(*vm), None, Some(reason.clone())),
            Action::Migrate { vm, to } => ("migrate", Some(*vm), Some(*to), None),
            Action::Suspend { vm } => ("suspend", Some(*vm), None, None),
            Action::Resume { vm } => ("resume", Some(*vm), None, None),
            Action::Shutdown { vm } => ("shutdown", Some(*vm), None, None),
            Action::Resize { vm, .. } => ("resize", Some(*vm), None, Some(action.to_string())),
            Action::PowerOn { host } => ("power-on", None, Some(*host), None),
            Action::PowerOff { host } => ("power-off", None, Some(*host), None),
            Action::AdmitService { .. } => ("admit-service", None, None, Some(action.to_string())),
            Action::RejectService { .. } => {
                ("reject-service", None, None, Some(action.to_string()))
            }
            Action::ScaleRole { .. } => ("scale-role", None, None, Some(action.to_string())),
        };
        let result = match result {
            Ok(()) => Ok(reason.unwrap_or_default()),
            Err(e) => Err(e.clone()),
        };
        let actor = self.actors.current().to_string();
        self.audit(&actor, kind, vm, host, result);
    }
}
