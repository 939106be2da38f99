"""Score bantin's spoken-form normalizer per class of non-standard word, exactly and convention-tolerant; print JSON.

Sets (every one scored by default):
- ``dev``: ../shared/data/normalization.tsv (class guessed from the written form, see ``guess_class``);
- ``heldout_tests``: the held-out cases of tests/nlp/test_normalize.py (class from the group name);
- ``nemo_vi``: NeMo-text-processing's Vietnamese test cases (bench/data/normalization/nemo_vi, Apache-2.0);
- ``heldout``: the held-out administrative sentences of bench/data/normalization/heldout.

A row passes *exactly* when both sides match after lower-casing and collapsing punctuation and
whitespace; it passes *tolerant* when they match after the rewrite rules of
``bench/normalization_conventions.md`` (``CONVENTION_RULES``, one per documented convention
difference, applied to both sides), nothing looser. ``--nemo`` adds NeMo's own output on the NeMo
cases and the held-out set where ``nemo_text_processing`` is installed; ``--compare`` adds the
offline PyPI normalizers on the dev and held-out sets.

Throughput (``bantin_throughput``): bulletin-length lines are the distinct non-empty lines of the bulletin
drafts (../shared/data/bulletins and bench/data/bulletins_train, _heldout, _test); after one warm-up pass
(patterns compiled on first use), ``--repeats`` passes are timed with ``time.process_time`` (one core, CPU
time). Before each timed pass the normalizer's memos of readings (numbers, syllables) are emptied, so every
pass reads lines it has not seen, as a new bulletin is; the median lines and characters per second are
printed with the load average. ``warm_repeat_lines_per_second`` is the older figure, passes over the same
lines with the memos kept, for comparison. The target is 10,000 lines/s.

    python bench/normalize_eval.py [--failures N] [--repeats R] [--nemo] [--compare] [--set NAME]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
NORMALIZATION_DATA = REPO / "bench" / "data" / "normalization"
sys.path.insert(0, str(REPO))

Normalizer = Callable[[str], str]


@dataclass(frozen=True)
class Case:
    """One written text, its expected spoken form and its class."""

    written: str
    expected: str
    cls: str


# --- comparison -----------------------------------------------------------------------------------


def spoken_key(text: str) -> str:
    """Lower case, punctuation and whitespace collapsed."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


_DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_UNIT_WORDS = {"mốt": 1, "tư": 4, "lăm": 5, **{w: i for i, w in enumerate(_DIGIT_WORDS)}}
_NUMBER_WORD = r"(?:không|một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|trăm|linh|lẻ)"


def _below_thousand(words: list[str]) -> int | None:
    """The value of a reading of 0-999 ("ba trăm linh ba", "hai mươi lăm"), or None."""
    value, i = 0, 0
    if len(words) >= 2 and words[1] == "trăm" and words[0] in _DIGIT_WORDS:
        value, i = 100 * _DIGIT_WORDS.index(words[0]), 2
        if i < len(words) and words[i] in {"linh", "lẻ"}:
            i += 1
            return (
                value + _DIGIT_WORDS.index(words[i])
                if i + 1 == len(words) and words[i] in _DIGIT_WORDS
                else None
            )
    rest = words[i:]
    if not rest:
        return value
    if rest[0] == "mười":
        tens, rest = 10, rest[1:]
    elif len(rest) >= 2 and rest[1] == "mươi" and rest[0] in _DIGIT_WORDS[2:]:
        tens, rest = 10 * _DIGIT_WORDS.index(rest[0]), rest[2:]
    else:
        tens = 0
    if len(rest) > 1 or (rest and rest[0] not in _UNIT_WORDS):
        return None
    return value + tens + (_UNIT_WORDS[rest[0]] if rest else 0)


def _fraction_digits(match: re.Match[str]) -> str:
    """'phẩy' + the digits after the decimal mark, whether they were read as a number or one by one."""
    words = match["run"].split()
    if all(w in _DIGIT_WORDS for w in words):
        return match.group()
    value = _below_thousand(words)
    if value is None:
        return match.group()
    return "phẩy " + " ".join(_DIGIT_WORDS[int(d)] for d in str(value))


def _sub(pattern: str, replacement: str | Callable[[re.Match[str]], str]) -> Callable[[str], str]:
    compiled = re.compile(pattern)
    return lambda text: compiled.sub(replacement, text)


# "một triệu không trăm linh một nghìn" / "một triệu một nghìn"; "hai nghìn không trăm hai mươi" / "hai nghìn hai mươi"
_ZERO_GROUP = re.compile(r"\b(triệu|tỷ) không trăm (?:linh|lẻ) (\w+) (?=nghìn\b|triệu\b)")
_ZERO_HUNDREDS = re.compile(r"\b(nghìn|triệu|tỷ) không trăm (?=linh |lẻ |\w+ mươi|mười)")
# "mười phẩy năm đô la" / "mười đô la năm mươi xu": an amount in a currency with cents (after decimal-digits)
_CENTS = re.compile(
    r"\bphẩy (?P<f>(?:không|một|hai|ba|bốn|năm|sáu|bảy|tám|chín)(?: \w+)?) (?P<cur>đô la|ơ rô)\b"
)
_NO_WHOLE = re.compile(r"(?:^|(?<= ))không (?:đô la|ơ rô) (?=.+ xu\b)")


def _cents(match: re.Match[str]) -> str:
    digits = [_DIGIT_WORDS.index(w) for w in match["f"].split() if w in _DIGIT_WORDS]
    if len(digits) != len(match["f"].split()):
        return match.group()
    cents = int("".join(map(str, digits)).ljust(2, "0"))
    return f"{match['cur']} {_below_hundred_words(cents)} xu"


def _below_hundred_words(n: int) -> str:
    tens, units = divmod(n, 10)
    if tens == 0:
        return _DIGIT_WORDS[units]
    head = "mười" if tens == 1 else f"{_DIGIT_WORDS[tens]} mươi"
    unit = {0: "", 1: " mốt" if tens > 1 else " một", 4: " tư" if tens > 1 else " bốn", 5: " lăm"}.get(
        units, f" {_DIGIT_WORDS[units]}"
    )
    return head + unit


# Time-zone initialisms spelled with Vietnamese letter names, or left as written.
_TIME_ZONES = {
    "gờ mờ tê": "gmt", "u tê xê": "utc", "xê ét tê": "cst", "pê ét tê": "pst", "e ét tê": "est", "giây ét tê": "jst",
}  # fmt: skip
# Spellings of unit names in Vietnamese and their loanword forms (both are heard on air).
_UNIT_SPELLINGS = {
    "hẹc": "héc",
    "xăng ti mét": "xen ti mét",
    "terabyte": "tê ra bai",
}
_UNIT_SPELLING = re.compile(r"\b(?:" + "|".join(sorted(_UNIT_SPELLINGS, key=len, reverse=True)) + r")\b")


# One rule per convention difference documented in bench/normalization_conventions.md (same ids).
CONVENTION_RULES: dict[str, Callable[[str], str]] = {
    "zero-hundreds": lambda text: _ZERO_HUNDREDS.sub(r"\1 ", _ZERO_GROUP.sub(r"\1 \2 ", text)),
    "le-linh": _sub(r"\b(trăm|nghìn|triệu|tỷ) lẻ (?=" + "|".join(_DIGIT_WORDS[1:]) + r")\b", r"\1 linh "),
    "decimal-digits": _sub(rf"\bphẩy (?P<run>{_NUMBER_WORD}(?: {_NUMBER_WORD})*)\b", _fraction_digits),
    "mot-after-muoi": _sub(r"\bmươi một\b", "mươi mốt"),
    "tu-after-muoi": _sub(r"\bmươi bốn\b", "mươi tư"),
    "lam-before-scale": _sub(r"\b(mười|mươi) năm (?=nghìn|triệu|tỷ|phẩy)", r"\1 lăm "),
    "ngan-nghin": _sub(r"\bngàn\b", "nghìn"),
    "ti-ty": _sub(r"\b(t|k)ỉ\b", r"\1ỷ"),
    "cents": lambda text: _NO_WHOLE.sub("", _CENTS.sub(_cents, text)),
    "dollar-name": _sub(r"\bđô la mỹ\b", "đô la"),
    "per-after-money": _sub(r"\b(đồng|đô la|ơ rô) trên (?=\w)", r"\1 một "),
    "times-sign": _sub(r"(?<=\w) x (?=\w)", " nhân "),
    "unit-spelling": lambda text: _UNIT_SPELLING.sub(lambda m: _UNIT_SPELLINGS[m.group()], text),
    "time-zone": _sub(r"\b(?:" + "|".join(_TIME_ZONES) + r")\b", lambda m: _TIME_ZONES[m.group()]),
    "temperature-letter": _sub(r"\bđộ (c|f)\b", lambda m: "độ " + {"c": "xê", "f": "ép"}[m[1]]),
}


def convention_key(text: str) -> str:
    """``spoken_key`` with every documented convention difference rewritten to this project's form."""
    key = spoken_key(text)
    for rule in CONVENTION_RULES.values():
        key = rule(key)
    return key


def matches(got: str, expected: str, *, tolerant: bool) -> bool:
    """Exact (after ``spoken_key``) or convention-tolerant (after ``convention_key``) match."""
    if spoken_key(got) == spoken_key(expected):
        return True
    return tolerant and convention_key(got) == convention_key(expected)


# --- data ------------------------------------------------------------------------------------------

_GUESSES = (
    ("electronic", r"@|\b(?:www\.|https?://)|\.(?:vn|com|net|org)\b"),
    ("slash", r"\d/[A-ZĐ]|\d-[A-ZĐ]+/"),
    ("phone", r"\b(?:0\d{2,3}[ .]?\d{3}|1[89]00|11[345])\b|\+84"),
    ("range", r"\d\s*-\s*\d(?![\d/]*/\d{4})|\bđến\b.*\d"),
    ("date", r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{4})?\b|\btháng \d|\d/\d{4}"),
    ("time", r"\d[hg:]\d*\b|\bgiờ\b|\bphút\b"),
    ("money", r"đồng|\d\s?đ\b|VNĐ|USD|\$|\dk\b|\btr\b|tỷ|triệu"),
    ("measure", r"\d\s?(?:km|m|mm|cm|ha|kg|tấn|lít|°|%|‰|m2|m3|m²|m³|kV|kW|V|Hz|MB|GB)\b|°|%"),
    ("roman", r"\b[IVXLC]{1,5}\b"),
    ("ordinal", r"\bthứ \d"),
    ("decimal", r"\d,\d"),
    ("abbreviation", r"\b[A-ZĐ]{2,}|\b[A-Z][a-z]?\."),
    ("cardinal", r"\d"),
)


def guess_class(written: str) -> str:
    """The class of a row with none given: the first pattern of ``_GUESSES`` its written form matches."""
    return next((name for name, pattern in _GUESSES if re.search(pattern, written)), "other")


# Classes of the groups in tests/nlp/test_normalize.py; groups of whole sentences keep their own name.
_GROUP_CLASSES = {
    "numbers": "cardinal", "ordinals": "ordinal", "dates": "date", "times": "time", "money": "money",
    "units": "measure", "ranges": "range", "abbreviations": "abbreviation", "legal": "slash",
    "phones": "phone", "roman": "roman", "codes": "code", "addresses": "electronic", "symbols": "symbol",
}  # fmt: skip


def read_tsv_cases(path: Path, cls: str) -> list[Case]:
    """``written<TAB>spoken`` rows of a file; ``#`` lines and blank lines skipped."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [Case(r[0], r[1], cls) for r in rows if len(r) >= 2 and r[0].strip() and not r[0].startswith("#")]


def dev_cases() -> list[Case]:
    rows = [
        line.split("\t") for line in (DATA / "normalization.tsv").read_text(encoding="utf-8").splitlines()
    ]
    return [Case(r[0], r[1], guess_class(r[0])) for r in rows if len(r) >= 2]


def heldout_test_cases() -> list[Case]:
    from tests.nlp.test_normalize import HELD_OUT_GROUPS

    return [
        Case(w, e, _GROUP_CLASSES.get(group, "sentence"))
        for group, rows in HELD_OUT_GROUPS.items()
        for w, e in rows
    ]


def nemo_cases() -> list[Case]:
    cases = []
    for path in sorted((NORMALIZATION_DATA / "nemo_vi").glob("test_cases_*.txt")):
        cls = path.stem.removeprefix("test_cases_")
        for line in path.read_text(encoding="utf-8").splitlines():
            written, sep, spoken = line.partition("~")
            if sep and written.strip():
                cases.append(Case(written, spoken, cls))
    return cases


def heldout_cases() -> list[Case]:
    return [
        c for p in sorted((NORMALIZATION_DATA / "heldout").glob("*.tsv")) for c in read_tsv_cases(p, p.stem)
    ]


SETS: dict[str, Callable[[], list[Case]]] = {
    "dev": dev_cases,
    "heldout_tests": heldout_test_cases,
    "nemo_vi": nemo_cases,
    "heldout": heldout_cases,
}


# --- normalizers ---------------------------------------------------------------------------------------


def bantin_normalizer() -> Normalizer:
    from nlp.normalize import normalize_for_speech

    return normalize_for_speech


def nemo_normalizer() -> Normalizer:
    """NeMo-text-processing's Vietnamese normalizer (grammars cached under /tmp after the first build)."""
    from nemo_text_processing.text_normalization.normalize import Normalizer as NemoNormalizer

    cache = os.environ.get("NEMO_CACHE_DIR", "/tmp/nemo_cache")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        nemo = NemoNormalizer(input_case="cased", lang="vi", cache_dir=cache)
    return lambda text: nemo.normalize(text, punct_post_process=True)


def sea_g2p_normalizer() -> Normalizer:
    from sea_g2p import Normalizer as SeaNormalizer

    return SeaNormalizer().normalize  # type: ignore[return-value]


def g2p_hamster_normalizer() -> Normalizer:
    from g2p_hamster.t0 import pipeline

    return lambda text: pipeline.normalize(text)["read_string"]


def vietnormalizer_normalizer() -> Normalizer:
    from vietnormalizer import VietnameseNormalizer

    return VietnameseNormalizer().normalize


def vinorm_normalizer() -> Normalizer:
    from vinorm import TTSnorm

    return TTSnorm


COMPETITORS: dict[str, tuple[Callable[[], Normalizer], str]] = {
    "sea-g2p": (sea_g2p_normalizer, "Apache-2.0"),
    "g2p-hamster": (g2p_hamster_normalizer, "Apache-2.0; text via t0.pipeline.normalize(s)['read_string']"),
    "vietnormalizer": (vietnormalizer_normalizer, "MIT"),
    "vinorm": (
        vinorm_normalizer,
        "non-commercial licence; writes temp files in site-packages; not a dependency",
    ),
}


def quiet_call(normalize: Normalizer, text: str) -> str:
    """Call a normalizer, hiding what it prints; an exception becomes the row's output."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return str(normalize(text))
        except Exception as exc:  # a competitor crashing on a row fails that row only
            return f"<error {type(exc).__name__}: {exc}>"


# --- scoring -----------------------------------------------------------------------------------------


def score(normalize: Normalizer, cases: list[Case], show: int) -> dict[str, object]:
    """Exact and tolerant pass counts, overall and per class, with the failing rows."""
    per_class: dict[str, dict[str, int]] = {}
    failures = []
    start = time.perf_counter()
    for case in cases:
        got = quiet_call(normalize, case.written)
        exact = matches(got, case.expected, tolerant=False)
        tolerant = exact or matches(got, case.expected, tolerant=True)
        counts = per_class.setdefault(case.cls, {"rows": 0, "exact": 0, "tolerant": 0})
        counts["rows"] += 1
        counts["exact"] += exact
        counts["tolerant"] += tolerant
        if not tolerant:
            failures.append({"class": case.cls, "input": case.written, "expected": case.expected, "got": got})
    elapsed = time.perf_counter() - start
    rows = len(cases)
    exact_total = sum(c["exact"] for c in per_class.values())
    tolerant_total = sum(c["tolerant"] for c in per_class.values())
    return {
        "rows": rows,
        "exact": exact_total,
        "tolerant": tolerant_total,
        "exact_rate": round(exact_total / rows, 4),
        "tolerant_rate": round(tolerant_total / rows, 4),
        "ms_per_row": round(1000 * elapsed / rows, 3),
        "per_class": {
            cls: {
                **c,
                "exact_rate": round(c["exact"] / c["rows"], 3),
                "tolerant_rate": round(c["tolerant"] / c["rows"], 3),
            }
            for cls, c in sorted(per_class.items())
        },
        "failures": failures[:show],
    }


BULLETIN_DIRS = (
    DATA / "bulletins",
    REPO / "bench" / "data" / "bulletins_train",
    REPO / "bench" / "data" / "bulletins_heldout",
    REPO / "bench" / "data" / "bulletins_test",
)


def bulletin_lines() -> list[str]:
    """Bulletin-length lines: the distinct non-empty lines of the development, training, held-out and test drafts."""
    lines: dict[str, None] = {}
    for folder in BULLETIN_DIRS:
        for path in sorted(folder.glob("*.json")):
            body = json.loads(path.read_text(encoding="utf-8"))["body"]
            lines.update(dict.fromkeys(line for line in body.splitlines() if line.strip()))
    return list(lines)


def forget_readings() -> None:
    """Empty the normalizer's memos of readings, so the next pass reads every number and syllable anew."""
    from nlp.normalize_common import read_written_number
    from nlp.normalize_web import is_vietnamese_syllable
    from nlp.numbers import read_number

    for memo in (read_number, read_written_number, is_vietnamese_syllable):
        memo.cache_clear()


def _timed_pass(normalize: Normalizer, lines: list[str]) -> float:
    cpu_start = time.process_time()
    for line in lines:
        normalize(line)
    return len(lines) / (time.process_time() - cpu_start)


def lines_per_second(normalize: Normalizer, lines: list[str], repeats: int) -> dict[str, object]:
    """Throughput on distinct bulletin lines in this process: median over ``repeats`` timed passes after a warm-up.

    Each pass normalizes every line once, with the memos of readings emptied before it (outside the timing),
    and is timed with ``time.process_time`` (CPU time of this single-threaded process; processes sharing
    the machine still slow it through shared caches, so the load average is printed beside it).
    ``warm_repeat_lines_per_second`` times the same passes with the memos kept from the pass before.
    """
    for line in lines:
        normalize(line)
    rates, warm_rates = [], []
    for _ in range(max(1, repeats)):
        forget_readings()
        rates.append(_timed_pass(normalize, lines))
        warm_rates.append(_timed_pass(normalize, lines))
    chars = sum(map(len, lines))
    median = statistics.median(rates)
    return {
        "lines": len(lines),
        "mean_line_chars": round(chars / len(lines), 1),
        "repeats": len(rates),
        "lines_per_second": round(median, 1),
        "chars_per_second": round(median * chars / len(lines)),
        "lines_per_second_min_max": [round(min(rates), 1), round(max(rates), 1)],
        "warm_repeat_lines_per_second": round(statistics.median(warm_rates), 1),
        "clock": "time.process_time, one core, median of the passes after one warm-up pass, memos emptied before each",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--failures", type=int, default=100, help="failing rows to show per normalizer and set"
    )
    parser.add_argument(
        "--repeats", type=int, default=15, help="timed passes over the bulletin lines (median reported)"
    )
    parser.add_argument("--set", action="append", choices=list(SETS), help="score only these sets")
    parser.add_argument(
        "--nemo", action="store_true", help="also run NeMo-text-processing on nemo_vi and heldout"
    )
    parser.add_argument("--compare", action="store_true", help="also run the offline PyPI normalizers")
    parser.add_argument(
        "--held-out", action="store_true", help="kept for older commands: every set is scored"
    )
    args = parser.parse_args()
    sets = {name: SETS[name]() for name in (args.set or SETS)}
    report: dict[str, object] = {"sets": {name: len(cases) for name, cases in sets.items()}}
    bantin = bantin_normalizer()
    report["bantin"] = {name: score(bantin, cases, args.failures) for name, cases in sets.items()}
    if args.nemo:
        report["nemo_text_processing"] = _score_other(
            nemo_normalizer, {k: v for k, v in sets.items() if k in {"nemo_vi", "heldout"}}, args.failures
        )
    if args.compare:
        chosen = {k: v for k, v in sets.items() if k in {"dev", "heldout"}}
        report["compare"] = {
            name: {"notes": notes, **_score_other(factory, chosen, args.failures)}
            for name, (factory, notes) in COMPETITORS.items()
        }
    report["bantin_throughput"] = lines_per_second(bantin, bulletin_lines(), args.repeats)
    print(json.dumps(report, ensure_ascii=False, indent=1))


def _score_other(
    factory: Callable[[], Normalizer], sets: dict[str, list[Case]], show: int
) -> dict[str, object]:
    """Score another normalizer, or say why it cannot run here."""
    cwd = os.getcwd()
    try:
        normalize = factory()
    except ImportError as exc:
        return {"installed": False, "error": f"not installed ({exc.name or exc})"}
    try:
        return {"installed": True, **{name: score(normalize, cases, show) for name, cases in sets.items()}}
    finally:
        os.chdir(cwd)


if __name__ == "__main__":
    main()
