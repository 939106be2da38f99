"""The project's spaCy pipeline: pyvi word segmentation that keeps facts whole, sentence bounds, entities."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from nlp.entities import LABELS, find_entities

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Abbreviations written with a period that never end a sentence (TP. Hồ Chí Minh, TS. Nguyễn...).
NON_FINAL_ABBREVIATIONS = frozenset(
    {"TP", "Tp", "Q", "P", "TT", "TX", "H", "X", "TS", "ThS", "Th.S", "PGS", "GS", "BS", "KS", "CN", "NXB"}
    | {"Mr", "Mrs", "Ms", "Dr", "St", "Ths", "Ts", "ĐT", "QL", "TL", "Km", "No", "Tr", "tr", "v.v", "vv"}
)
SENTENCE_END = frozenset({".", "!", "?", "…", "...", "?!", "!?", "!!", "??"})
CLOSING_MARKS = frozenset({'"', "”", "’", "'", "»", ")", "]", "}"})
STRAIGHT_QUOTES = frozenset({'"', "'"})
OPENING_MARKS = frozenset({'"', "“", "‘", "'", "«", "(", "[", "-", "–", "—", "•", "*"})
_ACRONYM_WITH_PERIOD = re.compile(r"^([A-ZĐ][A-ZĐa-z]*)\.$")
_SENTENCE_END_RUN = re.compile(r"^[.!?…]+$")


def _segment_words(tokenizer, text: str, extra_places: frozenset[str]) -> tuple[list[str], list[str | None]]:
    """Words of ``text``: facts (dates, numbers, places...) whole, the rest segmented by pyvi."""
    words: list[str] = []
    labels: list[str | None] = []
    cursor = 0
    for entity in find_entities(text, extra_places):
        chunk = _pyvi_words(tokenizer, text[cursor : entity.start])
        words += chunk
        labels += [None] * len(chunk)
        words.append(entity.text)
        labels.append(entity.label)
        cursor = entity.end
    chunk = _pyvi_words(tokenizer, text[cursor:])
    return words + chunk, labels + [None] * len(chunk)


def _pyvi_words(tokenizer, text: str) -> list[str]:
    """pyvi words, with a sentence-final period split off acronyms it glued on ("UBND." -> "UBND", ".")."""
    if not text.strip():
        return []
    words = []
    for word in tokenizer.pyvi_tokenize(text):
        if word.isspace():
            continue
        match = _ACRONYM_WITH_PERIOD.match(word)
        if match and match.group(1) not in NON_FINAL_ABBREVIATIONS:
            words += [match.group(1), "."]
        else:
            words.append(word)
    return words


def _make_tokenizer(nlp: Language, extra_places: frozenset[str]):
    """A tokenizer that wraps spaCy's pyvi one and labels fact tokens with ``token._.fact``."""
    from spacy.tokens import Doc
    from spacy.util import get_words_and_spaces

    pyvi = nlp.tokenizer

    def tokenize(text: str) -> Doc:
        words, labels = _segment_words(pyvi, text, extra_places)
        words_out, spaces = get_words_and_spaces(words, text)
        doc = Doc(nlp.vocab, words=words_out, spaces=spaces)
        fact_labels = iter(labels)
        for token in doc:
            token._.fact = "" if token.is_space else next(fact_labels) or ""
        return doc

    return tokenize


def _opens_quote(doc: Doc, i: int) -> bool:
    """Whether the straight quote at ``i`` opens a quotation (an even number of them came before)."""
    if doc[i].text not in STRAIGHT_QUOTES:
        return False
    return sum(t.text == doc[i].text for t in doc[:i]) % 2 == 0


def _is_sentence_start(doc: Doc, i: int) -> bool:
    """Whether token ``i`` opens a sentence: after a line break, or after final punctuation."""
    previous = doc[i - 1]
    token = doc[i]
    if token.is_space:
        return False
    if previous.is_space and "\n" in previous.text:
        return True
    if previous.whitespace_ and "\n" in previous.whitespace_:
        return True
    j = i - 1
    while j > 0 and (doc[j].is_space or (doc[j].text in CLOSING_MARKS and not _opens_quote(doc, j))):
        j -= 1
    if j < i - 1 and doc[j + 1].text in STRAIGHT_QUOTES and _opens_quote(doc, j + 1):
        return j + 1 == i
    if not (doc[j].text in SENTENCE_END or _SENTENCE_END_RUN.match(doc[j].text)):
        return False
    if j == i - 1 and token.text in CLOSING_MARKS and not _opens_quote(doc, i):
        return False
    if j == i - 1 and not doc[j].whitespace_:  # "N.T.H.", "v.v...": no space after the period
        return False
    if (
        j > 0
        and doc[j].text == "."
        and doc[j - 1].text in NON_FINAL_ABBREVIATIONS
        and not doc[j - 1].whitespace_
    ):
        return False
    first = token.text[0]
    return first.isupper() or first.isdigit() or token.text in OPENING_MARKS or first in OPENING_MARKS


def set_sentence_starts(doc: Doc) -> Doc:
    """Mark sentence starts; abbreviations, decimals, dates, times and document numbers never split."""
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0 or _is_sentence_start(doc, i)
    return doc


@lru_cache(maxsize=8)
def _build(extra_places: frozenset[str]) -> Language:
    import spacy
    from spacy.language import Language
    from spacy.tokens import Token

    if not Token.has_extension("fact"):
        Token.set_extension("fact", default="")
    if "bantin_sentences" not in Language.factories:
        Language.component("bantin_sentences", func=set_sentence_starts)
    nlp = spacy.blank("vi")
    nlp.tokenizer = _make_tokenizer(nlp, extra_places)
    nlp.add_pipe("bantin_sentences")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns([{"label": label, "pattern": [{"_": {"fact": label}}]} for label in LABELS])
    return nlp


def load_pipeline(places: Iterable[str] = ()) -> Language:
    """The cached spaCy pipeline; ``places`` adds local names (villages) to the place entities."""
    return _build(frozenset(p.strip() for p in places if p and p.strip()))
