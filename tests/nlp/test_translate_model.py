"""Neural translation: a tiny random NLLB-format model and tokenizer saved to disk, loaded by the real code."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from nlp.languages import get_language
from nlp.translate import MODEL, NEEDS_TRANSLATOR, translate_segments
from nlp.translation_model import (
    TranslationModelError,
    describe_model,
    list_models,
    load_translator,
    model_for,
)

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

KHM = get_language("khm")
SOURCE = "Bà con chú ý lúc 17h."
SAID = "សូមបងប្អូនយកចិត្តទុកដាក់ ZZA។"  # what the steered model says; ZZA is the placeholder of 17h


def build_tiny_nllb(
    directory: Path,
    texts: list[str],
    *,
    always_say: str | None = None,
    vocab_size: int = 300,
    max_positions: int = 128,
) -> Path:
    """Train a small BPE tokenizer in the NLLB format and save a random tiny M2M100 model with it.

    ``always_say`` steers generation (a ``sequence_bias`` chain in the saved generation config) so the
    random model answers one known sentence: the real loading and generation code runs unchanged.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace()
    bpe.train_from_iterator(
        texts, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>"])
    )
    data = json.loads(bpe.to_str())
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in data["model"]["merges"]]
    tokenizer = NllbTokenizer(vocab=data["model"]["vocab"], merges=merges, src_lang="vie_Latn")
    torch.manual_seed(0)
    config = M2M100Config(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    model = M2M100ForConditionalGeneration(config)
    if always_say:
        ids = [tokenizer.convert_tokens_to_ids("khm_Khmr")]
        ids += tokenizer(always_say, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        model.generation_config.sequence_bias = [[[a, b], 100.0] for a, b in itertools.pairwise(ids)]
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def steered_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_nllb(tmp_path_factory.mktemp("nllb") / "tiny-nllb", [SOURCE, SAID], always_say=SAID)


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_nllb(tmp_path_factory.mktemp("nllb-random") / "tiny-random", [SOURCE, SAID, "Mưa lớn."])


def test_model_directory_is_recognised_as_nllb_serving_languages_with_a_code(steered_model: Path) -> None:
    info = describe_model(steered_model)
    assert info.format == "nllb" and "khm" in info.languages and "tyz" not in info.languages
    assert model_for("khm", steered_model.parent) == info
    assert model_for("tyz", steered_model.parent) is None


def test_model_translation_keeps_the_number_placeholder_and_passes_validation(steered_model: Path) -> None:
    translator = load_translator(steered_model)
    assert translator.translate(["Bà con chú ý lúc ZZA."], KHM) == [SAID]
    result = translate_segments([SOURCE], KHM, model=translator)
    (segment,) = result.segments
    assert segment.origin == MODEL and segment.target == "សូមបងប្អូនយកចិត្តទុកដាក់ 17h។"
    assert result.model == "tiny-nllb"


def test_random_model_output_goes_to_a_translator_with_the_reasons(random_model: Path) -> None:
    result = translate_segments(
        ["Sơ tán trước 17h ngày 15/11/2025."], KHM, model=load_translator(random_model)
    )
    (segment,) = result.segments
    assert segment.origin == NEEDS_TRANSLATOR and segment.target is None
    assert segment.suggestion is not None  # the rejected output is shown to the translator
    assert any("model output" in en and "15/11/2025" in en for en, _ in segment.reasons)


def test_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TranslationModelError) as err:
        load_translator(tmp_path / "nowhere")
    assert "does not exist" in err.value.message_en and "không tồn tại" in err.value.message_vi


def test_broken_model_directory_is_a_clear_error_and_listed_with_the_reason(
    tmp_path: Path, steered_model: Path
) -> None:
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TranslationModelError) as err:
        load_translator(garbled)
    assert "config.json" in err.value.message_en and "Mô hình dịch" in err.value.message_vi
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (no_weights / name).write_bytes((steered_model / name).read_bytes())
    with pytest.raises(TranslationModelError) as err:
        load_translator(no_weights)
    assert "loading failed" in err.value.message_en
    listed = {m.name: m for m in list_models(tmp_path)}
    assert not listed["garbled"].available and "config.json" in listed["garbled"].reason
