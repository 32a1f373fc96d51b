"""`orrery serve` driven by real, unmodified clients: boto3 and awscli from PyPI, against a
server each test starts on a loopback port (docs/serve.md's session, and its refusals).

boto3 and awscli are required: CI installs them (tests/python/requirements.txt), and a
missing one fails these tests rather than skipping them."""

import datetime
import json
import re
import select
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from _orrery_cli import ROOT, orrery_bin

SCENARIO = ROOT / "scenarios" / "serve" / "tenants.toml"
KEYS = ROOT / "scenarios" / "serve" / "keys.example"
ACME = ("AKIAACMEEXAMPLE00001", "acme/EXAMPLE/secret/key/0000000000000001")
GLOBEX = ("AKIAGLOBEXEXAMPLE001", "globex/EXAMPLE/secret/key/000000000000001")
REGION = "us-east-1"
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{17}$")


class Server:
    """A running `orrery serve`: its URL, audit file and process."""

    def __init__(self, tmp: Path, *flags):
        self.audit = tmp / "audit.jsonl"
        self.proc = subprocess.Popen(
            [orrery_bin(), "serve", str(SCENARIO), "--listen", "127.0.0.1:0",
             "--keys", str(KEYS), "--audit", str(self.audit), *flags],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        if not match:
            self.proc.kill()
            pytest.fail(f"orrery serve did not start: {line!r} {self.proc.stderr.read()}")
        self.url = match.group(1)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("orrery serve did not stop on SIGTERM")
        assert self.proc.returncode == 0, self.proc.stderr.read()

    def ec2(self, key=ACME):
        return boto3.client(
            "ec2", endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=key[0], aws_secret_access_key=key[1],
            config=Config(retries={"max_attempts": 1, "mode": "standard"}))

    def signed(self, method, path, key=ACME, body=b"", when=None):
        """A request signed by botocore's own SigV4 signer (at `when`, default now)."""
        request = AWSRequest(method=method, url=self.url + path, data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        signer = botocore.auth.SigV4Auth(Credentials(*key), "ec2", REGION)
        if when is None:
            signer.add_auth(request)
        else:
            with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
                signer.add_auth(request)
        prepared = request.prepare()
        req = urllib.request.Request(prepared.url, data=prepared.body or None, method=method,
                                     headers=dict(prepared.headers.items()))
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def advance(self, seconds, key=ACME):
        status, body = self.signed("POST", f"/orrery/advance?seconds={seconds}", key)
        assert status == 200, body
        return json.loads(body)

    def aws(self, *args, key=ACME, ok=True):
        """`aws ec2 ARGS…` (awscli, run as `python -m awscli`, the installed package)."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.audit.parent),
               "AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1],
               "AWS_DEFAULT_REGION": REGION, "AWS_MAX_ATTEMPTS": "1",
               "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
        out = subprocess.run(
            [sys.executable, "-m", "awscli", "ec2", *args, "--endpoint-url", self.url,
             "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
        if ok:
            assert out.returncode == 0, out.stderr
            return json.loads(out.stdout) if out.stdout.strip() else None
        assert out.returncode != 0, out.stdout
        return out.stderr

    def audit_lines(self):
        return [json.loads(l) for l in self.audit.read_text().splitlines()]


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path, "--on-demand")
    yield s
    s.stop()


def error_code(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def states(ec2, ids):
    out = ec2.describe_instances(InstanceIds=ids)
    found = {i["InstanceId"]: i for r in out["Reservations"] for i in r["Instances"]}
    return [found[i]["State"]["Name"] for i in ids]


def image_id(server, name):
    images = server.aws("describe-images", "--filters", f"Name=name,Values={name}")["Images"]
    assert len(images) == 1, images
    return images[0]["ImageId"]


def test_the_documented_session_with_awscli_and_boto3(server):
    ec2 = server.ec2()
    # The catalogue: the scenario's VM types and the images they name.
    types = {t["InstanceType"]: t for t in ec2.describe_instance_types()["InstanceTypes"]}
    assert set(types) == {"m.small", "m.large", "c.medium"}
    assert types["m.large"]["VCpuInfo"]["DefaultVCpus"] == 8
    assert types["m.large"]["MemoryInfo"]["SizeInMiB"] == 16384
    assert types["c.medium"]["ProcessorInfo"]["SustainedClockSpeedInGhz"] == 3.0
    images = server.aws("describe-images")["Images"]
    assert sorted(i["Name"] for i in images) == ["debian-12", "ubuntu-24.04"]
    assert all(re.fullmatch(r"ami-[0-9a-f]{17}", i["ImageId"]) for i in images)
    ubuntu = image_id(server, "ubuntu-24.04")

    # Launch two tagged instances with awscli: they arrive in the simulation, pending.
    run = server.aws("run-instances", "--image-id", ubuntu, "--instance-type", "m.small",
                     "--count", "2", "--tag-specifications",
                     "ResourceType=instance,Tags=[{Key=Name,Value=web}]")
    ids = [i["InstanceId"] for i in run["Instances"]]
    assert len(ids) == 2 and all(INSTANCE_ID.match(i) for i in ids)
    assert re.fullmatch(r"r-[0-9a-f]{17}", run["ReservationId"])
    assert [i["State"]["Name"] for i in run["Instances"]] == ["pending", "pending"]
    assert run["Instances"][0]["Tags"] == [{"Key": "Name", "Value": "web"}]
    assert states(ec2, ids) == ["pending", "pending"]

    # Simulated time moves on: the hosts boot and the VMs boot (40 s), then they run.
    assert server.advance(0)["now_s"] == 0
    reached = server.advance(600)
    assert reached["now_s"] == 600 and not reached["ended"]
    assert states(ec2, ids) == ["running", "running"]
    described = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]
    assert all(i["Placement"]["HostId"].startswith("blade") for i in described)
    assert described[0]["InstanceType"] == "m.small" and described[0]["ImageId"] == ubuntu

    # Tags: one with awscli, read back with boto3 and used as a filter.
    server.aws("create-tags", "--resources", ids[0], "--tags", "Key=team,Value=blue")
    tags = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["team"]}])["Tags"]
    assert tags == [{"Key": "team", "ResourceId": ids[0], "ResourceType": "instance", "Value": "blue"}]
    assert len(ec2.describe_tags()["Tags"]) == 3
    blue = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": ["bl*"]}])
    assert [i["InstanceId"] for r in blue["Reservations"] for i in r["Instances"]] == [ids[0]]
    ec2.delete_tags(Resources=[ids[0]], Tags=[{"Key": "team"}])
    assert ec2.describe_tags(Filters=[{"Name": "key", "Values": ["team"]}])["Tags"] == []

    # Stop and start (the simulator's suspend and resume).
    stop = ec2.stop_instances(InstanceIds=[ids[1]])["StoppingInstances"][0]
    assert (stop["PreviousState"]["Name"], stop["CurrentState"]["Name"]) == ("running", "stopped")
    assert states(ec2, ids) == ["running", "stopped"]
    stopped = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}])
    assert [i["InstanceId"] for r in stopped["Reservations"] for i in r["Instances"]] == [ids[1]]
    start = ec2.start_instances(InstanceIds=[ids[1]])["StartingInstances"][0]
    assert (start["PreviousState"]["Name"], start["CurrentState"]["Name"]) == ("stopped", "running")

    # Terminate with awscli.
    term = server.aws("terminate-instances", "--instance-ids", *ids)["TerminatingInstances"]
    assert {t["CurrentState"]["Name"] for t in term} == {"terminated"}
    assert {t["PreviousState"]["Name"] for t in term} == {"running"}
    assert states(ec2, ids) == ["terminated", "terminated"]
    gone = ec2.describe_instances(InstanceIds=[ids[0]])["Reservations"][0]["Instances"][0]
    assert gone["StateReason"]["Code"] == "Client.UserInitiatedShutdown"

    # Every call is in the audit trail, with the key id and never the secret.
    audit = server.audit_lines()
    actions = [a["action"] for a in audit]
    for action in ["DescribeInstanceTypes", "DescribeImages", "RunInstances", "CreateTags",
                   "DescribeTags", "StopInstances", "StartInstances", "TerminateInstances",
                   "orrery:Advance"]:
        assert action in actions, action
    assert all(a["access_key"] == ACME[0] and a["organisation"] == "acme" for a in audit)
    launch = next(a for a in audit if a["action"] == "RunInstances")
    assert launch["resources"] == ids and launch["result"] == "ok"
    assert ACME[1] not in server.audit.read_text()


def test_the_same_requests_give_the_same_ids(tmp_path):
    launched = []
    for k in range(2):
        (tmp_path / str(k)).mkdir()
        s = Server(tmp_path / str(k), "--on-demand")
        try:
            ec2 = s.ec2()
            ubuntu = image_id(s, "ubuntu-24.04")
            ids = []
            for count in (1, 3):
                run = ec2.run_instances(ImageId=ubuntu, InstanceType="m.small",
                                        MinCount=count, MaxCount=count)
                ids += [run["ReservationId"]] + [i["InstanceId"] for i in run["Instances"]]
            launched.append(ids)
        finally:
            s.stop()
    assert launched[0] == launched[1]
    assert len(set(launched[0])) == 6


def test_a_wrong_signature_or_an_unknown_key_is_refused(server):
    assert error_code(server.ec2((ACME[0], "not-the-secret-at-all-00000000")).describe_instances) == \
        ("SignatureDoesNotMatch", 403)
    assert error_code(server.ec2(("AKIANOBODYEXAMPLE001", ACME[1])).describe_instances) == \
        ("AuthFailure", 401)
    stderr = server.aws("describe-instances", key=(ACME[0], "wrong-secret-wrong-secret-000"), ok=False)
    assert "SignatureDoesNotMatch" in stderr
    # A request signed 20 minutes ago is refused; one signed now passes.
    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    body = b"Action=DescribeInstances&Version=2016-11-15"
    status, text = server.signed("POST", "/", body=body, when=stale)
    assert status == 400 and "<Code>RequestExpired</Code>" in text
    status, text = server.signed("POST", "/", body=body)
    assert status == 200 and "<DescribeInstancesResponse" in text
    # Unsigned.
    req = urllib.request.Request(server.url + "/", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 401
    assert "<Code>MissingAuthenticationToken</Code>" in e.value.read().decode()
    refused = [a for a in server.audit_lines() if a["result"] != "ok"]
    assert [a["result"] for a in refused] == [
        "SignatureDoesNotMatch", "AuthFailure", "SignatureDoesNotMatch", "RequestExpired",
        "MissingAuthenticationToken"]
    assert ACME[1] not in server.audit.read_text()


def test_launches_beyond_the_quota_are_refused(server):
    ec2 = server.ec2()
    ubuntu = image_id(server, "ubuntu-24.04")
    # acme: at most 4 instances and 16 vCPUs.
    assert error_code(lambda: ec2.run_instances(ImageId=ubuntu, InstanceType="m.large",
                                                MinCount=3, MaxCount=3)) == ("VcpuLimitExceeded", 400)
    # As many as fit between MinCount and MaxCount.
    run = ec2.run_instances(ImageId=ubuntu, InstanceType="m.large", MinCount=1, MaxCount=3)
    large = [i["InstanceId"] for i in run["Instances"]]
    assert len(large) == 2
    assert error_code(lambda: ec2.run_instances(ImageId=ubuntu, InstanceType="m.small",
                                                MinCount=1, MaxCount=1))[0] == "VcpuLimitExceeded"
    ec2.terminate_instances(InstanceIds=large[:1])
    ec2.run_instances(ImageId=ubuntu, InstanceType="m.small", MinCount=3, MaxCount=3)
    assert error_code(lambda: ec2.run_instances(ImageId=ubuntu, InstanceType="m.small",
                                                MinCount=1, MaxCount=1)) == ("InstanceLimitExceeded", 400)
    stderr = server.aws("run-instances", "--image-id", ubuntu, "--instance-type", "m.small", ok=False)
    assert "InstanceLimitExceeded" in stderr
    # Another organisation has its own quota.
    other = server.ec2(GLOBEX).run_instances(ImageId=ubuntu, InstanceType="m.large", MinCount=4, MaxCount=4)
    assert len(other["Instances"]) == 4


def test_bad_requests_get_ec2_error_codes(server):
    ec2 = server.ec2()
    ubuntu = image_id(server, "ubuntu-24.04")
    assert error_code(lambda: ec2.run_instances(MinCount=1, MaxCount=1)) == ("MissingParameter", 400)
    assert error_code(lambda: ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1)) \
        == ("InvalidAMIID.NotFound", 400)
    assert error_code(lambda: ec2.run_instances(ImageId="ami-nope", MinCount=1, MaxCount=1))[0] \
        == "InvalidAMIID.Malformed"
    assert error_code(lambda: ec2.run_instances(ImageId=ubuntu, InstanceType="x.huge", MinCount=1, MaxCount=1))[0] \
        == "InvalidParameterValue"
    assert error_code(lambda: ec2.run_instances(ImageId=ubuntu, MinCount=2, MaxCount=1))[0] \
        == "InvalidParameterValue"
    assert error_code(lambda: ec2.describe_instances(InstanceIds=["i-123"]))[0] == "InvalidInstanceID.Malformed"
    assert error_code(lambda: ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"]))[0] \
        == "InvalidInstanceID.NotFound"
    assert error_code(lambda: ec2.describe_instances(Filters=[{"Name": "colour", "Values": ["red"]}]))[0] \
        == "InvalidParameterValue"
    assert error_code(lambda: ec2.describe_images(ImageIds=["ami-0123456789abcdef0"]))[0] \
        == "InvalidAMIID.NotFound"
    assert error_code(lambda: ec2.describe_instance_types(InstanceTypes=["t2.micro"]))[0] \
        == "InvalidInstanceType"
    # A pending instance cannot be stopped; another tenant's instance does not exist for you.
    pending = ec2.run_instances(ImageId=ubuntu, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    assert error_code(lambda: ec2.stop_instances(InstanceIds=[pending])) == ("IncorrectInstanceState", 400)
    assert error_code(lambda: server.ec2(GLOBEX).terminate_instances(InstanceIds=[pending]))[0] \
        == "InvalidInstanceID.NotFound"
    assert error_code(lambda: ec2.create_tags(Resources=[pending], Tags=[{"Key": "aws:x", "Value": "y"}]))[0] \
        == "InvalidParameterValue"
    assert error_code(lambda: ec2.describe_instances(DryRun=True)) == ("DryRunOperation", 412)
    # Actions outside the subset, and other API versions.
    for body, code in [(b"Action=CreateVpc&Version=2016-11-15", "InvalidAction"),
                       (b"Action=DescribeInstances&Version=2014-01-01", "InvalidParameterValue"),
                       (b"Action=DescribeInstances&Version=2016-11-15&MaxResults=banana",
                        "InvalidParameterValue"),
                       (b"Version=2016-11-15", "MissingParameter")]:
        status, text = server.signed("POST", "/", body=body)
        assert status == 400 and f"<Code>{code}</Code>" in text, text
        assert re.search(r"<RequestID>[0-9a-f-]{36}</RequestID>", text)
    # A body over the cap is refused without being read whole.
    status, text = server.signed("POST", "/", body=b"Action=DescribeInstances&x=" + b"a" * 300_000)
    assert status == 413 and "RequestEntityTooLarge" in text
    # The server still answers.
    assert states(ec2, [pending]) == ["pending"]


def test_describe_pages_through_many_instances(server):
    ec2 = server.ec2(GLOBEX)
    ubuntu = image_id(server, "ubuntu-24.04")
    run = ec2.run_instances(ImageId=ubuntu, InstanceType="m.small", MinCount=12, MaxCount=12)
    ids = [i["InstanceId"] for i in run["Instances"]]
    first = ec2.describe_instances(MaxResults=5)
    assert len(first["Reservations"][0]["Instances"]) == 5 and "NextToken" in first
    pages = ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5})
    seen = [i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"]]
    assert seen == ids
    # awscli pages on its own.
    listed = server.aws("describe-instances", "--page-size", "5", key=GLOBEX)
    assert [i["InstanceId"] for r in listed["Reservations"] for i in r["Instances"]] == ids
    # acme sees none of them.
    assert server.ec2().describe_instances()["Reservations"] == []


def test_the_admin_endpoint_needs_an_admin_key(server):
    status, text = server.signed("POST", "/orrery/advance?seconds=60", key=GLOBEX)
    assert status == 403 and "<Code>UnauthorizedOperation</Code>" in text
    status, text = server.signed("POST", "/orrery/advance?seconds=-5")
    assert status == 400 and "InvalidParameterValue" in text
    assert server.advance(0)["now_s"] == 0
    # Past the end of the scenario, the run is over and launches are refused.
    assert server.advance(10**7)["ended"]
    ubuntu = image_id(server, "ubuntu-24.04")
    assert error_code(lambda: server.ec2().run_instances(ImageId=ubuntu, MinCount=1, MaxCount=1))[0] \
        == "InsufficientInstanceCapacity"


def test_at_a_rate_simulated_time_runs_on_its_own(tmp_path):
    s = Server(tmp_path, "--rate", "600")
    try:
        ec2 = s.ec2()
        ubuntu = image_id(s, "ubuntu-24.04")
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ubuntu, MinCount=1, MaxCount=1)["Instances"]]
        # Host boot (120 s) and VM boot (40 s) take well under a second of wall time at 600×.
        for _ in range(100):
            if states(ec2, ids) == ["running"]:
                break
            select.select([], [], [], 0.1)
        assert states(ec2, ids) == ["running"]
    finally:
        s.stop()
