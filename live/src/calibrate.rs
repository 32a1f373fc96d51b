//! Calibrating the simulator's pre-copy migration model from the real migrations the journal
//! recorded (libvirt's job statistics: duration, downtime, data sent, memory rounds).
//!
//! The fit is in closed form, from the model's own algebra (engine `model::precopy`):
//! - **link rate** r: every byte goes through the link, so r = Σ data / Σ duration;
//! - **dirty rate** D of each template: at a constant rate each pre-copy round resends what the
//!   previous one let the guest dirty, so the rounds form a geometric series of ratio D / r and
//!   the data sent is about M / (1 − D / r): D = r (1 − M / data), the median over the
//!   template's migrations;
//! - **sent fraction** of each template: QEMU does not send pages the guest never touched, so a
//!   guest that dirties little sends less than its memory; where data < M, the fraction sent is
//!   data / M (and D is taken as 0), the median over the template's migrations;
//! - **stop threshold**: the stop-and-copy sends what is left with the guest paused, so it is
//!   about downtime × r, the median over all migrations;
//! - **most rounds**: the most any migration took.
//!
//! Each migration is then replayed through the fitted model and set beside what libvirt
//! measured, so the fit's error is visible.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use orrery_engine::model::precopy::{plan, PrecopyParams};
use serde::{Deserialize, Serialize};

use crate::config::LiveConfig;
use crate::hypervisor::MigrationFacts;
use crate::journal::{JournalError, Planned, Record};

/// One real migration as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The VM.
    pub vm: String,
    /// Its template.
    pub template: String,
    /// Its memory, MB (the template's).
    pub memory_mb: f64,
    /// The destination's NIC, Mbit/s.
    pub nic_mbps: f64,
    /// What libvirt measured.
    pub facts: MigrationFacts,
}

/// The fitted model: what a scenario's `[migration]` table and its VM types' `dirty_rate_mbs`
/// take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Migrations it was fitted to.
    pub migrations: usize,
    /// The link rate a migration gets, MB/s.
    pub rate_mbs: f64,
    /// `[migration] bandwidth_fraction`: the rate over the destination NIC's.
    pub bandwidth_fraction: f64,
    /// `[migration] stop_threshold_mb`.
    pub stop_threshold_mb: f64,
    /// `[migration] max_rounds`.
    pub max_rounds: u32,
    /// Each template's dirty rate, MB/s (templates no migration measured are absent).
    pub dirty_rate_mbs: BTreeMap<String, f64>,
    /// Each template's share of its memory a migration's first round sends (untouched pages
    /// are not sent), 0 to 1.
    #[serde(default)]
    pub sent_fraction: BTreeMap<String, f64>,
}

/// One migration replayed through the fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    /// The VM.
    pub vm: String,
    /// Measured: seconds, downtime seconds, MB sent, rounds.
    pub real: (f64, f64, f64, u64),
    /// The model's.
    pub model: (f64, f64, f64, u64),
}

/// MB in a MiB: libvirt counts bytes, templates and the simulator MB (10^6 bytes).
const MB_PER_MIB: f64 = 1.048_576;

/// The real migrations the journal `records` carry measurements for, with their VMs' memory
/// from `config`'s templates (a VM's template: its deploy's, else its `[[vms]]` entry's).
pub fn observations(config: &LiveConfig, records: &[Record]) -> Vec<Observation> {
    let mut template_of: BTreeMap<&str, &str> = config
        .spec
        .vms
        .iter()
        .map(|v| (v.name.as_str(), v.template.as_str()))
        .collect();
    let mut intents: BTreeMap<u64, &Planned> = BTreeMap::new();
    let mut out = Vec::new();
    for r in records {
        match r {
            Record::Intent { seq, action, .. } => {
                if let Planned::Deploy { vm, template, .. } = action {
                    template_of.insert(vm, template);
                }
                intents.insert(*seq, action);
            }
            Record::Done {
                seq,
                migration: Some(facts),
                ..
            } => {
                let Some(Planned::Migrate { vm, to, .. }) = intents.get(seq) else {
                    continue;
                };
                let Some(t) = template_of
                    .get(vm.as_str())
                    .and_then(|t| config.template_index(t))
                else {
                    continue;
                };
                let t = &config.spec.templates[t];
                let nic_mbps = config
                    .spec
                    .hosts
                    .iter()
                    .find(|h| &h.name == to)
                    .map_or(1000.0, |h| h.nic_mbps);
                if facts.elapsed_ms > 0 && facts.data_bytes > 0 {
                    out.push(Observation {
                        vm: vm.clone(),
                        template: t.name.clone(),
                        memory_mb: t.memory_mb * MB_PER_MIB,
                        nic_mbps,
                        facts: *facts,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Fits the pre-copy model to `obs` (`None` when there is none).
pub fn fit(obs: &[Observation]) -> Option<Calibration> {
    if obs.is_empty() {
        return None;
    }
    let data_mb = |o: &Observation| o.facts.data_bytes as f64 / 1e6;
    let secs = |ms: u64| ms as f64 / 1000.0;
    let rate = obs.iter().map(data_mb).sum::<f64>()
        / obs.iter().map(|o| secs(o.facts.elapsed_ms)).sum::<f64>();
    let mut by_template: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for o in obs {
        let data = data_mb(o);
        let (d, f) = if data >= o.memory_mb {
            (rate * (1.0 - o.memory_mb / data), 1.0)
        } else {
            (0.0, data / o.memory_mb)
        };
        let e = by_template.entry(o.template.clone()).or_default();
        e.0.push(d.max(0.0));
        e.1.push(f);
    }
    let nic = median(obs.iter().map(|o| o.nic_mbps / 8.0).collect());
    Some(Calibration {
        migrations: obs.len(),
        rate_mbs: rate,
        bandwidth_fraction: (rate / nic).clamp(1e-6, 1.0),
        stop_threshold_mb: median(
            obs.iter()
                .map(|o| secs(o.facts.downtime_ms) * rate)
                .collect(),
        )
        .max(0.001),
        max_rounds: obs
            .iter()
            .map(|o| o.facts.rounds as u32)
            .max()
            .unwrap_or(1)
            .max(1),
        dirty_rate_mbs: by_template
            .iter()
            .map(|(t, (d, _))| (t.clone(), median(d.clone())))
            .collect(),
        sent_fraction: by_template
            .into_iter()
            .map(|(t, (_, f))| (t, median(f)))
            .collect(),
    })
}

impl Calibration {
    /// The pre-copy parameters for VMs of `template`.
    pub fn params(&self, template: &str) -> PrecopyParams {
        PrecopyParams {
            dirty_rate_mbs: self.dirty_rate_mbs.get(template).copied().unwrap_or(0.0),
            stop_threshold_mb: self.stop_threshold_mb,
            max_rounds: self.max_rounds,
            resume_overhead_s: 0.0,
            wws_mb: None,
        }
    }

    /// The MB a migration of a `template` VM of `memory_mb` starts by sending.
    pub fn sent_mb(&self, template: &str, memory_mb: f64) -> f64 {
        memory_mb * self.sent_fraction.get(template).copied().unwrap_or(1.0)
    }

    /// Each of `obs` replayed through the model.
    pub fn replay(&self, obs: &[Observation]) -> Vec<Replay> {
        obs.iter()
            .map(|o| {
                let m = plan(
                    self.sent_mb(&o.template, o.memory_mb),
                    self.rate_mbs,
                    &self.params(&o.template),
                );
                Replay {
                    vm: o.vm.clone(),
                    real: (
                        o.facts.elapsed_ms as f64 / 1000.0,
                        o.facts.downtime_ms as f64 / 1000.0,
                        o.facts.data_bytes as f64 / 1e6,
                        o.facts.rounds,
                    ),
                    model: (m.duration_s, m.downtime_s, m.data_mb, m.rounds.len() as u64),
                }
            })
            .collect()
    }

    /// The file beside `journal` that keeps the calibration: `<journal>.calibration.json`.
    pub fn path(journal: &Path) -> PathBuf {
        let mut name = journal.file_name().unwrap_or_default().to_os_string();
        name.push(".calibration.json");
        journal.with_file_name(name)
    }

    /// The calibration kept beside `journal`, if any.
    pub fn load(journal: &Path) -> Result<Option<Calibration>, JournalError> {
        let path = Self::path(journal);
        if !path.exists() {
            return Ok(None);
        }
        let fail = |message: String| JournalError {
            path: path.clone(),
            message,
        };
        let text = orrery_engine::input::read_text(
            &path,
            "migration calibration",
            1 << 20,
            "it is written by `orrery live calibrate`",
        )
        .map_err(|e| fail(e.message))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| fail(format!("{e} (write it again with `orrery live calibrate`)")))
    }

    /// Keeps the calibration beside `journal`.
    pub fn save(&self, journal: &Path) -> Result<(), JournalError> {
        let path = Self::path(journal);
        let text = serde_json::to_string_pretty(self).expect("plain data serialises") + "\n";
        std::fs::write(&path, text).map_err(|e| JournalError {
            path,
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migrations the model itself produced (at 20 MB/s over a 1000 Mbit/s NIC, 128 MB
    /// guests dirtying 4 MB/s, stop at 4 MB): the fit finds the parameters back.
    #[test]
    fn the_fit_recovers_the_parameters_of_migrations_the_model_made() {
        let truth = PrecopyParams {
            dirty_rate_mbs: 4.0,
            stop_threshold_mb: 4.0,
            max_rounds: 30,
            resume_overhead_s: 0.0,
            wws_mb: None,
        };
        let obs: Vec<Observation> = [128.0, 256.0, 512.0]
            .iter()
            .map(|&m| {
                let p = plan(m, 20.0, &truth);
                Observation {
                    vm: format!("v{m}"),
                    template: "t".into(),
                    memory_mb: m,
                    nic_mbps: 1000.0,
                    facts: MigrationFacts {
                        elapsed_ms: (p.duration_s * 1000.0).round() as u64,
                        downtime_ms: (p.downtime_s * 1000.0).round() as u64,
                        data_bytes: (p.data_mb * 1e6).round() as u64,
                        rounds: p.rounds.len() as u64,
                    },
                }
            })
            .collect();
        let c = fit(&obs).unwrap();
        assert!((c.rate_mbs - 20.0).abs() < 0.01, "{c:?}");
        assert!((c.bandwidth_fraction - 20.0 / 125.0).abs() < 1e-3, "{c:?}");
        // The geometric-series estimate of D is exact up to the stop-and-copy remainder.
        let d = c.dirty_rate_mbs["t"];
        assert!((d - 4.0).abs() < 0.3, "{c:?}");
        // Downtime × rate is the stop-and-copy's data: at most the threshold.
        assert!(
            c.stop_threshold_mb <= 4.0 + 1e-6 && c.stop_threshold_mb > 0.5,
            "{c:?}"
        );
        assert_eq!(c.sent_fraction["t"], 1.0);
        for r in c.replay(&obs) {
            let err = (r.model.0 - r.real.0).abs() / r.real.0;
            assert!(err < 0.05, "{r:?}");
        }
        assert!(fit(&[]).is_none());
        // A guest that touched half its memory sends half: the fit says so, and replays it.
        let mut half = obs[0].clone();
        half.facts.data_bytes = 64_000_000;
        half.facts.elapsed_ms = 3200;
        let c = fit(&[half.clone()]).unwrap();
        assert_eq!(c.sent_fraction["t"], 0.5);
        assert_eq!(c.dirty_rate_mbs["t"], 0.0);
        let r = &c.replay(&[half])[0];
        assert!((r.model.0 - 3.2).abs() < 0.01, "{r:?}");
    }
}
