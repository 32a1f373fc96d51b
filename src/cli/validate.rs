//! `orrery validate`: checks configuration files of every kind without running them.

use std::path::PathBuf;

use serde::Serialize;

use super::output::{ErrorJson, Paint, Ui};
use crate::error::Error;
use crate::kind::FileKind;

/// Arguments of `orrery validate`.
#[derive(clap::Args)]
pub struct Args {
    /// Files: scenarios, sweeps, federation files, live configs, bench suites or decide states
    /// (the kind is told from the file's keys; a .json file is a decide state).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Overrides applied to each file before checking (repeatable; a relative path resolves
    /// against each file's directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print one JSON array on stdout: per file its `path`, `kind`, `ok`, and `name` and
    /// `detail` or the `error` (with `file`, `line`, `column`, `key`, `message`, `hint`).
    #[arg(long)]
    json: bool,
}

/// One file's verdict in `validate --json`.
#[derive(Serialize)]
struct FileJson {
    path: String,
    /// The kind's id (`scenario`, `sweep`, …), `null` when the file is not readable TOML.
    kind: Option<&'static str>,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

/// Checks every file, printing `FILE: ok (what it holds)` for each good one (or one JSON
/// array); the bad ones are reported together on stderr (exit 2).
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    let mut errors = Vec::new();
    let mut results = Vec::new();
    for path in &args.files {
        ui.note_path(1, "Checking", "", path);
        let shown = path.display().to_string();
        match crate::kind::validate(path, &args.sets) {
            Ok(checked) if args.json => results.push(FileJson {
                path: shown,
                kind: Some(checked.kind.id()),
                ok: true,
                name: Some(checked.name),
                detail: checked.detail,
                error: None,
            }),
            Ok(checked) => ui.print(format!(
                "{shown}: {} ({checked})\n",
                ui.paint_out(Paint::Good, "ok")
            )),
            Err(e) => {
                if args.json {
                    results.push(FileJson {
                        path: shown,
                        kind: FileKind::of_file(path).map(|k| k.id()),
                        ok: false,
                        name: None,
                        detail: None,
                        error: Some(ErrorJson::of(&e)),
                    });
                }
                errors.push(e);
            }
        }
    }
    if args.json {
        ui.json(&results);
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Several(errors)),
    }
}
