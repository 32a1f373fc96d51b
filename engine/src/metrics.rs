//! Metering: host energy, SLA time and shutdowns, VM shortfall, and the run summary.

pub mod accounting;
pub mod services;

use serde::{Deserialize, Serialize};

use crate::tables::{csv_text, Schema, Table};
use crate::time::{to_secs, Millis};

/// How host energy is integrated between two metering points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnergyRule {
    /// The power at the earlier point holds until the next (exact for the simulated allocation,
    /// which only changes at metering points).
    Hold,
    /// CloudSim 3.0.3: trapezoid between the two points' power, and nothing at all when the
    /// earlier point's utilisation was zero.
    CloudSimTrapezoid,
}

/// Integrates one host's energy and the time it drew power.
#[derive(Debug, Clone, Default)]
pub struct EnergyMeter {
    t: Millis,
    watts: f64,
    utilisation: f64,
    /// Joules so far.
    pub joules: f64,
    /// Milliseconds during which the host drew power.
    pub powered: Millis,
}

impl EnergyMeter {
    /// Adds the energy of [last point, `t`] under `rule`, then makes (`t`, `watts`, `u`) the point.
    pub fn advance(&mut self, rule: EnergyRule, t: Millis, watts: f64, u: f64) {
        let dt = t.saturating_sub(self.t);
        let secs = to_secs(dt);
        let e = match rule {
            EnergyRule::Hold => self.watts * secs,
            EnergyRule::CloudSimTrapezoid if self.utilisation == 0.0 => 0.0,
            EnergyRule::CloudSimTrapezoid => (self.watts + (watts - self.watts) / 2.0) * secs,
        };
        if e > 0.0 {
            self.powered += dt;
        }
        self.joules += e;
        self.set_point(t, watts, u);
    }

    /// Whether advancing from the current point adds no energy, however long: it draws nothing,
    /// or the trapezoid rule skips an idle start.
    pub fn adds_nothing(&self, rule: EnergyRule) -> bool {
        self.watts == 0.0 || (rule == EnergyRule::CloudSimTrapezoid && self.utilisation == 0.0)
    }

    /// Replaces the current point without adding energy (a change at the same instant).
    pub fn set_point(&mut self, t: Millis, watts: f64, u: f64) {
        self.t = t;
        self.watts = watts;
        self.utilisation = u;
    }

    /// Power at the current point, in watts.
    pub fn watts(&self) -> f64 {
        self.watts
    }
}

/// One entry of a state history: allocated and requested MIPS at a time, and a flag (host:
/// active; VM: migrating).
#[derive(Debug, Clone, Copy)]
struct Entry {
    t: Millis,
    allocated: f64,
    requested: f64,
    flag: bool,
}

/// CloudSim's state history (`addStateHistoryEntry`): an entry at the same time as the previous
/// one replaces it, so an entry is final only once a later one arrives (or the run ends).
#[derive(Debug, Clone, Default)]
struct StateLog {
    pending: Option<Entry>,
    last: Option<Entry>,
}

impl StateLog {
    /// Records `e`; returns (the previous final entry, the entry that just became final), if any.
    fn record(&mut self, e: Entry) -> Option<(Option<Entry>, Entry)> {
        let settled = match self.pending {
            Some(p) if p.t != e.t => Some(self.settle(p)),
            _ => None,
        };
        self.pending = Some(e);
        settled
    }

    /// Makes the last entry final, at the end of the run.
    fn finish(&mut self) -> Option<(Option<Entry>, Entry)> {
        self.pending.take().map(|p| self.settle(p))
    }

    fn settle(&mut self, e: Entry) -> (Option<Entry>, Entry) {
        (self.last.replace(e), e)
    }
}

/// A host's SLA history: at each update, (allocated, requested, active). An entry at the same
/// time as the previous one replaces it, as in CloudSim.
#[derive(Debug, Clone)]
pub struct HostSla {
    log: StateLog,
    /// Active milliseconds (SLATAH's denominator).
    pub active: Millis,
    /// Active milliseconds at 100 % (allocated < requested): SLATAH's numerator.
    pub saturated: Millis,
    /// Durations from switch-on to each shutdown (active → inactive), in milliseconds.
    pub times_before_shutdown: Vec<Millis>,
    last_switched_on: Millis,
    previous_active: bool,
}

impl HostSla {
    /// A history whose state before the first entry is `active` (CloudSim assumes every host
    /// starts active, so a host idle at its first entry counts one shutdown).
    pub fn new(active: bool) -> Self {
        HostSla {
            previous_active: active,
            ..HostSla::default()
        }
    }
}

impl Default for HostSla {
    fn default() -> Self {
        HostSla {
            log: StateLog::default(),
            active: 0,
            saturated: 0,
            times_before_shutdown: Vec::new(),
            last_switched_on: 0,
            // CloudSim starts from "active", so a host idle at its first entry counts one shutdown.
            previous_active: true,
        }
    }
}

impl HostSla {
    /// Records the host's state at `t`.
    pub fn record(&mut self, t: Millis, allocated: f64, requested: f64, active: bool) {
        let e = Entry {
            t,
            allocated,
            requested,
            flag: active,
        };
        if let Some((prev, e)) = self.log.record(e) {
            self.commit(prev, e);
        }
    }

    /// Folds the last entry in; call once at the end of the run.
    pub fn finish(&mut self) {
        if let Some((prev, e)) = self.log.finish() {
            self.commit(prev, e);
        }
    }

    fn commit(&mut self, prev: Option<Entry>, e: Entry) {
        if let Some(prev) = prev.filter(|p| p.flag) {
            let dt = e.t - prev.t;
            self.active += dt;
            if prev.allocated < prev.requested {
                self.saturated += dt;
            }
        }
        if self.previous_active && !e.flag {
            self.times_before_shutdown.push(e.t - self.last_switched_on);
        }
        if !self.previous_active && e.flag {
            self.last_switched_on = e.t;
        }
        self.previous_active = e.flag;
    }
}

/// A VM's service history: requested and allocated MIPS over time, and the shortfall while it
/// migrates. Same-time entries replace each other, as in CloudSim.
#[derive(Debug, Clone, Default)]
pub struct VmSla {
    log: StateLog,
    /// ∫ requested MIPS dt (MIPS·s).
    pub requested: f64,
    /// ∫ allocated MIPS dt.
    pub allocated: f64,
    /// ∫ (requested − allocated) dt over intervals in migration (PDM's numerator).
    pub migration_shortfall: f64,
}

impl VmSla {
    /// Records the VM's service at `t`.
    pub fn record(&mut self, t: Millis, allocated: f64, requested: f64, migrating: bool) {
        let e = Entry {
            t,
            allocated,
            requested,
            flag: migrating,
        };
        if let Some((prev, e)) = self.log.record(e) {
            self.commit(prev, e);
        }
    }

    /// Folds the last entry in; call once at the end of the run.
    pub fn finish(&mut self) {
        if let Some((prev, e)) = self.log.finish() {
            self.commit(prev, e);
        }
    }

    fn commit(&mut self, prev: Option<Entry>, e: Entry) {
        let Some(prev) = prev else { return };
        let dt = to_secs(e.t - prev.t);
        self.requested += prev.requested * dt;
        self.allocated += prev.allocated * dt;
        if prev.allocated < prev.requested && prev.flag {
            self.migration_shortfall += (prev.requested - prev.allocated) * dt;
        }
    }
}

crate::table! {
    /// The run's headline numbers, saved as `summary.json`.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    pub struct Summary in "summary" {
        /// Scenario name.
        pub scenario: String = "",
        /// Seed of the run.
        pub seed: u64 = "",
        /// Semantics in force (`none` or `cloudsim-3.0.3`).
        pub compat: String = "",
        /// Simulated duration in seconds.
        pub duration_s: f64 = "s",
        /// Total host energy in kWh.
        pub energy_kwh: f64 = "kWh",
        /// Live migrations started.
        pub vm_migrations: u64 = "migrations",
        /// VM requests that arrived.
        pub vms_total: u64 = "VMs",
        /// VM requests rejected: by placement, or at arrival by their tenant's quota.
        pub vms_rejected: u64 = "VMs",
        /// VM requests still pending at the end (deferred by placement: no host satisfies them).
        pub vms_pending: u64 = "VMs",
        /// Hosts in the datacenter.
        pub hosts_total: u64 = "hosts",
        /// Time-weighted mean number of hosts drawing power.
        pub mean_active_hosts: f64 = "hosts",
        /// CPU not delivered over CPU requested, over all VMs and time.
        pub cpu_shortfall_ratio: f64 = "fraction",
        /// SLA time per active host: time at 100 % CPU over active time (ratio of sums).
        pub slatah: f64 = "fraction",
        /// Performance degradation due to migration: shortfall while migrating over CPU requested.
        pub pdm: f64 = "fraction",
        /// SLATAH × PDM.
        pub slav: f64 = "fraction",
        /// Energy × SLAV.
        pub esv: f64 = "kWh",
        /// Host shutdowns (active → inactive transitions).
        pub host_shutdowns: u64 = "shutdowns",
        /// Mean duration of a live migration in seconds (null without migrations).
        pub mean_migration_time_s: Option<f64> = "s",
        /// Mean time from a host's switch-on to its shutdown in seconds (null without shutdowns).
        pub mean_time_before_host_shutdown_s: Option<f64> = "s",
        /// Mean stop-and-copy downtime of a migration in seconds (pre-copy model; null otherwise).
        pub mean_migration_downtime_s: Option<f64> = "s",
        /// Memory sent by all migrations, in GB (pre-copy model: every round; simple: the memory).
        pub migration_data_gb: f64 = "GB",
        /// Highest temperature any host reached, in °C (null without a thermal model).
        pub max_host_temperature_c: Option<f64> = "°C",
        /// Energy of the cooling (CRAC) plant, in kWh.
        pub cooling_energy_kwh: f64 = "kWh",
        /// Host energy plus cooling energy, in kWh.
        pub total_energy_kwh: f64 = "kWh",
        /// Host-seconds spent above the red-line temperature.
        pub time_above_redline_s: f64 = "host·s",
        /// Mean over VMs not rejected of up time over requested lifetime since arrival (null
        /// without such VMs).
        #[serde(default)]
        pub availability_mean: Option<f64> = "fraction",
        /// Lowest availability of a VM not rejected.
        #[serde(default)]
        pub availability_min: Option<f64> = "fraction",
        /// Host failures.
        #[serde(default)]
        pub host_failures: u64 = "failures",
        /// VM crashes.
        #[serde(default)]
        pub vm_crashes: u64 = "crashes",
        /// VMs the VM manager put back for placement after a crash or host failure.
        #[serde(default)]
        pub vm_restarts: u64 = "restarts",
        /// Everything billed (prices × started billing periods).
        #[serde(default)]
        pub cost_total: f64 = "price units",
        /// Services submitted.
        #[serde(default)]
        pub services_total: u64 = "services",
        /// Services admission control rejected.
        #[serde(default)]
        pub services_rejected: u64 = "services",
        /// Mean over admitted services of the fraction of time, from admission to undeployment or
        /// the end, in which every role had a running VM (null without admitted services).
        #[serde(default)]
        pub service_availability_mean: Option<f64> = "fraction",
        /// Lowest availability of an admitted service.
        #[serde(default)]
        pub service_availability_min: Option<f64> = "fraction",
        /// Requests that arrived at services.
        #[serde(default)]
        pub requests_total: u64 = "requests",
        /// Requests dropped, as a fraction of those that arrived (null without requests).
        #[serde(default)]
        pub requests_dropped_ratio: Option<f64> = "fraction",
        /// Mean end-to-end response time over served requests, s.
        #[serde(default)]
        pub response_time_mean_s: Option<f64> = "s",
        /// Scaling actions (role cardinality changes) carried out.
        #[serde(default)]
        pub scaling_actions: u64 = "actions",
        /// Emissions of the energy drawn (IT and cooling) at the grid's carbon intensity, g
        /// (null without a `[carbon]` series).
        #[serde(default)]
        pub emissions_g: Option<f64> = "gCO2",
    }
}

crate::table! {
    /// One row of `migrations.csv`: a live migration, completed or cut short.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct MigrationRow in "migrations" {
        /// The VM.
        pub vm: usize = "VM id",
        /// Its name.
        pub name: String = "",
        /// The host it left.
        pub source: usize = "host id",
        /// The host it went to.
        pub destination: usize = "host id",
        /// When it started, s.
        pub start_s: f64 = "s",
        /// When it ended (completed or cut short), s.
        pub end_s: f64 = "s",
        /// `end_s - start_s`.
        pub duration_s: f64 = "s",
        /// Stop-and-copy downtime (pre-copy model; empty otherwise or when cut short).
        pub downtime_s: Option<f64> = "s",
        /// Memory sent (the simple model: the VM's memory; pre-copy: every round's data).
        pub data_mb: Option<f64> = "MB",
        /// Pre-copy rounds (empty under the simple model).
        pub rounds: Option<u64> = "rounds",
        /// `done`, `aborted` (its destination failed) or `lost` (the VM was lost on the way).
        pub outcome: &'static str = "",
    }
}

/// Everything a finished run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Headline numbers.
    pub summary: Summary,
    /// One row per monitoring update.
    pub intervals: Vec<IntervalRow>,
    /// The event log (empty when the scenario turns it off).
    pub events: Vec<EventRow>,
    /// Each host's temperature at each monitoring update (empty without a thermal model).
    pub temperatures: Vec<TemperatureRow>,
    /// Usage per VM stay on a host.
    pub usage: Vec<accounting::UsageRow>,
    /// Usage per tenant.
    pub usage_totals: Vec<accounting::UsageTotalRow>,
    /// Bill and availability per VM.
    pub billing: Vec<accounting::BillingRow>,
    /// Bill per tenant.
    pub billing_totals: Vec<accounting::BillingTotalRow>,
    /// Every live migration, completed or cut short.
    pub migrations: Vec<MigrationRow>,
    /// Every action taken, with its actor.
    pub audit: Vec<accounting::AuditRow>,
    /// Each service at each measurement (empty without services).
    pub services: Vec<services::ServiceRow>,
    /// Each role at each measurement (empty without services).
    pub roles: Vec<services::RoleRow>,
}

impl RunResult {
    /// Hands `f` each table a run directory holds, in file order, as its schema and CSV text:
    /// `intervals`, `events`, `usage`, `usage_totals`, `billing`, `billing_totals`, `audit`,
    /// `migrations`, then `services` and `roles` and `temperatures` when the run has them. The
    /// run's files (`orrery_reports::write_run`) and the Python package's frames both come
    /// from here; one table's text is held at a time.
    pub fn for_each_table<E>(
        &self,
        mut f: impl FnMut(&Schema, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        fn emit<T: Table, E>(
            rows: &[T],
            f: &mut impl FnMut(&Schema, &[u8]) -> Result<(), E>,
        ) -> Result<(), E> {
            f(&T::schema(), &csv_text(rows))
        }
        emit(&self.intervals, &mut f)?;
        emit(&self.events, &mut f)?;
        emit(&self.usage, &mut f)?;
        emit(&self.usage_totals, &mut f)?;
        emit(&self.billing, &mut f)?;
        emit(&self.billing_totals, &mut f)?;
        emit(&self.audit, &mut f)?;
        emit(&self.migrations, &mut f)?;
        if !self.services.is_empty() {
            emit(&self.services, &mut f)?;
            emit(&self.roles, &mut f)?;
        }
        if !self.temperatures.is_empty() {
            emit(&self.temperatures, &mut f)?;
        }
        Ok(())
    }
}

/// Mean of a list of durations in seconds, `None` when empty.
pub fn mean_secs(values: &[Millis]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().map(|&v| to_secs(v)).sum::<f64>() / values.len() as f64)
    }
}

crate::table! {
    /// One row of `intervals.csv`: the state at the end of a monitoring interval.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct IntervalRow in "intervals" {
        /// End of the interval, in seconds.
        pub time_s: f64 = "s",
        /// Hosts drawing power.
        pub active_hosts: u64 = "hosts",
        /// Total power at that instant, in watts.
        pub power_w: f64 = "W",
        /// Energy so far, in kWh.
        pub energy_kwh: f64 = "kWh",
        /// Mean CPU utilisation of the active hosts.
        pub cpu_util_mean: f64 = "fraction",
        /// CPU demanded of the most loaded host drawing power, as a fraction of its capacity
        /// (above 1: overloaded).
        pub cpu_load_max: f64 = "fraction",
        /// VMs running (including migrating).
        pub vms_running: u64 = "VMs",
        /// Migrations started during the interval.
        pub migrations: u64 = "migrations",
        /// CPU requested but not delivered at that instant, over CPU requested (0 when nothing is
        /// requested).
        pub cpu_shortfall_ratio: f64 = "fraction",
        /// Highest host temperature at that instant, in °C (empty without a thermal model).
        pub max_temperature_c: Option<f64> = "°C",
        /// Mean temperature of the hosts that are on, in °C.
        pub mean_temperature_c: Option<f64> = "°C",
        /// Cooling power at that instant, in watts.
        pub cooling_power_w: f64 = "W",
        /// Cooling energy so far, in kWh.
        pub cooling_energy_kwh: f64 = "kWh",
        /// Hosts above the red line at that instant (hot spots).
        pub hot_spots: u64 = "hosts",
        /// Host-seconds above the red line so far.
        pub time_above_redline_s: f64 = "host·s",
        /// The grid's carbon intensity at that instant (empty without a `[carbon]` series).
        pub carbon_intensity: Option<f64> = "gCO2/kWh",
        /// Emissions of the energy drawn (IT and cooling) during the interval.
        pub interval_emissions_g: Option<f64> = "gCO2",
        /// Emissions so far.
        pub emissions_g: Option<f64> = "gCO2",
    }
}

crate::table! {
    /// One row of `temperatures.csv`: one host's temperature at one monitoring update.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct TemperatureRow in "temperatures" {
        /// When, in seconds.
        pub time_s: f64 = "s",
        /// The host's index (as in `events.csv`).
        pub host: usize = "host id",
        /// Its temperature, in °C.
        pub temperature_c: f64 = "°C",
    }
}

crate::table! {
    /// One row of `events.csv`.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct EventRow in "events" {
        /// When, in seconds.
        pub time_s: f64 = "s",
        /// What happened (`arrival`, `deployed`, `migration-start`, …).
        pub kind: &'static str = "",
        /// The VM concerned, if any.
        pub vm: Option<usize> = "VM id",
        /// The host concerned, if any.
        pub host: Option<usize> = "host id",
        /// Free-form detail.
        pub detail: String = "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_rule_integrates_piecewise_constant_power() {
        // 100 W for 10 s, then 200 W for 5 s = 2000 J.
        let mut m = EnergyMeter::default();
        m.set_point(0, 100.0, 0.5);
        m.advance(EnergyRule::Hold, 10_000, 200.0, 1.0);
        m.advance(EnergyRule::Hold, 15_000, 0.0, 0.0);
        assert_eq!(m.joules, 2000.0);
        assert_eq!(m.powered, 15_000);
        // Off: nothing more.
        m.advance(EnergyRule::Hold, 20_000, 0.0, 0.0);
        assert_eq!(m.joules, 2000.0);
        assert_eq!(m.powered, 15_000);
    }

    #[test]
    fn cloudsim_rule_is_a_trapezoid_skipping_idle_starts() {
        let mut m = EnergyMeter::default();
        // From u = 0: nothing, whatever the end power.
        m.advance(EnergyRule::CloudSimTrapezoid, 300_000, 100.0, 0.5);
        assert_eq!(m.joules, 0.0);
        // 100 W → 120 W over 300 s = 110 × 300 = 33 000 J.
        m.advance(EnergyRule::CloudSimTrapezoid, 600_000, 120.0, 0.8);
        assert_eq!(m.joules, 33_000.0);
        assert_eq!(m.powered, 300_000);
    }

    #[test]
    fn host_sla_counts_saturated_active_time_and_shutdowns() {
        let mut s = HostSla::default();
        s.record(0, 0.0, 0.0, false); // idle at first entry: one shutdown at t = 0
        s.record(100, 50.0, 50.0, true);
        s.record(200, 90.0, 100.0, true); // saturated from 200
        s.record(200, 100.0, 100.0, true); // replaced at the same time: not saturated
        s.record(300, 80.0, 100.0, true); // saturated from 300 to 400
        s.record(400, 0.0, 0.0, false); // shutdown, 300 after switch-on at 100
        s.record(500, 0.0, 0.0, false);
        s.finish();
        assert_eq!(s.active, 300);
        assert_eq!(s.saturated, 100);
        assert_eq!(s.times_before_shutdown, vec![0, 300]);
    }

    #[test]
    fn vm_sla_integrates_shortfall_during_migration_only() {
        let mut v = VmSla::default();
        v.record(0, 100.0, 100.0, false);
        v.record(10_000, 90.0, 100.0, true); // migrating for 5 s
        v.record(15_000, 80.0, 100.0, false); // shortfall, but not migration
        v.record(20_000, 0.0, 0.0, false);
        v.finish();
        assert_eq!(v.requested, 100.0 * 20.0);
        assert_eq!(v.allocated, 1000.0 + 450.0 + 400.0);
        assert_eq!(v.migration_shortfall, 50.0);
    }
}
