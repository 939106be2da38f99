"""Build a tiny random transformers VITS voice (character-level Vietnamese vocab) for tests and benches.

Its audio is noise, not speech: it exists so the real local-model loading and synthesis code runs
without downloading anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from tts.engine import VOICE_MANIFEST

# Lower-case Vietnamese letters (NFC, precomposed) plus digits, space and light punctuation.
VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệfghiìíỉĩịjklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvwxyỳýỷỹỵz"
)
_SYMBOLS = " 0123456789,.!?-"


def tiny_vits_vocab() -> dict[str, int]:
    """Character -> id, with the pad and unknown tokens VitsTokenizer expects."""
    chars = ["<pad>", "<unk>", *dict.fromkeys(VIETNAMESE_LETTERS + _SYMBOLS)]
    return {ch: i for i, ch in enumerate(chars)}


def build_tiny_vits(
    model_dir: Path, *, language: str = "vie", seed: int = 0, licence: str = "Apache-2.0"
) -> Path:
    """Save a randomly initialised ~100k-parameter VitsModel and its tokenizer into ``model_dir``."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    vocab = tiny_vits_vocab()
    vocab_file = model_dir / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = VitsTokenizer(
        str(vocab_file), language=language, add_blank=True, normalize=True, phonemize=False
    )
    tokenizer.save_pretrained(str(model_dir))
    config = VitsConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        flow_size=16,
        spectrogram_bins=33,
        upsample_initial_channel=32,
        upsample_rates=[8, 8, 4],
        upsample_kernel_sizes=[16, 16, 8],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        duration_predictor_filter_channels=16,
        prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1,
        prior_encoder_num_flows=1,
        sampling_rate=16000,
    )
    torch.manual_seed(seed)
    VitsModel(config).eval().save_pretrained(str(model_dir))
    manifest = {
        "language": language,
        "region": None,
        "licence": licence,
        "description": "tiny random test model",
    }
    (model_dir / VOICE_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return model_dir
