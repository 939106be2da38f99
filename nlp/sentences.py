"""Sentence split of a cleaned Vietnamese text, paragraph boundaries always split."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def split_sentences(text: str, places: Iterable[str] = ()) -> list[str]:
    """Sentences of ``text`` in order, stripped; a paragraph break always ends a sentence."""
    from nlp.pipeline import load_pipeline

    nlp = load_pipeline(places)
    sentences: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")):
        if paragraph.strip():
            sentences += [s.text.strip() for s in nlp(paragraph.strip()).sents if s.text.strip()]
    return sentences
