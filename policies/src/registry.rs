//! Policies by name: the names scenario files (and live-mode configs) use. Every builder takes
//! any [`PolicyConfig`], so the simulator, live mode and every federation site build their
//! cloud OS the same way: through [`cloud_os`].

use orrery_engine::control::CloudOs;
use orrery_engine::error::InputError;
use orrery_engine::policy::{Admission, Elasticity, Placement, PolicyConfig, Reallocation};
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::Scenario;

use crate::balance::{Balance, BalanceKind};
use crate::consolidation::{CarbonAware, Consolidation, Detector, Selection};
use crate::constraints::Requirements;
use crate::elasticity::manager::ServiceElasticity;
use crate::expr::{Dialect, Rank, Weigher};
use crate::governor::Governor;
use crate::placement::index::Order;
use crate::placement::rank::Ranked;
use crate::placement::Greedy;
use crate::tenancy::admission::TenancyAdmission;

mod catalogue;
pub mod extension;
#[cfg(test)]
mod tests;

pub use catalogue::Kind;

pub use catalogue::{
    builtin_names, names, Param, Policy, Section, ADMISSION, CONSOLIDATION, CPU_BALANCE,
    ELASTICITY, PLACEMENTS, RANK, REALLOCATIONS, ROUNDS, SHARED, THERMAL_BALANCE, WORKLOAD_BALANCE,
};

/// The cloud OS a configuration describes: its placement and reallocation policies and, for a
/// scenario with services, its service manager (admission and elasticity), each drawing from
/// its own stream of `seed`. `orrery run`, `orrery live` and every private site of a
/// federation build theirs here.
pub fn cloud_os(config: &dyn PolicyConfig, seed: u64) -> Result<CloudOs, InputError> {
    let placement = placement(config)?;
    let reallocation = reallocation(config)?;
    let (admission, elasticity) = service_policies(config)?;
    extension::check_params_used(config)?;
    Ok(
        CloudOs::new(placement, reallocation, &RngStreams::new(seed))
            .with_services(admission, elasticity),
    )
}

/// The placement policy a configuration names.
pub fn placement(config: &dyn PolicyConfig) -> Result<Box<dyn Placement>, InputError> {
    let name = config.policies().placement.as_str();
    let order = match name {
        "first-fit" => Order::FirstFit,
        "packing" => Order::Packing,
        "striping" | "workload-balance" => Order::Striping,
        "load-aware" | "cpu-balance" => Order::LoadAware,
        "coolest" | "coolest-inlet" => {
            needs_thermal(config, "policies.placement", name)?;
            if name == "coolest" {
                Order::Coolest
            } else {
                Order::CoolestInlet
            }
        }
        "pabfd" => return Ok(Box::new(consolidation(config)?)),
        "rank" => return ranked(config).map(|p| Box::new(p) as Box<dyn Placement>),
        _ => {
            return extension::placement(config, name)
                .unwrap_or_else(|| Err(unknown(config, Kind::Placement, name)))
        }
    };
    Ok(Box::new(Greedy::new(order, requirements(config)?)))
}

/// The reallocation policy a configuration names (`None` for `"none"`).
pub fn reallocation(
    config: &dyn PolicyConfig,
) -> Result<Option<Box<dyn Reallocation>>, InputError> {
    let name = config.policies().reallocation.as_str();
    let kind = match name {
        "none" => return Ok(None),
        "consolidation" => return Ok(Some(Box::new(consolidation(config)?))),
        "workload-balance" => BalanceKind::Workload,
        "cpu-balance" => BalanceKind::Cpu,
        "thermal-balance" => {
            needs_thermal(config, "policies.reallocation", name)?;
            BalanceKind::Thermal
        }
        _ => {
            return extension::reallocation(config, name)
                .map(|r| r.map(Some))
                .unwrap_or_else(|| Err(unknown(config, Kind::Reallocation, name)))
        }
    };
    Ok(Some(Box::new(Balance::new(
        kind,
        config.policies().balance.clone(),
        requirements(config)?,
        governor(config),
    ))))
}

fn governor(config: &dyn PolicyConfig) -> Governor {
    let p = &config.policies();
    Governor::new(p.migration_budget, p.cooldown_rounds)
}

fn needs_thermal(config: &dyn PolicyConfig, key: &str, name: &str) -> Result<(), InputError> {
    if !config.has_thermal() {
        return Err(config
            .error_at(key, format!("policy `{name}` needs host temperatures"))
            .hint("add a [thermal] section with supply_c and redline_c"));
    }
    Ok(())
}

/// The `rank` placement of a scenario (`[policies.rank]`).
fn ranked(config: &dyn PolicyConfig) -> Result<Ranked, InputError> {
    let dialect = config.policies().expressions;
    let r = &config.policies().rank;
    let rank = r
        .rank
        .as_deref()
        .map(|src| Rank::parse_in(src, dialect))
        .transpose()
        .map_err(|e| {
            config
                .error_at("policies.rank.rank", format!("bad rank expression: {e}"))
                .hint(match dialect {
                    Dialect::Orrery => {
                        "OpenNebula SCHED_RANK syntax, e.g. FREE_CPU - 10 * RUNNING_VMS"
                    }
                    Dialect::OpenNebula => {
                        "OpenNebula's expr_arith.y (expressions = \"opennebula\"), e.g. \
                         FREE_CPU - 10 * RUNNING_VMS"
                    }
                })
        })?;
    let weighers = r
        .weighers
        .iter()
        .map(|w| Weigher {
            attribute: w.attribute.to_uppercase(),
            multiplier: w.multiplier,
        })
        .collect();
    Ok(Ranked::new(requirements(config)?, rank, weighers))
}

/// The consolidation parameters of a scenario (`[policies.consolidation]`).
pub fn consolidation(config: &dyn PolicyConfig) -> Result<Consolidation, InputError> {
    let c = &config.policies().consolidation;
    let detector = Detector::from_name(&c.detector, c.parameter).ok_or_else(|| {
        config
            .error_at(
                "policies.consolidation.detector",
                format!("unknown overload detector `{}`", c.detector),
            )
            .hint("use one of: thr, iqr, mad, lr, lrr")
    })?;
    let selection = Selection::from_name(&c.selection).ok_or_else(|| {
        config
            .error_at(
                "policies.consolidation.selection",
                format!("unknown VM selection `{}`", c.selection),
            )
            .hint("use one of: mmt, mc, mu, rs")
    })?;
    if !(c.parameter.is_finite() && c.parameter >= 0.0) {
        return Err(err(
            config,
            "policies.consolidation.parameter",
            "must be zero or positive",
        ));
    }
    let mut policy = Consolidation::new(detector, selection);
    if let Some(a) = &c.carbon {
        let key = "policies.consolidation.carbon";
        if !(a.low_g_per_kwh.is_finite()
            && a.high_g_per_kwh.is_finite()
            && a.low_g_per_kwh >= 0.0
            && a.high_g_per_kwh > a.low_g_per_kwh)
        {
            return Err(err(
                config,
                &format!("{key}.high_g_per_kwh"),
                "low_g_per_kwh and high_g_per_kwh must be numbers with 0 ≤ low < high",
            ));
        }
        for (k, p) in [
            ("parameter_at_low", a.parameter_at_low),
            ("parameter_at_high", a.parameter_at_high),
        ] {
            if !(p.is_finite() && p >= 0.0) {
                return Err(err(
                    config,
                    &format!("{key}.{k}"),
                    "must be zero or positive",
                ));
            }
        }
        policy.carbon = Some(CarbonAware {
            low: a.low_g_per_kwh,
            high: a.high_g_per_kwh,
            at_low: a.parameter_at_low,
            at_high: a.parameter_at_high,
        });
    }
    policy.requirements = requirements(config)?;
    policy.governor = governor(config);
    Ok(policy)
}

/// The requirement expressions of a scenario's VM types and of `[policies.rank]`, parsed in
/// the dialect `[policies] expressions` names; a syntax error names the key and the column.
pub fn requirements(config: &dyn PolicyConfig) -> Result<Requirements, InputError> {
    let p = config.policies();
    let global = p.rank.requirements.as_deref();
    Requirements::parse(&config.vm_types(), global, p.expressions).map_err(|(i, e)| {
        let key = match i {
            Some(i) => format!("vm_types.{i}.requirements"),
            None => "policies.rank.requirements".into(),
        };
        config
            .error_at(&key, format!("bad requirements expression: {e}"))
            .hint(match p.expressions {
                Dialect::Orrery => "OpenNebula syntax, e.g. HYPERVISOR = \"kvm\" & FREE_CPU > 2000 (strings in double quotes)",
                Dialect::OpenNebula => "OpenNebula's expr_bool.y (expressions = \"opennebula\"), e.g. HYPERVISOR = kvm & FREE_CPU > 2000",
            })
    })
}

fn unknown(config: &dyn PolicyConfig, kind: Kind, name: &str) -> InputError {
    let mut known: Vec<String> = builtin_names(kind).iter().map(|n| n.to_string()).collect();
    known.extend(
        extension::registered(kind)
            .iter()
            .map(|e| e.name().to_string()),
    );
    config
        .error_at(
            &format!("policies.{}", kind.key()),
            format!("unknown policy `{name}`"),
        )
        .hint(format!("use one of: {}", known.join(", ")))
}

/// The catalogue entries of `kind`: the built-in policies, then the registered extensions.
pub fn catalogue(kind: Kind) -> Vec<Policy> {
    let builtin: &[Policy] = match kind {
        Kind::Placement => PLACEMENTS,
        Kind::Reallocation => REALLOCATIONS,
        Kind::Admission => ADMISSION,
        Kind::Elasticity => ELASTICITY,
    };
    let mut all = builtin.to_vec();
    all.extend(extension::registered(kind).iter().map(|e| e.describe()));
    all
}

/// An error about `key`, located in the configuration's file.
fn err(config: &dyn PolicyConfig, key: &str, message: impl Into<String>) -> InputError {
    config.error_at(key, message.into())
}

/// The services' admission and elasticity policies: the service manager's for a scenario
/// (see [`service_manager`]), each replaced by the extension `[policies] admission` or
/// `elasticity` names.
#[allow(clippy::type_complexity)]
fn service_policies(
    config: &dyn PolicyConfig,
) -> Result<(Option<Box<dyn Admission>>, Option<Box<dyn Elasticity>>), InputError> {
    let (mut admission, mut elasticity) = match config.scenario() {
        Some(scenario) => {
            // The epoch is checked even when no rule reads it: a bad one is a typo to report.
            crate::elasticity::manager::epoch(scenario)?;
            service_manager(scenario)?
        }
        // Services without a scenario (a live config's, a decide state's) have no admission
        // control; they scale by their roles' rules.
        None => match config.standalone_services() {
            Some(services) => {
                let elasticity = ServiceElasticity::from_standalone(config, services)?;
                let elasticity: Option<Box<dyn Elasticity>> =
                    elasticity.has_rules().then(|| Box::new(elasticity) as _);
                (None, elasticity)
            }
            None => (None, None),
        },
    };
    let p = config.policies();
    if let Some(name) = p.admission.as_deref().filter(|&n| n != "tenancy") {
        let built = extension::admission(config, name)
            .unwrap_or_else(|| Err(unknown(config, Kind::Admission, name)))?;
        admission = Some(built);
    }
    if let Some(name) = p.elasticity.as_deref() {
        let built = extension::elasticity(config, name)
            .unwrap_or_else(|| Err(unknown(config, Kind::Elasticity, name)))?;
        elasticity = Some(built);
    }
    Ok((admission, elasticity))
}

/// The service manager's policies for `scenario`: admission control by tenancy and capacity
/// ([`TenancyAdmission`]) and the roles' elasticity rules ([`ServiceElasticity`], `None` when
/// no role has a rule); `(None, None)` for a scenario without services. Bad rules are located
/// errors.
#[allow(clippy::type_complexity)]
pub fn service_manager(
    scenario: &Scenario,
) -> Result<(Option<Box<dyn Admission>>, Option<Box<dyn Elasticity>>), InputError> {
    if scenario.spec.services.is_empty() {
        return Ok((None, None));
    }
    let admission = TenancyAdmission::from_scenario(scenario)?;
    let elasticity = ServiceElasticity::from_scenario(scenario)?;
    let elasticity: Option<Box<dyn Elasticity>> = if elasticity.has_rules() {
        Some(Box::new(elasticity))
    } else {
        None
    };
    Ok((Some(Box::new(admission)), elasticity))
}
