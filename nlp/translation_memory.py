"""Translation memory: segment keys, exact and fuzzy lookup over an in-memory index, TMX and TSV files."""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass

from nlp.errors import TextError
from nlp.placeholders import PLACEHOLDER, mask, template_from, unmask

DEFAULT_FUZZY_THRESHOLD = 0.9
MAX_CANDIDATES = 400
_WORD = re.compile(r"⟦#⟧|\w+", re.UNICODE)
_EDGE_PUNCT = " \t.;:!?…\"'“”"


class InvalidMemoryFile(TextError):
    code = "invalid_memory_file"


def segment_key(text: str) -> str:
    """The memory key of a Vietnamese segment: NFC, lower case, one space, values as ``⟦#⟧``."""
    masked = mask(unicodedata.normalize("NFC", text)).text
    generic = PLACEHOLDER.sub("⟦#⟧", masked)
    return " ".join(generic.lower().split()).strip(_EDGE_PUNCT)


@dataclass(frozen=True)
class MemoryEntry:
    """One approved pair as the memory holds it: the source key and the target with numbered placeholders."""

    key: str
    target_template: str
    entry_id: int | None = None
    origin: str = "human"


def memory_entry(
    source: str, target: str, *, entry_id: int | None = None, origin: str = "human"
) -> MemoryEntry:
    """The entry for an approved pair: the translation's copies of the source's values become placeholders."""
    values = mask(unicodedata.normalize("NFC", source)).values
    template = template_from(values, unicodedata.normalize("NFC", target.strip()))
    return MemoryEntry(segment_key(source), template, entry_id, origin)


@dataclass(frozen=True)
class MemoryMatch:
    """A memory hit for a segment: the translation with this segment's values filled in, and its score."""

    translation: str
    score: float  # 1.0 for an exact match
    entry: MemoryEntry

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


class TranslationMemory:
    """Approved translations of one target language, indexed by key and by word for fuzzy lookup."""

    def __init__(self, language: str, entries: list[MemoryEntry] | None = None) -> None:
        self.language = language
        self._keys: list[str] = []
        self._entries: list[MemoryEntry] = []
        self._exact: dict[str, int] = {}
        self._postings: dict[str, array] = {}
        for entry in entries or []:
            self.add(entry)

    def __len__(self) -> int:
        return len(self._exact)

    def add(self, entry: MemoryEntry) -> None:
        """Add or replace (same key: the newer approval wins) one entry."""
        if entry.key in self._exact:
            self._entries[self._exact[entry.key]] = entry
            return
        index = len(self._entries)
        self._entries.append(entry)
        self._keys.append(entry.key)
        self._exact[entry.key] = index
        for word in set(_WORD.findall(entry.key)):
            self._postings.setdefault(word, array("I")).append(index)

    def lookup(self, segment: str, *, threshold: float = DEFAULT_FUZZY_THRESHOLD) -> MemoryMatch | None:
        """The exact match, else the best fuzzy match scoring at least ``threshold`` (0-1); values refilled."""
        values = mask(unicodedata.normalize("NFC", segment)).values
        key = segment_key(segment)
        found = self._exact.get(key)
        if found is not None:
            return self._match(found, 1.0, values)
        best = self._best_fuzzy(key, threshold)
        return self._match(best[0], best[1], values) if best else None

    def _match(self, index: int, score: float, values: tuple[str, ...]) -> MemoryMatch | None:
        entry = self._entries[index]
        translation = unmask(entry.target_template, values)
        return None if translation is None else MemoryMatch(translation, score, entry)

    def candidates(self, key: str, threshold: float) -> list[int]:
        """Entries sharing enough rare words with ``key`` to possibly score ``threshold`` (prefix filter)."""
        words = list(dict.fromkeys(_WORD.findall(key)))
        if not words:
            return []
        known = sorted((w for w in words if w in self._postings), key=lambda w: len(self._postings[w]))
        # An entry that shares at least threshold * |words| words shares one of the rarest |words| - that + 1.
        prefix = known[: max(1, len(words) - math.ceil(threshold * len(words)) + 1)]
        counts: Counter[int] = Counter()
        for word in prefix:
            counts.update(self._postings[word])
        return [index for index, _ in counts.most_common(MAX_CANDIDATES)]

    def _best_fuzzy(self, key: str, threshold: float) -> tuple[int, float] | None:
        indexes = self.candidates(key, threshold)
        if not indexes:
            return None
        scored = _best_ratio(key, [self._keys[i] for i in indexes], threshold)
        return (indexes[scored[0]], scored[1]) if scored else None


def _best_ratio(key: str, choices: list[str], threshold: float) -> tuple[int, float] | None:
    """Index and score (0-1, normalized edit similarity) of the closest choice at or above ``threshold``."""
    try:
        from rapidfuzz import fuzz, process
    except ImportError:  # rapidfuzz is the fast path; difflib gives the same kind of score, slower
        from difflib import SequenceMatcher

        scores = [SequenceMatcher(None, key, c, autojunk=False).ratio() for c in choices]
        best = max(range(len(scores)), key=scores.__getitem__)
        return (best, scores[best]) if scores[best] >= threshold else None
    found = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=threshold * 100)
    return (found[2], found[1] / 100) if found else None


# --- files ---------------------------------------------------------------------------------------


def _language_code(tag: str) -> str:
    """``vi-VN`` -> ``vie``, ``km`` -> ``khm``, ``khm`` -> ``khm``; other tags as given, lower case."""
    from nlp.languages import UnsupportedLanguage, get_language

    base = tag.strip().lower().replace("_", "-").split("-")[0]
    try:
        return get_language(base).code
    except UnsupportedLanguage:
        return base


def parse_tsv_memory(text: str, *, source: str = "TSV") -> list[tuple[str, str]]:
    """Pairs from ``Vietnamese<TAB>translation`` rows (an optional header row ``vi<TAB>khm``)."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [unicodedata.normalize("NFC", c.strip()) for c in line.split("\t")]
        if not pairs and cells[0].lower() in {"vi", "vie", "source"}:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise InvalidMemoryFile(
                f"{source} line {number}: expected 'Vietnamese<TAB>translation', both non-empty. "
                "Nothing was imported.",
                f"{source} dòng {number}: cần 'tiếng Việt<TAB>bản dịch', cả hai không trống. Chưa nhập gì.",
            )
        pairs.append((cells[0], cells[1]))
    if not pairs:
        raise InvalidMemoryFile(
            f"{source} holds no translation pairs. Nothing was imported.",
            f"{source} không có cặp câu dịch nào. Chưa nhập gì.",
        )
    return pairs


def _segment_text(seg) -> str:  # type: ignore[no-untyped-def]
    """A TMX <seg>'s text without its inline codes (<ph>, <bpt>, <ept>, <it> hold formatting, not words)."""
    parts = [seg.text or ""]
    for child in seg:
        if child.tag in {"hi", "sub"}:
            parts.append(_segment_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def parse_tmx(text: str, language: str, *, source: str = "TMX") -> list[tuple[str, str]]:
    """Vietnamese-to-``language`` pairs of a TMX 1.4 file; a malformed file raises InvalidMemoryFile."""
    import xml.etree.ElementTree as ET

    def invalid(en: str, vi: str) -> InvalidMemoryFile:
        return InvalidMemoryFile(f"{source} {en}. Nothing was imported.", f"{source} {vi}. Chưa nhập gì.")

    if "<!DOCTYPE" in text[:2000] and "<!ENTITY" in text:
        raise invalid(
            "declares XML entities, which TMX files do not need", "khai báo thực thể XML, tệp TMX không cần"
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise invalid(f"is not well-formed XML ({exc})", f"không phải XML hợp lệ ({exc})") from None
    if root.tag != "tmx" or root.find("body") is None:
        raise invalid("is not a TMX file (no <tmx><body>)", "không phải tệp TMX (thiếu <tmx><body>)")
    lang_attr = "{http://www.w3.org/XML/1998/namespace}lang"
    pairs: list[tuple[str, str]] = []
    for number, tu in enumerate(root.iter("tu"), start=1):
        texts: dict[str, str] = {}
        for tuv in tu.findall("tuv"):
            tag = tuv.get(lang_attr) or tuv.get("lang")
            seg = tuv.find("seg")
            if not tag or seg is None:
                raise invalid(
                    f"translation unit {number} has a <tuv> without xml:lang or <seg>",
                    f"đơn vị dịch {number} có <tuv> thiếu xml:lang hoặc <seg>",
                )
            texts[_language_code(tag)] = unicodedata.normalize("NFC", _segment_text(seg))
        if texts.get("vie") and texts.get(language):
            pairs.append((texts["vie"], texts[language]))
    if not pairs:
        raise invalid(
            f"has no translation unit with both Vietnamese (vi) and {language}",
            f"không có đơn vị dịch nào có cả tiếng Việt (vi) và {language}",
        )
    return pairs


def parse_memory_file(name: str, text: str, language: str) -> list[tuple[str, str]]:
    """Pairs from a ``.tmx`` or ``.tsv`` file's text, by its extension."""
    lower = name.lower()
    if lower.endswith(".tmx"):
        return parse_tmx(text, language, source=name)
    if lower.endswith((".tsv", ".txt")):
        return parse_tsv_memory(text, source=name)
    raise InvalidMemoryFile(
        f"{name}: a translation memory is a .tmx or .tsv file. Nothing was imported.",
        f"{name}: bộ nhớ dịch phải là tệp .tmx hoặc .tsv. Chưa nhập gì.",
    )
