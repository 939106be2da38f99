"""Spoken duration of a script: calibrated speaking rates per voice, counted on the spoken form."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_VOICE = "espeak-vi-north"
DURATION_TOLERANCE = 0.10
RATES_FILE = Path(__file__).parent / "data" / "speaking_rates.json"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SpeakingRate:
    """Seconds of speech as a linear function of syllables, sentences and pauses (fitted per voice)."""

    seconds_per_syllable: float
    seconds_per_sentence: float = 0.0
    seconds_per_pause: float = 0.0
    seconds_fixed: float = 0.0

    def seconds(self, syllables: int, sentences: int = 1, pauses: int = 0) -> float:
        """Estimated duration of a spoken text with these counts."""
        return (
            syllables * self.seconds_per_syllable
            + sentences * self.seconds_per_sentence
            + pauses * self.seconds_per_pause
            + self.seconds_fixed
        )


@lru_cache(maxsize=1)
def _rates_table() -> dict:
    return json.loads(RATES_FILE.read_text(encoding="utf-8"))["voices"]


def speaking_rate(voice: str = DEFAULT_VOICE, words_per_second: float | None = None) -> SpeakingRate:
    """The calibrated rate of ``voice``; ``words_per_second`` (spoken syllables a second) overrides it."""
    if words_per_second is not None:
        if words_per_second <= 0:
            raise ValueError(f"words_per_second must be positive, got {words_per_second}")
        return SpeakingRate(seconds_per_syllable=1.0 / words_per_second)
    table = _rates_table()
    if voice not in table:
        raise ValueError(
            f"no speaking rate for voice {voice!r}; calibrated voices: {', '.join(sorted(table))}"
        )
    row = table[voice]
    return SpeakingRate(
        row["seconds_per_syllable"],
        row["seconds_per_sentence"],
        row["seconds_per_pause"],
        row["seconds_fixed"],
    )


def spoken_counts(sentence: str) -> tuple[int, int]:
    """Syllables and pause marks of a sentence's spoken form (numbers, dates and abbreviations read out)."""
    from nlp.normalize import normalize_for_speech

    spoken = normalize_for_speech(sentence)
    return len(_WORD.findall(spoken)), len(re.findall(r"[,;:]", spoken))


def estimate_seconds(sentences: Sequence[str], rate: SpeakingRate) -> float:
    """Estimated spoken duration of these sentences read one after another."""
    if not sentences:
        return 0.0
    counts = [spoken_counts(s) for s in sentences]
    return rate.seconds(sum(c[0] for c in counts), len(sentences), sum(c[1] for c in counts))


def sentence_seconds(sentence: str, rate: SpeakingRate) -> float:
    """What one more sentence adds to a script's duration (the fixed part counted once per script)."""
    syllables, pauses = spoken_counts(sentence)
    return rate.seconds(syllables, 1, pauses) - rate.seconds_fixed
