//! The step API: `orrery.Simulation` advances a simulated datacenter to the next decision
//! the caller controls, shows its view, and applies the caller's actions; every other
//! decision is answered by the scenario's own policies (`CloudOs::decide`), exactly as
//! `orrery run` answers it.

use orrery_engine::control::{CloudOs, LoopStats};
use orrery_engine::infra::{Decision, Infrastructure};
use orrery_engine::time::to_secs;
use orrery_sim::Simulator;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::action::PyAction;
use crate::errors::{argument_error, guard, input_error, policy_error, run_error};
use crate::scenario::PyScenario;
use crate::view::View;

/// Why the cloud OS must decide now.
#[pyclass(frozen, module = "orrery._orrery", name = "Decision")]
pub struct PyDecision {
    /// `place`, `reallocate`, `admit` or `scale`.
    #[pyo3(get)]
    kind: &'static str,
    /// The VMs waiting for placement (`place`), the services waiting for admission (`admit`);
    /// empty otherwise.
    #[pyo3(get)]
    ids: Vec<usize>,
    /// Simulated time of the decision, in seconds.
    #[pyo3(get)]
    time: f64,
}

#[pymethods]
impl PyDecision {
    fn __repr__(&self) -> String {
        format!(
            "<orrery.Decision {} at {} s{}>",
            self.kind,
            self.time,
            if self.ids.is_empty() {
                String::new()
            } else {
                format!(": {:?}", self.ids)
            }
        )
    }
}

fn kind(d: &Decision) -> &'static str {
    match d {
        Decision::Place(_) => "place",
        Decision::Reallocate => "reallocate",
        Decision::Admit(_) => "admit",
        Decision::Scale => "scale",
    }
}

/// A simulation stepped from Python (see `orrery.Simulation`).
#[pyclass(unsendable, module = "orrery._orrery", name = "Simulation")]
pub struct Simulation {
    sim: Option<Simulator>,
    os: CloudOs,
    control: Vec<&'static str>,
    current: Option<Decision>,
    view: Option<Py<View>>,
    stats: LoopStats,
    stopped: Option<String>,
}

impl Simulation {
    fn sim(&mut self, py: Python<'_>) -> PyResult<&mut Simulator> {
        if let Some(why) = &self.stopped {
            return Err(run_error(py, format!("the simulation has stopped: {why}")));
        }
        self.sim
            .as_mut()
            .ok_or_else(|| argument_error(py, "the simulation is finished: finish() was called"))
    }

    /// Applies `plan` to the current decision, counting it as the control loop does.
    fn apply_plan(
        &mut self,
        py: Python<'_>,
        plan: Vec<orrery_engine::action::Action>,
    ) -> PyResult<Vec<Option<String>>> {
        let sim = self.sim(py)?;
        let n = plan.len() as u64;
        let results = sim.apply(plan);
        self.stats.actions += n;
        self.stats.refused += results.iter().filter(|r| r.is_err()).count() as u64;
        self.view = None;
        Ok(results.into_iter().map(|r| r.err()).collect())
    }

    /// Answers `decision` with the scenario's own policies (a Python policy among them may
    /// fail: the simulation then stops).
    fn delegate(&mut self, py: Python<'_>, decision: Decision) -> PyResult<()> {
        let sim = self.sim.as_mut().expect("checked by the caller");
        let (os, stats) = (&mut self.os, &mut self.stats);
        match guard(|| os.decide(decision, sim.view(), stats)) {
            Ok(Some(plan)) => {
                self.apply_plan(py, plan)?;
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(failure) => {
                self.stopped = Some(format!("policy `{}` failed", failure.policy));
                Err(policy_error(py, failure))
            }
        }
    }

    fn advance(&mut self, py: Python<'_>) -> PyResult<Option<Decision>> {
        loop {
            let sim = self.sim(py)?;
            let next = sim
                .next_decision()
                .map_err(|e| run_error(py, e.to_string()))?;
            let Some(decision) = next else {
                return Ok(None);
            };
            if self.control.contains(&kind(&decision)) {
                return Ok(Some(decision));
            }
            self.delegate(py, decision)?;
        }
    }
}

#[pymethods]
impl Simulation {
    /// A simulation of `scenario` (seed replaced by `seed` when given) whose decisions of the
    /// kinds in `control` (`place`, `reallocate`, `admit`, `scale`) are the caller's.
    #[new]
    #[pyo3(signature = (scenario, seed = None, control = vec!["place".to_string(), "reallocate".to_string()]))]
    fn new(
        py: Python<'_>,
        scenario: PyRef<'_, PyScenario>,
        seed: Option<u64>,
        control: Vec<String>,
    ) -> PyResult<Self> {
        let mut kinds = Vec::new();
        for k in &control {
            let known = ["place", "reallocate", "admit", "scale"];
            match known.iter().find(|&&n| n == k) {
                Some(&n) => kinds.push(n),
                None => {
                    return Err(argument_error(
                        py,
                        format!(
                            "control: `{k}` is not a decision kind ({})",
                            known.join(", ")
                        ),
                    ))
                }
            }
        }
        let s = &scenario.scenario;
        let os = orrery_policies::registry::cloud_os(s, seed.unwrap_or(s.spec.seed))
            .map_err(|e| input_error(py, &e))?;
        let sim = Simulator::new(s, seed).map_err(|e| input_error(py, &e))?;
        Ok(Simulation {
            sim: Some(sim),
            os,
            control: kinds,
            current: None,
            view: None,
            stats: LoopStats::default(),
            stopped: None,
        })
    }

    /// Advances to the next decision the caller controls and returns it, or `None` when the
    /// run is over. A decision left unanswered is answered with no actions.
    fn next(&mut self, py: Python<'_>) -> PyResult<Option<PyDecision>> {
        if self.current.take().is_some() {
            self.apply_plan(py, Vec::new())?;
        }
        self.view = None;
        let decision = self.advance(py)?;
        let now = to_secs(self.sim(py)?.view().now);
        Ok(decision.map(|d| {
            let ids = match &d {
                Decision::Place(v) => v.clone(),
                Decision::Admit(s) => s.clone(),
                _ => Vec::new(),
            };
            let out = PyDecision {
                kind: kind(&d),
                ids,
                time: now,
            };
            self.current = Some(d);
            out
        }))
    }

    /// The decision waiting for an answer (`None` before `next()` or after `apply`).
    #[getter]
    fn decision(&self) -> Option<&'static str> {
        self.current.as_ref().map(kind)
    }

    /// The cluster now, as a read-only snapshot.
    #[getter]
    fn view(&mut self, py: Python<'_>) -> PyResult<Py<View>> {
        if let Some(v) = &self.view {
            return Ok(v.clone_ref(py));
        }
        let v = Py::new(py, View::snapshot(self.sim(py)?.view()))?;
        self.view = Some(v.clone_ref(py));
        Ok(v)
    }

    /// Simulated time now, in seconds.
    #[getter]
    fn now(&mut self, py: Python<'_>) -> PyResult<f64> {
        Ok(to_secs(self.sim(py)?.view().now))
    }

    /// Whether the run has ended.
    #[getter]
    fn done(&self) -> bool {
        self.sim.as_ref().is_none_or(|s| s.is_finished())
    }

    /// Carries out `actions` (the answer to the current decision) in order: one result per
    /// action, `None` when accepted, else the reason it was refused.
    fn apply(
        &mut self,
        py: Python<'_>,
        actions: Vec<PyRef<'_, PyAction>>,
    ) -> PyResult<Vec<Option<String>>> {
        let plan = actions.iter().map(|a| a.action.clone()).collect();
        if self.current.take().is_none() {
            return Err(argument_error(
                py,
                "no decision to answer: call next() first (each decision takes one apply)",
            ));
        }
        self.apply_plan(py, plan)
    }

    /// The plan the scenario's own policy makes for the current decision (drawing from its
    /// random stream, as `orrery run` would); apply it to leave the decision to the scenario.
    fn default_plan<'py>(&mut self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAction>>> {
        let Some(decision) = self.current.clone() else {
            return Err(argument_error(py, "no decision to plan: call next() first"));
        };
        let sim = self.sim.as_mut().expect("a decision implies a simulation");
        let (os, stats) = (&mut self.os, &mut self.stats);
        match guard(|| os.decide(decision, sim.view(), stats)) {
            Ok(plan) => crate::action::to_python(py, plan.unwrap_or_default()),
            Err(failure) => {
                self.stopped = Some(format!("policy `{}` failed", failure.policy));
                Err(policy_error(py, failure))
            }
        }
    }

    /// Counts of what the loop did: placements, reallocations, admissions and scalings the
    /// scenario's policies decided, actions applied and refused.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let s = &self.stats;
        d.set_item("placements", s.placements)?;
        d.set_item("reallocations", s.reallocations)?;
        d.set_item("admissions", s.admissions)?;
        d.set_item("scalings", s.scalings)?;
        d.set_item("actions", s.actions)?;
        d.set_item("refused", s.refused)?;
        Ok(d)
    }

    /// Runs the rest of the simulation with the scenario's own policies answering every
    /// decision (the current one too, if unanswered, with no actions) and returns the run's
    /// `(summary, tables)`.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.current.take().is_some() {
            self.apply_plan(py, Vec::new())?;
        }
        self.control.clear();
        while self.advance(py)?.is_some() {}
        let sim = self.sim.take().expect("advance checked it");
        self.view = None;
        crate::frames::run(py, &sim.finish())
    }

    fn __repr__(&self) -> String {
        match &self.sim {
            Some(s) => format!(
                "<orrery.Simulation at {} s{}>",
                to_secs(s.view().now),
                if s.is_finished() { ", finished" } else { "" }
            ),
            None => "<orrery.Simulation (finished)>".into(),
        }
    }
}
