"""Reading a lake on S3: moto's S3 server on loopback, the lake copied there by `runlake
sync`, read back through `runlake.open("s3://...", endpoint=...)`."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

import pytest

import runlake
from conftest import REPO, canon, cli, cli_table

TABLES = ["metadata", "pretrain_ckpts", "posttrain_steps", "evals", "lineage"]


@pytest.fixture()
def s3(monkeypatch):
    """A moto server; yields its endpoint with credentials in the environment."""
    server = REPO / ".venv" / "bin" / "moto_server"
    if not server.exists():
        pytest.fail(f"{server} is missing: run `bash .ci/test`, which installs moto[server]")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("moto_server did not start")
                time.sleep(0.1)
        for name, value in {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def create_bucket(endpoint: str, name: str) -> None:
    """A bucket made with one plain request; moto checks no signature, the header only names
    the service."""
    host = endpoint.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request(
        "PUT",
        f"/{name}",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
            "SignedHeaders=host, Signature=0",
            "x-amz-date": "20260101T000000Z",
        },
    )
    response = conn.getresponse()
    assert response.status == 200, response.read()
    conn.close()


def test_an_s3_lake_reads_as_the_local_one(s3, lake_path: Path, tmp_path: Path):
    create_bucket(s3, "pylake")
    uri = "s3://pylake/lakes/demo"
    cli("sync", str(lake_path), uri, "--endpoint", s3)

    lake = runlake.open(uri, endpoint=s3)
    assert lake.tables == TABLES
    for table in TABLES:
        reference = cli_table(tmp_path, "query", str(lake_path), "--table", table)
        assert canon(lake.scan(table).to_arrow()) == canon(reference), table
    scan = lake.scan("evals").filter("task = 'arc_challenge'").select(["run_uid", "step"])
    reference = cli_table(
        tmp_path, "query", str(lake_path), "--table", "evals",
        "--where", "task = 'arc_challenge'", "--select", "run_uid,step",
    )
    assert canon(scan.to_arrow()) == canon(reference)
    assert lake.verify()["sound"] is True
