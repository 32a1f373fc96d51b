//! A service's load each measurement interval: the requests that arrived go through its roles,
//! its VMs' CPU demand follows the work they serve, and the sensors measure and deliver.

use orrery_engine::infra::Decision;
use orrery_engine::metrics::services::{RoleRow, ServiceRow};
use orrery_engine::model::service_load::{
    service_load, RoleDemand, RoleLoad, ServiceLoad, VmCapacity, VmLoad,
};
use orrery_engine::model::{ServiceId, ServiceState};
use orrery_engine::monitoring::Sensor;
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::VmId;

use super::phase_name;
use super::state::SensorKey;
use crate::event::Event;
use crate::Simulator;

impl Simulator {
    /// One measurement interval of service `s` ends: the requests that arrived in it are
    /// served, the VMs' demand follows, sensors measure and deliver, and the interval is
    /// recorded.
    pub(crate) fn service_tick(&mut self, s: ServiceId) {
        let now = self.view.now;
        let state = self.view.services[s].state;
        if !(state.is_live() || state == ServiceState::Suspended) {
            return;
        }
        let next = now + self.services.sims[s].measurement;
        if next <= self.end {
            self.queue.push(next, Event::ServiceTick(s));
        }
        let t0 = self.services.sims[s].last_tick;
        self.services.sims[s].last_tick = now;
        let sim = &mut self.services.sims[s];
        let arrivals = sim
            .rate
            .as_ref()
            .map_or(0, |rate| rate.arrivals(t0, now, &mut sim.rng));
        let dt = to_secs(now - t0);
        let lambda = if dt > 0.0 { arrivals as f64 / dt } else { 0.0 };
        // Running VMs per role, with the MIPS each vCPU really gets.
        let running: Vec<Vec<VmId>> = self.view.services[s]
            .roles
            .iter()
            .map(|r| {
                let active = r.vms.iter().copied();
                active
                    .filter(|&v| self.view.vms[v].state.is_active())
                    .collect()
            })
            .collect();
        let demands: Vec<RoleDemand> = running
            .iter()
            .enumerate()
            .map(|(r, vms)| RoleDemand {
                mi_per_request: self.services.sims[s].request_mi[r],
                vms: vms
                    .iter()
                    .map(|&v| VmCapacity {
                        vcpus: self.view.vm_vcpus(v),
                        mips_per_vcpu: self.view.vm_type(v).mips * self.host_share(v),
                    })
                    .collect(),
            })
            .collect();
        let load = match self.services.sims[s].rate {
            Some(_) => service_load(lambda, &demands, self.services.sims[s].max_backlog)
                .expect("validated service parameters"),
            None => idle(&demands),
        };
        // The VMs' CPU demand from now on.
        let mut touched = Vec::new();
        for (r, vms) in running.iter().enumerate() {
            for (i, &v) in vms.iter().enumerate() {
                let u = load.roles[r].vms[i].utilisation;
                self.hold_demand(v, u);
                touched.extend(self.view.vms[v].host);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for h in touched {
            self.recompute(h);
        }
        let finite = |x: f64| x.is_finite().then_some(x);
        // Sensors measure.
        let mut samples: Vec<(SensorKey, f64)> = Vec::new();
        for (r, vms) in running.iter().enumerate() {
            let role = &load.roles[r];
            for (i, &v) in vms.iter().enumerate() {
                let u = role.vms[i].utilisation;
                let vcpus = self.view.vm_vcpus(v) as f64;
                samples.push(((Some(v), "CPU"), 100.0 * u * vcpus));
                samples.push(((Some(v), "CPU_UTILIZATION"), 100.0 * u));
                samples.push(((Some(v), "REQUESTS"), role.vms[i].arrival_rate));
                samples.push(((Some(v), "RT"), role.mean_response_s));
            }
        }
        samples.push(((None, "RESPONSE_TIME"), load.mean_response_s));
        samples.push(((None, "RESPONSE_TIME_P95"), load.p95_response_s));
        samples.push(((None, "THROUGHPUT"), load.throughput));
        samples.push(((None, "DROP_RATE"), load.drop_rate));
        let delivered = self.measure(s, now, samples);
        if delivered {
            self.decisions.push(Decision::Scale);
        }
        // Books and records.
        let sim = &mut self.services.sims[s];
        sim.arrivals += arrivals;
        // Below a millionth of a request is the model's rounding, not a drop.
        let dropped = Some(load.drop_rate * dt)
            .filter(|&d| d >= 1e-6)
            .map_or(0.0, |d| d.min(arrivals as f64));
        let served = arrivals as f64 - dropped;
        sim.served += served;
        sim.dropped += dropped;
        if let Some(rt) = finite(load.mean_response_s) {
            sim.response_weighted += served * rt;
        }
        let billed: f64 = sim
            .vms_ever
            .iter()
            .map(|&v| self.ledger.billed_to(v, now))
            .sum();
        let cost = billed - sim.billed;
        sim.billed = billed;
        let time_s = to_secs(now);
        let svc = &self.view.services[s];
        self.services.rows.push(ServiceRow {
            time_s,
            service: s,
            name: svc.name.clone(),
            state: svc.state.name(),
            vms_running: running.iter().map(|v| v.len() as u64).sum(),
            arrivals,
            throughput_per_s: load.throughput,
            dropped,
            mean_response_s: finite(load.mean_response_s).filter(|_| served > 0.0),
            p95_response_s: finite(load.p95_response_s).filter(|_| served > 0.0),
            cost,
        });
        for (r, role) in svc.roles.iter().enumerate() {
            let l = &load.roles[r];
            let n = running[r].len();
            let util = if n > 0 {
                l.vms.iter().map(|v| v.utilisation).sum::<f64>() / n as f64
            } else {
                0.0
            };
            self.services.role_rows.push(RoleRow {
                time_s,
                service: s,
                role: role.name.clone(),
                phase: phase_name(role.phase),
                cardinality: role.cardinality,
                vms_running: n as u64,
                arrival_rate_per_s: l.arrival_rate,
                cpu_utilisation: util,
                mean_response_s: finite(l.mean_response_s).filter(|_| l.served_rate > 0.0),
                drop_fraction: l.drop_fraction,
            });
        }
    }

    /// The fraction of its nominal MIPS VM `v` gets: less than 1 when its host is
    /// oversubscribed.
    fn host_share(&self, v: VmId) -> f64 {
        let Some(h) = self.view.vms[v].host else {
            return 0.0;
        };
        let capacity = self.view.host_type(h).total_mips();
        let requested = self.view.hosts[h].requested_mips;
        if requested > capacity {
            capacity / requested
        } else {
            1.0
        }
    }

    /// Feeds `samples` to service `s`'s sensors (creating those of new VMs, dropping those of
    /// VMs gone), delivers what is due into the view, and says whether anything was delivered.
    fn measure(&mut self, s: ServiceId, now: Millis, samples: Vec<(SensorKey, f64)>) -> bool {
        let sim = &mut self.services.sims[s];
        let keep: std::collections::BTreeSet<SensorKey> = samples.iter().map(|(k, _)| *k).collect();
        sim.sensors.retain(|k, _| keep.contains(k));
        for (key, value) in samples {
            let sensor = sim.sensors.entry(key).or_insert_with(|| {
                Sensor::new(&sim.monitor, sim.monitoring_since).expect("validated monitoring")
            });
            sensor.measure(now, value);
        }
        let mut delivered = false;
        let mut kpis = Vec::new();
        let mut vm_values = Vec::new();
        for (&(vm, name), sensor) in sim.sensors.iter_mut() {
            if sensor.due_delivery() > now {
                continue;
            }
            if let Some(value) = sensor.deliver(now) {
                delivered = true;
                match vm {
                    Some(v) => vm_values.push((v, name, value)),
                    None => kpis.push((name, value)),
                }
            }
        }
        for (v, name, value) in vm_values {
            self.view.vms[v].metrics.insert(name.to_string(), value);
        }
        if !kpis.is_empty() {
            let vms = self.service_vms(s);
            for (name, value) in kpis {
                self.view.services[s].kpis.insert(name.to_string(), value);
                for &v in &vms {
                    self.view.vms[v].metrics.insert(name.to_string(), value);
                }
            }
        }
        delivered
    }
}

/// The load of a service without requests: nothing arrives, every VM idles.
fn idle(roles: &[RoleDemand]) -> ServiceLoad {
    let vm = VmLoad {
        arrival_rate: 0.0,
        utilisation: 0.0,
        drop_fraction: 0.0,
    };
    ServiceLoad {
        arrival_rate: 0.0,
        throughput: 0.0,
        drop_rate: 0.0,
        mean_response_s: f64::NAN,
        p95_response_s: f64::NAN,
        roles: roles
            .iter()
            .map(|r| RoleLoad {
                arrival_rate: 0.0,
                served_rate: 0.0,
                drop_fraction: 0.0,
                mean_response_s: f64::NAN,
                p95_response_s: f64::NAN,
                vms: vec![vm; r.vms.len()],
            })
            .collect(),
    }
}
