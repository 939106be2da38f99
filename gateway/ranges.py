"""HTTP byte ranges for audio downloads, so a device on a weak link can resume where it stopped."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(?P<start>\d*)-(?P<end>\d*)$")
# Positions with more digits than this are past the end of any file (and too long for int() to parse).
MAX_DIGITS = 18


class RangeNotSatisfiable(ValueError):
    """The range starts past the end of the content."""


def _position(digits: str) -> int | None:
    """A byte position; None when empty; over MAX_DIGITS digits counts as past any end."""
    if not digits:
        return None
    digits = digits.lstrip("0") or "0"
    return 10**MAX_DIGITS if len(digits) > MAX_DIGITS else int(digits)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single ``Range: bytes=...`` header; None means send it all."""
    match = _RANGE.match((header or "").strip().replace(" ", ""))
    if match is None or not (match["start"] or match["end"]):
        return None  # absent, malformed or several ranges: the whole body is a valid answer
    start, end = _position(match["start"]), _position(match["end"])
    if start is None:
        assert end is not None
        if end == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - end), size - 1
    last = min(end, size - 1) if end is not None else size - 1
    if start >= size:
        raise RangeNotSatisfiable(header)
    if last < start:
        return None
    return start, last
