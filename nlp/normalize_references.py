"""Rules for references read aloud: web and e-mail addresses, legal document numbers, roads, phones."""

from __future__ import annotations

import re

from nlp.normalize_common import DIGIT_SCAN, Context, may_hold_words, spaced, sub_where, words_before
from nlp.normalize_web import (
    EMAIL,
    LETTER_NAMES,
    TOP_LEVEL_DOMAIN,
    URL,
    read_email,
    read_url,
    spell_letters,
)
from nlp.numbers import read_digits, read_number

# --- addresses ----------------------------------------------------------------------------------


def rule_addresses(line: str, _: Context) -> str:
    """E-mail and web addresses."""
    if "." not in line:
        return line  # every address has a dot before its domain
    if "@" in line:
        line = EMAIL.sub(lambda m: spaced(read_email(m.group())), line)
    if not TOP_LEVEL_DOMAIN.search(line):
        return line
    return URL.sub(lambda m: spaced(read_url(m.group())), line)


# --- legal documents ----------------------------------------------------------------------------

_DOC_NUMBER = re.compile(
    r"(?<![\w/])(?:(?P<so>[Ss]ố)\s*)?(?P<n>\d+)(?P<suffix>[a-z]?)(?:/(?P<y>(?:19|20)\d{2}))?"
    r"/(?P<codes>[A-ZĐ][A-Za-zĐđ&]*\d*(?:-[A-ZĐ][A-Za-zĐđ&]*\d*)*)(?![\w/-])"
)


# The capital is looked for first (the engine skips to it), then what comes before it.
_DOC_CODE = re.compile(
    r"(?P<type>[A-ZĐ](?<![\w/-][A-ZĐ])[A-Za-zĐđ]*)-(?P<issuer>[A-ZĐ][A-Za-zĐđ&]*\d*)(?![\w/-])"
)


# Quick tests: every document number has a code after a slash, every type-issuer code one after a dash.
_CODE_AFTER_SLASH = re.compile(r"/[A-ZĐ]")
_CODE_AFTER_DASH = re.compile(r"-[A-ZĐ]")


def rule_legal_numbers(line: str, context: Context) -> str:
    """Quyết định số 135/QĐ-TTg -> quyết định số một trăm ba mươi lăm của thủ tướng chính phủ."""
    if "/" in line and _CODE_AFTER_SLASH.search(line):
        line = _DOC_NUMBER.sub(lambda m: _read_doc_number(m, context), line)
        line = _PARTY_DOC_NUMBER.sub(lambda m: _read_party_doc_number(m, context), line)
    if "-" not in line or not _CODE_AFTER_DASH.search(line):
        return line
    return _DOC_CODE.sub(lambda m: _read_doc_code(m, context), line)


def _read_doc_code(match: re.Match[str], context: Context) -> str:
    """A type and issuer code without a number ("QĐ-TTg") when both are known codes."""
    doc_type = context.doc_types.get(match["type"])
    issuer = match["issuer"]
    known_issuer = issuer in context.issuers or re.sub(r"\d+$", "", issuer) in context.issuers
    if not doc_type or not known_issuer:
        return match.group()
    return spaced(f"{doc_type} của {read_issuer(issuer, context)}")


# Party documents put the type after the number: "Nghị quyết 57-NQ/TW", "Kết luận số 127-KL/TW".
_PARTY_DOC_NUMBER = re.compile(
    r"(?<![\w/])(?:(?P<so>[Ss]ố)\s*)?(?P<n>\d+)-(?P<type>[A-ZĐ][A-Za-zĐđ]*)/(?P<issuer>[A-ZĐ][A-Za-zĐđ&]*\d*)(?![\w/-])"
)


def _read_party_doc_number(match: re.Match[str], context: Context) -> str:
    doc_type = context.doc_types.get(match["type"])
    if not doc_type:
        return match.group()
    prefix = "" if words_before(match, 4).endswith(doc_type) else f"{doc_type} "
    spoken = f"{prefix}số {read_number(match['n'])}"
    if not _ISSUER_FOLLOWS.match(match.string[match.end() :].lstrip().lower()):
        spoken += f" của {read_issuer(match['issuer'], context)}"
    return spaced(spoken)


# The text names the issuer itself right after the number (optionally after the date).
_ISSUER_FOLLOWS = re.compile(r"(?:ngày\s+\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*,?\s*)?của\b")


def _read_doc_number(match: re.Match[str], context: Context) -> str:
    codes = match["codes"].split("-")
    if sum(ch.isupper() for ch in match["codes"]) < 2:
        return match.group()
    doc_type = context.doc_types.get(codes[0])
    issuer_codes = codes[1:] if doc_type else codes[:1]
    if codes[0] == "TTLT":
        issuers = " và ".join(read_issuer(c, context) for c in issuer_codes)
    else:
        issuers = read_issuer(issuer_codes[0], context) if issuer_codes else ""
    before = words_before(match, 4)
    prefix = f"{doc_type} " if doc_type and not before.endswith(doc_type) else ""
    spoken = f"{prefix}số {read_number(match['n'])}"
    if match["suffix"]:
        spoken += f" {LETTER_NAMES.get(match['suffix'], match['suffix'])}"
    if match["y"]:
        spoken += f" năm {read_number(match['y'])}"
    after = match.string[match.end() :].lstrip().lower()
    if issuers and not _ISSUER_FOLLOWS.match(after):
        spoken += f" của {issuers}"
    return spaced(spoken)


def read_issuer(code: str, context: Context) -> str:
    """An issuer code: table, then "QH13" as "quốc hội khóa mười ba", then abbreviations, then spelled."""
    if code in context.issuers:
        return context.issuers[code]
    term = re.fullmatch(r"(.+?)(\d+)", code)
    if term and term[1] in context.issuers:
        return f"{context.issuers[term[1]]} khóa {read_number(term[2])}"
    if code in context.abbreviations:
        return context.abbreviations[code]
    return spell_letters(code)


# --- roads --------------------------------------------------------------------------------------

_ROAD_MARKER = re.compile(
    r"(?<![\w.,/])(?<![\d,.]\s)(?!km[23](?!\d))[Kk][Mm]\s?(?P<a>\d+)(?:\s?\+\s?(?P<b>\d+))?(?![\d,]|\.\d)"
)
_ROADS = {"QL": "quốc lộ", "TL": "tỉnh lộ", "ĐT": "đường tỉnh", "HL": "hương lộ", "ĐH": "đường huyện",
          "ĐX": "đường xã", "CT": "đường cao tốc", "ĐCT": "đường cao tốc"}  # fmt: skip
_ROAD_PREFIXES = ("QL", "TL", "ĐT", "HL", "ĐH", "ĐX", "CT")  # ĐCT holds CT
_ROAD_HINT = re.compile(r"(?:QL|TL|ĐT|HL|ĐH|ĐX|CT)\s?\.?\s?[1-9]")
_ROAD_MARKER_HINT = re.compile(r"[Kk][Mm]\s?\d")
_ROAD = re.compile(
    r"(?<![\w.])(?P<p>QL|TL|ĐT|HL|ĐCT|ĐH|ĐX|CT)(?P<sep>\s?\.\s?|\s?)(?P<n>[1-9]\d*)(?P<s>[A-Z]?)(?![\w])"
)


def rule_roads(line: str, _: Context) -> str:
    """Road markers (Km 18+500) and road numbers (QL1A, ĐT.571)."""
    # Substring tests first, the hint patterns only when they pass.
    if ("km" in line or "Km" in line or "KM" in line or "kM" in line) and _ROAD_MARKER_HINT.search(line):
        line = _ROAD_MARKER.sub(_read_marker, line)
    if not _may_hold_road_prefix(line):
        return line
    return _ROAD.sub(_read_road, line) if _ROAD_HINT.search(line) else line


def _may_hold_road_prefix(line: str) -> bool:
    """``any(prefix in line for prefix in _ROAD_PREFIXES)``, each prefix looked for only when its second letter is there."""
    return (
        ("L" in line and ("QL" in line or "TL" in line or "HL" in line))
        or ("Đ" in line and ("ĐT" in line or "ĐH" in line or "ĐX" in line))
        or ("T" in line and "CT" in line)
    )


def _read_marker(match: re.Match[str]) -> str:
    spoken = f"ki lô mét {read_number(match['a'])}"
    return spaced(spoken + (f" cộng {read_number(match['b'])}" if match["b"] else ""))


def _read_road(match: re.Match[str]) -> str:
    if match["p"] in {"ĐH", "ĐX", "CT"} and "." not in match["sep"]:
        return match.group()
    spoken = f"{_ROADS[match['p']]} {read_number(match['n'])}"
    return spaced(spoken + (f" {LETTER_NAMES[match['s'].lower()]}" if match["s"] else ""))


# --- phone numbers ------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w.,+/-])(?!(?:0?[1-9]|[12]\d|3[01])([/.-])(?:0?[1-9]|1[0-2])\1(?:19|20)\d\d(?!\d))(?P<num>(?:\+84[ .-]?|0|\(0\d{1,3}\)\s?\d|\(\+84\)\s?)\d{0,4}(?:[ .-]?\d{2,4}){1,4})"
    r"(?![\w/]|[.,]\d)"
)
# Where _PHONE can match: "+", "0" or "(" not after a word, a number or a joining mark.
_PHONE_START = re.compile(r"[+0(](?<![\w.,+/-].)")
_HOTLINE = re.compile(r"(?<![\w.,/-])(?P<num>1[89]00[ .]?\d{2,4}(?:[ .]?\d{2,4})?)(?![\w/]|[.,]\d)")
_PHONE_WORDS = (
    "gọi", "quay số", "bấm số", "nhắn tin", "điện thoại", "đường dây nóng", "hotline", "tổng đài", "sđt", "đt", "fax",
    "số máy",
)  # fmt: skip
_PHONE_CONTEXT = re.compile(
    rf"(?P<ctx>(?i:\b(?:{'|'.join(_PHONE_WORDS)}))"
    r"(?:\s*(?:số|:|là|tới|đến|cho|ngay|theo|qua|miễn phí|cấp cứu|cứu hỏa|cứu hộ|cứu nạn|công an|cảnh sát)\b)*\s*:?\s*)"
    r"(?P<num>\d{3,}(?:[ .]\d{2,4})*(?:\s*(?:,|hoặc|và)\s*\d{3,}(?:[ .]\d{2,4})*)*)(?![\w/]|[.,]\d)"
)
_CONTEXT_NUMBER = re.compile(r"\d{3,}(?:[ .]\d{2,4})*")
# Quick tests, each true of every line its pattern can change: eight digits or more with at most two
# separators between two digits (a phone number), a hotline prefix, an emergency number, three digits.
_LONG_NUMBER_HINT = re.compile(DIGIT_SCAN + r"(?:[\s.)-]{0,2}\d){7}")
_HOTLINE_HINT = re.compile(r"1[89]00")
_EMERGENCY_HINT = re.compile(r"11[1-5]")
# Not \d{3}: a pattern opening with a repeat is tried at every position.
_THREE_DIGITS = re.compile(DIGIT_SCAN + r"\d\d")


# Emergency numbers named by their service: "115 (cấp cứu)", "114 - cứu hỏa".
_EMERGENCY = re.compile(
    r"(?<![\w.,/-])(?P<num>11[1-5])(?=\s*[(:–-]?\s*(?i:cấp cứu|cứu hỏa|cứu hộ|cứu nạn|công an|cảnh sát|"
    r"phòng cháy|chữa cháy|khẩn cấp|bảo vệ trẻ em))"
)


def rule_phones(line: str, _: Context) -> str:
    """Phone and hotline numbers, read digit by digit with a pause between groups."""
    # An emergency number, a hotline and a number after a phone word all hold three digits in a row; a line
    # without them never gets them (a number is replaced by words, spaces around them).
    three = _THREE_DIGITS.search(line) is not None
    if three and _EMERGENCY_HINT.search(line):
        line = _EMERGENCY.sub(lambda m: spaced(read_digits(m["num"])), line)
    if _LONG_NUMBER_HINT.search(line):  # _read_phone_match leaves shorter numbers as they are
        line = sub_where(_PHONE_START, _PHONE, _read_phone_match, line)
    if not three:
        return line
    if _HOTLINE_HINT.search(line):
        line = _HOTLINE.sub(_read_phone_match, line)
    if not (_THREE_DIGITS.search(line) and may_hold_words(line, _PHONE_WORDS)):
        return line
    return _PHONE_CONTEXT.sub(lambda m: m["ctx"] + _CONTEXT_NUMBER.sub(_read_context_number, m["num"]), line)


def _read_context_number(match: re.Match[str]) -> str:
    return _read_phone(match.group())


def _read_phone_match(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match["num"])
    if not 8 <= len(digits) <= 12:
        return match.group()
    return spaced(_read_phone(match["num"]))


def _read_phone(number: str) -> str:
    """Digit groups of the input joined by commas; an unbroken number is grouped 4-3-3 or 4-4-3."""
    plus = "cộng " if number.lstrip("(").startswith("+") else ""
    groups = [g for g in re.split(r"[ .()-]+", number.lstrip("(+")) if g]
    if len(groups) == 1 and len(groups[0]) >= 9:
        digits = groups[0]
        sizes = {9: (3, 3, 3), 10: (4, 3, 3), 11: (4, 4, 3)}.get(len(digits), (len(digits),))
        groups, start = [], 0
        for size in sizes:
            groups.append(digits[start : start + size])
            start += size
    return plus + ", ".join(read_digits(g) for g in groups)
