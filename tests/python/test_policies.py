"""Python policies through the registry: a Python placement and reallocation run a PlanetLab
day and a sweep; runs drawing from the handed RNG are byte-identical; failures are clear."""

import polars as pl
import pytest

import orrery
from orrery import actions
from _orrery_cli import PLANETLAB, ROOT, TINY, cli
from test_step import first_fit, same_runs


@orrery.register_policy("py-first-fit")
class PyFirstFit:
    """First-fit, in Python."""

    def place(self, view, pending, rng):
        return first_fit(view, pending)


@orrery.register_policy("py-random", params={"tries": orrery.param(8, min=1, max=64, doc="hosts drawn")})
class RandomFit:
    """Places each VM on a random host where it fits (up to `tries` draws), else first-fit."""

    def __init__(self, tries):
        self.tries = tries

    def place(self, view, pending, rng):
        plan = []
        for v in pending:
            hosts = [rng.below(view.n_hosts) for _ in range(self.tries)]
            host = next((h for h in hosts if view.fits(h, v)), None)
            plan += first_fit(view, [v]) if host is None else [actions.deploy(v, host)]
        return plan


@orrery.register_policy("py-unload", params={"threshold": orrery.param(0.9, min=0.0, max=1.0)})
class Unload:
    """Moves one VM off each host above `threshold` to the least utilised host where it fits."""

    def __init__(self, threshold):
        self.threshold = threshold

    def reallocate(self, view, rng):
        plan, n = [], view.n_hosts
        order = sorted((h for h in range(n) if view.power(h) == "on"), key=view.utilisation)
        for h in range(n):
            if view.utilisation(h) > self.threshold:
                movable = [v for v in view.host_vms(h) if view.vm_state(v) == "running"
                           and not view.in_migration(v)]
                if movable:
                    v = rng.choice(movable)
                    dest = next((d for d in order if d != h and view.fits(d, v)), None)
                    if dest is not None:
                        plan.append(actions.migrate(v, dest))
        return plan


def with_policies(placement, reallocation="none", **extra):
    return {"policies.placement": placement, "policies.reallocation": reallocation, **extra}


def test_registered_python_first_fit_equals_the_builtin():
    assert "py-first-fit" in orrery.registered_policies("placement")
    ours = orrery.run(TINY, set=with_policies("py-first-fit", "consolidation"))
    builtin = orrery.run(TINY)
    same_runs(ours, builtin, skip_columns=("actor",))
    actors = dict(zip(builtin.audit["actor"], ours.audit["actor"]))
    assert actors["first-fit"] == "py-first-fit"


@pytest.mark.skipif(not (PLANETLAB / "20110303").is_dir(), reason="no PlanetLab traces")
def test_python_placement_and_reallocation_run_a_planetlab_day_and_a_sweep(tmp_path):
    day = ROOT / "scenarios/planetlab-day.toml"
    traces = {"workload.trace_dir": str(PLANETLAB / "20110303")}
    run = orrery.run(day, set=with_policies("py-random", "py-unload", **traces,
                                            **{"policies.params.py-unload.threshold": 0.5}))
    s = run.summary
    assert s["vms_total"] == 1052 and s["hosts_total"] == 800 and s["vm_migrations"] > 0
    assert run.migrations.filter(pl.col("outcome") == "done").height == s["vm_migrations"]
    assert set(run.audit.filter(pl.col("action") == "migrate")["actor"]) == {"py-unload"}
    assert run.intervals["energy_kwh"][-1] == pytest.approx(s["energy_kwh"])
    # A Python first-fit reproduces the shipped scenario (built-in first-fit) exactly.
    same_runs(orrery.run(day, set=with_policies("py-first-fit", **traces)), orrery.run(day, set=traces),
              skip_columns=("actor",))
    # The same policies in a sweep over two thresholds: each point equals its single run.
    grid = tmp_path / "grid.toml"
    grid.write_text(day.read_text().replace('placement = "first-fit"', 'placement = "py-random"\nreallocation = "py-unload"')
                    + '\n[sweep]\nreplicas = 1\n"policies.params.py-unload.threshold" = [0.3, 0.6]\n')
    sweep = orrery.sweep(grid, set={"duration_s": 21600, **traces}, threads=2)
    assert sweep.results.height == 2
    for row in sweep.results.iter_rows(named=True):
        single = orrery.run(grid, set={"duration_s": 21600, **traces,
                                       "policies.params.py-unload.threshold": row["policies.params.py-unload.threshold"]},
                            seed=row["seed"])
        assert single.summary["energy_kwh"] == row["energy_kwh"]
        assert single.summary["vm_migrations"] == row["vm_migrations"]


def test_a_policy_drawing_from_its_rng_is_byte_identical_across_runs():
    sets = with_policies("py-random", "py-unload", **{"policies.params.py-random.tries": 2})
    runs = [orrery.run(TINY, set=sets, seed=9) for _ in range(2)]
    for name in runs[0].tables:
        assert runs[0].tables[name].write_csv() == runs[1].tables[name].write_csv(), name
    assert runs[0].summary == runs[1].summary
    other = orrery.run(TINY, set=sets, seed=10)
    assert other.audit.write_csv() != runs[0].audit.write_csv()


def test_params_are_checked_and_located():
    with pytest.raises(orrery.InputError) as e:
        orrery.run(TINY, set=with_policies("py-random", **{"policies.params.py-random.tries": 0}))
    assert e.value.key == "policies.params.py-random.tries" and "out of range" in str(e.value)
    with pytest.raises(orrery.InputError, match="unknown parameter `trys`"):
        orrery.run(TINY, set=with_policies("py-random", **{"policies.params.py-random.trys": 3}))


def test_failing_policies_raise_policy_error():
    @orrery.register_policy("py-raises")
    class Raises:
        def place(self, view, pending, rng):
            raise KeyError("boom")

    @orrery.register_policy("py-garbage")
    class Garbage:
        def place(self, view, pending, rng):
            return [actions.deploy(pending[0], 0), 42]

    @orrery.register_policy("py-none")
    class ReturnsNone:
        def place(self, view, pending, rng):
            pass

    with pytest.raises(orrery.PolicyError, match="place\\(\\) raised KeyError") as e:
        orrery.run(TINY, set=with_policies("py-raises"))
    assert isinstance(e.value.__cause__, KeyError) and e.value.policy == "py-raises"
    with pytest.raises(orrery.PolicyError, match="item 1 of its result is a int"):
        orrery.run(TINY, set=with_policies("py-garbage"))
    with pytest.raises(orrery.PolicyError, match="returned None"):
        orrery.run(TINY, set=with_policies("py-none"))
    with pytest.raises(orrery.PolicyError):
        orrery.sweep(TINY + '\n[sweep]\n"seed" = [1, 2]\n', set=with_policies("py-raises"), threads=2)
    sim = orrery.Simulation(TINY, set=with_policies("py-raises"), control=("reallocate",))
    with pytest.raises(orrery.PolicyError):
        sim.next()
    with pytest.raises(orrery.RunError, match="stopped"):
        sim.next()


def test_the_rng_is_only_lent_for_the_call():
    kept = []

    @orrery.register_policy("py-keeps-rng")
    class Keeps:
        def place(self, view, pending, rng):
            kept.append(rng)
            return first_fit(view, pending)

    orrery.run(TINY, set=with_policies("py-keeps-rng"))
    with pytest.raises(RuntimeError, match="lent for one policy call"):
        kept[0].random()


def test_cli_does_not_know_python_policies(tmp_path):
    # Out of process (the CLI, a Slurm array) there is no Python: the name is unknown there.
    bad = tmp_path / "py.toml"
    bad.write_text(TINY.replace('placement = "first-fit"', 'placement = "py-first-fit"'))
    out = cli("validate", bad, ok=False)
    assert out.returncode == 2 and "py-first-fit" in out.stderr


@pytest.mark.skipif(not orrery._orrery.HAS_LIVE, reason="built without live mode")
def test_python_policy_in_live_mode(tmp_path, capsys):
    calls = []

    @orrery.register_policy("py-live-first-fit")
    class LiveFirstFit:
        def place(self, view, pending, rng):
            calls.append(list(pending))
            return first_fit(view, pending)

    stats = orrery.live(ROOT / "scenarios/live/test-driver.toml", rounds=1,
                        set={"policies.placement": "py-live-first-fit", "journal": str(tmp_path / "j")})
    printed = capsys.readouterr().out
    assert stats["placements"] == len(calls) and calls
    assert "deploy" in printed
