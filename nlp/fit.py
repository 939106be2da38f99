"""Fitting a summary to its spoken length: the most valuable sentence readings within the budget."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from nlp.duration import DURATION_TOLERANCE

# Fill up to this share of the target first: the slot allows +10%, and the estimate's own error on
# multi-sentence scripts is at most 4.7% (nlp/data/speaking_rates.json), so the audio stays within it.
FILL_CEILING = 1.05

# First words of list items ("Thứ Tư, ngày...", "Đợt 1, ...", "Lớp sửa chữa...", "- ...").
_LIST_MARKERS = {
    "thứ",
    "nhóm",
    "đợt",
    "lớp",
    "buổi",
    "bước",
    "điểm",
    "phần",
    "mục",
    "ngày",
    "-",
    "–",
    "•",
    "+",
    "*",
}


def list_blocks(sentences: Sequence[str]) -> list[list[int]]:
    """Sentence indices grouped so that consecutive items of one list stay together (all or none)."""
    blocks: list[list[int]] = []
    previous = None
    for i, sentence in enumerate(sentences):
        words = sentence.split()
        marker = words[0].lower().rstrip(",:.") if words else ""
        is_item = marker in _LIST_MARKERS or bool(re.match(r"^(\d+|[a-zđ])[.)]\s", sentence))
        key = marker if is_item else None
        if key is not None and key == previous and blocks:
            blocks[-1].append(i)
        else:
            blocks.append([i])
        previous = key
    return blocks


def fit_blocks(
    blocks: Sequence[Sequence[int]],
    costs: Sequence[Sequence[float]],
    values: Sequence[Sequence[float]],
    target: float,
) -> list[tuple[int, int]]:
    """Fit whole blocks: a list is read whole or not at all, its items all full or all shortest."""
    block_options: list[list[list[tuple[int, int]]]] = []
    for block in blocks:
        if len(block) == 1:
            block_options.append([[(block[0], k)] for k in range(len(costs[block[0]]))])
            continue
        full = [(i, 0) for i in block]
        shortest = [(i, min(range(len(costs[i])), key=lambda k, i=i: costs[i][k])) for i in block]
        block_options.append([full, shortest] if shortest != full else [full])
    block_costs = [[sum(costs[i][k] for i, k in option) for option in group] for group in block_options]
    block_values = [[sum(values[i][k] for i, k in option) for option in group] for group in block_options]
    chosen = _fit(block_costs, block_values, target)
    return sorted(pair for b, k in chosen for pair in block_options[b][k])


def _fit(
    costs: Sequence[Sequence[float]], values: Sequence[Sequence[float]], target: float
) -> list[tuple[int, int]]:
    """(sentence, option) pairs of the most valuable choice whose cost is within ±10% of ``target``."""
    step = max(target / 500.0, 0.05)  # resolution of the knapsack in seconds
    weights = [[math.ceil(c / step) for c in group] for group in costs]
    chosen: list[tuple[int, int]] = []
    for ceiling in (target * FILL_CEILING, target * (1 + DURATION_TOLERANCE) * 0.99):
        chosen = _knapsack(weights, values, int(ceiling / step))
        if sum(costs[i][k] for i, k in chosen) >= target * (1 - DURATION_TOLERANCE):
            break
    return chosen


def _knapsack(
    weights: Sequence[Sequence[int]], values: Sequence[Sequence[float]], capacity: int
) -> list[tuple[int, int]]:
    """Multiple-choice 0/1 knapsack: at most one option per sentence; chosen (sentence, option) in order."""
    best = [0.0] * (capacity + 1)
    keep: list[list[int]] = []
    for group_weights, group_values in zip(weights, values, strict=True):
        row = [-1] * (capacity + 1)
        new = best[:]
        for k, (w, v) in enumerate(zip(group_weights, group_values, strict=True)):
            for c in range(w, capacity + 1):
                if best[c - w] + v > new[c]:
                    new[c] = best[c - w] + v
                    row[c] = k
        best = new
        keep.append(row)
    chosen, c = [], capacity
    for i in range(len(weights) - 1, -1, -1):
        k = keep[i][c]
        if k >= 0:
            chosen.append((i, k))
            c -= weights[i][k]
    return sorted(chosen)
