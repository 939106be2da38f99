"""Unicode and markup cleanup of Vietnamese drafts, before any other text processing.

Conventions for the whole system:

- Unicode NFC; decomposed input (NFD, combining tone marks typed separately) is recomposed.
- Tone marks in the traditional ("old") placement that the project's data and the provincial plans
  use: in an open syllable ending in ``oa``, ``oe`` or ``uy`` the mark sits on the first vowel
  ("hòa", "khỏe", "thủy", "ủy"), so "hoà"/"thuỷ"/"uỷ" become "hòa"/"thủy"/"ủy". Closed syllables
  ("hoàn", "khoắt") and ``qu``/``gi`` onsets ("quý") are left alone: both styles agree there.
- Icelandic eth "Ð" typed for "Đ" is repaired.
- HTML tags are stripped (``<script>``/``<style>`` with their content); block tags (``p``, ``div``,
  headings, lists, tables) become paragraph breaks, ``<br>``/``<li>``/``<tr>`` line breaks; entities
  are unescaped.
- Control and invisible format characters are removed (newlines kept, tabs become spaces).
- Emoji and pictographs (U+1F000-U+1FAFF, U+2600-U+27BF, skin tones, variation selectors, ZWJ)
  are removed: bulletins are official text, LED e-boards and speech engines cannot render them.
  Symbols with a meaning for the normalizer (°, ², ³, %, €) are kept.
- Odd spaces become a plain space, curly and angle quotes become ``"`` and ``'``, all dashes and
  the minus sign become ``-``, the ellipsis character becomes ``...``, fullwidth ASCII becomes ASCII.
- Runs of spaces collapse to one, lines are stripped, single line breaks are kept and paragraphs
  are separated by exactly one blank line.
"""

from __future__ import annotations

import html
import re
import unicodedata

_DROP_BLOCKS = re.compile(r"<(script|style|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_PARAGRAPH_TAGS = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|table|section|article|header|footer|blockquote|pre|hr)\b[^>]*>", re.I
)
_LINE_TAGS = re.compile(r"<(?:br|li|tr|dt|dd)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")

_CHAR_MAP = {
    "\t": " ",
    "\u00a0": " ",
    "\u1680": " ",
    "\u202f": " ",
    "\u205f": " ",
    "\u3000": " ",
    "\u2028": "\n",
    "\u2029": "\n\n",
    "\u0085": "\n",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‹": "'",
    "›": "'",
    "`": "'",
    "´": "'",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "﹣": "-",
    "…": "...",
    "Ð": "Đ",
    "ð": "đ",
    "℃": "°C",
    "℉": "°F",
}
_CHAR_MAP.update({chr(c): " " for c in range(0x2000, 0x200B)})
_CHAR_MAP.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_TRANSLATION = str.maketrans(_CHAR_MAP)
# Any character the table maps: most lines hold none, and a search is cheaper than a translation.
_MAPPED = re.compile("[" + "".join(re.escape(ch) for ch in _CHAR_MAP) + "]")

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe00-\ufe0f\u200d\u20e3\U000e0000-\U000e007f]"
)

# Open syllables whose tone mark the new style puts on the second vowel.
_ONSET = "(?:ngh|ng|nh|ch|gh|kh|ph|th|tr|[bcdđghklmnprstvx])?"
_NEW_STYLE = re.compile(rf"(?<![^\W\d_])({_ONSET})([oOuU])([^\W\d_])(?![^\W\d_])", re.I)
_SECOND_VOWELS = {"oa": "aăâ", "oe": "e", "uy": "y"}
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _toned_second_vowels() -> str:
    """Every precomposed a, e or y (any case, any shape) with a tone mark: the letters _move_tone moves from."""
    latin = [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]  # the only blocks that hold such letters
    return "".join(
        ch
        for ch in map(chr, latin)
        if (parts := unicodedata.normalize("NFD", ch))[0].lower() in "aey" and set(parts[1:]) & set(_TONES)
    )


# A plain o or u (not after q) before such a letter ending the word ("hoà", "uỷ"): without one,
# _move_tone has nothing to move.
_NEW_STYLE_HINT = re.compile(f"[oOuU](?<![qQ].)[{_toned_second_vowels()}](?![^\\W\\d_])")


# Every emoji and every decimal digit that is not ASCII is in these ranges; the letters of Vietnamese are not.
# (Negated: the table is built from small ranges when compiled.)
_BEYOND_VIETNAMESE = re.compile("[^\\x00-\\u065f\\u1e00-\\u1eff]")


def clean_text(text: str) -> str:
    """Return ``text`` cleaned to the system's Unicode, tone-mark and whitespace conventions."""
    return clean_text_and_check(text)[0]


def clean_text_and_check(text: str) -> tuple[str, bool]:
    """``clean_text``, and False when the cleaned text surely holds no decimal digit other than ASCII."""
    if not isinstance(text, str):
        text = str(text)
    text = _strip_html(text) if "<" in text else text
    if "&" in text:
        text = html.unescape(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _MAPPED.search(text):
        text = text.translate(_TRANSLATION)
    text = unicodedata.normalize("NFC", text)
    # One scan for both: the steps below only remove characters and write letters and spaces.
    beyond = _BEYOND_VIETNAMESE.search(text) is not None
    text = _drop_unreadable(text, beyond)
    text = _old_style_tones(text)
    return _tidy_whitespace(text), beyond


def _drop_unreadable(text: str, may_hold_emoji: bool = True) -> str:
    """Remove emoji and invisible characters; a line that held only those goes entirely."""
    # Every invisible character is also unprintable: printable text (newlines aside) needs no set.
    printable = text.isprintable() or ("\n" in text and text.replace("\n", "").isprintable())
    invisible = set() if printable else {ch for ch in set(text) if ch != "\n" and _is_invisible(ch)}
    table = dict.fromkeys(map(ord, invisible))
    if not invisible and not (may_hold_emoji and _EMOJI.search(text)):
        return text
    lines = []
    for line in text.split("\n"):
        kept = _EMOJI.sub("", line).translate(table)
        if kept.strip() or not line.strip():
            lines.append(kept)
    return "\n".join(lines)


def _strip_html(text: str) -> str:
    """Remove tags, turning block tags into line and paragraph breaks."""
    if not _ANY_TAG.search(text):
        return text
    text = _DROP_BLOCKS.sub(" ", text)
    text = _PARAGRAPH_TAGS.sub("\n\n", text)
    text = _LINE_TAGS.sub("\n", text)
    return _ANY_TAG.sub("", text)


def _is_invisible(ch: str) -> bool:
    """True for control, format, surrogate and unassigned characters."""
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"}


def _old_style_tones(text: str) -> str:
    """Move the tone mark of open ``oa``/``oe``/``uy`` syllables to the first vowel."""
    if not _NEW_STYLE_HINT.search(text):
        return text
    return _NEW_STYLE.sub(_move_tone, text)


def _move_tone(match: re.Match[str]) -> str:
    onset, first, second = match.groups()
    if onset.lower() == "q":
        return match.group(0)
    decomposed = unicodedata.normalize("NFD", second)
    base, marks = decomposed[0], decomposed[1:]
    tone = "".join(m for m in marks if m in _TONES)
    if not tone or base.lower() not in _SECOND_VOWELS.get(first.lower() + base.lower(), ""):
        return match.group(0)
    shape = "".join(m for m in marks if m not in tone)
    moved_first = unicodedata.normalize("NFC", first + tone)
    moved_second = unicodedata.normalize("NFC", base + shape)
    return onset + moved_first + moved_second


_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy_whitespace(text: str) -> str:
    """Collapse spaces, strip lines and keep paragraphs apart by exactly one blank line."""
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    text = "\n".join(line.strip() for line in text.split("\n")).strip("\n")
    return _BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text
