"""Translation of a Vietnamese script segment by segment, in order of trust: memory, glossary, model, person.

Each sentence is looked up in the translation memory (approved human translations, exact then fuzzy),
then in the glossary (a sentence that is one approved term), then sent to the neural model if one is
configured, with its numbers, dates, amounts, phone numbers and glossary terms carried as placeholders.
Every candidate is validated (nlp.translation_check); what no path covers, or what fails validation,
is marked "cần người dịch / needs translator" with the reasons. Nothing is guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Protocol

from nlp.glossary import Glossary, GlossaryHit
from nlp.languages import Language
from nlp.placeholders import mask
from nlp.translation_check import Problem, check_translation
from nlp.translation_memory import DEFAULT_FUZZY_THRESHOLD, TranslationMemory, segment_key

MEMORY, FUZZY, GLOSSARY, MODEL, KEPT, TRANSLATOR, NEEDS_TRANSLATOR = (
    "memory",
    "memory_fuzzy",
    "glossary",
    "model",
    "kept",
    "translator",
    "needs_translator",
)
ORIGIN_LABELS = {
    MEMORY: "bộ nhớ dịch / memory",
    FUZZY: "bộ nhớ dịch (gần đúng) / memory (fuzzy)",
    GLOSSARY: "thuật ngữ / glossary",
    MODEL: "máy dịch / model",
    KEPT: "giữ nguyên (chỉ có số) / kept (numbers only)",
    TRANSLATOR: "người dịch / translator",
    NEEDS_TRANSLATOR: "cần người dịch / needs translator",
}
_WORDS = re.compile(r"\w+", re.UNICODE)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÀ-ỸĐ]\w*", re.UNICODE)
# Words whose presence or absence reverses or changes an instruction: never reused from a near match.
_NEGATIONS = frozenset(["không", "chưa", "chớ", "đừng", "cấm", "chẳng", "nghiêm", "tuyệt", "mọi", "tất"])
_MODEL_TOKEN = "ZZ{}"  # placeholders the model sees: upper-case Latin, no digits for it to rewrite


class ModelBackend(Protocol):
    """Anything that translates a batch of Vietnamese texts into one language (nlp.translation_model)."""

    name: str

    def translate(self, texts: list[str], language: Language) -> list[str]: ...


@dataclass(frozen=True)
class Segment:
    """One sentence of the source, its translation (None until someone provides it), and where it came from."""

    index: int
    source: str
    target: str | None
    origin: str
    score: float | None = None
    reasons: tuple[tuple[str, str], ...] = ()  # (English, Vietnamese) reasons a translator is needed
    glossary: tuple[dict, ...] = ()
    suggestion: str | None = None  # a model output or weak memory match shown to the translator

    @property
    def label(self) -> str:
        label = ORIGIN_LABELS[self.origin]
        return f"{label} {self.score:.0%}" if self.origin == FUZZY and self.score is not None else label

    def to_dict(self) -> dict:
        return asdict(self) | {"label": self.label}


@dataclass(frozen=True)
class Translation:
    """A script translated into one language, segment by segment."""

    language: str
    segments: tuple[Segment, ...]
    model: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return all(s.target is not None for s in self.segments)

    @property
    def needed(self) -> list[Segment]:
        """Segments waiting for a translator."""
        return [s for s in self.segments if s.target is None]

    @property
    def text(self) -> str:
        """The translation, one segment per line (missing segments left out)."""
        return "\n".join(s.target for s in self.segments if s.target is not None)

    def to_dict(self) -> dict:
        return {
            "language": self.language,
            "model": self.model,
            "complete": self.complete,
            "counts": dict(Counter(s.origin for s in self.segments)),
            "segments": [s.to_dict() for s in self.segments],
        }


def _needs(
    index: int, source: str, reasons: list[tuple[str, str]], hits: list[GlossaryHit], **extra
) -> Segment:  # type: ignore[no-untyped-def]
    return Segment(index, source, None, NEEDS_TRANSLATOR, reasons=tuple(reasons),
                   glossary=tuple(h.to_dict() for h in hits), **extra)  # fmt: skip


def _problems(problems: list[Problem], where: str, where_vi: str) -> list[tuple[str, str]]:
    return [(f"{where}: {p.en}", f"{where_vi}: {p.vi}") for p in problems]


def _from_memory(index: int, source: str, language: Language, memory: TranslationMemory | None,
                 glossary: Glossary | None, threshold: float) -> tuple[Segment | None, list[tuple[str, str]]]:  # fmt: skip
    if memory is None or not len(memory):
        return None, []
    found = memory.lookup(source, threshold=threshold)
    if found is None:
        return None, []
    if not found.exact:
        risky = fuzzy_risk(source, found.entry.key)
        if risky:
            return None, [(f"memory match {found.score:.0%} differs in: {', '.join(risky)}",
                           f"bản dịch gần đúng {found.score:.0%} khác ở: {', '.join(risky)}")]  # fmt: skip
    problems = check_translation(source, found.translation, language, glossary=glossary)
    if problems:
        return None, _problems(problems, "memory match", "bản dịch trong bộ nhớ")
    origin = MEMORY if found.exact else FUZZY
    return Segment(index, source, found.translation, origin, score=round(found.score, 3)), []


def fuzzy_risk(source: str, matched_key: str) -> list[str]:
    """Words that make a near match unsafe to reuse: a name of the segment or a negation that differs."""
    words = set(_WORDS.findall(segment_key(source)))
    matched = set(_WORDS.findall(matched_key))
    names = {w.lower() for w in _NAME.findall(source)}
    changed = words ^ matched
    return sorted(w for w in changed if w in names or w in _NEGATIONS)


def segment_route(
    index: int,
    source: str,
    language: Language,
    *,
    memory: TranslationMemory | None,
    glossary: Glossary | None,
    threshold: float,
) -> Segment | tuple[list[tuple[str, str]], list[GlossaryHit]]:
    """A segment the memory, the glossary or the source itself covers; else the reasons so far and the hits."""
    hit, reasons = _from_memory(index, source, language, memory, glossary, threshold)
    if hit is not None:
        return hit
    term = glossary.whole(source) if glossary else None
    if term is not None and term.target:
        return Segment(
            index, source, term.target, GLOSSARY, glossary=({"source": term.source, "target": term.target},)
        )
    if not any(c.isalpha() for c in mask(source).text.replace("⟦", "").replace("⟧", "")):
        return Segment(index, source, source, KEPT)
    return reasons, glossary.hits(source) if glossary else []


def _for_model(source: str, hits: list[GlossaryHit]) -> tuple[str, dict[str, str]]:
    """The source with values and glossary terms replaced by model-safe tokens, and how to put them back."""
    restore: dict[str, str] = {}
    pieces, last = [], 0
    for hit in hits:
        token = _MODEL_TOKEN.format(_letters(len(restore)))
        restore[token] = hit.term.target or ""
        pieces += [source[last : hit.start], token]
        last = hit.end
    text = "".join(pieces) + source[last:]
    masked = mask(text)
    out = masked.text
    for number, value in enumerate(masked.values, start=1):
        token = _MODEL_TOKEN.format(_letters(len(restore)))
        restore[token] = value
        out = out.replace(f"⟦{number}⟧", token, 1)
    return out, restore


def _letters(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> BA: a placeholder suffix without digits."""
    out = ""
    while True:
        out = chr(65 + n % 26) + out
        n //= 26
        if n == 0:
            return out


def _restore(text: str, restore: dict[str, str]) -> str:
    for token in sorted(restore, key=len, reverse=True):
        text = re.sub(rf"\b{token}\b", lambda _m, v=restore[token]: v, text)
    return text


def translate_segments(
    sources: list[str],
    language: Language,
    *,
    memory: TranslationMemory | None = None,
    glossary: Glossary | None = None,
    model: ModelBackend | None = None,
    threshold: float = DEFAULT_FUZZY_THRESHOLD,
) -> Translation:
    """Translate Vietnamese segments into ``language``; uncovered or invalid segments need a translator."""
    routed = [
        segment_route(i, s, language, memory=memory, glossary=glossary, threshold=threshold)
        for i, s in enumerate(sources)
    ]
    pending = [i for i, r in enumerate(routed) if not isinstance(r, Segment)]
    blocked = {i for i in pending if any(h.needs_translator for h in routed[i][1])}  # type: ignore[index]
    to_model = [i for i in pending if i not in blocked] if model is not None else []
    prepared = {i: _for_model(sources[i], routed[i][1]) for i in to_model}  # type: ignore[index]
    outputs = dict(zip(to_model, model.translate([prepared[i][0] for i in to_model], language), strict=True)) if to_model else {}  # type: ignore[union-attr]  # fmt: skip
    segments: list[Segment] = []
    for i, route in enumerate(routed):
        if isinstance(route, Segment):
            segments.append(route)
            continue
        reasons, hits = route
        segments.append(_finish(i, sources[i], language, reasons, hits, glossary, model, prepared, outputs))
    return Translation(language.code, tuple(segments), model.name if model else None)


def _finish(i, source, language, reasons, hits, glossary, model, prepared, outputs) -> Segment:  # type: ignore[no-untyped-def]
    """The model's candidate if it validates, else the segment marked for a translator with every reason."""
    reasons = list(reasons)
    unknown = [h.term.source for h in hits if h.needs_translator]
    if unknown:
        listed = ", ".join(dict.fromkeys(unknown))
        reasons.append((f"glossary term with no approved {language.code} translation: {listed}",
                        f"thuật ngữ chưa có bản dịch {language.code} được duyệt: {listed}"))  # fmt: skip
        return _needs(i, source, reasons, hits)
    if model is None:
        reasons.append((f"no memory match and no translation model for {language.code}",
                        f"không có trong bộ nhớ dịch và chưa có máy dịch cho {language.code}"))  # fmt: skip
        return _needs(i, source, reasons, hits)
    candidate = _restore(outputs[i], prepared[i][1])
    problems = check_translation(source, candidate, language, glossary=glossary)
    if problems:
        return _needs(
            i,
            source,
            reasons + _problems(problems, "model output", "bản máy dịch"),
            hits,
            suggestion=candidate,
        )
    return Segment(i, source, candidate, MODEL, glossary=tuple(h.to_dict() for h in hits))


def translate_text(
    text: str,
    language: Language,
    *,
    memory: TranslationMemory | None = None,
    glossary: Glossary | None = None,
    model: ModelBackend | None = None,
    threshold: float = DEFAULT_FUZZY_THRESHOLD,
    split: Callable[[str], Iterable[str]] | None = None,
) -> Translation:
    """Translate a Vietnamese script: its sentences (nlp.sentences) one by one, in order of trust."""
    if split is None:
        from nlp.sentences import split_sentences as split
    sources = [s for s in split(text) if s.strip()]
    return translate_segments(
        sources, language, memory=memory, glossary=glossary, model=model, threshold=threshold
    )
