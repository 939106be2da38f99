"""HTTP byte ranges for audio downloads, so a device on a weak link can resume where it stopped."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(?P<start>\d*)-(?P<end>\d*)$")


class RangeNotSatisfiable(ValueError):
    """The range starts past the end of the content."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single ``Range: bytes=...`` header; None means send it all."""
    match = _RANGE.match((header or "").strip().replace(" ", ""))
    if match is None or not (match["start"] or match["end"]):
        return None  # absent, malformed or several ranges: the whole body is a valid answer
    if not match["start"]:
        suffix = int(match["end"])
        if suffix == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    first = int(match["start"])
    last = min(int(match["end"]), size - 1) if match["end"] else size - 1
    if first >= size:
        raise RangeNotSatisfiable(header)
    if last < first:
        return None
    return first, last
