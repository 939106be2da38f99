"""Commands for ethnic-language broadcasts: ``languages``, ``translate``, ``tm import``, unit and translator languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bantin.cli.common import fail, ready_settings, session_for

tm_app = typer.Typer(
    help="Translation memory (bộ nhớ dịch): approved human translations.", no_args_is_help=True
)
unit_languages_app = typer.Typer(
    help="Languages a unit broadcasts in (inherited by units below).", no_args_is_help=True
)
translators_app = typer.Typer(help="Translators (người dịch) and their languages.", no_args_is_help=True)


def _options(models_dir: Path | None = None, glossary_dir: Path | None = None):  # type: ignore[no-untyped-def]
    """Translation options from settings, with command-line overrides."""
    from flows.translate import TranslationOptions

    overrides = {
        k: v for k, v in {"translation_models_dir": models_dir, "glossary_dir": glossary_dir}.items() if v
    }
    return TranslationOptions(**overrides)


def _language(code: str, *, target: bool = True):  # type: ignore[no-untyped-def]
    import nlp

    try:
        return nlp.target_language(code) if target else nlp.get_language(code)
    except nlp.TextError as exc:
        fail(exc)


ModelsDir = Annotated[
    Path | None, typer.Option(help="Local translation models (default BANTIN_TRANSLATION_MODELS_DIR).")
]


def languages_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    models_dir: ModelsDir = None,
) -> None:
    """Every broadcast language: script, provinces, model, voice, translators, and the path a bulletin takes."""
    from flows.translate import language_paths

    settings = ready_settings()
    options = _options(models_dir)
    try:
        paths = language_paths(settings, options)
    except Exception as exc:  # a broken model directory is listed, not raised; anything else is reported
        fail(exc)
    import nlp

    models = nlp.list_models(options.translation_models_dir)
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in paths], ensure_ascii=False, indent=2))
        return
    header = ("CODE", "TÊN / NAME", "CHỮ / SCRIPT", "SẴN SÀNG / READY")
    rows = [(p.language.code, f"{p.language.name_vi} / {p.language.name_en}", "/".join(p.language.scripts),
             "có / yes" if p.ready else "chưa / no") for p in paths]  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    typer.echo("")
    for p in paths:
        typer.echo(f"{p.language.code}: văn bản / text: {p.text}")
        typer.echo(f"{' ' * len(p.language.code)}  tiếng nói / speech: {p.speech}")
        typer.echo(f"{' ' * len(p.language.code)}  tỉnh / provinces: {', '.join(p.language.provinces)}")
    typer.echo("")
    if options.translation_models_dir is None:
        typer.echo("Mô hình dịch / Translation models: chưa cấu hình / none (BANTIN_TRANSLATION_MODELS_DIR)")
    for model in models:
        state = "dùng được / available" if model.available else f"lỗi / broken: {model.reason}"
        typer.echo(f"Mô hình dịch / model {model.name} ({model.format}, {', '.join(model.languages) or '-'}, "
                   f"licence {model.licence or '?'}): {state}")  # fmt: skip


def _read_source(path: Path) -> str:
    """The text of a .txt file or the ``body`` of a bulletin .json file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(ValueError(f"cannot read {path} as UTF-8 text ({exc}) / không đọc được tệp {path}"))
    if path.suffix.lower() != ".json":
        return raw
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(ValueError(f"{path} is not valid JSON ({exc}) / tệp {path} không phải JSON hợp lệ"))
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        fail(ValueError(f"{path} has no 'body' field / tệp {path} thiếu trường 'body'"))
    return data["body"]


def translate_command(
    file: Annotated[Path, typer.Argument(help="A Vietnamese script (.txt) or bulletin (.json).")],
    to: Annotated[str, typer.Option("--to", help="Target language, ISO 639-3 (bantin languages).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    models_dir: ModelsDir = None,
    glossary_dir: Annotated[
        Path | None, typer.Option(help="Glossaries <code>.tsv (default: bantin's own).")
    ] = None,
) -> None:
    """Translate a script segment by segment and say where each came from (memory, glossary, model, translator)."""
    import nlp
    from flows.translate import translate_script

    language = _language(to)
    text = _read_source(file)
    if not text.strip():
        fail(nlp.EmptyText("The file is empty.", "Tệp trống."))
    settings = ready_settings()
    options = _options(models_dir, glossary_dir)
    try:
        with session_for(settings) as session:
            result = translate_script(session, text, language.code, options)
    except nlp.TextError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    for s in result.segments:
        typer.echo(f"[{s.index + 1}] {s.label}")
        typer.echo(f"    vi:  {s.source}")
        typer.echo(f"    {language.code}: {s.target if s.target is not None else '—'}")
        for en, vi in s.reasons:
            typer.echo(f"    ! {vi} / {en}")
    counts = result.to_dict()["counts"]
    summary = ", ".join(f"{nlp.ORIGIN_LABELS[k]}: {v}" for k, v in counts.items())
    typer.echo(f"\n{len(result.segments)} câu / segments — {summary}")


def tm_import_command(
    file: Annotated[Path, typer.Argument(help="A .tmx or .tsv (Vietnamese<TAB>translation) file.")],
    lang: Annotated[str, typer.Option("--lang", help="Target language of the file, ISO 639-3.")],
) -> None:
    """Import approved translations; any malformed unit or invalid translation imports nothing."""
    import nlp
    import storage
    from nlp.translation_memory import parse_memory_file

    language = _language(lang)
    try:
        raw = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(ValueError(f"cannot read {file} as UTF-8 text ({exc}) / không đọc được tệp {file}"))
    try:
        pairs = parse_memory_file(file.name, raw, language.code)
        bad = [(n, p) for n, (source, target) in enumerate(pairs, 1)
               for p in nlp.check_translation(source, target, language)]  # fmt: skip
    except nlp.TextError as exc:
        fail(exc)
    if bad:
        listed_en = "; ".join(f"unit {n}: {p.en}" for n, p in bad[:5])
        listed_vi = "; ".join(f"mục {n}: {p.vi}" for n, p in bad[:5])
        fail(nlp.TranslationRejected(
            f"{file.name}: {len(bad)} problems, nothing was imported: {listed_en}",
            f"{file.name}: có {len(bad)} lỗi, chưa nhập gì: {listed_vi}",
        ))  # fmt: skip
    settings = ready_settings()
    added = 0
    with session_for(settings) as session:
        for source, target in pairs:
            entry = nlp.memory_entry(source, target, origin="import")
            _, created = storage.remember_translation(
                session, target_language=language.code, source_text=source, target_text=target,
                source_key=entry.key, target_template=entry.target_template, origin="import",
            )  # fmt: skip
            added += created
    typer.echo(
        f"Đã nhập {len(pairs)} cặp câu ({added} mới) vào bộ nhớ dịch {language.code} / "
        f"Imported {len(pairs)} pairs ({added} new) into the {language.code} memory"
    )


def unit_languages_set(
    unit: Annotated[str, typer.Argument(help="Unit code.")],
    languages: Annotated[
        list[str], typer.Argument(help="ISO 639-3 codes, e.g. khm (vie is always included).")
    ],
) -> None:
    """Set the languages a unit broadcasts in; units below without their own setting inherit them."""
    import storage

    codes = [_language(code, target=False).code for code in languages]
    settings = ready_settings()
    with session_for(settings) as session:
        stored = storage.set_unit_languages(session, unit, codes, actor="cli")
    typer.echo(f"{unit}: {', '.join(stored)}")


def unit_languages_show(unit: Annotated[str, typer.Argument(help="Unit code.")]) -> None:
    """A unit's broadcast languages and the unit they are set on."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        codes, source = storage.unit_languages(session, unit)
    where = f"đặt tại / set on {source}" if source else "mặc định / default"
    typer.echo(f"{unit}: {', '.join(codes)} ({where})")


def unit_languages_clear(unit: Annotated[str, typer.Argument(help="Unit code.")]) -> None:
    """Remove a unit's own setting: it inherits from its parent again."""
    import storage

    settings = ready_settings()
    with session_for(settings) as session:
        storage.clear_unit_languages(session, unit)
        codes, source = storage.unit_languages(session, unit)
    typer.echo(f"{unit}: {', '.join(codes)} (kế thừa / inherited from {source or 'default'})")


def translators_set_languages(
    person: Annotated[str, typer.Argument(help="Person id or name (bantin people list).")],
    languages: Annotated[list[str], typer.Argument(help="ISO 639-3 codes the translator works in.")],
) -> None:
    """Record the languages a translator works in (default: their unit's broadcast languages)."""
    import storage

    codes = [_language(code).code for code in languages]
    settings = ready_settings()
    with session_for(settings) as session:
        found = storage.set_translator_languages(session, person, codes)
        typer.echo(f"{found.name} (#{found.id}): {', '.join(storage.translator_languages(session, found))}")


def translators_list(
    language: Annotated[str | None, typer.Option(help="Only translators into this language.")] = None,
) -> None:
    """Translators by language."""
    import storage

    wanted = _language(language).code if language else None
    settings = ready_settings()
    with session_for(settings) as session:
        grouped = storage.translators_by_language(session)
    for code, people in grouped.items():
        if wanted and code != wanted:
            continue
        names = "; ".join(f"{p.name} — {p.unit_code} (#{p.id})" for p in people)
        typer.echo(f"{code}: {names}")
    if not any(not wanted or code == wanted for code in grouped):
        typer.echo(
            "Chưa có người dịch / No translators: bantin people add NAME --unit CODE --role translator"
        )


def register(app: typer.Typer) -> None:
    from bantin.cli.core import units_app

    app.command("languages")(languages_command)
    app.command("translate")(translate_command)
    tm_app.command("import")(tm_import_command)
    app.add_typer(tm_app, name="tm")
    unit_languages_app.command("set")(unit_languages_set)
    unit_languages_app.command("show")(unit_languages_show)
    unit_languages_app.command("clear")(unit_languages_clear)
    units_app.add_typer(unit_languages_app, name="languages")
    translators_app.command("languages")(translators_set_languages)
    translators_app.command("list")(translators_list)
    app.add_typer(translators_app, name="translators")
