//! Parameter grids: a scenario's `[sweep]` table.
//!
//! Every key of the table is a dotted path into the scenario and every value a list; the grid is
//! the cartesian product of the lists, in the order the keys are written, the last key varying
//! fastest. Paths may be written as quoted keys (`"policies.placement" = [...]`), as dotted keys
//! or as nested tables (`[sweep.policies]`): all three name the same path. `replicas = N` runs
//! each point N times with different seeds.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml_edit::{ImDocument, Item, TableLike, Value};

use super::Scenario;
use crate::error::InputError;
use crate::metrics::Summary;
use crate::rng::RngStreams;
use crate::tables::{Column, Kind, Schema, Table};

/// `sweep.json`: what the runs in a sweep directory are runs of. A sweep is its base
/// scenario's content (the scenario without its `[sweep]` table, after `--set`): the grid may
/// grow (more values, more replicas) and only the new runs run, but a directory never holds
/// runs of two different base scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file, as given on the command line (for people: not part of the identity).
    pub file: String,
    /// The base scenario's content id (hex): the sweep's identity.
    pub content: String,
    /// The scenario's own seed.
    pub base_seed: u64,
    /// Swept keys, in grid order.
    pub keys: Vec<String>,
    /// The column type of each swept key, from its values.
    pub kinds: Vec<Kind>,
    /// Each key's values as shown in the results.
    pub values: Vec<Vec<String>>,
    /// Points in the grid.
    pub points: usize,
    /// Runs per point.
    pub replicas: u32,
}

/// The columns `results.csv` starts with, before the swept keys.
pub const RUN_COLUMNS: [&str; 4] = ["point", "replica", "seed", "run"];

/// The schema of a sweep's `results` table for swept `keys` of `kinds`: the point, replica,
/// seed and run folder, the swept values, then every summary figure but the seed.
pub fn results_schema(keys: &[String], kinds: &[Kind]) -> Schema {
    let mut columns = vec![
        Column::new("point", Kind::U64, false, "point"),
        Column::new("replica", Kind::U64, false, "replica"),
        Column::new("seed", Kind::U64, false, ""),
        Column::new("run", Kind::Str, false, ""),
    ];
    for (k, kind) in keys.iter().zip(kinds) {
        columns.push(Column::new(k, *kind, false, ""));
    }
    columns.extend(
        Summary::schema()
            .columns
            .into_iter()
            .filter(|c| c.name != "seed"),
    );
    Schema {
        table: "results".into(),
        columns,
    }
}

/// The summary figures a sweep aggregates over replicas: every numeric summary column but the
/// seed.
pub fn metrics() -> Vec<Column> {
    Summary::schema()
        .columns
        .into_iter()
        .filter(|c| c.name != "seed" && c.kind != Kind::Str)
        .collect()
}

/// The schema of a sweep's `aggregate` table: the point, the swept values and the number of
/// replicas, then each metric's mean, standard deviation and 95 % confidence half-width over
/// the point's replicas (empty where there are too few values).
pub fn aggregate_schema(keys: &[String], kinds: &[Kind]) -> Schema {
    let mut columns = vec![Column::new("point", Kind::U64, false, "point")];
    for (k, kind) in keys.iter().zip(kinds) {
        columns.push(Column::new(k, *kind, false, ""));
    }
    columns.push(Column::new("replicas", Kind::U64, false, "runs"));
    for m in metrics() {
        for suffix in ["_mean", "_sd", "_ci95"] {
            columns.push(Column::new(
                &format!("{}{suffix}", m.name),
                Kind::F64,
                true,
                &m.unit,
            ));
        }
    }
    Schema {
        table: "aggregate".into(),
        columns,
    }
}

/// The column type of a swept key's `values`: integers, numbers (integers and floats mixed),
/// booleans, or text for anything else.
pub fn kind_of(values: &[Value]) -> Kind {
    if values.iter().all(|v| v.as_integer().is_some()) {
        Kind::I64
    } else if values
        .iter()
        .all(|v| v.as_integer().is_some() || v.as_float().is_some())
    {
        Kind::F64
    } else if values.iter().all(|v| v.as_bool().is_some()) {
        Kind::Bool
    } else {
        Kind::Str
    }
}

/// The grid of a `[sweep]` table.
#[derive(Debug, Clone)]
pub struct Grid {
    /// The swept dotted paths, in grid order.
    pub keys: Vec<String>,
    /// The values of each key, in the order written.
    pub lists: Vec<Vec<Value>>,
    /// Runs per point (at least 1).
    pub replicas: u32,
}

impl Grid {
    /// The grid of `scenario`'s `[sweep]` table, after its `--set` overrides (so
    /// `--set sweep.replicas=10` works); `None` when it has none.
    pub fn of(scenario: &Scenario) -> Result<Option<Grid>, InputError> {
        let (text, _) = scenario.source.overridden_text(&[])?;
        Self::parse(&text, scenario.file())
    }

    /// The grid of the `[sweep]` table in scenario `text` read from `file`.
    pub fn parse(text: &str, file: &Path) -> Result<Option<Grid>, InputError> {
        let doc = ImDocument::parse(text).map_err(|e| {
            let mut err = InputError::file(file, e.message().trim().replace('\n', "; "));
            if let Some(span) = e.span() {
                err = err.at_offset(text, span.start);
            }
            err
        })?;
        let Some(sweep) = doc.get("sweep") else {
            return Ok(None);
        };
        let error = |item: &Item, key: &str, message: String| {
            let mut err = InputError::file(file, message)
                .key(format!("sweep.{key}"))
                .hint("see the [sweep] table in scenarios/README.md");
            if let Some(span) = item.span() {
                err = err.at_offset(text, span.start);
            }
            err
        };
        let table = sweep.as_table_like().ok_or_else(|| {
            error(sweep, "", "`sweep` must be a table".into())
                .hint("write [sweep] with one list of values per dotted key")
        })?;
        let mut grid = Grid {
            keys: Vec::new(),
            lists: Vec::new(),
            replicas: 1,
        };
        if let Some(item) = table.get("replicas") {
            grid.replicas = item
                .as_integer()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n >= 1)
                .ok_or_else(|| {
                    error(
                        item,
                        "replicas",
                        "`replicas` must be a whole number ≥ 1".into(),
                    )
                })?;
        }
        let mut entries = Vec::new();
        collect(table, "", &mut entries);
        for (key, item) in entries {
            let list = item.as_array().ok_or_else(|| {
                error(
                    item,
                    &key,
                    format!("`sweep.{key}` must be a list of values"),
                )
                .hint(format!("write e.g. \"{key}\" = [1, 2, 3]"))
            })?;
            if list.is_empty() {
                return Err(error(item, &key, format!("`sweep.{key}` is an empty list"))
                    .hint("give at least one value, or remove the key"));
            }
            if grid.keys.contains(&key) {
                return Err(error(item, &key, format!("`{key}` is swept twice"))
                    .hint("write each path once, either quoted or as a table"));
            }
            grid.keys.push(key);
            grid.lists.push(list.iter().map(bare).collect());
        }
        if grid.keys.is_empty() {
            return Err(error(sweep, "", "`[sweep]` sweeps no key".into())
                .hint("add a dotted key with a list of values, e.g. \"seed\" = [1, 2]"));
        }
        Ok(Some(grid))
    }

    /// Number of points (the product of the list lengths). Only for a grid whose
    /// [`Grid::runs`] was checked against the limits: it cannot overflow then.
    pub fn points(&self) -> usize {
        self.lists.iter().map(Vec::len).product()
    }

    /// Runs of the grid (points × replicas), counted without overflow.
    pub fn runs(&self) -> u128 {
        self.lists.iter().fold(u128::from(self.replicas), |n, l| {
            n.saturating_mul(l.len() as u128)
        })
    }

    /// Refuses a grid of more runs than `scenario`'s `limits.max_sweep_runs`.
    pub fn check_size(&self, scenario: &Scenario) -> Result<(), InputError> {
        let runs = self.runs();
        let limit = scenario.spec.limits.max_sweep_runs;
        if runs > u128::from(limit) {
            let shown = if runs == u128::MAX {
                "more than 10^38".to_string()
            } else {
                runs.to_string()
            };
            return Err(scenario
                .error_at(
                    "sweep",
                    format!(
                        "the grid has {shown} runs (points × replicas), over the limit of {limit}"
                    ),
                )
                .hint(
                    "sweep fewer values, or raise the limit: [limits] max_sweep_runs = N in the \
                     file, or --set limits.max_sweep_runs=N",
                ));
        }
        Ok(())
    }

    /// The values of point `k` (`0 ≤ k < points()`), one per key, the last key varying fastest.
    pub fn point(&self, mut k: usize) -> Vec<(String, Value)> {
        let mut values = vec![None; self.keys.len()];
        for (i, list) in self.lists.iter().enumerate().rev() {
            values[i] = Some(list[k % list.len()].clone());
            k /= list.len();
        }
        self.keys
            .iter()
            .cloned()
            .zip(values.into_iter().flatten())
            .collect()
    }

    /// The seed of `replica` of a point whose scenario seed is `base`: the base itself for
    /// replica 0 (so the first replica of a point is exactly `orrery run` with its values), a
    /// derived one otherwise. It depends on nothing else: not on the point's position in a
    /// shard, the thread count or the order runs finish. Points share their replica seeds
    /// (common random numbers), so policies are compared on the same demand.
    pub fn seed(base: u64, replica: u32) -> u64 {
        if replica == 0 {
            base
        } else {
            use rand::RngCore;
            RngStreams::new(base)
                .stream("replica", u64::from(replica))
                .next_u64()
        }
    }
}

/// A value as written in a results table: strings bare, anything else as TOML writes it.
pub fn display(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_string(),
        None => value.to_string().trim().to_string(),
    }
}

/// Every swept (path, item) under `table`, in the order written; `replicas` at the top is not
/// a path. Tables recurse; anything else is a leaf (checked to be a list by the caller).
fn collect<'a>(table: &'a dyn TableLike, prefix: &str, out: &mut Vec<(String, &'a Item)>) {
    for (key, item) in table.iter() {
        if prefix.is_empty() && key == "replicas" {
            continue;
        }
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        match item.as_table_like() {
            Some(inner) if !item.is_array() => collect(inner, &path, out),
            _ => out.push((path, item)),
        }
    }
}

/// `value` without the whitespace and comments it had in the file.
fn bare(value: &Value) -> Value {
    let mut v = value.clone();
    v.decor_mut().clear();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(sweep: &str) -> Result<Option<Grid>, InputError> {
        Grid::parse(&format!("name = \"x\"\n{sweep}"), Path::new("s.toml"))
    }

    fn shown(g: &Grid, k: usize) -> Vec<(String, String)> {
        g.point(k)
            .iter()
            .map(|(k, v)| (k.clone(), display(v)))
            .collect()
    }

    #[test]
    fn no_sweep_table_is_no_grid() {
        assert!(grid("").unwrap().is_none());
    }

    #[test]
    fn quoted_dotted_and_nested_keys_name_the_same_paths() {
        let quoted = grid(
            "[sweep]\n\"policies.placement\" = [\"packing\", \"striping\"]\n\"hosts.0.count\" = [4, 8, 16]\n",
        )
        .unwrap()
        .unwrap();
        let nested = grid(
            "[sweep.policies]\nplacement = [\"packing\", \"striping\"]\n[sweep.hosts.0]\ncount = [4, 8, 16]\n",
        )
        .unwrap()
        .unwrap();
        let dotted = grid(
            "[sweep]\npolicies.placement = [\"packing\", \"striping\"]\nhosts.0.count = [4, 8, 16]\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(quoted.keys, ["policies.placement", "hosts.0.count"]);
        assert_eq!(nested.keys, quoted.keys);
        assert_eq!(dotted.keys, quoted.keys);
        for g in [&quoted, &nested, &dotted] {
            assert_eq!(g.points(), 6);
            assert_eq!(g.replicas, 1);
        }
        for k in 0..6 {
            assert_eq!(shown(&nested, k), shown(&quoted, k));
            assert_eq!(shown(&dotted, k), shown(&quoted, k));
        }
    }

    #[test]
    fn the_last_key_varies_fastest() {
        let g = grid("[sweep]\nreplicas = 3\na = [1, 2]\nb = [\"x\", \"y\", \"z\"]\n")
            .unwrap()
            .unwrap();
        assert_eq!(g.replicas, 3);
        let all: Vec<String> = (0..g.points())
            .map(|k| {
                let p = shown(&g, k);
                format!("{}{}", p[0].1, p[1].1)
            })
            .collect();
        assert_eq!(all, ["1x", "1y", "1z", "2x", "2y", "2z"]);
    }

    #[test]
    fn values_keep_their_toml_types() {
        let g = grid("[sweep]\nx = [0.5, true, \"s\", [1, 2], { a = 1 }]\n")
            .unwrap()
            .unwrap();
        let v: Vec<Value> = (0..5).map(|k| g.point(k)[0].1.clone()).collect();
        assert_eq!(v[0].as_float(), Some(0.5));
        assert_eq!(v[1].as_bool(), Some(true));
        assert_eq!(v[2].as_str(), Some("s"));
        assert_eq!(display(&v[3]), "[1, 2]");
        assert_eq!(display(&v[4]), "{ a = 1 }");
    }

    #[test]
    fn bad_tables_are_located_errors() {
        let cases = [
            ("[sweep]\nseed = 3\n", "must be a list", 3),
            ("[sweep]\nseed = []\n", "empty list", 3),
            ("[sweep]\nreplicas = 0\nseed = [1]\n", "replicas", 3),
            ("[sweep]\nreplicas = 2\n", "sweeps no key", 2),
            ("[sweep]\n\"a.b\" = [1]\na.b = [2]\n", "swept twice", 4),
        ];
        for (text, what, line) in cases {
            let e = grid(text).unwrap_err().to_string();
            assert!(e.contains(what), "{text}: {e}");
            assert!(e.contains("s.toml"), "{e}");
            assert!(e.contains(&format!("line {line}")), "{text}: {e}");
        }
    }

    #[test]
    fn replica_seeds_depend_only_on_base_and_replica() {
        assert_eq!(Grid::seed(42, 0), 42);
        let a = Grid::seed(42, 1);
        assert_eq!(a, Grid::seed(42, 1));
        assert_ne!(a, Grid::seed(42, 2));
        assert_ne!(a, Grid::seed(43, 1));
        assert_ne!(a, 42);
    }
}
