//! What a run records for its outputs, owned by the [`Recorder`]: the event log, one row per
//! monitoring interval, host temperatures, the audit trail, and the counts and durations the
//! summary is made of.

use orrery_engine::metrics::accounting::AuditRow;
use orrery_engine::metrics::{EventRow, IntervalRow, MigrationRow, TemperatureRow};
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::{HostId, VmId};

/// The rows and figures a run records as it goes.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Whether the event log is kept (`output.events`).
    log_events: bool,
    pub(super) events: Vec<EventRow>,
    pub(super) intervals: Vec<IntervalRow>,
    pub(super) temperatures: Vec<TemperatureRow>,
    pub(super) audit: Vec<AuditRow>,
    /// VM requests that arrived.
    pub(super) arrived: u64,
    /// VM requests rejected.
    pub(super) rejected: u64,
    /// Migrations started.
    pub(super) migrations: u64,
    /// Migrations started since the last interval row.
    migrations_in_interval: u64,
    /// Duration of each completed migration.
    pub(super) migration_times: Vec<Millis>,
    /// Downtime of each completed pre-copy migration.
    pub(super) migration_downtimes: Vec<Millis>,
    /// Memory of the migrations started under the simple model, in MB, plus what the pre-copy
    /// transfers sent (added at the end of the run).
    pub(super) migration_data_mb: f64,
    /// One row per migration, completed or cut short.
    pub(super) migration_rows: Vec<MigrationRow>,
}

impl Recorder {
    /// A recorder that keeps the event log when `log_events`.
    pub(crate) fn new(log_events: bool) -> Self {
        Recorder {
            log_events,
            ..Recorder::default()
        }
    }

    /// Logs an event at `now` about `vm` and/or `host`.
    pub(crate) fn event(
        &mut self,
        now: Millis,
        kind: &'static str,
        vm: Option<VmId>,
        host: Option<HostId>,
        detail: String,
    ) {
        if self.log_events {
            self.events.push(EventRow {
                time_s: to_secs(now),
                kind,
                vm,
                host,
                detail,
            });
        }
    }

    /// Records that `actor` took `action` at `now`: `Ok(detail)`, or `Err(why it was refused)`.
    pub(crate) fn audit(
        &mut self,
        now: Millis,
        actor: &str,
        action: &'static str,
        vm: Option<VmId>,
        host: Option<HostId>,
        result: Result<String, String>,
    ) {
        let (result, detail) = match result {
            Ok(d) => ("ok", d),
            Err(d) => ("refused", d),
        };
        self.audit.push(AuditRow {
            time_s: to_secs(now),
            actor: actor.to_string(),
            action,
            vm,
            host,
            result,
            detail,
        });
    }

    /// A VM request arrived.
    pub(crate) fn arrival(&mut self) {
        self.arrived += 1;
    }

    /// A VM request was rejected.
    pub(crate) fn rejection(&mut self) {
        self.rejected += 1;
    }

    /// A migration started, moving `data_mb` (the simple model's memory; 0 for pre-copy,
    /// whose data is counted as it is sent).
    pub(crate) fn migration_started(&mut self, data_mb: f64) {
        self.migrations += 1;
        self.migrations_in_interval += 1;
        self.migration_data_mb += data_mb;
    }

    /// A migration completed after `duration` (when its start is known), with a pre-copy
    /// migration's `downtime`.
    pub(crate) fn migration_done(&mut self, duration: Option<Millis>, downtime: Option<Millis>) {
        self.migration_times.extend(duration);
        self.migration_downtimes.extend(downtime);
    }

    /// Records one migration's row.
    pub(crate) fn migration(&mut self, row: MigrationRow) {
        self.migration_rows.push(row);
    }

    /// Pre-copy transfers sent `mb` in all.
    pub(crate) fn data_sent(&mut self, mb: f64) {
        self.migration_data_mb += mb;
    }

    /// Records an interval's row (its migrations are those started since the last row) and
    /// every host's temperature then.
    pub(crate) fn interval(&mut self, mut row: IntervalRow, temperatures: &[f64]) {
        row.migrations = std::mem::take(&mut self.migrations_in_interval);
        let time_s = row.time_s;
        self.temperatures.extend(
            temperatures
                .iter()
                .enumerate()
                .map(|(host, &temperature_c)| TemperatureRow {
                    time_s,
                    host,
                    temperature_c,
                }),
        );
        self.intervals.push(row);
    }
}
