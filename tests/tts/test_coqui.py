"""Coqui TTS engine: a tiny VITS model built with Coqui's own config classes loads and speaks via the registry.

Runs in the Coqui venv (`bash tests/run-coqui.sh`); in an environment without coqui-tts only the test of the
"not installed" message runs and the rest are skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import tts
from tts.config import SynthesisConfig
from tts.engine import Voice
from tts.errors import EngineUnavailable, SpeechError

COQUI_MISSING = importlib.util.find_spec("TTS") is None
SKIP_REASON = "coqui-tts (imports as TTS) is not installed here; run `bash tests/run-coqui.sh` (Coqui extra)"

VOICE = "coqui-tiny-vi"
BULLETIN_SENTENCE = (
    "Xin chào bà con thôn Đông, chiều nay có mưa to và gió mạnh, đề nghị bà con chằng chống nhà cửa."
)
VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵfjwz0123456789"
)


def build_tiny_vits(model_dir: Path, sample_rate: int = 16000, speakers: list[str] | None = None) -> None:
    """A random ~1M-parameter Coqui VITS (graphemes, no phonemizer) saved as config.json + model.pth.

    With ``speakers``, a multi-speaker model whose config, like a trained one, names its speakers file by
    the path it had on the training machine.
    """
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits
    from TTS.tts.utils.speakers import SpeakerManager

    torch.manual_seed(0)
    model_dir.mkdir(parents=True)
    speakers_file = None
    if speakers:
        manager = SpeakerManager()
        manager.name_to_id = {name: i for i, name in enumerate(speakers)}
        manager.save_ids_to_file(str(model_dir / "speakers.json"))
        speakers_file = str(model_dir / "speakers.json")
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        upsample_initial_channel_decoder=32,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        init_discriminator=False,
        use_speaker_embedding=bool(speakers),
        speakers_file=speakers_file,
    )
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="<PAD>",
        eos="<EOS>",
        bos="<BOS>",
        blank="<BLNK>",
        characters=VIETNAMESE_LETTERS,
        punctuations="!,.?;:-… ",
        phonemes=None,
        is_unique=True,
        is_sorted=True,
    )
    config = VitsConfig(
        model_args=args,
        use_phonemes=False,
        phoneme_language="vi",
        text_cleaner="multilingual_cleaners",
        characters=characters,
        use_speaker_embedding=bool(speakers),
        speakers_file=speakers_file,
    )
    config.audio.sample_rate = sample_rate
    model = Vits(config)
    if speakers:
        config.speakers_file = config.model_args.speakers_file = "/train/run-7/speakers.json"
    config.save_json(str(model_dir / "config.json"))
    torch.save({"model": model.state_dict()}, model_dir / "model.pth")


def build_tiny_xtts(model_dir: Path) -> None:
    """A random ~22M-parameter Coqui XTTS for Vietnamese: config.json, model.pth, a BPE vocab.json."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    model_dir.mkdir(parents=True)
    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[vi]"]
    trainer = trainers.BpeTrainer(
        vocab_size=200, special_tokens=special, initial_alphabet=list(VIETNAMESE_LETTERS)
    )
    bpe.train_from_iterator([BULLETIN_SENTENCE.lower()], trainer)
    bpe.save(str(model_dir / "vocab.json"))
    torch.manual_seed(0)
    args = XttsArgs(
        gpt_layers=1,
        gpt_n_model_channels=32,
        gpt_n_heads=2,
        decoder_input_dim=32,
        gpt_max_audio_tokens=40,  # a random GPT never says stop: keep its babble short
        gpt_max_text_tokens=100,
        gpt_num_audio_tokens=66,
        gpt_start_audio_token=64,
        gpt_stop_audio_token=65,
        gpt_use_perceiver_resampler=True,  # as XTTS v2 and viXTTS
    )
    config = XttsConfig(model_args=args, languages=["vi"])
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(str(model_dir / "vocab.json"))
    model.init_models()
    config.save_json(str(model_dir / "config.json"))
    torch.save({"model": model.state_dict()}, model_dir / "model.pth")


def write_reference_wav(path: Path, seconds: float = 3.0, rate: int = 22050) -> None:
    """A voiced-like reference recording (a 180 Hz tone with a 3 Hz tremolo) as 16-bit PCM wav."""
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    soundfile.write(str(path), tone.astype(np.float32), rate, subtype="PCM_16")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory with one tiny Coqui VITS voice and its bantin-voice.json."""
    pytest.importorskip("TTS", reason=SKIP_REASON)
    root = tmp_path_factory.mktemp("models")
    build_tiny_vits(root / "tiny-vi")
    manifest = {"language": "vie", "region": "north", "licence": "CC0-1.0 (random test weights)"}
    (root / "tiny-vi" / "bantin-voice.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def seeded_samples(voice: Voice, text: str, config: SynthesisConfig) -> np.ndarray:
    """All samples of one synthesis, with the stochastic duration predictor's noise fixed."""
    import torch

    torch.manual_seed(1)
    return np.concatenate([chunk.samples for chunk in voice.synthesize(text, config)])


@pytest.mark.skipif(not COQUI_MISSING, reason="coqui-tts is installed here")
def test_without_coqui_a_model_dir_is_listed_as_unavailable_with_the_install_hint(tmp_path: Path) -> None:
    model_dir = tmp_path / "tiny-vi"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"model": "vits", "audio": {"sample_rate": 16000}}))
    (model_dir / "model.pth").write_bytes(b"not loaded without coqui")

    listed = {v.name: v for v in tts.list_voices(tmp_path)}

    assert not listed[VOICE].available
    assert "Coqui extra" in listed[VOICE].reason
    with pytest.raises(EngineUnavailable, match="Coqui extra"):
        tts.get_voice(VOICE, models_dir=tmp_path)


def test_tiny_vits_is_listed_with_its_language_region_and_licence(models_dir: Path) -> None:
    listed = {v.name: v for v in tts.list_voices(models_dir)}

    info = listed[VOICE]
    assert info.available, info.reason
    assert (info.engine, info.language, info.region) == ("coqui", "vie", "north")
    assert info.licence == "CC0-1.0 (random test weights)"
    assert info.sample_rate == 16000
    assert info in tts.voices_for_language("vi", models_dir)


def test_tiny_vits_speaks_a_vietnamese_sentence_through_the_registry(models_dir: Path) -> None:
    voice = tts.get_voice(VOICE, models_dir=models_dir)

    chunks = list(voice.synthesize(BULLETIN_SENTENCE, SynthesisConfig()))

    assert chunks and all(c.sample_rate == 16000 == voice.sample_rate for c in chunks)
    samples = np.concatenate([c.samples for c in chunks])
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert np.isfinite(samples).all() and np.abs(samples).max() <= 1.0
    assert np.sqrt(np.mean(samples**2)) > 1e-3  # real signal, not silence
    seconds = len(samples) / 16000
    assert 0.5 < seconds < 60, seconds  # ~100 characters: neither a click nor a runaway


def test_decomposed_unicode_reads_like_composed(models_dir: Path) -> None:
    import unicodedata

    voice = tts.get_voice(VOICE, models_dir=models_dir)
    composed = seeded_samples(voice, BULLETIN_SENTENCE, SynthesisConfig())
    decomposed = seeded_samples(voice, unicodedata.normalize("NFD", BULLETIN_SENTENCE), SynthesisConfig())

    np.testing.assert_allclose(decomposed, composed, atol=1e-5)


def test_faster_speed_gives_shorter_speech(models_dir: Path) -> None:
    voice = tts.get_voice(VOICE, models_dir=models_dir)

    slow = seeded_samples(voice, BULLETIN_SENTENCE, SynthesisConfig(speed=0.5))
    fast = seeded_samples(voice, BULLETIN_SENTENCE, SynthesisConfig(speed=2.0))

    assert len(fast) < 0.5 * len(slow)


def test_text_with_no_character_the_voice_knows_is_refused_clearly(models_dir: Path) -> None:
    voice = tts.get_voice(VOICE, models_dir=models_dir)

    with pytest.raises(SpeechError, match=VOICE) as caught:
        list(voice.synthesize("你好世界 ... !!!", SynthesisConfig()))

    assert "không đọc được" in caught.value.message("vi")


def test_corrupt_checkpoint_is_reported_with_its_directory(models_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "models" / "broken-vi"
    shutil.copytree(models_dir / "tiny-vi", broken)
    data = (broken / "model.pth").read_bytes()
    (broken / "model.pth").write_bytes(data[: len(data) // 3])  # an interrupted copy

    with pytest.raises(EngineUnavailable) as caught:
        tts.get_voice("coqui-broken-vi", models_dir=tmp_path / "models")

    assert str(broken) in str(caught.value)
    assert str(broken) in caught.value.message("vi")


def test_training_folder_loads_its_latest_checkpoint(models_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "models" / "run-vi"
    shutil.copytree(models_dir / "tiny-vi", run)
    (run / "model.pth").rename(run / "checkpoint_12000.pth")
    (run / "checkpoint_900.pth").write_bytes(b"an early, broken checkpoint")

    voice = tts.get_voice("coqui-run-vi", models_dir=tmp_path / "models")

    assert len(np.concatenate([c.samples for c in voice.synthesize("xin chào", SynthesisConfig())])) > 0


def test_multi_speaker_model_speaks_with_the_speaker_named_in_bantin_voice_json(tmp_path: Path) -> None:
    pytest.importorskip("TTS", reason=SKIP_REASON)
    build_tiny_vits(tmp_path / "two-vi", speakers=["lan", "minh"])
    manifest = tmp_path / "two-vi" / "bantin-voice.json"
    audio = {}
    for speaker in ("lan", "minh"):
        manifest.write_text(json.dumps({"language": "vie", "speaker": speaker}), encoding="utf-8")
        voice = tts.get_voice("coqui-two-vi", models_dir=tmp_path)
        audio[speaker] = seeded_samples(voice, "xin chào bà con", SynthesisConfig())

    assert not np.array_equal(audio["lan"], audio["minh"])

    manifest.write_text(json.dumps({"language": "vie", "speaker": "hoa"}), encoding="utf-8")
    with pytest.raises(EngineUnavailable, match="lan, minh"):
        tts.get_voice("coqui-two-vi", models_dir=tmp_path)


def test_rendered_bulletin_is_a_mastered_mp3_that_decodes(models_dir: Path) -> None:
    import soundfile  # a coqui-tts dependency; its libsndfile reads MP3

    result = tts.render_speech(BULLETIN_SENTENCE, voice=VOICE, models_dir=models_dir, profile="loudspeaker")

    assert (result.engine, result.voice, result.licence) == ("coqui", VOICE, "CC0-1.0 (random test weights)")
    decoded, rate = soundfile.read(io.BytesIO(result.mp3), dtype="float32")
    assert rate == result.sample_rate == 22050
    assert abs(len(decoded) / rate - result.duration_s) < 0.2
    assert result.duration_s > 0.5
    assert np.sqrt(np.mean(decoded**2)) > 1e-3


@pytest.fixture(scope="module")
def xtts_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory with one tiny XTTS voice, its reference recording and bantin-voice.json."""
    pytest.importorskip("TTS", reason=SKIP_REASON)
    root = tmp_path_factory.mktemp("xtts-models")
    build_tiny_xtts(root / "tiny-xtts")
    write_reference_wav(root / "tiny-xtts" / "giong-mau.wav")
    manifest = {"language": "vie", "region": "south", "speaker_wav": "giong-mau.wav"}
    (root / "tiny-xtts" / "bantin-voice.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def test_xtts_voice_is_listed_under_the_coqui_public_model_licence(xtts_models_dir: Path) -> None:
    info = {v.name: v for v in tts.list_voices(xtts_models_dir)}["coqui-tiny-xtts"]

    assert info.available, info.reason
    assert (info.language, info.region, info.sample_rate) == ("vie", "south", 24000)
    assert info.licence == "Coqui Public Model License (CPML)"


def test_xtts_clones_the_reference_speaker_and_reads_each_sentence(xtts_models_dir: Path) -> None:
    voice = tts.get_voice("coqui-tiny-xtts", models_dir=xtts_models_dir)

    chunks = list(voice.synthesize("Xin chào bà con. Chiều nay có mưa to.", SynthesisConfig()))

    assert len(chunks) == 2  # one per sentence, with the sentence pause between them
    assert chunks[0].pause_after_s == SynthesisConfig().sentence_pause_s and chunks[1].pause_after_s == 0
    for chunk in chunks:
        assert chunk.sample_rate == 24000 == voice.sample_rate
        assert chunk.samples.dtype == np.float32 and chunk.samples.ndim == 1
        assert np.isfinite(chunk.samples).all() and np.sqrt(np.mean(chunk.samples**2)) > 1e-4
        assert 0.1 < chunk.duration_s < 30


def test_xtts_without_a_reference_recording_says_what_to_add(xtts_models_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "models" / "no-speaker"
    shutil.copytree(xtts_models_dir / "tiny-xtts", bare)
    (bare / "giong-mau.wav").unlink()

    with pytest.raises(EngineUnavailable, match=r"speaker\.wav") as caught:
        tts.get_voice("coqui-no-speaker", models_dir=tmp_path / "models")

    assert str(bare) in str(caught.value)
