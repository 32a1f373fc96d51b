"""benches/scale/run, the datacenter-scale suite (issue 23): every case's scenario is valid, a
tiny size runs end to end, and the growth exponent it reports is the least-squares slope."""

import importlib.machinery
import importlib.util
import math
import os
import re
import subprocess
import sys

from _orrery_cli import ROOT, cli, orrery_bin

SUITE = ROOT / "benches" / "scale" / "run"


def suite():
    loader = importlib.machinery.SourceFileLoader("scale_suite", str(SUITE))
    spec = importlib.util.spec_from_loader("scale_suite", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_every_case_generates_a_valid_scenario(tmp_path):
    s = suite()
    assert set(s.CASES) >= {"placement", "thr-mmt", "cpu-balance", "workload-balance", "thermal-balance"}
    for case in s.CASES:
        path = tmp_path / f"{case}.toml"
        path.write_text(s.scenario(case, 40))
        out = cli("validate", path)
        assert f"scale-{case}-40" in out.stdout
        text = path.read_text()
        # N hosts and 10 N VMs, split over the two VM types.
        assert "count = 40\n" in text
        counts = [int(c) for c in re.findall(r"^count = (\d+)$", text, re.M)]
        assert counts == [40, 200, 200]


def test_the_exponent_is_the_least_squares_slope():
    s = suite()
    assert math.isclose(s.fit_exponent([(1000, 1.0), (10000, 10.0 ** 1.5)]), 1.5)
    # Three points off a line: slope of the regression of log cost on log N, by hand.
    pts = [(1, 1.0), (10, 10.0), (100, 1000.0)]
    xs = [math.log(n) for n, _ in pts]
    ys = [math.log(c) for _, c in pts]
    mx, my = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    assert math.isclose(s.fit_exponent(pts), slope)
    assert math.isclose(slope, 1.5)


def test_a_tiny_sweep_runs_and_reports_each_point():
    out = subprocess.run(
        [sys.executable, str(SUITE), "--orrery", orrery_bin(), "--sizes", "20,40", "--cases", "placement,thr-mmt"],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()]
    points = [r for r in rows if len(r) >= 5 and r[1] in ("20", "40")]
    assert [(r[0], r[1], r[2]) for r in points] == [
        ("placement", "20", "200"),
        ("placement", "40", "400"),
        ("thr-mmt", "20", "200"),
        ("thr-mmt", "40", "400"),
    ]
    assert sum("growth exponent" in line for line in out.stdout.splitlines()) == 2


def test_an_unknown_case_is_refused():
    out = subprocess.run([sys.executable, str(SUITE), "--orrery", orrery_bin(), "--cases", "nope"],
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "unknown case 'nope'" in out.stderr
