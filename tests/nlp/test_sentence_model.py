"""The learned sentence value: loaded from its file, used by the extractive summary, refused when stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.duration import speaking_rate
from nlp.sentence_model import FEATURES, chances, load_model, sentence_features
from nlp.sentence_value import score_sentences
from nlp.sentences import split_sentences
from nlp.summary import summarize_extractive

# Written for this test: a schedule, what to bring, who reports to whom, and the contact line last.
DRAFT = (
    "Thưa bà con! Thực hiện Kế hoạch số 52/KH-UBND ngày 03/3/2026 của UBND xã Tân Lập, từ ngày 16/3/2026 "
    "Trạm Y tế xã tổ chức khám sức khỏe miễn phí cho người từ 60 tuổi trở lên tại nhà văn hóa các thôn. "
    "Năm 2025, toàn xã có 1.245 người cao tuổi, trong đó 312 người mắc bệnh huyết áp và 148 người mắc bệnh "
    "tiểu đường được phát hiện qua các đợt khám trước. Ngày 16/3/2026 khám tại thôn Đồng Tâm, ngày 17/3/2026 "
    "tại thôn Đồng Tiến, ngày 18/3/2026 tại thôn Khe Mạ, buổi sáng từ 7h30 đến 11h00. "
    "Khi đi khám, bà con mang theo thẻ căn cước và thẻ bảo hiểm y tế. "
    "Người cao tuổi được đo huyết áp, xét nghiệm đường máu, khám mắt và tư vấn dinh dưỡng. "
    "Các gia đình có người cao tuổi ốm yếu, không tự đi được báo cho trưởng thôn trước ngày 14/3/2026. "
    "Đề nghị các chi hội người cao tuổi thông báo đến từng hội viên. "
    "Mọi thắc mắc, bà con liên hệ Trạm Y tế xã, số điện thoại 0210 3862 115."
)
TARGET_SECONDS = 40.0


def model_favouring(feature: str, exponent: float = 4.0) -> dict:
    """A model whose chance depends on one feature only (the others have no weight)."""
    count = len(FEATURES)
    weights = [0.0] * count
    weights[FEATURES.index(feature)] = 4.0
    return {
        "features": list(FEATURES),
        "mean": [0.0] * count,
        "scale": [1.0] * count,
        "weights": weights,
        "bias": -2.0,
        "exponent": exponent,
        "combine": "replace",
    }


def test_a_learned_value_decides_what_the_rules_leave_out() -> None:
    """The rules drop the contact line for the schedule; a model that values whom to call keeps it."""
    rate = speaking_rate("espeak-vi-north")
    sentences = split_sentences(DRAFT)
    rules = summarize_extractive(sentences, target_seconds=TARGET_SECONDS, title=None, rate=rate, model=None)
    learned = summarize_extractive(
        sentences, target_seconds=TARGET_SECONDS, title=None, rate=rate, model=model_favouring("contact_line")
    )
    assert "0210 3862 115" not in rules.script
    assert "0210 3862 115" in learned.script
    assert abs(learned.estimated_seconds - TARGET_SECONDS) <= 0.1 * TARGET_SECONDS


def test_exponent_zero_is_the_rules_alone() -> None:
    rate = speaking_rate("espeak-vi-north")
    sentences = split_sentences(DRAFT)
    rules = summarize_extractive(sentences, target_seconds=TARGET_SECONDS, title=None, rate=rate, model=None)
    off = summarize_extractive(
        sentences,
        target_seconds=TARGET_SECONDS,
        title=None,
        rate=rate,
        model=model_favouring("cue_bring", 0.0),
    )
    assert off.script == rules.script


def test_features_and_chances_have_one_row_per_sentence() -> None:
    sentences = split_sentences(DRAFT)
    rows = sentence_features(sentences, score_sentences(sentences), speaking_rate())
    assert len(rows) == len(sentences) and all(len(row) == len(FEATURES) for row in rows)
    found = chances(rows, model_favouring("contact_line"))
    assert max(range(len(found)), key=found.__getitem__) == len(sentences) - 1  # the phone line
    assert all(0.0 < c < 1.0 for c in found)


def test_a_model_trained_on_other_features_is_refused_with_the_command_to_retrain(tmp_path: Path) -> None:
    stale = model_favouring("cue_bring")
    stale["features"] = stale["features"][:-1]
    path = tmp_path / "sentence_model.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ValueError, match=r"bench/summary_model\.py --write"):
        load_model(path)


def test_no_model_file_means_the_rules_alone(tmp_path: Path) -> None:
    assert load_model(tmp_path / "absent.json") is None


def test_the_trainer_learns_which_sentences_carry_key_facts(tmp_path: Path) -> None:
    """bench/summary_model.py: trained on annotated bulletins, the saved model loads and ranks the sentences
    that keep a key fact above the others (on the bulletins it learned from), and the summarizer uses it."""
    from bench.summary_model import DATA, load, prepared, train

    bulletins = [prepared({**b, "_oracle": False}) for b in load(DATA / "bulletins_train")[:8]]
    model = {**train(bulletins, penalty=10.0, exponent=1.0), "combine": "replace"}
    path = tmp_path / "sentence_model.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    loaded = load_model(path)
    assert loaded is not None and loaded["weights"] == model["weights"]
    pairs = wins = 0
    for b in bulletins:
        found = chances(b["rows"], loaded)
        carrying = [c for c, label in zip(found, b["labels"]["fact"], strict=True) if label]
        others = [c for c, label in zip(found, b["labels"]["fact"], strict=True) if not label]
        pairs += len(carrying) * len(others)
        wins += sum(c > o for c in carrying for o in others)
    assert wins / pairs > 0.75
    first = bulletins[0]
    script = summarize_extractive(
        first["sentences"],
        target_seconds=float(first["target_seconds"]),
        title=first["title"],
        rate=speaking_rate(),
        model=loaded,
    )
    assert abs(script.estimated_seconds - first["target_seconds"]) <= 0.1 * first["target_seconds"]
