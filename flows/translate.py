"""The translation stage: translate a version's script per language, wait for a translator where needed.

``translate_version`` (plain) and ``translate_version_task`` (Prefect) translate the Vietnamese radio
script of a version segment by segment (memory, glossary, model) and say where each came from.
``wait_for_translator`` runs inside a flow: it publishes the segments that need a person (with glossary
hits and the model's rejected suggestion) as a markdown artifact and pauses for a typed
``TranslatorInput``; each answer is validated (``apply_translator_input``) and, once it passes, stored
in the translation memory as an approved human translation. A refused answer leaves the run waiting
with the reasons on the next form. ``translate_bulletin`` is a flow that does both for one language.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.input import RunInput
from prefect.states import Cancelled
from pydantic import BaseModel, Field, create_model

import nlp
import storage
from flows import stages
from flows.review import ReviewRequestParams, choice
from flows.settings import PipelineSettings, TranslationOptions
from flows.waiting import RunCancelled, pause_in_process
from nlp.translate import NEEDS_TRANSLATOR, TRANSLATOR, Segment, Translation
from storage import RenditionKind, StorageError

_NUMBERED = re.compile(r"^\s*\[?\d+[\].):]\s*")


# --- resources -----------------------------------------------------------------------------------


_MEMORIES: dict[tuple[str, str], tuple[tuple, nlp.TranslationMemory]] = {}


def load_memory(session, language: str) -> nlp.TranslationMemory:  # type: ignore[no-untyped-def]
    """The stored memory of ``language`` as an index for lookups, rebuilt only when the memory changed."""
    from nlp.translation_memory import MemoryEntry

    key = (str(session.get_bind().url), language)
    stamp = storage.memory_stamp(session, language)
    cached = _MEMORIES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = storage.memory_rows(session, language)
    memory = nlp.TranslationMemory(language, [MemoryEntry(k, tpl, i, origin) for i, k, tpl, origin in rows])
    _MEMORIES[key] = (stamp, memory)
    return memory


def model_backend(language: str, options: TranslationOptions):  # type: ignore[no-untyped-def]
    """The neural translator configured for ``language``, or None; a configured directory must exist."""
    from nlp.translation_model import check_models_dir

    check_models_dir(options.translation_models_dir)
    info = nlp.model_for(language, options.translation_models_dir)
    return nlp.NeuralTranslator(info) if info else None


def version_script(session, version_id: int) -> str:  # type: ignore[no-untyped-def]
    """The Vietnamese radio script of a version (its body until the script is made)."""
    for rendition in storage.renditions(session, version_id):
        if rendition.language == "vie" and rendition.kind == RenditionKind.script and rendition.text.strip():
            return rendition.text
    return storage.get_version(session, version_id).body


def translate_script(
    session, text: str, language: str, options: TranslationOptions, *, by_line: bool = False
) -> Translation:  # type: ignore[no-untyped-def]
    """Translate a Vietnamese script (by sentence) or e-board text (``by_line``: each line a segment)."""
    lang = nlp.target_language(language)
    return nlp.translate_text(
        text,
        lang,
        memory=load_memory(session, lang.code),
        glossary=nlp.load_glossary(lang.code, options.glossary_dir),
        model=model_backend(lang.code, options),
        threshold=options.fuzzy_threshold,
        split=str.splitlines if by_line else None,
    )


def translate_version(
    settings: PipelineSettings, version_id: int, language: str, options: TranslationOptions
) -> Translation:
    """A version's script translated into ``language``, with each segment's origin."""
    with stages.open_session(settings) as session:
        return translate_script(session, version_script(session, version_id), language, options)


@task(name="translate-version", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def translate_version_task(
    settings: PipelineSettings, version_id: int, language: str, options: TranslationOptions
) -> dict:
    """Prefect task: translate a version's script and report per segment where it came from."""
    result = translate_version(settings, version_id, language, options)
    get_run_logger().info(
        "v%s %s: %s",
        version_id,
        result.language,
        ", ".join(f"{s.index + 1}: {s.label}" for s in result.segments),
    )
    return result.to_dict()


def translation_from_dict(data: dict) -> Translation:
    """A Translation back from ``to_dict`` (task results travel as plain data)."""
    keep = {"index", "source", "target", "origin", "score", "reasons", "glossary", "suggestion"}
    segments = tuple(
        Segment(
            **{k: v for k, v in s.items() if k in keep}
            | {"reasons": tuple(tuple(r) for r in s["reasons"]), "glossary": tuple(s["glossary"])}
        )
        for s in data["segments"]
    )
    return Translation(data["language"], segments, data.get("model"))


def voice_for(language: str, tts_models_dir: Path | None) -> str | None:
    """The first voice that can speak ``language`` here (synthesize it), or None (wait for a recorded reading)."""
    from tts.registry import list_voices

    return next((v.name for v in list_voices(tts_models_dir) if v.available and v.language == language), None)


EBOARD_CHARS = 180


def _logger():  # type: ignore[no-untyped-def]
    """The run's logger inside a flow or task, a plain logger outside (plain-function calls)."""
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        import logging

        return logging.getLogger("bantin.translate")


def eboard_for(
    session, version_id: int, language: str, script_lines: list[str], options: TranslationOptions
) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The e-board text in ``language`` and where it came from.

    The Vietnamese e-board lines translated (memory, glossary, model) when every line is covered;
    otherwise the first sentences of the approved translated script that fit the board, so the
    board never waits for a second round of translation.
    """
    board = next(
        (r.text for r in storage.renditions(session, version_id)
         if r.language == "vie" and r.kind == RenditionKind.eboard and r.text.strip()),
        "",
    )  # fmt: skip
    if board:
        translated = translate_script(session, board, language, options, by_line=True)
        if translated.complete and translated.segments:
            return translated.text, "eboard"
    from nlp.eboard import clip

    shown: list[str] = []
    for line in (line.strip() for line in script_lines if line.strip()):
        if shown and len(" ".join([*shown, line])) > EBOARD_CHARS:
            break
        shown.append(line)
    return clip(" ".join(shown), EBOARD_CHARS), "script"


def finish_language(
    settings: PipelineSettings, version_id: int, language: str, options: TranslationOptions
) -> dict:
    """E-board text and speech of a language whose script is stored: synthesized when the language has a
    voice here, else left for a recorded reading (bantin audio import). What is still missing is returned."""
    from storage.translation import missing_renditions

    with stages.open_session(settings) as session:
        have = {r.kind: r for r in storage.renditions(session, version_id) if r.language == language}
        script = have[RenditionKind.script].text
        if RenditionKind.eboard not in have:
            text, origin = eboard_for(session, version_id, language, script.splitlines(), options)
            storage.save_rendition(
                session=session, version_id=version_id, language=language, kind=RenditionKind.eboard,
                text=text, details={"from": origin},
            )  # fmt: skip
        bulletin_id = storage.production_job(session, version_id).bulletin_id
    voice = voice_for(language, settings.tts_models_dir)
    audio = have.get(RenditionKind.audio)
    if audio is None and voice is not None:
        made = stages.render_audio(
            stages.object_store(settings),
            script,
            language=language,
            voice=voice,
            models_dir=settings.tts_models_dir,
        )
        with stages.open_session(settings) as session:
            stages.save_audio(session, version_id, made, script)
    with stages.open_session(settings) as session:
        missing = missing_renditions(session, version_id).get(language, [])
    if missing:
        _logger().warning(
            "v%s %s: no voice, waiting for a recorded reading / chưa có giọng đọc, chờ bản ghi âm: "
            "bantin audio import FILE --bulletin %s --language %s", version_id, language, bulletin_id, language,
        )  # fmt: skip
    return {
        "language": language,
        "status": "waiting_recording" if "audio" in missing else ("ready" if not missing else "incomplete"),
        "voice": voice,
        "missing": missing,
    }


@task(name="produce-language", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def produce_language(
    settings: PipelineSettings, version_id: int, language: str, options: TranslationOptions
) -> dict:
    """One broadcast language of a version: script (memory, glossary, model), e-board text and speech.

    A stored script is reused; segments no path covers leave the language "needs_translator" (with the
    translation so far) for a translate-bulletin run.
    """
    with stages.open_session(settings) as session:
        stored = any(
            r.language == language and r.kind == RenditionKind.script
            for r in storage.renditions(session, version_id)
        )
    if not stored:
        translation = translate_version(settings, version_id, language, options)
        _logger().info(
            "v%s %s: %s", version_id, translation.language,
            ", ".join(f"{s.index + 1}: {s.label}" for s in translation.segments),
        )  # fmt: skip
        if not translation.complete:
            return {
                "language": translation.language,
                "status": "needs_translator",
                "needed": len(translation.needed),
                "translation": translation.to_dict(),
            }
        save_translation(settings, version_id, translation)
    return finish_language(settings, version_id, language, options)


def version_languages(settings: PipelineSettings, version_id: int) -> list[str]:
    """The languages other than Vietnamese that the version's target units broadcast in."""
    with stages.open_session(settings) as session:
        job = storage.production_job(session, version_id)
        return [c for c in storage.broadcast_languages(session, list(job.targets)) if c != "vie"]


def translate_inline(
    settings: PipelineSettings, version_id: int, options: TranslationOptions
) -> dict[str, dict]:
    """Inside a flow run (a reviewer's edit): every language of the version, waiting here for translators."""
    done = {}
    for language in version_languages(settings, version_id):
        result = produce_language.fn(settings, version_id, language, options)
        if result["status"] == "needs_translator":
            translation = wait_for_translator(
                settings, version_id, translation_from_dict(result["translation"]), options
            )
            save_translation(settings, version_id, translation)
            result = finish_language(settings, version_id, language, options)
        done[language] = result
    return done


def language_paths(settings: PipelineSettings, options: TranslationOptions) -> list[nlp.LanguagePath]:
    """Per registered language: its model, voice and translators today, and the path a bulletin takes."""
    from tts.registry import list_voices

    voices: dict[str, str] = {}
    for voice in list_voices(settings.tts_models_dir):
        if voice.available:
            voices.setdefault(voice.language, voice.name)
    models = {}
    for model in nlp.list_models(options.translation_models_dir):
        for code in model.languages if model.available else ():
            models.setdefault(code, f"{model.name} ({model.format}, {model.licence or 'licence?'})")
    with stages.open_session(settings) as session:
        translators = storage.translators_by_language(session)
        sizes = storage.memory_sizes(session)
    return [
        nlp.language_path(
            lang,
            model=models.get(lang.code),
            voice=voices.get(lang.code),
            translators=len(translators.get(lang.code, [])),
            memory_segments=sizes.get(lang.code, 0),
            glossary_terms=len(nlp.load_glossary(lang.code, options.glossary_dir)),
        )
        for lang in nlp.list_languages()
    ]


# --- the translator ------------------------------------------------------------------------------


def translator_form(labels: list[str]) -> type[RunInput]:
    """The typed input a translator fills in: who they are (a choice) and one line per waiting segment."""
    # A one-label Literal is a bare "const" in the schema: the enum keeps the form a choice with one translator.
    who: Any = choice(tuple(labels)) if labels else str
    return create_model(  # type: ignore[call-overload, no-any-return]
        "TranslatorInput",
        __base__=RunInput,
        __doc__="Bản dịch của người dịch / The translator's translation.",
        translator=(
            who,
            Field(
                title="Người dịch / Translator",
                description="Người dịch của địa bàn / A translator for the target units.",
                json_schema_extra={"enum": list(labels)} if labels else None,
            ),
        ),
        translation=(
            str,
            Field(
                title="Bản dịch / Translation",
                description="Mỗi câu cần dịch một dòng, theo thứ tự trong phiếu / One line per segment, in the sheet's order.",
            ),
        ),
    )


def translator_label(person) -> str:  # type: ignore[no-untyped-def]
    """How a translator is shown in the form: ``Name — unit (#id)``."""
    return f"{person.name} — {person.office or person.unit_code} (#{person.id})"


def translator_sheet(translation: Translation, *, version_id: int, notice: str = "") -> str:
    """Markdown for the translator: every segment, those waiting numbered, with glossary hits and reasons."""
    lang = nlp.get_language(translation.language)
    out = [f"# Cần người dịch / Translation needed: {lang.label()} — phiên bản / version {version_id}", ""]
    if notice:
        out += [f"**⚠ {notice}**", ""]
    out += [
        "Nhập mỗi câu được đánh số trên một dòng, theo thứ tự / Type one line per numbered segment, in order.",
        "",
        "| # | Tiếng Việt / Vietnamese | Bản dịch / Translation | Nguồn / From |",
        "|---|---|---|---|",
    ]
    waiting = 0
    for s in translation.segments:
        number = ""
        if s.target is None:
            waiting += 1
            number = str(waiting)
        out.append(f"| {number} | {_cell(s.source)} | {_cell(s.target or '')} | {s.label} |")
    out += ["", "## Thuật ngữ và lý do / Glossary and reasons", ""]
    for waiting, s in enumerate(translation.needed, start=1):
        out.append(f"**{waiting}.** {_cell(s.source)}")
        for hit in s.glossary:
            target = hit.get("target") or "cần người dịch chọn / a translator must choose"
            out.append(f"- thuật ngữ / glossary: {hit['source']} → {target}")
        for en, vi in s.reasons:
            out.append(f"- {vi} / {en}")
        if s.suggestion:
            out.append(f"- gợi ý bị từ chối / rejected suggestion: {_cell(s.suggestion)}")
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _lines(text: str) -> list[str]:
    return [_NUMBERED.sub("", line).strip() for line in (text or "").splitlines() if line.strip()]


def apply_translator_input(
    settings: PipelineSettings,
    version_id: int,
    translation: Translation,
    *,
    text: str,
    translator: str | int,
    glossary_dir: Path | None = None,
) -> Translation:
    """Validate a translator's lines for the waiting segments; store them in the memory; the completed translation.

    Any problem raises nlp.TranslationRejected (or a storage error) naming every line and reason; nothing
    is stored then.
    """
    from nlp.translation_check import TranslationRejected, check_translation

    lang = nlp.target_language(translation.language)
    glossary = nlp.load_glossary(lang.code, glossary_dir)
    needed = translation.needed
    lines = _lines(text)
    if not lines:
        raise TranslationRejected("The translation is empty.", "Bản dịch trống.")
    if len(lines) != len(needed):
        raise TranslationRejected(
            f"{len(needed)} segments wait for a translation, the answer has {len(lines)} lines: one line each.",
            f"Có {len(needed)} câu cần dịch nhưng bản dịch có {len(lines)} dòng: mỗi câu một dòng.",
        )
    problems = [
        (n, p) for n, (s, line) in enumerate(zip(needed, lines, strict=True), 1)
        for p in check_translation(s.source, line, lang, glossary=glossary)
    ]  # fmt: skip
    if problems:
        raise TranslationRejected(
            "The translation cannot be used: " + "; ".join(f"line {n}: {p.en}" for n, p in problems) + ".",
            "Bản dịch chưa dùng được: " + "; ".join(f"dòng {n}: {p.vi}" for n, p in problems) + ".",
        )
    with stages.open_session(settings) as session:
        person = storage.get_person(session, translator)
        answers = dict(zip((s.index for s in needed), lines, strict=True))
        for s in needed:
            entry = nlp.memory_entry(s.source, answers[s.index])
            storage.remember_translation(
                session,
                target_language=lang.code,
                source_text=s.source,
                target_text=answers[s.index],
                source_key=entry.key,
                target_template=entry.target_template,
                origin="human",
                person_id=person.id,
                version_id=version_id,
            )
    segments = tuple(
        Segment(s.index, s.source, answers[s.index], TRANSLATOR, glossary=s.glossary)
        if s.index in answers
        else s
        for s in translation.segments
    )
    return Translation(translation.language, segments, translation.model)


def save_translation(
    settings: PipelineSettings,
    version_id: int,
    translation: Translation,
    kind: RenditionKind = RenditionKind.script,
) -> int:
    """Store a complete translation as the version's rendition (script or e-board) in that language; its id."""
    if not translation.complete:
        raise ValueError("a translation with segments still waiting for a translator cannot be stored")
    details = {
        "segments": [
            {"index": s.index, "origin": s.origin, "score": s.score, "source": s.source, "target": s.target}
            for s in translation.segments
        ]
    }
    with stages.open_session(settings) as session:
        rendition = storage.save_rendition(
            session=session,
            version_id=version_id,
            language=translation.language,
            kind=kind,
            text=translation.text,
            engine=translation.model or "",
            details=details,
        )
        return int(rendition.id)


def wait_for_translator(
    settings: PipelineSettings, version_id: int, translation: Translation, options: TranslationOptions
) -> Translation:
    """Inside a flow: pause until a translator's answer for the waiting segments validates; the completed translation."""
    from prefect.artifacts import create_markdown_artifact

    logger = get_run_logger()
    with stages.open_session(settings) as session:
        targets = storage.production_job(session, version_id).targets
        people = storage.translators_for(session, list(targets), translation.language)
        labels = [translator_label(p) for p in people]
    if not labels:
        logger.warning("no translator for %s in %s: bantin people add NAME --unit CODE --role translator",
                       translation.language, ", ".join(targets))  # fmt: skip
    notice, attempt = "", 0
    while not translation.complete:
        sheet = translator_sheet(translation, version_id=version_id, notice=notice)
        if attempt == 0:
            create_markdown_artifact(
                markdown=sheet, key=f"translation-v{version_id}-{translation.language}",
                description="Phiếu dịch / Translation sheet",
            )  # fmt: skip
        answer = _wait(
            translator_form(labels).with_initial_data(description=sheet),
            f"translate-v{version_id}-{translation.language}-{attempt}",
            options,
        )
        attempt += 1
        try:
            translation = apply_translator_input(
                settings, version_id, translation, text=answer.translation,
                translator=_person_ref(answer.translator), glossary_dir=options.glossary_dir,
            )  # fmt: skip
        except (nlp.TextError, StorageError) as refused:
            notice = f"{refused.message_vi} / {refused.message_en}"
            logger.warning("Translation refused / Bản dịch bị từ chối: %s", notice)
    return translation


def _wait(form, key: str, options: TranslationOptions):  # type: ignore[no-untyped-def]
    """Pause in-process; a deployment's run suspends instead (it survives restarts and reruns from the top,
    where the approved lines come back from the memory)."""
    from prefect.context import get_run_context
    from prefect.flow_runs import suspend_flow_run

    if get_run_context().flow_run.deployment_id is not None:
        return suspend_flow_run(wait_for_input=form, key=key, timeout=None)
    return pause_in_process(
        form, key, max(1, int(options.translator_timeout_seconds)), options.translator_poll_seconds
    )


def _person_ref(label: str) -> str:
    match = re.search(r"\(#(\d+)\)\s*$", label)
    return match.group(1) if match else label


class TranslateRequest(BaseModel):
    """Which version to translate into which language (the run's form)."""

    version_id: int = Field(
        ge=1, title="Phiên bản / Version", description="Mã phiên bản bản tin / Bulletin version id."
    )
    language: str = Field(
        title="Ngôn ngữ / Language", description="Mã ISO 639-3, ví dụ khm / ISO 639-3 code, e.g. khm."
    )
    review: ReviewRequestParams | None = Field(
        None,
        title="Duyệt sau khi dịch / Review once translated",
        description="Khi mọi ngôn ngữ đã sẵn sàng, gửi phiên bản đi duyệt / Once every language is ready, "
        "start the version's review.",
    )


@flow(name="translate-bulletin", log_prints=True)
def translate_bulletin(request: TranslateRequest) -> dict:
    """Translate one version into one language, wait for a translator where needed, store the rendition
    (script, e-board text, speech when the language has a voice); then, if asked, start the review once
    every language of the version is ready."""
    settings = options = PipelineSettings()
    language = nlp.target_language(request.language).code
    with stages.open_session(settings) as session:
        stored = any(
            r.language == language and r.kind == RenditionKind.script
            for r in storage.renditions(session, request.version_id)
        )
    result: dict = {}
    if not stored:
        translation = translation_from_dict(
            translate_version_task(settings, request.version_id, language, options)
        )
        if not translation.complete:
            try:
                translation = wait_for_translator(settings, request.version_id, translation, options)
            except RunCancelled as cancelled:
                # Cancelled from the UI while waiting: nothing stored; the next production asks again.
                return Cancelled(
                    message=f"Đã huỷ khi chờ người dịch ({language}) / cancelled while waiting for a "
                    f"translator ({language}): {cancelled}"
                )
        result = translation.to_dict() | {
            "rendition_id": save_translation(settings, request.version_id, translation)
        }
    result["rendition"] = finish_language(settings, request.version_id, language, options)
    if request.review is not None:
        result["review"] = review_when_ready(settings, request.review)
    return result


def review_when_ready(settings: PipelineSettings, params: ReviewRequestParams) -> dict:
    """Start the version's review if every language is ready (the last translation to finish starts it)."""
    from flows.produce import start_reviews
    from storage.translation import missing_renditions

    with stages.open_session(settings) as session:
        missing = missing_renditions(session, params.version_id)
    if missing:
        return {"status": "waiting", "missing": missing}
    return start_reviews([params])[params.version_id]


__all__ = [
    "NEEDS_TRANSLATOR",
    "TranslateRequest",
    "TranslationOptions",
    "apply_translator_input",
    "finish_language",
    "language_paths",
    "produce_language",
    "save_translation",
    "translate_bulletin",
    "translate_script",
    "translate_version",
    "translate_version_task",
    "translator_form",
    "translator_sheet",
    "voice_for",
    "wait_for_translator",
]
