//! The audit trail: one JSON line per request (answered or refused), appended to a file and
//! flushed at once. It names the access key id, never a secret.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

/// One audited call.
#[derive(Debug, Clone, Serialize)]
pub struct Entry<'a> {
    /// Wall-clock time of the answer, ISO 8601.
    pub time: &'a str,
    /// Simulated (backend) time of the answer, seconds.
    pub sim_time_s: f64,
    /// The request id answered.
    pub request_id: &'a str,
    /// The access key id the request named, if any.
    pub access_key: Option<&'a str>,
    /// The organisation of the key, when it authenticated.
    pub organisation: Option<&'a str>,
    /// The action (`RunInstances`, …, or `orrery:Advance`), when the request named one.
    pub action: Option<&'a str>,
    /// The resources named or touched.
    pub resources: &'a [String],
    /// `ok`, or the EC2 error code answered.
    pub result: &'a str,
    /// The HTTP status answered.
    pub status: u16,
}

/// Where audit lines go.
#[derive(Debug)]
pub struct AuditLog {
    file: Option<Mutex<File>>,
}

impl AuditLog {
    /// An audit trail appended to `path` (created when missing), or none.
    pub fn open(path: Option<&Path>) -> Result<AuditLog, String> {
        let file = match path {
            None => None,
            Some(p) => Some(Mutex::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("cannot open audit file {}: {e}", p.display()))?,
            )),
        };
        Ok(AuditLog { file })
    }

    /// Appends `entry`; an audit line that cannot be written is reported on stderr (the
    /// request is answered anyway).
    pub fn record(&self, entry: &Entry<'_>) {
        let Some(file) = &self.file else {
            return;
        };
        let mut line = serde_json::to_string(entry).expect("audit entries serialise");
        line.push('\n');
        let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = f.write_all(line.as_bytes()).and_then(|()| f.flush()) {
            eprintln!("warning: cannot write the audit trail: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_appended_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(Some(&path)).unwrap();
        for result in ["ok", "AuthFailure"] {
            log.record(&Entry {
                time: "2026-01-01T00:00:00.000Z",
                sim_time_s: 1.5,
                request_id: "r",
                access_key: Some("AKIAACME0000000001"),
                organisation: None,
                action: Some("RunInstances"),
                resources: &["i-0123456789abcdef0".to_string()],
                result,
                status: 200,
            });
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["result"], "AuthFailure");
        assert_eq!(lines[0]["resources"][0], "i-0123456789abcdef0");
    }
}
