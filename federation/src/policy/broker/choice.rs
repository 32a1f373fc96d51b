//! Choosing a cloud for a request by cost, speed or energy under a deadline and budget.
//!
//! A request runs on `vms` VMs in parallel, each executing `work_mi` million instructions.
//! On a cloud whose VMs run at `mips`, that takes `work_mi / mips` seconds after the cloud's
//! provisioning delay; the request finishes at `now + provisioning + run`. Each VM is billed
//! from its request for whole billing periods: `vms × ⌈(provisioning + run) / period⌉ ×
//! price` (at least one period). Energy is `vms × energy_per_hour × run` in hours (kWh or
//! gCO₂, whichever unit the clouds share).
//!
//! A cloud is feasible when its quota has room for the VMs, the request finishes by its
//! deadline and the cost fits its budget (checked in that order; the first failure is the
//! cloud's reason). The [`Goal`] picks among the feasible: cheapest, fastest or greenest, each
//! tie broken by the other two measures and then by name.

use std::cmp::Ordering;
use std::fmt;

use orrery_engine::time::Millis;
use serde::{Deserialize, Serialize};

/// What a cloud offers for one VM type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudOffer {
    /// The cloud's name.
    pub name: String,
    /// Price of one VM for one billing period.
    pub price_per_period: f64,
    /// Billing period, ms.
    pub billing_period: Millis,
    /// Time from a VM's request until it runs, ms.
    pub provisioning_delay: Millis,
    /// Speed of one VM, million instructions per second.
    pub mips: f64,
    /// Energy (or carbon) per VM-hour of running.
    pub energy_per_hour: f64,
    /// VMs the requester may still start there.
    pub quota_left: u32,
}

/// A request to run somewhere in the federation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    /// Work per VM, million instructions.
    pub work_mi: f64,
    /// VMs, running in parallel.
    pub vms: u32,
    /// When it must be finished, ms.
    pub deadline: Millis,
    /// Most it may cost.
    pub budget: f64,
}

/// What running a request on a cloud would give.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The cloud.
    pub cloud: String,
    /// When the request would finish, ms.
    pub finish: Millis,
    /// What it would cost.
    pub cost: f64,
    /// Energy (or carbon) it would use.
    pub energy: f64,
}

/// Which feasible cloud to prefer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Least cost.
    #[default]
    Cheapest,
    /// Earliest finish.
    Fastest,
    /// Least energy or carbon.
    Greenest,
}

/// Why a cloud cannot take a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Unfit {
    /// Not enough quota left.
    Quota {
        /// VMs needed.
        need: u32,
        /// VMs left.
        left: u32,
    },
    /// It would finish after the deadline.
    Deadline {
        /// Finish time, ms.
        finish: Millis,
        /// Deadline, ms.
        deadline: Millis,
    },
    /// It would cost more than the budget.
    Budget {
        /// Cost.
        cost: f64,
        /// Budget.
        budget: f64,
    },
}

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unfit::Quota { need, left } => write!(f, "needs {need} VMs, quota has {left} left"),
            Unfit::Deadline { finish, deadline } => {
                write!(
                    f,
                    "would finish at {finish} ms, after the deadline {deadline} ms"
                )
            }
            Unfit::Budget { cost, budget } => {
                write!(f, "would cost {cost}, over the budget {budget}")
            }
        }
    }
}

/// No cloud can take the request: each cloud with its reason, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Infeasible(pub Vec<(String, Unfit)>);

impl fmt::Display for Infeasible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no feasible cloud")?;
        for (i, (cloud, why)) in self.0.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{cloud} {why}")?;
        }
        Ok(())
    }
}

/// What running `request` on `cloud`, starting at `now`, would give.
pub fn estimate(cloud: &CloudOffer, request: &Request, now: Millis) -> Estimate {
    let run_ms = (request.work_mi / cloud.mips * 1000.0).ceil() as Millis;
    let billed = cloud.provisioning_delay + run_ms;
    let periods = billed.div_ceil(cloud.billing_period.max(1)).max(1);
    let vms = f64::from(request.vms);
    Estimate {
        cloud: cloud.name.clone(),
        finish: now + billed,
        cost: vms * periods as f64 * cloud.price_per_period,
        energy: vms * cloud.energy_per_hour * run_ms as f64 / 3_600_000.0,
    }
}

/// Why `cloud` cannot take `request` (see the module doc for the order), or `None`.
pub fn unfit(cloud: &CloudOffer, request: &Request, est: &Estimate) -> Option<Unfit> {
    if cloud.quota_left < request.vms {
        Some(Unfit::Quota {
            need: request.vms,
            left: cloud.quota_left,
        })
    } else if est.finish > request.deadline {
        Some(Unfit::Deadline {
            finish: est.finish,
            deadline: request.deadline,
        })
    } else if est.cost > request.budget {
        Some(Unfit::Budget {
            cost: est.cost,
            budget: request.budget,
        })
    } else {
        None
    }
}

/// The estimates of the clouds that can serve `request` at `now`, in the order given, and
/// why each other cloud cannot.
pub fn feasible(
    clouds: &[CloudOffer],
    request: &Request,
    now: Millis,
) -> (Vec<Estimate>, Vec<(String, Unfit)>) {
    let mut feasible = Vec::new();
    let mut reasons = Vec::new();
    for c in clouds {
        let est = estimate(c, request, now);
        match unfit(c, request, &est) {
            Some(why) => reasons.push((c.name.clone(), why)),
            None => feasible.push(est),
        }
    }
    (feasible, reasons)
}

/// The best feasible cloud for `request` at `now` under `goal`, or every cloud's reason.
pub fn choose(
    clouds: &[CloudOffer],
    request: &Request,
    now: Millis,
    goal: Goal,
) -> Result<Estimate, Infeasible> {
    let (feasible, reasons) = feasible(clouds, request, now);
    let by = |a: &Estimate, b: &Estimate| -> Ordering {
        let cost = a.cost.total_cmp(&b.cost);
        let time = a.finish.cmp(&b.finish);
        let energy = a.energy.total_cmp(&b.energy);
        let first = match goal {
            Goal::Cheapest => cost.then(time).then(energy),
            Goal::Fastest => time.then(cost).then(energy),
            Goal::Greenest => energy.then(cost).then(time),
        };
        first.then_with(|| a.cloud.cmp(&b.cloud))
    };
    feasible.into_iter().min_by(by).ok_or(Infeasible(reasons))
}
