"""Commands ``bantin voices`` (what can speak here) and ``bantin speak`` (text to a mastered MP3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bantin.cli.common import fail


def _models_dir(option: Path | None) -> Path | None:
    """The models directory from the option, else from settings (BANTIN_TTS_MODELS_DIR)."""
    if option is not None:
        return option
    from bantin.settings import load_settings

    return load_settings().tts_models_dir


def voices_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    models_dir: Annotated[
        Path | None,
        typer.Option(help="Local speech models, one directory per voice (default from settings)."),
    ] = None,
) -> None:
    """List every voice (built-in and local models) with its licence and whether it can run here."""
    from tts.registry import list_engines, list_voices

    directory = _models_dir(models_dir)
    voices = list_voices(directory)
    engines = list_engines()
    if as_json:
        payload = {"voices": [v.to_dict() for v in voices], "engines": engines}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    header = ("NAME", "ENGINE", "LANG", "REGION", "RATE", "LICENCE", "AVAILABLE")
    rows = [
        (
            v.name,
            v.engine,
            v.language,
            v.region or "-",
            str(v.sample_rate),
            v.licence,
            "yes" if v.available else "no",
        )
        for v in voices
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for v in voices:
        if not v.available:
            typer.echo(f"  {v.name}: {v.reason}")
    typer.echo("")
    typer.echo("Engines:")
    for row in engines:
        status = "available" if row["available"] else f"unavailable: {row['reason']}"
        typer.echo(f"  {row['engine']} ({row['licence']}): {status}")
    if directory is None:
        typer.echo("Local models: none configured (set BANTIN_TTS_MODELS_DIR or pass --models-dir).")


def _read_text(text_or_file: str) -> str:
    """The argument itself, or the text of the .txt / bulletin .json file it names."""
    path = Path(text_or_file)
    try:
        is_file = len(text_or_file) < 4096 and path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return text_or_file
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(ValueError(f"cannot read {path} as UTF-8 text ({exc})."))
    if path.suffix.lower() != ".json":
        return raw
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(ValueError(f"{path} is not valid JSON ({exc})."))
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        fail(ValueError(f"{path} has no 'body' field (the bulletin text)."))
    return data["body"]


def _choose_voice(
    voice: str | None, language: str | None, default_voice: str, models_dir: Path | None
) -> str:
    """The voice asked for, else the first voice for ``language``, else the configured default."""
    from tts.config import DEFAULT_VOICE
    from tts.registry import voices_for_language

    if voice:
        return voice
    if language:
        return voices_for_language(language, models_dir)[0].name
    return default_voice or DEFAULT_VOICE


def speak_command(
    text_or_file: Annotated[str, typer.Argument(help="Text to read, or a .txt / bulletin .json file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the MP3.")],
    voice: Annotated[str | None, typer.Option(help="Voice name (see `bantin voices`).")] = None,
    language: Annotated[
        str | None,
        typer.Option(help="Pick a voice for this language (vie, khm...) when --voice is not given."),
    ] = None,
    profile: Annotated[str, typer.Option(help="Mastering profile: loudspeaker or portal.")] = "loudspeaker",
    speed: Annotated[float, typer.Option(help="Speaking speed factor (0.5-2.0).")] = 1.0,
    models_dir: Annotated[
        Path | None,
        typer.Option(help="Local speech models, one directory per voice (default from settings)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result's metadata as JSON.")] = False,
) -> None:
    """Read a text aloud into a mastered MP3 (normalized to spoken Vietnamese first)."""
    from bantin.settings import load_settings
    from nlp import normalize_for_speech
    from tts.config import SynthesisConfig
    from tts.errors import SpeechError
    from tts.registry import voice_info
    from tts.render import render_speech

    settings = load_settings()
    directory = models_dir if models_dir is not None else settings.tts_models_dir
    text = _read_text(text_or_file)
    try:
        chosen = _choose_voice(voice, language, settings.default_voice, directory)
        result = render_speech(
            text,
            voice=chosen,
            config=SynthesisConfig(speed=speed),
            profile=profile,
            models_dir=directory,
            # The spoken-form rules are Vietnamese: other languages are read as written.
            normalize=normalize_for_speech if voice_info(chosen, directory).language == "vie" else None,
        )
    except SpeechError as exc:
        fail(exc)
    try:
        output.write_bytes(result.mp3)
    except OSError as exc:
        fail(ValueError(f"cannot write {output} ({exc})."))
    if as_json:
        typer.echo(json.dumps({"output": str(output), **result.metadata()}, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"Wrote {output}: {result.duration_s:.1f} s, {result.sample_rate} Hz mono MP3, "
        f"{result.loudness_lufs:.1f} LUFS, true peak {result.true_peak_dbtp:.1f} dBTP"
    )
    typer.echo(
        f"Voice {result.voice} ({result.engine}, licence {result.licence}); real-time factor "
        f"{result.real_time_factor:.3f} (synthesis {result.synthesis_seconds:.2f} s, "
        f"mastering {result.mastering_seconds:.2f} s)"
    )


def register(app: typer.Typer) -> None:
    app.command("voices")(voices_command)
    app.command("speak")(speak_command)
