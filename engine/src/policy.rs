//! The interfaces policies implement. Policies are pure: they read a [`ClusterView`], draw from
//! the seeded generator they are handed, and return actions. No clock, no I/O, no global state.

use std::path::Path;

use crate::action::Action;
use crate::error::InputError;
use crate::model::{ServiceId, VmType};
use crate::rng::Rng;
use crate::scenario::{PoliciesSection, Scenario, ServiceSection};
use crate::view::{ClusterView, VmId};

/// Initial placement: decides where pending VM requests go.
pub trait Placement: Send {
    /// Actions (`Deploy`, `Reject`, possibly `PowerOn`) for the pending VMs in `pending`, in order.
    fn place(&mut self, view: &ClusterView, pending: &[VmId], rng: &mut Rng) -> Vec<Action>;
}

/// Reallocation: runs every reallocation interval and returns migrations and power actions.
pub trait Reallocation: Send {
    /// Actions to improve the current allocation.
    fn reallocate(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action>;
}

/// Admission control: accepts or rejects submitted services.
pub trait Admission: Send {
    /// `AdmitService` or `RejectService` (with the reason) for each service in `pending`.
    fn admit(&mut self, view: &ClusterView, pending: &[ServiceId]) -> Vec<Action>;
}

/// Elasticity: runs whenever monitoring delivers and returns `ScaleRole` and `Resize` actions.
pub trait Elasticity: Send {
    /// Actions that bring the services' roles to the size their rules ask for.
    fn scale(&mut self, view: &ClusterView, rng: &mut Rng) -> Vec<Action>;
}

/// What building policies by name needs from a configuration file (a scenario, or a live-mode
/// config): its `[policies]` section, its VM types, whether it models temperatures, and errors
/// located in the file.
pub trait PolicyConfig {
    /// The `[policies]` section.
    fn policies(&self) -> &PoliciesSection;
    /// The VM types, in file order (their requirement expressions are parsed by index).
    fn vm_types(&self) -> Vec<VmType>;
    /// Whether host temperatures are modelled (a `[thermal]` section).
    fn has_thermal(&self) -> bool;
    /// An error about `key` (a dotted path such as `policies.placement`), located in the file.
    fn error_at(&self, key: &str, message: String) -> InputError;
    /// The file it was read from (named in errors found later, as in a rule's expression).
    fn file(&self) -> &Path;
    /// The scenario, when the configuration is one: the service manager reads its services,
    /// organisations and quotas from it.
    fn scenario(&self) -> Option<&Scenario> {
        None
    }
    /// The services of a configuration that is not a scenario (a live config's or a decide
    /// state's `[[services]]`): their roles' elasticity rules, with no organisations or
    /// quotas.
    fn standalone_services(&self) -> Option<StandaloneServices<'_>> {
        None
    }
}

/// Services described without a scenario (a live config's, a decide state's), as the service
/// manager's elasticity reads them.
#[derive(Debug, Clone, Copy)]
pub struct StandaloneServices<'a> {
    /// The `[[services]]` sections (a live config's roles name templates as `vm_type`).
    pub sections: &'a [ServiceSection],
    /// Unix seconds at time 0 of the views the cloud OS decides on: scheduled rules'
    /// `start_time` and `recurrence` are read against it.
    pub epoch_unix_s: i64,
}

impl PolicyConfig for Scenario {
    fn policies(&self) -> &PoliciesSection {
        &self.spec.policies
    }

    fn vm_types(&self) -> Vec<VmType> {
        Scenario::vm_types(self)
    }

    fn has_thermal(&self) -> bool {
        self.spec.thermal.is_some()
    }

    fn error_at(&self, key: &str, message: String) -> InputError {
        Scenario::error_at(self, key, message)
    }

    fn file(&self) -> &Path {
        Scenario::file(self)
    }

    fn scenario(&self) -> Option<&Scenario> {
        Some(self)
    }
}
