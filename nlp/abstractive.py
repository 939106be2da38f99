"""Abstractive summaries from a local seq2seq model, guarded against invented numbers, dates and names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from nlp.duration import DURATION_TOLERANCE, SpeakingRate, estimate_seconds
from nlp.entities import find_entities

MAX_INPUT_TOKENS = 1024
MAX_OUTPUT_SYLLABLES = 640  # about three minutes of speech
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME_WORD = re.compile(r"(?<![\w.!?:]\s)(?<!^)\b([A-ZÀ-ỸĐ][\wÀ-ỹ]*)")


class ModelUnavailable(RuntimeError):
    """The model directory is missing, incomplete or cannot be loaded, or torch/transformers are missing."""


class AbstractiveRejected(Exception):
    """The abstractive summary cannot be used; ``reason`` says why (recorded as the fallback reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=2)
def load_summarizer(model_dir: str):
    """Tokenizer and model from a local directory (never from a hub); raises ModelUnavailable."""
    path = Path(model_dir)
    if not path.is_dir():
        raise ModelUnavailable(f"model directory {path} does not exist")
    if not (path / "config.json").is_file():
        raise ModelUnavailable(f"model directory {path} has no config.json")
    try:
        import torch  # noqa: F401  (transformers imports without torch but cannot load a model)
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    except ImportError as exc:  # the "neural" extra is not installed
        raise ModelUnavailable(
            f"torch or transformers is not installed ({exc}); pip install 'bantin[neural]'"
        ) from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSeq2SeqLM.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # transformers raises many types for a broken directory
        raise ModelUnavailable(f"cannot load the model in {path}: {type(exc).__name__}: {exc}") from exc
    model.eval()
    return tokenizer, model


def generate_summary(model_dir: Path, text: str, *, max_new_tokens: int, min_new_tokens: int = 0) -> str:
    """The model's summary of ``text`` (beam search, no repeated trigrams), as plain text."""
    tokenizer, model = load_summarizer(str(model_dir))  # raises ModelUnavailable without torch

    import torch

    max_input = min(
        MAX_INPUT_TOKENS, getattr(tokenizer, "model_max_length", MAX_INPUT_TOKENS) or MAX_INPUT_TOKENS
    )
    inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_input)
    inputs.pop("token_type_ids", None)
    with torch.no_grad():
        output = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            min_new_tokens=min(min_new_tokens, max_new_tokens),
            num_beams=2,
            no_repeat_ngram_size=3,
            do_sample=False,
        )
    decoded = tokenizer.decode(output[0], skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return unicodedata.normalize("NFC", " ".join(decoded.split()))


def invented_facts(summary: str, source: str, places: Iterable[str] = ()) -> list[str]:
    """Numbers, dates, entities and proper names of ``summary`` that the source does not contain."""
    source_n = unicodedata.normalize("NFC", source).lower()
    source_numbers = set(_NUMBER.findall(source_n))
    invented = [e.text for e in find_entities(summary, tuple(places)) if e.text.lower() not in source_n]
    invented += [n for n in _NUMBER.findall(summary) if n not in source_numbers]
    invented += [w for w in _NAME_WORD.findall(summary) if w.lower() not in source_n]
    return list(dict.fromkeys(invented))


def abstractive_sentences(
    text: str,
    *,
    model_dir: Path,
    target_seconds: float,
    rate: SpeakingRate,
    places: Iterable[str] = (),
) -> tuple[list[str], float]:
    """The model's summary as sentences and its estimated seconds; raises AbstractiveRejected with the reason.

    Rejected when the model (or torch) is unavailable, generation fails, the output is empty, holds
    facts the source does not, or does not last ``target_seconds`` ±10%.
    """
    from nlp.sentences import split_sentences

    places = tuple(places)
    syllables = min(MAX_OUTPUT_SYLLABLES, max(8, int(target_seconds / rate.seconds_per_syllable)))
    try:
        output = generate_summary(
            model_dir, text, max_new_tokens=int(syllables * 1.6), min_new_tokens=int(syllables * 0.6)
        )
    except ModelUnavailable as exc:
        raise AbstractiveRejected(f"abstractive model unavailable: {exc}") from exc
    except (RuntimeError, ValueError, IndexError) as exc:
        raise AbstractiveRejected(f"abstractive generation failed: {type(exc).__name__}: {exc}") from exc
    if not output.strip():
        raise AbstractiveRejected("abstractive model returned an empty summary")
    invented = invented_facts(output, text, places)
    if invented:
        raise AbstractiveRejected(
            f"abstractive summary has facts not in the source: {', '.join(invented[:5])}"
        )
    picked = split_sentences(output, places) or [output]
    seconds = estimate_seconds(picked, rate)
    if abs(seconds - target_seconds) > target_seconds * DURATION_TOLERANCE:
        raise AbstractiveRejected(
            f"abstractive summary lasts {seconds:.1f} s, outside {target_seconds:.0f} s ±10%"
        )
    return picked, seconds
