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
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Scenario => "scenario",
            FileKind::Sweep => "sweep",
            FileKind::Federation => "federation file",
            FileKind::Live => "live config",
            FileKind::BenchSuite => "bench suite",
        })
    }
}

impl FileKind {
    /// The kind of the TOML file `source`, from its top-level keys (a TOML syntax error is a
    /// located input error).
    pub fn of(source: &Source) -> Result<FileKind, InputError> {
        let table: toml::Table = source
            .text()
            .parse()
            .map_err(|e: toml::de::Error| InputError::toml(source.path(), source.text(), &e))?;
        let has = |key: &str| table.contains_key(key);
        Ok(if has("sites") || has("architecture") {
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

/// Checks the configuration file at `path` (any kind, with `--set` overrides) without running
/// it, and says what it holds: `name` for a scenario, `name, sweep of N points` for a sweep,
/// `name, federation of N sites` and so on.
pub fn validate(path: &Path, sets: &[String]) -> Result<String, Error> {
    let source = Source::read(path, "file", "check the path")?;
    match FileKind::of(&source)? {
        kind @ (FileKind::Scenario | FileKind::Sweep) => {
            let s = load_scenario(Some(path), sets)?;
            check(&s)?;
            let grid = match Grid::of(&s)? {
                Some(_) => format!(", sweep of {} points", sweep::Plan::new(&s)?.points()),
                None if kind == FileKind::Sweep => unreachable!("a sweep has a [sweep] table"),
                None => String::new(),
            };
            Ok(format!("{}{grid}", s.name))
        }
        FileKind::Federation => {
            let fed = orrery_federation::Federation::load(path, sets)?;
            for scenario in fed.scenarios.iter().flatten() {
                check(scenario)?;
            }
            Ok(format!(
                "{}, federation of {} sites",
                fed.name,
                fed.spec.sites.len()
            ))
        }
        FileKind::Live => live(path, sets),
        FileKind::BenchSuite => {
            let suite = bench::Suite::load(path, sets)?;
            for scenario in suite.scenarios()? {
                check(&scenario)?;
            }
            Ok(format!(
                "{}, bench suite of {} scenarios",
                suite.name,
                suite.scenarios.len()
            ))
        }
    }
}

#[cfg(feature = "live")]
fn live(path: &Path, sets: &[String]) -> Result<String, Error> {
    let config = orrery_live::config::LiveConfig::load(path, sets)?;
    orrery_policies::registry::cloud_os(&config, config.spec.seed)?;
    Ok(format!(
        "{}, live config of {} hosts",
        config.name,
        config.spec.hosts.len()
    ))
}

#[cfg(not(feature = "live"))]
fn live(path: &Path, _sets: &[String]) -> Result<String, Error> {
    Err(crate::cli::live::not_built(path).into())
}
