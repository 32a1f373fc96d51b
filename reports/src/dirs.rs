//! Result directories: a single run (`orrery run --out`), a sweep (`orrery sweep --out`) or a
//! federation (`orrery federate --out`), their manifests, and the labels of a sweep's points.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ReportError;
use crate::values::any_value_text;

/// A run's headline numbers.
pub const SUMMARY_JSON: &str = "summary.json";
/// A run's state at each monitoring update.
pub const INTERVALS_CSV: &str = "intervals.csv";
/// Each host's temperature at each monitoring update (runs with a thermal model).
pub const TEMPERATURES_CSV: &str = "temperatures.csv";
/// A sweep's manifest.
pub const SWEEP_JSON: &str = "sweep.json";
/// A sweep's runs, one row each.
pub const RESULTS_CSV: &str = "results.csv";
/// A sweep run's point, replica, seed and swept values.
pub const RUN_JSON: &str = "run.json";
/// The folder of a sweep's runs.
pub const RUNS_DIR: &str = "runs";

/// `sweep.json`: what a sweep swept.
#[derive(Debug, Clone, Deserialize)]
pub struct SweepManifest {
    /// The scenario's name.
    pub scenario: String,
    /// The swept dotted paths, in grid order.
    pub keys: Vec<String>,
    /// The column type of each swept key (text where a manifest does not say).
    #[serde(default)]
    pub kinds: Vec<orrery_engine::tables::Kind>,
    /// Points in the grid.
    pub points: usize,
    /// Runs per point.
    pub replicas: usize,
}

impl SweepManifest {
    /// The declared schema of the sweep's `results` table.
    pub fn results_schema(&self) -> orrery_engine::tables::Schema {
        let kinds: Vec<orrery_engine::tables::Kind> = (0..self.keys.len())
            .map(|i| {
                self.kinds
                    .get(i)
                    .copied()
                    .unwrap_or(orrery_engine::tables::Kind::Str)
            })
            .collect();
        orrery_engine::scenario::sweep::results_schema(&self.keys, &kinds)
    }

    /// Reads a `sweep.json`.
    pub fn read(path: &Path) -> Result<SweepManifest, ReportError> {
        read_json(path, "write it again with `orrery sweep`")
    }
}

/// A run of a sweep, as its row of `results.csv` describes it.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The grid point.
    pub point: usize,
    /// The replica of the point.
    pub replica: usize,
    /// The swept values of the point, as shown, in the order of the manifest's keys.
    pub values: Vec<String>,
}

impl RunInfo {
    /// The label of the run's point (see [`point_label`]).
    pub fn label(&self, keys: &[String]) -> String {
        point_label(self.point, keys, &self.values)
    }
}

/// What kind of result directory a path is.
#[derive(Debug, Clone)]
pub enum ResultDir {
    /// A single run: `summary.json`, `intervals.csv`, …
    Run(PathBuf),
    /// A sweep: `sweep.json`, `results.csv`, `runs/…`.
    Sweep(PathBuf, SweepManifest),
    /// A federation: `summary.json` (per-site maps), `intervals.csv` per site, `calls.csv`.
    Federation(PathBuf),
}

/// What to pass when a path is no result directory.
const PASS: &str = "pass the --out folder of `orrery run`, `orrery sweep` or `orrery federate`";

impl ResultDir {
    /// Tells a sweep directory (it has `sweep.json`) from a run or federation directory
    /// (`summary.json`; its manifest says which), verifying that it is complete.
    pub fn open(dir: &Path) -> Result<ResultDir, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::input(dir, "no such directory", PASS));
        }
        if dir.join(SWEEP_JSON).is_file() {
            complete(dir, "sweep")?;
            let manifest = SweepManifest::read(&dir.join(SWEEP_JSON))?;
            Ok(ResultDir::Sweep(dir.to_path_buf(), manifest))
        } else if dir.join(SUMMARY_JSON).is_file() {
            let manifest = orrery_engine::output::verify(dir).map_err(|e| {
                ReportError::input(&e.path, e.problem, "run it again with `--force`")
            })?;
            match manifest.kind.as_str() {
                "run" => Ok(ResultDir::Run(dir.to_path_buf())),
                "federation" => Ok(ResultDir::Federation(dir.to_path_buf())),
                other => Err(ReportError::input(
                    dir,
                    format!("holds {other} results, not a run's or a federation's"),
                    PASS,
                )),
            }
        } else {
            Err(ReportError::input(
                dir,
                "neither a run or federation directory (no summary.json) nor a sweep directory \
                 (no sweep.json)",
                PASS,
            ))
        }
    }
}

/// An error unless `dir` is a complete result directory of `kind` (its manifest lists every
/// file with its size, and each is there whole).
pub fn complete(dir: &Path, kind: &str) -> Result<(), ReportError> {
    let hint = match kind {
        "sweep" => {
            "finish the sweep (`orrery sweep FILE --out DIR` resumes it; a sharded sweep \
                    needs `orrery sweep merge`)"
        }
        _ => "run it again with `--force`",
    };
    let manifest = orrery_engine::output::verify(dir)
        .map_err(|e| ReportError::input(&e.path, e.problem, hint))?;
    if manifest.kind != kind {
        return Err(ReportError::input(
            dir,
            format!("holds {} results, not {kind} results", manifest.kind),
            PASS,
        ));
    }
    Ok(())
}

/// An error unless `path` is an existing file; `hint` says how to make it.
pub fn require_file(path: &Path, hint: &str) -> Result<(), ReportError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(ReportError::input(path, "file not found", hint))
    }
}

/// Reads and parses a JSON file; `hint` says how to make a good one.
pub fn read_json<T: DeserializeOwned>(path: &Path, hint: &str) -> Result<T, ReportError> {
    let text = fs::read_to_string(path)
        .map_err(|e| ReportError::input(path, format!("cannot read: {e}"), hint))?;
    serde_json::from_str(&text)
        .map_err(|e| ReportError::input(path, format!("malformed JSON: {e}"), hint))
}

/// The runs of each point of a sweep whose run folders are there, in point order: (the run
/// info of its lowest replica, every replica's folder in replica order), from the sweep's
/// `results` table (`results`, with the manifest's `keys`); none when the sweep has no `runs`
/// folder (only its tables were kept).
pub fn point_runs(
    dir: &Path,
    results: &polars::prelude::DataFrame,
    keys: &[String],
) -> Result<Vec<(RunInfo, Vec<PathBuf>)>, ReportError> {
    let runs = dir.join(RUNS_DIR);
    if !runs.exists() {
        return Ok(Vec::new());
    }
    let path = dir.join(RESULTS_CSV);
    let bad = |e: polars::prelude::PolarsError| {
        ReportError::input(
            &path,
            format!("malformed results: {e}"),
            "re-run `orrery sweep` (with --force) to rewrite it",
        )
    };
    let point = results.column("point").map_err(bad)?.u64().map_err(bad)?;
    let replica = results.column("replica").map_err(bad)?.u64().map_err(bad)?;
    let run = results.column("run").map_err(bad)?.str().map_err(bad)?;
    let mut by_point: BTreeMap<usize, (RunInfo, BTreeMap<usize, PathBuf>)> = BTreeMap::new();
    for i in 0..results.height() {
        let (Some(p), Some(r), Some(id)) = (point.get(i), replica.get(i), run.get(i)) else {
            continue;
        };
        let folder = runs.join(id);
        if !folder.join(RUN_JSON).is_file() {
            continue;
        }
        complete(&folder, "run")?;
        let (p, r) = (p as usize, r as usize);
        let values = keys
            .iter()
            .map(|k| {
                results
                    .column(k)
                    .and_then(|c| c.get(i))
                    .map(|v| any_value_text(&v))
                    .map_err(bad)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let entry = by_point.entry(p).or_insert_with(|| {
            (
                RunInfo {
                    point: p,
                    replica: r,
                    values,
                },
                BTreeMap::new(),
            )
        });
        entry.0.replica = entry.0.replica.min(r);
        entry.1.insert(r, folder);
    }
    Ok(by_point
        .into_values()
        .map(|(info, folders)| (info, folders.into_values().collect()))
        .collect())
}

/// A point's label from its swept values (in the order of `keys`): "key=value, …", where a key
/// is shortened to its last part when that is unambiguous and the key has no list index
/// (`policies.reallocation` → `reallocation`, `hosts.0.count` stays); "point N" for a sweep of
/// replicas only.
pub fn point_label(point: usize, keys: &[String], values: &[String]) -> String {
    if keys.is_empty() {
        return format!("point {point}");
    }
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    keys.iter()
        .zip(values)
        .map(|(k, v)| {
            let short = last(k);
            let indexed = k.split('.').any(|p| p.parse::<usize>().is_ok());
            let unique = keys.iter().filter(|o| last(o) == short).count() == 1;
            let name = if unique && !indexed { short } else { k.clone() };
            format!("{name}={v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn labels_shorten_unambiguous_keys_without_indices() {
        let k = keys(&["policies.reallocation", "hosts.0.count"]);
        let v = keys(&["consolidation", "40"]);
        assert_eq!(
            point_label(3, &k, &v),
            "reallocation=consolidation, hosts.0.count=40"
        );
        let k = keys(&["a.limit", "b.limit"]);
        assert_eq!(
            point_label(0, &k, &keys(&["1", "2"])),
            "a.limit=1, b.limit=2"
        );
        assert_eq!(point_label(5, &[], &[]), "point 5");
    }

    #[test]
    fn run_labels_follow_the_manifest_order() {
        let info = RunInfo {
            point: 1,
            replica: 0,
            values: keys(&["2", "x"]),
        };
        assert_eq!(info.label(&keys(&["z.b", "a.c"])), "b=2, c=x");
    }
}
