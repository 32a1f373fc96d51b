"""Helpers of the Python package's tests: the orrery CLI (for outputs to compare with) and
scenarios small enough to run in a test."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLANETLAB = Path(os.environ.get("ORRERY_SHARED_DATA", ROOT.parent / "shared" / "data")) / "planetlab"


def orrery_bin():
    if "ORRERY_BIN" in os.environ:
        return os.environ["ORRERY_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("debug", "release"):
        exe = target / profile / "orrery"
        if exe.exists():
            return str(exe)
    pytest.fail("no orrery executable: build it (cargo build) or set ORRERY_BIN")


def cli(*args, ok=True):
    out = subprocess.run([orrery_bin(), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


#: A tiny datacenter: 4 hosts, 12 VMs over two hours, first-fit, consolidation.
TINY = """
name = "tiny"
seed = 3
duration_s = 7200

[[hosts]]
type = "blade"
count = 4
cores = 8
core_mips = 2500
memory_mb = 32768
power = { model = "linear", idle_w = 100.0, max_w = 250.0 }
boot_s = 60

[[vm_types]]
name = "web"
vcpus = 2
mips = 2500
memory_mb = 8192

[[workload.generators]]
vm_type = "web"
count = 12
arrival = { process = "poisson", rate_per_hour = 12 }
lifetime = { dist = "exponential", mean_s = 2400 }
utilisation = { pattern = "random-walk", start = 0.5, step = 0.1 }

[policies]
placement = "first-fit"
reallocation = "consolidation"
power_off_idle = true
"""
