"""A per-language glossary of administrative, disaster and health terms that translations must respect."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from nlp.errors import TextError

DEFAULT_DIR = Path(__file__).with_name("data") / "glossary"
NEEDS_TRANSLATOR = "needs translator"
# Khmer makes nouns from verbs with ការ / សេចក្ដី: "ការជម្លៀស" (evacuation) is "ជម្លៀស" (evacuate) as a verb.
_NOMINALIZERS = ("ការ", "សេចក្ដី")


class InvalidGlossary(TextError):
    code = "invalid_glossary"


@dataclass(frozen=True)
class GlossaryTerm:
    """A Vietnamese term and its approved translation; ``target`` None means only a translator may choose it."""

    source: str
    target: str | None
    note: str = ""

    @property
    def forms(self) -> tuple[str, ...]:
        """Spellings a translation may use: the term, and a Khmer noun's verb without its nominalizer."""
        if not self.target:
            return ()
        bare = next((self.target[len(p) :] for p in _NOMINALIZERS if self.target.startswith(p)), "")
        return (self.target, bare) if len(bare) >= 2 else (self.target,)


@dataclass(frozen=True)
class GlossaryHit:
    """Where a term occurs in a segment."""

    term: GlossaryTerm
    start: int
    end: int

    @property
    def needs_translator(self) -> bool:
        return self.term.target is None

    def to_dict(self) -> dict:
        return {"source": self.term.source, "target": self.term.target, "note": self.term.note}


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


class Glossary:
    """Terms of one target language, matched case-insensitively on word boundaries, longest first."""

    def __init__(self, language: str, terms: list[GlossaryTerm]) -> None:
        self.language = language
        self.terms = {_key(t.source): t for t in terms}
        ordered = sorted(self.terms, key=len, reverse=True)
        pattern = "|".join(re.escape(k) for k in ordered)
        self._pattern = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE) if ordered else None

    def __len__(self) -> int:
        return len(self.terms)

    def hits(self, text: str) -> list[GlossaryHit]:
        """The terms in ``text``, left to right, without overlaps."""
        if self._pattern is None:
            return []
        normalized = unicodedata.normalize("NFC", text)
        return [
            GlossaryHit(self.terms[_key(m.group(0))], m.start(), m.end())
            for m in self._pattern.finditer(normalized)
        ]

    def whole(self, text: str) -> GlossaryTerm | None:
        """The term that is the whole of ``text`` (punctuation aside), if any."""
        return self.terms.get(_key(text.strip(" \t.,;:!?…\"'“”()")))


def parse_glossary(text: str, language: str, *, source: str = "glossary") -> Glossary:
    """Terms from TSV rows ``vi<TAB>translation<TAB>note``; comma-separated Vietnamese variants share a row.

    An empty translation means the term needs a translator: it is never guessed. A header row whose
    first cell is ``vi`` or ``vie`` is skipped.
    """
    terms: list[GlossaryTerm] = []
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if first and cells[0].lower() in {"vi", "vie"}:
            first = False
            continue
        first = False
        if len(cells) < 2 or not cells[0]:
            raise InvalidGlossary(
                f"{source} line {number}: expected 'Vietnamese<TAB>translation<TAB>note'",
                f"{source} dòng {number}: cần 'tiếng Việt<TAB>bản dịch<TAB>ghi chú'",
            )
        target = unicodedata.normalize("NFC", cells[1]) or None
        note = cells[2] if len(cells) > 2 else ""
        for variant in cells[0].split(","):
            if variant.strip():
                terms.append(GlossaryTerm(unicodedata.normalize("NFC", variant.strip()), target, note))
    return Glossary(language, terms)


def load_glossary(language: str, directory: Path | None = None) -> Glossary:
    """The glossary ``<language>.tsv`` from ``directory`` (default: bantin's own); empty if there is none."""
    path = (directory or DEFAULT_DIR) / f"{language}.tsv"
    if not path.is_file():
        return Glossary(language, [])
    return parse_glossary(path.read_text(encoding="utf-8"), language, source=path.name)
