"""Manifest polls answered together: one thread hop, one transaction and a few statements per batch.

After an emergency every device of the changed units is told to poll now, and thousands of polls
reach the gateway within a second. Answered one by one, each costs a thread hop, a transaction, a few
statements to authenticate the device and find its kept manifest and, since its manifest changed, a
playlist read, a signature, a delivered mark and a write of the new kept manifest.

Here the polls waiting in a worker process are answered in batches: while one batch is in its
worker thread the next polls gather, and the next batch takes them all (up to MAX_BATCH). A batch
reads the token hashes, units and kept manifests of all its devices in one statement, checks each
token, reads the playlists of the devices whose manifests changed in a few set-based statements,
signs each manifest, marks the items delivered and keeps the signed manifests with one statement
each, and commits once: delivered marks and kept manifests are written before any answer is sent,
as on the one-request path. With one poll at a time a batch is that one poll.

A poll whose token does not match (or whose device is unknown, or whose stored hash is not keyed
yet) gets no answer here: the one-request path answers it, with its errors, its throttling of failed
sign-ins and the re-keying of old hashes.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from anyio import to_thread

import storage
from gateway.admission import QUEUE_PER_SLOT
from gateway.manifest import build_manifest, manifest_item, manifest_items_etag
from storage.emergency import manifest_generation
from storage.manifest_state import KeptManifest, keep_manifests, manifest_states

if TYPE_CHECKING:
    from gateway.deps import Resources

# The most polls one batch answers (one statement reads them all; the rest wait for the next batch).
MAX_BATCH = 500


@dataclass(frozen=True)
class PollAnswer:
    """A device's current manifest, its unit and the generation it was read at (where a long-poll waits)."""

    unit_code: str
    generation: int
    kept: KeptManifest


def sign_playlist(
    resources: Resources, device_id: str, entries: list[storage.ManifestEntry], now: datetime
) -> tuple[KeptManifest, datetime]:
    """A device's playlist as a signed manifest, and until when it may be reused (an item ends, or half its TTL)."""
    items = [manifest_item(e) for e in entries]
    dumped = [i.model_dump(mode="json") for i in items]
    manifest = build_manifest(device_id, [], now=now, ttl=resources.manifest_ttl).model_dump(mode="json")
    manifest["items"] = dumped  # the same dump build_manifest's model would give, made once
    signed = resources.signer.sign(manifest)
    etag = manifest_items_etag(device_id, dumped, signed.key_id)
    valid_until = min([now + resources.manifest_ttl / 2] + [i.ends_at for i in items])
    return KeptManifest(etag, bool(items), signed.manifest, signed.signature, signed.key_id), valid_until


def answer_polls(resources: Resources, polls: list[tuple[str, str]]) -> list[PollAnswer | None]:
    """Answers to ``(device_id, token)`` polls, in order, in one transaction; None where the token fails."""
    key_id = resources.signer.key_id
    secret_key = resources.secret_key
    answers: list[PollAnswer | None] = [None] * len(polls)
    with storage.session_scope(resources.engine) as session:
        generation = manifest_generation(session)  # read first: a change after it wakes the long-poll
        now = storage.utcnow()
        states = manifest_states(session, [d for d, _ in polls], key_id=key_id, now=now)
        stale: dict[str, list[int]] = {}
        for index, (device_id, token) in enumerate(polls):
            state = states.get(device_id)
            if state is None or not storage.token_matches(state.token_hash, token, secret_key):
                continue
            if state.kept is not None:
                answers[index] = PollAnswer(state.unit_code, generation, state.kept)
            else:
                stale.setdefault(device_id, []).append(index)
        if not stale:
            return answers
        playlists = storage.device_playlists(session=session, device_ids=list(stale), now=now)
        rows = []
        for device_id, indexes in stale.items():
            unit_code = states[device_id].unit_code
            kept, valid_until = sign_playlist(resources, device_id, playlists[device_id], now)
            rows.append(
                {
                    "device_id": device_id,
                    "unit_code": unit_code,
                    "generation": generation,
                    "key_id": kept.key_id,
                    "etag": kept.etag,
                    "has_items": kept.has_items,
                    "manifest": kept.manifest,
                    "signature": kept.signature,
                    "built_at": now,
                    "valid_until": valid_until,
                }
            )
            for index in indexes:
                answers[index] = PollAnswer(unit_code, generation, kept)
        keep_manifests(session, rows)
    return answers


class ManifestBusy(Exception):
    """Too many polls wait in this process, or one waited longer than the queue wait: answer 503."""


@dataclass
class _Poll:
    device_id: str
    token: str
    future: asyncio.Future[PollAnswer | None]
    since: float


class ManifestBatcher:
    """Gathers the manifest polls of one worker process and answers them in batches (one event loop).

    Like admission (gateway.admission), it refuses a poll at once when ``max_waiting`` wait already,
    and one that waited ``queue_seconds`` for its batch to start."""

    def __init__(
        self, resources: Resources, *, max_waiting: int, queue_seconds: float, max_batch: int = MAX_BATCH
    ) -> None:
        self.resources, self.max_batch = resources, max_batch
        self.max_waiting, self.queue_seconds = max_waiting, queue_seconds
        self._pending: list[_Poll] = []
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.largest = 0
        self.refused = 0

    async def answer(self, device_id: str, token: str, *, bounded: bool = True) -> PollAnswer | None:
        """The device's manifest answer; None when the token is not (or not simply) the device's own.

        A long-poll's answer is not ``bounded``: it is never refused as busy (admission does not count
        long-polls either; a change wakes them all at once)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests open one per client): start afresh
            self._loop, self._task, self._pending = loop, None, []
        if bounded and len(self._pending) >= self.max_waiting:
            self.refused += 1
            raise ManifestBusy
        future: asyncio.Future[PollAnswer | None] = loop.create_future()
        self._pending.append(_Poll(device_id, token, future, loop.time() if bounded else math.inf))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="manifest-batcher")
        return await future

    async def _run(self) -> None:
        """While polls wait: answer the oldest ones (up to max_batch) in one worker thread."""
        loop = asyncio.get_running_loop()
        while self._pending:
            taken = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            too_old = loop.time() - self.queue_seconds
            batch = []
            for poll in taken:
                if poll.future.done():  # its client went away
                    continue
                if poll.since < too_old:
                    self.refused += 1
                    poll.future.set_exception(ManifestBusy())
                    continue
                batch.append(poll)
            if not batch:
                continue
            self.batches += 1
            self.largest = max(self.largest, len(batch))
            polls = [(poll.device_id, poll.token) for poll in batch]
            try:
                answers = await to_thread.run_sync(answer_polls, self.resources, polls)
            except Exception as exc:  # every poll of the batch gets the error, as it would alone
                for poll in batch:
                    if not poll.future.done():
                        poll.future.set_exception(exc)
                continue
            for poll, answer in zip(batch, answers, strict=True):
                if not poll.future.done():  # its client went away meanwhile
                    poll.future.set_result(answer)


def batcher_for(app, resources: Resources) -> ManifestBatcher:  # type: ignore[no-untyped-def]
    """The app's batcher, made on first use, bounded as admission bounds other requests."""
    batcher = getattr(app.state, "manifest_batcher", None)
    if batcher is None:
        gate = app.state.admission
        batcher = ManifestBatcher(
            resources, max_waiting=gate.capacity * QUEUE_PER_SLOT, queue_seconds=gate.queue_seconds
        )
        app.state.manifest_batcher = batcher
    return batcher
