"""Translation without a model: registry, placeholders, glossary, memory (exact, fuzzy, files), validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.glossary import load_glossary, parse_glossary
from nlp.languages import UnsupportedLanguage, get_language, list_languages, target_language
from nlp.placeholders import mask, missing_values, unmask
from nlp.translate import FUZZY, GLOSSARY, KEPT, MEMORY, NEEDS_TRANSLATOR, translate_segments, translate_text
from nlp.translation_check import TranslationRejected, check_translation, validate_translation
from nlp.translation_memory import (
    InvalidMemoryFile,
    TranslationMemory,
    memory_entry,
    parse_memory_file,
    parse_tmx,
    parse_tsv_memory,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_GLOSSARY = REPO.parent / "shared" / "data" / "ethnic" / "glossary.tsv"
KHM = get_language("khm")
GREETING_KM = "សូមគោរពបងប្អូនប្រជាពលរដ្ឋ!"


@pytest.fixture(scope="module")
def glossary():  # type: ignore[no-untyped-def]
    return parse_glossary(SHARED_GLOSSARY.read_text(encoding="utf-8"), "khm")


def test_registry_names_the_languages_of_the_plans_with_iso_639_3_codes() -> None:
    codes = {lang.code for lang in list_languages()}
    assert {
        "vie",
        "khm",
        "tyz",
        "nut",
        "hnj",
        "ium",
        "blt",
        "mtq",
        "jra",
        "rad",
        "bdq",
        "sed",
        "cjm",
    } <= codes
    assert get_language("km").code == "khm"  # two-letter code accepted
    assert get_language("blu").code == "hnj"  # retired H'Mông code mapped to its successor
    assert KHM.nllb == "khm_Khmr" and KHM.scripts == ("Khmr",)
    assert all(lang.provinces and lang.name_vi and lang.why for lang in list_languages())


def test_unsupported_language_code_lists_the_supported_ones() -> None:
    with pytest.raises(UnsupportedLanguage) as err:
        get_language("xyz")
    assert (
        "khm" in err.value.message_en and "tyz" in err.value.message_vi and "hỗ trợ" in err.value.message_vi
    )
    with pytest.raises(UnsupportedLanguage):
        target_language("vie")  # the source is not a translation target


def test_numbers_dates_amounts_and_phones_travel_as_placeholders() -> None:
    text = "Sơ tán trước 17h ngày 15/11/2025, mang 1.500.000 đồng, gọi 0233 3871 115."
    masked = mask(text)
    assert masked.values == ("17h", "15/11/2025", "1.500.000", "0233 3871 115")
    assert masked.text == "Sơ tán trước ⟦1⟧ ngày ⟦2⟧, mang ⟦3⟧ đồng, gọi ⟦4⟧."
    assert unmask(masked.text, masked.values) == text
    # Khmer digits count as the same number; a dropped phone number is reported.
    assert missing_values(masked.values, "ម៉ោង ១៧ ថ្ងៃ ១៥/១១/២០២៥ 1.500.000") == ["0233 3871 115"]


def test_glossary_term_without_khmer_stays_for_a_translator(glossary) -> None:  # type: ignore[no-untyped-def]
    result = translate_segments(["Bão.", "Áp thấp nhiệt đới mạnh lên thành bão."], KHM, glossary=glossary)
    storm, depression = result.segments
    assert storm.origin == GLOSSARY and storm.target == "ព្យុះ"
    assert depression.origin == NEEDS_TRANSLATOR and depression.target is None
    assert any("áp thấp nhiệt đới" in en for en, _ in depression.reasons)
    assert not result.complete


def test_glossary_variants_share_one_translation(glossary) -> None:  # type: ignore[no-untyped-def]
    assert glossary.whole("ấp").target == glossary.whole("thôn").target == "ភូមិ"
    assert load_glossary("khm").whole("xã").target == "ឃុំ"  # bantin's own copy ships with the package
    assert len(load_glossary("tyz")) == 0  # no glossary yet: empty, not an error


def test_memory_exact_match_refills_this_bulletins_numbers(glossary) -> None:  # type: ignore[no-untyped-def]
    memory = TranslationMemory(
        "khm", [memory_entry("Gọi đường dây nóng 0233 3871 115.", "ហៅខ្សែទូរស័ព្ទបន្ទាន់ 0233 3871 115។")]
    )
    result = translate_segments(["Gọi đường dây nóng 0914 222 333."], KHM, memory=memory, glossary=glossary)
    (segment,) = result.segments
    assert segment.origin == MEMORY and segment.target == "ហៅខ្សែទូរស័ព្ទបន្ទាន់ 0914 222 333។"


def test_a_memory_entry_whose_values_share_digits_finds_every_value_again(glossary) -> None:  # type: ignore[no-untyped-def]
    # "1.000" and "1", "2025" and "1": a later value must not take the digit of an earlier placeholder.
    source = "Năm 2025 xã hỗ trợ 1.000 hộ, mỗi hộ 1 bao gạo."
    target = "ឆ្នាំ 2025 ឃុំជួយ 1.000 គ្រួសារ គ្រួសារនីមួយៗ 1 បាវអង្ករ។"
    entry = memory_entry(source, target)
    assert entry.target_template == "ឆ្នាំ ⟦1⟧ ឃុំជួយ ⟦2⟧ គ្រួសារ គ្រួសារនីមួយៗ ⟦3⟧ បាវអង្ករ។"
    memory = TranslationMemory("khm", [entry])
    result = translate_segments(
        ["Năm 2026 xã hỗ trợ 3.500 hộ, mỗi hộ 2 bao gạo."], KHM, memory=memory, glossary=glossary
    )
    (segment,) = result.segments
    assert segment.origin == MEMORY
    assert segment.target == "ឆ្នាំ 2026 ឃុំជួយ 3.500 គ្រួសារ គ្រួសារនីមួយៗ 2 បាវអង្ករ។"


def test_fuzzy_match_above_threshold_is_used_but_not_across_names_or_negations() -> None:
    memory = TranslationMemory(
        "khm",
        [
            memory_entry("Kính thưa bà con nhân dân!", GREETING_KM),
            memory_entry("Kính thưa bà con nhân dân xã Tân Thạch!", "សូមគោរពបងប្អូនប្រជាពលរដ្ឋឃុំ Tân Thạch!"),
            memory_entry("Đề nghị bà con đi qua ngầm tràn cẩn thận.", "សូមបងប្អូនឆ្លងកាត់ផ្លូវលិចទឹកដោយប្រុងប្រយ័ត្ន។"),
        ],
    )
    result = translate_segments(
        [
            "Kính thưa bà con nhân dân.",
            "Kính thưa bà con nhân dân xã Tân Hợp!",
            "Đề nghị bà con không đi qua ngầm tràn cẩn thận.",
        ],
        KHM,
        memory=memory,
    )
    near, other_commune, negated = result.segments
    assert near.origin == MEMORY  # only punctuation differs: the key is the same
    assert other_commune.origin == NEEDS_TRANSLATOR and "Tân Thạch" not in str(other_commune.target)
    assert negated.origin == NEEDS_TRANSLATOR and any("không" in en for en, _ in negated.reasons)
    fuzzy = translate_segments(
        ["Kính thưa toàn thể bà con nhân dân!"], KHM, memory=memory, threshold=0.8
    ).segments[0]
    assert fuzzy.origin == FUZZY and fuzzy.target == GREETING_KM and 0.8 <= fuzzy.score < 1


def test_fuzzy_lookup_finds_the_near_entry_among_many() -> None:
    entries = [
        memory_entry(f"Thôn {i} họp dân bàn việc làm đường bê tông lần thứ {i}.", f"ភូមិ {i} ប្រជុំ {i}។")
        for i in range(3000)
    ]
    entries.append(
        memory_entry("Đề nghị các hộ dân dọn vệ sinh khơi thông cống rãnh quanh nhà.", "សូមគ្រួសារសម្អាតលូជុំវិញផ្ទះ។")
    )
    memory = TranslationMemory("khm", entries)
    found = memory.lookup(
        "Đề nghị các hộ dân dọn vệ sinh, khơi thông cống rãnh xung quanh nhà.", threshold=0.85
    )
    assert found is not None and found.translation == "សូមគ្រួសារសម្អាតលូជុំវិញផ្ទះ។" and not found.exact


def test_numbers_only_segment_is_kept_and_script_is_split_into_sentences() -> None:
    result = translate_text("Kính thưa bà con nhân dân!\n\n0233 3871 115.", KHM,
                            memory=TranslationMemory("khm", [memory_entry("Kính thưa bà con nhân dân!", GREETING_KM)]))  # fmt: skip
    assert [s.origin for s in result.segments] == [MEMORY, KEPT]
    assert result.complete and result.text.splitlines()[0] == GREETING_KM


def test_validation_reports_wrong_script_missing_numbers_and_empty() -> None:
    source = "Sơ tán trước 17h ngày 15/11/2025 đến nơi an toàn."
    wrong_script = check_translation(source, "Evacuate before 17h on 15/11/2025 to a safe place.", KHM)
    assert [p.code for p in wrong_script][:1] == ["wrong_script"]
    lost = check_translation(source, "ជម្លៀសទៅកន្លែងសុវត្ថិភាពមុនម៉ោង 17h។", KHM)
    assert any(p.code == "missing_values" and "15/11/2025" in p.en for p in lost)
    with pytest.raises(TranslationRejected) as err:
        validate_translation(source, "   ", KHM)
    assert "trống" in err.value.message_vi and "empty" in err.value.message_en
    ok = "ជម្លៀសទៅកន្លែងសុវត្ថិភាពមុនម៉ោង 17h ថ្ងៃទី 15/11/2025។"
    assert validate_translation(source, ok, KHM) == ok


def test_validation_of_latin_orthographies_refuses_vietnamese_letters_and_copies() -> None:
    rade = get_language("rad")
    vietnamese = "Đề nghị bà con chủ động sơ tán đến nơi an toàn trước khi lũ về."
    problems = check_translation(vietnamese, vietnamese, rade)
    assert {"untranslated", "wrong_letters"} <= {p.code for p in problems}
    assert check_translation("Bà con đi sơ tán.", "Ƀuôn sang ayŏng nao kơ anôk êđăp.", rade) == []


def test_glossary_terms_must_be_used_by_a_translation(glossary) -> None:  # type: ignore[no-untyped-def]
    problems = check_translation(
        "Bảo hiểm y tế cho trẻ em.", "ធានារ៉ាប់រងសុខភាពសម្រាប់ក្មេង។", KHM, glossary=glossary
    )
    assert [p.code for p in problems] == ["glossary"] and "កុមារ" in problems[0].en
    # "ការជម្លៀស" (evacuation) may be used as the verb "ជម្លៀស" (evacuate), as the glossary's note says.
    assert check_translation("Sơ tán ngay.", "ជម្លៀសភ្លាម។", KHM, glossary=glossary) == []


TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="vi" datatype="plaintext" segtype="sentence" adminlang="en" o-tmf="x" creationtool="t" creationtoolversion="1"/>
<body>
<tu><tuv xml:lang="vi-VN"><seg>Kính thưa bà con!</seg></tuv><tuv xml:lang="km-KH"><seg>សូមគោរព<ph>&lt;b&gt;</ph>បងប្អូន!</seg></tuv></tu>
<tu><tuv xml:lang="vi"><seg>Chỉ có tiếng Việt.</seg></tuv><tuv xml:lang="en"><seg>Only English.</seg></tuv></tu>
</body></tmx>"""


def test_tmx_and_tsv_memories_parse() -> None:
    assert parse_tmx(TMX, "khm") == [("Kính thưa bà con!", "សូមគោរពបងប្អូន!")]
    assert parse_memory_file("a.tsv", "vi\tkhm\nThưa bà con!\tជម្រាបបងប្អូន!\n", "khm") == [
        ("Thưa bà con!", "ជម្រាបបងប្អូន!")
    ]
    sample = parse_tsv_memory((REPO / "bench" / "data" / "tm_sample.tsv").read_text(encoding="utf-8"))
    assert len(sample) >= 25 and all(check_translation(s, t, KHM) == [] for s, t in sample)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("broken.tmx", "<tmx><body><tu><tuv xml:lang='vi'><seg>x</seg></tuv>", "XML"),
        ("html.tmx", "<html><body/></html>", "TMX"),
        ("nolang.tmx", "<tmx><body><tu><tuv><seg>a</seg></tuv></tu></body></tmx>", "xml:lang"),
        ("empty.tmx", "<tmx><body/></tmx>", "Vietnamese"),
        ("bad.tsv", "Thưa bà con!\n", "line 1"),
        ("mem.csv", "a,b", ".tmx or .tsv"),
    ],
)
def test_malformed_memory_files_are_refused_in_both_languages(name: str, text: str, words: str) -> None:
    with pytest.raises(InvalidMemoryFile) as err:
        parse_memory_file(name, text, "khm")
    assert words in err.value.message_en and "Chưa nhập gì" in err.value.message_vi


def test_thai_may_be_written_in_tai_viet_or_latin_but_not_khmer() -> None:
    black_thai = get_language("blt")
    tai_viet = (
        "\uaa8f\uaab2\uaa95\uaab8 \uaa81\uaab1\uaa8e \uaa9c\uaab1\uaa89"  # letters of the Tai Viet block
    )
    assert check_translation("Bà con chú ý.", tai_viet, black_thai) == []
    assert [p.code for p in check_translation("Bà con chú ý.", "សូមបងប្អូនយកចិត្តទុកដាក់", black_thai)] == [
        "wrong_script"
    ]
