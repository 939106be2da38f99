"""E-board text: a headline and a few short lines of what people must know and do."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.entities import find_entities
from nlp.sentence_value import FACT_WEIGHTS, cue_weight


def eboard_text(title: str | None, sentences: Sequence[str], max_chars: int = 180) -> str:
    """A headline (the title, shortened) and at most three short lines of facts and actions, within ``max_chars``."""
    headline = clip(title or (sentences[0] if sentences else ""), max(20, min(80, max_chars * 2 // 5)))
    said = {e.text.lower() for e in find_entities(headline)}
    candidates = []
    for order, clause in enumerate(c for sentence in sentences for c in clauses(sentence)):
        facts = {e.text.lower(): FACT_WEIGHTS.get(e.label, 0.0) for e in find_entities(clause)}
        weight = sum(w for text, w in facts.items() if text not in said) + cue_weight(clause)
        if weight > 0 and len(clause) >= 12:
            candidates.append((weight / (1 + len(clause) / 40), order, clause[0].upper() + clause[1:]))
    lines: list[tuple[int, str]] = []
    budget = max_chars - len(headline)
    for _, order, line in sorted(candidates, key=lambda c: -c[0]):
        if len(lines) < 3 and len(line) + 1 <= min(budget, 72) and all(line != text for _, text in lines):
            lines.append((order, line))
            budget -= len(line) + 1
    if not lines and candidates and budget > 16:  # nothing fits whole: show the best line shortened
        _, order, line = max(candidates)
        lines.append((order, clip(line, budget - 1)))
    return "\n".join([headline, *(text for _, text in sorted(lines))])[:max_chars]


def clauses(sentence: str) -> list[str]:
    """Clauses of a sentence, split at ";", ":" and at commas that do not sit inside numbers."""
    parts = re.split(r"(?<!\d)[;:](?!\d)|,\s", sentence)
    return [p.strip(" ,;:.!?") for p in parts if p.strip(" ,;:.!?")]


def clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"
