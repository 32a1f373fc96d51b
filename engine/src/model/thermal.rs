//! Host thermal model: first-order host temperatures, heat recirculation between hosts, CRAC
//! cooling power and red-line accounting.
//!
//! Follows the thermal-aware scheduling literature (Moore et al., "Making scheduling cool";
//! Tang et al., heat-recirculation cross-interference):
//!
//! * each host obeys `C·dT/dt = P − (T − T_in)/R`, advanced with its exact solution
//!   `T(t+dt) = T_ss + (T(t) − T_ss)·exp(−dt/(R·C))`, `T_ss = T_in + P·R`;
//! * inlet temperatures are `T_in = T_sup·1 + D·P`, `D` the recirculation matrix (°C/W);
//! * the CRAC draws `ΣP / CoP(T_sup)` with `CoP(T) = a·T² + b·T + c`.
//!
//! Powers and inlets are held constant over a step; all sums run in host (or rack) index
//! order, so results are deterministic.

use nalgebra::{DMatrix, DVector};

/// Moore et al.'s CRAC coefficient of performance, `CoP(T) = 0.0068·T² + 0.0008·T + 0.458`,
/// as `[a, b, c]`.
pub const DEFAULT_COP: [f64; 3] = [0.0068, 0.0008, 0.458];

/// Room-level thermal parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ThermalParams {
    /// CRAC supply (cold-air) temperature, °C.
    pub supply_c: f64,
    /// Red-line temperature, °C: a host above it is a hot spot.
    pub redline_c: f64,
    /// CoP coefficients `[a, b, c]` with `CoP(T) = a·T² + b·T + c`; the scenario default is [`DEFAULT_COP`].
    pub cop: [f64; 3],
}

impl ThermalParams {
    /// Parameters with the given supply and red-line temperatures and the default CoP curve.
    #[cfg(test)]
    pub fn new(supply_c: f64, redline_c: f64) -> Self {
        ThermalParams {
            supply_c,
            redline_c,
            cop: DEFAULT_COP,
        }
    }

    /// `CoP(t) = a·t² + b·t + c`.
    pub fn cop_at(&self, t_c: f64) -> f64 {
        let [a, b, c] = self.cop;
        a * t_c * t_c + b * t_c + c
    }
}

/// One host's lumped thermal parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostThermal {
    /// Thermal resistance between the host and its inlet air, °C/W.
    pub resistance_c_per_w: f64,
    /// Heat capacity, J/°C.
    pub capacity_j_per_c: f64,
}

/// How exhaust heat recirculates into host inlets.
#[derive(Debug, Clone, PartialEq)]
pub enum Recirculation {
    /// No recirculation: every inlet is at the supply temperature.
    None,
    /// Explicit dense n×n matrix `D` (°C/W): `T_in,i = T_sup + Σ_j D_ij·P_j`.
    Matrix(DMatrix<f64>),
    /// Structured rack model: `D_ij = same_rack` when hosts `i ≠ j` share a rack,
    /// `adjacent_rack` when their rack indices differ by one, else 0. No n×n matrix is built.
    Racks {
        /// Rack index of each host; racks are adjacent when their indices differ by one.
        rack_of: Vec<usize>,
        /// Coupling between distinct hosts in the same rack, °C/W.
        same_rack: f64,
        /// Coupling between hosts in adjacent racks, °C/W.
        adjacent_rack: f64,
    },
}

impl Recirculation {
    /// An explicit matrix from its rows (row i: the inlet rise of host i per W of each host).
    pub fn from_rows(rows: &[Vec<f64>]) -> Self {
        let n = rows.len();
        let cols = rows.first().map_or(0, Vec::len);
        Recirculation::Matrix(DMatrix::from_fn(n, cols, |i, j| {
            rows[i].get(j).copied().unwrap_or(f64::NAN)
        }))
    }
}

/// Validated, precomputed form of [`Recirculation`].
#[derive(Debug, Clone)]
enum Coupling {
    None,
    Matrix(DMatrix<f64>),
    Racks {
        rack_of: Vec<usize>,
        same_rack: f64,
        /// racks×racks: `same_rack` on the diagonal, `adjacent_rack` on the off-diagonals.
        racks: DMatrix<f64>,
    },
}

impl Coupling {
    /// Writes `T_sup + D·P` into `out` (same length as `power_w`).
    fn inlets_into(&self, supply_c: f64, power_w: &[f64], out: &mut [f64]) {
        match self {
            Coupling::None => out.fill(supply_c),
            Coupling::Matrix(d) => {
                let rise = d * DVector::from_column_slice(power_w);
                for (o, r) in out.iter_mut().zip(rise.iter()) {
                    *o = supply_c + r;
                }
            }
            Coupling::Racks {
                rack_of,
                same_rack,
                racks,
            } => {
                let mut sums = DVector::<f64>::zeros(racks.nrows());
                for (&r, &p) in rack_of.iter().zip(power_w) {
                    sums[r] += p;
                }
                let rise = racks * sums;
                for ((o, &r), &p) in out.iter_mut().zip(rack_of).zip(power_w) {
                    // The rack term includes the host itself; D_ii = 0, so take it out.
                    *o = supply_c + rise[r] - same_rack * p;
                }
            }
        }
    }
}

/// Thermal state of every host plus cumulative cooling and red-line accounting.
#[derive(Debug, Clone)]
pub struct ThermalModel {
    params: ThermalParams,
    hosts: Vec<HostThermal>,
    coupling: Coupling,
    cop: f64,
    temperature: Vec<f64>,
    inlet: Vec<f64>,
    above_redline_s: Vec<f64>,
    max_temperature: f64,
    cooling_power_w: f64,
    cooling_energy_j: f64,
}

fn check_coupling(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{what} must be finite and non-negative, got {v}"))
    }
}

impl ThermalModel {
    /// Builds a model with every host at the supply temperature (its steady state at zero
    /// power) and every inlet at the supply temperature.
    ///
    /// Fails, saying what is wrong, unless sizes match, all numbers are finite, every `R` and
    /// `C` is positive, recirculation coefficients are non-negative, the red line is above the
    /// supply temperature and the CoP at the supply temperature is positive.
    pub fn new(
        params: ThermalParams,
        hosts: Vec<HostThermal>,
        recirculation: Recirculation,
    ) -> Result<Self, String> {
        let ThermalParams {
            supply_c,
            redline_c,
            cop,
        } = params;
        if !supply_c.is_finite() {
            return Err(format!("supply temperature must be finite, got {supply_c}"));
        }
        if !redline_c.is_finite() {
            return Err(format!(
                "red-line temperature must be finite, got {redline_c}"
            ));
        }
        if redline_c <= supply_c {
            return Err(format!(
                "red line ({redline_c} °C) must be above the supply temperature ({supply_c} °C)"
            ));
        }
        if cop.iter().any(|c| !c.is_finite()) {
            return Err(format!("CoP coefficients must be finite, got {cop:?}"));
        }
        let cop_supply = params.cop_at(supply_c);
        if !(cop_supply.is_finite() && cop_supply > 0.0) {
            return Err(format!(
                "CoP at the supply temperature ({supply_c} °C) must be positive, got {cop_supply}"
            ));
        }
        for (i, h) in hosts.iter().enumerate() {
            let (r, c) = (h.resistance_c_per_w, h.capacity_j_per_c);
            if !(r.is_finite() && r > 0.0) {
                return Err(format!(
                    "host {i}: thermal resistance must be finite and positive, got {r} °C/W"
                ));
            }
            if !(c.is_finite() && c > 0.0) {
                return Err(format!(
                    "host {i}: heat capacity must be finite and positive, got {c} J/°C"
                ));
            }
        }
        let n = hosts.len();
        let coupling = match recirculation {
            Recirculation::None => Coupling::None,
            Recirculation::Matrix(d) => {
                if d.nrows() != n || d.ncols() != n {
                    return Err(format!(
                        "recirculation matrix is {}×{}, expected {n}×{n} (one row and column per host)",
                        d.nrows(),
                        d.ncols()
                    ));
                }
                // Column-major scan: report the first bad entry in a fixed order.
                for j in 0..n {
                    for i in 0..n {
                        check_coupling(
                            &format!("recirculation matrix entry ({i}, {j})"),
                            d[(i, j)],
                        )?;
                    }
                }
                Coupling::Matrix(d)
            }
            Recirculation::Racks {
                rack_of,
                same_rack,
                adjacent_rack,
            } => {
                if rack_of.len() != n {
                    return Err(format!(
                        "rack_of has {} entries, expected {n} (one per host)",
                        rack_of.len()
                    ));
                }
                check_coupling("same_rack coupling", same_rack)?;
                check_coupling("adjacent_rack coupling", adjacent_rack)?;
                let nr = rack_of.iter().max().map_or(0, |&m| m + 1);
                let mut racks = DMatrix::<f64>::zeros(nr, nr);
                for a in 0..nr {
                    racks[(a, a)] = same_rack;
                    if a + 1 < nr {
                        racks[(a, a + 1)] = adjacent_rack;
                        racks[(a + 1, a)] = adjacent_rack;
                    }
                }
                Coupling::Racks {
                    rack_of,
                    same_rack,
                    racks,
                }
            }
        };
        Ok(ThermalModel {
            params,
            coupling,
            cop: cop_supply,
            temperature: vec![supply_c; n],
            inlet: vec![supply_c; n],
            above_redline_s: vec![0.0; n],
            max_temperature: if n == 0 { f64::NEG_INFINITY } else { supply_c },
            cooling_power_w: 0.0,
            cooling_energy_j: 0.0,
            hosts,
        })
    }

    #[cfg(test)]
    /// Replaces the starting temperatures (°C, one per host); call before the first step.
    /// Resets the maximum temperature to the highest of them.
    pub fn with_initial_temperatures(mut self, temperature_c: &[f64]) -> Result<Self, String> {
        if temperature_c.len() != self.hosts.len() {
            return Err(format!(
                "{} initial temperatures given, expected {} (one per host)",
                temperature_c.len(),
                self.hosts.len()
            ));
        }
        if let Some(i) = temperature_c.iter().position(|t| !t.is_finite()) {
            return Err(format!(
                "host {i}: initial temperature must be finite, got {}",
                temperature_c[i]
            ));
        }
        self.temperature.copy_from_slice(temperature_c);
        self.max_temperature = temperature_c
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        Ok(self)
    }

    #[cfg(test)]
    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    #[cfg(test)]
    /// True when the model has no hosts.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    #[cfg(test)]
    /// The room parameters.
    pub fn params(&self) -> &ThermalParams {
        &self.params
    }

    /// Advances every host by `dt_s` seconds with `power_w` (W, one per host) held constant:
    /// updates inlets, temperatures, cooling power and energy, time above the red line and the
    /// maximum temperature.
    ///
    /// # Panics
    /// If `power_w.len()` differs from the number of hosts, a power is not finite and
    /// non-negative, or `dt_s` is not finite and non-negative.
    pub fn step(&mut self, dt_s: f64, power_w: &[f64]) {
        assert_eq!(
            power_w.len(),
            self.hosts.len(),
            "thermal step: one power per host"
        );
        assert!(
            dt_s.is_finite() && dt_s >= 0.0,
            "thermal step: dt must be finite and non-negative, got {dt_s}"
        );
        assert!(
            power_w.iter().all(|p| p.is_finite() && *p >= 0.0),
            "thermal step: powers must be finite and non-negative"
        );
        self.coupling
            .inlets_into(self.params.supply_c, power_w, &mut self.inlet);
        let red = self.params.redline_c;
        let mut total_w = 0.0;
        let rows = self
            .hosts
            .iter()
            .zip(power_w)
            .zip(&self.inlet)
            .zip(&mut self.temperature)
            .zip(&mut self.above_redline_s);
        for ((((h, &p), &t_in), t), above) in rows {
            total_w += p;
            let tau = h.resistance_c_per_w * h.capacity_j_per_c;
            let t0 = *t;
            let t_ss = t_in + p * h.resistance_c_per_w;
            let t1 = t_ss + (t0 - t_ss) * (-dt_s / tau).exp();
            *above += time_above(t0, t_ss, red, tau, dt_s);
            *t = t1;
            // The response is monotone, so the in-step maximum is at an end point; t0 was
            // already counted.
            if t1 > self.max_temperature {
                self.max_temperature = t1;
            }
        }
        self.cooling_power_w = total_w / self.cop;
        self.cooling_energy_j += self.cooling_power_w * dt_s;
    }

    #[cfg(test)]
    /// Inlet temperatures (°C) that `power_w` would produce: `T_sup + D·P`. Does not change
    /// the model.
    ///
    /// # Panics
    /// If `power_w.len()` differs from the number of hosts.
    pub fn inlet_for(&self, power_w: &[f64]) -> Vec<f64> {
        assert_eq!(
            power_w.len(),
            self.hosts.len(),
            "thermal inlet_for: one power per host"
        );
        let mut out = vec![0.0; power_w.len()];
        self.coupling
            .inlets_into(self.params.supply_c, power_w, &mut out);
        out
    }

    /// Inlet temperatures (°C) computed from the last step's powers; the supply temperature
    /// before the first step.
    pub fn inlet_c(&self) -> &[f64] {
        &self.inlet
    }

    /// Current host temperatures, °C.
    pub fn temperature_c(&self) -> &[f64] {
        &self.temperature
    }

    /// CRAC coefficient of performance at the supply temperature.
    pub fn cop(&self) -> f64 {
        self.cop
    }

    /// Cooling power (W) at the last step's powers: total IT power / CoP; 0 before any step.
    pub fn cooling_power_w(&self) -> f64 {
        self.cooling_power_w
    }

    /// Cumulative cooling energy, J.
    pub fn cooling_energy_j(&self) -> f64 {
        self.cooling_energy_j
    }

    /// Cumulative seconds each host spent strictly above the red line.
    pub fn seconds_above_redline(&self) -> &[f64] {
        &self.above_redline_s
    }

    /// Highest temperature (°C) any host has reached, within steps included;
    /// `-inf` when there are no hosts.
    pub fn max_temperature_c(&self) -> f64 {
        self.max_temperature
    }

    /// Number of hosts currently strictly above the red line.
    pub fn hot_spots(&self) -> usize {
        let red = self.params.redline_c;
        self.temperature.iter().filter(|&&t| t > red).count()
    }
}

/// Seconds within `[0, dt]` that `T(t) = t_ss + (t0 − t_ss)·e^(−t/τ)` spends strictly above
/// `red`. The trajectory is monotone, so it crosses `red` at most once, at
/// `t* = τ·ln((t0 − t_ss)/(red − t_ss))`.
fn time_above(t0: f64, t_ss: f64, red: f64, tau: f64, dt: f64) -> f64 {
    let crossing = || (tau * ((t0 - t_ss) / (red - t_ss)).ln()).clamp(0.0, dt);
    match (t0 > red, t_ss > red) {
        (true, true) => dt,
        // Cooling through the red line (t_ss == red is approached but never reached).
        (true, false) if t_ss < red => crossing(),
        (true, false) => dt,
        // Heating through the red line (t0 <= red < t_ss).
        (false, true) => dt - crossing(),
        (false, false) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn one_host(redline_c: f64) -> ThermalModel {
        ThermalModel::new(
            ThermalParams::new(20.0, redline_c),
            vec![HostThermal {
                resistance_c_per_w: 0.05,
                capacity_j_per_c: 2000.0,
            }],
            Recirculation::None,
        )
        .unwrap()
    }

    #[test]
    fn default_cop_at_20c_is_3_194() {
        let m = one_host(28.0);
        // 0.0068·400 + 0.0008·20 + 0.458 = 2.72 + 0.016 + 0.458.
        assert!(close(m.cop(), 3.194, 1e-12), "{}", m.cop());
        assert_eq!(m.temperature_c(), &[20.0]);
        assert_eq!(m.inlet_c(), &[20.0]);
        assert_eq!(m.max_temperature_c(), 20.0);
        assert_eq!(m.cooling_power_w(), 0.0);
    }

    #[test]
    fn step_response_of_one_host() {
        // τ = 0.05·2000 = 100 s, T_ss = 20 + 200·0.05 = 30.
        let mut big = one_host(28.0);
        big.step(100.0, &[200.0]);
        assert!(close(big.temperature_c()[0], 26.321_205_588_285_577, 1e-12));
        assert!(close(
            big.temperature_c()[0],
            30.0 - 10.0 * (-1.0f64).exp(),
            1e-12
        ));

        let mut small = one_host(28.0);
        for _ in 0..100 {
            small.step(1.0, &[200.0]);
        }
        assert!(close(
            small.temperature_c()[0],
            big.temperature_c()[0],
            1e-9
        ));
        assert!(close(
            small.seconds_above_redline()[0],
            big.seconds_above_redline()[0],
            1e-9
        ));

        // Over 300 s, T crosses 28 °C when e^(−t/100) = 0.2, i.e. t = 100·ln 5.
        let want_above = 300.0 - 100.0 * 5.0f64.ln();
        let want_energy = 200.0 * 300.0 / 3.194;
        big.step(200.0, &[200.0]);
        assert!(close(big.seconds_above_redline()[0], want_above, 1e-9));
        assert!(close(big.cooling_energy_j(), want_energy, 1e-6));
        assert!(close(big.cooling_power_w(), 200.0 / 3.194, 1e-12));
        assert!(close(
            big.temperature_c()[0],
            30.0 - 10.0 * (-3.0f64).exp(),
            1e-12
        ));
        assert_eq!(big.max_temperature_c(), big.temperature_c()[0]);
        assert_eq!(big.hot_spots(), 1);

        let mut fine = one_host(28.0);
        for _ in 0..300 {
            fine.step(1.0, &[200.0]);
        }
        assert!(close(fine.seconds_above_redline()[0], want_above, 1e-9));
        assert!(close(fine.cooling_energy_j(), want_energy, 1e-6));
    }

    #[test]
    fn cooling_through_the_red_line() {
        // Start at 30 °C with no power: T = 20 + 10·e^(−t/100) drops below 28 at 100·ln 1.25.
        let mut m = one_host(28.0).with_initial_temperatures(&[30.0]).unwrap();
        assert_eq!(m.hot_spots(), 1);
        m.step(50.0, &[0.0]);
        m.step(250.0, &[0.0]);
        assert!(close(
            m.seconds_above_redline()[0],
            100.0 * 1.25f64.ln(),
            1e-9
        ));
        assert_eq!(m.max_temperature_c(), 30.0);
        assert_eq!(m.hot_spots(), 0);
        assert_eq!(m.cooling_energy_j(), 0.0);
    }

    #[test]
    fn steady_state_at_the_red_line_never_counts() {
        // P·R = 8 puts T_ss exactly on the 28 °C red line: never strictly above.
        let mut m = one_host(28.0);
        m.step(1e6, &[160.0]);
        assert_eq!(m.seconds_above_redline()[0], 0.0);
        assert_eq!(m.hot_spots(), 0);
    }

    #[test]
    fn two_host_recirculation_by_hand() {
        let d = DMatrix::from_row_slice(2, 2, &[0.0, 0.01, 0.02, 0.0]);
        let hosts = vec![
            HostThermal {
                resistance_c_per_w: 0.05,
                capacity_j_per_c: 2000.0,
            },
            HostThermal {
                resistance_c_per_w: 0.04,
                capacity_j_per_c: 1000.0,
            },
        ];
        let mut m = ThermalModel::new(
            ThermalParams::new(18.0, 40.0),
            hosts,
            Recirculation::Matrix(d),
        )
        .unwrap();
        let p = [100.0, 300.0];
        let predicted = m.inlet_for(&p);
        m.step(1e6, &p);
        // T_in = [18 + 0.01·300, 18 + 0.02·100] = [21, 20].
        assert!(close(m.inlet_c()[0], 21.0, 1e-12));
        assert!(close(m.inlet_c()[1], 20.0, 1e-12));
        assert_eq!(predicted, m.inlet_c());
        // T = T_in + P·R = [21 + 5, 20 + 12].
        assert!(close(m.temperature_c()[0], 26.0, 1e-12));
        assert!(close(m.temperature_c()[1], 32.0, 1e-12));
        assert!(close(m.max_temperature_c(), 32.0, 1e-12));
        let cop = 0.0068 * 18.0 * 18.0 + 0.0008 * 18.0 + 0.458;
        assert!(close(m.cooling_power_w(), 400.0 / cop, 1e-9));
    }

    #[test]
    fn rack_model_equals_its_explicit_matrix() {
        // 5 hosts over 3 racks, given out of order: racks 0 = {1, 3}, 1 = {0}, 2 = {2, 4}.
        let rack_of = vec![1, 0, 2, 0, 2];
        let (s, a) = (0.003, 0.001);
        // D written out by hand: s within a rack (i ≠ j), a between racks 0–1 and 1–2.
        #[rustfmt::skip]
        let d = DMatrix::from_row_slice(5, 5, &[
            0.0, a,   a,   a,   a,
            a,   0.0, 0.0, s,   0.0,
            a,   0.0, 0.0, 0.0, s,
            a,   s,   0.0, 0.0, 0.0,
            a,   0.0, s,   0.0, 0.0,
        ]);
        let hosts: Vec<HostThermal> = (0..5)
            .map(|i| HostThermal {
                resistance_c_per_w: 0.04 + 0.005 * i as f64,
                capacity_j_per_c: 1500.0 + 250.0 * i as f64,
            })
            .collect();
        let params = ThermalParams::new(22.0, 35.0);
        let mut dense =
            ThermalModel::new(params.clone(), hosts.clone(), Recirculation::Matrix(d)).unwrap();
        let mut racks = ThermalModel::new(
            params,
            hosts,
            Recirculation::Racks {
                rack_of,
                same_rack: s,
                adjacent_rack: a,
            },
        )
        .unwrap();
        let powers = [
            [150.0, 220.0, 90.0, 300.0, 180.0],
            [250.0, 0.0, 310.0, 120.0, 275.0],
            [80.0, 330.0, 200.0, 0.0, 60.0],
        ];
        for (k, p) in powers.iter().enumerate() {
            let dt = 30.0 * (k + 1) as f64;
            dense.step(dt, p);
            racks.step(dt, p);
            for i in 0..5 {
                assert!(
                    close(dense.inlet_c()[i], racks.inlet_c()[i], 1e-12),
                    "inlet {i}"
                );
                assert!(
                    close(dense.temperature_c()[i], racks.temperature_c()[i], 1e-12),
                    "temperature {i}"
                );
                assert!(close(
                    dense.seconds_above_redline()[i],
                    racks.seconds_above_redline()[i],
                    1e-9
                ));
            }
        }
        assert!(close(
            dense.max_temperature_c(),
            racks.max_temperature_c(),
            1e-12
        ));
        assert!(close(
            dense.cooling_energy_j(),
            racks.cooling_energy_j(),
            1e-9
        ));
        assert_eq!(dense.hot_spots(), racks.hot_spots());
        // Host 0 (rack 1) sees every other host at the adjacent coupling.
        let p = [100.0, 100.0, 100.0, 100.0, 100.0];
        assert!(close(racks.inlet_for(&p)[0], 22.0 + 4.0 * 100.0 * a, 1e-12));
        assert!(close(racks.inlet_for(&p)[1], 22.0 + 100.0 * (a + s), 1e-12));
    }

    #[test]
    fn validation_errors() {
        let good_host = HostThermal {
            resistance_c_per_w: 0.05,
            capacity_j_per_c: 2000.0,
        };
        let err = |params: ThermalParams, hosts: Vec<HostThermal>, rec: Recirculation| {
            ThermalModel::new(params, hosts, rec).unwrap_err()
        };
        let p = || ThermalParams::new(20.0, 30.0);

        let e = err(
            ThermalParams::new(20.0, 20.0),
            vec![good_host],
            Recirculation::None,
        );
        assert!(e.contains("red line"), "{e}");
        let e = err(
            ThermalParams::new(f64::NAN, 30.0),
            vec![],
            Recirculation::None,
        );
        assert!(e.contains("supply temperature must be finite"), "{e}");
        let e = err(
            ThermalParams {
                cop: [0.0, 0.0, -1.0],
                ..p()
            },
            vec![good_host],
            Recirculation::None,
        );
        assert!(e.contains("CoP"), "{e}");
        let bad_r = HostThermal {
            resistance_c_per_w: 0.0,
            ..good_host
        };
        let e = err(p(), vec![good_host, bad_r], Recirculation::None);
        assert!(e.contains("host 1") && e.contains("resistance"), "{e}");
        let bad_c = HostThermal {
            capacity_j_per_c: f64::INFINITY,
            ..good_host
        };
        let e = err(p(), vec![bad_c], Recirculation::None);
        assert!(e.contains("host 0") && e.contains("capacity"), "{e}");
        let e = err(
            p(),
            vec![good_host; 2],
            Recirculation::Matrix(DMatrix::zeros(3, 2)),
        );
        assert!(e.contains("3×2") && e.contains("2×2"), "{e}");
        let mut d = DMatrix::zeros(2, 2);
        d[(1, 0)] = f64::NAN;
        let e = err(p(), vec![good_host; 2], Recirculation::Matrix(d));
        assert!(e.contains("(1, 0)"), "{e}");
        let e = err(
            p(),
            vec![good_host; 2],
            Recirculation::Racks {
                rack_of: vec![0],
                same_rack: 0.0,
                adjacent_rack: 0.0,
            },
        );
        assert!(e.contains("rack_of"), "{e}");
        let e = err(
            p(),
            vec![good_host; 2],
            Recirculation::Racks {
                rack_of: vec![0, 1],
                same_rack: 0.01,
                adjacent_rack: -0.01,
            },
        );
        assert!(e.contains("adjacent_rack"), "{e}");

        let m = ThermalModel::new(p(), vec![good_host; 2], Recirculation::None).unwrap();
        let e = m.clone().with_initial_temperatures(&[20.0]).unwrap_err();
        assert!(e.contains("expected 2"), "{e}");
        let e = m.with_initial_temperatures(&[20.0, f64::NAN]).unwrap_err();
        assert!(e.contains("host 1"), "{e}");
    }

    #[test]
    #[should_panic(expected = "one power per host")]
    fn step_rejects_wrong_power_count() {
        one_host(28.0).step(1.0, &[1.0, 2.0]);
    }
}
