"""Properties that hold for any text: the normalizer never raises and never leaves a digit."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.clean import clean_text
from nlp.normalize import ascii_digits, default_context, normalize_for_speech, normalize_line

# Text built from pieces the rules look at, so the search reaches them quickly.
PIECES = st.sampled_from(
    [
        "1.500", "12,5", "-3", "0987 654 321", "15/12/2025", "3/9", "1-2/10", "14h30", "17:45", "6h-8h", "%",
        "°C", "km/h", "đồng/kg", "m³/s", "QĐ-TTg", "135/", "/2016/NĐ-CP", "UBND", "TP.", "P.", "Q.", " ", "\n",
        "\n\n", "-", "/", ".", ",", "(", ")", "quý IV", "khóa XV", "thứ 4", "Km 18+500", "QL1A", "H5N1",
        "Covid-19", "a@b.vn", "www.x.gov.vn", "²", "٣", "１２", "<p>", "&amp;", "hoà", "…", "+84", "1900",
    ]
)  # fmt: skip
MIXED_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=14).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), MIXED_TEXT))
def test_normalize_never_raises_and_never_outputs_a_digit(text: str) -> None:
    for line in ascii_digits(clean_text(text)).split("\n"):
        normalize_line(line, default_context(), strict=True)  # no rule fails, even where it would be skipped
    spoken = normalize_for_speech(text)
    assert isinstance(spoken, str)
    assert not any(ch.isdigit() for ch in spoken), spoken


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=120), MIXED_TEXT))
def test_clean_text_never_raises_and_is_stable(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert "\n\n\n" not in cleaned
