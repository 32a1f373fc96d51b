//! Operators' requests to a running (or the next) `orrery live`: a host into or out of
//! maintenance, a plan cancelled. They are appended, one JSON line each, to
//! `<journal>.requests` beside the journal, which needs no lock: an operator can make them
//! while a loop holds the journal, and the loop reads them at every round and before every
//! action of a plan. The file is only ever appended to, so it is also their record.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::journal::JournalError;

/// One operator request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// Put `host` into maintenance (drain it, then hold it empty) or take it out.
    Maintenance {
        /// Host name.
        host: String,
        /// Into maintenance (`true`) or out of it.
        on: bool,
        /// When, milliseconds since the Unix epoch.
        at_ms: u64,
    },
    /// Cancel plan `plan` (by id): none of its actions not yet begun will be.
    Cancel {
        /// The plan's id.
        plan: String,
        /// When, milliseconds since the Unix epoch.
        at_ms: u64,
    },
}

/// The requests file of the journal at `journal`: `<journal>.requests`.
pub fn path(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".requests");
    journal.with_file_name(name)
}

fn error(path: &Path, message: String) -> JournalError {
    JournalError {
        path: path.to_path_buf(),
        message,
    }
}

/// Appends `request` to the requests file of `journal` and syncs it.
pub fn append(journal: &Path, request: &Request) -> Result<(), JournalError> {
    let path = path(journal);
    let mut line = serde_json::to_vec(request).map_err(|e| error(&path, e.to_string()))?;
    line.push(b'\n');
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_data()))
        .map_err(|e| error(&path, format!("cannot append a request: {e}")))
}

/// The requests made so far for `journal`, in order (none when there is no file). A torn last
/// line (a writer cut short) is ignored; any other bad line is an error naming it.
pub fn read(journal: &Path) -> Result<Vec<Request>, JournalError> {
    let path = path(journal);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = orrery_engine::input::read_text(
        &path,
        "operator requests",
        orrery_engine::input::MAX_TRACE_BYTES,
        "requests are appended by `orrery live maintenance` and `orrery live cancel`",
    )
    .map_err(|e| error(&path, e.message))?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(r) => out.push(r),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
            Err(e) => return Err(error(&path, format!("line {}: {e}", i + 1))),
        }
    }
    Ok(out)
}

/// The hosts in maintenance after `requests`: each host's last request decides.
pub fn maintenance(requests: &[Request]) -> BTreeSet<String> {
    let mut hosts = BTreeSet::new();
    for r in requests {
        if let Request::Maintenance { host, on, .. } = r {
            if *on {
                hosts.insert(host.clone());
            } else {
                hosts.remove(host);
            }
        }
    }
    hosts
}

/// Whether `requests` cancel plan `id`.
pub fn cancelled(requests: &[Request], id: &str) -> bool {
    requests
        .iter()
        .any(|r| matches!(r, Request::Cancel { plan, .. } if plan == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_request_for_a_host_decides_and_cancellations_are_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j");
        assert!(read(&journal).unwrap().is_empty());
        let m = |host: &str, on: bool| Request::Maintenance {
            host: host.into(),
            on,
            at_ms: 1,
        };
        for r in [m("a", true), m("b", true), m("a", false)] {
            append(&journal, &r).unwrap();
        }
        append(
            &journal,
            &Request::Cancel {
                plan: "p1".into(),
                at_ms: 2,
            },
        )
        .unwrap();
        let all = read(&journal).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(maintenance(&all).into_iter().collect::<Vec<_>>(), ["b"]);
        assert!(cancelled(&all, "p1"));
        assert!(!cancelled(&all, "p2"));
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_bad_middle_line_named() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j");
        let good = r#"{"request":"cancel","plan":"p","at_ms":1}"#;
        std::fs::write(path(&journal), format!("{good}\n{{\"request\":\"can")).unwrap();
        assert_eq!(read(&journal).unwrap().len(), 1);
        std::fs::write(path(&journal), format!("oops\n{good}\n")).unwrap();
        let e = read(&journal).unwrap_err().to_string();
        assert!(e.contains("j.requests") && e.contains("line 1"), "{e}");
    }
}
