"""Long-polled manifests: a device's request waits until its unit's manifests change, without holding a connection.

The change signal comes from the database (``storage.emergency``: one generation row raised by every
distribution and withdrawal, the changed units beside it), so a change made by any process, a flow
or another gateway worker, wakes the waiting devices of every worker. Each worker polls that one row
every POLL_INTERVAL_S in one background task while anything waits; waiting requests hold no database
connection and no thread, only an asyncio event.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from anyio import to_thread

import storage
from storage.emergency import manifest_changes_since

# How often a worker reads the generation row while devices wait.
POLL_INTERVAL_S = 0.25
# The longest wait a device may ask for (seconds); more would outlive common proxy timeouts.
MAX_WAIT_S = 60

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Waiter:
    """One waiting request: its unit, the generation its answer was computed at, and its wake-up."""

    unit_code: str
    since: int
    event: asyncio.Event = field(default_factory=asyncio.Event)


class ManifestWatcher:
    """Wakes the requests waiting on a unit when the database says that unit's manifests changed."""

    def __init__(self, engine: Callable[[], object], interval_s: float = POLL_INTERVAL_S) -> None:
        self._engine = engine
        self.interval_s = interval_s
        self._waiters: dict[str, set[Waiter]] = {}
        self._floor = math.inf  # the lowest generation a waiter registered since the last poll saw
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.polls = 0

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    async def wait(self, unit_code: str, since: int, timeout_s: float) -> bool:
        """Wait until ``unit_code``'s manifests change after generation ``since``; False at the timeout."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests open one per client): start afresh
            self._loop, self._task, self._waiters, self._floor = loop, None, {}, math.inf
        waiter = Waiter(unit_code, since)
        self._waiters.setdefault(unit_code, set()).add(waiter)
        self._floor = min(self._floor, since)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._poll(), name="manifest-watcher")
        try:
            await asyncio.wait_for(waiter.event.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            group = self._waiters.get(unit_code)
            if group is not None:
                group.discard(waiter)
                if not group:
                    del self._waiters[unit_code]

    def _read(self, floor: int) -> tuple[int, dict[str, int]]:
        with storage.session_scope(self._engine()) as session:  # type: ignore[arg-type]
            return manifest_changes_since(session, floor)

    async def _poll(self) -> None:
        """While anything waits: read the generation, wake the waiters of units changed after their own."""
        while self._waiters:
            floor, self._floor = self._floor, math.inf
            try:
                current, changed = await to_thread.run_sync(self._read, int(floor))
            except (
                Exception
            ) as exc:  # the database is briefly unreachable: waiters time out into a normal poll
                log.warning("manifest watcher cannot read the generation (%s); retrying", exc)
                self._floor = min(self._floor, floor)
                await asyncio.sleep(self.interval_s * 4)
                continue
            self.polls += 1
            for unit_code, generation in changed.items():
                for waiter in self._waiters.get(unit_code, ()):
                    if generation > waiter.since:
                        waiter.event.set()
            self._floor = min(self._floor, current)
            await asyncio.sleep(self.interval_s)


def watcher_for(app, engine: Callable[[], object]) -> ManifestWatcher:  # type: ignore[no-untyped-def]
    """The app's watcher (one per app and event loop), made on first use."""
    watcher = getattr(app.state, "manifest_watcher", None)
    if watcher is None:
        watcher = ManifestWatcher(engine)
        app.state.manifest_watcher = watcher
    return watcher
