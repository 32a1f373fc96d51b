//! Bring your own policy: everything a crate needs to add policies to orrery and get the
//! whole CLI with them (docs/extending.md walks through an example).
//!
//! Implement a policy trait ([`Placement`], [`Reallocation`], [`Admission`], [`Elasticity`])
//! over the read-only [`ClusterView`] (or a federation [`Router`]), describe it as an
//! [`Extension`] (a [`RouterExtension`]) with its typed parameters, and hand it to
//! [`main_with`](crate::cli::main_with) from your `main`:
//!
//! ```no_run
//! use orrery::extend::*;
//!
//! /// Every VM on the first powered-on host.
//! struct FirstHost;
//!
//! impl Placement for FirstHost {
//!     fn place(&mut self, view: &ClusterView, pending: &[VmId], _: &mut Rng) -> Vec<Action> {
//!         let host = view.hosts.iter().position(|h| h.power == PowerState::On);
//!         pending
//!             .iter()
//!             .map(|&vm| match host {
//!                 Some(host) => Action::Deploy { vm, host },
//!                 None => Action::Reject { vm, reason: "no host is on".into() },
//!             })
//!             .collect()
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     orrery::cli::main_with([Extension::placement(
//!         "first-host",
//!         "every VM on the first powered-on host",
//!         |_| Ok(FirstHost),
//!     )])
//! }
//! ```

pub use orrery_engine::action::Action;
pub use orrery_engine::model::{PowerState, ServiceId, VmState};
pub use orrery_engine::policy::{Admission, Elasticity, Placement, PolicyConfig, Reallocation};
pub use orrery_engine::rng::Rng;
pub use orrery_engine::view::{ClusterView, HostId, HostView, VmId, VmView};
pub use orrery_federation::policy::broker::{Estimate, Request as BrokerRequest};
pub use orrery_federation::policy::router::{
    register_router, registered_routers, unregister_router, Router, RouterExtension,
};
pub use orrery_policies::registry::extension::{
    register, registered, unregister, Context, Extension, Kind, ParamKind, ParamSpec, Params, Value,
};

/// What an extension crate registers: a cloud-OS policy or a federation router.
pub enum Registration {
    /// A placement, reallocation, admission or elasticity policy.
    Policy(Extension),
    /// A broker's router among feasible clouds.
    Router(RouterExtension),
}

impl From<Extension> for Registration {
    fn from(e: Extension) -> Self {
        Registration::Policy(e)
    }
}

impl From<RouterExtension> for Registration {
    fn from(r: RouterExtension) -> Self {
        Registration::Router(r)
    }
}

impl Registration {
    /// Registers it, or says why the registry refuses it.
    pub fn register(self) -> Result<(), String> {
        let (name, result) = match self {
            Registration::Policy(e) => (e.name().to_string(), register(e)),
            Registration::Router(r) => (r.name().to_string(), register_router(r)),
        };
        result.map_err(|e| format!("cannot register `{name}`: {e}"))
    }
}
