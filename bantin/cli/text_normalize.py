"""``bantin normalize``: print the spoken form of Vietnamese text, as a radio announcer reads it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def _fail(message_vi: str, message_en: str) -> typer.Exit:
    typer.echo(f"Lỗi: {message_vi} / Error: {message_en}", err=True)
    return typer.Exit(code=2)


def _read_abbreviations(path: Path) -> dict[str, str]:
    """Read a TSV file ``abbreviation<TAB>spoken form``; bad files end the command with exit code 2."""
    from nlp.normalize import load_abbreviations

    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(
            f"không đọc được tệp viết tắt {path} ({exc.__class__.__name__}). Kiểm tra đường dẫn và mã hóa UTF-8.",
            f"cannot read the abbreviations file {path} ({exc.__class__.__name__}). Check the path and UTF-8 encoding.",
        ) from None
    table = load_abbreviations(content)
    entries = [line for line in content.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if entries and not table:
        raise _fail(
            f"tệp {path} không có dòng nào dạng 'viết tắt<TAB>cách đọc'.",
            f"{path} has no line of the form 'abbreviation<TAB>spoken form'.",
        )
    return table


def normalize(
    text: Annotated[
        str | None, typer.Argument(help="Text to read aloud; without it, each line of stdin gives one line.")
    ] = None,
    abbreviations: Annotated[
        Path | None,
        typer.Option(
            "--abbreviations", "-a", help="TSV file 'abbreviation<TAB>spoken form' extending the table."
        ),
    ] = None,
) -> None:
    """Print the spoken form of Vietnamese text (numbers, dates, units, abbreviations as words)."""
    from nlp.normalize import normalize_for_speech

    table = _read_abbreviations(abbreviations) if abbreviations else None
    if text is not None:
        typer.echo(normalize_for_speech(text, abbreviations=table))
        return
    for line in sys.stdin:
        spoken = normalize_for_speech(line.rstrip("\r\n"), abbreviations=table)
        typer.echo(" ".join(spoken.split()))


def register(app: typer.Typer) -> None:
    app.command()(normalize)
