//! `orrery decide STATE`: one decision of the configured policies on a cluster described by a
//! state file, printed (or written) as JSON: what `run` and `live` would do right now.

use std::io::Write as _;
use std::path::PathBuf;

use super::output::Ui;
use crate::decide::{self, Kind};
use crate::error::Error;
use orrery_engine::state_file::State;

/// Arguments of `orrery decide`.
#[derive(clap::Args)]
pub struct Args {
    /// The state file (TOML, or JSON when it ends in .json): hosts, VM types, VMs, services
    /// and a scenario's [policies] (docs/decide.md).
    state: PathBuf,
    /// Only these decisions, in this order (comma-separated; default: elasticity, placement,
    /// reallocation).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KIND")]
    only: Vec<Kind>,
    /// Overrides applied to the state file before it is read (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Write the answer to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Reads the state, decides, and prints or writes the answer.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    ui.note_path(1, "Loading", "", &args.state);
    let state = State::load(&args.state, &args.sets)?;
    let kinds = if args.only.is_empty() {
        Kind::ALL.to_vec()
    } else {
        args.only
    };
    let answer = decide::decide(&state, &kinds)?;
    match args.out {
        None => ui.json(&answer),
        Some(path) => {
            // Made of maps, strings and numbers: it serialises.
            let text = serde_json::to_string_pretty(&answer).expect("a JSON value serialises");
            write_atomically(&path, &text)?;
            ui.note_path(1, "Wrote", "", &path);
        }
    }
    Ok(())
}

/// Writes `text` to `path` through a temporary file beside it, so that a reader never sees
/// half an answer.
fn write_atomically(path: &std::path::Path, text: &str) -> Result<(), Error> {
    let failed = |e: std::io::Error| Error::output(path.display().to_string(), e);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.write_all(b"\n"))
        .map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}
