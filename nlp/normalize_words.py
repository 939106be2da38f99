"""Rules for words: codes, abbreviations, symbols, leftover digits and the final tidy-up."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from nlp.normalize_common import Context, spaced, sub_where
from nlp.normalize_data import packaged_mapping
from nlp.normalize_references import read_issuer
from nlp.normalize_web import (
    is_vietnamese_syllable,
    spell_letters,
)
from nlp.numbers import DIGITS, read_digits, read_number

# --- codes and abbreviations --------------------------------------------------------------------

_CODE = re.compile(r"(?<![\w.-])(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[^\W_]+(?:-[^\W_]+)*(?![\w-])")


def rule_codes(line: str, context: Context) -> str:
    """Tokens mixing letters and digits: H5N1, Covid-19, QL1A, U23, 4G, F0."""
    return _CODE.sub(lambda m: spaced(_read_code(m.group(), context)), line)


def _read_code(code: str, context: Context) -> str:
    runs = re.findall(r"\d+|[^\W\d_]+", code)
    return " ".join(_read_code_run(run, context) for run in runs)


def _read_code_run(run: str, context: Context) -> str:
    if run.isdigit():
        if not run.isascii():
            return " ".join(_digit_word(ch) for ch in run)
        return read_digits(run) if run.startswith("0") and len(run) > 1 else read_number(run)
    web_words = packaged_mapping("norm_web_words.tsv")
    if run.lower() in web_words:
        return web_words[run.lower()]
    if run in context.abbreviations:
        return context.abbreviations[run]
    if not run.isalpha():
        return " ".join(_digit_word(ch) if ch.isdigit() else ch for ch in run)
    if len(run) == 1 or run.isupper() or not is_vietnamese_syllable(run):
        return spell_letters(run)
    return run


_DOTTED_INITIALS = re.compile(r"[A-ZĐ]\.")
# A word of two letters or more starting with a capital; the capital is read first (the quickest scan), then
# checked to be a letter with no word character or "&" before it.
# A word whose second letter is lower case (most capitalised words: "Bình", "Ủy") is not all upper case and
# _read_capitals keeps it as written: such words are passed over by the engine, with no Python call.
_LOWER = "".join(ch for ch in map(chr, [*range(0x250), *range(0x1E00, 0x1F00)]) if ch.islower())
# The upper-case letters of Ạ-Ỹ only: a match starting at a lower-case one ("ạBC") is never all upper case,
# so _read_capitals keeps it, and it cannot hide another match (each starts a word).
_UPPER_VIETNAMESE = "".join(ch for ch in map(chr, range(0x1EA0, 0x1EF9)) if not ch.islower())
_CAPS = re.compile(
    rf"[A-ZÀ-ÞĐĂÂÊÔƠƯ{_UPPER_VIETNAMESE}](?<=(?<![\w&])[^\W\d_])(?![{re.escape(_LOWER)}])[^\W\d_]+(?![\w&])"
)


def rule_abbreviations(line: str, context: Context) -> str:
    """Abbreviations from the table (joined by "và" when hyphenated), unknown capitals spelled."""
    line = sub_where(
        _abbreviation_start(line, context),
        context.abbreviation_pattern,
        lambda m: _read_abbreviation(m, context),
        line,
    )
    return _CAPS.sub(lambda m: _read_capitals(m, context), line)


def _abbreviation_start(line: str, context: Context) -> re.Pattern[str]:
    """Where abbreviations can start in ``line``: at "(" and capitals only, unless a key not starting with a
    capital ("tr.", "v.v.", "đ/c") is in the line (its first letter is common and would stop the engine often)."""
    for key, rare in context.lower_keys:
        if rare in line and key in line:
            return context.abbreviation_start
    return context.abbreviation_start_upper


def _read_abbreviation(match: re.Match[str], context: Context) -> str:
    abbr = match["abbr"]
    following = match.string[match.end() :].lstrip()[:1]
    if _DOTTED_INITIALS.fullmatch(abbr) and not (following.isupper() or following.isdigit()):
        return match.group()  # "P." is "phường" only before a name or a number
    parts = _split_abbreviation(abbr, context)
    if len(parts) == 2 and parts[0] in context.doc_types:
        spoken = f"{context.doc_types[parts[0]]} của {read_issuer(parts[1], context)}"
    else:
        spoken = " và ".join(context.abbreviations[p] for p in parts)
    if _starts_sentence(match) and spoken:
        spoken = spoken[0].upper() + spoken[1:]
    if match["open"] and match["close"]:
        # "Trung tâm Y tế huyện (TTYT)": the expansion was just read, a word or two before
        recent = " ".join(match.string[: match.start()].lower().split()[-len(spoken.split()) - 2 :])
        if spoken.lower() in recent:
            return ""
        return f"({spoken})"
    glued = abbr.endswith(".") and match.string[match.end() : match.end() + 1].isalpha()
    return (match["open"] or "") + spoken + (match["close"] or "") + (" " if glued else "")


def _starts_sentence(match: re.Match[str]) -> bool:
    """True at the start of a line or after sentence-final punctuation."""
    before = match.string[: match.start()].rstrip()
    return not before or before[-1] in ".!?:"


def _split_abbreviation(abbr: str, context: Context) -> list[str]:
    """Split "PCTT-TKCN" into table keys, the whole token first if it is a key."""
    if abbr in context.abbreviations:
        return [abbr]
    parts: list[str] = []
    rest = abbr
    while rest:
        key = next(
            (
                k
                for k in _keys_by_length(context)
                if rest.startswith(k) and rest[len(k) : len(k) + 1] in {"", "-"}
            ),
            None,
        )
        if key is None:
            return [abbr] if abbr in context.abbreviations else parts or [abbr]
        parts.append(key)
        rest = rest[len(key) + 1 :]
    return parts


def _keys_by_length(context: Context) -> list[str]:
    return _longest_keys_first(tuple(context.abbreviations))


@cache
def _longest_keys_first(keys: tuple[str, ...]) -> list[str]:
    return sorted(keys, key=len, reverse=True)


# A capitalised name that can be read as syllables ("YAGI", "RAGASA") is a word, not an initialism.
_PRONOUNCEABLE = re.compile(r"(?:[BCDFGHJKLMNPQRSTVWXZ]{0,2}[AEIOUY]{1,2}[BCDFGHJKLMNPQRSTVXZ]?)+")


def _read_capitals(match: re.Match[str], context: Context) -> str:
    """An upper-case word: kept when Vietnamese, a unit after a number or a pronounceable name; else spelled."""
    word = match.group()
    if not word.isupper() or is_vietnamese_syllable(word):
        return word
    if word in context.units and match.string[: match.start()].rstrip()[-1:].isdigit():
        return word  # "30 MW": the quantity rule reads the unit
    if len(word) >= 4 and _PRONOUNCEABLE.fullmatch(word):
        return word
    web_words = packaged_mapping("norm_web_words.tsv")
    return web_words.get(word.lower(), spell_letters(word))


# --- symbols and tidy-up ----------------------------------------------------------------------

_SYMBOLS = {
    "&": " và ", "+": " cộng ", "=": " bằng ", "@": " a còng ", "#": " số ", "~": " khoảng ",
    "≈": " khoảng ", "≥": " lớn hơn hoặc bằng ", "≤": " nhỏ hơn hoặc bằng ", ">": " lớn hơn ",
    "<": " nhỏ hơn ", "±": " cộng trừ ", "×": " nhân ", "÷": " chia ", "°": " độ ", "%": " phần trăm ",
    "‰": " phần nghìn ", "$": " đô la ", "€": " ơ rô ", "²": " vuông ", "³": " khối ", "№": " số ",
    "½": " một phần hai ", "⅓": " một phần ba ", "¼": " một phần tư ", "¾": " ba phần tư ", "⅔": " hai phần ba ",
    "→": " sang ", "⇒": " sang ", "©": " ", "®": " ", "™": " ",
}  # fmt: skip


_BULLET = re.compile(r"^\s*[-*•·+]+\)?\s*")
_SYMBOL_CHARS = re.compile("[" + re.escape("".join(_SYMBOLS)) + "]")
_DASH_PAUSE = re.compile(r"\s+-+\s+|\s*-{2,}\s*")
_BRACKETS = re.compile(r"[()\[\]{}]")
_SLASH_BETWEEN_WORDS = re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_MARK_CHARS = "\"'*•·_|\\^`/-"
_MARKS = re.compile(f"[{re.escape(_MARK_CHARS)}]")
# Any character rule_symbols rewrites or removes: a bullet, a symbol, a bracket, a dash, a slash or a mark.
_SYMBOL_OR_MARK = re.compile(
    "[" + re.escape("".join(sorted({*"".join(_SYMBOLS), *"()[]{}-*•·+", *_MARK_CHARS}))) + "]"
)


def rule_symbols(line: str, _: Context) -> str:
    """Symbols read as words; brackets become pauses; quotes, bullets and stray marks go."""
    if not _SYMBOL_OR_MARK.search(line):  # one scan for the steps below, most lines need none of them
        return re.sub(r"\bv\.v\.?", "vân vân", line) if "v.v" in line else line
    line = _BULLET.sub("", line)
    if "v.v" in line:
        line = re.sub(r"\bv\.v\.?", "vân vân", line)
    if _SYMBOL_CHARS.search(line):
        for symbol, spoken in _SYMBOLS.items():
            if symbol in line:
                line = line.replace(symbol, spoken)
    if "-" in line:
        line = _DASH_PAUSE.sub(", ", line)
    if "(" in line or ")" in line or "[" in line or "]" in line or "{" in line or "}" in line:
        line = _BRACKETS.sub(", ", line)
    if "/" in line:
        line = _SLASH_BETWEEN_WORDS.sub(", ", line)  # "xã/phường", "215 hộ/768 khẩu": a pause
    if "'" in line:
        line = _APOSTROPHE.sub("\x00", line)
        return _MARKS.sub(" ", line).replace("\x00", "'")
    return _MARKS.sub(" ", line) if _MARKS.search(line) else line


def rule_digits_left(line: str, _: Context) -> str:
    """Any digit still present (another script's digits, superscripts) read one by one."""
    if not _digit_or_beyond_bmp().search(line) or not any(ch.isdigit() for ch in set(line)):
        return line
    return "".join(spaced(_digit_word(ch)) if ch.isdigit() else ch for ch in line)


@cache
def _digit_or_beyond_bmp() -> re.Pattern[str]:
    """Any digit of the Basic Multilingual Plane or any character beyond it: a quick test before reading digits."""
    digits = "".join(ch for ch in map(chr, range(0x10000)) if ch.isdigit())
    return re.compile(f"[{re.escape(digits)}\U00010000-\U0010ffff]")


def _digit_word(ch: str) -> str:
    try:
        return DIGITS[unicodedata.digit(ch)]
    except (ValueError, IndexError):
        return ""


# Replaced by nothing (no group to copy back, so no Python call per match); after _single_spaces the
# only whitespace is " ".
_SPACE_RUN = re.compile(r"\s+")
_DOUBLED_COMMAS = re.compile(r",(?:\s*,)+")
_TWO_DOTS = re.compile(r"(?<!\.)\.\.(?!\.)")
_COMMA_BEFORE_MARK = re.compile(r",\s*(?=[.;:!?])")
_MARK_BEFORE_LETTER = re.compile(r"[.,;:!?](?=[^\W\d_])")
_LEADING_PAUSES = re.compile(r"^[\s,;:]+")
# True of every line one of the four above changes: a comma before another mark ("," "." after spaces),
# two dots, a mark right before a letter.
_PAUSE_HINT = re.compile(r"[.,;:!?](?:[^\W\d_]|(?<=,)\s*[,.;:!?]|(?<=\.)\.)")
_SPACED_MARKS = tuple((mark, " " + mark) for mark in ".,;:!?")


def rule_tidy(line: str, _: Context) -> str:
    """Spacing and pause punctuation: one space, no space before . , ; : ! ?, no doubled commas."""
    line = _single_spaces(line)
    # No space before a pause; spaces are single, so one replace per mark is enough (the mark looked for first).
    for mark, spaced_mark in _SPACED_MARKS:
        if mark in line:
            line = line.replace(spaced_mark, mark)
    if _PAUSE_HINT.search(line):  # one scan for the four patterns below, most lines need none of them
        line = _DOUBLED_COMMAS.sub(",", line)
        if ".." in line:
            line = _TWO_DOTS.sub(".", line)
        line = _COMMA_BEFORE_MARK.sub("", line)
        line = _MARK_BEFORE_LETTER.sub(lambda m: m.group() + " ", line)  # a function: no template to parse
    return _strip_trailing_pauses(_LEADING_PAUSES.sub("", line)).strip()  # a closing bracket leaves no pause


def _single_spaces(line: str) -> str:
    """Every run of whitespace as one space, ends included (``re.sub(r"\\s+", " ", line)``, faster)."""
    if not line.isprintable():  # every whitespace character but " " is unprintable
        return _SPACE_RUN.sub(" ", line)
    while "  " in line:
        line = line.replace("  ", " ")
    return line


def _strip_trailing_pauses(line: str) -> str:
    """The line without the commas and spaces it ends with."""
    end = len(line)
    while end and (line[end - 1] == "," or line[end - 1].isspace()):
        end -= 1
    return line[:end]
