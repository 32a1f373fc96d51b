//! Host power models: linear (idle/max) and SPECpower-style tables.

use serde::{Deserialize, Serialize};

/// How a host's electrical power depends on its CPU utilisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PowerModel {
    /// P(u) = idle + (max − idle)·u.
    Linear {
        /// Watts at 0 % CPU (powered on, idle).
        idle_w: f64,
        /// Watts at 100 % CPU.
        max_w: f64,
    },
    /// SPECpower_ssj2008-style table: watts at 0 %, 10 %, …, 100 % CPU, linearly interpolated.
    Specpower {
        /// The 11 measured points.
        watts: [f64; 11],
    },
}

impl PowerModel {
    /// Power in watts at utilisation `u` (clamped to [0, 1]).
    ///
    /// The table interpolation is computed exactly as CloudSim's `PowerModelSpecPower`
    /// (`p1 + (p2 − p1)/10 · (u − ⌊10u⌋/10)·100`), so results match it to the last bit.
    pub fn power(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            PowerModel::Linear { idle_w, max_w } => idle_w + (max_w - idle_w) * u,
            PowerModel::Specpower { watts } => {
                // ⌊10u⌋ and ⌈10u⌉ for 10u in [0, 10] (truncation is floor for non-negatives).
                let x = u * 10.0;
                let lo = x as usize;
                let hi = if (lo as f64) < x { lo + 1 } else { lo };
                let (p1, p2) = (watts[lo], watts[hi]);
                p1 + (p2 - p1) / 10.0 * (u - lo as f64 / 10.0) * 100.0
            }
        }
    }

    /// Power at full load.
    pub fn max_power(&self) -> f64 {
        self.power(1.0)
    }

    /// Checks that the model is physically sensible; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PowerModel::Linear { idle_w, max_w } => {
                if !(idle_w.is_finite() && *idle_w >= 0.0 && max_w.is_finite() && max_w >= idle_w) {
                    return Err(format!(
                        "linear power model needs 0 <= idle_w <= max_w, got idle_w = {idle_w}, max_w = {max_w}"
                    ));
                }
            }
            PowerModel::Specpower { watts } => {
                if watts.iter().any(|w| !w.is_finite() || *w < 0.0) {
                    return Err("specpower watts must be finite and non-negative".into());
                }
                if watts.windows(2).any(|w| w[1] < w[0]) {
                    return Err("specpower watts must not decrease with utilisation".into());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G4: [f64; 11] = [
        86.0, 89.4, 92.6, 96.0, 99.5, 102.0, 106.0, 108.0, 112.0, 114.0, 117.0,
    ];

    #[test]
    fn linear_model_is_affine() {
        let m = PowerModel::Linear {
            idle_w: 100.0,
            max_w: 250.0,
        };
        assert_eq!(m.power(0.0), 100.0);
        assert_eq!(m.power(0.5), 175.0);
        assert_eq!(m.power(1.0), 250.0);
        assert_eq!(m.power(1.7), 250.0, "clamped");
    }

    #[test]
    fn specpower_interpolates_between_table_points() {
        let m = PowerModel::Specpower { watts: G4 };
        assert_eq!(m.power(0.0), 86.0);
        assert_eq!(m.power(1.0), 117.0);
        // 25 %: halfway between 92.6 (20 %) and 96.0 (30 %) = 94.3.
        assert!((m.power(0.25) - 94.3).abs() < 1e-12);
        // 85 %: halfway between 112 and 114.
        assert!((m.power(0.85) - 113.0).abs() < 1e-12);
        assert!((m.power(0.5) - 102.0).abs() < 1e-12);
    }

    #[test]
    fn validation_rejects_inverted_models() {
        assert!(PowerModel::Linear {
            idle_w: 200.0,
            max_w: 100.0
        }
        .validate()
        .is_err());
        let mut w = G4;
        w[3] = 50.0;
        assert!(PowerModel::Specpower { watts: w }.validate().is_err());
        assert!(PowerModel::Specpower { watts: G4 }.validate().is_ok());
    }
}
