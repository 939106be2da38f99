"""Neural machine translation from a local model directory (NLLB, M2M100 or Marian); torch loads only here.

A directory is one model. Its format comes from ``bantin-translation.json`` (``{"format": "nllb",
"languages": ["khm"], "licence": "CC-BY-NC-4.0"}``) or, without it, from ``config.json`` and the tokenizer:
NLLB and M2M100 serve every registered language with a code in their scheme (``khm_Khmr``, ``km``); a
Marian model serves the languages its ``bantin-translation.json`` names (one, or several with ``>>xxx<<``
target tokens). Nothing is downloaded.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.errors import TextError
from nlp.languages import Language, list_languages

MANIFEST = "bantin-translation.json"
FORMATS = ("nllb", "m2m100", "marian")
MAX_INPUT_TOKENS = 256
BATCH_SIZE = 8
_CODE_FIELD = {"nllb": "nllb", "m2m100": "m2m100"}


class TranslationModelError(TextError):
    code = "translation_model"


@dataclass(frozen=True)
class ModelInfo:
    """A local translation model: where, which format, which target languages, licence, and whether it loads."""

    name: str
    path: Path
    format: str
    languages: tuple[str, ...]
    licence: str = ""
    available: bool = True
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "format": self.format,
            "languages": list(self.languages),
            "licence": self.licence,
            "available": self.available,
            "reason": self.reason,
        }


def _broken(path: Path, en: str, vi: str) -> TranslationModelError:
    return TranslationModelError(
        f"Translation model {path} cannot be used: {en}. Check the directory (bantin languages lists models).",
        f"Mô hình dịch {path} không dùng được: {vi}. Hãy kiểm tra thư mục (bantin languages liệt kê các mô hình).",
    )


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _broken(
            path.parent, f"{path.name} is unreadable ({exc})", f"không đọc được {path.name} ({exc})"
        ) from None
    if not isinstance(data, dict):
        raise _broken(
            path.parent, f"{path.name} is not a JSON object", f"{path.name} không phải đối tượng JSON"
        )
    return data


def describe_model(path: Path) -> ModelInfo:
    """What a model directory holds, read from its JSON files only (no torch); TranslationModelError if broken."""
    if not path.is_dir():
        raise _broken(path, "the directory does not exist", "thư mục không tồn tại")
    if not (path / "config.json").is_file():
        raise _broken(path, "it has no config.json", "thiếu tệp config.json")
    config = _read_json(path / "config.json")
    manifest = _read_json(path / MANIFEST) if (path / MANIFEST).is_file() else {}
    tokenizer = (
        _read_json(path / "tokenizer_config.json") if (path / "tokenizer_config.json").is_file() else {}
    )
    if not any((path / f).is_file() for f in ("tokenizer.json", "source.spm", "sentencepiece.bpe.model")):
        raise _broken(path, "it has no tokenizer files", "thiếu tệp bộ tách từ (tokenizer)")
    fmt = manifest.get("format") or _guess_format(config, tokenizer)
    if fmt not in FORMATS:
        raise _broken(
            path,
            f"format {fmt!r} is not one of {', '.join(FORMATS)} (set it in {MANIFEST})",
            f"định dạng {fmt!r} không thuộc {', '.join(FORMATS)} (khai báo trong {MANIFEST})",
        )
    languages = manifest.get("languages") or _scheme_languages(fmt)
    if not languages:
        raise _broken(
            path,
            f"a Marian model must name its target languages in {MANIFEST}",
            f"mô hình Marian phải khai báo ngôn ngữ đích trong {MANIFEST}",
        )
    name = str(manifest.get("name") or path.name)
    return ModelInfo(name, path, fmt, tuple(languages), str(manifest.get("licence", "")))


def _guess_format(config: dict, tokenizer: dict) -> str:
    model_type = str(config.get("model_type", ""))
    if model_type == "marian":
        return "marian"
    if model_type == "m2m_100":
        return "nllb" if "nllb" in str(tokenizer.get("tokenizer_class", "")).lower() else "m2m100"
    return model_type or "unknown"


def _scheme_languages(fmt: str) -> list[str]:
    """Registered target languages that a multilingual scheme names (NLLB ``khm_Khmr``, M2M100 ``km``)."""
    field = _CODE_FIELD.get(fmt)
    return [
        lang.code for lang in list_languages() if field and lang.model_codes.get(field) and lang.code != "vie"
    ]


def check_models_dir(models_dir: Path | None) -> None:
    """TranslationModelError when a configured models directory does not exist (none configured is fine)."""
    if models_dir is not None and not Path(models_dir).is_dir():
        raise TranslationModelError(
            f"The translation models directory {models_dir} does not exist. Fix BANTIN_TRANSLATION_MODELS_DIR "
            "(or --models-dir), or leave it empty to translate with the memory, the glossary and translators only.",
            f"Thư mục mô hình dịch {models_dir} không tồn tại. Hãy sửa BANTIN_TRANSLATION_MODELS_DIR (hoặc "
            "--models-dir), hoặc để trống để dịch bằng bộ nhớ dịch, thuật ngữ và người dịch.",
        )


def list_models(models_dir: Path | None) -> list[ModelInfo]:
    """Every model directory under ``models_dir`` (or the directory itself), broken ones with the reason."""
    if models_dir is None or not models_dir.is_dir():
        return []
    dirs = (
        [models_dir]
        if (models_dir / "config.json").is_file()
        else sorted(p for p in models_dir.iterdir() if p.is_dir())
    )
    out = []
    for path in dirs:
        try:
            out.append(describe_model(path))
        except TranslationModelError as exc:
            out.append(ModelInfo(path.name, path, "unknown", (), available=False, reason=exc.message_en))
    return out


def model_for(language: str, models_dir: Path | None) -> ModelInfo | None:
    """The first working model that serves ``language``, if any."""
    return next((m for m in list_models(models_dir) if m.available and language in m.languages), None)


@lru_cache(maxsize=2)
def _load(path: str):  # type: ignore[no-untyped-def]
    """Tokenizer and model from a local directory (never a hub)."""
    try:
        import torch  # noqa: F401  (transformers imports without torch but cannot run a model)
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    except ImportError as exc:
        raise TranslationModelError(
            f"torch or transformers is not installed ({exc}); pip install 'bantin[neural]'",
            f"chưa cài torch hoặc transformers ({exc}); hãy cài pip install 'bantin[neural]'",
        ) from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSeq2SeqLM.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # transformers raises many types for a broken directory
        raise _broken(
            Path(path),
            f"loading failed: {type(exc).__name__}: {exc}",
            f"nạp lỗi: {type(exc).__name__}: {exc}",
        ) from exc
    model.eval()
    return tokenizer, model


class NeuralTranslator:
    """Translates Vietnamese segments with one local model; loads it on first use."""

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        self.name = info.name

    def _target(self, tokenizer, language: Language) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
        """Generation arguments and input prefix that select the target language in this format."""
        if language.code not in self.info.languages:
            raise _broken(
                self.info.path,
                f"it does not serve {language.code}",
                f"mô hình không dịch sang {language.code}",
            )
        if self.info.format == "marian":
            return {}, (f">>{language.code}<< " if len(self.info.languages) > 1 else "")
        source = "vie_Latn" if self.info.format == "nllb" else "vi"
        target = language.model_codes[_CODE_FIELD[self.info.format]]
        tokenizer.src_lang = source
        token = target if self.info.format == "nllb" else f"__{target}__"
        token_id = tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise _broken(
                self.info.path, f"its tokenizer has no {token} token", f"bộ tách từ không có mã {token}"
            )
        return {"forced_bos_token_id": token_id}, ""

    def translate(self, texts: list[str], language: Language) -> list[str]:
        """One translation per text, in order (beam search, NFC), in batches of similar length."""
        if not texts:
            return []
        tokenizer, model = _load(str(self.info.path))
        extra, prefix = self._target(tokenizer, language)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: dict[int, str] = {}
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            for i, text in zip(
                chunk,
                self._generate(tokenizer, model, [prefix + texts[i] for i in chunk], extra),
                strict=True,
            ):
                out[i] = text
        return [out[i] for i in range(len(texts))]

    def _generate(self, tokenizer, model, texts: list[str], extra: dict) -> list[str]:  # type: ignore[no-untyped-def]
        import torch

        batch = tokenizer(
            texts, return_tensors="pt", padding=True, truncation=True, max_length=MAX_INPUT_TOKENS
        )
        batch.pop("token_type_ids", None)
        # A translation is rarely much longer than its source in tokens; the cap bounds a model that never stops.
        limit = int(1.5 * batch["input_ids"].shape[1]) + 8
        try:
            with torch.no_grad():
                output = model.generate(**batch, **extra, max_new_tokens=limit, num_beams=2, do_sample=False)
        except (RuntimeError, ValueError, IndexError) as exc:
            raise _broken(self.info.path, f"generation failed: {exc}", f"sinh bản dịch lỗi: {exc}") from exc
        decoded = tokenizer.batch_decode(output, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return [unicodedata.normalize("NFC", " ".join(d.split())) for d in decoded]


def load_translator(path: Path) -> NeuralTranslator:
    """A translator for the model in ``path``, loaded now so a broken directory fails here, not mid-bulletin."""
    info = describe_model(path)
    _load(str(path))
    return NeuralTranslator(info)
