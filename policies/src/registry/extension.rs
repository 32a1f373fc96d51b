//! Policies from outside orrery. An extension (a Rust crate, or a Python class through the
//! `orrery` Python package) registers a policy by name with its typed parameters; from then on
//! a scenario or live config names it like a built-in one (`placement = "my-policy"`, its
//! parameters under `[policies.params.my-policy]`), and everything that builds a cloud OS
//! through [`cloud_os`](super::cloud_os) — runs, sweeps, comparisons, benches, federation sites,
//! live mode — builds it too. `orrery policies` lists it with its parameters.
//!
//! The registry is process-wide: a program registers its extensions at start-up (see
//! `orrery::cli::main_with`), before any scenario is read. It holds factories, never policy
//! state, so runs stay independent and deterministic.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use orrery_engine::error::InputError;
use orrery_engine::policy::{Admission, Elasticity, Placement, PolicyConfig, Reallocation};

pub use super::catalogue::Kind;
use super::catalogue::{builtin_names, Param, Policy, Section};

/// A parameter value, as a scenario gives it (or as its default).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A finite float (an integer in the file is accepted for a float parameter).
    Float(f64),
    /// An integer.
    Integer(i64),
    /// `true` or `false`.
    Boolean(bool),
    /// A string.
    String(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// The type of a parameter and the values it accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    /// A float in `min..=max`.
    Float {
        /// Least value accepted.
        min: f64,
        /// Greatest value accepted.
        max: f64,
    },
    /// An integer in `min..=max`.
    Integer {
        /// Least value accepted.
        min: i64,
        /// Greatest value accepted.
        max: i64,
    },
    /// `true` or `false`.
    Boolean,
    /// One of `choices` (any string when empty).
    String {
        /// The strings accepted.
        choices: Vec<String>,
    },
}

impl ParamKind {
    fn name(&self) -> &'static str {
        match self {
            ParamKind::Float { .. } => "float",
            ParamKind::Integer { .. } => "integer",
            ParamKind::Boolean => "boolean",
            ParamKind::String { .. } => "string",
        }
    }

    fn article(&self) -> &'static str {
        match self {
            ParamKind::Integer { .. } => "an integer",
            ParamKind::Float { .. } => "a float",
            ParamKind::Boolean => "a boolean",
            ParamKind::String { .. } => "a string",
        }
    }

    fn range(&self) -> String {
        match self {
            ParamKind::Float { min, max } => format!("{min:?} ..= {max:?}"),
            ParamKind::Integer { min, max } => format!("{min} ..= {max}"),
            ParamKind::Boolean => "true | false".into(),
            ParamKind::String { choices } if choices.is_empty() => "any string".into(),
            ParamKind::String { choices } => choices.join(" | "),
        }
    }

    /// `value` checked against this kind (an integer widened to a float parameter).
    fn accept(&self, value: &toml::Value) -> Result<Value, String> {
        let v = match (self, value) {
            (ParamKind::Float { .. }, toml::Value::Float(x)) => Value::Float(*x),
            (ParamKind::Float { .. }, toml::Value::Integer(i)) => Value::Float(*i as f64),
            (ParamKind::Integer { .. }, toml::Value::Integer(i)) => Value::Integer(*i),
            (ParamKind::Boolean, toml::Value::Boolean(b)) => Value::Boolean(*b),
            (ParamKind::String { .. }, toml::Value::String(s)) => Value::String(s.clone()),
            (kind, other) => {
                return Err(format!(
                    "expected {}, found {} `{other}`",
                    kind.article(),
                    other.type_str()
                ))
            }
        };
        self.check(&v).map(|()| v)
    }

    /// Whether `value` (of this kind) is in range.
    fn check(&self, value: &Value) -> Result<(), String> {
        let ok = match (self, value) {
            (ParamKind::Float { min, max }, Value::Float(x)) => {
                x.is_finite() && *min <= *x && *x <= *max
            }
            (ParamKind::Integer { min, max }, Value::Integer(i)) => *min <= *i && *i <= *max,
            (ParamKind::Boolean, Value::Boolean(_)) => true,
            (ParamKind::String { choices }, Value::String(s)) => {
                choices.is_empty() || choices.contains(s)
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("`{value}` is out of range ({})", self.range()))
        }
    }
}

/// One parameter an extension policy reads from `[policies.params.NAME]`: its key, type and
/// range, default and meaning — documented in `orrery policies` like a built-in one.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The key.
    pub key: String,
    /// Its type and range.
    pub kind: ParamKind,
    /// Its value when the scenario does not set it.
    pub default: Value,
    /// What it does.
    pub meaning: String,
}

impl ParamSpec {
    /// A float parameter in `min..=max`.
    pub fn float(key: &str, default: f64, min: f64, max: f64, meaning: &str) -> ParamSpec {
        ParamSpec::new(
            key,
            ParamKind::Float { min, max },
            Value::Float(default),
            meaning,
        )
    }

    /// An integer parameter in `min..=max`.
    pub fn integer(key: &str, default: i64, min: i64, max: i64, meaning: &str) -> ParamSpec {
        ParamSpec::new(
            key,
            ParamKind::Integer { min, max },
            Value::Integer(default),
            meaning,
        )
    }

    /// A boolean parameter.
    pub fn boolean(key: &str, default: bool, meaning: &str) -> ParamSpec {
        ParamSpec::new(key, ParamKind::Boolean, Value::Boolean(default), meaning)
    }

    /// A string parameter taking one of `choices` (any string when empty).
    pub fn string(key: &str, default: &str, choices: &[&str], meaning: &str) -> ParamSpec {
        let choices = choices.iter().map(|c| c.to_string()).collect();
        ParamSpec::new(
            key,
            ParamKind::String { choices },
            Value::String(default.into()),
            meaning,
        )
    }

    /// A parameter of any kind.
    pub fn new(key: &str, kind: ParamKind, default: Value, meaning: &str) -> ParamSpec {
        ParamSpec {
            key: key.into(),
            kind,
            default,
            meaning: meaning.into(),
        }
    }
}

/// The parameters an extension policy is built with: every declared key, set by the scenario
/// or defaulted, each of its declared type and in its range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(BTreeMap<String, Value>);

impl Params {
    /// The value of `key` (`None` for a key the extension did not declare).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Every parameter, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The float parameter `key`.
    ///
    /// # Panics
    /// When the extension did not declare `key` as a float: a bug in the extension, not in
    /// the scenario (the scenario's values are checked against the declarations).
    pub fn float(&self, key: &str) -> f64 {
        match self.get(key) {
            Some(Value::Float(x)) => *x,
            _ => undeclared(key, "float"),
        }
    }

    /// The integer parameter `key` (panics like [`float`](Self::float)).
    pub fn integer(&self, key: &str) -> i64 {
        match self.get(key) {
            Some(Value::Integer(i)) => *i,
            _ => undeclared(key, "integer"),
        }
    }

    /// The boolean parameter `key` (panics like [`float`](Self::float)).
    pub fn boolean(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Boolean(b)) => *b,
            _ => undeclared(key, "boolean"),
        }
    }

    /// The string parameter `key` (panics like [`float`](Self::float)).
    pub fn string(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Value::String(s)) => s,
            _ => undeclared(key, "string"),
        }
    }
}

fn undeclared(key: &str, kind: &str) -> ! {
    panic!("extension policy reads parameter `{key}` as a {kind}, but did not declare it so")
}

/// What a factory builds a policy from: its checked parameters and the configuration (a
/// scenario or a live config: its VM types, its thermal model, `[policies]`).
pub struct Context<'a> {
    /// The policy's parameters.
    pub params: &'a Params,
    /// The configuration that names the policy.
    pub config: &'a dyn PolicyConfig,
}

type Build<T> = Arc<dyn Fn(&Context) -> Result<T, String> + Send + Sync>;

/// A factory of one kind of policy.
#[derive(Clone)]
enum Factory {
    Placement(Build<Box<dyn Placement>>),
    Reallocation(Build<Box<dyn Reallocation>>),
    Admission(Build<Box<dyn Admission>>),
    Elasticity(Build<Box<dyn Elasticity>>),
}

impl Factory {
    fn kind(&self) -> Kind {
        match self {
            Factory::Placement(_) => Kind::Placement,
            Factory::Reallocation(_) => Kind::Reallocation,
            Factory::Admission(_) => Kind::Admission,
            Factory::Elasticity(_) => Kind::Elasticity,
        }
    }
}

/// A policy an extension registers: its name, what it does, its parameters and its factory.
/// The factory is called once per run (and per federation site), after the parameters are
/// checked; an `Err` is reported as an error located at the policy's name in the file.
#[derive(Clone)]
pub struct Extension {
    name: String,
    description: String,
    needs: Option<String>,
    params: Vec<ParamSpec>,
    factory: Factory,
    /// Its catalogue entry, made once when it is registered.
    entry: OnceLock<Policy>,
}

impl Extension {
    fn new(name: &str, description: &str, factory: Factory) -> Extension {
        Extension {
            name: name.into(),
            description: description.into(),
            needs: None,
            params: Vec::new(),
            factory,
            entry: OnceLock::new(),
        }
    }

    /// A placement policy named `name`.
    pub fn placement<P, F>(name: &str, description: &str, build: F) -> Extension
    where
        P: Placement + 'static,
        F: Fn(&Context) -> Result<P, String> + Send + Sync + 'static,
    {
        let build: Build<Box<dyn Placement>> =
            Arc::new(move |cx| build(cx).map(|p| Box::new(p) as Box<dyn Placement>));
        Extension::new(name, description, Factory::Placement(build))
    }

    /// A reallocation policy named `name`.
    pub fn reallocation<P, F>(name: &str, description: &str, build: F) -> Extension
    where
        P: Reallocation + 'static,
        F: Fn(&Context) -> Result<P, String> + Send + Sync + 'static,
    {
        let build: Build<Box<dyn Reallocation>> =
            Arc::new(move |cx| build(cx).map(|p| Box::new(p) as Box<dyn Reallocation>));
        Extension::new(name, description, Factory::Reallocation(build))
    }

    /// An admission policy named `name`.
    pub fn admission<P, F>(name: &str, description: &str, build: F) -> Extension
    where
        P: Admission + 'static,
        F: Fn(&Context) -> Result<P, String> + Send + Sync + 'static,
    {
        let build: Build<Box<dyn Admission>> =
            Arc::new(move |cx| build(cx).map(|p| Box::new(p) as Box<dyn Admission>));
        Extension::new(name, description, Factory::Admission(build))
    }

    /// An elasticity policy named `name`.
    pub fn elasticity<P, F>(name: &str, description: &str, build: F) -> Extension
    where
        P: Elasticity + 'static,
        F: Fn(&Context) -> Result<P, String> + Send + Sync + 'static,
    {
        let build: Build<Box<dyn Elasticity>> =
            Arc::new(move |cx| build(cx).map(|p| Box::new(p) as Box<dyn Elasticity>));
        Extension::new(name, description, Factory::Elasticity(build))
    }

    /// This policy with one more parameter.
    pub fn param(mut self, spec: ParamSpec) -> Extension {
        self.params.push(spec);
        self
    }

    /// This policy, noting what a scenario must also have for it (shown by `orrery policies`).
    pub fn needs(mut self, what: &str) -> Extension {
        self.needs = Some(what.into());
        self
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.factory.kind()
    }

    /// Its catalogue entry (as `orrery policies` prints it).
    pub fn describe(&self) -> Policy {
        *self.entry.get_or_init(|| self.entry())
    }

    fn entry(&self) -> Policy {
        catalogue_entry(
            &self.name,
            &self.description,
            self.needs.as_deref(),
            &format!("[policies.params.{}]", self.name),
            &self.params,
        )
    }
}

impl fmt::Debug for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extension")
            .field("name", &self.name)
            .field("kind", &self.kind())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

static REGISTRY: RwLock<BTreeMap<(Kind, String), Extension>> = RwLock::new(BTreeMap::new());

fn registry() -> std::sync::RwLockReadGuard<'static, BTreeMap<(Kind, String), Extension>> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner())
}

/// Registers `extension`. Its name may not be a built-in policy's of the same kind nor an
/// already registered extension's (call [`unregister`] first to replace one).
pub fn register(extension: Extension) -> Result<(), String> {
    check_declarations(&extension.name, &extension.params)?;
    let kind = extension.kind();
    let name = &extension.name;
    if builtin_names(kind).contains(&name.as_str()) {
        return Err(format!(
            "`{name}` is a built-in {} policy: choose another name",
            kind.key()
        ));
    }
    let mut map = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let key = (kind, name.clone());
    if map.contains_key(&key) {
        return Err(format!(
            "a {} policy named `{name}` is already registered",
            kind.key()
        ));
    }
    extension.describe();
    map.insert(key, extension);
    Ok(())
}

/// Removes the extension of `kind` named `name`; whether there was one.
pub fn unregister(kind: Kind, name: &str) -> bool {
    let mut map = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    map.remove(&(kind, name.to_string())).is_some()
}

/// The registered extensions of `kind`, by name.
pub fn registered(kind: Kind) -> Vec<Extension> {
    registry()
        .values()
        .filter(|e| e.kind() == kind)
        .cloned()
        .collect()
}

fn find(kind: Kind, name: &str) -> Option<Extension> {
    registry().get(&(kind, name.to_string())).cloned()
}

/// The parameters of `extension` a configuration sets, checked against its declarations and
/// completed with the defaults.
fn params(config: &dyn PolicyConfig, extension: &Extension) -> Result<Params, InputError> {
    let name = &extension.name;
    check_params(
        name,
        &extension.params,
        config.policies().params.get(name),
        &format!("policies.params.{name}"),
        &|key, message| config.error_at(key, message),
    )
}

/// The parameters `given` (the table at `key`, absent when the file has none) of the policy
/// `name` that declares `specs`: each checked against its declaration — unknown keys, types
/// and ranges are errors located by `error_at` — and the rest defaulted. Federation routers
/// check theirs here too.
pub fn check_params(
    name: &str,
    specs: &[ParamSpec],
    given: Option<&toml::Table>,
    key: &str,
    error_at: &dyn Fn(&str, String) -> InputError,
) -> Result<Params, InputError> {
    if let Some(table) = given {
        for k in table.keys() {
            if !specs.iter().any(|p| &p.key == k) {
                let known: Vec<&str> = specs.iter().map(|p| p.key.as_str()).collect();
                let hint = if known.is_empty() {
                    format!("`{name}` takes no parameters: remove [{key}]")
                } else {
                    format!("`{name}` reads: {}", known.join(", "))
                };
                return Err(error_at(
                    &format!("{key}.{k}"),
                    format!("unknown parameter `{k}` of policy `{name}`"),
                )
                .hint(hint));
            }
        }
    }
    let mut values = BTreeMap::new();
    for spec in specs {
        let value = match given.and_then(|t| t.get(&spec.key)) {
            Some(v) => spec.kind.accept(v).map_err(|e| {
                error_at(&format!("{key}.{}", spec.key), e).hint(format!(
                    "{}: {}",
                    spec.meaning,
                    spec.kind.range()
                ))
            })?,
            None => spec.default.clone(),
        };
        values.insert(spec.key.clone(), value);
    }
    Ok(Params(values))
}

/// Checks a policy's declarations: a valid name, unique keys, defaults of their kind in range.
pub fn check_declarations(name: &str, params: &[ParamSpec]) -> Result<(), String> {
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !valid(name) {
        return Err(format!(
            "extension policy name `{name}` must be letters, digits, `-` or `_`"
        ));
    }
    for (i, p) in params.iter().enumerate() {
        if !valid(&p.key) {
            return Err(format!(
                "parameter `{}` of `{name}` must be letters, digits, `-` or `_`",
                p.key
            ));
        }
        if params[..i].iter().any(|q| q.key == p.key) {
            return Err(format!("parameter `{}` of `{name}` declared twice", p.key));
        }
        p.kind
            .check(&p.default)
            .map_err(|e| format!("default of `{}` of `{name}`: {e}", p.key))?;
    }
    Ok(())
}

/// The catalogue entry of a policy named `name` described by `description`, reading `params`
/// from `section`, made with strings that live as long as the program (call it once per
/// registration).
pub fn catalogue_entry(
    name: &str,
    description: &str,
    needs: Option<&str>,
    section: &str,
    params: &[ParamSpec],
) -> Policy {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let params: Vec<Param> = params
        .iter()
        .map(|p| Param {
            key: leak(p.key.clone()),
            kind: p.kind.name(),
            default: leak(p.default.to_string()),
            range: leak(p.kind.range()),
            meaning: leak(p.meaning.clone()),
        })
        .collect();
    let sections: &'static [Section] = if params.is_empty() {
        &[]
    } else {
        Box::leak(Box::new([Section {
            section: leak(section.to_string()),
            params: Box::leak(params.into_boxed_slice()),
        }]))
    };
    Policy {
        name: leak(name.to_string()),
        description: leak(description.to_string()),
        needs: needs.map(|n| leak(n.to_string())),
        sections,
    }
}

/// Builds the extension of `kind` named `name`, if one is registered: `None` when none is,
/// else the policy or a located error (a bad parameter, or the factory's refusal).
fn build<T>(
    config: &dyn PolicyConfig,
    kind: Kind,
    name: &str,
    pick: impl Fn(&Factory) -> Option<&Build<T>>,
) -> Option<Result<T, InputError>> {
    let extension = find(kind, name)?;
    let factory = pick(&extension.factory).expect("registry keyed by kind");
    Some(params(config, &extension).and_then(|params| {
        factory(&Context {
            params: &params,
            config,
        })
        .map_err(|e| {
            config
                .error_at(&format!("policies.{}", kind.key()), e)
                .hint(format!("policy `{name}` refused its configuration"))
        })
    }))
}

/// The registered placement policy `name`, built for `config`.
pub(super) fn placement(
    config: &dyn PolicyConfig,
    name: &str,
) -> Option<Result<Box<dyn Placement>, InputError>> {
    build(config, Kind::Placement, name, |f| match f {
        Factory::Placement(b) => Some(b),
        _ => None,
    })
}

/// The registered reallocation policy `name`, built for `config`.
pub(super) fn reallocation(
    config: &dyn PolicyConfig,
    name: &str,
) -> Option<Result<Box<dyn Reallocation>, InputError>> {
    build(config, Kind::Reallocation, name, |f| match f {
        Factory::Reallocation(b) => Some(b),
        _ => None,
    })
}

/// The registered admission policy `name`, built for `config`.
pub(super) fn admission(
    config: &dyn PolicyConfig,
    name: &str,
) -> Option<Result<Box<dyn Admission>, InputError>> {
    build(config, Kind::Admission, name, |f| match f {
        Factory::Admission(b) => Some(b),
        _ => None,
    })
}

/// The registered elasticity policy `name`, built for `config`.
pub(super) fn elasticity(
    config: &dyn PolicyConfig,
    name: &str,
) -> Option<Result<Box<dyn Elasticity>, InputError>> {
    build(config, Kind::Elasticity, name, |f| match f {
        Factory::Elasticity(b) => Some(b),
        _ => None,
    })
}

/// Checks that every `[policies.params.NAME]` table belongs to an extension the
/// configuration names (a table for another name is a typo).
pub(super) fn check_params_used(config: &dyn PolicyConfig) -> Result<(), InputError> {
    let p = config.policies();
    let named = [
        Some(p.placement.as_str()),
        Some(p.reallocation.as_str()),
        p.admission.as_deref(),
        p.elasticity.as_deref(),
    ];
    for name in p.params.keys() {
        if registry().keys().all(|(_, n)| n != name) {
            return Err(config
                .error_at(
                    &format!("policies.params.{name}"),
                    format!("parameters for `{name}`, which is not an extension policy"),
                )
                .hint(
                    "[policies.params.NAME] sets an extension's parameters; a built-in \
                     policy's are set in its own section (see `orrery policies`)",
                ));
        }
        if !named.contains(&Some(name.as_str())) {
            return Err(config
                .error_at(
                    &format!("policies.params.{name}"),
                    format!("parameters for `{name}`, which no [policies] key names"),
                )
                .hint("name the policy in [policies] or remove its parameters"));
        }
    }
    Ok(())
}
