"""Prefect flows and the plain stage functions they wrap: produce, translate, review, distribute, evaluate."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public name -> module that defines it. Imported on first use so heavy
# dependencies load only in the code path that needs them.
_API: dict[str, str] = {
    "PipelineSettings": "flows.settings",
    "TextRendition": "flows.stages",
    "AudioRendition": "flows.stages",
    "prepare_text": "flows.stages",
    "render_audio": "flows.stages",
    "edited_text": "flows.stages",
    "reach_markdown": "flows.stages",
    "ProduceRequest": "flows.produce",
    "produce_bulletins": "flows.produce",
    "task_runner_for": "flows.produce",
    "EditorDraft": "flows.editor",
    "write_bulletin": "flows.editor",
    "EvaluateRequest": "flows.evaluate",
    "Period": "flows.evaluate",
    "evaluate_reach": "flows.evaluate",
    "period_bounds": "flows.evaluate",
    "PausedReview": "flows.review",
    "paused_reviews": "flows.review",
    "submit_review": "flows.review",
    "paused_review": "flows.review",
    "waiting_form": "flows.review",
    "review_bulletin": "flows.review",
    "review_form": "flows.review",
    "review_sheet": "flows.review",
    "ReviewRequestParams": "flows.review",
    "ReviewNotWaiting": "flows.review",
    "DECISION_LABELS": "flows.review",
    "distribute": "flows.review",
    "ReviewHeld": "flows.review",
    "TranslationOptions": "flows.settings",
    "TranslateRequest": "flows.translate",
    "translate_bulletin": "flows.translate",
    "produce_language": "flows.translate",
    "finish_language": "flows.translate",
    "language_paths": "flows.translate",
    "voice_for": "flows.translate",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
