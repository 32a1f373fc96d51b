"""Load on `orrery serve`: DescribeInstances requests per second, with their median and p99
latency, for N instances and C concurrent clients (benches/README.md records the figures).

    cargo build --release
    python3 benches/serve_load.py --instances 100 --clients 1 4 16 --seconds 10

It starts `orrery serve` (on-demand clock) on a loopback port with a scenario of its own
(hosts enough for N instances, no quota), launches N instances with boto3 and runs them to
`running`, then, for each client count, has C threads send SigV4-signed DescribeInstances
requests (signed by botocore, each thread on its own keep-alive connection) back to back
for the given time. The client runs on the same machine and shares its cores with the server.
"""

import argparse
import http.client
import json
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[1]
KEY = ("AKIALOADEXAMPLE00001", "load/EXAMPLE/secret/key/00000000000000001")
BODY = b"Action=DescribeInstances&Version=2016-11-15"

SCENARIO = """
name = "serve-load"
seed = 1
duration_s = 86400

[[hosts]]
type = "big"
count = {hosts}
cores = 64
core_mips = 2500
memory_mb = 262144
power = {{ model = "linear", idle_w = 100.0, max_w = 300.0 }}

[[vm_types]]
name = "m.small"
vcpus = 2
mips = 2500
memory_mb = 4096
image = "ubuntu-24.04"

[workload]
vm_boot_s = 30

# One VM of the provider's own, arriving at the end: the API's instances are the load.
[[workload.generators]]
vm_type = "m.small"
count = 1
arrival = {{ process = "batch", at_s = 86000 }}
utilisation = {{ pattern = "constant", level = 0.1 }}

[[organisations]]
name = "load"

[policies]
placement = "first-fit"
reallocation = "none"
"""


def orrery_bin():
    if "ORRERY_BIN" in os.environ:
        return os.environ["ORRERY_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "debug"):
        if (target / profile / "orrery").exists():
            return str(target / profile / "orrery")
    sys.exit("no orrery executable: cargo build --release, or set ORRERY_BIN")


def signed_headers(host, port):
    request = AWSRequest(method="POST", url=f"http://{host}:{port}/", data=BODY,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(Credentials(*KEY), "ec2", "us-east-1").add_auth(request)
    return dict(request.prepare().headers.items())


def client(host, port, until, latencies, errors):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = signed_headers(host, port)
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        conn.request("POST", "/", body=BODY, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t0)
        if response.status != 200:
            errors.append(response.status)
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hosts = max(1, -(-args.instances * 2 // 64))
        (tmp / "scenario.toml").write_text(SCENARIO.format(hosts=hosts))
        (tmp / "keys.toml").write_text(
            f'[keys.{KEY[0]}]\nsecret = "{KEY[1]}"\norganisation = "load"\nadmin = true\n')
        proc = subprocess.Popen(
            [orrery_bin(), "serve", str(tmp / "scenario.toml"), "--listen", "127.0.0.1:0",
             "--on-demand", "--keys", str(tmp / "keys.toml")],
            stdout=subprocess.PIPE, text=True)
        try:
            select.select([proc.stdout], [], [], 60)
            url = re.fullmatch(r"listening on (http://.*)\n", proc.stdout.readline()).group(1)
            host, port = url.removeprefix("http://").rsplit(":", 1)
            port = int(port)
            ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id=KEY[0], aws_secret_access_key=KEY[1])
            image = ec2.describe_images()["Images"][0]["ImageId"]
            left = args.instances
            while left:
                n = min(left, 1000)
                ec2.run_instances(ImageId=image, MinCount=n, MaxCount=n)
                left -= n
            conn = http.client.HTTPConnection(host, port)
            path = "/orrery/advance?seconds=600"
            request = AWSRequest(method="POST", url=url + path)
            botocore.auth.SigV4Auth(Credentials(*KEY), "ec2", "us-east-1").add_auth(request)
            conn.request("POST", path, headers=dict(request.prepare().headers.items()))
            assert conn.getresponse().status == 200
            running = sum(1 for r in ec2.describe_instances()["Reservations"]
                          for i in r["Instances"] if i["State"]["Name"] == "running")
            assert running == args.instances, running

            rows = []
            for c in args.clients:
                latencies, errors = [], []
                until = time.perf_counter() + args.seconds
                threads = [threading.Thread(target=client, args=(host, port, until, latencies, errors))
                           for _ in range(c)]
                started = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                elapsed = time.perf_counter() - started
                latencies.sort()
                rows.append({
                    "instances": args.instances,
                    "clients": c,
                    "requests": len(latencies),
                    "errors": len(errors),
                    "requests_per_s": round(len(latencies) / elapsed, 1),
                    "median_ms": round(statistics.median(latencies) * 1000, 2),
                    "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 2),
                })
                print(json.dumps(rows[-1]), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
