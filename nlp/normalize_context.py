"""What the neighbours of a number say it is: a date, a date used as a name, a lunar date, a share or a count.

"3/2" is a date after "sáng" ("sáng ngày ba tháng hai"), a street after "đường" ("đường ba tháng hai"),
a share before "số hộ" ("ba phần hai" for 2/3) and a count before "thôn" ("ba trên hai"). Where
nothing around it decides, the rules read a date: in bulletins, dates far outnumber fractions.
"""

from __future__ import annotations

import re

from nlp.normalize_common import words_before

# Words right before a number that make it a day of the month.
DAY_WORDS = (
    "ngày", "mùng", "mồng", "sáng", "trưa", "chiều", "tối", "đêm", "hôm", "từ", "đến", "tới", "và",
    "trước", "sau", "hạn", "rạng",
)  # fmt: skip
_DAY_PARTS = ("sáng", "trưa", "chiều", "tối", "đêm", "hôm", "rạng sáng", "ngày")
# Words (lower case) a date follows when it is part of a name: "đường 30/4", "Bệnh viện 19-8".
_NAME_HEADS = (
    "đường", "phố", "trường", "chợ", "cầu", "công viên", "quảng trường", "sân vận động", "bệnh viện",
    "công ty", "nhà máy", "phong trào", "quốc khánh", "chiến thắng", "khu phố", "mầm non", "tiểu học",
    "thcs", "thpt", "nhà văn hóa", "xí nghiệp", "nông trường", "lâm trường", "khu tập thể", "cụm",
)  # fmt: skip
# A verb right before the number makes it when something happens ("thông báo 15/12"), not a name.
_VERBS_BEFORE_A_DATE = (
    "thông báo", "tổ chức", "diễn ra", "khai mạc", "bế mạc", "bắt đầu", "kết thúc", "họp", "hết hạn", "hoàn thành",
    "ban hành", "ký", "hiệu lực", "tiếp nhận", "phát động", "ra quân",
)  # fmt: skip
_WEEKDAY_BEFORE = re.compile(
    r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|\d)|chủ\s+nhật|cn|t[2-7])\s*$", re.IGNORECASE
)
_CLAUSE_START = re.compile(r"[.,;:!?()\[\]\"“”–]|\s-\s|^")
_CAPITALISED = re.compile(r"[A-ZÀ-ÞĐĂÂÊÔƠƯẠ-Ỹ]")
# A holiday or festival name: "Ngày Thương binh Liệt sĩ", "Ngày hội Đại đoàn kết", "Lễ Vu Lan", "Tết Độc lập".
_HOLIDAY = re.compile(r"(?i:ngày|lễ|tết)(?: hội)? [A-ZĐ]")
_LUNAR_AFTER = re.compile(r"\s*\(?\s*(?:âm lịch|ÂL\b|al\b)", re.IGNORECASE)
_SHARE_CUES = (
    "khoảng", "gần", "hơn", "trên", "dưới", "chiếm", "đạt", "còn", "mất", "bằng", "tới", "ước", "chỉ",
    "giảm", "tăng", "hỗ trợ", "miễn",
)  # fmt: skip
# Nouns after a number that make it a share of a whole: "1/3 diện tích", "1/2 chi phí".
_SHARE_NOUNS = re.compile(
    r"(?:số|tổng|diện tích|dân số|chi phí|kinh phí|giá|mức|lượng|sản lượng|quãng đường|học phí|khối lượng|"
    r"công suất|vốn|ngân sách|thời gian|quỹ|phần|trị giá|giá trị)\b"
)
# Counted nouns after a number: "4/5 thôn đạt chuẩn" is four of five villages.
_COUNTED = re.compile(
    r"(?:thôn|xã|phường|hộ|người|trường|đơn vị|huyện|tỉnh|bản|ấp|buôn|tổ(?! chức)|lớp|học sinh|em|cháu|ca|"
    r"con|chỉ tiêu|tiêu chí|cơ quan|doanh nghiệp|hợp tác xã|thành viên|khu|điểm|xóm|làng|cụm|trạm|đội)\b"
)


def clause_before(match: re.Match[str]) -> tuple[str, str]:
    """The text between the last pause mark (or the line start) and the match, and that mark."""
    before = match.string[: match.start()]
    marks = list(_CLAUSE_START.finditer(before))
    last = marks[-1] if marks else None
    return before[last.end() if last else 0 :], (last.group().strip() if last else "")


def after_match(match: re.Match[str]) -> str:
    """The text after the match, lower case, leading spaces removed."""
    return match.string[match.end() :].lstrip().lower()


def after_day_word(match: re.Match[str]) -> bool:
    """Right after a day word ("sáng", "từ", "ngày") or a weekday ("thứ Hai", "CN")."""
    return (
        words_before(match, 1).endswith(DAY_WORDS)
        or _WEEKDAY_BEFORE.search(clause_before(match)[0]) is not None
    )


def follows_a_name_head(match: re.Match[str]) -> bool:
    """Right after a street, school, hospital or holiday word: "đường 3/2", "Bệnh viện 19-8"."""
    return words_before(match, 3).endswith(_NAME_HEADS)


def names_a_place_or_event(match: re.Match[str]) -> bool:
    """A date that is part of a name: after a street, school or holiday word, or within a capitalised name."""
    if after_day_word(match) or words_before(match, 2).endswith(_VERBS_BEFORE_A_DATE):
        return False
    if follows_a_name_head(match):
        return True
    clause, mark = clause_before(match)
    if _HOLIDAY.search(clause):
        return True  # "Ngày hội Đại đoàn kết toàn dân tộc 18/11"
    words = clause.split()
    first = 1 if mark in {"", ".", "!", "?", ":"} else 0  # a sentence's first word is capitalised anyway
    return any(_CAPITALISED.match(w) for w in words[max(first, len(words) - 4) :])


def dashed_date_context(match: re.Match[str]) -> bool:
    """ "chiều 14-11", "Bệnh viện 19-8": a day-month with a dash is a date only after a part of the day or a name head."""
    before = words_before(match, 3)
    return before.endswith(_DAY_PARTS) or before.endswith(_NAME_HEADS)


def is_lunar(match: re.Match[str]) -> bool:
    """The date is followed by "âm lịch" or "ÂL"."""
    return _LUNAR_AFTER.match(match.string, match.end()) is not None


def is_share(match: re.Match[str]) -> bool:
    """A share of a whole ("một phần ba"): a share cue before, a ratio named in the clause, or a whole after."""
    if words_before(match, 2).endswith(_SHARE_CUES) or "tỷ lệ" in clause_before(match)[0].lower():
        return True
    return _SHARE_NOUNS.match(after_match(match)) is not None and not after_day_word(match)


def counts_items(match: re.Match[str]) -> bool:
    """ "4/5 thôn": a count of items out of a total."""
    return _COUNTED.match(after_match(match)) is not None and not after_day_word(match)
