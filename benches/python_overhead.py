"""Python package overheads (docs/python.md), measured on the installed `orrery` wheel.

1. The PlanetLab day (scenarios/planetlab-day.toml) with placement and reallocation in Rust
   and in Python: the built-in first-fit and no reallocation, a Python first-fit with a Python
   reallocation that returns nothing (pure bridge cost), and with a Python reallocation that
   reads every host each round.
2. One step of the step API (`next()`, then `view` and `apply(default_plan())`) at 800 hosts
   (the PlanetLab day with consolidation) and at 10,000 hosts (a synthetic day).

Run from the repository's root after `pip install ./python`: `python3 benches/python_overhead.py`
(ORRERY_SHARED_DATA names the shared data folder). Prints medians over REPEATS runs.
"""

import statistics
import sys
import time
from pathlib import Path

import orrery

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
from test_step import first_fit  # noqa: E402

REPEATS = 5
DAY = "scenarios/planetlab-day.toml"


@orrery.register_policy("bench-first-fit")
class FirstFit:
    def place(self, view, pending, rng):
        return first_fit(view, pending)


@orrery.register_policy("bench-noop")
class Noop:
    def reallocate(self, view, rng):
        return []


@orrery.register_policy("bench-scan")
class Scan:
    def reallocate(self, view, rng):
        return [orrery.actions.power_on(h) for h in range(view.n_hosts)
                if view.utilisation(h) > 2.0]  # never: reads every host, changes nothing


@orrery.register_policy("bench-lr-mmt")
class LrMmt:
    """LR-MMT-shaped reallocation in Python: each round reads every host's VMs and their
    utilisation histories, forecasts each host's utilisation by least squares over its last
    10 samples (Beloglazov's LR detector, safety 1.2), and moves the VM with the least memory
    (MMT) off each host predicted overloaded to the least-utilised host it fits on. The same
    reads per round as the Rust `consolidation` with `lr`/`mmt`; its decisions are its own."""

    def reallocate(self, view, rng):
        plan = []
        up = [h for h in range(view.n_hosts) if view.is_up(h)]
        for h in up:
            vms = view.host_vms(h)
            if not vms:
                continue
            cap = view.capacity_mips(h)
            rows = [(view.vm_history(v), view.vm_mips(v)) for v in vms]
            n = min(len(r[0]) for r in rows)
            if n < 10:
                continue
            series = [sum(hist[-n:][i] * mips for hist, mips in rows) / cap for i in range(n)][-10:]
            xs = range(10)
            mx, my = 4.5, sum(series) / 10
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, series)) / 82.5
            forecast = my + slope * (10 - mx)
            if 1.2 * forecast < 1.0:
                continue
            vm = min(vms, key=lambda v: (view.vm_memory_mb(v), v))
            targets = [d for d in up if d != h and view.fits(d, vm)]
            if targets:
                plan.append(orrery.actions.migrate(vm, min(targets, key=lambda d: (view.utilisation(d), d))))
        return plan


def median_s(f, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def runs():
    cases = {
        "rust first-fit, no reallocation": {},
        "rust first-fit, python no-op reallocation (bridge: 288 calls)": {
            "policies.reallocation": "bench-noop"},
        "python first-fit, python no-op reallocation": {
            "policies.placement": "bench-first-fit", "policies.reallocation": "bench-noop"},
        "python first-fit, python scan of 800 hosts per round": {
            "policies.placement": "bench-first-fit", "policies.reallocation": "bench-scan"},
        "rust first-fit, rust consolidation lr/mmt": {
            "policies.reallocation": "consolidation", "policies.consolidation.detector": "lr",
            "policies.consolidation.selection": "mmt", "policies.consolidation.parameter": 1.2},
        "rust first-fit, python LR-MMT-shaped reallocation": {
            "policies.reallocation": "bench-lr-mmt"},
    }
    for name, sets in cases.items():
        print(f"{name}: {median_s(lambda: orrery.run(DAY, set=sets)):.3f} s (median of {REPEATS})")


def synthetic(hosts):
    return {
        "name": f"synthetic-{hosts}", "seed": 1, "duration_s": 86400,
        "hosts": [{"type": "node", "count": hosts, "cores": 16, "core_mips": 2500,
                   "memory_mb": 131072, "power": {"model": "linear", "idle_w": 100.0, "max_w": 250.0}}],
        "vm_types": [{"name": "vm", "vcpus": 2, "mips": 2500, "memory_mb": 8192}],
        "workload": {"generators": [{
            "vm_type": "vm", "count": hosts * 2,
            "arrival": {"process": "poisson", "rate_per_hour": hosts / 12},
            "lifetime": {"dist": "exponential", "mean_s": 4 * 3600},
            "utilisation": {"pattern": "diurnal", "mean": 0.4, "amplitude": 0.2}}]},
        "policies": {"placement": "first-fit", "reallocation": "workload-balance",
                     "power_off_idle": True},
    }


def steps(scenario, label, limit=400):
    sim = orrery.Simulation(scenario)
    nexts, fulls = [], []
    for _ in range(limit):
        t = time.perf_counter()
        d = sim.next()
        t1 = time.perf_counter()
        if d is None:
            break
        sim.view
        sim.apply(sim.default_plan())
        t2 = time.perf_counter()
        nexts.append(t1 - t)
        fulls.append(t2 - t)
    n = sim.view.n_hosts
    print(f"{label} ({n} hosts, {len(nexts)} decisions): next() median {statistics.median(nexts) * 1e3:.3f} ms; "
          f"next()+view+apply(default_plan()) median {statistics.median(fulls) * 1e3:.3f} ms")
    if sim.next() is not None:
        t = time.perf_counter()
        sim.view
        print(f"  one view snapshot at {n} hosts: {(time.perf_counter() - t) * 1e3:.3f} ms")


if __name__ == "__main__":
    runs()
    steps(orrery.load(DAY, set={"policies.reallocation": "consolidation"}), "PlanetLab day, consolidation")
    steps(synthetic(10_000), "synthetic day")
