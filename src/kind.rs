//! The kinds of configuration file orrery reads, told apart by their top-level keys, and the
//! check `orrery validate` runs on each: everything that can be checked without running.

use std::fmt;
use std::path::Path;

use orrery_engine::config::Source;
use orrery_engine::error::InputError;
use orrery_engine::scenario::sweep::Grid;

use crate::error::Error;
use crate::runs::{check, load_scenario};
use crate::{bench, sweep};

/// A kind of configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A scenario (`orrery run`).
    Scenario,
    /// A scenario with a `[sweep]` table (`orrery sweep`).
    Sweep,
    /// A federation file (`orrery federate`): `[[sites]]` and an `[architecture]`.
    Federation,
    /// A live config (`orrery live`): a `journal` and `[[templates]]`.
    Live,
    /// A bench suite (`orrery bench`): `[[scenario]]` entries and `[metrics]`.
    BenchSuite,
    /// A state file (`orrery decide`): `format = "orrery-decide/…"`, TOML or JSON.
    DecideState,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Scenario => "scenario",
            FileKind::Sweep => "sweep",
            FileKind::Federation => "federation file",
            FileKind::Live => "live config",
            FileKind::BenchSuite => "bench suite",
            FileKind::DecideState => "state file",
        })
    }
}

impl FileKind {
    /// The kind's name in `orrery validate --json`: `scenario`, `sweep`, `federation`, `live`
    /// `bench-suite` or `decide-state`.
    pub fn id(&self) -> &'static str {
        match self {
            FileKind::Scenario => "scenario",
            FileKind::Sweep => "sweep",
            FileKind::Federation => "federation",
            FileKind::Live => "live",
            FileKind::BenchSuite => "bench-suite",
            FileKind::DecideState => "decide-state",
        }
    }

    /// The kind of the file at `path`, when it can be read and is TOML.
    pub fn of_file(path: &Path) -> Option<FileKind> {
        let source = Source::read(path, "file", "check the path").ok()?;
        FileKind::of(&source).ok()
    }

    /// The kind of the TOML file `source`, from its top-level keys (a TOML syntax error is a
    /// located input error).
    pub fn of(source: &Source) -> Result<FileKind, InputError> {
        if source.path().extension().is_some_and(|e| e == "json") {
            return Ok(FileKind::DecideState);
        }
        let table: toml::Table = source
            .text()
            .parse()
            .map_err(|e: toml::de::Error| InputError::toml(source.path(), source.text(), &e))?;
        let has = |key: &str| table.contains_key(key);
        let decide_format = table
            .get("format")
            .and_then(|f| f.as_str())
            .is_some_and(|f| f.starts_with("orrery-decide"));
        Ok(if decide_format {
            FileKind::DecideState
        } else if has("sites") || has("architecture") {
            FileKind::Federation
        } else if has("journal") || has("templates") {
            FileKind::Live
        } else if has("scenario") && has("metrics") {
            FileKind::BenchSuite
        } else if has("sweep") {
            FileKind::Sweep
        } else {
            FileKind::Scenario
        })
    }
}

/// What a valid configuration file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its kind.
    pub kind: FileKind,
    /// The name it gives (or its file stem).
    pub name: String,
    /// What else there is to say: `sweep of 6 points`, `federation of 3 sites`.
    pub detail: Option<String>,
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match &self.detail {
            Some(detail) => write!(f, ", {detail}"),
            None => Ok(()),
        }
    }
}

/// Checks the configuration file at `path` (any kind, with `--set` overrides) without running
/// it, and says what it holds (shown as `name` for a scenario, `name, sweep of N points` for a
/// sweep, `name, federation of N sites` and so on).
pub fn validate(path: &Path, sets: &[String]) -> Result<Checked, Error> {
    let source = Source::read(path, "file", "check the path")?;
    let kind = FileKind::of(&source)?;
    let (name, detail) = match kind {
        FileKind::Scenario | FileKind::Sweep => {
            let s = load_scenario(Some(path), sets)?;
            check(&s)?;
            let grid = match Grid::of(&s)? {
                Some(_) => Some(format!(
                    "sweep of {} points",
                    sweep::Plan::new(&s)?.points()
                )),
                None if kind == FileKind::Sweep => unreachable!("a sweep has a [sweep] table"),
                None => None,
            };
            (s.name, grid)
        }
        FileKind::Federation => {
            let fed = orrery_federation::Federation::load(path, sets)?;
            for scenario in fed.scenarios.iter().flatten() {
                check(scenario)?;
            }
            let detail = format!("federation of {} sites", fed.spec.sites.len());
            (fed.name, Some(detail))
        }
        FileKind::Live => live(path, sets)?,
        FileKind::DecideState => {
            let state = orrery_engine::state_file::State::load(path, sets)?;
            orrery_policies::registry::cloud_os(&state, state.spec.seed)?;
            let detail = format!(
                "state of {} hosts and {} VMs",
                state.spec.hosts.len(),
                state.spec.vms.len()
            );
            (state.source.stem(), Some(detail))
        }
        FileKind::BenchSuite => {
            let suite = bench::Suite::load(path, sets)?;
            for scenario in suite.scenarios()? {
                check(&scenario)?;
            }
            let detail = format!("bench suite of {} scenarios", suite.scenarios.len());
            (suite.name, Some(detail))
        }
    };
    Ok(Checked { kind, name, detail })
}

#[cfg(feature = "live")]
fn live(path: &Path, sets: &[String]) -> Result<(String, Option<String>), Error> {
    let config = orrery_live::config::LiveConfig::load(path, sets)?;
    orrery_policies::registry::cloud_os(&config, config.spec.seed)?;
    let detail = format!("live config of {} hosts", config.spec.hosts.len());
    Ok((config.name, Some(detail)))
}

#[cfg(not(feature = "live"))]
fn live(path: &Path, _sets: &[String]) -> Result<(String, Option<String>), Error> {
    Err(crate::cli::live::not_built(path).into())
}
