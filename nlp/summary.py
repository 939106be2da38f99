"""Summaries for radio: a script that fits a spoken length, keeping what citizens must act on.

``summarize`` alone decides between the abstractive backend (a local model, when configured and
faithful) and the extractive one (sentences of the draft chosen and shortened to fit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from nlp.duration import DEFAULT_VOICE, DURATION_TOLERANCE, SpeakingRate, sentence_seconds, speaking_rate
from nlp.eboard import eboard_text
from nlp.fit import fit_blocks, list_blocks
from nlp.sentence_model import chances, load_model, sentence_features
from nlp.sentence_value import option_value, redundancy_factor, score_sentences
from nlp.shorten import sentence_options

log = logging.getLogger(__name__)
# Times the choice is made again with sentences valued by what they add to the others chosen.
REDUNDANCY_PASSES = 1


@dataclass(frozen=True)
class Summary:
    """A spoken script, its e-board text, and how it was made."""

    script: str
    eboard: str
    estimated_seconds: float
    sentences: tuple[str, ...]
    backend: str = "extractive"
    fallback_reason: str | None = None

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        data = asdict(self)
        data["sentences"] = list(self.sentences)
        return data


def summarize(
    text: str,
    *,
    target_seconds: float,
    title: str | None = None,
    voice: str = DEFAULT_VOICE,
    words_per_second: float | None = None,
    eboard_chars: int = 180,
    model_dir: Path | None = None,
    places: Iterable[str] = (),
) -> Summary:
    """A script that fits ``target_seconds`` (±10%) at the voice's rate, and an e-board text.

    Durations are estimated on the spoken form (normalize_for_speech) from the voice's calibrated rate
    (nlp/data/speaking_rates.json); ``words_per_second`` (spoken syllables a second) overrides it. A text
    that already fits is returned whole. ``model_dir`` asks for the abstractive backend; when it is
    unavailable (no model, no torch) or its output is rejected, the extractive summary is returned with
    the reason in ``fallback_reason`` and a warning is logged. ``places`` adds local place names
    (villages) to the facts a summary tries to keep.
    """
    from nlp.clean import clean_text
    from nlp.errors import EmptyText
    from nlp.sentences import split_sentences

    if target_seconds <= 0:
        raise ValueError(f"target_seconds must be positive, got {target_seconds}")
    places = tuple(places)
    cleaned = clean_text(text)
    sentences = split_sentences(cleaned, places)
    if not sentences:
        raise EmptyText(
            "The text has no sentences to summarize; write the bulletin body first.",
            "Văn bản không có câu nào để tóm tắt; hãy nhập nội dung bản tin.",
        )
    rate = speaking_rate(voice, words_per_second)
    fallback_reason = None
    if model_dir is not None:
        from nlp.abstractive import AbstractiveRejected, abstractive_sentences

        try:
            picked, seconds = abstractive_sentences(
                cleaned, model_dir=Path(model_dir), target_seconds=target_seconds, rate=rate, places=places
            )
        except AbstractiveRejected as rejection:
            fallback_reason = rejection.reason
            log.warning("abstractive summary not used, extractive instead: %s", fallback_reason)
        else:
            return Summary(
                script=" ".join(picked),
                eboard=eboard_text(title, sentences, eboard_chars),
                estimated_seconds=round(seconds, 2),
                sentences=tuple(picked),
                backend="abstractive",
            )
    return summarize_extractive(
        sentences,
        target_seconds=target_seconds,
        title=title,
        rate=rate,
        eboard_chars=eboard_chars,
        places=places,
        fallback_reason=fallback_reason,
    )


def summarize_extractive(
    sentences: Sequence[str],
    *,
    target_seconds: float,
    title: str | None,
    rate: SpeakingRate,
    eboard_chars: int = 180,
    places: Iterable[str] = (),
    fallback_reason: str | None = None,
    model: dict | Literal["default"] | None = "default",
) -> Summary:
    """Pick sentences (or shorter readings of them) to fill the target, in original order.

    ``model`` is the learned chance that a sentence carries a key fact (nlp/sentence_model.py): the
    trained one by default, None for the rule-based value alone.
    """
    places = tuple(places)
    options = sentence_options(sentences)
    costs = [[sentence_seconds(text, rate) for text in group] for group in options]
    whole = sum(group[0] for group in costs) + rate.seconds_fixed
    scores = score_sentences(sentences, title=title, places=places)
    if model == "default":
        model = load_model()
    if model is not None and model["exponent"] > 0 and whole > target_seconds * (1 + DURATION_TOLERANCE):
        rows = sentence_features(sentences, scores, rate, title=title, places=places)
        learned = [chance ** model["exponent"] for chance in chances(rows, model)]
        if model.get("combine") == "replace":  # the chance alone, spread over the sentence's readings
            scores = [
                value / max(option_value(group[0], places), 1e-6)
                for value, group in zip(learned, options, strict=True)
            ]
        else:
            scores = [score * value for score, value in zip(scores, learned, strict=True)]
    if whole <= target_seconds * (1 + DURATION_TOLERANCE):
        picked_options = [(i, 0) for i in range(len(sentences))]
    else:
        values = [
            [scores[i] * option_value(text, places) for text in group] for i, group in enumerate(options)
        ]
        blocks = list_blocks(sentences)
        picked_options = fit_blocks(blocks, costs, values, target_seconds - rate.seconds_fixed)
        for _ in range(REDUNDANCY_PASSES):  # a fact said twice is worth less the second time
            picked_text = {i: options[i][k] for i, k in picked_options}
            values = [
                [
                    v * redundancy_factor(text, [t for j, t in picked_text.items() if j != i], places)
                    for text, v in zip(group, value_group, strict=True)
                ]
                for i, (group, value_group) in enumerate(zip(options, values, strict=True))
            ]
            picked_options = fit_blocks(blocks, costs, values, target_seconds - rate.seconds_fixed)
    picked = [options[i][k] for i, k in picked_options]
    return Summary(
        script=" ".join(picked),
        eboard=eboard_text(title, sentences, eboard_chars),
        estimated_seconds=round(sum(costs[i][k] for i, k in picked_options) + rate.seconds_fixed, 2),
        sentences=tuple(picked),
        backend="extractive",
        fallback_reason=fallback_reason,
    )
