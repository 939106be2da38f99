"""Commands ``bantin summarize`` (a radio script and e-board text) and ``bantin check-language``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer


def _fail(message_vi: str, message_en: str, code: int = 2) -> NoReturn:
    """Print an error in Vietnamese then English, without a traceback, and exit."""
    typer.echo(f"Lỗi: {message_vi}", err=True)
    typer.echo(f"Error: {message_en}", err=True)
    raise typer.Exit(code)


def read_bulletin(path: Path) -> tuple[str, str | None, float | None]:
    """Body, title and target seconds from a .txt draft or a bulletin JSON file."""
    if not path.is_file():
        _fail(f"không tìm thấy tệp {path}.", f"no such file: {path}.")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"không đọc được {path} dưới dạng UTF-8 ({exc}).", f"cannot read {path} as UTF-8 text ({exc}).")
    if path.suffix.lower() != ".json":
        return raw, None, None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        _fail(f"{path} không phải JSON hợp lệ ({exc}).", f"{path} is not valid JSON ({exc}).")
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        _fail(
            f"{path} thiếu trường 'body' (nội dung bản tin).",
            f"{path} has no 'body' field (the bulletin text); expected the format of the sample bulletins.",
        )
    target = data.get("target_seconds")
    if target is not None and not isinstance(target, int | float):
        _fail(f"'target_seconds' trong {path} phải là số.", f"'target_seconds' in {path} must be a number.")
    title = data.get("title") if isinstance(data.get("title"), str) else None
    return data["body"], title, float(target) if target is not None else None


def summarize_command(
    path: Annotated[
        Path, typer.Argument(help="A .txt draft or a bulletin JSON (body, title, target_seconds).")
    ],
    seconds: Annotated[
        float | None, typer.Option(help="Spoken length to fit (default: the JSON's, else 60).")
    ] = None,
    voice: Annotated[
        str | None, typer.Option(help="Voice whose speaking rate is used (default from settings).")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option(help="Local seq2seq model directory for abstractive summaries.")
    ] = None,
    place: Annotated[list[str] | None, typer.Option(help="Local place name to keep (repeatable).")] = None,
) -> None:
    """Summarize a bulletin to a spoken length; prints JSON (script, eboard, estimated_seconds...)."""
    from bantin.settings import load_settings
    from nlp.errors import TextError
    from nlp.summary import summarize

    body, title, target = read_bulletin(path)
    target = seconds if seconds is not None else (target or 60.0)
    if target <= 0:
        _fail(f"số giây phải lớn hơn 0 (nhận {target}).", f"--seconds must be positive (got {target}).")
    settings = load_settings()
    try:
        summary = summarize(
            body,
            target_seconds=target,
            title=title,
            voice=voice or getattr(settings, "default_voice", "espeak-vi-north"),
            model_dir=model_dir or getattr(settings, "summarizer_model_dir", None),
            places=place or (),
        )
    except TextError as exc:
        _fail(exc.message_vi, exc.message_en)
    except ValueError as exc:
        _fail(f"tham số không hợp lệ: {exc}", str(exc))
    typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))


def check_language_command(text: Annotated[str, typer.Argument(help="The text to check.")]) -> None:
    """Detect the language of a text; prints the report as JSON."""
    from nlp.language import check_language

    typer.echo(json.dumps(check_language(text).to_dict(), ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``summarize`` and ``check-language`` to the bantin command line."""
    app.command("summarize")(summarize_command)
    app.command("check-language")(check_language_command)
