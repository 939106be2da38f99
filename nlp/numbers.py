"""Vietnamese number reading in the project's spoken convention (nghìn, mươi, tỷ, linh, mốt, tư, lăm)."""

from __future__ import annotations

from functools import lru_cache

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu", "tỷ")
# Amounts of any realistic size are read as numbers (10**15 is "một triệu tỷ", 10**18 "một tỷ tỷ");
# past this many digits a digit string is an identifier and is read digit by digit.
MAX_CARDINAL_DIGITS = 27


def read_digits(digits: str) -> str:
    """Read a string of digits one by one: "113" -> "một một ba"."""
    return " ".join(DIGITS[int(d)] for d in digits if d in "0123456789")


def read_below_hundred(n: int) -> str:
    """Read 0-99 with the mốt/tư/lăm rules after "mươi" and "lăm" after "mười"."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return DIGITS[units]
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if units == 0:
        return head
    if units == 5:
        return f"{head} lăm"
    if tens > 1 and units == 1:
        return f"{head} mốt"
    if tens > 1 and units == 4:
        return f"{head} tư"
    return f"{head} {DIGITS[units]}"


def read_below_thousand(n: int, *, full: bool = False) -> str:
    """Read 0-999; ``full`` reads a zero hundreds digit as "không trăm" (inside a larger number)."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0 and not full:
        return read_below_hundred(rest)
    head = f"{DIGITS[hundreds]} trăm"
    if rest == 0:
        return head
    if rest < 10:
        return f"{head} linh {DIGITS[rest]}"
    return f"{head} {read_below_hundred(rest)}"


def read_integer(n: int) -> str:
    """Read a non-negative integer: 2025 -> "hai nghìn không trăm hai mươi lăm"."""
    if n < 1000:
        return read_below_thousand(n)
    billions, rest = divmod(n, 10**9)
    if billions:
        head = f"{read_integer(billions)} tỷ"
        return head if rest == 0 else f"{head} {_read_groups(rest, leading=False)}"
    return _read_groups(rest, leading=True)


def _read_groups(n: int, *, leading: bool) -> str:
    """Read 0 < n < 10**9 by groups of three; zero groups are skipped."""
    groups = [(n // 10**6) % 1000, (n // 1000) % 1000, n % 1000]
    words: list[str] = []
    for group, scale in zip(groups, ("triệu", "nghìn", ""), strict=True):
        if group == 0:
            continue
        words.append(read_below_thousand(group, full=bool(words) or not leading))
        if scale:
            words.append(scale)
    return " ".join(words)


@lru_cache(maxsize=4096)  # bulletins repeat the same days, months, years and counts
def read_number(digits: str) -> str:
    """Read an integer written as digits; leading zeros dropped, very long ones read digit by digit."""
    digits = "".join(d for d in digits if d in "0123456789")
    if not digits:
        return ""
    if len(digits) > MAX_CARDINAL_DIGITS:
        return read_digits(digits)
    return read_integer(int(digits))


def read_decimal(integer: str, fraction: str) -> str:
    """Read a decimal: the fraction as a number, digit by digit when it starts with 0."""
    head = read_number(integer) or "không"
    if not fraction:
        return head
    digit_by_digit = fraction.startswith("0") or len(fraction) > 6
    tail = read_digits(fraction) if digit_by_digit else read_number(fraction)
    return f"{head} phẩy {tail}"


def read_denominator(digits: str) -> str:
    """Read the number after "phần" in a fraction: 4 is "tư" (một phần tư), others as cardinals."""
    return "tư" if digits.lstrip("0") == "4" else read_number(digits)


def read_ordinal(digits: str) -> str:
    """Read the number after "thứ": 1 -> "nhất", 4 -> "tư", others as cardinals."""
    plain = digits.isascii() and digits.isdigit()
    value = int(digits) if plain and len(digits) <= MAX_CARDINAL_DIGITS else None
    if value == 1:
        return "nhất"
    if value == 4:
        return "tư"
    return read_number(digits)


def read_vietnamese_number(text: str) -> str:
    """Read a written number with Vietnamese separators: "1.500" (thousands), "12,5", "-3"."""
    sign = ""
    if text.startswith("-"):
        sign, text = "âm ", text[1:]
    integer, _, fraction = text.partition(",")
    return sign + read_decimal(integer.replace(".", ""), fraction)
