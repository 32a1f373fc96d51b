"""orrery.run, sweep and federate: frames equal what the CLI writes (names, dtypes, values),
scenarios load from files, text and dicts with overrides, bad input raises located errors."""

import json
import tomllib

import polars as pl
import pytest

import orrery
from _orrery_cli import ROOT, TINY, cli

HOUR2 = {"duration_s": 7200}


def same_frames(ours, theirs, name):
    assert ours.columns == theirs.columns, name
    assert ours.schema == theirs.schema, name
    assert ours.equals(theirs, null_equal=True), name


@pytest.mark.parametrize("scenario", ["scenarios/power-cycling.toml", "scenarios/table1/thermal-balance.toml",
                                      "scenarios/services/web-oneflow.toml"])
def test_frames_equal_the_cli_files(tmp_path, scenario):
    cli("run", scenario, "--set", "duration_s=7200", "--seed", 11, "--out", tmp_path)
    run = orrery.run(ROOT / scenario, set=HOUR2, seed=11)
    assert run.summary == json.loads((tmp_path / "summary.json").read_text())
    declared = json.loads((tmp_path / "tables.json").read_text())
    assert list(run.tables) == [t["table"] for t in declared]
    kinds = {"u64": pl.UInt64, "i64": pl.Int64, "f64": pl.Float64, "bool": pl.Boolean, "str": pl.String}
    for t in declared:
        df = run.tables[t["table"]]
        assert [(c["name"], kinds[c["kind"]]) for c in t["columns"]] == list(df.schema.items())
        same_frames(df, pl.read_parquet(tmp_path / f"{t['table']}.parquet"), t["table"])
        csv = pl.read_csv(tmp_path / f"{t['table']}.csv", schema=df.schema)
        assert csv.height == df.height
    pandas = run.to_pandas()
    assert set(pandas) == set(run.tables) and len(pandas["intervals"]) == run.intervals.height


def test_text_dict_and_overrides_load_the_same_scenario():
    by_text = orrery.run(TINY)
    by_dict = orrery.run(tomllib.loads(TINY))
    assert by_text.summary == by_dict.summary
    assert by_text.summary["scenario"] == "tiny" and by_text.summary["seed"] == 3
    striping = orrery.run(TINY, set={"policies.placement": "striping", "seed": 4})
    listed = orrery.run(TINY, set=["policies.placement=striping", "seed=4"])
    assert striping.summary == listed.summary and striping.summary["seed"] == 4
    assert orrery.run(TINY, seed=4).summary == orrery.run(TINY, set={"seed": 4}).summary


def test_a_dict_that_contains_itself_is_an_input_error_not_a_crash():
    scenario = tomllib.loads(TINY)
    scenario["policies"]["loop"] = scenario["policies"]
    with pytest.raises(orrery.InputError, match="nested more than 64 deep"):
        orrery.run(scenario)
    with pytest.raises(orrery.InputError, match="nested more than 64 deep"):
        orrery.run(TINY, set={"policies.params.x": scenario["policies"]})


def test_hand_checked_energy():
    # One 1000-MIPS host (idle 100 W, full 200 W) runs one VM of 1000 MIPS at a constant 50 %
    # from t=0 for two hours; hosts and VMs boot at once (the defaults): 150 W × 2 h = 0.3 kWh.
    scenario = {
        "name": "hand", "seed": 1, "duration_s": 7200,
        "hosts": [{"type": "h", "count": 1, "cores": 1, "core_mips": 1000, "memory_mb": 4096,
                   "power": {"model": "linear", "idle_w": 100.0, "max_w": 200.0}}],
        "vm_types": [{"name": "v", "mips": 1000, "memory_mb": 1024}],
        "workload": {"generators": [{"vm_type": "v", "count": 1, "arrival": {"process": "batch"},
                                     "utilisation": {"pattern": "constant", "level": 0.5}}]},
        "policies": {"placement": "first-fit"},
    }
    run = orrery.run(scenario)
    assert run.summary["energy_kwh"] == pytest.approx(0.3, rel=1e-9)
    assert run.summary["vms_total"] == 1 and run.summary["vms_rejected"] == 0
    assert run.intervals["power_w"].to_list() == pytest.approx([150.0] * run.intervals.height)
    assert run.intervals["energy_kwh"][-1] == pytest.approx(0.3)


def test_bad_input_raises_the_located_message(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace('placement = "first-fit"', 'placement = "frist-fit"'))
    with pytest.raises(orrery.InputError) as e:
        orrery.run(bad)
    assert isinstance(e.value, ValueError)
    assert e.value.key == "policies.placement" and e.value.file == str(bad) and e.value.line
    assert e.value.hint
    printed = cli("run", bad, ok=False)
    # The hint lists the policy names, Python ones registered in this process included.
    located = str(e.value).split(e.value.hint.rstrip("."))[0]
    assert printed.returncode == 2 and located in printed.stderr
    bad.write_text(TINY.replace("duration_s =", "duration ="))
    with pytest.raises(orrery.InputError) as e:
        orrery.run(bad)
    assert e.value.key == "duration" and f"error: {e.value}\n" == cli("run", bad, ok=False).stderr
    with pytest.raises(orrery.InputError, match="line 3"):
        orrery.run("name = 'x'\nseed = 1\nduration_s = [")
    with pytest.raises(orrery.InputError, match="--set"):
        orrery.run(TINY, set={"duration_s": "soon"})
    with pytest.raises(orrery.InputError, match="cannot be written in TOML"):
        orrery.run({"name": "x", "seed": object()})
    with pytest.raises(orrery.InputError, match="scenario file"):
        orrery.run(tmp_path / "missing.toml")


def test_sweep_equals_the_cli_sweep(tmp_path):
    sets = ["duration_s=7200", "sweep.replicas=2"]
    cli("sweep", "scenarios/sweeps/policies.toml", *[a for s in sets for a in ("--set", s)],
        "--jobs", 2, "--out", tmp_path / "cli")
    ours = orrery.sweep(ROOT / "scenarios/sweeps/policies.toml", set=sets, threads=2)
    assert (ours.points, ours.replicas, ours.ran, ours.skipped, ours.dir) == (9, 2, 18, 0, None)
    same_frames(ours.results, pl.read_parquet(tmp_path / "cli" / "results.parquet"), "results")
    same_frames(ours.aggregate, pl.read_parquet(tmp_path / "cli" / "aggregate.parquet"), "aggregate")
    kept = orrery.sweep(ROOT / "scenarios/sweeps/policies.toml", set=sets, threads=1, out=tmp_path / "kept")
    assert kept.dir == tmp_path / "kept" and kept.results.equals(ours.results)
    again = orrery.sweep(ROOT / "scenarios/sweeps/policies.toml", set=sets, out=tmp_path / "kept")
    assert (again.ran, again.skipped) == (0, 18)
    with pytest.raises(orrery.InputError, match=r"no \[sweep\] table"):
        orrery.sweep(TINY)


def test_federation_equals_the_cli_federation(tmp_path):
    cli("federate", "scenarios/federation/saas.toml", "--out", tmp_path)
    fed = orrery.federate(ROOT / "scenarios/federation/saas.toml")
    assert fed.summary == json.loads((tmp_path / "summary.json").read_text())
    for t in json.loads((tmp_path / "tables.json").read_text()):
        same_frames(fed.tables[t["table"]], pl.read_parquet(tmp_path / f"{t['table']}.parquet"), t["table"])
    assert fed.sites and all(isinstance(r, orrery.Run) for r in fed.sites.values())


@pytest.mark.skipif(not orrery._orrery.HAS_LIVE, reason="built without live mode")
@pytest.mark.parametrize("interval_s", [1e30, float("nan"), -1.0])
def test_a_bad_live_interval_is_an_input_error_before_any_host_is_touched(interval_s):
    with pytest.raises(orrery.InputError, match="interval_s must be a number of seconds"):
        orrery.live(ROOT / "scenarios/live/test-driver.toml", interval_s=interval_s)
