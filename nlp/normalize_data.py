"""Packaged tables for the spoken-form normalizer, read once through importlib.resources."""

from __future__ import annotations

from functools import cache
from importlib import resources


def parse_table(text: str, *, columns: int = 2) -> list[tuple[str, ...]]:
    """Rows of a TSV text: blank lines and lines starting with ``#`` skipped, short rows dropped."""
    rows: list[tuple[str, ...]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) >= columns and all(cells[:columns]):
            rows.append(tuple(cells[:columns]))
    return rows


@cache
def packaged_text(name: str) -> str:
    """The text of a data file shipped in ``nlp/data``."""
    return resources.files("nlp").joinpath("data", name).read_text(encoding="utf-8")


@cache
def packaged_mapping(name: str) -> dict[str, str]:
    """A two-column packaged TSV as a dict (later rows win)."""
    return dict(parse_table(packaged_text(name)))  # type: ignore[arg-type]


@cache
def unit_table() -> dict[str, tuple[str, str]]:
    """Unit -> (spoken form, kind) where kind is measure, money, percent or time."""
    return {row[0]: (row[1], row[2]) for row in parse_table(packaged_text("norm_units.tsv"), columns=3)}
