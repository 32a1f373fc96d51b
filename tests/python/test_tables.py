"""Every table orrery writes loads in pandas and polars with its declared types and no warnings:
a run with and without a thermal model, a run with services, a sweep whose replica seeds pass
2^63, and a federation. The declared types come from each directory's `tables.json`.

Run from the repository root: `python3 -m pytest tests/python` (ORRERY_BIN names the orrery
executable; `target/debug/orrery` or `target/release/orrery` otherwise).
"""

import json
import os
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]

POLARS = {"u64": pl.UInt64, "i64": pl.Int64, "f64": pl.Float64, "bool": pl.Boolean, "str": pl.String}
PANDAS = {"u64": "UInt64", "i64": "Int64", "f64": "Float64", "bool": "boolean", "str": "string"}
ARROW = {"u64": {"uint64"}, "i64": {"int64"}, "f64": {"double"}, "bool": {"bool"},
         "str": {"string", "large_string", "string_view"}}


def orrery_bin():
    if "ORRERY_BIN" in os.environ:
        return os.environ["ORRERY_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("debug", "release"):
        exe = target / profile / "orrery"
        if exe.exists():
            return str(exe)
    pytest.fail("no orrery executable: build it (cargo build) or set ORRERY_BIN")


def orrery(*args):
    out = subprocess.run([orrery_bin(), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="session")
def dirs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outputs")
    hour = ["--set", "duration_s=7200"]
    orrery("run", "scenarios/power-cycling.toml", *hour, "--out", tmp / "plain")
    orrery("run", "scenarios/table1/thermal-balance.toml", *hour, "--out", tmp / "thermal")
    orrery("run", "scenarios/services/web-oneflow.toml", *hour, "--out", tmp / "services")
    orrery("federate", "scenarios/federation/saas.toml", "--out", tmp / "federation")
    orrery("sweep", "scenarios/sweeps/policies.toml", *hour, "--set", "sweep.replicas=6",
           "--jobs", "2", "--out", tmp / "sweep")
    return tmp


def schemas(directory):
    """The declared schemas of a result directory's tables."""
    return json.loads((directory / "tables.json").read_text())


def check_polars(df, schema):
    assert df.columns == [c["name"] for c in schema["columns"]], schema["table"]
    for c in schema["columns"]:
        assert df.schema[c["name"]] == POLARS[c["kind"]], (schema["table"], c["name"])
        if not c["nullable"]:
            assert df[c["name"]].null_count() == 0, (schema["table"], c["name"])


def check_table(directory, schema):
    name = schema["table"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Parquet: the types are in the file.
        check_polars(pl.read_parquet(directory / f"{name}.parquet"), schema)
        arrow = pd.read_parquet(directory / f"{name}.parquet", dtype_backend="pyarrow")
        for c in schema["columns"]:
            dtype = str(arrow[c["name"]].dtype)
            assert dtype.endswith("[pyarrow]") and dtype[:-9] in ARROW[c["kind"]], (name, c["name"], dtype)
        # CSV: the types come from tables.json.
        pl_schema = {c["name"]: POLARS[c["kind"]] for c in schema["columns"]}
        csv = pl.read_csv(directory / f"{name}.csv", schema=pl_schema,
                          empty_string_is_null=False)
        check_polars(csv, schema)
        pd_types = {c["name"]: PANDAS[c["kind"]] for c in schema["columns"]}
        frame = pd.read_csv(directory / f"{name}.csv", dtype=pd_types, keep_default_na=False,
                            na_values={c["name"]: [""] for c in schema["columns"] if c["kind"] != "str"})
        assert list(frame.dtypes.astype(str)) == [PANDAS[c["kind"]] for c in schema["columns"]], name
        assert len(frame) == len(csv)


@pytest.mark.parametrize("kind", ["plain", "thermal", "services", "federation"])
def test_every_table_loads_with_its_declared_types(dirs, kind):
    directory = dirs / kind
    tables = schemas(directory)
    assert tables, "tables.json lists the tables"
    for schema in tables:
        check_table(directory, schema)


def test_a_service_run_has_its_service_tables(dirs):
    names = {s["table"] for s in schemas(dirs / "services")}
    assert {"intervals", "events", "services", "roles", "migrations", "usage_totals"} <= names


def test_thermal_and_plain_intervals_concatenate(dirs):
    plain = pl.read_parquet(dirs / "plain" / "intervals.parquet")
    thermal = pl.read_parquet(dirs / "thermal" / "intervals.parquet")
    assert plain["max_temperature_c"].null_count() == len(plain)
    both = pl.concat([plain, thermal])
    assert both.schema["max_temperature_c"] == pl.Float64
    assert both["max_temperature_c"].drop_nulls().min() > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames = [pd.read_parquet(dirs / d / "intervals.parquet") for d in ("plain", "thermal")]
        assert pd.concat(frames)["max_temperature_c"].dtype == "float64"


def test_totals_are_apart_so_a_naive_sum_is_right(dirs):
    usage = pl.read_parquet(dirs / "services" / "usage.parquet")
    totals = pl.read_parquet(dirs / "services" / "usage_totals.parquet")
    assert usage["vm"].null_count() == 0
    assert abs(usage["vcpu_s"].sum() - totals["vcpu_s"].sum()) < 1e-6 * totals["vcpu_s"].sum()
    billing = pl.read_parquet(dirs / "services" / "billing.parquet")
    bills = pl.read_parquet(dirs / "services" / "billing_totals.parquet")
    assert abs(billing["cost"].sum() - bills["cost"].sum()) < 1e-9


def test_a_sweep_with_seeds_above_2_63_has_typed_results_and_aggregates(dirs):
    sweep = dirs / "sweep"
    manifest = json.loads((sweep / "sweep.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = pl.read_parquet(sweep / "results.parquet")
        assert results.schema["seed"] == pl.UInt64
        assert results["seed"].max() >= 2**63, "six replicas: a seed above 2^63 is all but certain"
        assert results.height == manifest["points"] * manifest["replicas"]
        for key, kind in zip(manifest["keys"], manifest["kinds"]):
            assert results.schema[key] == POLARS[kind]
        # A metric that is null in every run is still a float.
        assert results.schema["mean_migration_downtime_s"] == pl.Float64
        aggregate = pl.read_parquet(sweep / "aggregate.parquet")
        assert aggregate.height == manifest["points"]
        assert aggregate.schema["energy_kwh_mean"] == pl.Float64
        frame = pd.read_parquet(sweep / "results.parquet")
        assert str(frame["seed"].dtype) == "uint64"
        # Every run's folder is named in its row.
        for run in results["run"]:
            assert (sweep / "runs" / run / "summary.json").exists()


def test_migrations_are_columns_not_text(dirs):
    schema = {s["table"]: s for s in schemas(dirs / "plain")}["migrations"]
    names = [c["name"] for c in schema["columns"]]
    assert names[:4] == ["vm", "name", "source", "destination"]
    assert "duration_s" in names and "downtime_s" in names and "data_mb" in names
