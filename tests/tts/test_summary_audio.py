"""A summarized script, synthesized by each eSpeak voice, lasts its target within ±10% (issue 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.normalize import normalize_for_speech
from nlp.summary import summarize
from tts import render_speech

BULLETINS = sorted(
    (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bulletins").glob("*.json")
)


@pytest.mark.parametrize("voice", ["espeak-vi-north", "espeak-vi-central", "espeak-vi-south"])
def test_synthesized_summaries_last_their_target_within_ten_percent(voice: str) -> None:
    assert len(BULLETINS) >= 12
    for path in BULLETINS:
        bulletin = json.loads(path.read_text(encoding="utf-8"))
        target = bulletin["target_seconds"]
        summary = summarize(bulletin["body"], target_seconds=target, title=bulletin["title"], voice=voice)
        audio = render_speech(normalize_for_speech(summary.script), voice=voice)
        assert abs(audio.duration_s - target) <= 0.1 * target, (path.name, voice, audio.duration_s)
