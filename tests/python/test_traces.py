"""The OpenDC importer conserves the real samples: VMs, CPU-hours used and memory-hours computed
here from the source Parquet files with pyarrow, independently of orrery, equal what
`orrery trace inspect` reports of the imported trace; and the trace loads in pyarrow with the
documented schema. Needs ../shared/data (or ORRERY_SHARED_DATA): fails, does not skip, without it.
"""

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_tables import ROOT, orrery

DATA = Path(os.environ.get("ORRERY_SHARED_DATA", ROOT.parent / "shared" / "data"))

SCHEMA = {
    "id": pa.string(),
    "arrival_ms": pa.int64(),
    "departure_ms": pa.int64(),
    "vcpus": pa.int32(),
    "cpu_mips": pa.float64(),
    "memory_mb": pa.float64(),
    "tenant": pa.string(),
    "type": pa.string(),
    "sample_ms": pa.list_(pa.field("item", pa.int64(), nullable=False)),
    "cpu_util": pa.list_(pa.field("item", pa.float64(), nullable=False)),
}


def source_totals(directory, memory_scale):
    """VMs, vCPU-hours used and MB-hours of an OpenDC workload, from its own files."""
    tasks = pq.read_table(directory / "tasks.parquet").to_pandas().set_index("id")
    frags = pq.read_table(directory / "fragments.parquet").to_pandas()
    frags = frags[frags["id"].isin(tasks.index)]
    t = tasks.loc[frags["id"]].reset_index(drop=True)
    util = (frags["cpu_usage"].to_numpy() / t["cpu_capacity"].to_numpy()).clip(max=1.0)
    cpu_hours = float((util * t["cpu_count"].to_numpy() * frags["duration"].to_numpy()).sum() / 3.6e6)
    life = frags.groupby("id")["duration"].sum()
    mem_hours = float((tasks.loc[life.index, "mem_capacity"] * memory_scale * life).sum() / 3.6e6)
    return len(life), cpu_hours, mem_hours, len(frags)


@pytest.mark.parametrize("name,unit,scale", [("bitbrains-small", "kb", 1e-3), ("surf-week", "mb", 1.0)])
def test_opendc_samples_are_conserved(tmp_path, name, unit, scale):
    source = DATA / "traces" / "opendc" / name
    assert source.is_dir(), f"{source} is missing: set ORRERY_SHARED_DATA"
    out = tmp_path / f"{name}.parquet"
    orrery("trace", "import", "opendc", source, "--out", out, "--memory-unit", unit)
    summary = json.loads(orrery("trace", "inspect", out, "--json").stdout)
    vms, cpu_hours, mem_hours, fragments = source_totals(source, scale)
    assert summary["vms"] == vms
    assert summary["samples"] == fragments
    assert summary["cpu_hours_used"] == pytest.approx(cpu_hours, rel=1e-9)
    assert summary["memory_mb_hours"] == pytest.approx(mem_hours, rel=1e-9)
    assert summary["source"] == "opendc"

    trace = pq.read_table(out)
    for column, kind in SCHEMA.items():
        assert trace.schema.field(column).type == kind, column
    rows = trace.to_pandas()
    assert rows["arrival_ms"].is_monotonic_increasing
    assert rows["id"].is_unique
    assert rows["cpu_util"].map(lambda u: ((u >= 0) & (u <= 1)).all()).all()
    start = pq.read_metadata(out).metadata[b"orrery.trace.start_unix_ms"]
    first = pq.read_table(source / "tasks.parquet").column("submission_time").to_pandas().min()
    assert int(start) == int(first)


def test_traces_written_with_polars_and_pandas_replay(tmp_path):
    """A frame with the required columns, sorted by arrival, is a trace: polars writes zstd and
    large strings, pandas snappy; both read."""
    import pandas as pd
    import polars as pl

    rows = {
        "id": ["a", "b"],
        "arrival_ms": [0, 1_800_000],
        "vcpus": [1, 2],
        "cpu_mips": [1000.0, 1000.0],
        "memory_mb": [512.0, 1024.0],
        "sample_ms": [[0, 900_000], [1_800_000]],
        "cpu_util": [[0.5, 0.25], [1.0]],
    }
    pl.DataFrame(rows).write_parquet(tmp_path / "polars.parquet")
    pd.DataFrame(rows).to_parquet(tmp_path / "pandas.parquet")
    for name in ("polars", "pandas"):
        summary = json.loads(orrery("trace", "inspect", tmp_path / f"{name}.parquet", "--json").stdout)
        assert summary["vms"] == 2 and summary["samples"] == 3, name
        # a: 0.5 × 0.25 h + 0.25 × 0.25 h; b: 2 × 1.0 × 0 h (the trace ends at its arrival).
        assert summary["cpu_hours_used"] == pytest.approx(0.1875), name
