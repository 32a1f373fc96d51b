//! The simulator's side of its results: logging an event, measuring the interval that ends,
//! and the end of a run, when the meters close and the summary is made.

use orrery_engine::metrics::{
    mean_secs, EnergyRule, IntervalRow, MigrationRow, RunResult, Summary,
};
use orrery_engine::model::VmState;
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::{HostId, VmId};

use super::Simulator;

impl Simulator {
    /// Records the migration of VM `v` from `from` to `to` that started at `started` and ends
    /// now with `outcome`; `precopy` gives a completed pre-copy migration's downtime, data sent
    /// (MB) and rounds.
    pub(crate) fn record_migration(
        &mut self,
        v: VmId,
        from: Option<HostId>,
        to: HostId,
        started: Option<Millis>,
        precopy: Option<(Millis, f64, u32)>,
        outcome: &'static str,
    ) {
        let now = self.view.now;
        let start = started.unwrap_or(now);
        let simple = self.precopy.is_none();
        self.record.migration(MigrationRow {
            vm: v,
            name: self.view.vms[v].name.clone(),
            source: from.unwrap_or(to),
            destination: to,
            start_s: to_secs(start),
            end_s: to_secs(now),
            duration_s: to_secs(now - start),
            downtime_s: precopy.map(|p| to_secs(p.0)),
            data_mb: match precopy {
                Some(p) => Some(p.1),
                None if simple && outcome == "done" => Some(self.view.vm_memory_mb(v)),
                None => None,
            },
            rounds: precopy.map(|p| u64::from(p.2)),
            outcome,
        });
    }

    /// Logs an event (when the scenario keeps an event log).
    pub(crate) fn log(
        &mut self,
        kind: &'static str,
        vm: Option<VmId>,
        host: Option<HostId>,
        detail: String,
    ) {
        self.record.event(self.view.now, kind, vm, host, detail);
    }

    /// Records the monitoring interval that ends now: hosts drawing power, power, energy so
    /// far, mean utilisation, VMs running, CPU shortfall and the thermal figures.
    pub(crate) fn record_interval(&mut self) {
        let (mut active, mut power, mut util, mut joules) = (0u64, 0.0, 0.0, 0.0);
        let (mut requested, mut busy, mut load_max) = (0.0, 0.0, 0.0_f64);
        for h in 0..self.view.hosts.len() {
            let w = self.hosts[h].meter.watts();
            joules += self.hosts[h].meter.joules;
            requested += self.view.hosts[h].requested_mips;
            busy += self.view.hosts[h].busy_mips;
            let drawing = if self.rule == EnergyRule::CloudSimTrapezoid {
                self.view.hosts[h].busy_mips > 0.0
            } else {
                w > 0.0
            };
            if drawing {
                active += 1;
                power += w;
                util += self.view.utilisation(h);
                let capacity = self.view.host_type(h).total_mips();
                if capacity > 0.0 {
                    load_max = load_max.max(self.view.hosts[h].requested_mips / capacity);
                }
            }
        }
        let running = (0..self.view.hosts.len())
            .flat_map(|h| self.view.hosts[h].vms.iter().map(move |&v| (h, v)))
            .filter(|&(h, v)| {
                self.view.vms[v].state.is_active() && self.view.vms[v].host == Some(h)
            })
            .count() as u64;
        let thermal = self.thermal.as_ref().map(|t| {
            let on: Vec<f64> = (0..self.view.hosts.len())
                .filter(|&h| self.view.hosts[h].power.is_up())
                .map(|h| t.temperature_c()[h])
                .collect();
            let mean = (!on.is_empty()).then(|| on.iter().sum::<f64>() / on.len() as f64);
            let max = t
                .temperature_c()
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            (max, mean, t)
        });
        let time_s = to_secs(self.view.now);
        let cooling_j = thermal.as_ref().map_or(0.0, |t| t.2.cooling_energy_j());
        let now = self.view.now;
        let emissions = self
            .carbon
            .as_mut()
            .map(|c| c.account(now, joules + cooling_j));
        let temperatures = thermal
            .as_ref()
            .map_or(&[][..], |(_, _, t)| t.temperature_c());
        let row = IntervalRow {
            time_s,
            active_hosts: active,
            power_w: power,
            energy_kwh: joules / 3.6e6,
            cpu_util_mean: if active > 0 {
                util / active as f64
            } else {
                0.0
            },
            cpu_load_max: load_max,
            vms_running: running,
            migrations: 0, // the recorder counts them
            cpu_shortfall_ratio: if requested > 0.0 {
                ((requested - busy) / requested).max(0.0)
            } else {
                0.0
            },
            max_temperature_c: thermal.as_ref().map(|t| t.0),
            mean_temperature_c: thermal.as_ref().and_then(|t| t.1),
            cooling_power_w: thermal.as_ref().map_or(0.0, |t| t.2.cooling_power_w()),
            cooling_energy_kwh: thermal
                .as_ref()
                .map_or(0.0, |t| t.2.cooling_energy_j() / 3.6e6),
            hot_spots: thermal.as_ref().map_or(0, |t| t.2.hot_spots() as u64),
            time_above_redline_s: thermal
                .as_ref()
                .map_or(0.0, |t| t.2.seconds_above_redline().iter().sum()),
            carbon_intensity: emissions.map(|e| e.intensity),
            interval_emissions_g: emissions.map(|e| e.interval_g),
            emissions_g: emissions.map(|e| e.total_g),
        };
        self.record.interval(row, temperatures);
    }

    /// Ends the run: closes the meters and computes the summary.
    pub fn finish(mut self) -> RunResult {
        if !self.done {
            self.advance_thermal(self.end);
            self.view.now = self.end;
            self.close();
        }
        // Pre-copy data, including what migrations still in flight sent up to the end.
        if let Some(p) = self.precopy.as_mut() {
            p.advance(self.end);
            self.record.data_sent(p.data_sent_mb());
        }
        let mut joules = 0.0;
        let mut powered: Millis = 0;
        let (mut active, mut saturated) = (0, 0);
        let mut shutdown_times = Vec::new();
        for h in &mut self.hosts {
            h.sla.finish();
            joules += h.meter.joules;
            powered += h.meter.powered;
            active += h.sla.active;
            saturated += h.sla.saturated;
            shutdown_times.extend_from_slice(&h.sla.times_before_shutdown);
        }
        let (mut req, mut alloc, mut mig) = (0.0, 0.0, 0.0);
        for v in &mut self.vms {
            v.sla.finish();
            req += v.sla.requested;
            alloc += v.sla.allocated;
            mig += v.sla.migration_shortfall;
        }
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let energy_kwh = joules / 3.6e6;
        let cooling_kwh = self
            .thermal
            .as_ref()
            .map_or(0.0, |t| t.cooling_energy_j() / 3.6e6);
        let end = self.end;
        let emissions_g = self
            .carbon
            .as_mut()
            .map(|c| c.account(end, joules + cooling_kwh * 3.6e6).total_g);
        let slatah = ratio(saturated as f64, active as f64);
        let pdm = ratio(mig, req);
        let services = self.finish_services();
        let accounts = self.ledger.finish(self.end);
        let summary = Summary {
            scenario: self.scenario.clone(),
            seed: self.seed,
            compat: match self.view.compat {
                orrery_engine::view::Compat::None => "none".into(),
                orrery_engine::view::Compat::CloudSim303 => "cloudsim-3.0.3".into(),
            },
            duration_s: to_secs(self.end),
            energy_kwh,
            vm_migrations: self.record.migrations,
            vms_total: self.record.arrived,
            vms_rejected: self.record.rejected,
            vms_pending: self
                .view
                .vms
                .iter()
                .filter(|v| v.state == VmState::Pending)
                .count() as u64,
            hosts_total: self.view.hosts.len() as u64,
            mean_active_hosts: ratio(powered as f64, self.end as f64),
            cpu_shortfall_ratio: ratio(req - alloc, req),
            slatah,
            pdm,
            slav: slatah * pdm,
            esv: energy_kwh * slatah * pdm,
            host_shutdowns: shutdown_times.len() as u64,
            mean_migration_time_s: mean_secs(&self.record.migration_times),
            mean_time_before_host_shutdown_s: mean_secs(&shutdown_times),
            mean_migration_downtime_s: mean_secs(&self.record.migration_downtimes),
            migration_data_gb: self.record.migration_data_mb / 1024.0,
            max_host_temperature_c: self.thermal.as_ref().map(|t| t.max_temperature_c()),
            cooling_energy_kwh: cooling_kwh,
            total_energy_kwh: energy_kwh + cooling_kwh,
            time_above_redline_s: self
                .thermal
                .as_ref()
                .map_or(0.0, |t| t.seconds_above_redline().iter().sum()),
            availability_mean: accounts.availability_mean,
            availability_min: accounts.availability_min,
            host_failures: self.ha.host_failures,
            vm_crashes: self.ha.vm_crashes,
            vm_restarts: self.ha.vm_restarts,
            cost_total: accounts.cost_total,
            services_total: services.total,
            services_rejected: services.rejected,
            service_availability_mean: services.availability_mean,
            service_availability_min: services.availability_min,
            requests_total: services.requests_total,
            requests_dropped_ratio: services.dropped_ratio,
            response_time_mean_s: services.response_mean_s,
            scaling_actions: services.scaling_actions,
            emissions_g,
        };
        let record = self.record;
        RunResult {
            summary,
            intervals: record.intervals,
            temperatures: record.temperatures,
            events: record.events,
            usage: accounts.usage,
            usage_totals: accounts.usage_totals,
            billing: accounts.billing,
            billing_totals: accounts.billing_totals,
            migrations: record.migration_rows,
            audit: record.audit,
            services: services.rows,
            roles: services.role_rows,
        }
    }
}
