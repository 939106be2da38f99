"""Spoken form of web addresses, e-mail addresses, spelled letters and Vietnamese typed without diacritics.

Parts of an address that split into Vietnamese syllables get their diacritics back from
``nlp/data/norm_accents.tsv`` ("dichvucong" -> "dịch vụ công"); known web words come from
``norm_web_words.tsv`` (gmail -> "gờ meo", com -> "com"); anything else is spelled letter by letter
(gov -> "gờ o vê"). The accent table is built with ``build_accent_lexicon`` from the syllable frequencies shipped in
g2p-hamster (Apache-2.0, ``02_data/fold/tan_suat_am_tiet.tsv``), pyvi's word list (MIT,
``models/words.txt``) and the provincial plans in ``shared/seeds``; a syllable standing alone
in an address prefers its place-name spelling from ``norm_place_syllables.tsv`` (built with
``build_place_syllables`` from the commune and province names of ``vietnam-provinces``).
To rebuild, pass ``build_accent_lexicon`` the counts of g2p-hamster's ``tan_suat_am_tiet.tsv``, the
lines of pyvi's ``words.txt`` and the texts (seeds plus place names), and write the result to
``nlp/data/norm_accents.tsv`` under its provenance header.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache

from nlp.clean import clean_text
from nlp.normalize_data import packaged_mapping, packaged_text, parse_table
from nlp.numbers import read_digits, read_number

LETTER_NAMES = {
    "a": "a", "ă": "á", "â": "ớ", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "ê": "ê",
    "f": "ép", "g": "gờ", "h": "hát", "i": "i", "j": "giây", "k": "ca", "l": "lờ", "m": "mờ",
    "n": "en", "o": "o", "ô": "ô", "ơ": "ơ", "p": "pê", "q": "quy", "r": "rờ", "s": "ét", "t": "tê",
    "u": "u", "ư": "ư", "v": "vê", "w": "vê kép", "x": "ích", "y": "i", "z": "dét",
}  # fmt: skip

_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx]"
_SYLLABLE = re.compile(rf"(?:{_ONSETS})?(?:[aeiouy]{{1,3}})(?:ch|ng|nh|[cmnpt]|)")
_SYLLABLE_FULL = re.compile(rf"^(?:{_ONSETS})?[aeiouy]{{1,3}}(?:ch|ng|nh|[cmnpt])?$")
_MAX_SYLLABLE = 7

EMAIL = re.compile(r"(?<![\w.@-])[A-Za-z0-9][A-Za-z0-9._+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?<![.-])")
_TLDS = "vn|com|net|org|gov|edu|info|int|biz|asia|io|me|app|tv|online|site|xyz|top|dev|us|uk|cn|jp|kr|fr|de"
# The end of every web address: a dot and a top-level domain (a quick test before URL).
TOP_LEVEL_DOMAIN = re.compile(rf"\.(?:{_TLDS})(?![\w-])", re.I)
URL = re.compile(
    rf"(?<![\w@.-])(?:https?://)?(?:[A-Za-z0-9-]+\.)+(?:{_TLDS})(?![\w-])(?::\d+)?(?:/[\w./%?=&#~+-]*[\w/])?/?",
    re.I,
)
_DIVISION = re.compile(r"^(?:xã|phường|đặc khu|thành phố|tỉnh|thị trấn|huyện|quận)\s+")
_URL_SYMBOLS = {".": "chấm", "/": "gạch chéo", "-": "gạch ngang", "_": "gạch dưới", ":": "hai chấm",
                "?": "chấm hỏi", "=": "bằng", "&": "và", "+": "cộng", "%": "phần trăm", "#": "thăng",
                "~": "ngã"}  # fmt: skip


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks: "Đường" -> "Duong"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def is_vietnamese_syllable(word: str) -> bool:
    """True if ``word`` (with or without diacritics) is shaped like one Vietnamese syllable."""
    return bool(_SYLLABLE_FULL.match(strip_diacritics(word).lower()))


def spell_letters(word: str) -> str:
    """Read a word letter by letter with Vietnamese letter names, digits as digits."""
    names = []
    for ch in word.lower():
        if ch.isdigit():
            names.append(read_digits(ch))
        elif ch in LETTER_NAMES:
            names.append(LETTER_NAMES[ch])
        elif ch.isalpha():
            names.append(LETTER_NAMES.get(strip_diacritics(ch), ch))
    return " ".join(names)


def split_syllables(word: str) -> list[str] | None:
    """Split an unaccented lowercase word into Vietnamese syllables, fewest and best-known first."""
    known = _accent_table()
    best: list[tuple[float, list[str]] | None] = [None] * (len(word) + 1)
    best[0] = (0.0, [])
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - _MAX_SYLLABLE), end):
            prev = best[start]
            piece = word[start:end]
            if prev is None or not _SYLLABLE_FULL.match(piece):
                continue
            cost = prev[0] + (1.0 if piece in known else 1.6)
            if prev[1] and f"{prev[1][-1]} {piece}" in known:
                cost -= 0.4
            if best[end] is None or cost < best[end][0]:  # type: ignore[index]
                best[end] = (cost, [*prev[1], piece])
    result = best[len(word)]
    return result[1] if result else None


def restore_diacritics(syllables: list[str]) -> str:
    """Put diacritics back on unaccented syllables, preferring known two-syllable words."""
    table = _accent_table()
    words: list[str] = []
    i = 0
    while i < len(syllables):
        pair = table.get(" ".join(syllables[i : i + 2])) if i + 1 < len(syllables) else None
        next_pair = table.get(" ".join(syllables[i + 1 : i + 3])) if i + 2 < len(syllables) else None
        if pair and not (next_pair and next_pair[1] > pair[1]):
            words.append(pair[0])
            i += 2
            continue
        words.append(_single_syllable(syllables[i], table))
        i += 1
    return " ".join(words)


def _single_syllable(syllable: str, table: Mapping[str, tuple[str, int]]) -> str:
    """A syllable on its own in an address is most often part of a place name ("tan" -> "tân")."""
    places = _place_syllables()
    if syllable in places:
        return places[syllable]
    return table[syllable][0] if syllable in table else syllable


def read_address_part(part: str, *, domain: bool = False) -> str:
    """Read one label of a web or e-mail address; in a domain name a trailing place name wins ("danang")."""
    if not part:
        return ""
    lower = part.lower()
    web_words = _web_words()
    if lower in web_words:
        return web_words[lower]
    if lower.isdigit():
        return read_number(lower) if not lower.startswith("0") else read_digits(lower)
    chunks = re.findall(r"[a-z]+|\d+|[^a-z\d]", lower)
    return " ".join(_read_address_chunk(chunk, domain=domain) for chunk in chunks if chunk.strip())


def _read_address_chunk(chunk: str, *, domain: bool = False) -> str:
    """Read letters as words, known web words or spelled letters; digits as numbers."""
    web_words = _web_words()
    if chunk in web_words:
        return web_words[chunk]
    if chunk.isdigit():
        return read_number(chunk) if not chunk.startswith("0") else read_digits(chunk)
    if not chunk.isalpha():
        return _URL_SYMBOLS.get(chunk, "")
    syllables = split_syllables(chunk) if len(chunk) > 1 else None
    if syllables and _plausibly_vietnamese(syllables):
        return _with_place_name(syllables) if domain else restore_diacritics(syllables)
    return _read_abbreviation_then_words(chunk) or spell_letters(chunk)


def _with_place_name(syllables: list[str]) -> str:
    """ "ytedanang": the longest tail that is a province or commune name keeps that name's spelling."""
    places = place_names()
    for i in range(len(syllables) - 1):
        name = places.get("".join(syllables[i:]))
        if name:
            return f"{restore_diacritics(syllables[:i])} {name}".strip()
    return restore_diacritics(syllables)


@cache
def place_names() -> dict[str, str]:
    """Province and commune names of two or more syllables by their unaccented spelling ("danang" -> "đà nẵng")."""
    try:
        from vietnam_provinces import Province, Ward
    except ImportError:  # the names only refine how addresses are read
        return {}
    return build_place_names(unit.name for unit in (*Province.iter_all(), *Ward.iter_all()))


def build_place_names(names: Iterable[str]) -> dict[str, str]:
    """Unaccented, unspaced place names -> their most common lower-case spelling, division type removed."""
    counts: dict[str, Counter[str]] = {}
    for name in names:
        name = _DIVISION.sub("", clean_text(name).lower())
        if len(name.split()) >= 2 and all(is_vietnamese_syllable(s) for s in name.split()):
            key = strip_diacritics(name).replace(" ", "")
            counts.setdefault(key, Counter())[name] += 1
    return {key: c.most_common(1)[0][0] for key, c in counts.items()}


def _read_abbreviation_then_words(chunk: str) -> str | None:
    """ "ubndxa": a known abbreviation spelled, then Vietnamese words ("u bê en dê xã")."""
    for size in range(len(chunk) - 1, 1, -1):
        head, rest = chunk[:size], chunk[size:]
        if head not in _abbreviation_keys():
            continue
        syllables = split_syllables(rest)
        if syllables and _plausibly_vietnamese(syllables):
            return f"{spell_letters(head)} {restore_diacritics(syllables)}"
    return None


@cache
def _abbreviation_keys() -> frozenset[str]:
    """Lower-case letter-only keys of the packaged abbreviation table."""
    keys = packaged_mapping("abbreviations.tsv")
    return frozenset(strip_diacritics(k).lower() for k in keys if k.isalpha() and len(k) >= 2)


def _plausibly_vietnamese(syllables: list[str]) -> bool:
    """Accept a split when every syllable is a known Vietnamese syllable."""
    table = _accent_table()
    return all(s in table for s in syllables)


def read_url(url: str) -> str:
    """Read a web address: "dichvucong.gov.vn" -> "dịch vụ công chấm gờ o vê chấm vê en"."""
    body = re.sub(r"^https?://", "", url, flags=re.I).rstrip("/")
    host, slash, path = body.partition("/")
    spoken = _join_tokens(re.findall(r"[A-Za-z0-9]+|[^A-Za-z0-9]", host), domain=True)
    if slash:
        spoken += " " + _join_tokens(re.findall(r"[A-Za-z0-9]+|[^A-Za-z0-9]", slash + path))
    return spoken


def read_email(address: str) -> str:
    """Read an e-mail address with "a còng" for @ and "chấm" for dots."""
    local, _, domain = address.partition("@")
    head = _join_tokens(re.findall(r"[A-Za-z0-9]+|[^A-Za-z0-9]", local))
    return f"{head} a còng {read_url(domain)}"


def _join_tokens(tokens: list[str], *, domain: bool = False) -> str:
    spoken = []
    for token in _join_hyphenated(tokens):
        if isinstance(token, list):
            spoken.append(restore_diacritics(token))
        else:
            spoken.append(
                read_address_part(token, domain=domain) if token.isalnum() else _URL_SYMBOLS.get(token, "")
            )
    return " ".join(s for s in spoken if s)


def _join_hyphenated(tokens: list[str]) -> list[str | list[str]]:
    """Runs like "huong-dan" or "so-y-te" whose pieces are all Vietnamese become one list of syllables."""
    result: list[str | list[str]] = []
    i = 0
    while i < len(tokens):
        end = i
        while end + 2 < len(tokens) and tokens[end + 1] == "-" and tokens[end + 2].isalpha():
            end += 2
        pieces = [split_syllables(t.lower()) if t.isalpha() else None for t in tokens[i : end + 1 : 2]]
        if end > i and all(p and _plausibly_vietnamese(p) for p in pieces):
            result.append([syllable for piece in pieces for syllable in piece or []])
            i = end + 1
            continue
        result.append(tokens[i])
        i += 1
    return result


Spellings = dict[str, Counter[str]]


def build_accent_lexicon(
    syllable_counts: Mapping[str, int],
    words: Iterable[str],
    texts: Iterable[str] = (),
    *,
    min_count: int = 20,
) -> str:
    """TSV rows ``unaccented<TAB>accented<TAB>weight`` for syllables and two-syllable words.

    ``syllable_counts`` gives how often each accented syllable occurs, ``words`` is a word list
    whose two-syllable words become pairs, and ``texts`` adds syllables and word pairs of running text.
    """
    singles: Spellings = {}
    pairs: Spellings = {}
    for syllable, count in syllable_counts.items():
        syllable = clean_text(syllable.lower())
        if count >= min_count and is_vietnamese_syllable(syllable) and syllable.isalpha():
            _count(singles, syllable, count)
    for text in texts:
        _count_text(text, singles, pairs)
    for word in words:
        parts = clean_text(word.lower()).split()
        if len(parts) == 2 and all(strip_diacritics(p) in singles for p in parts):
            _count(pairs, " ".join(parts), min(syllable_counts.get(p, 1) for p in parts))
    rows = {key: counts.most_common(1)[0] for key, counts in (singles | pairs).items()}
    return "".join(f"{key}\t{value}\t{count}\n" for key, (value, count) in sorted(rows.items()))


def _count(spellings: Spellings, accented: str, weight: int) -> None:
    spellings.setdefault(strip_diacritics(accented), Counter())[accented] += weight


def _count_text(text: str, singles: Spellings, pairs: Spellings) -> None:
    """Count the syllables (weight 1) and adjacent syllable pairs (weight 5) of running text."""
    tokens = [w.lower() for w in re.findall(r"[^\W\d_]+", clean_text(text))]
    tokens = [w if is_vietnamese_syllable(w) else "" for w in tokens]
    for first, second in zip(tokens, [*tokens[1:], ""], strict=True):
        if first:
            _count(singles, first, 1)
        if first and second:
            _count(pairs, f"{first} {second}", 5)


def build_place_syllables(names: Iterable[str], *, min_count: int = 10) -> str:
    """TSV rows ``unaccented<TAB>accented`` for syllables common in place names (Tân, Hòa, Phú...)."""
    counts: dict[str, Counter[str]] = {}
    for name in names:
        name = re.sub(
            r"^(?:xã|phường|đặc khu|thành phố|tỉnh|thị trấn|huyện|quận)\s+", "", clean_text(name).lower()
        )
        for syllable in name.split():
            if is_vietnamese_syllable(syllable) and syllable.isalpha():
                counts.setdefault(strip_diacritics(syllable), Counter())[syllable] += 1
    rows = {key: c.most_common(1)[0] for key, c in counts.items()}
    return "".join(f"{key}\t{form}\n" for key, (form, count) in sorted(rows.items()) if count >= min_count)


@cache
def _place_syllables() -> dict[str, str]:
    return packaged_mapping("norm_place_syllables.tsv")


@cache
def _accent_table() -> dict[str, tuple[str, int]]:
    """Unaccented syllable or syllable pair -> (accented form, weight)."""
    rows = parse_table(packaged_text("norm_accents.tsv"), columns=3)
    return {key: (value, int(count)) for key, value, count in rows if count.isdigit()}


@cache
def _web_words() -> dict[str, str]:
    return {k.lower(): v for k, v in packaged_mapping("norm_web_words.tsv").items()}
