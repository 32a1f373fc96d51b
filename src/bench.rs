//! `orrery bench`: a policy benchmark gate for CI. A suite names scenarios and, for each
//! metric, which direction is better and how much change is noise; the gate runs the suite,
//! compares every metric with a recorded baseline and fails on any regression.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use orrery_engine::config::Source;
use orrery_engine::metrics::Summary;
use orrery_engine::scenario::Scenario;
use orrery_engine::InputError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use orrery_engine::error::RunError;

/// A suite file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: String,
    #[serde(rename = "scenario")]
    scenarios: Vec<SuiteScenario>,
    metrics: BTreeMap<String, Tolerance>,
}

/// A loaded, checked suite.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The suite's name (recorded in the baseline).
    pub name: String,
    /// The scenarios, run in parallel and reported in this order.
    pub scenarios: Vec<SuiteScenario>,
    /// Compared metrics (fields of `summary.json`) and their tolerances.
    pub metrics: BTreeMap<String, Tolerance>,
    /// The suite file as read (scenario paths resolve against it).
    pub source: Source,
}

/// One scenario of a suite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteScenario {
    /// Its row label, unique in the suite.
    pub name: String,
    /// The scenario file, relative to the suite file.
    pub file: PathBuf,
    /// `KEY=VALUE` overrides, as with `--set`.
    #[serde(default)]
    pub set: Vec<String>,
    /// Seed (the scenario's own when absent).
    pub seed: Option<u64>,
}

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Smaller is better (energy, SLA violations).
    Lower,
    /// Larger is better (throughput).
    Higher,
    /// Any change beyond the tolerance is a regression.
    Either,
}

/// How much a metric may change before it counts: the larger of `absolute` and `relative` ×
/// |baseline| (both 0 by default: any change counts).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// The good direction.
    pub better: Better,
    /// Allowed change in the metric's unit.
    #[serde(default)]
    pub absolute: f64,
    /// Allowed change as a fraction of the baseline.
    #[serde(default)]
    pub relative: f64,
}

/// A baseline file: every suite metric of every scenario, as last accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The suite it belongs to.
    pub suite: String,
    /// Scenario → metric → value (`null` when the run has no such figure).
    pub results: BTreeMap<String, BTreeMap<String, Option<f64>>>,
}

/// The verdict on one metric of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly the baseline.
    Unchanged,
    /// Changed within the tolerance.
    Noise,
    /// Better than the baseline beyond the tolerance.
    Improved,
    /// Worse than the baseline beyond the tolerance.
    Regressed,
}

impl Verdict {
    /// The verdict's name in `orrery bench --json`: `unchanged`, `noise`, `improved` or
    /// `regressed`.
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Unchanged => "unchanged",
            Verdict::Noise => "noise",
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
        }
    }
}

/// One compared metric.
#[derive(Debug, Clone)]
pub struct Change {
    /// Scenario label.
    pub scenario: String,
    /// Metric name.
    pub metric: String,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// Allowed change.
    pub tolerance: f64,
    /// The verdict.
    pub verdict: Verdict,
}

impl Suite {
    /// Loads and checks a suite file, with `--set KEY=VALUE` overrides.
    pub fn load(path: &Path, sets: &[String]) -> Result<Suite, InputError> {
        let mut source = Source::read(
            path,
            "suite",
            "give the path of a suite file such as benches/policies/suite.toml",
        )?
        .with_sets(sets);
        let file: SuiteFile = source.parse(
            &[],
            "see the comments of benches/policies/suite.toml for its keys",
        )?;
        let suite = Suite {
            name: file.name,
            scenarios: file.scenarios,
            metrics: file.metrics,
            source,
        };
        let fields = numeric_fields();
        for name in suite.metrics.keys() {
            if !fields.contains(name) {
                return Err(suite
                    .source
                    .error_at(
                        &format!("metrics.{name}"),
                        format!("`{name}` is not a run metric"),
                    )
                    .hint(format!(
                        "use a numeric field of summary.json: {}",
                        fields.join(", ")
                    )));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, s) in suite.scenarios.iter().enumerate() {
            if !seen.insert(&s.name) {
                return Err(suite.source.error_at(
                    &format!("scenario.{i}.name"),
                    format!("scenario name `{}` is used twice", s.name),
                ));
            }
        }
        Ok(suite)
    }

    /// Loads every scenario of the suite, with its overrides.
    pub fn scenarios(&self) -> Result<Vec<Scenario>, InputError> {
        self.scenarios
            .iter()
            .map(|s| Scenario::load(&self.source.resolve(&s.file), &s.set))
            .collect()
    }

    /// Runs every scenario (in parallel) and returns its metrics.
    pub fn run(&self) -> Result<BTreeMap<String, BTreeMap<String, Option<f64>>>, RunError> {
        self.run_with(&|| ())
    }

    /// [`Suite::run`], calling `done` as each scenario finishes (for a progress bar).
    pub fn run_with(
        &self,
        done: &(dyn Fn() + Sync),
    ) -> Result<BTreeMap<String, BTreeMap<String, Option<f64>>>, RunError> {
        let scenarios = self.scenarios()?;
        let summaries = scenarios
            .par_iter()
            .zip(&self.scenarios)
            .map(|(scenario, s)| {
                let summary = crate::runs::run(scenario, s.seed).map(|r| r.summary);
                done();
                summary
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self
            .scenarios
            .iter()
            .zip(&summaries)
            .map(|(s, summary)| (s.name.clone(), self.metrics_of(summary)))
            .collect())
    }

    fn metrics_of(&self, summary: &Summary) -> BTreeMap<String, Option<f64>> {
        let json = serde_json::to_value(summary).expect("a summary serialises");
        self.metrics
            .keys()
            .map(|m| (m.clone(), json[m].as_f64()))
            .collect()
    }

    /// Compares `current` with `baseline`, metric by metric, in suite order.
    pub fn compare(
        &self,
        baseline: &Baseline,
        current: &BTreeMap<String, BTreeMap<String, Option<f64>>>,
        baseline_path: &Path,
    ) -> Result<Vec<Change>, InputError> {
        let mut changes = Vec::new();
        for s in &self.scenarios {
            let base = baseline.results.get(&s.name).ok_or_else(|| {
                InputError::file(
                    baseline_path,
                    format!("no baseline for scenario `{}`", s.name),
                )
                .hint("record it with `orrery bench SUITE --baseline FILE --update`")
            })?;
            for (metric, tol) in &self.metrics {
                let b = *base.get(metric).ok_or_else(|| {
                    InputError::file(
                        baseline_path,
                        format!("no baseline for `{metric}` of `{}`", s.name),
                    )
                    .hint("record it with `orrery bench SUITE --baseline FILE --update`")
                })?;
                let c = current[&s.name][metric];
                let (tolerance, verdict) = judge(tol, b, c);
                changes.push(Change {
                    scenario: s.name.clone(),
                    metric: metric.clone(),
                    baseline: b,
                    current: c,
                    tolerance,
                    verdict,
                });
            }
        }
        Ok(changes)
    }
}

/// The allowed change and the verdict for one metric.
fn judge(tol: &Tolerance, baseline: Option<f64>, current: Option<f64>) -> (f64, Verdict) {
    let (b, c) = match (baseline, current) {
        (Some(b), Some(c)) => (b, c),
        // A figure that appears or disappears is a change of kind, never noise.
        (None, None) => return (0.0, Verdict::Unchanged),
        _ => return (0.0, Verdict::Regressed),
    };
    let allowed = tol.absolute.max(tol.relative * b.abs());
    let delta = c - b;
    let verdict = if delta == 0.0 {
        Verdict::Unchanged
    } else if delta.abs() <= allowed {
        Verdict::Noise
    } else {
        match (tol.better, delta < 0.0) {
            (Better::Lower, true) | (Better::Higher, false) => Verdict::Improved,
            _ => Verdict::Regressed,
        }
    };
    (allowed, verdict)
}

/// The numeric fields of `summary.json`, the metrics a suite may compare.
fn numeric_fields() -> Vec<String> {
    let json = serde_json::to_value(Summary::default()).expect("a summary serialises");
    let obj = json.as_object().expect("a summary is an object");
    obj.iter()
        .filter(|(_, v)| !v.is_string())
        .map(|(k, _)| k.clone())
        .collect()
}

/// Reads a baseline file.
pub fn read_baseline(path: &Path) -> Result<Baseline, InputError> {
    let text = orrery_engine::input::read_text(
        path,
        "baseline",
        orrery_engine::input::MAX_CONFIG_BYTES,
        "record one with `orrery bench SUITE --baseline FILE --update`",
    )?;
    serde_json::from_str(&text).map_err(|e| {
        InputError::file(path, e.to_string())
            .at(e.line(), Some(e.column()))
            .hint("the baseline is written by `orrery bench ... --update`; re-record it")
    })
}

/// The baseline file text for `results`.
pub fn baseline_json(
    suite: &Suite,
    results: BTreeMap<String, BTreeMap<String, Option<f64>>>,
) -> String {
    let b = Baseline {
        suite: suite.name.clone(),
        results,
    };
    serde_json::to_string_pretty(&b).expect("a baseline serialises") + "\n"
}

/// The changed metrics as a Markdown table, then one line of counts.
pub fn report(changes: &[Change]) -> String {
    report_with(changes, &|_, text| text.to_string())
}

/// [`report`] with each verdict cell passed through `paint` (colour on a terminal).
pub fn report_with(changes: &[Change], paint: &dyn Fn(Verdict, &str) -> String) -> String {
    let num = |x: f64| {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let show = |v: Option<f64>| v.map_or("-".to_string(), num);
    let mut out = String::from(
        "| scenario | metric | baseline | current | change | tolerance | verdict |\n\
         | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    let mut changed = 0;
    for c in changes.iter().filter(|c| c.verdict != Verdict::Unchanged) {
        changed += 1;
        let change = match (c.baseline, c.current) {
            (Some(b), Some(x)) if b != 0.0 => format!("{:+.2} %", 100.0 * (x - b) / b.abs()),
            (Some(b), Some(x)) => format!("{:+.6}", x - b),
            _ => "appeared/vanished".to_string(),
        };
        let verdict = match c.verdict {
            Verdict::Regressed => "**regression**",
            Verdict::Improved => "improvement",
            _ => "within tolerance",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | ±{} | {} |",
            c.scenario,
            c.metric,
            show(c.baseline),
            show(c.current),
            change,
            num(c.tolerance),
            paint(c.verdict, verdict)
        );
    }
    if changed == 0 {
        out = String::from("No metric changed.\n");
    }
    let count = |v: Verdict| changes.iter().filter(|c| c.verdict == v).count();
    let _ = writeln!(
        out,
        "\n{} regressions, {} improvements, {} within tolerance, {} unchanged.",
        count(Verdict::Regressed),
        count(Verdict::Improved),
        count(Verdict::Noise),
        count(Verdict::Unchanged)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(better: Better, absolute: f64, relative: f64) -> Tolerance {
        Tolerance {
            better,
            absolute,
            relative,
        }
    }

    #[test]
    fn verdicts_follow_direction_and_tolerance() {
        let lower = tol(Better::Lower, 0.0, 0.01); // ±1 % of the baseline
        assert_eq!(
            judge(&lower, Some(100.0), Some(100.0)),
            (1.0, Verdict::Unchanged)
        );
        assert_eq!(judge(&lower, Some(100.0), Some(101.0)).1, Verdict::Noise);
        assert_eq!(
            judge(&lower, Some(100.0), Some(101.5)).1,
            Verdict::Regressed
        );
        assert_eq!(judge(&lower, Some(100.0), Some(98.5)).1, Verdict::Improved);
        let higher = tol(Better::Higher, 2.0, 0.01); // max(2, 1) = 2
        assert_eq!(
            judge(&higher, Some(100.0), Some(97.5)),
            (2.0, Verdict::Regressed)
        );
        assert_eq!(judge(&higher, Some(100.0), Some(98.0)).1, Verdict::Noise);
        assert_eq!(
            judge(&higher, Some(100.0), Some(103.0)).1,
            Verdict::Improved
        );
        let either = tol(Better::Either, 0.5, 0.0);
        assert_eq!(judge(&either, Some(10.0), Some(9.0)).1, Verdict::Regressed);
        assert_eq!(judge(&either, Some(10.0), Some(11.0)).1, Verdict::Regressed);
        assert_eq!(judge(&either, None, None).1, Verdict::Unchanged);
        assert_eq!(judge(&either, Some(1.0), None).1, Verdict::Regressed);
    }
}
