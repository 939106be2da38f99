"""Fleet simulator: simulated loudspeaker clusters and e-boards talk to the gateway over HTTP, with faults.

Each device sends a heartbeat, then polls its signed manifest a few rounds (with ETag), verifies
the Ed25519 signature, its own device id and the expiry, downloads each audio once and checks its
sha256, "plays" every new item (no sound: it only counts the duration) and posts confirmations in
batches. Time is compressed: every item in the manifest is played at once, as if its window had
come. Event ids are uuid5(device, item, status), so a rerun re-sends the same ids and the gateway
reports them as duplicates instead of counting a play twice.

With a state directory (``state_dir``) a device plays by the clock instead, as a real one does
(``tick``, woken at ``wake_at``): it keeps its last verified manifest, the items it played, its audio
and a queue of confirmations on disk (``DeviceState``), corrects its own clock by the manifest's
``server_time``, plays each item at its slot while the gateway cannot be reached, and forwards the
queue when it answers again (at least once; the gateway drops the resends as duplicates). Every
confirmation carries its proof of play: the audio's sha256, the slot, the actual start and end and
the outcome. A saved manifest is verified again at every start: a changed file is not played.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
SD_CARD_BYTES = 16_000_000_000  # the storage a simulated loudspeaker cluster reports against


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
    # Ids the gateway already holds with other content: a re-run re-reports an item at a new time.
    confirmations_conflicts: int = 0
    confirmations_rejected: int = 0
    duplicate_posts: int = 0
    items_missed: int = 0  # the device was off during the whole slot: reported as "skipped"
    confirmations_queued: int = 0  # written to the device's on-disk queue, forwarded when the gateway answers
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
            f"{self.confirmations_conflicts} conflicts, "
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


class DeviceState:
    """What a device keeps on its own storage across power cuts and offline hours.

    ``manifest.json``: the last signed manifest it verified (the envelope as received, so it is
    verified again at every start), its ETag and the clock offset it gave; ``played.json``: the items
    already played; ``queue/<event id>.json``: confirmations the gateway has not answered yet;
    ``audio/<sha256>.mp3``: downloaded audio. Every file is written whole and renamed into place, so a
    power cut leaves the old file or the new one, never half of one.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.queue_dir = self.directory / "queue"
        self.audio_dir = self.directory / "audio"
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        self.audio_dir.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        partial = path.with_name(path.name + ".part")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)

    def _read_json(self, name: str) -> Any:
        try:
            return json.loads((self.directory / name).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def load_manifest(self) -> dict[str, Any] | None:
        """``{"signed", "etag", "offset_s"}`` as last saved, or None."""
        found = self._read_json("manifest.json")
        return found if isinstance(found, dict) and isinstance(found.get("signed"), dict) else None

    def save_manifest(self, signed: dict[str, Any], etag: str | None, offset_s: float) -> None:
        data = {"signed": signed, "etag": etag, "offset_s": offset_s}
        self._write(self.directory / "manifest.json", json.dumps(data).encode("utf-8"))

    def forget_manifest(self) -> None:
        (self.directory / "manifest.json").unlink(missing_ok=True)

    def played(self) -> set[int]:
        found = self._read_json("played.json")
        return {int(i) for i in found} if isinstance(found, list) else set()

    def save_played(self, item_ids: set[int]) -> None:
        self._write(self.directory / "played.json", json.dumps(sorted(item_ids)).encode("utf-8"))

    def enqueue(self, event: dict[str, Any]) -> None:
        self._write(self.queue_dir / f"{event['event_id']}.json", json.dumps(event).encode("utf-8"))

    def queued(self) -> list[dict[str, Any]]:
        """The unanswered confirmations, oldest first."""
        events = []
        for path in self.queue_dir.glob("*.json"):
            try:
                events.append(json.loads(path.read_text("utf-8")))
            except ValueError:  # unreadable: keep the file for a person to look at, send the rest
                continue
        return sorted(events, key=lambda e: (e["occurred_at"], e["event_id"]))

    def dequeue(self, event_ids: list[str]) -> None:
        for event in event_ids:
            (self.queue_dir / f"{event}.json").unlink(missing_ok=True)

    def audio(self, sha: str) -> bytes | None:
        path = self.audio_dir / f"{sha}.mp3"
        return path.read_bytes() if path.exists() else None

    def save_audio(self, sha: str, data: bytes) -> None:
        self._write(self.audio_dir / f"{sha}.mp3", data)


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
        state_dir: Path | str | None = None,
        clock: Callable[[], datetime] | None = None,
        key_set: list[dict[str, Any]] | None = None,
    ) -> None:
        self.device_id, self.public_key_pem, self.seed = device_id, public_key_pem, seed
        self.faults, self.now, self._clock, self.key_set = faults, now, clock, key_set
        # Server clock minus this device's clock, from the last manifest's server_time.
        self.offset = timedelta(0)
        self.batch_size = BATCH_SIZE
        self.state = DeviceState(state_dir) if state_dir is not None else None
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
        if self.state is not None:
            self.restore()

    def clock(self) -> datetime:
        """The device's own clock (it may be wrong: see ``server_now``)."""
        return self.now or (self._clock() if self._clock else datetime.now(UTC))

    def server_now(self) -> datetime:
        """The device's clock corrected by the offset the last manifest's server time gave."""
        return self.clock() + self.offset

    def verify(self, signed: dict[str, Any]) -> dict[str, Any] | None:
        """The manifest inside ``signed`` if a trusted key signed it for this device and it is current; else None (counted)."""
        try:
            return verify_manifest(
                signed,
                public_key_pem=self.public_key_pem if self.key_set is None else None,
                key_set=self.key_set,
                device_id=self.device_id,
                now=self.server_now(),
            )
        except ManifestRejected as exc:
            if exc.reason == "signature":
                self.report.signature_failures += 1
            else:
                self.report.manifests_refused += 1
            self.error(exc.message_en)
            return None

    def restore(self) -> None:
        """At start: the saved manifest, verified again (a file changed on the card is not played), and what was played."""
        assert self.state is not None
        self.handled = self.state.played()
        saved = self.state.load_manifest()
        if saved is None:
            return
        self.offset = timedelta(seconds=float(saved.get("offset_s") or 0.0))
        manifest = self.verify(saved["signed"])
        if manifest is None:
            self.state.forget_manifest()
            return
        self.etag, self.manifest = saved.get("etag"), manifest

    def close(self) -> None:
        self.client.close()

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
            "free_storage_bytes": self.free_storage_bytes(),
        }
        response = self.request("POST", f"/v1/devices/{self.device_id}/heartbeats", json=beat)
        if response is not None and response.status_code == 201:
            self.report.heartbeats += 1
        elif response is not None:
            self.error(f"heartbeat refused: HTTP {response.status_code} {response.text[:200]}")

    def free_storage_bytes(self) -> int:
        """A card of SD_CARD_BYTES, partly used by the firmware, less the audio downloaded so far."""
        # Its own generator: the faults drawn from self.rng stay what they were for a given seed.
        used = random.Random(f"{self.seed}:{self.device_id}:storage").randint(1, 8) * 1_000_000_000
        return max(SD_CARD_BYTES - used - sum(len(a) for a in self.audio.values()), 0)

    def fetch_manifest(self, wait_s: int = 0) -> dict[str, Any] | None:
        """The current manifest (the cached one on 304), or None when there is none to trust.

        ``wait_s`` long-polls: the gateway answers when the manifest changes, or 304 after ``wait_s``.
        """
        headers, params = {}, {}
        if (
            self.etag
            and self.manifest
            and datetime.fromisoformat(self.manifest["expires_at"]) > self.server_now()
        ):
            headers["If-None-Match"] = self.etag
            if wait_s:
                params["wait"] = min(wait_s, max(1, int(self.faults.timeout_s) - 5))
        response = self.request(
            "GET", f"/v1/devices/{self.device_id}/manifest", headers=headers, params=params
        )
        if response is None:
            return None
        if response.status_code == 304 and self.manifest is not None:
            self.report.manifests_not_modified += 1
            return self.manifest
        if response.status_code != 200:
            self.error(f"manifest refused: HTTP {response.status_code} {response.text[:200]}")
            return None
        self.report.manifests_fetched += 1
        signed = response.json()
        manifest = self.verify(signed)
        if manifest is None:  # a tampered or foreign manifest: the saved one (verified) stays in use
            if self.state is None:
                self.etag, self.manifest = None, None
            return None
        # The answer's own server_time (when it was sent) over the signed one (when it was signed: a
        # manifest is signed once and served until it changes).
        server_time = signed.get("server_time") or manifest.get("server_time")
        if server_time:
            self.offset = datetime.fromisoformat(server_time) - self.clock()
        self.etag, self.manifest = response.headers.get("ETag"), manifest
        if self.state is not None:
            self.state.save_manifest(signed, self.etag, self.offset.total_seconds())
        return manifest

    def await_change(self, wait_s: int, listener: PollNowListener | None = None) -> dict[str, Any] | None:
        """Wait for a new manifest: on the MQTT notice when listening, else by long-polling the gateway."""
        if listener is None:
            return self.fetch_manifest(wait_s=wait_s)
        listener.wait(wait_s)
        return self.fetch_manifest()

    def download(self, item: dict[str, Any]) -> bytes | None:
        """The item's audio, downloaded once and checked against its sha256."""
        sha = item.get("sha256")
        if sha in self.audio:
            return self.audio[sha]
        saved = self.state.audio(sha) if self.state is not None and sha else None
        if saved is not None and hashlib.sha256(saved).hexdigest() == sha:
            self.audio[sha] = saved
            return saved
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
        if self.state is not None:
            self.state.save_audio(sha, response.content)
        return response.content

    def play(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Play or show one item (no sound) and make its confirmation event, with its proof of play."""
        self.handled.add(item["item_id"])
        started = self.server_now()
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
            "occurred_at": started.isoformat(),
            "duration_s": duration,
            "sha256": item.get("sha256") if item["kind"] == "audio" else None,
            "slot_starts_at": item["starts_at"],
            "slot_ends_at": item["ends_at"],
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(seconds=duration)).isoformat(),
            "outcome": "completed" if ok else "failed: the audio could not be played",
        }

    def wake_at(self) -> datetime | None:
        """On the device's own clock, when the next unplayed item of the kept manifest starts (None: nothing left)."""
        starts = [
            datetime.fromisoformat(item["starts_at"])
            for item in (self.manifest or {}).get("items", [])
            if item["item_id"] not in self.handled
        ]
        return min(starts) - self.offset if starts else None

    def tick(self) -> int:
        """One wake-up of a device that plays by the clock: poll (the kept manifest stays when the gateway
        cannot be reached), play what is due by the corrected clock, queue its confirmations on disk,
        forward the queue. Returns how many items it played or showed."""
        if self.state is None:
            raise ValueError("tick() needs a state directory (state_dir) to keep the manifest and the queue")
        if self.fetch_manifest() is not None:
            self.prefetch()
        done = self.play_due()
        self.forward()
        return done

    def prefetch(self) -> None:
        """Download (once, checked against its sha256) the audio of every item still to play, for offline hours."""
        for item in (self.manifest or {}).get("items", []):
            if item["kind"] == "audio" and item["item_id"] not in self.handled:
                self.download(item)

    def play_due(self) -> int:
        """Play every unplayed item whose slot is on now (server time); an item whose slot passed while the
        device was off is reported "skipped". Each confirmation goes to the on-disk queue first."""
        assert self.state is not None
        now, done = self.server_now(), 0
        expired = self.manifest is not None and datetime.fromisoformat(self.manifest["expires_at"]) <= now
        for item in (self.manifest or {}).get("items", []):
            if item["item_id"] in self.handled or datetime.fromisoformat(item["starts_at"]) > now:
                continue
            if expired:  # offline past the manifest's validity: nothing more is played from it
                event = self.missed(
                    item, "not played: the manifest expired before the slot (offline too long)"
                )
            elif datetime.fromisoformat(item["ends_at"]) > now:
                event = self.play(item)
                done += 1
            else:
                event = self.missed(item)
            self.state.enqueue(event)
            self.report.confirmations_queued += 1
            self.state.save_played(self.handled)
        return done

    def missed(
        self, item: dict[str, Any], outcome: str = "missed: the device was off during the whole slot"
    ) -> dict[str, Any]:
        """The confirmation of an item not played: its whole slot passed while the device was off."""
        self.handled.add(item["item_id"])
        self.report.items_missed += 1
        return {
            "event_id": str(event_id(self.device_id, item["item_id"], "skipped")),
            "item_id": item["item_id"],
            "status": "skipped",
            "occurred_at": self.server_now().isoformat(),
            "duration_s": 0.0,
            "sha256": item.get("sha256") if item["kind"] == "audio" else None,
            "slot_starts_at": item["starts_at"],
            "slot_ends_at": item["ends_at"],
            "outcome": outcome,
        }

    def forward(self) -> int:
        """Send the on-disk queue, oldest first; an event leaves the queue only once the gateway answered
        for it (accepted, duplicate, conflict or rejected). Returns how many are still queued."""
        assert self.state is not None
        queued = self.state.queued()
        for start in range(0, len(queued), self.batch_size):
            batch = {"events": queued[start : start + self.batch_size]}
            result = self.post_batch(batch)
            if result is None:
                break  # offline or refused: the rest waits for the next wake-up
            self.state.dequeue([e["event_id"] for e in batch["events"]])
            if self.rng.random() < self.faults.duplicate_batch_rate:
                self.report.duplicate_posts += 1
                self.post_batch(batch, expect_duplicates=True)
        return len(self.state.queued())

    def confirm(self, events: list[dict[str, Any]]) -> None:
        """Post confirmations in batches; sometimes post a batch twice (it must come back as duplicates)."""
        for start in range(0, len(events), BATCH_SIZE):
            batch = {"events": events[start : start + BATCH_SIZE]}
            if not self.post_batch(batch):
                continue
            if self.rng.random() < self.faults.duplicate_batch_rate:
                self.report.duplicate_posts += 1
                self.post_batch(batch, expect_duplicates=True)

    def post_batch(self, batch: dict[str, Any], *, expect_duplicates: bool = False) -> dict[str, Any] | None:
        """The gateway's answer to one batch, or None when it gave none (offline) or refused the whole batch."""
        response = self.request("POST", f"/v1/devices/{self.device_id}/confirmations", json=batch)
        if response is None:
            return None
        if response.status_code != 200:
            self.error(f"confirmations refused: HTTP {response.status_code} {response.text[:200]}")
            return None
        result = response.json()
        self.report.confirmations_accepted += len(result["accepted"])
        self.report.confirmations_duplicates += len(result["duplicates"])
        self.report.confirmations_conflicts += len(result.get("conflicts", []))
        self.report.confirmations_rejected += len(result["rejected"])
        for event, reason in list(result["rejected"].items())[:3]:
            self.error(f"confirmation {event} rejected: {reason}")
        if expect_duplicates and result["accepted"]:
            self.error(f"a re-sent batch was accepted again ({len(result['accepted'])} events counted twice)")
        return result


class PollNowListener:
    """A device's MQTT subscription to its unit's "poll now" topic (``storage.notify``); ``wait`` returns on a notice."""

    def __init__(self, mqtt_url: str, unit_code: str) -> None:
        import paho.mqtt.client as mqtt

        from storage.notify import parse_mqtt_url

        broker = parse_mqtt_url(mqtt_url)
        self.topic = broker.unit_topic(unit_code)
        self.notices: list[dict[str, Any]] = []
        self._event = threading.Event()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        self.client.on_connect = lambda c, *_: c.subscribe(self.topic, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise ConnectionError(f"no subscription to {self.topic} on {broker.host}:{broker.port}")

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        self.notices.append(json.loads(message.payload))
        self._event.set()

    def wait(self, timeout_s: float) -> bool:
        """True when a notice came (since the last wait) within ``timeout_s``."""
        got = self._event.wait(timeout_s)
        self._event.clear()
        return got

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


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
