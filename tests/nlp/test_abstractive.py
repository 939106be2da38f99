"""Abstractive backend: a tiny random seq2seq model saved to disk and loaded by the real code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.abstractive import ModelUnavailable, generate_summary, invented_facts, load_summarizer
from nlp.summary import summarize

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

REPO = Path(__file__).resolve().parents[2]
BULLETIN = json.loads(
    (REPO.parent / "shared" / "data" / "bulletins" / "dev-001.json").read_text(encoding="utf-8")
)
INVENTED = "2099"


def build_tiny_model(directory: Path, *, always_say: str | None = None) -> Path:
    """Train a small BPE tokenizer and save a random tiny BART with it; optionally bias it to one token."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    bpe.train_from_iterator(
        [BULLETIN["body"], BULLETIN["title"]], trainers.BpeTrainer(vocab_size=300, special_tokens=specials)
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    tokenizer.add_tokens([INVENTED])
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=None,
    )
    model = BartForConditionalGeneration(config)
    if always_say is not None:
        with torch.no_grad():
            model.final_logits_bias[0, tokenizer.convert_tokens_to_ids(always_say)] = 1000.0
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-bart"))


@pytest.fixture(scope="module")
def inventing_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-bart-2099"), always_say=INVENTED)


def test_tiny_model_loads_from_disk_and_generates_text(random_model: Path) -> None:
    text = generate_summary(random_model, BULLETIN["body"], max_new_tokens=12, min_new_tokens=4)
    assert isinstance(text, str) and text.strip()


def test_summary_through_model_is_abstractive_or_a_recorded_fallback(random_model: Path) -> None:
    summary = summarize(BULLETIN["body"], target_seconds=60, title=BULLETIN["title"], model_dir=random_model)
    assert summary.backend in {"abstractive", "extractive"}
    if summary.backend == "extractive":
        assert summary.fallback_reason  # a random model's text is rejected, and the reason is recorded
    assert summary.script


def test_invented_number_is_rejected_and_extractive_summary_used(inventing_model: Path) -> None:
    summary = summarize(
        BULLETIN["body"], target_seconds=60, title=BULLETIN["title"], model_dir=inventing_model
    )
    assert summary.backend == "extractive"
    assert INVENTED in summary.fallback_reason
    assert INVENTED not in summary.script
    # extractive: every sentence is the body's own words (possibly without a lead clause or later clauses)
    assert summary.sentences and all(s[1:-1] in BULLETIN["body"] for s in summary.sentences)


def test_guard_accepts_facts_from_the_source_and_names_inventions() -> None:
    source = "Bà con thôn 2 sơ tán trước 17h ngày 15/11/2025, gọi 0233 3871 115 tại xã Tân Thạch."
    assert invented_facts("Thôn 2 sơ tán trước 17h ngày 15/11/2025.", source) == []
    invented = invented_facts("Thôn 3 sơ tán trước 19h ngày 16/11/2025 tại xã Hòa Bình.", source)
    assert {"16/11/2025", "19h", "3"} <= set(invented)
    assert any("Hòa Bình" in item for item in invented)


def test_missing_model_dir_is_a_recorded_fallback(tmp_path: Path) -> None:
    summary = summarize(BULLETIN["body"], target_seconds=60, model_dir=tmp_path / "nowhere")
    assert summary.backend == "extractive"
    assert "does not exist" in summary.fallback_reason


def test_broken_model_dir_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="cannot load the model"):
        load_summarizer(str(tmp_path))
    summary = summarize(BULLETIN["body"], target_seconds=60, model_dir=tmp_path)
    assert summary.backend == "extractive" and "cannot load" in summary.fallback_reason


def test_configured_model_without_torch_falls_back_to_extractive_with_a_warning(random_model: Path) -> None:
    """A machine without the neural extra (no torch) still gets its summary, and the log says why."""
    program = (
        "import importlib.abc, json, logging, sys\n"
        "class NoTorch(importlib.abc.MetaPathFinder):  # importing torch fails, as where it is not installed\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s %(message)s')\n"
        "from nlp import summarize\n"
        "bulletin = json.loads(open(sys.argv[1], encoding='utf-8').read())\n"
        "summary = summarize(bulletin['body'], target_seconds=60, title=bulletin['title'], model_dir=sys.argv[2])\n"
        "assert 'torch' not in sys.modules\n"
        "print(json.dumps(summary.to_dict(), ensure_ascii=False))\n"
    )
    bulletin = REPO.parent / "shared" / "data" / "bulletins" / "dev-001.json"
    result = subprocess.run(
        [sys.executable, "-c", program, str(bulletin), str(random_model)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["backend"] == "extractive"
    assert "torch" in summary["fallback_reason"] and "bantin[neural]" in summary["fallback_reason"]
    assert summary["script"] and abs(summary["estimated_seconds"] - 60) <= 6
    assert "WARNING nlp.summary" in result.stderr and "torch" in result.stderr
