//! `orrery.Rng`: the seeded ChaCha stream the control loop hands a policy, lent to Python for
//! the duration of one call so that its draws advance the run's own stream.

use orrery_engine::rng::Rng;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use rand::{Rng as _, SeedableRng};

/// The run's random stream for this policy, valid only during the call it was handed to.
/// Every draw advances the run's own seeded stream, so a run is reproducible.
#[pyclass(module = "orrery._orrery", name = "Rng")]
pub struct PyRng {
    rng: Option<Rng>,
}

impl PyRng {
    /// Lends `rng` to Python: it is replaced by a placeholder until [`PyRng::give_back`].
    pub fn lend(rng: &mut Rng) -> PyRng {
        PyRng {
            rng: Some(std::mem::replace(rng, Rng::seed_from_u64(0))),
        }
    }

    /// Moves the stream back into `rng`; the Python object is spent from then on.
    pub fn give_back(&mut self, rng: &mut Rng) {
        if let Some(lent) = self.rng.take() {
            *rng = lent;
        }
    }

    fn rng(&mut self) -> PyResult<&mut Rng> {
        self.rng.as_mut().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "this Rng was lent for one policy call, which has returned: draw only during \
                 the call (a policy is handed a fresh one each time)",
            )
        })
    }
}

#[pymethods]
impl PyRng {
    /// A float uniformly drawn from [0, 1).
    fn random(&mut self) -> PyResult<f64> {
        Ok(self.rng()?.random::<f64>())
    }

    /// A float uniformly drawn from [low, high).
    fn uniform(&mut self, low: f64, high: f64) -> PyResult<f64> {
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(PyValueError::new_err(format!(
                "uniform({low}, {high}): need finite low < high"
            )));
        }
        Ok(self.rng()?.random_range(low..high))
    }

    /// An integer uniformly drawn from 0..n (n excluded).
    fn below(&mut self, n: u64) -> PyResult<u64> {
        if n == 0 {
            return Err(PyValueError::new_err("below(0): n must be at least 1"));
        }
        Ok(self.rng()?.random_range(0..n))
    }

    /// An integer uniformly drawn from low..high (high excluded), like numpy's `integers`.
    #[pyo3(signature = (low, high = None))]
    fn integers(&mut self, low: i64, high: Option<i64>) -> PyResult<i64> {
        let (low, high) = match high {
            Some(high) => (low, high),
            None => (0, low),
        };
        if low >= high {
            return Err(PyValueError::new_err(format!(
                "integers({low}, {high}): need low < high"
            )));
        }
        Ok(self.rng()?.random_range(low..high))
    }

    /// One element of the non-empty sequence `seq`, uniformly.
    fn choice<'py>(&mut self, seq: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let n = seq.len()?;
        if n == 0 {
            return Err(PyValueError::new_err("choice() of an empty sequence"));
        }
        let i = self.rng()?.random_range(0..n);
        seq.get_item(i)
    }

    /// Shuffles the list `items` in place (Fisher–Yates).
    fn shuffle(&mut self, items: &Bound<'_, PyList>) -> PyResult<()> {
        let rng = self.rng()?;
        for i in (1..items.len()).rev() {
            let j = rng.random_range(0..=i);
            if i != j {
                let a = items.get_item(i)?;
                let b = items.get_item(j)?;
                items.set_item(i, b)?;
                items.set_item(j, a)?;
            }
        }
        Ok(())
    }

    fn __repr__(&self) -> &'static str {
        if self.rng.is_some() {
            "<orrery.Rng (lent for this call)>"
        } else {
            "<orrery.Rng (spent)>"
        }
    }
}
