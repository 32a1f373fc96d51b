"""The step API: stepping with the scenario's own answers reproduces orrery.run exactly, and a
first-fit written in Python reproduces the built-in first-fit."""

import pytest

import orrery
from orrery import actions
from _orrery_cli import TINY

CONSOLIDATION = {"duration_s": 14400}


def same_runs(a, b, skip_columns=()):
    assert a.summary == b.summary
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        x, y = a.tables[name], b.tables[name]
        drop = [c for c in skip_columns if c in x.columns]
        assert x.drop(drop).equals(y.drop(drop), null_equal=True), name


def first_fit(view, pending):
    """The built-in first-fit, independently: hosts that are up first, lowest id that fits,
    else the lowest sleeping one; reservations updated as the batch is placed."""
    n = view.n_hosts
    cpu = [view.reservable_mips(h) - view.reserved_mips(h) for h in range(n)]
    mem = [view.reservable_memory_mb(h) - view.reserved_memory_mb(h) for h in range(n)]
    up = [view.is_up(h) for h in range(n)]
    usable = [view.power(h) in ("on", "booting", "off") for h in range(n)]
    plan = []
    for v in pending:
        need, memory, vcpu = view.vm_mips(v), view.vm_memory_mb(v), view.vcpu_mips(v)

        def fits(h):
            return (usable[h] and vcpu <= view.core_mips(h) and need <= cpu[h] + 1e-9
                    and memory <= mem[h] + 1e-9)

        host = next((h for h in range(n) if up[h] and fits(h)), None)
        if host is None:
            host = next((h for h in range(n) if not up[h] and fits(h)), None)
        if host is None:
            plan.append(actions.reject(v, "no host has room"))
            continue
        cpu[host] -= need
        mem[host] -= memory
        up[host] = True
        plan.append(actions.deploy(v, host))
    return plan


def test_stepping_with_no_control_equals_run():
    sim = orrery.Simulation("scenarios/table1/consolidation.toml", set=CONSOLIDATION, control=())
    assert sim.next() is None and sim.done
    same_runs(sim.finish(), orrery.run("scenarios/table1/consolidation.toml", set=CONSOLIDATION))


def test_answering_with_the_default_plan_equals_run():
    sim = orrery.Simulation("scenarios/table1/consolidation.toml", set=CONSOLIDATION,
                            control=("place", "reallocate"))
    kinds = set()
    for decision in sim:
        kinds.add(decision.kind)
        assert decision.time == sim.now == sim.view.now
        results = sim.apply(sim.default_plan())
        assert all(r is None or isinstance(r, str) for r in results)
    assert kinds == {"place", "reallocate"}
    same_runs(sim.finish(), orrery.run("scenarios/table1/consolidation.toml", set=CONSOLIDATION))


def test_python_first_fit_equals_the_builtin():
    sim = orrery.Simulation(TINY, control=("place",))
    placed = 0
    while (d := sim.next()) is not None:
        assert d.kind == "place" and d.ids and set(d.ids) <= set(sim.view.pending)
        plan = first_fit(sim.view, d.ids)
        assert plan == sim.default_plan()  # the built-in's plan for the same view, action by action
        assert sim.apply(plan) == [None] * len(plan)
        placed += len(plan)
    assert placed == 12
    same_runs(sim.finish(), orrery.run(TINY))


def test_view_snapshot_and_results():
    sim = orrery.Simulation(TINY, control=("place",))
    d = sim.next()
    view = sim.view
    assert view.n_hosts == 4 and view.pending == d.ids
    assert view.capacity_mips(0) == 8 * 2500 and view.vm_mips(d.ids[0]) == 2 * 2500
    hosts, vms = view.host_frame(), view.vm_frame()
    assert hosts.height == 4 and vms.height == view.n_vms
    assert view.host_array().shape == (4, 4)
    # Host 9 does not exist: the simulator refuses, and the VM is still pending for the next.
    v0 = d.ids[0]
    assert sim.apply([actions.deploy(v0, 9), actions.deploy(v0, 0)]) == ["no host 9", None]
    assert view.vm_state(v0) == "pending"                  # the snapshot did not change
    assert sim.view.vm_state(v0) in ("deploying", "running")
    with pytest.raises(orrery.InputError, match="call next"):
        sim.apply([])
    with pytest.raises(IndexError):
        view.utilisation(4)
    assert repr(actions.migrate(3, 1)) == "Action.migrate(vm=3, host=1)"
    assert actions.scale_role(1, 0, 3).scale == (0, 3, 0)
    with pytest.raises(orrery.InputError, match="decision kind"):
        orrery.Simulation(TINY, control=("placement",))
