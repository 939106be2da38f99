"""Key-fact measures of the summary benchmark: whether a script keeps a fact an editor wrote down."""

from __future__ import annotations

import itertools
import re
import unicodedata

from nlp.entities import NUMBER, find_entities

_WORD = re.compile(r"\w+", re.UNICODE)


def fact_overlap(fact: str, script: str) -> tuple[float, float, int]:
    """Share of the fact's facts (numbers, dates, places...) and of its word pairs found in ``script``.

    Both are compared after NFC and lower-casing, by substring (numbers as whole numbers). Also returns
    how many facts other than bare numbers it has.
    """
    fact_n = unicodedata.normalize("NFC", fact)
    script_n = unicodedata.normalize("NFC", script).lower()
    entities = find_entities(fact_n)
    pieces = [rf"(?<![\w,.]){re.escape(e.text.lower())}(?![\w]|[,.]\d)" for e in entities]
    piece_share = sum(bool(re.search(p, script_n)) for p in pieces) / len(pieces) if pieces else 1.0
    words = _WORD.findall(fact_n.lower())
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)] or words
    pair_share = sum(p in script_n for p in pairs) / len(pairs) if pairs else 1.0
    return piece_share, pair_share, sum(e.label != NUMBER for e in entities)


def key_fact_kept(fact: str, script: str) -> bool:
    """Whether ``script`` keeps ``fact``, a short restatement of the body in its own words.

    Kept when the fact appears whole, or its numbers/dates/places all appear with a third of its word
    pairs (or with no other words needed when it is a list of three or more such facts), or most of
    its numbers/dates/places appear with half its word pairs, or 60% of its word pairs appear.
    """
    if unicodedata.normalize("NFC", fact).lower() in unicodedata.normalize("NFC", script).lower():
        return True
    pieces, pairs, count = fact_overlap(fact, script)
    if count and pieces == 1.0 and (count >= 3 or pairs >= 0.3):
        return True
    return (pieces >= 0.6 and pairs >= 0.5) or pairs >= 0.6
