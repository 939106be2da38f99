"""Fleet simulator: simulated loudspeaker clusters and e-boards talk to the gateway over HTTP, with faults.

Each device sends a heartbeat, then polls its signed manifest a few rounds (with ETag), verifies
the Ed25519 signature, its own device id and the expiry, downloads each audio once and checks its
sha256, "plays" every new item (no sound: it only counts the duration) and posts confirmations in
batches. Time is compressed: every item in the manifest is played at once, as if its window had
come. Event ids are uuid5(device, item, status), so a rerun re-sends the same ids and the gateway
reports them as duplicates instead of counting a play twice.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlmodel import Session

import storage
from gateway.signing import ManifestRejected, verify_manifest

# Namespace of confirmation event ids; fixed so reruns make the same ids.
EVENT_NAMESPACE = uuid.UUID("6f1c7a52-3d0e-4b8e-9a57-0b5a1e2d4c10")
BATCH_SIZE = 50
# Answers worth sending again besides 5xx: a lost race (409) and rate limiting (429).
RETRY_STATUSES = frozenset({409, 429})
FIRMWARE = "bantin-sim/1"


@dataclass(frozen=True)
class FaultConfig:
    """Seeded faults; the defaults are a low rate so every run exercises retries and duplicates."""

    drop_rate: float = 0.03  # request lost before it reaches the gateway
    lost_response_rate: float = 0.02  # gateway handled it, the answer was lost (a timeout)
    duplicate_batch_rate: float = 0.10  # a confirmation batch is posted twice
    offline_rate: float = 0.05  # device is off the network for this run
    playback_failure_rate: float = 0.03  # amplifier or player fails: reported as "failed"
    max_retries: int = 5
    backoff_s: float = 0.02  # first retry delay; doubles each time, with jitter
    timeout_s: float = 30.0

    @classmethod
    def none(cls) -> FaultConfig:
        """No injected faults (retries still happen on real errors)."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class FleetReport:
    """What a simulated fleet did and what the gateway answered."""

    devices: int = 0
    devices_offline: int = 0
    heartbeats: int = 0
    manifests_fetched: int = 0
    manifests_not_modified: int = 0
    signature_failures: int = 0
    manifests_refused: int = 0  # signed by the server but for another device, or expired
    audio_downloads: int = 0
    audio_bytes: int = 0
    audio_corrupt: int = 0
    items_played: int = 0  # played on a loudspeaker or displayed on an e-board
    items_failed: int = 0
    seconds_played: float = 0.0
    confirmations_accepted: int = 0
    confirmations_duplicates: int = 0
    confirmations_rejected: int = 0
    duplicate_posts: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: FleetReport) -> None:
        """Sum another report into this one."""
        for f in fields(self):
            mine = getattr(self, f.name)
            setattr(self, f.name, mine + getattr(other, f.name))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds_played"] = round(self.seconds_played, 3)
        return data

    def summary(self) -> str:
        """One line: devices, plays, confirmations, refusals, retries, errors."""
        return (
            f"{self.devices} devices ({self.devices_offline} offline), {self.items_played} played, "
            f"{self.items_failed} failed ({self.seconds_played:.0f} s of audio); confirmations "
            f"{self.confirmations_accepted} accepted, {self.confirmations_duplicates} duplicates, "
            f"{self.confirmations_rejected} rejected; {self.signature_failures} signature failures, "
            f"{self.retries} retries, {len(self.errors)} errors"
        )

    __str__ = summary

    def to_text(self) -> str:
        """One line per figure, for the terminal."""
        lines = [self.summary(), ""]
        lines += [f"{name}: {value}" for name, value in self.to_dict().items() if name != "errors"]
        lines.append(f"errors: {len(self.errors)}")
        lines += [f"  - {error}" for error in self.errors[:20]]
        return "\n".join(lines)


class NotEnoughSimulatedDevices(Exception):
    """Fewer simulated devices are registered than the simulation asks for."""

    def __init__(self, requested: int, available: int) -> None:
        self.requested, self.available = requested, available
        self.message_en = (
            f"asked for {requested} simulated devices but only {available} exist; import more with "
            "'bantin devices import FILE' (rows with simulated=true) or ask for fewer with --devices"
        )
        self.message_vi = (
            f"cần {requested} thiết bị mô phỏng nhưng chỉ có {available}; hãy nhập thêm bằng "
            "'bantin devices import TỆP' (dòng có simulated=true) hoặc giảm --devices"
        )
        super().__init__(self.message_en)


def simulated_devices(*, session: Session, count: int) -> list[tuple[str, str]]:
    """The first ``count`` simulated devices by id, each with a freshly issued token (real devices are never touched)."""
    found = storage.list_devices(session, simulated=True)
    if len(found) < count:
        raise NotEnoughSimulatedDevices(count, len(found))
    return [
        (device.id, storage.issue_token(session=session, device_id=device.id)) for device in found[:count]
    ]


def fetch_public_key(base_url: str) -> bytes:
    """The manifest public key a gateway serves (trust on first use; prefer the key file when you have it)."""
    response = httpx.get(f"{base_url.rstrip('/')}/v1/keys/manifest", timeout=30)
    response.raise_for_status()
    return response.json()["public_key_pem"].encode("ascii")


def chance(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: the same seed, device and item give the same fate."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def event_id(device_id: str, item_id: int, status: str) -> uuid.UUID:
    """The device-made id of a confirmation; stable across reruns."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{device_id}/{item_id}/{status}")


class FaultyTransport(httpx.BaseTransport):
    """An httpx transport that loses some requests and some responses, at seeded rates."""

    def __init__(self, inner: httpx.BaseTransport, faults: FaultConfig, rng: random.Random) -> None:
        self.inner, self.faults, self.rng = inner, faults, rng

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.rng.random() < self.faults.drop_rate:
            raise httpx.ConnectError("simulated fault: request dropped", request=request)
        response = self.inner.handle_request(request)
        if self.rng.random() < self.faults.lost_response_rate:
            response.read()
            response.close()
            raise httpx.ReadTimeout("simulated fault: response lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


class SimulatedDevice:
    """One device's run: heartbeat, poll, verify, download, play, confirm."""

    def __init__(
        self,
        base_url: str,
        device_id: str,
        token: str,
        *,
        public_key_pem: bytes,
        seed: int,
        faults: FaultConfig,
        now: datetime | None,
    ) -> None:
        self.device_id, self.public_key_pem, self.seed = device_id, public_key_pem, seed
        self.faults, self.now = faults, now
        self.rng = random.Random(f"{seed}:{device_id}")
        self.report = FleetReport(devices=1)
        self.etag: str | None = None
        self.manifest: dict[str, Any] | None = None
        self.audio: dict[str, bytes] = {}
        self.handled: set[int] = set()
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "X-Device-Id": device_id},
            timeout=faults.timeout_s,
            transport=FaultyTransport(httpx.HTTPTransport(), faults, self.rng),
        )

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def run(self, rounds: int) -> FleetReport:
        with self.client:
            if self.rng.random() < self.faults.offline_rate:
                self.report.devices_offline = 1
                return self.report
            self.heartbeat()
            for _ in range(rounds):
                manifest = self.fetch_manifest()
                if manifest is None:
                    break
                new = [item for item in manifest["items"] if item["item_id"] not in self.handled]
                events = [self.play(item) for item in new]
                self.confirm([e for e in events if e is not None])
        return self.report

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """Send with retries and exponential backoff on network errors and 5xx answers."""
        problem = ""
        for attempt in range(self.faults.max_retries + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500 and response.status_code not in RETRY_STATUSES:
                    return response
                problem = f"HTTP {response.status_code}"
            if attempt < self.faults.max_retries:
                self.report.retries += 1
                time.sleep(self.faults.backoff_s * 2**attempt * (0.5 + self.rng.random()))
        self.error(f"{method} {url} failed after {self.faults.max_retries + 1} attempts ({problem})")
        return None

    def error(self, message: str) -> None:
        self.report.errors.append(f"{self.device_id}: {message}")

    def heartbeat(self) -> None:
        beat = {
            "status": "ok",
            "signal_dbm": self.rng.randint(-110, -60),
            "battery_pct": self.rng.randint(20, 100),
            "fm_fallback": False,
            "firmware": FIRMWARE,
        }
        response = self.request("POST", f"/v1/devices/{self.device_id}/heartbeats", json=beat)
        if response is not None and response.status_code == 201:
            self.report.heartbeats += 1
        elif response is not None:
            self.error(f"heartbeat refused: HTTP {response.status_code} {response.text[:200]}")

    def fetch_manifest(self) -> dict[str, Any] | None:
        """The current manifest (the cached one on 304), or None when there is none to trust."""
        headers = {}
        if self.etag and self.manifest and datetime.fromisoformat(self.manifest["expires_at"]) > self.clock():
            headers["If-None-Match"] = self.etag
        response = self.request("GET", f"/v1/devices/{self.device_id}/manifest", headers=headers)
        if response is None:
            return None
        if response.status_code == 304 and self.manifest is not None:
            self.report.manifests_not_modified += 1
            return self.manifest
        if response.status_code != 200:
            self.error(f"manifest refused: HTTP {response.status_code} {response.text[:200]}")
            return None
        self.report.manifests_fetched += 1
        try:
            manifest = verify_manifest(
                response.json(),
                public_key_pem=self.public_key_pem,
                device_id=self.device_id,
                now=self.clock(),
            )
        except ManifestRejected as exc:
            if exc.reason == "signature":
                self.report.signature_failures += 1
            else:
                self.report.manifests_refused += 1
            self.error(exc.message_en)
            self.etag, self.manifest = None, None
            return None
        self.etag, self.manifest = response.headers.get("ETag"), manifest
        return manifest

    def download(self, item: dict[str, Any]) -> bytes | None:
        """The item's audio, downloaded once and checked against its sha256."""
        sha = item.get("sha256")
        if sha in self.audio:
            return self.audio[sha]
        if not sha or not item.get("audio_url"):
            self.error(f"item {item['item_id']} has no audio to play")
            return None
        response = self.request("GET", item["audio_url"])
        if response is None:
            return None
        if response.status_code != 200:
            self.error(f"audio {sha[:12]} refused: HTTP {response.status_code} {response.text[:200]}")
            return None
        self.report.audio_downloads += 1
        self.report.audio_bytes += len(response.content)
        if hashlib.sha256(response.content).hexdigest() != sha:
            self.report.audio_corrupt += 1
            self.error(f"audio {sha[:12]} does not match its sha256: not played")
            return None
        self.audio[sha] = response.content
        return response.content

    def play(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Play or show one item (no sound) and make its confirmation event."""
        self.handled.add(item["item_id"])
        ok = item["kind"] == "eboard" or self.download(item) is not None
        if (
            ok
            and chance(self.seed, self.device_id, item["item_id"], "playback")
            < self.faults.playback_failure_rate
        ):
            ok = False
        status = ("displayed" if item["kind"] == "eboard" else "played") if ok else "failed"
        duration = float(item.get("duration_s") or 0.0) if ok else 0.0
        if ok:
            self.report.items_played += 1
            self.report.seconds_played += duration
        else:
            self.report.items_failed += 1
        return {
            "event_id": str(event_id(self.device_id, item["item_id"], status)),
            "item_id": item["item_id"],
            "status": status,
            "occurred_at": self.clock().isoformat(),
            "duration_s": duration,
        }

    def confirm(self, events: list[dict[str, Any]]) -> None:
        """Post confirmations in batches; sometimes post a batch twice (it must come back as duplicates)."""
        for start in range(0, len(events), BATCH_SIZE):
            batch = {"events": events[start : start + BATCH_SIZE]}
            if not self.post_batch(batch):
                continue
            if self.rng.random() < self.faults.duplicate_batch_rate:
                self.report.duplicate_posts += 1
                self.post_batch(batch, expect_duplicates=True)

    def post_batch(self, batch: dict[str, Any], *, expect_duplicates: bool = False) -> bool:
        response = self.request("POST", f"/v1/devices/{self.device_id}/confirmations", json=batch)
        if response is None:
            return False
        if response.status_code != 200:
            self.error(f"confirmations refused: HTTP {response.status_code} {response.text[:200]}")
            return False
        result = response.json()
        self.report.confirmations_accepted += len(result["accepted"])
        self.report.confirmations_duplicates += len(result["duplicates"])
        self.report.confirmations_rejected += len(result["rejected"])
        for event, reason in list(result["rejected"].items())[:3]:
            self.error(f"confirmation {event} rejected: {reason}")
        if expect_duplicates and result["accepted"]:
            self.error(f"a re-sent batch was accepted again ({len(result['accepted'])} events counted twice)")
        return True


def run_fleet(
    base_url: str,
    devices: list[tuple[str, str]],
    *,
    public_key_pem: bytes,
    seed: int = 0,
    faults: FaultConfig | None = None,
    now: datetime | None = None,
    rounds: int = 3,
    concurrency: int = 16,
) -> FleetReport:
    """Run every (device id, token) against the gateway at ``base_url`` concurrently and sum the reports."""
    faults = FaultConfig() if faults is None else faults
    report = FleetReport()

    def one(pair: tuple[str, str]) -> FleetReport:
        device = SimulatedDevice(
            base_url, pair[0], pair[1], public_key_pem=public_key_pem, seed=seed, faults=faults, now=now
        )
        return device.run(rounds)

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(devices)))) as pool:
        for partial in pool.map(one, devices):
            report.add(partial)
    return report
