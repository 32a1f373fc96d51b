//! Plans as files: what `orrery live plan` decided, with the cluster as it observed it, for an
//! operator to review and `orrery live apply` to carry out exactly (each action's preconditions
//! checked again first). The continuous loop makes the same steps and applies them at once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::journal::{JournalError, Planned};

/// The format tag every plan file carries.
pub const FORMAT: &str = "orrery-live-plan/1";

/// The most bytes a plan file may have (a plan of 100 000 actions is far below it).
const MAX_PLAN_BYTES: u64 = 256 << 20;

/// One action of a plan: what, decided by what, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The decision that made it: `placement`, `reallocation` or `drain` (maintenance).
    pub decision: String,
    /// Why, in words (the policy that decided it, or the host being drained).
    pub reason: String,
    /// The action, by names. Its preconditions are read from it: the VM where it names it
    /// (`from`, `host`), pending for a deploy, and the destination able to take it.
    pub action: Planned,
}

/// A host as the plan saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedHost {
    /// Host name.
    pub name: String,
    /// `on`, `off`, `failed` (did not answer) or `maintenance`.
    pub power: String,
    /// CPUs.
    pub cpus: u32,
    /// MIPS of one CPU.
    pub core_mips: f64,
    /// Memory, MB.
    pub memory_mb: f64,
    /// Memory of orrery's VMs on it, MB.
    pub reserved_memory_mb: f64,
    /// CPU utilisation, 0 to 1.
    pub cpu_utilisation: f64,
    /// Its VMs, by name.
    pub vms: Vec<String>,
}

/// A VM as the plan saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedVm {
    /// VM name.
    pub name: String,
    /// Its template.
    pub template: String,
    /// `pending`, `running`, `suspended`, …
    pub state: String,
    /// Its host.
    pub host: Option<String>,
    /// CPU utilisation at the last observation, 0 to 1.
    pub utilisation: f64,
    /// Utilisation measured at each observation, newest first (one per round, the last
    /// included), as many as the config keeps (`history_len`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<f64>,
}

/// The cluster a plan was computed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// Every host of the config, in its order.
    pub hosts: Vec<ObservedHost>,
    /// Every VM orrery manages.
    pub vms: Vec<ObservedVm>,
    /// Seconds between the observations of the VMs' histories.
    #[serde(default)]
    pub sample_interval_s: f64,
}

/// A plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// A fresh UUID: the journal records the plan's application and cancellation by it.
    pub id: String,
    /// The live config's name.
    pub config_name: String,
    /// The live config's absolute path (what `apply` loads unless told otherwise).
    pub config: PathBuf,
    /// When it was computed, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The cluster as observed when it was computed.
    pub observed: Observed,
    /// The actions, in the order they are applied.
    pub steps: Vec<Step>,
    /// What the policies decided that is not an action (rejections, deferrals, moves held
    /// back by the residence time or maintenance), one line each.
    #[serde(default)]
    pub notes: Vec<String>,
}

fn error(path: &Path, message: impl Into<String>) -> JournalError {
    JournalError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl PlanFile {
    /// Reads the plan file at `path`: a located error for a file that is not one.
    pub fn load(path: &Path) -> Result<PlanFile, JournalError> {
        let text = orrery_engine::input::read_text(
            path,
            "plan",
            MAX_PLAN_BYTES,
            "plans are written by `orrery live plan --out FILE`",
        )
        .map_err(|e| error(path, e.message))?;
        let de = &mut serde_json::Deserializer::from_str(&text);
        let plan: PlanFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let inner = e.inner();
            error(
                path,
                format!(
                    "line {}, column {}, at `{}`: {inner}",
                    inner.line(),
                    inner.column(),
                    e.path()
                ),
            )
        })?;
        if plan.format != FORMAT {
            return Err(error(
                path,
                format!(
                    "format `{}` is not `{FORMAT}`: write the plan again with this orrery",
                    plan.format
                ),
            ));
        }
        Ok(plan)
    }

    /// Writes the plan to `path` atomically (a temporary file beside it, then renamed), so a
    /// reader never sees half a plan.
    pub fn write(&self, path: &Path) -> Result<(), JournalError> {
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| error(path, e.to_string()))?;
        text.push('\n');
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| error(path, format!("cannot write beside it: {e}")))?;
        use std::io::Write;
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| error(path, format!("cannot write: {e}")))?;
        tmp.persist(path)
            .map_err(|e| error(path, format!("cannot write: {}", e.error)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PlanFile {
        PlanFile {
            format: FORMAT.into(),
            id: "p-1".into(),
            config_name: "c".into(),
            config: "/etc/orrery/c.toml".into(),
            created_ms: 5,
            observed: Observed::default(),
            steps: vec![Step {
                decision: "reallocation".into(),
                reason: "reallocation by thr-mmt".into(),
                action: Planned::Migrate {
                    vm: "a".into(),
                    from: "h0".into(),
                    to: "h1".into(),
                },
            }],
            notes: vec![],
        }
    }

    #[test]
    fn a_plan_survives_writing_and_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        plan().write(&path).unwrap();
        assert_eq!(PlanFile::load(&path).unwrap(), plan());
    }

    #[test]
    fn a_bad_plan_is_a_located_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let text = serde_json::to_string_pretty(&plan())
            .unwrap()
            .replace("\"to\": \"h1\"", "\"to\": 7");
        std::fs::write(&path, text).unwrap();
        let e = PlanFile::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("plan.json") && e.contains("steps[0].action"),
            "{e}"
        );
        let other = serde_json::to_string(&plan())
            .unwrap()
            .replace(FORMAT, "orrery-live-plan/0");
        std::fs::write(&path, other).unwrap();
        let e = PlanFile::load(&path).unwrap_err().to_string();
        assert!(e.contains("orrery-live-plan/0"), "{e}");
    }
}
