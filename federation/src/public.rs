//! Public clouds: instance types for sale, per-type quotas, a provisioning delay, billing by
//! started period, and an idle instance kept (for reuse) until just before its period ends or
//! stopped at once. Nobody outside sees its hosts.

use crate::policy::broker::{CloudOffer, StopStrategy};
use orrery_engine::time::{from_secs, Millis};
use orrery_policies::bursting::billed_periods;

use crate::coupling::FederationError;
use crate::ids::{RequestId, WorkerId};
use crate::spec::{InstanceTypeSpec, StopSpec};

/// The cheapest (per second) of `types` holding `vcpus` and `memory_mb` (ties: file order).
pub fn cheapest_type(types: &[InstanceTypeSpec], vcpus: u32, memory_mb: f64) -> Option<usize> {
    (0..types.len())
        .filter(|&t| types[t].vcpus >= vcpus && types[t].memory_mb >= memory_mb)
        .min_by(|&a, &b| {
            let hourly = |t: usize| types[t].price_per_period / types[t].billing_period_s;
            hourly(a).total_cmp(&hourly(b)).then(a.cmp(&b))
        })
}

/// What a rented instance serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupant {
    /// A federation VM request.
    Request(RequestId),
    /// A SaaS worker.
    Worker(WorkerId),
}

/// One rented instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Index into the cloud's instance types.
    pub itype: usize,
    /// When it was requested (billing starts here), ms.
    pub requested: Millis,
    /// When it runs, ms.
    pub ready: Millis,
    /// What it serves, if anything.
    pub vm: Option<Occupant>,
    /// When it stops (set once it is idle), ms.
    pub stop_at: Option<Millis>,
}

/// A public cloud.
#[derive(Debug, Clone)]
pub struct PublicCloud {
    /// Its name.
    pub name: String,
    /// What it sells.
    pub types: Vec<InstanceTypeSpec>,
    /// When idle instances stop.
    strategy: StopStrategy,
    /// Every instance ever rented, by id.
    instances: Vec<Instance>,
}

impl PublicCloud {
    /// A cloud named `name` selling `types`, stopping idle instances as `stop` says.
    pub fn new(name: &str, types: &[InstanceTypeSpec], stop: StopSpec, margin_s: f64) -> Self {
        PublicCloud {
            name: name.to_string(),
            types: types.to_vec(),
            strategy: match stop {
                StopSpec::Immediate => StopStrategy::Immediate,
                StopSpec::PeriodEnd => StopStrategy::BeforePeriodEnd {
                    margin: from_secs(margin_s),
                },
            },
            instances: Vec::new(),
        }
    }

    fn period(&self, t: usize) -> Millis {
        from_secs(self.types[t].billing_period_s).max(1)
    }

    /// The cheapest instance type holding `vcpus` and `memory_mb` ([`cheapest_type`]).
    pub fn instance_type_for(&self, vcpus: u32, memory_mb: f64) -> Option<usize> {
        cheapest_type(&self.types, vcpus, memory_mb)
    }

    fn alive(&self, i: &Instance, now: Millis) -> bool {
        i.stop_at.is_none_or(|s| s > now)
    }

    /// Instances of type `t` not stopped at `now`.
    pub fn in_use(&self, t: usize, now: Millis) -> u32 {
        self.instances
            .iter()
            .filter(|i| i.itype == t && self.alive(i, now))
            .count() as u32
    }

    /// Instances of type `t` that may still be started at `now` (idle ones count as free).
    pub fn quota_left(&self, t: usize, now: Millis) -> u32 {
        let idle = self.idle(t, now).count() as u32;
        self.types[t].quota.saturating_sub(self.in_use(t, now)) + idle
    }

    fn idle(&self, t: usize, now: Millis) -> impl Iterator<Item = usize> + '_ {
        (0..self.instances.len()).filter(move |&k| {
            let i = &self.instances[k];
            i.itype == t && i.vm.is_none() && self.alive(i, now)
        })
    }

    /// What the cloud offers a broker for a VM of `vcpus`, `memory_mb` at nominal `mips` per
    /// vCPU, at `now`.
    pub fn offer(&self, vcpus: u32, memory_mb: f64, mips: f64, now: Millis) -> Option<CloudOffer> {
        let t = self.instance_type_for(vcpus, memory_mb)?;
        let ty = &self.types[t];
        Some(CloudOffer {
            name: self.name.clone(),
            price_per_period: ty.price_per_period,
            billing_period: self.period(t),
            provisioning_delay: if self.idle(t, now).next().is_some() {
                0
            } else {
                from_secs(ty.provisioning_s)
            },
            mips: f64::from(vcpus) * mips * ty.speed,
            energy_per_hour: ty.energy_per_hour,
            quota_left: self.quota_left(t, now),
        })
    }

    /// Starts (or reuses an idle instance of) the cheapest type holding the VM, for `vm`;
    /// returns the instance id and when it runs.
    pub fn launch(
        &mut self,
        vm: Occupant,
        vcpus: u32,
        memory_mb: f64,
        now: Millis,
    ) -> Result<(usize, Millis), FederationError> {
        let refuse = |reason: String| FederationError::Refused {
            site: self.name.clone(),
            reason,
        };
        let t = self.instance_type_for(vcpus, memory_mb).ok_or_else(|| {
            refuse(format!(
                "no instance type holds {vcpus} vCPUs and {memory_mb} MB"
            ))
        })?;
        let reusable = self.idle(t, now).next();
        if let Some(k) = reusable {
            let i = &mut self.instances[k];
            i.vm = Some(vm);
            i.stop_at = None;
            return Ok((k, now.max(i.ready)));
        }
        if self.in_use(t, now) >= self.types[t].quota {
            return Err(refuse(format!(
                "quota of {} `{}` instances reached",
                self.types[t].quota, self.types[t].name
            )));
        }
        let ready = now + from_secs(self.types[t].provisioning_s);
        self.instances.push(Instance {
            itype: t,
            requested: now,
            ready,
            vm: Some(vm),
            stop_at: None,
        });
        Ok((self.instances.len() - 1, ready))
    }

    /// Instance `k`'s VM left at `now`: it idles until its stop time, which is returned.
    pub fn release(&mut self, k: usize, now: Millis) -> Millis {
        let period = self.period(self.instances[k].itype);
        let i = &mut self.instances[k];
        let idle = now.max(i.ready);
        let stop = self.strategy.stop_at(i.requested, idle, period);
        i.vm = None;
        i.stop_at = Some(stop);
        stop
    }

    /// When instance `k` runs (or ran), ms.
    pub fn ready_at(&self, k: usize) -> Millis {
        self.instances[k].ready
    }

    /// Instance `k`'s speed relative to nominal (its type's).
    pub fn speed(&self, k: usize) -> f64 {
        self.types[self.instances[k].itype].speed
    }

    /// Instances serving something and running at `now`.
    pub fn serving(&self, now: Millis) -> usize {
        self.instances
            .iter()
            .filter(|i| i.vm.is_some() && i.ready <= now)
            .count()
    }

    /// When instance `k`, idle since `idle_since`, should stop if nothing takes it, judged at
    /// `now`: at once, or just before its billing period ends ([`crate::policy::broker::stop_time`]).
    pub fn idle_stop(&self, k: usize, idle_since: Millis, now: Millis) -> Millis {
        match self.strategy {
            StopStrategy::Immediate => now,
            strategy => {
                let i = &self.instances[k];
                strategy.stop_at(i.requested, idle_since, self.period(i.itype))
            }
        }
    }

    /// Billing periods charged for instance `k` up to `end` (a started period counts whole).
    pub fn periods(&self, k: usize, end: Millis) -> u64 {
        let i = &self.instances[k];
        let stop = i.stop_at.unwrap_or(end).min(end);
        billed_periods(i.requested, stop, self.period(i.itype))
    }

    /// What instance `k` is charged up to `end`: its started periods at its type's price.
    pub fn charge(&self, k: usize, end: Millis) -> f64 {
        self.periods(k, end) as f64 * self.types[self.instances[k].itype].price_per_period
    }

    /// Total charge up to `end`.
    pub fn cost(&self, end: Millis) -> f64 {
        (0..self.instances.len())
            .map(|k| self.charge(k, end))
            .fold(0.0, |a, b| a + b)
    }

    /// Energy of the running instances up to `end`.
    pub fn energy(&self, end: Millis) -> f64 {
        self.instances
            .iter()
            .map(|i| {
                let stop = i.stop_at.unwrap_or(end).min(end);
                self.types[i.itype].energy_per_hour * stop.saturating_sub(i.ready) as f64 / 3.6e6
            })
            .fold(0.0, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(r: usize) -> Occupant {
        Occupant::Request(RequestId(r))
    }

    fn cloud(stop: StopSpec) -> PublicCloud {
        let t = InstanceTypeSpec {
            name: "m".into(),
            vcpus: 2,
            memory_mb: 4096.0,
            price_per_period: 0.5,
            billing_period_s: 3600.0,
            quota: 2,
            provisioning_s: 100.0,
            speed: 1.0,
            energy_per_hour: 0.0,
        };
        PublicCloud::new("pub", &[t], stop, 60.0)
    }

    #[test]
    fn bills_started_periods_and_enforces_the_quota() {
        let mut c = cloud(StopSpec::Immediate);
        assert_eq!(c.launch(req(0), 2, 1024.0, 0), Ok((0, 100_000)));
        assert_eq!(c.launch(req(1), 1, 1024.0, 0), Ok((1, 100_000)));
        assert!(matches!(
            c.launch(req(2), 1, 1024.0, 0),
            Err(FederationError::Refused { .. })
        ));
        assert!(
            c.launch(req(3), 4, 1024.0, 0).is_err(),
            "no type holds 4 vCPUs"
        );
        // Instance 0 runs 1 h 0 min 1 s from its request: two started periods.
        assert_eq!(c.release(0, 3_601_000), 3_601_000);
        assert_eq!(c.periods(0, 10 * 3_600_000), 2);
        // Instance 1 never released: billed until the end (2.5 h: three periods).
        assert_eq!(c.periods(1, 9_000_000), 3);
        assert!((c.cost(9_000_000) - 0.5 * 5.0).abs() < 1e-12);
        // Its quota slot is free again.
        assert!(c.launch(req(4), 1, 1024.0, 3_601_000).is_ok());
    }

    #[test]
    fn period_end_stop_keeps_the_instance_for_reuse() {
        let mut c = cloud(StopSpec::PeriodEnd);
        c.launch(req(0), 2, 1024.0, 0).unwrap();
        // Idle at 1000 s: kept until 60 s before the hour.
        assert_eq!(c.release(0, 1_000_000), 3_540_000);
        // A request at 2000 s reuses it at once, in the period already paid.
        assert_eq!(c.launch(req(1), 2, 1024.0, 2_000_000), Ok((0, 2_000_000)));
        assert_eq!(c.instances.len(), 1);
        c.release(0, 3_000_000);
        assert_eq!(c.periods(0, 7_200_000), 1);
    }
}
