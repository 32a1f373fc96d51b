"""One orrery site bursting into another: `orrery live` on libvirt's test driver (no libvirt
daemon needed) runs out of room and bursts its deferred VMs into `orrery serve` through the EC2
API, tags them, does not launch them again when restarted, terminates them when room frees, and
reports wrong credentials clearly (naming the endpoint, never printing the secret)."""

import os
import subprocess

import boto3

from _orrery_cli import ROOT, orrery_bin
from test_serve import ACME, REGION, Server

SECRET_VAR = "ORRERY_TEST_BURST_SECRET"


def node(path, n):
    """A test-driver host: 8 CPUs at 2000 MHz, 16 GiB, no domains."""
    (path / f"host{n}.xml").write_text(
        "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>8</active><max>8</max>"
        "<nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads></cpu>"
        "<memory>16777216</memory>\n</node>\n")


def live_config(path, url, ami, hosts):
    text = f'name = "site-a"\njournal = "live.journal"\ninterval_s = 60\n\n'
    text += (f'[burst]\ncloud = "site-b"\nendpoint = "{url}"\naccess_key_id = "{ACME[0]}"\n'
             f'secret_env = "{SECRET_VAR}"\nprice_per_period = 0.5\nbilling_period_s = 3600\n'
             'stop = "immediate"\ntimeout_s = 10\nattempts = 2\nbackoff_ms = 50\n'
             f'[burst.instance_types]\nsmall = {{ instance_type = "m.small", image_id = "{ami}" }}\n\n'
             '[[templates]]\nname = "small"\nvcpus = 2\nmips = 2000\nmemory_mb = 2048\n'
             'domain_type = "test"\n\n')
    for h in range(hosts):
        text += (f'[[hosts]]\nname = "h-{h}"\nuri = "test://{{config_dir}}/host{h}.xml"\n\n')
    for vm in "abcdef":
        text += f'[[vms]]\nname = "{vm}"\ntemplate = "small"\n\n'
    text += '[policies]\nplacement = "first-fit"\n'
    (path / "live.toml").write_text(text)
    return path / "live.toml"


def run_live(config, secret):
    env = dict(os.environ, **{SECRET_VAR: secret})
    out = subprocess.run([orrery_bin(), "live", "--config", str(config), "--apply", "--once"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert secret not in out.stdout + out.stderr
    return out.stdout


def ours(ec2):
    out = ec2.describe_instances(Filters=[{"Name": "tag:orrery:owner", "Values": ["site-a"]}])
    return {i["InstanceId"]: i for r in out["Reservations"] for i in r["Instances"]}


def test_a_live_site_bursts_into_orrery_serve(tmp_path):
    server = Server(tmp_path, "--on-demand")
    try:
        ec2 = server.ec2()
        ami = ec2.describe_images(Filters=[{"Name": "name", "Values": ["ubuntu-24.04"]}])
        ami = ami["Images"][0]["ImageId"]
        node(tmp_path, 0)
        node(tmp_path, 1)
        config = live_config(tmp_path, server.url, ami, hosts=1)

        # Four VMs fit on the one host: e and f burst, tagged with the site and the VM.
        out = run_live(config, ACME[1])
        assert "burst e to site-b" in out and "burst f to site-b" in out, out
        first = ours(ec2)
        tags = sorted({t["Key"]: t["Value"] for t in i["Tags"]}["orrery:vm"]
                      for i in first.values())
        assert tags == ["e", "f"]
        assert all(i["InstanceType"] == "m.small" for i in first.values())

        # Restarted ten (simulated) minutes later, still short of room: nothing launched
        # again, and the instances, booted by now, are seen running.
        server.advance(600)
        out = run_live(config, ACME[1])
        assert "launched" not in out, out
        assert out.count(" running") >= 2, out
        assert set(ours(ec2)) == set(first)

        # Wrong credentials: a clear error naming the endpoint; nothing launched or stopped.
        out = run_live(config, "not/the/secret")
        assert f"warning: burst: {server.url}: DescribeInstances refused" in out, out
        assert set(ours(ec2)) == set(first)

        # A second host: e and f run at home, and (stop = "immediate") their instances are
        # terminated at once, one period charged each.
        config = live_config(tmp_path, server.url, ami, hosts=2)
        out = run_live(config, ACME[1])
        assert out.count("terminated, cost 0.5000") == 2, out
        states = {i["State"]["Name"] for i in ours(ec2).values()}
        assert states <= {"shutting-down", "terminated"}, states

        # The journal lists every step, with the cost.
        out = subprocess.run([orrery_bin(), "live", "journal", "--config", str(config),
                              "--kind", "burst"], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        for word in ("launched", "running", "idle", "terminated, cost 0.5000"):
            assert word in out.stdout, out.stdout
    finally:
        server.stop()
