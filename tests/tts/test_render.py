"""Rendering text: sentence and paragraph chunks, pauses, the caller's normalizer, limits and the fingerprint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tts
from tts.config import MAX_TEXT_CHARS, SynthesisConfig
from tts.engine import AudioChunk, Voice
from tts.render import MAX_CHUNK_CHARS, speech_segments, split_long, split_sentences

A = "Chiều nay trời có mưa to."
B = "Bà con chú ý giữ an toàn."


class CountingVoice(Voice):
    """A real eSpeak voice that records every text it is asked to say."""

    def __init__(self, name: str = "espeak-vi-north") -> None:
        self.inner = tts.get_voice(name)
        self.info = self.inner.info
        self.spoken: list[str] = []

    def synthesize(self, text: str, config: SynthesisConfig) -> Iterator[AudioChunk]:
        self.spoken.append(text)
        yield from self.inner.synthesize(text, config)


def test_sentences_split_on_end_punctuation_before_a_capital_letter() -> None:
    text = "Thông báo: Ngày mai cắt điện. Bà con lưu ý! Có câu hỏi? Gọi tổ trưởng; Xin cảm ơn."
    assert split_sentences(text) == [
        "Thông báo:",
        "Ngày mai cắt điện.",
        "Bà con lưu ý!",
        "Có câu hỏi?",
        "Gọi tổ trưởng;",
        "Xin cảm ơn.",
    ]


def test_numbers_abbreviations_and_lowercase_continuations_stay_whole() -> None:
    text = "Bệnh viện Nhi đồng TP. Cần Thơ nhận 1.500 liều, tỷ lệ 35,7% tăng. vẫn tiếp tục."
    assert split_sentences(text) == [text]


def test_very_long_sentences_are_cut_at_commas_first() -> None:
    clause = "bà con thôn Đông chú ý nghe thông báo của xã về lịch tiêm phòng cho đàn gia súc"
    sentence = ", ".join([clause] * 12) + "."
    pieces = split_long(sentence)
    assert len(pieces) > 1 and all(len(p) <= MAX_CHUNK_CHARS for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])
    assert " ".join(pieces) == sentence
    unbroken = "a" * (MAX_CHUNK_CHARS * 2 + 5)
    assert [len(p) for p in split_long(unbroken)] == [MAX_CHUNK_CHARS, MAX_CHUNK_CHARS, 5]


def test_paragraph_ends_are_marked() -> None:
    segments = list(speech_segments(f"{A} {B}\n\n{A}\n   \n{B}"))
    assert segments == [(A, False), (B, True), (A, True), (B, True)]


def test_pause_between_paragraphs_is_longer_than_between_sentences() -> None:
    config = SynthesisConfig(sentence_pause_s=0.3, paragraph_pause_s=1.5)
    same_paragraph = tts.render_speech(f"{A} {B}", config=config)
    two_paragraphs = tts.render_speech(f"{A}\n\n{B}", config=config)
    assert two_paragraphs.duration_s - same_paragraph.duration_s == pytest.approx(1.2, abs=0.15)


def test_each_sentence_is_synthesized_separately_after_the_callers_normalizer() -> None:
    voice = CountingVoice()
    result = tts.render_speech(f"{A} {B}\n\n{A}", voice=voice, normalize=str.upper)
    assert voice.spoken == [A.upper(), B.upper(), A.upper()]
    assert result.chunks == 3
    assert result.voice == "espeak-vi-north" and result.engine == "espeak" and result.licence == "GPL-3.0"


def test_result_reports_timings_and_hash_of_the_mp3() -> None:
    import hashlib

    result = tts.render_speech(A)
    assert result.sha256 == hashlib.sha256(result.mp3).hexdigest()
    assert result.synthesis_seconds > 0 and result.mastering_seconds > 0
    assert result.audio_seconds > 0.5
    assert result.real_time_factor > 0


def test_empty_text_is_refused() -> None:
    for text in ["", "   \n\n  "]:
        with pytest.raises(tts.EmptySpeechText) as caught:
            tts.render_speech(text)
        assert caught.value.message_vi


def test_text_that_normalizes_to_nothing_is_refused() -> None:
    with pytest.raises(tts.EmptySpeechText):
        tts.render_speech(A, normalize=lambda sentence: "")


def test_punctuation_only_text_is_refused_as_empty() -> None:
    for text in ["...", "—", "- - -"]:
        with pytest.raises(tts.EmptySpeechText):
            tts.render_speech(text)


def test_text_over_the_limit_is_refused_before_synthesis() -> None:
    voice = CountingVoice()
    with pytest.raises(tts.SpeechTextTooLong) as caught:
        tts.render_speech("a " * (MAX_TEXT_CHARS // 2 + 10), voice=voice)
    assert f"{MAX_TEXT_CHARS:,}" in caught.value.message_en
    assert voice.spoken == []


def test_unknown_voice_is_refused() -> None:
    with pytest.raises(tts.UnknownVoice):
        tts.render_speech(A, voice="espeak-vi-hue")


def test_fingerprint_changes_with_everything_that_changes_the_audio() -> None:
    base = tts.speech_fingerprint(A, "espeak-vi-north", SynthesisConfig(), "loudspeaker")
    assert base == tts.speech_fingerprint(A, "espeak-vi-north", SynthesisConfig(), "loudspeaker")
    variants = [
        tts.speech_fingerprint(B, "espeak-vi-north", SynthesisConfig(), "loudspeaker"),
        tts.speech_fingerprint(A, "espeak-vi-south", SynthesisConfig(), "loudspeaker"),
        tts.speech_fingerprint(A, "espeak-vi-north", SynthesisConfig(speed=1.2), "loudspeaker"),
        tts.speech_fingerprint(A, "espeak-vi-north", SynthesisConfig(), "portal"),
        tts.speech_fingerprint(A, "espeak-vi-north", SynthesisConfig(), "loudspeaker", normalize=str.upper),
    ]
    assert len({base, *variants}) == 6
    assert tts.render_speech(A).fingerprint == base
