"""orrery from Python: simulate a cloud datacenter's operating system.

Run a scenario and get its tables as polars DataFrames, sweep a grid, run a federation, write
policies in Python, or step a simulation decision by decision (``orrery.gym`` wraps it as a
Gymnasium environment). See docs/python.md for a tutorial.

>>> import orrery
>>> run = orrery.run("scenarios/default.toml", set={"duration_s": 3600})   # doctest: +SKIP
>>> run.summary["total_energy_kwh"], run.intervals.shape                  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Type, TypeVar, Union)

import polars as pl

from . import _orrery, actions
from ._errors import InputError, OrreryError, PolicyError, RunError
from ._orrery import Action, Decision, Rng, Scenario, View

__all__ = [
    "load", "check", "run", "sweep", "federate", "live", "Simulation", "Run", "Sweep",
    "Federation", "register_policy", "unregister_policy", "registered_policies", "param",
    "Param", "Action", "Decision", "Rng", "Scenario", "View", "actions", "OrreryError",
    "InputError", "RunError", "PolicyError", "DEFAULT_SCENARIO",
]

#: The embedded default scenario (a 240-host datacenter over one synthetic day), as TOML.
DEFAULT_SCENARIO: str = _orrery.DEFAULT_SCENARIO

ScenarioLike = Union[str, "os.PathLike[str]", Mapping[str, Any], Scenario, None]
"""A scenario: a path, TOML text, a dict (the TOML's tables as dicts), a loaded
:class:`Scenario`, or ``None`` for the embedded default."""

Sets = Union[None, str, Sequence[str], Mapping[str, Any]]
"""Overrides, as ``orrery run --set``: ``{"policies.placement": "striping"}`` or
``["duration_s=3600"]``. A value keeps the type of the key it replaces."""


# ---------------------------------------------------------------------------------------------
# Loading


def _looks_like_toml(text: str) -> bool:
    return "\n" in text or ("=" in text and not os.path.exists(text))


def load(scenario: ScenarioLike = None, *, set: Sets = None,
         base_dir: Union[str, "os.PathLike[str]", None] = None) -> Scenario:
    """Loads and validates a scenario, with overrides.

    ``scenario`` is a path, TOML text (any string with a newline, or with ``=`` that is not an
    existing path), a dict, or ``None`` for the embedded default. Relative paths inside text
    or a dict resolve against ``base_dir`` (default: the working directory); inside a file,
    against the file's directory. Raises :class:`InputError` with the located message.
    """
    if isinstance(scenario, Scenario):
        if set:
            raise InputError("set= cannot apply to an already loaded Scenario: "
                             "pass the path, text or dict instead")
        return scenario
    base = None if base_dir is None else os.fspath(base_dir)
    if scenario is None:
        return _orrery.load_scenario("default", None, set, base)
    if isinstance(scenario, Mapping):
        return _orrery.load_scenario("dict", dict(scenario), set, base)
    if isinstance(scenario, str) and _looks_like_toml(scenario):
        return _orrery.load_scenario("text", scenario, set, base)
    if isinstance(scenario, (str, os.PathLike)):
        return _orrery.load_scenario("path", os.fspath(scenario), set, base)
    raise InputError(f"a scenario is a path, TOML text, a dict or None, not "
                     f"{type(scenario).__name__}")


def check(scenario: ScenarioLike = None, *, set: Sets = None,
          base_dir: Union[str, "os.PathLike[str]", None] = None) -> Scenario:
    """Checks a scenario as ``orrery validate`` does (policies build, layout resolves) without
    running it; returns it loaded."""
    s = load(scenario, set=set, base_dir=base_dir)
    _orrery.check(s)
    return s


# ---------------------------------------------------------------------------------------------
# Results


#: Tables every run has, in the order ``orrery run --out`` writes them.
RUN_TABLES = ("intervals", "events", "usage", "usage_totals", "billing", "billing_totals",
              "audit", "migrations")


@dataclass(frozen=True)
class Run:
    """One run's results: what ``orrery run --out DIR`` writes, in memory.

    ``summary`` is ``summary.json`` as a dict; ``tables`` maps each table name to a polars
    DataFrame with the declared column types (``tables.json``), exactly as in ``NAME.parquet``.
    Every table is also an attribute: ``run.intervals``, ``run.audit``; ``temperatures``,
    ``services`` and ``roles`` exist only when the run has them (else ``None``).
    """

    summary: Dict[str, Any]
    tables: Dict[str, pl.DataFrame]

    @property
    def intervals(self) -> pl.DataFrame:
        """One row per monitoring interval."""
        return self.tables["intervals"]

    @property
    def events(self) -> pl.DataFrame:
        """Every arrival, deployment, migration, boot, shutdown and failure."""
        return self.tables["events"]

    @property
    def usage(self) -> pl.DataFrame:
        """One row per stay of a VM on a host."""
        return self.tables["usage"]

    @property
    def usage_totals(self) -> pl.DataFrame:
        """Usage per tenant."""
        return self.tables["usage_totals"]

    @property
    def billing(self) -> pl.DataFrame:
        """One row per VM not rejected: up time, availability, cost."""
        return self.tables["billing"]

    @property
    def billing_totals(self) -> pl.DataFrame:
        """Bill per tenant."""
        return self.tables["billing_totals"]

    @property
    def audit(self) -> pl.DataFrame:
        """Every action, its actor and result."""
        return self.tables["audit"]

    @property
    def migrations(self) -> pl.DataFrame:
        """One row per live migration."""
        return self.tables["migrations"]

    @property
    def temperatures(self) -> Optional[pl.DataFrame]:
        """Every host's temperature at every update (thermal model only)."""
        return self.tables.get("temperatures")

    @property
    def services(self) -> Optional[pl.DataFrame]:
        """Each service at each measurement (services only)."""
        return self.tables.get("services")

    @property
    def roles(self) -> Optional[pl.DataFrame]:
        """Each role at each measurement (services only)."""
        return self.tables.get("roles")

    def summary_frame(self) -> pl.DataFrame:
        """The summary as a one-row DataFrame (nested values left out)."""
        flat = {k: v for k, v in self.summary.items() if not isinstance(v, (dict, list))}
        return pl.DataFrame([flat])

    def to_pandas(self) -> Dict[str, Any]:
        """Every table as a pandas DataFrame (nullable pandas dtypes, via pyarrow)."""
        import pandas as pd
        return {name: df.to_pandas(types_mapper=pd.ArrowDtype) for name, df in self.tables.items()}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {v.height}" for k, v in self.tables.items())
        return f"Run({self.summary.get('scenario')!r}, seed {self.summary.get('seed')}; {sizes})"


def _run(pair: Tuple[Dict[str, Any], Dict[str, pl.DataFrame]]) -> Run:
    summary, tables = pair
    return Run(summary, tables)


def run(scenario: ScenarioLike = None, *, set: Sets = None, seed: Optional[int] = None,
        base_dir: Union[str, "os.PathLike[str]", None] = None) -> Run:
    """Runs a scenario in simulation, as ``orrery run`` does, and returns its results.

    ``seed`` replaces the scenario's seed. Python policies the scenario names (see
    :func:`register_policy`) run in this process. Raises :class:`InputError` for bad input,
    :class:`PolicyError` when a Python policy fails, :class:`RunError` otherwise.
    """
    return _run(_orrery.run(load(scenario, set=set, base_dir=base_dir), seed))


@dataclass(frozen=True)
class Sweep:
    """A sweep's results: ``results`` (one row per run, as ``results.parquet``) and
    ``aggregate`` (per point: mean, sd and 95 % CI per metric, as ``aggregate.parquet``)."""

    results: pl.DataFrame
    aggregate: pl.DataFrame
    points: int
    replicas: int
    ran: int
    skipped: int
    #: The sweep directory, when one was given (``None``: a temporary one, now removed).
    dir: Optional[Path] = None


def sweep(scenario: ScenarioLike, *, set: Sets = None, threads: Optional[int] = None,
          out: Union[str, "os.PathLike[str]", None] = None, force: bool = False,
          base_dir: Union[str, "os.PathLike[str]", None] = None) -> Sweep:
    """Runs every point and replica of a scenario's ``[sweep]`` grid on ``threads`` threads
    (default: one per core), in this process, as ``orrery sweep`` does.

    With ``out``, the sweep directory is kept there (and an interrupted sweep resumes, unless
    ``force``); without, a temporary one is used and removed. Results do not depend on the
    thread count. Python policies run here too, one call at a time (they share the GIL); a
    sharded or Slurm sweep runs in other processes, where they are not registered.
    """
    s = load(scenario, set=set, base_dir=base_dir)
    if threads is not None and threads < 1:
        raise InputError(f"threads must be at least 1, got {threads}")

    def go(directory: str) -> Sweep:
        o = _orrery.sweep(s, directory, threads, force)
        d = Path(directory)
        return Sweep(pl.read_parquet(d / "results.parquet"), pl.read_parquet(d / "aggregate.parquet"),
                     o["points"], o["replicas"], o["ran"], o["skipped"],
                     d if out is not None else None)

    if out is not None:
        return go(os.fspath(out))
    with tempfile.TemporaryDirectory(prefix="orrery-sweep-") as tmp:
        return go(os.path.join(tmp, "sweep"))


@dataclass(frozen=True)
class Federation:
    """A federation run: ``summary`` (its ``summary.json``), ``tables`` (``intervals``,
    ``events`` and, with service calls, ``calls``) and each private site's :class:`Run`."""

    summary: Dict[str, Any]
    tables: Dict[str, pl.DataFrame]
    sites: Dict[str, Run] = field(default_factory=dict)

    @property
    def intervals(self) -> pl.DataFrame:
        """Per-site rows at each decision round."""
        return self.tables["intervals"]

    @property
    def events(self) -> pl.DataFrame:
        """The federation event log."""
        return self.tables["events"]

    @property
    def calls(self) -> Optional[pl.DataFrame]:
        """Every service call (SaaS layer only)."""
        return self.tables.get("calls")


def federate(path: Union[str, "os.PathLike[str]"], *, set: Sets = None) -> Federation:
    """Runs the federation file at ``path``, as ``orrery federate`` does."""
    summary, tables, sites = _orrery.federate(os.fspath(path), set)
    return Federation(summary, tables, {name: _run(r) for name, r in sites.items()})


def live(config: Union[str, "os.PathLike[str]"], *, set: Sets = None, apply: bool = False,
         rounds: Optional[int] = 1, interval_s: Optional[float] = None) -> Dict[str, int]:
    """Runs live mode on a live config, as ``orrery live`` does: observe the hosts through
    libvirt, decide with the config's policies (Python policies included), print each plan
    and carry it out only when ``apply``. Runs ``rounds`` rounds (``None``: until stopped).
    Returns the loop's counts."""
    if not _orrery.HAS_LIVE:
        raise RunError("this build of orrery has no live mode: build it with the `live` feature")
    return _orrery.live(os.fspath(config), set, apply, rounds, interval_s)


# ---------------------------------------------------------------------------------------------
# Step API


DecisionKind = str  # "place" | "reallocate" | "admit" | "scale"


class Simulation:
    """A simulation stepped decision by decision.

    ``next()`` runs the simulation to the next decision of a kind in ``control`` (``place``,
    ``reallocate``, ``admit``, ``scale``) and returns it (``None`` when the run is over);
    ``view`` shows the cluster; ``apply(actions)`` answers it. Decisions of other kinds are
    answered by the scenario's own policies, exactly as ``orrery.run`` answers them, so with
    ``control=()`` (or answering with ``default_plan()``) the results equal ``orrery.run``'s.
    A decision left unanswered when ``next()`` is called again gets no actions (VMs of a
    placement decision left so stay pending without being offered again: defer them instead).

    >>> sim = orrery.Simulation("scenarios/default.toml", control=("place",))  # doctest: +SKIP
    >>> while (d := sim.next()) is not None:                                   # doctest: +SKIP
    ...     sim.apply([actions.reject(v, "no") for v in d.ids])
    >>> result = sim.finish()                                                  # doctest: +SKIP
    """

    def __init__(self, scenario: ScenarioLike = None, *, seed: Optional[int] = None,
                 set: Sets = None, base_dir: Union[str, "os.PathLike[str]", None] = None,
                 control: Iterable[DecisionKind] = ("place", "reallocate")) -> None:
        self.scenario: Scenario = load(scenario, set=set, base_dir=base_dir)
        self._sim = _orrery.Simulation(self.scenario, seed, list(control))

    def next(self) -> Optional[Decision]:
        """Advances to the next decision the caller controls; ``None`` when the run is over."""
        return self._sim.next()

    @property
    def view(self) -> View:
        """The cluster now (a snapshot: later steps do not change it)."""
        return self._sim.view

    @property
    def now(self) -> float:
        """Simulated time, seconds."""
        return self._sim.now

    @property
    def done(self) -> bool:
        """Whether the run has ended."""
        return self._sim.done

    @property
    def decision(self) -> Optional[DecisionKind]:
        """The kind of the decision waiting for ``apply`` (``None`` if none)."""
        return self._sim.decision

    @property
    def stats(self) -> Dict[str, int]:
        """Counts of decisions the scenario's policies took and of actions applied/refused."""
        return self._sim.stats

    def apply(self, actions: Iterable[Action]) -> List[Optional[str]]:
        """Answers the current decision: one result per action, ``None`` when accepted, else
        why it was refused."""
        return self._sim.apply(list(actions))

    def default_plan(self) -> List[Action]:
        """What the scenario's own policy would do for the current decision (it draws from its
        own random stream, as in ``orrery.run``)."""
        return self._sim.default_plan()

    def finish(self) -> Run:
        """Runs the rest with the scenario's own policies and returns the results."""
        return _run(self._sim.finish())

    def __iter__(self):
        """Iterates over the decisions (``for d in sim: sim.apply(...)``)."""
        while (d := self.next()) is not None:
            yield d

    def __repr__(self) -> str:
        return repr(self._sim)


# ---------------------------------------------------------------------------------------------
# Python policies


@dataclass(frozen=True)
class Param:
    """A typed parameter of a Python policy, read from ``[policies.params.NAME]``."""

    default: Union[float, int, bool, str]
    min: Optional[float] = None
    max: Optional[float] = None
    choices: Tuple[str, ...] = ()
    doc: str = ""

    @property
    def type(self) -> str:
        d = self.default
        if isinstance(d, bool):
            return "bool"
        if isinstance(d, int):
            return "int"
        if isinstance(d, float):
            return "float"
        if isinstance(d, str):
            return "str"
        raise InputError(f"a parameter's default is a float, int, bool or str, not {type(d).__name__}")


def param(default: Union[float, int, bool, str], *, min: Optional[float] = None,
          max: Optional[float] = None, choices: Sequence[str] = (), doc: str = "") -> Param:
    """Declares a policy parameter: its type is its default's (float, int, bool or str), its
    range ``min..=max`` or ``choices``; ``orrery policies`` documents it like a built-in's."""
    return Param(default, min, max, tuple(choices), doc)


_METHODS = {"placement": "place", "reallocation": "reallocate", "elasticity": "scale",
            "admission": "admit"}

T = TypeVar("T")


def register_policy(name: str, cls: Optional[T] = None, *, kind: Union[str, Sequence[str], None] = None,
                    params: Optional[Mapping[str, Union[Param, float, int, bool, str]]] = None,
                    description: str = "", replace: bool = True) -> Any:
    """Registers a Python class as the policy ``name``; usable as a decorator.

    A scenario then names it like a built-in (``placement = "name"``) in ``orrery.run``,
    ``orrery.sweep``, federation sites, the step API and live mode. Each run builds a fresh
    instance ``cls(**params)`` with the values of ``[policies.params.NAME]`` (checked against
    ``params``: each a :func:`param` or a bare default). The instance implements, per kind:

    - ``place(view, pending, rng) -> list[Action]`` (placement; ``pending``: VM ids),
    - ``reallocate(view, rng) -> list[Action]`` (reallocation),
    - ``scale(view, rng) -> list[Action]`` (elasticity),
    - ``admit(view, services) -> list[Action]`` (admission).

    ``kind`` (one or several of ``placement``, ``reallocation``, ``elasticity``,
    ``admission``) defaults to every kind whose method the class defines. ``rng`` is the run's
    own seeded stream for that policy: draw only from it to keep runs reproducible.
    ``replace`` lets a notebook cell run again.
    """
    def register(target: T) -> T:
        kinds = ([kind] if isinstance(kind, str) else list(kind) if kind is not None
                 else [k for k, m in _METHODS.items() if callable(getattr(target, m, None))])
        if not kinds:
            raise InputError(f"policy `{name}`: {target!r} has none of the methods place, "
                             "reallocate, scale or admit")
        decls = []
        for key, p in (params or {}).items():
            p = p if isinstance(p, Param) else Param(p)
            decls.append((key, p.type, p.default, p.min, p.max, list(p.choices), p.doc))
        doc = description or (getattr(target, "__doc__", None) or "").strip().split("\n")[0]
        for k in kinds:
            if k not in _METHODS:
                raise InputError(f"kind `{k}`: a policy is a placement, reallocation, "
                                 "admission or elasticity")
            if not callable(getattr(target, _METHODS[k], None)) and isinstance(target, type):
                raise InputError(f"policy `{name}`: a {k} policy needs a {_METHODS[k]}() method")
            _orrery.register_policy(name, k, target, doc or f"Python {k} policy", decls, replace)
        return target

    return register if cls is None else register(cls)


def unregister_policy(name: str, kind: Optional[str] = None) -> bool:
    """Removes the Python policy ``name`` (of ``kind``, or of every kind); whether one was."""
    kinds = [kind] if kind else list(_METHODS)
    return any([_orrery.unregister_policy(name, k) for k in kinds])


def registered_policies(kind: str = "placement") -> List[str]:
    """Names of the extension policies registered for ``kind``."""
    return _orrery.registered_policies(kind)
