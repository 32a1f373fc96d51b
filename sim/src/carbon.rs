//! Emissions: the energy drawn (IT and cooling) times the grid's carbon intensity when it was
//! drawn (`[carbon]`).
//!
//! Between two accounts power is held (the simulator's energy rule), so an interval's energy
//! is spread evenly over it and weighed by the intensity's time-weighted mean there: exact for
//! held power, whatever the series' step.

use orrery_engine::error::InputError;
use orrery_engine::scenario::Scenario;
use orrery_engine::time::Millis;
use orrery_traces::carbon::{parse_time, CarbonSeries};

/// The carbon account of a run.
#[derive(Debug)]
pub(crate) struct Carbon {
    series: CarbonSeries,
    /// Wall-clock ms of the run's t = 0.
    start_ms: i64,
    /// Emissions so far, g.
    grams: f64,
    /// Energy drawn so far at the last account, J.
    joules: f64,
    /// Time of the last account.
    at: Millis,
}

/// One account: the intensity now, and the emissions of the span since the last account and
/// since the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Emissions {
    /// gCO2/kWh now.
    pub intensity: f64,
    /// g since the last account.
    pub interval_g: f64,
    /// g since the start.
    pub total_g: f64,
}

/// `[carbon].start` as ms since the epoch, if set (checked without reading the series).
pub(crate) fn check(scenario: &Scenario) -> Result<Option<i64>, InputError> {
    let Some(start) = scenario
        .spec
        .carbon
        .as_ref()
        .and_then(|c| c.start.as_deref())
    else {
        return Ok(None);
    };
    parse_time(start).map(Some).ok_or_else(|| {
        scenario
            .error_at("carbon.start", format!("`{start}` is not a time"))
            .hint("write YYYY-MM-DDTHH:MM:SSZ (UTC) or Unix seconds")
    })
}

impl Carbon {
    /// The scenario's carbon account, if it names a series; `trace_start` is the workload
    /// trace's wall-clock start, if it records one.
    pub(crate) fn new(
        scenario: &Scenario,
        trace_start: Option<i64>,
    ) -> Result<Option<Carbon>, InputError> {
        let Some(c) = &scenario.spec.carbon else {
            return Ok(None);
        };
        let start = check(scenario)?;
        let series = CarbonSeries::load(&scenario.resolve(&c.intensity)).map_err(|mut e| {
            if e.hint.is_none() {
                e.hint = Some("fix the series or point carbon.intensity elsewhere".into());
            }
            e
        })?;
        Ok(Some(Carbon {
            start_ms: start.or(trace_start).unwrap_or_else(|| series.start_ms()),
            series,
            grams: 0.0,
            joules: 0.0,
            at: 0,
        }))
    }

    /// Wall-clock ms of simulated time `t`.
    fn wall(&self, t: Millis) -> i64 {
        self.start_ms
            .saturating_add(i64::try_from(t).unwrap_or(i64::MAX))
    }

    /// The intensity at simulated time `t`, gCO2/kWh.
    pub(crate) fn intensity(&self, t: Millis) -> f64 {
        self.series.at(self.wall(t))
    }

    /// Accounts the energy drawn up to `t`, `joules` in all since the start.
    pub(crate) fn account(&mut self, t: Millis, joules: f64) -> Emissions {
        let mean = self.series.mean(self.wall(self.at), self.wall(t));
        let interval_g = (joules - self.joules) / 3.6e6 * mean;
        self.grams += interval_g;
        self.joules = joules;
        self.at = t;
        Emissions {
            intensity: self.intensity(t),
            interval_g,
            total_g: self.grams,
        }
    }
}
