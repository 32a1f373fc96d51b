//! The sweep directory: manifest, one folder per finished run (named by the run's content
//! id, so a run is found again whatever its point's index in a grown grid), and the results
//! tables.

use std::fs;
use std::path::{Path, PathBuf};

use csv::StringRecord;
use orrery_engine::metrics::{RunResult, Summary};
use orrery_engine::output::OutputDir;
use orrery_engine::scenario::sweep::{display, results_schema, Manifest};
use serde::{Deserialize, Serialize};

use super::error::SweepError;
use super::shard::Shard;

/// `run.json`: which run a run folder holds: its seed and its point's swept values (not its
/// place in the grid, which growing the grid may change: `results.csv` says that).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunMeta {
    seed: u64,
    values: serde_json::Map<String, serde_json::Value>,
}

/// One run of a sweep: its point and replica in the grid, its seed, and its content id (the
/// name of its folder), which depends on the point's scenario content and the seed alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// The point's index in the current grid.
    pub point: usize,
    /// The replica.
    pub replica: u32,
    /// Its seed.
    pub seed: u64,
    /// Its folder name under `runs/`.
    pub id: String,
}

impl RunSpec {
    /// The run of `point`'s `replica` with `seed`, whose point scenario has content id
    /// `content`.
    pub fn new(point: usize, replica: u32, seed: u64, content: u64) -> RunSpec {
        let mut bytes = content.to_le_bytes().to_vec();
        bytes.extend_from_slice(&seed.to_le_bytes());
        RunSpec {
            point,
            replica,
            seed,
            id: format!("r{:016x}", orrery_engine::rng::fnv1a(&bytes)),
        }
    }
}

/// An open sweep directory.
pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
}

impl Store {
    /// Opens (creating) `dir` for the sweep `manifest` describes; a directory holding another
    /// sweep is refused (`--force` re-runs the runs of the same sweep, it never mixes two).
    pub fn open(dir: &Path, manifest: &Manifest) -> Result<Store, SweepError> {
        fs::create_dir_all(dir.join("runs")).map_err(|e| io(dir, e))?;
        // The sweep is about to change: incomplete until sealed again.
        orrery_engine::output::unseal(dir).map_err(|e| io(&e.path, e.source))?;
        let path = dir.join("sweep.json");
        if path.exists() {
            let existing: Manifest = read_json(&path)?;
            if existing.content != manifest.content {
                return Err(SweepError::Store(format!(
                    "{} holds runs of another sweep ({} from {}, content {}): this scenario \
                     differs from it in more than its [sweep] table; use another --out, or delete \
                     the directory to start over",
                    dir.display(),
                    existing.scenario,
                    existing.file,
                    existing.content
                )));
            }
        }
        // The grid may have grown: the manifest always describes the current one.
        let json = serde_json::to_string_pretty(manifest).expect("a manifest serialises");
        write_atomically(&path, (json + "\n").as_bytes())?;
        Ok(Store {
            dir: dir.to_path_buf(),
            manifest: manifest.clone(),
        })
    }

    /// Opens an existing sweep directory.
    pub fn existing(dir: &Path) -> Result<Store, SweepError> {
        let path = dir.join("sweep.json");
        if !path.exists() {
            return Err(SweepError::Store(format!(
                "{} is not a sweep directory (no sweep.json): give the --out of `orrery sweep`",
                dir.display()
            )));
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            manifest: read_json(&path)?,
        })
    }

    /// Removes what interrupted writers left of `runs` (this invocation's share of the grid,
    /// so never a folder another shard is writing): `runs/.tmp-RUN-PID` folders.
    pub fn clean_leftovers(&self, runs: &[RunSpec]) -> Result<(), SweepError> {
        let mine: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        let folder = self.dir.join("runs");
        let entries = fs::read_dir(&folder).map_err(|e| io(&folder, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let run = name
                .strip_prefix(".tmp-")
                .and_then(|rest| rest.rsplit_once('-'))
                .map(|(run, _pid)| run);
            if run.is_some_and(|run| mine.contains(run)) {
                fs::remove_dir_all(entry.path()).map_err(|e| io(&entry.path(), e))?;
            }
        }
        Ok(())
    }

    fn run_dir(&self, run: &RunSpec) -> PathBuf {
        self.dir.join("runs").join(&run.id)
    }

    /// Whether `run` has finished (in this grid or an earlier one).
    pub fn is_done(&self, run: &RunSpec) -> bool {
        self.run_dir(run).join("run.json").exists()
    }

    /// Saves a finished run: written in a private folder, then renamed into place, so a run
    /// folder is either complete or absent.
    pub fn save(
        &self,
        run: &RunSpec,
        values: &[(String, toml_edit::Value)],
        result: &RunResult,
    ) -> Result<(), SweepError> {
        let name = &run.id;
        let tmp = self
            .dir
            .join("runs")
            .join(format!(".tmp-{name}-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
        }
        let mut out = OutputDir::create(&tmp, "run", &[], false)
            .map_err(|e| SweepError::Store(format!("cannot prepare {}: {e}", tmp.display())))?;
        let written = orrery_reports::write_run(&mut out, result).and_then(|()| {
            let meta = RunMeta {
                seed: run.seed,
                values: values
                    .iter()
                    .map(|(k, v)| (k.clone(), json_value(v)))
                    .collect(),
            };
            out.write_json("run.json", &meta)
        });
        written
            .and_then(|()| out.finish().map(drop))
            .map_err(|e| io(&e.path, e.source))?;
        let dest = self.run_dir(run);
        if dest.exists() {
            fs::remove_dir_all(&dest).map_err(|e| io(&dest, e))?;
        }
        fs::rename(&tmp, &dest).map_err(|e| io(&dest, e))
    }

    /// The results header: point, replica, seed, run, the swept keys, then every summary
    /// field but the seed (the declared `results` schema).
    fn header(&self) -> StringRecord {
        let schema = results_schema(&self.manifest.keys, &self.manifest.kinds);
        schema.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The results row of a finished run, read back from its folder: its point and replica
    /// in the current grid.
    fn row(&self, run: &RunSpec) -> Result<StringRecord, SweepError> {
        let dir = self.run_dir(run);
        let meta: RunMeta = read_json(&dir.join("run.json"))?;
        let summary: Summary = read_json(&dir.join("summary.json"))?;
        let mut row = StringRecord::new();
        row.push_field(&run.point.to_string());
        row.push_field(&run.replica.to_string());
        row.push_field(&run.seed.to_string());
        row.push_field(&run.id);
        for k in &self.manifest.keys {
            let v = meta.values.get(k).ok_or_else(|| {
                SweepError::Store(format!(
                    "{}: no value for `{k}`; delete the folder to re-run it",
                    dir.join("run.json").display()
                ))
            })?;
            row.push_field(&match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
        let (fields, values) = summary_record(&summary);
        for (f, v) in fields.iter().zip(values.iter()) {
            if f != "seed" {
                row.push_field(v);
            }
        }
        Ok(row)
    }

    fn table(&self, runs: &[RunSpec]) -> Result<Vec<StringRecord>, SweepError> {
        runs.iter().map(|r| self.row(r)).collect()
    }

    /// Writes `results.csv` for `runs` (the whole grid) and returns its path.
    pub fn write_results(&self, runs: &[RunSpec]) -> Result<PathBuf, SweepError> {
        let path = self.dir.join("results.csv");
        write_table(&path, &self.header(), &self.table(runs)?)?;
        Ok(path)
    }

    fn part_path(&self, shard: Shard) -> PathBuf {
        self.dir
            .join("parts")
            .join(format!("part-{}-of-{}.csv", shard.index, shard.count))
    }

    /// Writes this shard's part of the results and returns its path.
    pub fn write_part(&self, shard: Shard, runs: &[RunSpec]) -> Result<PathBuf, SweepError> {
        let path = self.part_path(shard);
        fs::create_dir_all(self.dir.join("parts")).map_err(|e| io(&self.dir, e))?;
        write_table(&path, &self.header(), &self.table(runs)?)?;
        Ok(path)
    }

    /// Joins the `expect` parts into `results.csv`.
    pub fn merge(&self, expect: usize) -> Result<PathBuf, SweepError> {
        if expect == 0 {
            return Err(SweepError::Store("--expect must be at least 1".into()));
        }
        let parts: Vec<PathBuf> = (0..expect)
            .map(|index| {
                self.part_path(Shard {
                    index,
                    count: expect,
                })
            })
            .collect();
        let missing: Vec<String> = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.exists())
            .map(|(i, _)| i.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(SweepError::Store(format!(
                "{}: parts {} of {expect} are missing (those shards have not finished); run \
                 `orrery sweep FILE --shard i/{expect} --out {}` for each, then merge again",
                self.dir.join("parts").display(),
                missing.join(", "),
                self.dir.display()
            )));
        }
        let header = self.header();
        let mut rows = Vec::new();
        for part in &parts {
            let mut reader = csv::Reader::from_path(part).map_err(|e| csv_error(part, e))?;
            if reader.headers().map_err(|e| csv_error(part, e))? != &header {
                return Err(SweepError::Store(format!(
                    "{}: its columns differ from this sweep's; re-run that shard",
                    part.display()
                )));
            }
            for record in reader.records() {
                let record = record.map_err(|e| csv_error(part, e))?;
                let key = (index(&record, 0, part)?, index(&record, 1, part)?);
                rows.push((key, record));
            }
        }
        rows.sort_by_key(|(key, _)| *key);
        let expected: Vec<(usize, usize)> = (0..self.manifest.points)
            .flat_map(|k| (0..self.manifest.replicas as usize).map(move |r| (k, r)))
            .collect();
        let found: Vec<(usize, usize)> = rows.iter().map(|(key, _)| *key).collect();
        if found != expected {
            return Err(SweepError::Store(format!(
                "{}: the parts hold {} runs where the grid has {} ({} points × {} replicas), or \
                 some run twice; were they written with another --shard count?",
                self.dir.join("parts").display(),
                found.len(),
                expected.len(),
                self.manifest.points,
                self.manifest.replicas
            )));
        }
        let path = self.dir.join("results.csv");
        let rows: Vec<StringRecord> = rows.into_iter().map(|(_, r)| r).collect();
        write_table(&path, &header, &rows)?;
        Ok(path)
    }
}

/// A summary's field names and values, as its CSV serialisation writes them.
fn summary_record(summary: &Summary) -> (StringRecord, StringRecord) {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(summary).expect("a summary serialises");
    let bytes = w.into_inner().expect("writing to memory cannot fail");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header = r.headers().expect("header just written").clone();
    let values = r
        .records()
        .next()
        .expect("one record")
        .expect("record just written");
    (header, values)
}

/// A TOML value as JSON: numbers and booleans as such, anything else as its text.
fn json_value(v: &toml_edit::Value) -> serde_json::Value {
    use toml_edit::Value as T;
    match v {
        T::Integer(i) => (*i.value()).into(),
        T::Float(f) => serde_json::Number::from_f64(*f.value())
            .map_or_else(|| display(v).into(), serde_json::Value::Number),
        T::Boolean(b) => (*b.value()).into(),
        _ => display(v).into(),
    }
}

fn index(record: &StringRecord, i: usize, file: &Path) -> Result<usize, SweepError> {
    record.get(i).and_then(|s| s.parse().ok()).ok_or_else(|| {
        SweepError::Store(format!(
            "{}: a row without a valid point/replica number; re-run that shard",
            file.display()
        ))
    })
}

fn write_table(
    path: &Path,
    header: &StringRecord,
    rows: &[StringRecord],
) -> Result<(), SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| csv_error(path, e))?;
    for row in rows {
        w.write_record(row).map_err(|e| csv_error(path, e))?;
    }
    let bytes = w.into_inner().map_err(|e| io(path, e.into_error()))?;
    write_atomically(path, &bytes)
}

/// Writes `bytes` to a private file beside `path`, then renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        ".tmp-{}-{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SweepError> {
    let text = fs::read_to_string(path).map_err(|e| io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        SweepError::Store(format!(
            "{}, line {}: {e}; delete the file's run folder (or the directory) to re-run it",
            path.display(),
            e.line()
        ))
    })
}

fn io(path: &Path, e: std::io::Error) -> SweepError {
    SweepError::Store(format!("{}: {e}", path.display()))
}

fn csv_error(path: &Path, e: csv::Error) -> SweepError {
    SweepError::Store(format!("{}: {e}", path.display()))
}
