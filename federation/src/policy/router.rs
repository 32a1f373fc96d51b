//! Routers from outside orrery: the broker architecture's choice among the clouds that can
//! serve a request, as an extension registers it (`[architecture] router = "NAME"`, its
//! parameters in `[architecture.params]`). The broker still estimates every reachable cloud and
//! drops those over quota, deadline or budget; the router picks among the rest — in place of the
//! built-in goals (`cheapest`, `fastest`, `greenest`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use orrery_engine::error::InputError;
use orrery_engine::time::Millis;
use orrery_policies::registry::extension::{
    catalogue_entry, check_declarations, check_params, ParamSpec, Params,
};
use orrery_policies::registry::Policy;

use super::broker::{Estimate, Request};

/// The broker's choice among feasible clouds.
pub trait Router: Send {
    /// The index in `feasible` (every cloud that meets `request`'s quota, deadline and
    /// budget, in site order, never empty) of the cloud to send it to, or `None` to reject it.
    fn choose(&mut self, feasible: &[Estimate], request: &Request, now: Millis) -> Option<usize>;
}

type Build = Arc<dyn Fn(&Params) -> Result<Box<dyn Router>, String> + Send + Sync>;

/// A router an extension registers: its name, what it does, its parameters and its factory
/// (called once per federation run with the checked parameters).
#[derive(Clone)]
pub struct RouterExtension {
    name: String,
    description: String,
    params: Vec<ParamSpec>,
    build: Build,
    entry: OnceLock<Policy>,
}

impl RouterExtension {
    /// A router named `name`.
    pub fn new<R, F>(name: &str, description: &str, build: F) -> RouterExtension
    where
        R: Router + 'static,
        F: Fn(&Params) -> Result<R, String> + Send + Sync + 'static,
    {
        RouterExtension {
            name: name.into(),
            description: description.into(),
            params: Vec::new(),
            build: Arc::new(move |p| build(p).map(|r| Box::new(r) as Box<dyn Router>)),
            entry: OnceLock::new(),
        }
    }

    /// This router with one more parameter.
    pub fn param(mut self, spec: ParamSpec) -> RouterExtension {
        self.params.push(spec);
        self
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its catalogue entry (as `orrery policies` prints it).
    pub fn describe(&self) -> Policy {
        *self.entry.get_or_init(|| {
            catalogue_entry(
                &self.name,
                &self.description,
                None,
                "[architecture.params]",
                &self.params,
            )
        })
    }
}

/// The built-in goals, which a router may not be named.
const GOALS: [&str; 3] = ["cheapest", "fastest", "greenest"];

static ROUTERS: RwLock<BTreeMap<String, RouterExtension>> = RwLock::new(BTreeMap::new());

/// Registers `router`; its name may not be a goal's or an already registered router's.
pub fn register_router(router: RouterExtension) -> Result<(), String> {
    check_declarations(&router.name, &router.params)?;
    if GOALS.contains(&router.name.as_str()) {
        return Err(format!("`{}` is a built-in broker goal", router.name));
    }
    let mut map = ROUTERS.write().unwrap_or_else(|e| e.into_inner());
    if map.contains_key(&router.name) {
        return Err(format!(
            "a router named `{}` is already registered",
            router.name
        ));
    }
    router.describe();
    map.insert(router.name.clone(), router);
    Ok(())
}

/// Removes the router named `name`; whether there was one.
pub fn unregister_router(name: &str) -> bool {
    let mut map = ROUTERS.write().unwrap_or_else(|e| e.into_inner());
    map.remove(name).is_some()
}

/// The registered routers, by name.
pub fn registered_routers() -> Vec<RouterExtension> {
    let map = ROUTERS.read().unwrap_or_else(|e| e.into_inner());
    map.values().cloned().collect()
}

/// A built router, shared by the clones of the run's request state.
#[derive(Clone)]
pub struct RouterSlot {
    /// The router's name (for the event log).
    pub name: String,
    router: Arc<Mutex<Box<dyn Router>>>,
}

impl std::fmt::Debug for RouterSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RouterSlot({})", self.name)
    }
}

impl RouterSlot {
    /// The router's choice (see [`Router::choose`]).
    pub fn choose(&self, feasible: &[Estimate], request: &Request, now: Millis) -> Option<usize> {
        let mut router = self.router.lock().unwrap_or_else(|e| e.into_inner());
        router.choose(feasible, request, now)
    }
}

/// Builds the router `name` with the parameters `given`, errors located by `error_at` at
/// `architecture.router` and `architecture.params`.
pub fn build(
    name: &str,
    given: &toml::Table,
    error_at: &dyn Fn(&str, String) -> InputError,
) -> Result<RouterSlot, InputError> {
    let router = {
        let map = ROUTERS.read().unwrap_or_else(|e| e.into_inner());
        map.get(name).cloned()
    };
    let Some(router) = router else {
        let known: Vec<String> = registered_routers()
            .iter()
            .map(|r| r.name.clone())
            .collect();
        let hint = if known.is_empty() {
            "no router is registered: use `goal` (cheapest, fastest, greenest), or register one \
             (docs/extending.md)"
                .to_string()
        } else {
            format!("registered routers: {}", known.join(", "))
        };
        return Err(error_at("architecture.router", format!("unknown router `{name}`")).hint(hint));
    };
    let params = check_params(
        name,
        &router.params,
        Some(given),
        "architecture.params",
        error_at,
    )?;
    let built = (router.build)(&params).map_err(|e| {
        error_at("architecture.router", e).hint(format!("router `{name}` refused its parameters"))
    })?;
    Ok(RouterSlot {
        name: name.to_string(),
        router: Arc::new(Mutex::new(built)),
    })
}
