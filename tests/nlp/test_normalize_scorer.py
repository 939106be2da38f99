"""The convention-tolerant scorer of bench/normalize_eval.py accepts exactly the documented variants."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("normalize_eval", REPO / "bench" / "normalize_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("normalize_eval", module)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def tolerant(got: str, expected: str) -> bool:
    return bench.matches(got, expected, tolerant=True)


def test_every_scorer_rule_is_documented_and_every_documented_rule_is_applied() -> None:
    document = (REPO / "bench" / "normalization_conventions.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", document, flags=re.MULTILINE))
    assert documented == set(bench.CONVENTION_RULES)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("hai nghìn không trăm hai mươi lăm", "hai nghìn hai mươi lăm"),
        ("một triệu không trăm linh một nghìn không trăm linh một", "một triệu một nghìn linh một"),
        ("một trăm linh năm hộ", "một trăm lẻ năm hộ"),
        ("ba phẩy mười bốn tỷ", "ba phẩy một bốn tỷ"),
        ("tám trăm mười tám phẩy ba trăm linh ba", "tám trăm mười tám phẩy ba không ba"),
        ("hai mươi mốt xã", "hai mươi một xã"),
        ("hai mươi tư người", "hai mươi bốn người"),
        ("hai mươi lăm nghìn đồng", "hai mươi năm nghìn đồng"),
        ("ba nghìn người", "ba ngàn người"),
        ("mười hai tỷ đồng", "mười hai tỉ đồng"),
        ("mười đô la Mỹ", "mười đô la"),
        ("năm phẩy chín mươi chín đô la", "năm đô la chín mươi chín xu"),
        ("không phẩy năm đô la", "năm mươi xu"),
        ("năm mươi nghìn đồng một ngày", "năm mươi nghìn đồng trên ngày"),
        ("một trăm xen ti mét nhân năm mươi xen ti mét", "một trăm xăng ti mét x năm mươi xăng ti mét"),
        ("năm mươi héc", "năm mươi hẹc"),
        ("mười bốn giờ u tê xê", "mười bốn giờ UTC"),
        ("hai mươi lăm độ xê", "hai mươi lăm độ c"),
    ],
)
def test_documented_variants_are_accepted(ours: str, theirs: str) -> None:
    assert not bench.matches(ours, theirs, tolerant=False)
    assert tolerant(ours, theirs)


@pytest.mark.parametrize(
    ("ours", "other"),
    [
        ("ngày một tháng hai", "một phần hai"),  # a date is not a fraction
        ("một trăm linh bốn", "một trăm linh tư"),  # "tư" after "linh" is not a documented variant
        ("hai mươi năm", "hai mươi lăm"),  # twenty years is not twenty-five
        ("hai nghìn không trăm hai mươi lăm", "hai nghìn lẻ hai mươi lăm"),  # "lẻ" before tens
        ("mười đô la", "mười ơ rô"),
        ("năm mươi nghìn đồng một ngày", "năm mươi nghìn đồng mỗi ngày"),
        ("mười lăm giờ", "mười lăm tiếng"),
        ("thứ nhất", "thứ một"),
        ("ngày mười lăm tháng mười hai", "mười lăm tháng mười hai"),  # the added "ngày" matters
        ("ba phẩy mười bốn", "ba phẩy một bốn năm"),
    ],
)
def test_variants_not_in_the_document_are_rejected(ours: str, other: str) -> None:
    assert not tolerant(ours, other)


def test_exact_match_ignores_only_case_punctuation_and_spacing() -> None:
    assert bench.matches("Ngày mười lăm, tháng mười hai.", "ngày mười lăm tháng  mười hai", tolerant=False)
    assert not bench.matches("ngày mười lăm tháng mười hai", "ngày mười lăm tháng mười", tolerant=False)


def test_every_set_has_classes_and_the_nemo_cases_keep_their_licence() -> None:
    nemo = bench.nemo_cases()
    assert len(nemo) >= 450
    assert {c.cls for c in nemo} >= {"cardinal", "date", "decimal", "fraction", "measure", "money", "time"}
    assert "Apache License" in (REPO / "bench/data/normalization/nemo_vi/LICENSE").read_text(encoding="utf-8")
    held_out = bench.heldout_cases()
    assert len(held_out) >= 300
    assert len({c.cls for c in held_out}) >= 18
